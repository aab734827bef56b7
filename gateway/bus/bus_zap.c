/*
 * bus_zap.c — who may connect to the bus (bus.md "Who may connect"), with
 * CURVE: the ZAP handler that lets in only the listed client keys, and the
 * monitors that see clients failing the handshake before ZAP is asked.
 *
 * ZAP (ZeroMQ RFC 27): a CURVE server socket asks whoever is bound to
 * inproc://zeromq.zap.01 in its context about every client that completed
 * the CURVE handshake, with the client's long-term public key; "200" lets
 * it in, "400" closes the connection.  libzmq 4.3 lets every client in
 * when no handler is bound (ZMQ_ZAP_ENFORCE_DOMAIN is a draft option), so
 * the handler is bound before the CURVE sockets and closed after them.
 * It is a REP socket in the bus's own ZeroMQ context, served from the
 * select loop through its ZMQ_FD like the other bus sockets.
 *
 * A client that does not speak CURVE, or encrypts to another server key,
 * fails the handshake inside libzmq and never reaches ZAP: a socket
 * monitor reports it, as ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, or as
 * ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL when the client saw the mismatch
 * first and its close (a reset: our greeting was unread) discarded its
 * greeting before libzmq read it.  Both kinds are counted as refused and
 * logged at most once per BUS_LOG_EVERY_MS (LOGP_RL), with the count held
 * back.  libzmq 4.3 does not report a connection it dropped for
 * ZMQ_MAXMSGSIZE (an ordinary ZMQ_EVENT_DISCONNECTED): those are not
 * counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <zmq.h>

#include "gateway/bus/bus_int.h"
#include "gateway/lib/keyfile.h"
#include "gateway/lib/logging.h"

#define ZAP_ENDPOINT	"inproc://zeromq.zap.01"
#define ZAP_FRAMES	7	/* version, id, domain, address, identity, mechanism, key */
#define ZAP_FRAME_MAX	256
#define ZAP_MONITORS	3	/* publish, replay, send */

struct bus_keyset {
	size_t n;
	uint8_t (*k)[KEY_LEN];	/* sorted, no duplicates */
};

struct zap_monitor {
	struct bus *b;
	void *pair;
	struct osmo_fd ofd;
	char what[16];
};

struct bus_zap {
	void *rep;
	struct osmo_fd ofd;
	struct bus_keyset *clients;
	struct zap_monitor mon[ZAP_MONITORS];
	unsigned n_mon;
	struct osmo_timer_list timer;	/* more than one burst to read */
	struct log_ratelimit key_log, proto_log;	/* BUS_LOG_EVERY_MS */
};

static void zap_timer_cb(void *data);

/* ---- key sets ---- */

struct ks_fill {
	void *ctx;
	struct bus_keyset *ks;
	size_t cap;
};

static int ks_add(void *arg, const uint8_t key[KEY_LEN])
{
	struct ks_fill *f = arg;

	if (f->ks->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		void *k = talloc_realloc_size(f->ks, f->ks->k, cap * KEY_LEN);
		if (!k)
			return -ENOMEM;
		f->ks->k = k;
		f->cap = cap;
	}
	memcpy(f->ks->k[f->ks->n++], key, KEY_LEN);
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, KEY_LEN);
}

int bus_keyset_load(void *ctx, const char *path, struct bus_keyset **out, char *err, size_t cap)
{
	struct ks_fill f = { ctx, talloc_zero(ctx, struct bus_keyset), 0 };
	size_t n = 0;
	int rc;

	if (!f.ks) {
		snprintf(err, cap, "%s: out of memory", path);
		return -ENOMEM;
	}
	rc = keyfile_read(path, false, ks_add, &f, err, cap);
	if (rc < 0) {
		talloc_free(f.ks);
		return rc;
	}
	if (f.ks->n) {
		qsort(f.ks->k, f.ks->n, KEY_LEN, key_cmp);
		for (size_t i = 0; i < f.ks->n; i++)	/* a key listed twice counts once */
			if (!n || memcmp(f.ks->k[n - 1], f.ks->k[i], KEY_LEN))
				memmove(f.ks->k[n++], f.ks->k[i], KEY_LEN);
	}
	f.ks->n = n;
	*out = f.ks;
	return 0;
}

size_t bus_keyset_count(const struct bus_keyset *ks)
{
	return ks ? ks->n : 0;
}

bool bus_keyset_has(const struct bus_keyset *ks, const uint8_t key[KEY_LEN])
{
	return ks && ks->n && bsearch(key, ks->k, ks->n, KEY_LEN, key_cmp);
}

void bus_set_clients(struct bus *b, struct bus_keyset *ks)
{
	if (!b->zap) {
		talloc_free(ks);
		return;
	}
	talloc_free(b->zap->clients);
	b->zap->clients = talloc_steal(b->zap, ks);
}

/* ---- the ZAP handler ---- */

struct zap_req {
	unsigned n;
	size_t len[ZAP_FRAMES];
	char f[ZAP_FRAMES][ZAP_FRAME_MAX + 1];	/* NUL-terminated copies */
	bool bad;
};

/* One whole request; 1, or 0 when there is none. */
static int zap_recv(void *rep, struct zap_req *r)
{
	bool more = true;
	zmq_msg_t m;

	memset(r, 0, sizeof(*r));
	while (more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, rep, r->n ? 0 : ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			if (!r->n)
				return 0;
			r->bad = true;
			return 1;
		}
		size_t len = zmq_msg_size(&m);
		if (r->n < ZAP_FRAMES && len <= ZAP_FRAME_MAX) {
			memcpy(r->f[r->n], zmq_msg_data(&m), len);
			r->len[r->n] = len;
		} else {
			r->bad = true;
		}
		r->n++;
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
	return 1;
}

static void zap_reply(void *rep, const struct zap_req *r, const char *code, const char *text,
		      const char *user)
{
	/* RFC 27: version, request id, status code, status text, user id,
	 * metadata; REP puts the envelope back */
	zmq_send(rep, "1.0", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(rep, r->f[1], r->n > 1 ? r->len[1] : 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(rep, code, strlen(code), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(rep, text, strlen(text), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(rep, user, strlen(user), ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(rep, "", 0, ZMQ_DONTWAIT);
}

static void zap_refused(struct bus *b, const char *addr, const char *key, const char *why)
{
	b->st.refused++;
	LOGP_RL(&b->zap->key_log, DBUS, LOGL_NOTICE, "refused CURVE client %s key %s: %s", addr, key,
		why);
}

static void zap_handle(struct bus *b, const struct zap_req *r)
{
	char key[KEY_Z85_LEN + 1] = "?";
	const char *addr = r->n > 3 ? r->f[3] : "?";

	if (r->bad || r->n != ZAP_FRAMES || strcmp(r->f[0], "1.0") ||
	    strcmp(r->f[5], "CURVE") || r->len[6] != KEY_LEN) {
		/* libzmq sends nothing else: refuse whatever it is */
		zap_refused(b, addr, key, "not a CURVE ZAP request");
		zap_reply(b->zap->rep, r, "500", "bad request", "");
		return;
	}
	key_z85_encode((const uint8_t *)r->f[6], key);
	if (!bus_keyset_has(b->zap->clients, (const uint8_t *)r->f[6])) {
		zap_refused(b, addr, key, "not in curve-clients");
		zap_reply(b->zap->rep, r, "400", "key not allowed", "");
		return;
	}
	LOGP(DBUS, LOGL_INFO, "CURVE client %s key %s let in\n", addr, key);
	zap_reply(b->zap->rep, r, "200", "OK", key);
}

/* Is there more to read?  Also re-arms the edge-triggered ZMQ_FD (see
 * bus_replay.c): what is left after a burst goes on from a zero timer. */
static void more_later(struct bus_zap *z, void *s)
{
	int ev = 0;
	size_t sz = sizeof(ev);

	if (zmq_getsockopt(s, ZMQ_EVENTS, &ev, &sz) == 0 && (ev & ZMQ_POLLIN))
		osmo_timer_schedule(&z->timer, 0, 0);
}

static void zap_run(struct bus *b)
{
	struct zap_req r;

	for (unsigned i = 0; i < BUS_READ_BURST && zap_recv(b->zap->rep, &r) > 0; i++)
		zap_handle(b, &r);
	more_later(b->zap, b->zap->rep);
}

static int zap_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	zap_run(ofd->data);
	return 0;
}

/* A socket of the bus context, read from the select loop. */
static int zsock_register(struct bus *b, void *s, struct osmo_fd *ofd,
			  int (*cb)(struct osmo_fd *, unsigned int), void *data)
{
	int fd;
	size_t sz = sizeof(fd);

	if (zmq_getsockopt(s, ZMQ_FD, &fd, &sz) < 0)
		return -EIO;
	osmo_fd_setup(ofd, fd, OSMO_FD_READ, cb, data, 0);
	if (osmo_fd_register(ofd) < 0) {
		ofd->fd = -1;
		return -EIO;
	}
	return 0;
}

static void zsock_close(void *s, struct osmo_fd *ofd)
{
	int zero = 0;

	if (ofd->fd >= 0)
		osmo_fd_unregister(ofd);
	ofd->fd = -1;
	if (s) {
		zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(s);
	}
}

int bus_zap_open(struct bus *b, struct bus_keyset *clients)
{
	struct bus_zap *z = talloc_zero(b, struct bus_zap);

	if (!z) {
		LOGP(DBUS, LOGL_ERROR, "bus: out of memory for the ZAP handler\n");
		return -ENOMEM;
	}
	z->ofd.fd = -1;
	z->key_log.interval_ms = BUS_LOG_EVERY_MS;
	z->proto_log.interval_ms = BUS_LOG_EVERY_MS;
	for (unsigned i = 0; i < ZAP_MONITORS; i++)
		z->mon[i].ofd.fd = -1;
	z->clients = talloc_steal(z, clients);
	osmo_timer_setup(&z->timer, zap_timer_cb, b);
	b->zap = z;
	z->rep = zmq_socket(b->zctx, ZMQ_REP);
	if (!z->rep || zmq_bind(z->rep, ZAP_ENDPOINT) < 0) {
		LOGP(DBUS, LOGL_ERROR, "cannot bind the ZAP handler %s: %s\n", ZAP_ENDPOINT,
		     zmq_strerror(zmq_errno()));
		return -EIO;
	}
	if (zsock_register(b, z->rep, &z->ofd, zap_fd_cb, b) < 0) {
		LOGP(DBUS, LOGL_ERROR, "cannot watch the ZAP handler: %s\n", zmq_strerror(zmq_errno()));
		return -EIO;
	}
	zap_run(b);	/* as for the monitors below */
	return 0;
}

/* ---- the handshake monitors ---- */

static const char *proto_error_name(uint16_t event, uint32_t v)
{
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
		return "the connection ended during the handshake";
	switch (v) {
	case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
		return "the client does not speak CURVE";
	case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
		return "cryptographic error (a wrong server key?)";
	default:
		return "protocol error";
	}
}

static void mon_run(struct zap_monitor *mo)
{
	struct bus *b = mo->b;

	uint8_t ev[6];
	char ep[128];

	for (unsigned i = 0; i < BUS_READ_BURST; i++) {
		int n = zmq_recv(mo->pair, ev, sizeof(ev), ZMQ_DONTWAIT);
		if (n < 0)
			break;
		int m = zmq_recv(mo->pair, ep, sizeof(ep) - 1, 0);	/* the second frame */
		ep[m < 0 ? 0 : (m < (int)sizeof(ep) ? m : (int)sizeof(ep) - 1)] = '\0';
		if (n != (int)sizeof(ev))
			continue;
		uint16_t event;
		uint32_t value;
		memcpy(&event, ev, 2);
		memcpy(&value, ev + 2, 4);

		if (event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
		    event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
			continue;
		b->st.refused++;
		LOGP_RL(&b->zap->proto_log, DBUS, LOGL_NOTICE, "refused a client of the %s socket %s: "
			"%s (0x%x)", mo->what, ep, proto_error_name(event, value), value);
	}
	more_later(b->zap, mo->pair);
}

static int mon_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	mon_run(ofd->data);
	return 0;
}

static void zap_timer_cb(void *data)
{
	struct bus *b = data;

	zap_run(b);
	for (unsigned i = 0; i < b->zap->n_mon; i++)
		mon_run(&b->zap->mon[i]);
}

int bus_zap_watch(struct bus *b, void *sock, const char *what)
{
	struct bus_zap *z = b->zap;
	struct zap_monitor *mo;
	char ep[64];

	if (z->n_mon == ZAP_MONITORS)
		return -ENOSPC;
	mo = &z->mon[z->n_mon];
	snprintf(ep, sizeof(ep), "inproc://txgw-bus-monitor-%s", what);
	if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) < 0)
		goto fail;
	mo->pair = zmq_socket(b->zctx, ZMQ_PAIR);
	if (!mo->pair || zmq_connect(mo->pair, ep) < 0)
		goto fail;
	mo->b = b;
	snprintf(mo->what, sizeof(mo->what), "%s", what);
	if (zsock_register(b, mo->pair, &mo->ofd, mon_fd_cb, mo) < 0)
		goto fail;
	z->n_mon++;
	/* ZMQ_FD signals a message only after a read found the pipe empty
	 * (activate_read): read once, or the first event never wakes us */
	mon_run(mo);
	return 0;
fail:
	LOGP(DBUS, LOGL_ERROR, "cannot monitor the %s socket: %s\n", what, zmq_strerror(zmq_errno()));
	zsock_close(mo->pair, &mo->ofd);
	mo->pair = NULL;
	return -EIO;
}

/* After the bus sockets are closed: the monitors, then the handler. */
void bus_zap_close(struct bus *b)
{
	struct bus_zap *z = b->zap;

	if (!z)
		return;
	osmo_timer_del(&z->timer);
	for (unsigned i = 0; i < z->n_mon; i++)
		zsock_close(z->mon[i].pair, &z->mon[i].ofd);
	zsock_close(z->rep, &z->ofd);
	talloc_free(z);
	b->zap = NULL;
}
