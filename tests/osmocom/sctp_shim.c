/*
 * sctp_shim.c — an LD_PRELOAD library for the tests only: it lets osmo-stp,
 * osmo-msc and txgw-handset-sim talk M3UA on a kernel without SCTP, by
 * carrying each association over a TCP connection instead.
 *
 * Never linked into a program: tests/osmocom/core.sh preloads it into the
 * Osmocom daemons and the simulator, and only when
 * socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails.
 *
 * What SCTP gives its users and TCP does not, and how this stands in:
 *
 *   socket(..., IPPROTO_SCTP)    a TCP socket (TCP_NODELAY: SCTP has no
 *                                Nagle delay on small messages)
 *   setsockopt/getsockopt at level IPPROTO_SCTP
 *                                success, doing nothing; getsockopt fills
 *                                SCTP_STATUS (established, 2 streams each
 *                                way) and SCTP_INITMSG as an association
 *                                would, zeroes for the rest
 *   sctp_bindx(), sctp_connectx()  bind() and connect() to the first address
 *   sctp_recvmsg()               exactly one message per call, never a part
 *                                of one nor two at once (SCTP keeps message
 *                                boundaries, RFC 9260 §1.5.1); a message is
 *                                an M3UA (or SUA) one: its length is bytes
 *                                4..7 of the common header (RFC 4666
 *                                §3.1); sinfo_stream is 1 for a DATA
 *                                message (class 1: transfer) and 0 for
 *                                every other, as RFC 4666 §1.4.7 wants,
 *                                sinfo_ppid 3 (M3UA, §1.4.7)
 *   sctp_send(), sctp_sendmsg()  the whole message written with
 *                                MSG_NOSIGNAL, so that frames never
 *                                interleave
 *
 * The reading side keeps a buffer per descriptor and never reads past the
 * end of the current message: the rest stays in the kernel, so a
 * level-triggered select() still sees it.  IPA framing is not handled:
 * IPA runs over TCP already and never reaches sctp_recvmsg().
 */
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SHIM_MAX_FD	65536
#define M3UA_HDR_LEN	8
#define M3UA_MSG_MAX	65536		/* a message longer than this is garbage */
#define M3UA_PPID	3
#define M3UA_CLASS_XFER	1
#define SEND_WAIT_MS	10000		/* a peer that reads nothing for that long is gone */

/* A message being read from one descriptor. */
struct rx {
	uint8_t *buf;
	uint32_t cap;
	uint32_t have;		/* bytes read of the current message */
	uint32_t out;		/* bytes of a whole message handed over already */
};

static struct rx *rx_of[SHIM_MAX_FD];
static bool is_ours[SHIM_MAX_FD];	/* a socket made from an SCTP one */

#define REAL(name) real_fn(#name)

static void *real_fn(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f)
		abort();	/* nothing sensible to fall back to */
	return f;
}

static void nodelay(int fd)
{
	int one = 1;
	int (*so)(int, int, int, const void *, socklen_t) = REAL(setsockopt);
	so(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void forget(int fd)
{
	if (fd < 0 || fd >= SHIM_MAX_FD)
		return;
	if (rx_of[fd]) {
		free(rx_of[fd]->buf);
		free(rx_of[fd]);
		rx_of[fd] = NULL;
	}
	is_ours[fd] = false;
}

int socket(int domain, int type, int protocol)
{
	int (*real)(int, int, int) = REAL(socket);
	int fd;

	if (protocol != IPPROTO_SCTP || (domain != AF_INET && domain != AF_INET6))
		return real(domain, type, protocol);
	/* SOCK_SEQPACKET (one-to-many) has no TCP equivalent; the Osmocom
	 * stack uses SOCK_STREAM (one-to-one) only. */
	if ((type & 0xf) != SOCK_STREAM) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	fd = real(domain, type, IPPROTO_TCP);
	if (fd >= SHIM_MAX_FD) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	if (fd >= 0) {
		forget(fd);
		is_ours[fd] = true;
		nodelay(fd);
	}
	return fd;
}

static int accepted(int lfd, int fd)
{
	if (fd >= SHIM_MAX_FD) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	if (fd >= 0 && lfd >= 0 && lfd < SHIM_MAX_FD && is_ours[lfd]) {
		forget(fd);
		is_ours[fd] = true;
		nodelay(fd);
	}
	return fd;
}

int accept(int lfd, struct sockaddr *addr, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) = REAL(accept);
	return accepted(lfd, real(lfd, addr, len));
}

int accept4(int lfd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) = REAL(accept4);
	return accepted(lfd, real(lfd, addr, len, flags));
}

int close(int fd)
{
	int (*real)(int) = REAL(close);
	forget(fd);
	return real(fd);
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int (*real)(int, int, int, const void *, socklen_t) = REAL(setsockopt);

	if (level == IPPROTO_SCTP)
		return 0;
	return real(fd, level, name, val, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int (*real)(int, int, int, void *, socklen_t *) = REAL(getsockopt);

	if (level != IPPROTO_SCTP)
		return real(fd, level, name, val, len);
	if (!val || !len) {
		errno = EINVAL;
		return -1;
	}
	memset(val, 0, *len);
	if (name == SCTP_STATUS && *len >= sizeof(struct sctp_status)) {
		struct sctp_status *st = val;
		st->sstat_state = SCTP_ESTABLISHED;
		st->sstat_rwnd = 65536;
		st->sstat_instrms = 2;
		st->sstat_outstrms = 2;
		st->sstat_fragmentation_point = 1452;
	} else if (name == SCTP_INITMSG && *len >= sizeof(struct sctp_initmsg)) {
		struct sctp_initmsg *im = val;
		im->sinit_num_ostreams = 2;
		im->sinit_max_instreams = 2;
		im->sinit_max_attempts = 4;
	}
	return 0;
}

int sctp_bindx(int sd, struct sockaddr *addrs, int addrcnt, int flags)
{
	socklen_t len = addrs && addrs->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);
	if (addrcnt < 1 || !addrs) {
		errno = EINVAL;
		return -1;
	}
	if (flags != SCTP_BINDX_ADD_ADDR)
		return 0;	/* removing addresses: there is only the one */
	return bind(sd, addrs, len);
}

int sctp_connectx(int sd, struct sockaddr *addrs, int addrcnt, sctp_assoc_t *id)
{
	socklen_t len = addrs && addrs->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);
	if (addrcnt < 1 || !addrs) {
		errno = EINVAL;
		return -1;
	}
	if (id)
		*id = 0;
	return connect(sd, addrs, len);
}

/* Write all of buf: a partial write would split a message on the stream. */
static int send_all(int fd, const void *buf, size_t len)
{
	ssize_t (*real)(int, const void *, size_t, int) = REAL(send);
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = real(fd, p + done, len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			if (poll(&pfd, 1, SEND_WAIT_MS) > 0)
				continue;
			errno = done ? ECONNRESET : EAGAIN;
		}
		return -1;
	}
	return (int)len;
}

int sctp_send(int s, const void *msg, size_t len, const struct sctp_sndrcvinfo *sinfo, int flags)
{
	return send_all(s, msg, len);
}

int sctp_sendmsg(int s, const void *msg, size_t len, struct sockaddr *to, socklen_t tolen,
		 uint32_t ppid, uint32_t flags, uint16_t stream_no, uint32_t timetolive,
		 uint32_t context)
{
	return send_all(s, msg, len);
}

static struct rx *rx_get(int fd)
{
	if (fd < 0 || fd >= SHIM_MAX_FD) {
		errno = EBADF;
		return NULL;
	}
	if (!rx_of[fd]) {
		rx_of[fd] = calloc(1, sizeof(struct rx));
		if (!rx_of[fd]) {
			errno = ENOMEM;
			return NULL;
		}
	}
	return rx_of[fd];
}

static uint32_t msg_len(const struct rx *r)
{
	if (r->have < M3UA_HDR_LEN)
		return M3UA_HDR_LEN;
	return (uint32_t)r->buf[4] << 24 | (uint32_t)r->buf[5] << 16 | (uint32_t)r->buf[6] << 8 |
	       r->buf[7];
}

/*
 * Read on until r holds one whole message: 1 when it does, 0 at the end
 * of the stream, -1 with errno (EAGAIN: not yet; ECONNRESET: a length
 * no message has).
 */
static int rx_fill(int fd, struct rx *r)
{
	ssize_t (*real)(int, void *, size_t, int) = REAL(recv);

	for (;;) {
		uint32_t want = msg_len(r);
		if (want < M3UA_HDR_LEN || want > M3UA_MSG_MAX) {
			errno = ECONNRESET;
			return -1;
		}
		if (r->have == want && r->have >= M3UA_HDR_LEN)
			return 1;
		if (r->cap < want) {
			uint8_t *nb = realloc(r->buf, want);
			if (!nb) {
				errno = ENOMEM;
				return -1;
			}
			r->buf = nb;
			r->cap = want;
		}
		ssize_t n = real(fd, r->buf + r->have, want - r->have, 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		r->have += (uint32_t)n;
	}
}

int sctp_recvmsg(int s, void *msg, size_t len, struct sockaddr *from, socklen_t *fromlen,
		 struct sctp_sndrcvinfo *sinfo, int *msg_flags)
{
	struct rx *r = rx_get(s);
	int rc;

	if (!r)
		return -1;
	if (r->out == 0) {
		rc = rx_fill(s, r);
		if (rc <= 0)
			return rc;
	}
	/* a reader with too small a buffer gets the message in pieces, the
	 * last one flagged MSG_EOR, as SCTP does */
	size_t n = r->have - r->out < len ? r->have - r->out : len;
	memcpy(msg, r->buf + r->out, n);
	r->out += (uint32_t)n;
	if (sinfo) {
		memset(sinfo, 0, sizeof(*sinfo));
		sinfo->sinfo_stream = r->buf[2] == M3UA_CLASS_XFER ? 1 : 0;
		sinfo->sinfo_ppid = htonl(M3UA_PPID);
	}
	if (from && fromlen && getpeername(s, from, fromlen) < 0)
		*fromlen = 0;
	if (msg_flags)
		*msg_flags = r->out == r->have ? MSG_EOR : 0;
	if (r->out == r->have)
		r->have = r->out = 0;
	return (int)n;
}
