/*
 * bus_replay.c — the replay socket (bus.md "Replay"): requests read from
 * the ROUTER socket, answered from the journal as jobs.
 *
 * ZMQ_FD is edge-triggered: it only says "the socket's state may have
 * changed", and any zmq_send()/zmq_recv()/ZMQ_EVENTS call may consume that
 * signal while messages are still queued.  So a wake-up reads requests
 * while there are any, and the state is read again after the last send or
 * receive; work left over (a replay bigger than one burst, more requests
 * than one burst) goes on from a zero timer instead of waiting for a
 * wake-up that will not come.
 *
 * Every request is read, whatever is in progress: a request ZeroMQ holds
 * unread also holds the connection it came on, which ZeroMQ cannot tear
 * down until it is read, so a client that asked, never read and left would
 * keep its answers blocked for ever.  A request beyond BUS_CLIENT_JOBS of
 * its client in progress, or BUS_MAX_JOBS in all, is answered busy (after
 * the client's earlier answers, so that the answers keep the order of the
 * requests: the job before it owes it).
 *
 * The ROUTER socket is ZMQ_ROUTER_MANDATORY: a client whose queue is at its
 * high-water mark (BUS_REPLAY_SNDHWM messages) makes zmq_send() fail with
 * EAGAIN on the identity frame, and nothing of the message is queued; once
 * the identity frame is taken, the rest of the message is taken too.  A
 * client that left fails with EHOSTUNREACH.  An EAGAIN job waits: ZeroMQ
 * wakes the socket's fd when a queue drains (activate_write), and a timer
 * backs off from BUS_RETRY_MIN_MS to BUS_RETRY_MAX_MS for a wake-up an
 * earlier call consumed; it stops when nothing is blocked.  A client that
 * has not taken a message for stall_ms loses all its jobs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <zmq.h>

#include "gateway/bus/bus_int.h"
#include "gateway/lib/cursor.h"
#include "gateway/lib/logging.h"

#define BUS_RETRY_MIN_MS	100	/* a blocked answer is tried again after ... */
#define BUS_RETRY_MAX_MS	1000	/* ... doubling up to this */
#define BUS_ID_MAX		255	/* ZeroMQ routing ids are 1..255 bytes */
#define BUS_REQ_FRAMES		3	/* REPLAY, from, max */
#define BUS_REQ_FRAME_MAX	24	/* longer frames are bad requests anyway */
#define BUS_WHO_MAX		96	/* "ADDRESS key Z85" for the log */

struct bus_job {
	struct llist_head list;
	uint8_t id[BUS_ID_MAX];
	size_t id_len;
	char who[BUS_WHO_MAX];	/* the client, for the log */
	uint64_t cur, end;	/* seqs still to send: [cur, end) */
	char word[8];		/* the closing reply: "END" or "ERROR" ... */
	char arg[24];		/* ... and its argument */
	bool closed;		/* the closing reply is out */
	bool gone;		/* dropped: freed at the end of the pass */
	unsigned busy_owed;	/* ["ERROR", "busy"] to send after the closing reply */
	int64_t blocked_since;	/* the first EAGAIN of a row; 0: not blocked */
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

/* ---- sending ---- */

static int zevents(void *sock)
{
	int ev = 0;
	size_t sz = sizeof(ev);

	if (zmq_getsockopt(sock, ZMQ_EVENTS, &ev, &sz) < 0)
		return 0;
	return ev;
}

/* Send identity + two frames; ZeroMQ decides on the identity frame whether
 * the whole message goes (see the head of the file). */
static int router_send(struct bus *b, const uint8_t *id, size_t id_len,
		       const void *f1, size_t l1, const void *f2, size_t l2)
{
	if (zmq_send(b->router, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
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
	e->rc = router_send(e->b, e->j->id, e->j->id_len, topic, strlen(topic), payload, len);
	if (e->rc == 0)
		e->b->st.replayed++;
	return e->rc;
}

/* ---- jobs ---- */

static bool same_client(const struct bus_job *j, const uint8_t *id, size_t id_len)
{
	return j->id_len == id_len && !memcmp(j->id, id, id_len);
}

static void job_free(struct bus *b, struct bus_job *j)
{
	llist_del(&j->list);
	b->n_jobs--;
	talloc_free(j);
}

void bus_jobs_free(struct bus *b)
{
	struct bus_job *j, *tmp;

	llist_for_each_entry_safe(j, tmp, &b->jobs, list)
		job_free(b, j);
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
 * Serve a job within *budget messages: 1 done (closing reply and the busy
 * answers it owes sent), 0 out of budget, -EAGAIN the client's queue is
 * full, -EHOSTUNREACH it left, -EIO a send failed half-way.
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
	if (!j->closed) {
		rc = router_send(b, j->id, j->id_len, j->word, strlen(j->word), j->arg, strlen(j->arg));
		if (rc)
			return rc;
		j->closed = true;
	}
	while (j->busy_owed) {
		rc = router_send(b, j->id, j->id_len, "ERROR", 5, "busy", 4);
		if (rc)
			return rc;
		j->busy_owed--;
	}
	return 1;
}

/* Does a job queued before j answer the same client?  Answers to one
 * client go out in the order of its requests. */
static bool earlier_same_client(struct bus *b, struct bus_job *j)
{
	struct bus_job *k;

	llist_for_each_entry(k, &b->jobs, list) {
		if (k == j)
			return false;
		if (!k->gone && same_client(k, j->id, j->id_len))
			return true;
	}
	return false;
}

/* Drop every job of j's client: it left, or it stopped reading. */
static void drop_client(struct bus *b, struct bus_job *j, bool stalled)
{
	struct bus_job *k;
	unsigned n = 0;

	llist_for_each_entry(k, &b->jobs, list) {
		if (!k->gone && same_client(k, j->id, j->id_len)) {
			k->gone = true;
			n++;
		}
	}
	if (!stalled) {
		b->st.lost_clients++;
		return;
	}
	b->st.stalled++;
	LOGP_RL(&b->stall_log, DBUS, LOGL_NOTICE, "replay: client %s has not read its answers for "
		"%u ms: its %u requests dropped", j->who, b->stall_ms, n);
}

/* Serve j (its client's first job) and act on the outcome; true when
 * something went out. */
static bool serve_one(struct bus *b, struct bus_job *j, unsigned *budget, int64_t now)
{
	uint64_t sent = b->st.replayed;
	bool closed = j->closed, progress;
	unsigned owed = j->busy_owed;
	int rc = job_serve(b, j, budget);

	progress = sent != b->st.replayed || closed != j->closed || owed != j->busy_owed;
	if (progress)
		j->blocked_since = 0;
	if (rc == -EAGAIN) {
		if (!j->blocked_since)
			j->blocked_since = now;
		else if (now - j->blocked_since >= b->stall_ms)
			drop_client(b, j, true);
	} else if (rc == -EHOSTUNREACH || rc == -EIO) {
		drop_client(b, j, false);
	} else if (rc == 1) {
		j->gone = true;
	}
	return progress;
}

static void jobs_sweep(struct bus *b)
{
	struct bus_job *j, *tmp;

	llist_for_each_entry_safe(j, tmp, &b->jobs, list)
		if (j->gone)
			job_free(b, j);
}

/* One pass over the jobs; true when something went out. */
static bool jobs_serve(struct bus *b, unsigned *budget, int64_t now)
{
	struct bus_job *j;
	bool progress = false;

	llist_for_each_entry(j, &b->jobs, list) {
		if (!*budget)
			break;
		if (j->gone || earlier_same_client(b, j))
			continue;
		progress |= serve_one(b, j, budget, now);
	}
	jobs_sweep(b);
	return progress;
}

/* ---- requests ---- */

/* A request that found its client's (or everyone's) jobs at the cap. */
static void answer_busy(struct bus *b, const uint8_t *id, size_t id_len, const char *who,
			struct bus_job *last, unsigned mine)
{
	b->st.busy++;
	b->st.refused++;
	LOGP_RL(&b->busy_log, DBUS, LOGL_NOTICE, "replay: client %s has %u requests in progress "
		"(%u in all): answered busy", who, mine, b->n_jobs);
	if (last) {
		if (last->busy_owed < UINT32_MAX)
			last->busy_owed++;
		return;
	}
	/* nothing of this client in progress: now or never (its queue may be
	 * full; the client that does not read does not miss it) */
	router_send(b, id, id_len, "ERROR", 5, "busy", 4);
}

/* The client for the log: its address, and its key with CURVE. */
static void client_name(zmq_msg_t *m, char *out, size_t cap)
{
	const char *addr = zmq_msg_gets(m, "Peer-Address");
	const char *user = zmq_msg_gets(m, "User-Id");

	snprintf(out, cap, "%s%s%s", addr ? addr : "?", user && *user ? " key " : "",
		 user ? user : "");
}

/* A job for the request, or NULL when it was answered busy. */
static struct bus_job *admit(struct bus *b, const uint8_t *id, size_t id_len, const char *who,
			     int parse_rc, uint64_t from, unsigned max)
{
	struct bus_job *j, *last = NULL;
	unsigned mine = 0;

	llist_for_each_entry(j, &b->jobs, list) {
		if (!j->gone && same_client(j, id, id_len)) {
			mine++;
			last = j;
		}
	}
	if (mine >= BUS_CLIENT_JOBS || b->n_jobs >= BUS_MAX_JOBS) {
		answer_busy(b, id, id_len, who, last, mine);
		return NULL;
	}
	j = talloc_zero(b, struct bus_job);
	if (!j) {
		answer_busy(b, id, id_len, who, last, mine);
		return NULL;
	}
	memcpy(j->id, id, id_len);
	j->id_len = id_len;
	snprintf(j->who, sizeof(j->who), "%s", who);
	llist_add_tail(&j->list, &b->jobs);
	b->n_jobs++;
	job_plan(b, j, parse_rc, from, max);
	return j;
}

/* Receive one whole message and admit it; 1 and *job (NULL when answered
 * busy or not answerable), or 0 when there is none. */
static int read_request(struct bus *b, struct bus_job **job)
{
	uint8_t id[BUS_ID_MAX], fb[BUS_REQ_FRAMES][BUS_REQ_FRAME_MAX];
	struct bus_frame fr[BUS_REQ_FRAMES];
	char who[BUS_WHO_MAX] = "?";
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
		} else if (part == 1) {
			client_name(&m, who, sizeof(who));
		}
		if (part > 0 && n < BUS_REQ_FRAMES && len <= BUS_REQ_FRAME_MAX) {
			memcpy(fb[n], p, len);
			fr[n].buf = fb[n];
			fr[n].len = len;
			n++;
		} else if (part > 0) {
			bad = true;
		}
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
		part++;
	}
	*job = NULL;
	if (id_len == 0)
		return 1;	/* no routing id: no way to answer */
	int rc = bad ? -EINVAL : bus_parse_replay(fr, n, &from, &max);
	*job = admit(b, id, id_len, who, rc, from, max);
	return 1;
}

/* ---- the wake-up ---- */

/* What is left: more work now (zero timer), a blocked client (back-off
 * timer), or nothing (no timer: the loop sleeps until the fd wakes). */
static void reschedule(struct bus *b, bool more, bool progress)
{
	struct bus_job *j;
	bool blocked = false;

	llist_for_each_entry(j, &b->jobs, list) {
		if (earlier_same_client(b, j))
			continue;
		if (j->blocked_since)
			blocked = true;
		else
			more = true;	/* out of budget */
	}
	/* read the state after the last send/recv: it may have eaten the
	 * edge of messages still queued */
	if (zevents(b->router) & ZMQ_POLLIN)
		more = true;
	if (more || progress)
		b->backoff_ms = BUS_RETRY_MIN_MS;
	if (more) {
		osmo_timer_schedule(&b->timer, 0, 0);
	} else if (blocked) {
		osmo_timer_schedule(&b->timer, b->backoff_ms / 1000, (b->backoff_ms % 1000) * 1000);
		b->backoff_ms = b->backoff_ms * 2 > BUS_RETRY_MAX_MS ? BUS_RETRY_MAX_MS : b->backoff_ms * 2;
	} else {
		osmo_timer_del(&b->timer);
	}
}

/* All the replay work one wake-up may do; see the head of the file. */
static void router_run(struct bus *b)
{
	unsigned budget = BUS_REPLAY_BURST, n = 0;
	int64_t now = bus_now_ms();
	struct bus_job *j;
	bool progress = false;

	/* a request is served as it is read when it can be, so that only
	 * answers that really wait count as in progress */
	while (n < BUS_READ_BURST && read_request(b, &j) > 0) {
		n++;
		if (j && budget && !earlier_same_client(b, j))
			progress |= serve_one(b, j, &budget, now);
		jobs_sweep(b);
	}
	progress |= jobs_serve(b, &budget, now);
	reschedule(b, n == BUS_READ_BURST, progress);
}

int bus_router_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	router_run(ofd->data);
	return 0;
}

void bus_router_timer_cb(void *data)
{
	router_run(data);
}
