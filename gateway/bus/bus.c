/*
 * bus.c — the ZeroMQ bus (bus.md): the sockets, publishing, and who may
 * connect at the socket level.  Replay is in bus_replay.c, the ZAP handler
 * in bus_zap.c.
 *
 * Every socket refuses message frames over a size limit (ZMQ_MAXMSGSIZE):
 * a PUB socket keeps each subscription in a trie of one node per byte, so
 * without a limit one 8 MiB subscription took some 800 MB that were never
 * given back; ZeroMQ's decoder checks the size before it allocates, and
 * drops the connection.  With a CURVE secret key every socket is a CURVE
 * server (RFC 26) and the ZAP handler decides who gets in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <zmq.h>

#include "gateway/bus/bus_int.h"
#include "gateway/lib/logging.h"

#define BUS_ZAP_DOMAIN	"txgw"

int64_t bus_now_ms(void)
{
	struct timespec ts;

	osmo_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool bus_endpoint_is_local(const char *ep)
{
	static const char *const local[] = { "tcp://127.0.0.1:", "tcp://[::1]:", "ipc://" };

	if (!ep)
		return false;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		size_t n = strlen(local[i]);
		if (!strncmp(ep, local[i], n) && ep[n])
			return true;
	}
	return false;
}

/* ---- publishing ---- */

int bus_publish(struct bus *b, const char *topic, const char *payload, size_t len)
{
	if (!b || !topic || !*topic || (!payload && len))
		return -EINVAL;
	if (zmq_send(b->pub, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return errno == EAGAIN ? -EAGAIN : -EIO;
	/* the first frame is in: ZeroMQ takes the rest of the message */
	if (zmq_send(b->pub, payload, len, ZMQ_DONTWAIT) < 0)
		return -EIO;
	return 0;
}

/* The PUB socket reads nothing, but its commands (a subscriber arriving,
 * leaving, subscribing) must be processed or its fd stays readable and the
 * loop spins: reading ZMQ_EVENTS does that. */
static int pub_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct bus *b = ofd->data;
	int ev = 0;
	size_t sz = sizeof(ev);

	zmq_getsockopt(b->pub, ZMQ_EVENTS, &ev, &sz);
	return 0;
}

/* ---- set-up and tear-down ---- */

/* The options of one socket, before it binds (a listener copies them). */
static int sock_options(void *s, int type, const char *ep, const uint8_t *curve_secret)
{
	int one = 1, hwm = type == ZMQ_PUB ? BUS_PUB_SNDHWM : BUS_REPLAY_SNDHWM;
	int hs = BUS_HANDSHAKE_MS;
	int64_t maxmsg = type == ZMQ_PUB ? BUS_PUB_MAXMSG : BUS_REPLAY_MAXMSG;

	if (zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) < 0 ||
	    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &hs, sizeof(hs)) < 0)
		return -EINVAL;
	/* tcp://[::1]:PORT needs IPv6; not for the others, whose address
	 * would then read tcp://[::ffff:127.0.0.1]:PORT */
	if (!strncmp(ep, "tcp://[", 7) && zmq_setsockopt(s, ZMQ_IPV6, &one, sizeof(one)) < 0)
		return -EINVAL;
	if (type == ZMQ_ROUTER && zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0)
		return -EINVAL;
	if (!curve_secret)
		return 0;
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, curve_secret, 32) < 0 ||
	    zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, BUS_ZAP_DOMAIN, strlen(BUS_ZAP_DOMAIN)) < 0)
		return -EINVAL;
	return 0;
}

/* ZeroMQ's own error numbers (past ZMQ_HAUSNUMERO) mean nothing to
 * strerror(): those become -EIO, the log line has zmq_strerror()'s text. */
static int zmq_neg_errno(void)
{
	int e = zmq_errno();
	return e > 0 && e < ZMQ_HAUSNUMERO ? -e : -EIO;
}

static int sock_open(struct bus *b, int type, const char *ep, const uint8_t *curve_secret,
		     struct osmo_fd *ofd, int (*cb)(struct osmo_fd *, unsigned int), void **out)
{
	const char *what = type == ZMQ_PUB ? "publish" : "replay";
	void *s = zmq_socket(b->zctx, type);
	int fd, zero = 0, rc;
	size_t sz = sizeof(fd);

	if (!s || sock_options(s, type, ep, curve_secret) < 0)
		goto fail;
	if (curve_secret) {
		rc = bus_zap_watch(b, s, what);	/* logs why it failed */
		if (rc < 0)
			goto close;
	}
	if (zmq_bind(s, ep) < 0 || zmq_getsockopt(s, ZMQ_FD, &fd, &sz) < 0)
		goto fail;
	osmo_fd_setup(ofd, fd, OSMO_FD_READ, cb, b, 0);
	rc = osmo_fd_register(ofd);
	if (rc < 0) {
		ofd->fd = -1;
		LOGP(DBUS, LOGL_ERROR, "cannot bind the %s socket to %s: cannot register its fd\n",
		     what, ep);
		goto close;
	}
	*out = s;
	return 0;
fail:
	rc = zmq_neg_errno();
	LOGP(DBUS, LOGL_ERROR, "cannot bind the %s socket to %s: %s\n", what, ep,
	     zmq_strerror(zmq_errno()));
close:
	if (s) {
		zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(s);
	}
	return rc;
}

static int bus_bind(struct bus *b, const struct bus_cfg *cfg)
{
	int rc;

	if (cfg->curve_secret) {
		b->curve = true;
		memcpy(b->curve_secret, cfg->curve_secret, sizeof(b->curve_secret));
		/* the handler first: see bus_zap.c */
		rc = bus_zap_open(b, cfg->clients);
		if (rc < 0)
			return rc;
	}
	rc = sock_open(b, ZMQ_PUB, cfg->publish, cfg->curve_secret, &b->pub_ofd, pub_fd_cb, &b->pub);
	if (rc == 0 && cfg->replay)
		rc = sock_open(b, ZMQ_ROUTER, cfg->replay, cfg->curve_secret, &b->rtr_ofd,
			       bus_router_fd_cb, &b->router);
	return rc;
}

int bus_open(void *ctx, const struct bus_cfg *cfg, const struct bus_replay_ops *ops, void *data,
	     struct bus **out)
{
	struct bus *b;
	int rc;

	if (!cfg || !cfg->publish || (cfg->replay && (!ops || !ops->range || !ops->fetch))) {
		LOGP(DBUS, LOGL_ERROR, "bus_open: %s\n", !cfg || !cfg->publish ? "no publish endpoint"
							     : "replay without replay callbacks");
		rc = -EINVAL;
		goto free_clients;
	}
	b = talloc_zero(ctx, struct bus);
	if (!b) {
		LOGP(DBUS, LOGL_ERROR, "bus: out of memory\n");
		rc = -ENOMEM;
		goto free_clients;
	}
	INIT_LLIST_HEAD(&b->jobs);
	b->ops = ops;
	b->data = data;
	b->stall_ms = cfg->stall_ms ? cfg->stall_ms : BUS_STALL_MS;
	b->busy_log.interval_ms = BUS_LOG_EVERY_MS;
	b->stall_log.interval_ms = BUS_LOG_EVERY_MS;
	b->pub_ofd.fd = -1;
	b->rtr_ofd.fd = -1;
	osmo_timer_setup(&b->timer, bus_router_timer_cb, b);
	/* the key set is the bus's from here on, whatever happens */
	talloc_steal(b, cfg->clients);
	b->zctx = zmq_ctx_new();
	if (!b->zctx) {
		rc = zmq_neg_errno();
		LOGP(DBUS, LOGL_ERROR, "bus: no ZeroMQ context: %s\n", zmq_strerror(zmq_errno()));
		goto fail;
	}
	rc = bus_bind(b, cfg);
	if (rc < 0)
		goto fail;
	char pe[128] = "", re[128] = "(none)";
	bus_endpoint(b, 0, pe, sizeof(pe));
	if (b->router)
		bus_endpoint(b, 1, re, sizeof(re));
	LOGP(DBUS, LOGL_NOTICE, "publishing on %s, replay on %s, %s\n", pe, re,
	     cfg->curve_secret ? "CURVE" : "no CURVE (plain text)");
	*out = b;
	return 0;
fail:
	bus_close(b);
	return rc;
free_clients:
	if (cfg)
		talloc_free(cfg->clients);
	return rc;
}

void bus_get_stats(const struct bus *b, struct bus_stats *st)
{
	*st = b->st;
}

int bus_endpoint(const struct bus *b, int which, char *out, size_t cap)
{
	void *s = which ? b->router : b->pub;
	size_t sz = cap;

	if (!s)
		return -EIO;
	if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &sz) < 0)
		return errno == EINVAL ? -ENOSPC : -EIO;
	return 0;
}

void bus_close(struct bus *b)
{
	int linger = BUS_PUB_LINGER_MS, zero = 0;

	if (!b)
		return;
	osmo_timer_del(&b->timer);
	bus_jobs_free(b);
	if (b->pub_ofd.fd >= 0)
		osmo_fd_unregister(&b->pub_ofd);
	if (b->rtr_ofd.fd >= 0)
		osmo_fd_unregister(&b->rtr_ofd);
	if (b->pub) {
		zmq_setsockopt(b->pub, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(b->pub);
	}
	if (b->router) {
		zmq_setsockopt(b->router, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(b->router);
	}
	bus_zap_close(b);	/* after the sockets: see bus_zap.c */
	if (b->zctx)
		zmq_ctx_term(b->zctx);	/* waits for the PUB linger */
	talloc_free(b);
}

int bus_zmq_events(void *sock)
{
	int ev = 0;
	size_t sz = sizeof(ev);

	if (zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz) < 0)
		return 0;
	return ev;
}

int bus_zmq_neg_errno(void)
{
	return zmq_neg_errno();
}

void *bus_zmq_ctx(struct bus *b)
{
	return b->zctx;
}

int bus_sock_secure(struct bus *b, void *sock, const char *what)
{
	int one = 1, hs = BUS_HANDSHAKE_MS;
	int rc;

	/* the same as the publish and replay sockets (sock_options()): a
	 * greeting that does not finish in time is dropped; with a CURVE
	 * key, CURVE and the ZAP handler's list of clients.  The caller sets
	 * its own ZMQ_MAXMSGSIZE. */
	if (zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &hs, sizeof(hs)) < 0)
		goto fail;
	if (!b->curve)
		return 0;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, b->curve_secret, sizeof(b->curve_secret)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, BUS_ZAP_DOMAIN, strlen(BUS_ZAP_DOMAIN)) < 0)
		goto fail;
	rc = bus_zap_watch(b, sock, what);	/* logs why it failed */
	return rc;
fail:
	rc = zmq_neg_errno();
	LOGP(DBUS, LOGL_ERROR, "the %s socket: cannot set its options: %s\n", what, zmq_strerror(zmq_errno()));
	return rc;
}
