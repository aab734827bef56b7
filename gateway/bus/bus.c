/*
 * bus.c — the ZeroMQ bus (bus.md): PUB for the live stream, ROUTER for
 * replay, both driven by the libosmocore select loop.
 *
 * ZMQ_FD is edge-triggered: it only says "the socket's state may have
 * changed", and any zmq_send()/zmq_recv()/ZMQ_EVENTS call may consume that
 * signal while messages are still queued.  So a wake-up drains the socket
 * while ZMQ_EVENTS has ZMQ_POLLIN, and the state is read again after the
 * last send or receive; work left over (a replay bigger than one burst, more
 * requests than queue room) goes on from a zero timer instead of waiting for
 * a wake-up that will not come.
 *
 * Replay answers are queued as jobs, one per request, served at most
 * BUS_REPLAY_BURST messages per wake-up so a big replay does not hold the
 * loop.  The ROUTER socket is ZMQ_ROUTER_MANDATORY: a client at its
 * high-water mark makes zmq_send() fail with EAGAIN (the job waits and is
 * retried after BUS_RETRY_MS) and a client that left fails with
 * EHOSTUNREACH (the job is dropped), instead of ZeroMQ dropping silently.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <zmq.h>

#include "gateway/bus/bus.h"
#include "gateway/lib/cursor.h"
#include "gateway/lib/log_ratelimit.h"
#include "gateway/lib/logging.h"

#define BUS_RETRY_MS		10	/* a blocked replay answer is tried again */
#define BUS_ID_MAX		255	/* ZeroMQ routing ids are 1..255 bytes */
#define BUS_REQ_FRAMES		3	/* REPLAY, from, max */
#define BUS_REQ_FRAME_MAX	24	/* longer frames are bad requests anyway */

struct bus_job {
	struct llist_head list;
	uint8_t id[BUS_ID_MAX];
	size_t id_len;
	uint64_t cur, end;	/* seqs still to send: [cur, end) */
	char word[8];		/* the closing reply: "END" or "ERROR" ... */
	char arg[24];		/* ... and its argument */
	bool blocked;		/* the client's queue was full */
};

struct bus {
	void *zctx;
	void *pub;
	void *router;
	struct osmo_fd pub_ofd;
	struct osmo_fd rtr_ofd;
	struct osmo_timer_list timer;
	const struct bus_replay_ops *ops;
	void *data;
	struct llist_head jobs;
	unsigned n_jobs;
	struct bus_stats st;
	/* a failing journal read, which a client can ask for again and again */
	struct log_ratelimit rl_read_fail;
};

/* ---- the request parser (pure) ---- */

/* Canonical unsigned decimal: 1..20 digits, no leading zero but "0". */
static int parse_dec(const struct bus_frame *f, uint64_t *out)
{
	struct rd r;
	uint64_t v = 0;
	uint8_t c;

	if (!f->buf || f->len == 0 || f->len > 20 || (f->len > 1 && f->buf[0] == '0'))
		return -EINVAL;
	rd_init(&r, f->buf, f->len);
	while (rd_left(&r)) {
		rd_u8(&r, &c);
		if (c < '0' || c > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (c - '0')) / 10)
			return -EINVAL;	/* past 2^64 - 1 */
		v = v * 10 + (c - '0');
	}
	*out = v;
	return rd_end(&r);
}

int bus_parse_replay(const struct bus_frame *f, unsigned n, uint64_t *from, unsigned *max)
{
	uint64_t fr, mx;

	if (!f || n != BUS_REQ_FRAMES || f[0].len != 6 || !f[0].buf ||
	    memcmp(f[0].buf, "REPLAY", 6))
		return -EINVAL;
	if (parse_dec(&f[1], &fr) || parse_dec(&f[2], &mx) || mx == 0)
		return -EINVAL;
	*from = fr;
	*max = mx > BUS_REPLAY_MAX ? BUS_REPLAY_MAX : (unsigned)mx;
	return 0;
}

/* ---- sockets ---- */

static int zevents(void *sock)
{
	int ev = 0;
	size_t sz = sizeof(ev);

	if (zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz) < 0)
		return 0;
	return ev;
}

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

/* Send identity + the frames; ZeroMQ decides on the identity frame
 * whether the whole message goes (multipart messages are atomic). */
static int router_send(struct bus *b, const struct bus_job *j,
		       const void *f1, size_t l1, const void *f2, size_t l2)
{
	if (zmq_send(b->router, j->id, j->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
		return errno == EAGAIN ? -EAGAIN : -EHOSTUNREACH;
	if (zmq_send(b->router, f1, l1, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(b->router, f2, l2, ZMQ_DONTWAIT) < 0)
		return -EIO;
	return 0;
}

struct emit_ctx {
	struct bus *b;
	struct bus_job *j;
	int rc;		/* the last send's result */
};

static int emit_cb(void *arg, const char *topic, const char *payload, size_t len)
{
	struct emit_ctx *e = arg;
	e->rc = router_send(e->b, e->j, topic, strlen(topic), payload, len);
	if (e->rc == 0)
		e->b->st.replayed++;
	return e->rc;
}

/* ---- replay jobs ---- */

static struct bus_job *job_new(struct bus *b, const uint8_t *id, size_t id_len)
{
	struct bus_job *j = talloc_zero(b, struct bus_job);

	if (!j)
		return NULL;
	memcpy(j->id, id, id_len);
	j->id_len = id_len;
	llist_add_tail(&j->list, &b->jobs);
	b->n_jobs++;
	return j;
}

static void job_free(struct bus *b, struct bus_job *j)
{
	llist_del(&j->list);
	b->n_jobs--;
	talloc_free(j);
}

/* Decide the answer to one request (bus.h explains each case). */
static void job_plan(struct bus *b, struct bus_job *j, int parse_rc, uint64_t from, unsigned max)
{
	uint64_t oldest = 1, next = 1;

	if (parse_rc) {
		b->st.bad_requests++;
		snprintf(j->word, sizeof(j->word), "ERROR");
		snprintf(j->arg, sizeof(j->arg), "bad request");
		return;
	}
	b->st.requests++;
	b->ops->range(b->data, &oldest, &next);
	if (from < oldest) {
		b->st.too_old++;
		snprintf(j->word, sizeof(j->word), "ERROR");
		snprintf(j->arg, sizeof(j->arg), "%" PRIu64, oldest);
		return;
	}
	j->cur = from;
	if (from >= next)
		j->end = from;
	else
		j->end = max > next - from ? next : from + max;
	snprintf(j->word, sizeof(j->word), "END");
	snprintf(j->arg, sizeof(j->arg), "%" PRIu64, from >= next ? next : j->end);
}

/*
 * Serve a job within *budget messages: 1 done (closing reply sent), 0 out of
 * budget, -EAGAIN the client's queue is full, -EHOSTUNREACH it left.
 */
static int job_serve(struct bus *b, struct bus_job *j, unsigned *budget)
{
	struct emit_ctx e = { b, j, 0 };
	int rc;

	while (j->cur < j->end) {
		if (!*budget)
			return 0;
		rc = b->ops->fetch(b->data, j->cur, 1, emit_cb, &e);
		if (e.rc)
			return e.rc;	/* whatever fetch() made of it */
		if (rc < 0) {
			/* the journal failed: close the answer here, the
			 * client asks again from the END it gets */
			LOGP_RL(&b->rl_read_fail, DBUS, LOGL_ERROR,
				"replay: journal read of seq %" PRIu64 " failed: %s", j->cur, strerror(-rc));
			j->end = j->cur;
			snprintf(j->arg, sizeof(j->arg), "%" PRIu64, j->cur);
			break;
		}
		j->cur++;
		(*budget)--;
	}
	rc = router_send(b, j, j->word, strlen(j->word), j->arg, strlen(j->arg));
	return rc ? rc : 1;
}

/* Does a job queued before j answer the same client?  Answers to one
 * client go out in the order of its requests. */
static bool earlier_same_client(struct bus *b, struct bus_job *j)
{
	struct bus_job *k;

	llist_for_each_entry(k, &b->jobs, list) {
		if (k == j)
			return false;
		if (k->id_len == j->id_len && !memcmp(k->id, j->id, j->id_len))
			return true;
	}
	return false;
}

static void jobs_serve(struct bus *b, unsigned *budget)
{
	struct bus_job *j, *tmp;
	int rc;

	llist_for_each_entry_safe(j, tmp, &b->jobs, list) {
		if (earlier_same_client(b, j))
			continue;
		rc = job_serve(b, j, budget);
		j->blocked = rc == -EAGAIN;
		if (rc == -EHOSTUNREACH || rc == -EIO) {
			b->st.lost_clients++;
			job_free(b, j);
		} else if (rc == 1) {
			job_free(b, j);
		}
		if (!*budget)
			return;
	}
}

/* Receive one whole message; 1 and a job queued, 0 when there is none. */
static int read_request(struct bus *b)
{
	uint8_t id[BUS_ID_MAX], fb[BUS_REQ_FRAMES][BUS_REQ_FRAME_MAX];
	struct bus_frame fr[BUS_REQ_FRAMES];
	unsigned n = 0, part = 0;
	size_t id_len = 0;
	bool bad = false, more = true;
	uint64_t from = 0;
	unsigned max = 0;
	zmq_msg_t m;

	while (more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, b->router, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			if (part == 0)
				return 0;
			bad = true;	/* cannot happen: parts arrive together */
			break;
		}
		size_t len = zmq_msg_size(&m);
		const uint8_t *p = zmq_msg_data(&m);
		if (part == 0) {
			id_len = len < sizeof(id) ? len : sizeof(id);
			memcpy(id, p, id_len);
		} else if (n < BUS_REQ_FRAMES && len <= BUS_REQ_FRAME_MAX) {
			memcpy(fb[n], p, len);
			fr[n].buf = fb[n];
			fr[n].len = len;
			n++;
		} else {
			bad = true;
		}
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
		part++;
	}
	if (id_len == 0)
		return 1;	/* no routing id: no way to answer */
	int rc = bad ? -EINVAL : bus_parse_replay(fr, n, &from, &max);
	struct bus_job *j = job_new(b, id, id_len);
	if (!j)
		return -ENOMEM;
	job_plan(b, j, rc, from, max);
	return 1;
}

/* All the replay work one wake-up may do; see the head of the file. */
static void router_run(struct bus *b)
{
	unsigned budget = BUS_REPLAY_BURST;
	struct bus_job *j;
	bool ready = false, blocked = false;

	while (b->n_jobs < BUS_MAX_JOBS && read_request(b) > 0)
		;
	jobs_serve(b, &budget);
	/* a job behind another of its client waits for that one: counting
	 * it as ready would spin the zero timer while the head is blocked */
	llist_for_each_entry(j, &b->jobs, list) {
		if (earlier_same_client(b, j))
			continue;
		if (j->blocked)
			blocked = true;
		else
			ready = true;
	}
	/* read the state after the last send/recv: it may have eaten the
	 * edge of messages still queued */
	if (b->n_jobs < BUS_MAX_JOBS && (zevents(b->router) & ZMQ_POLLIN))
		ready = true;
	if (ready)
		osmo_timer_schedule(&b->timer, 0, 0);
	else if (blocked)
		osmo_timer_schedule(&b->timer, 0, BUS_RETRY_MS * 1000);
}

static int router_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	router_run(ofd->data);
	return 0;
}

static void router_timer_cb(void *data)
{
	router_run(data);
}

/* The PUB socket reads nothing, but its commands (a subscriber arriving,
 * leaving) must be processed or its fd stays readable and the loop spins:
 * reading ZMQ_EVENTS does that. */
static int pub_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct bus *b = ofd->data;

	zevents(b->pub);
	return 0;
}

/* ---- set-up and tear-down ---- */

/* ZeroMQ's own error numbers (past ZMQ_HAUSNUMERO) mean nothing to
 * strerror(): those become -EIO, the log line has zmq_strerror()'s text. */
static int zmq_neg_errno(void)
{
	int e = zmq_errno();
	return e > 0 && e < ZMQ_HAUSNUMERO ? -e : -EIO;
}

static int sock_open(struct bus *b, int type, const char *ep, struct osmo_fd *ofd,
		     int (*cb)(struct osmo_fd *, unsigned int), void **out)
{
	void *s = zmq_socket(b->zctx, type);
	int one = 1, hwm = BUS_PUB_SNDHWM, fd, rc;
	size_t sz = sizeof(fd);

	if (!s)
		goto fail;
	if (type == ZMQ_PUB && zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0)
		goto fail;
	if (type == ZMQ_ROUTER && zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof(one)) < 0)
		goto fail;
	if (zmq_bind(s, ep) < 0)
		goto fail;
	if (zmq_getsockopt(s, ZMQ_FD, &fd, &sz) < 0)
		goto fail;
	osmo_fd_setup(ofd, fd, OSMO_FD_READ, cb, b, 0);
	rc = osmo_fd_register(ofd);
	if (rc < 0) {
		ofd->fd = -1;
		LOGP(DBUS, LOGL_ERROR, "cannot bind %s: cannot register its fd\n", ep);
		goto close;
	}
	*out = s;
	return 0;
fail:
	rc = zmq_neg_errno();
	LOGP(DBUS, LOGL_ERROR, "cannot bind %s: %s\n", ep, zmq_strerror(zmq_errno()));
close:
	if (s) {
		int zero = 0;
		zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(s);
	}
	return rc;
}

int bus_open(void *ctx, const char *pub_ep, const char *replay_ep, const struct bus_replay_ops *ops,
	     void *data, struct bus **out)
{
	struct bus *b;
	int rc;

	if (!pub_ep || (replay_ep && (!ops || !ops->range || !ops->fetch))) {
		LOGP(DBUS, LOGL_ERROR, "bus_open: %s\n", !pub_ep ? "no publish endpoint"
							   : "replay without replay callbacks");
		return -EINVAL;
	}
	b = talloc_zero(ctx, struct bus);
	if (!b) {
		LOGP(DBUS, LOGL_ERROR, "bus: out of memory\n");
		return -ENOMEM;
	}
	INIT_LLIST_HEAD(&b->jobs);
	b->ops = ops;
	b->data = data;
	b->pub_ofd.fd = -1;
	b->rtr_ofd.fd = -1;
	osmo_timer_setup(&b->timer, router_timer_cb, b);
	b->zctx = zmq_ctx_new();
	if (!b->zctx) {
		rc = zmq_neg_errno();
		LOGP(DBUS, LOGL_ERROR, "bus: no ZeroMQ context: %s\n", zmq_strerror(zmq_errno()));
		goto fail;
	}
	rc = sock_open(b, ZMQ_PUB, pub_ep, &b->pub_ofd, pub_fd_cb, &b->pub);
	if (rc == 0 && replay_ep)
		rc = sock_open(b, ZMQ_ROUTER, replay_ep, &b->rtr_ofd, router_fd_cb, &b->router);
	if (rc < 0)
		goto fail;
	char pe[128] = "", re[128] = "(none)";
	bus_endpoint(b, 0, pe, sizeof(pe));
	if (b->router)
		bus_endpoint(b, 1, re, sizeof(re));
	LOGP(DBUS, LOGL_NOTICE, "publishing on %s, replay on %s\n", pe, re);
	*out = b;
	return 0;
fail:
	bus_close(b);
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
	struct bus_job *j, *tmp;
	int linger = BUS_PUB_LINGER_MS, zero = 0;

	if (!b)
		return;
	osmo_timer_del(&b->timer);
	llist_for_each_entry_safe(j, tmp, &b->jobs, list)
		job_free(b, j);
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
	if (b->zctx)
		zmq_ctx_term(b->zctx);	/* waits for the PUB linger */
	talloc_free(b);
}
