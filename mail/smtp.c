/*
 * smtp.c — the SMTP service: listening socket, sessions, I/O, STARTTLS;
 * see smtp.h.  What a command means is smtp_fsm.c's table; this file
 * moves octets between the socket, the table, the DATA decoder and the
 * gateway.
 *
 * A session reads in one of these modes:
 *   CMD        command lines, each to smtp_fsm_line()
 *   DATA       the DATA body, through dotstuff.c into the message buffer
 *   CHUNK      a BDAT chunk, exactly n octets
 *   WAIT       the mail is with the gateway: nothing is read (back-pressure)
 *   TLS_FLUSH  STARTTLS answered: the 220 leaves before the handshake
 *   HANDSHAKE  SSL_accept()
 *   CLOSING    the last reply leaves, then the socket closes
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/socket.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/lib/accept_guard.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/log_ratelimit.h"
#include "gateway/lib/logging.h"
#include "mail/dotstuff.h"
#include "mail/smtp.h"
#include "mail/smtp_fsm.h"
#include "mail/smtp_peer.h"

#define SMTP_IN_BUF		16384	/* octets read at a time; > SMTP_LINE_MAX */
#define SMTP_OUT_HIGH		65536	/* replies queued before we stop reading */
#define SMTP_READS_PER_WAKE	16	/* fairness between sessions */

enum rx_mode {
	RX_CMD,
	RX_DATA,
	RX_CHUNK,
	RX_WAIT,
	RX_TLS_FLUSH,
	RX_HANDSHAKE,
	RX_CLOSING,
};

struct smtp_srv {
	void *ctx;			/* the caller's: answers owed live there */
	struct smtp_ops ops;
	void *data;
	struct rate_ctr_group *ctrs;
	char *domain;
	uint64_t max_size;
	unsigned max_sessions;
	unsigned max_per_ip;		/* 0: no cap */
	unsigned max_cmds;		/* 0: no cap */
	bool require_tls;
	struct smtp_timeouts to;
	struct osmo_fd lfd;
	struct accept_guard guard;	/* no spinning when descriptors run out */
	char *refusal;			/* what the guard sends a connection it refuses */
	uint16_t port;
	SSL_CTX *ssl_ctx;		/* NULL: no STARTTLS */
	struct llist_head sessions;
	unsigned n_sessions;
	struct smtp_peers peers;	/* sessions per client address */
	/* what a peer can make us log at will: a line a second per kind */
	struct log_ratelimit rl_full, rl_per_ip, rl_accept, rl_cut;
};

struct smtp_sess {
	struct llist_head list;
	struct smtp_srv *srv;
	struct osmo_fd ofd;
	struct osmo_timer_list idle;	/* the RFC 5321 §4.5.3.2 timeouts */
	struct osmo_timer_list kick;	/* resume after the gateway's answer */
	struct osmo_timer_list life;	/* the session's whole life */
	struct osmo_timer_list rate;	/* the data rate, once a window */
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	struct smtp_peer *addr;		/* the count of sessions from its address */
	unsigned n_cmds;		/* command lines so far */
	uint64_t win_octets;		/* DATA/BDAT octets in this rate window */
	bool expired;			/* life over while the mail was with the gateway */
	SSL *ssl;
	struct smtp_fsm fsm;
	enum rx_mode mode;
	uint8_t in[SMTP_IN_BUF];
	size_t in_len;
	bool skip_line;			/* dropping the rest of an over-long line */
	bool want_write;		/* OpenSSL wants the socket writable */
	uint8_t *out;
	size_t out_len, out_cap;
	uint8_t *msg;			/* the message, up to max_size octets */
	size_t msg_len, msg_cap;
	uint64_t msg_total;		/* octets of the message, kept or not */
	struct dotstuff ds;
	uint64_t chunk_left;
	struct smtp_deliver *d;		/* the answer we wait for */
};

struct smtp_deliver {
	struct smtp_sess *s;		/* NULL once the session is gone */
};

static void ctr_inc(struct smtp_srv *srv, unsigned idx)
{
	if (srv->ctrs)
		rate_ctr_inc2(srv->ctrs, idx);
}

/* ---- session life ---- */

static void sess_close(struct smtp_sess *s, const char *why)
{
	struct smtp_srv *srv = s->srv;

	LOGP(DSMTP, LOGL_INFO, "%s: session closed (%s)\n", s->peer, why);
	if (s->d)
		s->d->s = NULL;
	osmo_timer_del(&s->idle);
	osmo_timer_del(&s->kick);
	osmo_timer_del(&s->life);
	osmo_timer_del(&s->rate);
	smtp_peer_put(s->addr);
	if (s->ssl)
		SSL_free(s->ssl);
	osmo_fd_unregister(&s->ofd);
	close(s->ofd.fd);
	smtp_fsm_free(&s->fsm);
	llist_del(&s->list);
	srv->n_sessions--;
	talloc_free(s);
}

static void schedule_ms(struct osmo_timer_list *t, unsigned ms)
{
	osmo_timer_schedule(t, ms / 1000, (ms % 1000) * 1000);
}

/* Set the idle timeout of the mode again: only for a whole command line,
 * or for DATA/BDAT octets (whose pace the rate window judges), so that a
 * byte now and then does not keep a session (issue 9 item 7). */
static void arm_idle(struct smtp_sess *s)
{
	unsigned ms;

	switch (s->mode) {
	case RX_DATA:
	case RX_CHUNK:
		ms = s->srv->to.data_ms;
		break;
	case RX_WAIT:
		ms = s->srv->to.final_ms;
		break;
	default:
		ms = s->srv->to.cmd_ms;
		break;
	}
	schedule_ms(&s->idle, ms);
}

/* Append n octets to a growing talloc buffer, doubling it up to max
 * (the callers never ask for more than max). */
static int buf_put(void *ctx, uint8_t **buf, size_t *len, size_t *cap, size_t max,
		   const void *p, size_t n)
{
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 1024;
		uint8_t *m;
		while (c < *len + n)
			c *= 2;
		if (c > max)
			c = max;
		m = talloc_realloc_size(ctx, *buf, c);
		if (!m)
			return -ENOMEM;
		*buf = m;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/* Queue octets for the peer.  Output is capped by not reading while more
 * than SMTP_OUT_HIGH waits, so this only grows to about that. */
static int out_put(struct smtp_sess *s, const void *buf, size_t n)
{
	return buf_put(s, &s->out, &s->out_len, &s->out_cap, SIZE_MAX, buf, n);
}

static int out_reply(struct smtp_sess *s, const struct smtp_reply *r)
{
	return r->len ? out_put(s, r->buf, r->len) : 0;
}

/* ---- socket I/O, plain or TLS: > 0 octets, 0 end, -EAGAIN, -EIO ---- */

static ssize_t tls_result(struct smtp_sess *s, int rc)
{
	int e = SSL_get_error(s->ssl, rc);

	s->want_write = e == SSL_ERROR_WANT_WRITE;
	if (rc > 0)
		return rc;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	ERR_clear_error();
	return e == SSL_ERROR_ZERO_RETURN ? 0 : -EIO;
}

static ssize_t sess_recv(struct smtp_sess *s, uint8_t *buf, size_t n)
{
	ssize_t rc;

	if (s->ssl)
		return tls_result(s, SSL_read(s->ssl, buf, (int)n));
	rc = recv(s->ofd.fd, buf, n, 0);
	if (rc >= 0)
		return rc;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -EIO;
}

static ssize_t sess_send(struct smtp_sess *s, const uint8_t *buf, size_t n)
{
	ssize_t rc;

	if (s->ssl)
		return tls_result(s, SSL_write(s->ssl, buf, (int)(n > INT32_MAX ? INT32_MAX : n)));
	rc = send(s->ofd.fd, buf, n, MSG_NOSIGNAL);
	if (rc >= 0)
		return rc;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -EIO;
}

/* Send what is queued.  0 (all or some sent, or EAGAIN), -EIO. */
static int flush(struct smtp_sess *s)
{
	while (s->out_len) {
		ssize_t n = sess_send(s, s->out, s->out_len);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return -EIO;
		memmove(s->out, s->out + n, s->out_len - (size_t)n);
		s->out_len -= (size_t)n;
	}
	return 0;
}

/* ---- limits of our own: 421, the reply sent once, best effort ---- */

static void sess_cut(struct smtp_sess *s, const char *enhanced, const char *text, const char *why)
{
	struct smtp_reply r;

	if (s->mode != RX_CLOSING && s->mode != RX_HANDSHAKE && s->mode != RX_TLS_FLUSH) {
		smtp_fsm_cut(&s->fsm, enhanced, text, &r);
		out_reply(s, &r);
		flush(s);
	}
	LOGP_RL(&s->srv->rl_cut, DSMTP, LOGL_NOTICE, "%s: session cut: %s", s->peer, why);
	sess_close(s, why);
}

/* smtp-max-session-time: a mail with the gateway gets its answer first. */
static void life_cb(void *data)
{
	struct smtp_sess *s = data;

	if (s->mode == RX_WAIT) {
		s->expired = true;	/* smtp_deliver_done() ends it */
		return;
	}
	sess_cut(s, "4.4.2", "Session time limit reached", "over smtp-max-session-time");
}

/* Whether the data of a mail is coming: DATA, a BDAT chunk, or the
 * command line between two chunks. */
static bool in_data(const struct smtp_sess *s)
{
	return s->mode == RX_DATA || s->mode == RX_CHUNK ||
	       (s->mode == RX_CMD && s->fsm.st == SMTP_ST_BDAT);
}

/* DATA or the first BDAT of a mail: the first rate window starts; the
 * windows go on until the mail ends (rate_stop()). */
static void rate_start(struct smtp_sess *s)
{
	if (!s->srv->to.rate_window_ms || !s->srv->to.min_rate || osmo_timer_pending(&s->rate))
		return;
	s->win_octets = 0;
	schedule_ms(&s->rate, s->srv->to.rate_window_ms);
}

static void rate_stop(struct smtp_sess *s)
{
	if (!in_data(s))
		osmo_timer_del(&s->rate);
}

/* The end of a rate window: smtp-min-data-rate, averaged over it. */
static void rate_cb(void *data)
{
	struct smtp_sess *s = data;
	const struct smtp_timeouts *to = &s->srv->to;
	uint64_t want = (uint64_t)to->min_rate * to->rate_window_ms / 1000;
	char why[120];

	if (!in_data(s))
		return;
	if (s->win_octets >= want) {
		s->win_octets = 0;
		schedule_ms(&s->rate, to->rate_window_ms);
		return;
	}
	snprintf(why, sizeof(why), "data too slow: %llu octets in %u ms, under smtp-min-data-rate %u/s",
		 (unsigned long long)s->win_octets, to->rate_window_ms, to->min_rate);
	sess_cut(s, "4.4.2", "Data rate too low", why);
}

/* ---- the message buffer ---- */

static void msg_reset(struct smtp_sess *s)
{
	if (s->msg_cap > 65536) {	/* do not keep a big buffer per idle session */
		TALLOC_FREE(s->msg);
		s->msg_cap = 0;
	}
	s->msg_len = 0;
	s->msg_total = 0;
}

/* Message octets: counted always, kept only up to max_size (the rest of an
 * over-size mail streams through and is dropped). */
static int msg_put(struct smtp_sess *s, const uint8_t *p, size_t n)
{
	uint64_t max = s->srv->max_size;

	s->msg_total += n;
	if (s->msg_total > max || !n)
		return 0;
	return buf_put(s, &s->msg, &s->msg_len, &s->msg_cap, (size_t)max, p, n);
}

/* ---- mail hand-over ---- */

static void deliver(struct smtp_sess *s)
{
	struct smtp_srv *srv = s->srv;
	struct smtp_deliver *d = talloc_zero(srv->ctx, struct smtp_deliver);
	struct smtp_reply r;

	if (!d) {
		smtp_fsm_delivered(&s->fsm, 451, "4.3.0", "Out of memory", &r);
		out_reply(s, &r);
		msg_reset(s);
		s->mode = RX_CMD;
		return;
	}
	d->s = s;
	s->d = d;
	s->mode = RX_WAIT;
	rate_stop(s);
	arm_idle(s);
	LOGP(DSMTP, LOGL_DEBUG, "%s: mail from <%s>, %zu octets, to the gateway\n", s->peer,
	     s->fsm.mail_from, s->msg_len);
	srv->ops.deliver(srv->data, s->fsm.mail_from ? s->fsm.mail_from : "",
			 (const char *const *)s->fsm.rcpts, s->fsm.n_rcpts,
			 s->msg ? s->msg : (const uint8_t *)"", s->msg_len, d);
}

static void kick_cb(void *data);

void smtp_deliver_done(struct smtp_deliver *d, int code, const char *enhanced, const char *text)
{
	struct smtp_sess *s;
	struct smtp_reply r;

	if (!d)
		return;
	s = d->s;
	talloc_free(d);
	if (!s) {
		LOGP(DSMTP, LOGL_NOTICE, "answer %d for a mail whose session is gone\n", code);
		return;
	}
	s->d = NULL;
	LOGP(DSMTP, LOGL_INFO, "%s: mail from <%s> to %u recipient(s), %zu octets: %d %s %s\n",
	     s->peer, s->fsm.mail_from, s->fsm.n_rcpts, s->msg_len, code,
	     enhanced ? enhanced : "", text ? text : "");
	smtp_fsm_delivered(&s->fsm, code, enhanced, text, &r);
	ctr_inc(s->srv, r.code / 100 == 2 ? TXGW_CTR_SMTP_MESSAGES : TXGW_CTR_SMTP_REJECTED);
	if (r.code / 100 == 4)
		ctr_inc(s->srv, TXGW_CTR_SMTP_TEMP_ERRORS);
	out_reply(s, &r);
	msg_reset(s);
	s->mode = RX_CMD;
	if (s->expired) {	/* smtp-max-session-time passed while we owed this */
		smtp_fsm_cut(&s->fsm, "4.4.2", "Session time limit reached", &r);
		out_reply(s, &r);
		s->mode = RX_CLOSING;
		LOGP_RL(&s->srv->rl_cut, DSMTP, LOGL_NOTICE, "%s: session cut: over smtp-max-session-time",
			s->peer);
	}
	arm_idle(s);
	/* go on with what was pipelined, from the loop, not from the caller */
	osmo_timer_schedule(&s->kick, 0, 0);
}

/* The mail ended (DATA dot or BDAT LAST) or was refused on size. */
static int mail_end(struct smtp_sess *s, enum smtp_act act, const struct smtp_reply *r)
{
	if (act == SMTP_ACT_DELIVER) {
		deliver(s);
		return 1;
	}
	if (r->code == 552) {
		LOGP(DSMTP, LOGL_INFO, "%s: mail of %llu octets refused: over smtp-max-size\n",
		     s->peer, (unsigned long long)s->msg_total);
		ctr_inc(s->srv, TXGW_CTR_SMTP_REJECTED);
		msg_reset(s);
	}
	out_reply(s, r);
	s->mode = act == SMTP_ACT_CLOSE ? RX_CLOSING : RX_CMD;
	rate_stop(s);	/* unless more BDAT chunks are to come */
	arm_idle(s);
	return act == SMTP_ACT_CLOSE;
}

/* ---- input: one step of the current mode; 0 go on, 1 stop, < 0 error ---- */

static int after_cmd(struct smtp_sess *s, enum smtp_act act, enum smtp_state before)
{
	switch (act) {
	case SMTP_ACT_DATA:
		dotstuff_init(&s->ds, true);
		msg_reset(s);
		s->mode = RX_DATA;
		rate_start(s);
		arm_idle(s);
		return 0;
	case SMTP_ACT_CHUNK:
		if (s->fsm.chunk_keep && before == SMTP_ST_RCPT)
			msg_reset(s);	/* the first chunk of a mail */
		s->chunk_left = s->fsm.chunk;
		s->mode = RX_CHUNK;
		rate_start(s);
		arm_idle(s);
		return 0;
	case SMTP_ACT_STARTTLS:
		s->mode = RX_TLS_FLUSH;
		return 1;
	case SMTP_ACT_CLOSE:
		s->mode = RX_CLOSING;
		return 1;
	case SMTP_ACT_DELIVER:
		deliver(s);
		return 1;
	case SMTP_ACT_NONE:
		break;
	}
	return 0;
}

static int step_cmd(struct smtp_sess *s, size_t *off)
{
	const uint8_t *p = s->in + *off;
	size_t n = s->in_len - *off, len, used;
	const uint8_t *lf = memchr(p, '\n', n);
	enum smtp_state before = s->fsm.st;
	struct smtp_reply r;
	enum smtp_act act;

	if (s->skip_line) {
		*off += lf ? (size_t)(lf - p) + 1 : n;
		s->skip_line = !lf;
		return lf ? 0 : 1;
	}
	if (!lf) {
		if (n < SMTP_LINE_MAX)
			return 1;	/* a line still coming */
		/* RFC 5321 §4.5.3.1.6: over 1000 octets; answer now, drop the rest */
		len = used = SMTP_LINE_MAX;
		s->skip_line = true;
	} else {
		used = (size_t)(lf - p) + 1;
		len = used - 1;
		if (len && p[len - 1] == '\r')
			len--;
		if (len > SMTP_LINE_MAX)
			len = SMTP_LINE_MAX;	/* still too long for the parser */
	}
	if (s->srv->max_cmds && ++s->n_cmds > s->srv->max_cmds) {
		LOGP_RL(&s->srv->rl_cut, DSMTP, LOGL_NOTICE, "%s: session cut: over smtp-max-commands (%u)",
			s->peer, s->srv->max_cmds);
		smtp_fsm_cut(&s->fsm, "4.7.0", "Too many commands", &r);
		*off = s->in_len;	/* what else was sent stays unread */
		s->mode = RX_CLOSING;
		return out_reply(s, &r) ? -ENOMEM : 1;
	}
	act = smtp_fsm_line(&s->fsm, p, len, &r);
	*off += used;
	LOGP(DSMTP, LOGL_DEBUG, "%s: %s -> %d\n", s->peer, smtp_state_name(before), r.code);
	if (out_reply(s, &r))
		return -ENOMEM;
	arm_idle(s);	/* a whole command: the client is alive */
	return after_cmd(s, act, before);
}

static int step_data(struct smtp_sess *s, size_t *off)
{
	uint8_t tmp[DOTSTUFF_OUT_MAX(4096)];
	size_t n = s->in_len - *off, o, used;
	struct smtp_reply r;

	if (n > 4096)
		n = 4096;
	if (!n)
		return 1;
	used = dotstuff_push(&s->ds, s->in + *off, n, tmp, &o);
	*off += used;
	if (used) {
		s->win_octets += used;
		arm_idle(s);
	}
	if (msg_put(s, tmp, o))
		return -ENOMEM;
	if (!dotstuff_done(&s->ds))
		return 0;
	return mail_end(s, smtp_fsm_data_end(&s->fsm, s->msg_total, &r), &r);
}

static int step_chunk(struct smtp_sess *s, size_t *off)
{
	size_t n = s->in_len - *off;
	struct smtp_reply r;

	if (n > s->chunk_left)
		n = (size_t)s->chunk_left;
	if (!n && s->chunk_left)
		return 1;
	if (s->fsm.chunk_keep && msg_put(s, s->in + *off, n))
		return -ENOMEM;
	*off += n;
	s->chunk_left -= n;
	if (n) {
		s->win_octets += n;
		arm_idle(s);
	}
	if (s->chunk_left)
		return 0;
	return mail_end(s, smtp_fsm_chunk_end(&s->fsm, s->msg_total, &r), &r);
}

/* Work through what was read, as far as the mode lets. */
static int process(struct smtp_sess *s)
{
	size_t off = 0;
	int rc = 0;

	while (rc == 0 && s->out_len < SMTP_OUT_HIGH) {
		switch (s->mode) {
		case RX_CMD:
			rc = step_cmd(s, &off);
			break;
		case RX_DATA:
			rc = step_data(s, &off);
			break;
		case RX_CHUNK:
			rc = step_chunk(s, &off);
			break;
		default:
			rc = 1;
			break;
		}
	}
	/* RFC 3207 §5 (CVE-2011-0411): nothing pipelined after STARTTLS
	 * may count as said inside TLS */
	if (s->mode == RX_TLS_FLUSH)
		off = s->in_len;
	memmove(s->in, s->in + off, s->in_len - off);
	s->in_len -= off;
	return rc < 0 ? rc : 0;
}

/* ---- the event side ---- */

static bool reading(const struct smtp_sess *s)
{
	return (s->mode == RX_CMD || s->mode == RX_DATA || s->mode == RX_CHUNK) &&
	       s->out_len < SMTP_OUT_HIGH;
}

static void update_when(struct smtp_sess *s)
{
	unsigned when = 0;

	if (reading(s))
		when |= OSMO_FD_READ;
	if (s->out_len || s->want_write)
		when |= OSMO_FD_WRITE;
	osmo_fd_update_when(&s->ofd, 0, when);
}

static void handshake(struct smtp_sess *s);
static void service(struct smtp_sess *s);

static void start_tls(struct smtp_sess *s)
{
	s->ssl = SSL_new(s->srv->ssl_ctx);
	if (!s->ssl || SSL_set_fd(s->ssl, s->ofd.fd) != 1) {
		ERR_clear_error();
		sess_close(s, "TLS setup failed");
		return;
	}
	s->in_len = 0;
	s->mode = RX_HANDSHAKE;
	arm_idle(s);
	handshake(s);
}

static void handshake(struct smtp_sess *s)
{
	int rc = SSL_accept(s->ssl);
	int e = SSL_get_error(s->ssl, rc);
	char why[160];

	if (rc == 1) {
		LOGP(DSMTP, LOGL_INFO, "%s: %s with %s\n", s->peer, SSL_get_version(s->ssl),
		     SSL_get_cipher_name(s->ssl));
		smtp_fsm_tls_done(&s->fsm);	/* RFC 3207 §4.2 */
		s->mode = RX_CMD;
		arm_idle(s);
		service(s);	/* the client may have sent its EHLO already */
		return;
	}
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		osmo_fd_update_when(&s->ofd, 0, e == SSL_ERROR_WANT_READ ? OSMO_FD_READ : OSMO_FD_WRITE);
		return;
	}
	snprintf(why, sizeof(why), "TLS handshake failed: %s",
		 ERR_reason_error_string(ERR_peek_error()) ? : "peer went away");
	ERR_clear_error();
	sess_close(s, why);
}

/* Read, process, write, as far as the session may now; may close it. */
static void service(struct smtp_sess *s)
{
	for (unsigned i = 0;; i++) {
		ssize_t n;

		if (process(s) < 0) {
			sess_close(s, "out of memory");
			return;
		}
		if (!reading(s) || s->in_len == sizeof(s->in) || i == SMTP_READS_PER_WAKE)
			break;
		n = sess_recv(s, s->in + s->in_len, sizeof(s->in) - s->in_len);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			sess_close(s, n == 0 ? "peer closed" : "read error");
			return;
		}
		s->in_len += (size_t)n;
	}
	if (flush(s) < 0) {
		sess_close(s, "write error");
		return;
	}
	if (s->mode == RX_CLOSING && !s->out_len) {
		sess_close(s, "done");
		return;
	}
	if (s->mode == RX_TLS_FLUSH && !s->out_len) {
		start_tls(s);
		return;
	}
	/* what OpenSSL holds already decrypted wakes no select(): come back */
	if (s->ssl && reading(s) && SSL_pending(s->ssl) > 0)
		osmo_timer_schedule(&s->kick, 0, 0);
	update_when(s);
}

static int sess_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct smtp_sess *s = ofd->data;

	if (s->mode == RX_HANDSHAKE)
		handshake(s);
	else
		service(s);
	return 0;
}

static void kick_cb(void *data)
{
	service(data);
}

static void idle_cb(void *data)
{
	struct smtp_sess *s = data;
	struct smtp_reply r;

	if (s->mode == RX_WAIT)
		LOGP(DSMTP, LOGL_NOTICE, "%s: no answer for the mail in time\n", s->peer);
	if (s->mode != RX_CLOSING && s->mode != RX_HANDSHAKE && s->mode != RX_TLS_FLUSH) {
		smtp_fsm_timeout(&s->fsm, &r);
		out_reply(s, &r);
		flush(s);	/* once, best effort */
	}
	sess_close(s, "timeout");
}

/* A session for fd; addr (the count of its address) is the session's now. */
static void sess_open(struct smtp_srv *srv, int fd, const char *peer, struct smtp_peer *addr)
{
	struct smtp_fsm_cfg fcfg = { srv->domain, srv->max_size, srv->ssl_ctx != NULL,
				     srv->require_tls };
	struct smtp_sess *s = talloc_zero(srv, struct smtp_sess);
	struct smtp_reply r;

	if (!s) {
		smtp_peer_put(addr);
		close(fd);
		return;
	}
	s->srv = srv;
	s->addr = addr;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	osmo_timer_setup(&s->idle, idle_cb, s);
	osmo_timer_setup(&s->kick, kick_cb, s);
	osmo_timer_setup(&s->life, life_cb, s);
	osmo_timer_setup(&s->rate, rate_cb, s);
	osmo_fd_setup(&s->ofd, fd, OSMO_FD_READ, sess_fd_cb, s, 0);
	if (osmo_fd_register(&s->ofd) < 0) {
		smtp_peer_put(addr);
		close(fd);
		talloc_free(s);
		return;
	}
	llist_add_tail(&s->list, &srv->sessions);
	srv->n_sessions++;
	smtp_fsm_init(&s->fsm, s, &fcfg);
	ctr_inc(srv, TXGW_CTR_SMTP_SESSIONS);
	LOGP(DSMTP, LOGL_INFO, "%s: session open\n", s->peer);
	smtp_fsm_greeting(&s->fsm, &r);
	out_reply(s, &r);
	s->mode = RX_CMD;
	arm_idle(s);
	if (srv->to.session_ms)
		schedule_ms(&s->life, srv->to.session_ms);
	service(s);
}

static void peer_name(const struct sockaddr_storage *ss, socklen_t len, char *out, size_t cap)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(out, cap, "?");
	else
		snprintf(out, cap, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

/* RFC 5321 §3.1: a 421 in place of the greeting (best effort), and close. */
static void refuse(struct smtp_srv *srv, int fd, const char *enhanced, const char *text)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "421 %s %s %s\r\n", enhanced, srv->domain, text);

	send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static int accept_cb(struct osmo_fd *lfd, unsigned int what)
{
	struct smtp_srv *srv = lfd->data;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char peer[NI_MAXHOST + NI_MAXSERV + 4];
	int fd = accept_guard_accept(&srv->guard, (struct sockaddr *)&ss, &len);
	struct smtp_peer *addr;

	if (fd < 0) {
		if (errno != EAGAIN)	/* one connection's trouble (ECONNABORTED ...) */
			LOGP_RL(&srv->rl_accept, DSMTP, LOGL_NOTICE, "accept: %s", strerror(errno));
		return 0;
	}
	peer_name(&ss, len, peer, sizeof(peer));
	if (srv->n_sessions >= srv->max_sessions) {
		refuse(srv, fd, "4.3.2", "Too many sessions, try later");
		LOGP_RL(&srv->rl_full, DSMTP, LOGL_NOTICE, "%s: refused, %u sessions open (smtp-max-sessions)",
			peer, srv->n_sessions);
		return 0;
	}
	addr = smtp_peer_get(srv, &srv->peers, &ss);
	if (!addr) {
		refuse(srv, fd, "4.3.0", "Out of memory, try later");
		return 0;
	}
	if (srv->max_per_ip && smtp_peer_sessions(addr) > srv->max_per_ip) {
		smtp_peer_put(addr);
		refuse(srv, fd, "4.7.0", "Too many sessions from your address, try later");
		LOGP_RL(&srv->rl_per_ip, DSMTP, LOGL_NOTICE,
			"%s: refused, %u sessions open from its address (smtp-max-sessions-per-ip)", peer,
			srv->max_per_ip);
		return 0;
	}
	sess_open(srv, fd, peer, addr);
	return 0;
}

/* ---- the service ---- */

/* STARTTLS context: RFC 3207 with TLS 1.2 at least, no renegotiation. */
static SSL_CTX *tls_ctx_new(const char *cert, const char *key)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());

	if (!c)
		return NULL;
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			       SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(c, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c) != 1) {
		LOGP(DSMTP, LOGL_ERROR, "smtp-tls %s / %s: %s\n", cert, key,
		     ERR_reason_error_string(ERR_peek_error()) ? : "unusable");
		ERR_clear_error();
		SSL_CTX_free(c);
		return NULL;
	}
	return c;
}

static int srv_listen(struct smtp_srv *srv, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	osmo_fd_setup(&srv->lfd, -1, OSMO_FD_READ, accept_cb, srv, 0);
	rc = osmo_sock_init2_ofd(&srv->lfd, AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, addr, port, NULL, 0,
				 OSMO_SOCK_F_BIND | OSMO_SOCK_F_NONBLOCK);
	if (rc < 0) {
		LOGP(DSMTP, LOGL_ERROR, "smtp-listen %s %u: cannot listen\n", addr, port);
		return -EADDRINUSE;
	}
	listen(srv->lfd.fd, 128);	/* a deeper backlog than osmo_sock's */
	accept_guard_init(&srv->guard, &srv->lfd, DSMTP, "SMTP", srv->refusal);
	if (getsockname(srv->lfd.fd, (struct sockaddr *)&ss, &len) == 0)
		srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							   : ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

static unsigned ms_or(unsigned seconds, unsigned def_ms)
{
	return seconds ? seconds * 1000 : def_ms;
}

/* The time limits of cfg (seconds; 0: the RFC 5321 default for a
 * timeout, no cap for the session time and the data rate). */
static struct smtp_timeouts timeouts_of(const struct smtp_cfg *cfg)
{
	return (struct smtp_timeouts){
		.cmd_ms = ms_or(cfg->timeout_cmd, SMTP_TIMEOUT_CMD_MS),
		.data_ms = ms_or(cfg->timeout_data, SMTP_TIMEOUT_DATA_MS),
		.final_ms = ms_or(cfg->timeout_final, SMTP_TIMEOUT_FINAL_MS),
		.session_ms = cfg->max_session_time * 1000,
		.rate_window_ms = ms_or(cfg->min_data_window, SMTP_RATE_WINDOW_MS),
		.min_rate = cfg->min_data_rate,
	};
}

int smtp_srv_open(void *ctx, const struct smtp_cfg *cfg, const struct smtp_ops *ops, void *data,
		  struct rate_ctr_group *ctrs, struct smtp_srv **out)
{
	struct smtp_srv *srv;
	int rc;

	if (!cfg->enabled || !cfg->addr || !cfg->domain || !*cfg->domain ||
	    !ops || !ops->deliver) {
		LOGP(DSMTP, LOGL_ERROR, "cannot start the SMTP service: %s\n",
		     !cfg->enabled || !cfg->addr ? "no smtp-listen" :
		     !cfg->domain || !*cfg->domain ? "no smtp-domain" : "no deliver callback");
		return -EINVAL;
	}
	srv = talloc_zero(ctx, struct smtp_srv);
	if (!srv) {
		LOGP(DSMTP, LOGL_ERROR, "cannot start the SMTP service: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	srv->ctx = ctx;
	srv->ops = *ops;
	srv->data = data;
	srv->ctrs = ctrs;
	srv->domain = talloc_strdup(srv, cfg->domain);
	srv->max_size = cfg->max_size;
	srv->max_sessions = cfg->max_sessions;
	srv->max_per_ip = cfg->max_sessions_per_ip;
	srv->max_cmds = cfg->max_commands;
	srv->require_tls = cfg->require_tls;
	srv->to = timeouts_of(cfg);
	srv->lfd.fd = -1;
	INIT_LLIST_HEAD(&srv->sessions);
	smtp_peers_init(&srv->peers);
	srv->refusal = talloc_asprintf(srv, "421 4.3.2 %s Out of resources, try later\r\n",
				       cfg->domain);
	rc = srv->domain && srv->refusal ? 0 : -ENOMEM;
	if (!rc && cfg->require_tls && !(cfg->tls_cert && cfg->tls_key)) {
		LOGP(DSMTP, LOGL_ERROR, "smtp-require-tls needs smtp-tls certificate and key\n");
		rc = -EINVAL;
	}
	if (!rc && cfg->tls_cert && cfg->tls_key) {
		srv->ssl_ctx = tls_ctx_new(cfg->tls_cert, cfg->tls_key);
		rc = srv->ssl_ctx ? 0 : -EINVAL;
	}
	if (!rc)
		rc = srv_listen(srv, cfg->addr, cfg->port);
	if (rc == -ENOMEM)
		LOGP(DSMTP, LOGL_ERROR, "cannot start the SMTP service: %s\n", strerror(ENOMEM));
	if (rc) {
		SSL_CTX_free(srv->ssl_ctx);
		talloc_free(srv);
		return rc;
	}
	LOGP(DSMTP, LOGL_NOTICE, "SMTP on %s port %u for %s%s\n", cfg->addr, srv->port,
	     srv->domain, srv->require_tls ? ", STARTTLS required" : srv->ssl_ctx ? ", STARTTLS offered" : "");
	*out = srv;
	return 0;
}

void smtp_srv_set_timeouts(struct smtp_srv *s, const struct smtp_timeouts *t)
{
	s->to = *t;
}

uint16_t smtp_srv_port(const struct smtp_srv *s)
{
	return s->port;
}

unsigned smtp_srv_sessions(const struct smtp_srv *s)
{
	return s->n_sessions;
}

void smtp_srv_close(struct smtp_srv *s)
{
	struct smtp_sess *sess, *tmp;

	if (!s)
		return;
	llist_for_each_entry_safe(sess, tmp, &s->sessions, list)
		sess_close(sess, "service closing");
	accept_guard_stop(&s->guard);
	if (s->lfd.fd >= 0) {
		osmo_fd_unregister(&s->lfd);
		close(s->lfd.fd);
	}
	SSL_CTX_free(s->ssl_ctx);
	talloc_free(s);
}
