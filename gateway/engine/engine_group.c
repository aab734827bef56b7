/*
 * engine_group.c — one input's journal entries as a group, group commit,
 * and what happens after the sync: answers, then publication.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "gateway/engine/engine_int.h"
#include "gateway/engine/jrec.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"

static void schedule_flush(struct engine *e)
{
	if (!osmo_timer_pending(&e->flush_timer))
		osmo_timer_schedule(&e->flush_timer, 0, 0);
}

int group_begin(struct group *g, struct engine *e, const char *bearer, const char *src,
		int64_t rx_ms, engine_ack_cb cb, void *cb_data)
{
	g->e = e;
	g->bearer = bearer;
	g->src = src;
	g->rx_ms = rx_ms;
	g->n = 0;
	g->p = talloc_zero(e, struct pending);
	if (!g->p)
		return -ENOMEM;
	g->p->cb = cb;
	g->p->cb_data = cb_data;
	return 0;
}

void group_append(struct group *g, uint8_t type, const void *buf, size_t len, uint64_t *entry)
{
	struct engine *e = g->e;
	uint64_t ent = 0, seq = 0;
	int rc;

	if (g->p->err)
		return;
	if (e->down) {
		g->p->err = e->down;
		return;
	}
	rc = journal_append(e->j, type, type == JREC_MSG, buf, len, &ent, &seq);
	if (rc < 0) {
		g->p->err = rc;
		/* a failed write fails the journal; an entry refused whole
		 * (-ERANGE) does not, and group_commit() takes it from there */
		if (journal_failed(e->j))
			engine_down(e, journal_failed(e->j), true);
		return;
	}
	engine_ctr(e, TXGW_CTR_JOURNAL_ENTRIES, 1);
	g->n++;
	if (entry)
		*entry = ent;
}

uint64_t group_next_seq(const struct group *g)
{
	return journal_last_seq(g->e->j) + 1;
}

/* Journal one bus message and keep it for publication after the sync. */
void group_msg(struct group *g, const char *topic, const char *json, size_t len)
{
	struct jrec_msg m = { .topic = topic, .topic_len = strlen(topic), .payload = json, .len = len };
	struct pending *p = g->p;
	int n = jrec_msg_encode(g->e->buf, JOURNAL_MAX_PAYLOAD, &m);

	if (n < 0) {
		p->err = p->err ? p->err : n;
		return;
	}
	group_append(g, JREC_MSG, g->e->buf, (size_t)n, NULL);
	if (p->err)
		return;
	struct pmsg *msgs = talloc_realloc(p, p->msgs, struct pmsg, p->n_msgs + 1);
	if (!msgs) {
		p->err = -ENOMEM;
		return;
	}
	p->msgs = msgs;
	msgs[p->n_msgs].topic = topic;
	msgs[p->n_msgs].payload = talloc_memdup(p, json, len);
	msgs[p->n_msgs].len = len;
	p->n_msgs++;
}

void group_commit(struct group *g)
{
	struct engine *e = g->e;
	uint64_t ent = 0;

	group_append(g, JREC_COMMIT, NULL, 0, &ent);
	if (g->p->err) {
		/* the group stays without its COMMIT, and the ledger may hold
		 * what its frames did: nothing more may be appended after it
		 * (a rebuild could not cut it off), and memory is no longer
		 * what the journal holds.  Down, until rebuilt from it. */
		engine_down(e, g->p->err, false);
	} else {
		e->last_commit = ent;
		e->commit_seq = journal_last_seq(e->j);
	}
	llist_add_tail(&g->p->list, &e->pending);
	e->n_pending++;
	schedule_flush(e);
}

static void publish(struct engine *e, const struct pending *p)
{
	for (unsigned i = 0; i < p->n_msgs; i++) {
		if (!e->bus)
			break;
		if (bus_publish(e->bus, p->msgs[i].topic, p->msgs[i].payload, p->msgs[i].len) == 0)
			engine_ctr(e, TXGW_CTR_BUS_PUBLISHED, 1);
	}
}

/* Answer and publish every input of list, once its sync ended with rc. */
static void answer(struct engine *e, struct llist_head *list, int rc)
{
	struct pending *p, *tmp;

	llist_for_each_entry_safe(p, tmp, list, list) {
		int status = p->err ? p->err : rc;
		llist_del(&p->list);
		e->n_pending--;
		if (p->cb)
			p->cb(p->cb_data, status);
		if (status == 0)
			publish(e, p);
		talloc_free(p);
	}
}

static void sync_done(struct engine *e, struct llist_head *list, int rc)
{
	if (rc < 0) {
		/* logged once, by engine_down(); the inputs get a temporary error */
		engine_ckpt_drop(e);
		engine_down(e, e->j && journal_failed(e->j) ? journal_failed(e->j) : rc, true);
	} else {
		engine_ctr(e, TXGW_CTR_JOURNAL_SYNCS, 1);
	}
	answer(e, list, rc);
	if (rc == 0)
		engine_ckpt_synced(e);
}

/*
 * Group commit without blocking the loop: the inputs journaled so far move
 * to the syncing list and a background fdatasync starts; the loop goes on
 * reading, verifying and journaling while the disk works.  When the sync
 * ends (sync_fd_cb) they are answered, and the inputs journaled meanwhile
 * get the next sync.
 */
int engine_flush(struct engine *e)
{
	int rc;

	osmo_timer_del(&e->flush_timer);
	if (llist_empty(&e->pending) || !llist_empty(&e->syncing))
		return 0;
	if (e->sync_ofd.fd < 0 || !e->j)
		return engine_flush_wait(e);
	llist_splice_init(&e->pending, &e->syncing);
	engine_ckpt_take(e);
	rc = journal_sync_async(e->j);
	if (rc == 0)
		return 0;
	/* nothing appended (every group failed before its first entry), or an
	 * error: answer now */
	LLIST_HEAD(now);
	llist_splice_init(&e->syncing, &now);
	sync_done(e, &now, rc == 1 ? 0 : rc);
	return rc == 1 ? 0 : rc;
}

int engine_flush_wait(struct engine *e)
{
	LLIST_HEAD(all);
	int rc;

	osmo_timer_del(&e->flush_timer);
	if (llist_empty(&e->pending) && llist_empty(&e->syncing))
		return 0;
	if (e->j) {
		engine_ckpt_take(e);
		rc = journal_sync(e->j);	/* waits for a background one in flight */
	} else {
		rc = e->down ? e->down : -EIO;	/* no journal: nothing was appended */
	}
	/* each splice goes to the front: syncing first, then pending */
	llist_splice_init(&e->pending, &all);
	llist_splice_init(&e->syncing, &all);
	sync_done(e, &all, rc);
	return rc;
}

static int sync_fd_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct engine *e = ofd->data;
	int rc = journal_sync_complete(e->j);

	if (rc == 0 || llist_empty(&e->syncing))
		return 0;	/* not ours, or already collected by a blocking sync */
	LLIST_HEAD(done);
	llist_splice_init(&e->syncing, &done);
	sync_done(e, &done, rc < 0 ? rc : 0);
	if (!llist_empty(&e->pending))
		engine_flush(e);
	return 0;
}

int engine_sync_start(struct engine *e)
{
	if (!e->j)
		return 0;	/* opened down: started when it resumes */
	int fd = journal_sync_fd(e->j);
	if (fd < 0)
		return fd;
	osmo_fd_setup(&e->sync_ofd, fd, OSMO_FD_READ, sync_fd_cb, e, 0);
	return osmo_fd_register(&e->sync_ofd);
}

void engine_sync_stop(struct engine *e)
{
	if (e->sync_ofd.fd >= 0)
		osmo_fd_unregister(&e->sync_ofd);
	e->sync_ofd.fd = -1;
}

int engine_async_sync(struct engine *e)
{
	e->want_async = true;
	return e->sync_ofd.fd >= 0 ? 0 : engine_sync_start(e);
}
