/*
 * engine_recover.c — the engine's durable side: rebuilding state from the
 * journal at start-up, ledger checkpoints, retention, and bus replay.
 *
 * Checkpoint file state-dir/ledger.ckpt (written atomically):
 *   "TXGWCKPT" u64 entry (the last journal entry it covers, big-endian)
 *   then a ledger snapshot (ledger.h) to the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include "gateway/engine/engine_int.h"
#include "gateway/engine/jrec.h"
#include "gateway/engine/outbox_int.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/cursor.h"
#include "gateway/lib/logging.h"
#include "gateway/sms/concat.h"
#include "gateway/txlog/ledger.h"

/* ---- checkpoints ------------------------------------------------------------ */

struct growbuf {
	uint8_t *buf;
	size_t len;
};

static int grow_write(void *arg, const uint8_t *buf, size_t len)
{
	struct growbuf *g = arg;
	uint8_t *nb = talloc_realloc_size(NULL, g->buf, g->len + len);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + g->len, buf, len);
	g->buf = nb;
	g->len += len;
	return 0;
}

/*
 * A checkpoint must hold the ledger exactly as the journal up to its entry
 * leaves it.  The ledger in memory runs ahead of what is synced (groups
 * appended while a sync runs), so it is snapshot when a sync starts, as of
 * the last entry appended, and only when that entry ends a group; it is
 * written once that sync succeeded.  Taken any later, it could hold what a
 * crash or a failed sync then loses, and a rebuild would take an upload
 * the sender retries for a duplicate: its records would never be published.
 */
static void ckpt_snap(struct engine *e)
{
	struct growbuf g = { 0 };
	uint64_t last = journal_last_entry(e->j);
	uint8_t hdr[16];
	struct wr w;

	if (e->snap.buf || e->down || last != e->last_commit)
		return;		/* one waits already, or a group is open */
	wr_init(&w, hdr, sizeof(hdr));
	wr_bytes(&w, ENGINE_CKPT_MAGIC, 8);
	wr_u64(&w, last);
	if (grow_write(&g, hdr, sizeof(hdr)) < 0 || ledger_snapshot(e->l, grow_write, &g) < 0) {
		LOGP(DJOURNAL, LOGL_ERROR, "ledger checkpoint: %s\n", strerror(ENOMEM));
		talloc_free(g.buf);
		return;
	}
	e->snap.buf = talloc_steal(e, g.buf);
	e->snap.len = g.len;
	e->snap.entry = last;
}

void engine_ckpt_take(struct engine *e)
{
	if (journal_last_entry(e->j) - e->ckpt_entry >= e->cfg.checkpoint_every)
		ckpt_snap(e);
}

void engine_ckpt_drop(struct engine *e)
{
	TALLOC_FREE(e->snap.buf);
}

/* Write the snapshot taken; 0 or a negative errno, logged. */
static int ckpt_write(struct engine *e)
{
	int rc = journal_write_file_atomic(e->cfg.state_dir, ENGINE_CKPT_NAME, e->snap.buf, e->snap.len);

	if (rc == 0) {
		e->ckpt_entry = e->snap.entry;
		LOGP(DJOURNAL, LOGL_INFO, "ledger checkpoint: %zu devices up to entry %llu (%zu bytes)\n",
		     ledger_count(e->l), (unsigned long long)e->snap.entry, e->snap.len);
	} else {
		LOGP(DJOURNAL, LOGL_ERROR, "ledger checkpoint failed: %s\n", strerror(-rc));
	}
	engine_ckpt_drop(e);
	return rc;
}

static void min_cookie(void *data, const struct concat_partial *p)
{
	uint64_t *min = data;
	for (unsigned i = 0; i < p->n_parts; i++)
		if (p->cookies[i] < *min)
			*min = p->cookies[i];
}

/* A sync ended well: write the checkpoint it covers, then let the journal
 * drop what neither replay (journal-keep messages) nor a rebuild (entries
 * after the checkpoint, segments of incomplete messages) needs. */
void engine_ckpt_synced(struct engine *e)
{
	uint64_t needed;

	if (!e->snap.buf || e->snap.entry > journal_synced_entry(e->j))
		return;
	if (ckpt_write(e) < 0)
		return;
	needed = e->ckpt_entry + 1;
	concat_walk(e->cc, min_cookie, &needed);
	/* the downlink's messages not yet ended are rebuilt from their records */
	uint64_t ob_needed = outbox_needed_entry(e->ob);
	if (ob_needed < needed)
		needed = ob_needed;
	int n = journal_keep(e->j, e->cfg.journal_keep, needed);
	if (n > 0) {
		LOGP(DJOURNAL, LOGL_INFO, "retention: %d old journal segments deleted\n", n);
		outbox_forget_before(e->ob, journal_oldest_entry(e->j));
	}
}

int engine_checkpoint(struct engine *e)
{
	ckpt_snap(e);
	if (!e->snap.buf)
		return -EAGAIN;
	return ckpt_write(e);
}

static int read_file(void *ctx, const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !(*out = talloc_size(ctx, (size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	ssize_t n = read(fd, *out, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size)
		return -EIO;
	*len = (size_t)n;
	return 0;
}

static int load_checkpoint(struct engine *e)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct rd r;

	snprintf(path, sizeof(path), "%s/%s", e->cfg.state_dir, ENGINE_CKPT_NAME);
	int rc = read_file(e, path, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	rd_init(&r, buf, len);
	const uint8_t *magic;
	if (rc == 0 && (rd_bytes(&r, 8, &magic) < 0 || memcmp(magic, ENGINE_CKPT_MAGIC, 8) ||
			rd_u64(&r, &e->ckpt_entry) < 0))
		rc = -EINVAL;
	if (rc == 0)
		rc = ledger_restore(e->l, buf + r.off, len - r.off);
	talloc_free(buf);
	if (rc < 0) {
		LOGP(DJOURNAL, LOGL_ERROR, "%s: %s: refusing to start on a bad checkpoint\n", path,
		     rc == -EINVAL || rc == -EIO ? "corrupt" : strerror(-rc));
		return rc;
	}
	LOGP(DJOURNAL, LOGL_NOTICE, "ledger checkpoint %s: %zu devices, up to entry %llu\n", path,
	     ledger_count(e->l), (unsigned long long)e->ckpt_entry);
	return 0;
}

/* ---- rebuilding from the journal ------------------------------------------- */

struct rebuild {
	struct engine *e;
	uint64_t last_commit;		/* entry number of the last COMMIT seen */
	uint64_t groups, segments, ledgers, drops;
	void *grp;			/* talloc context of the open group's copies */
	struct llist_head items;	/* entries of the open group */
};

struct rb_item {
	struct llist_head list;
	uint64_t entry;
	uint8_t type;
	size_t len;
	uint8_t data[];
};

static void apply_ledger(struct rebuild *rb, const struct jrec_ledger *lr)
{
	struct engine *e = rb->e;
	if (lr->upload_accepted)
		ledger_apply_upload(e->l, lr->device, lr->upload_seq, lr->digest);
	for (unsigned i = 0; i < lr->n; i++)
		ledger_apply_record(e->l, lr->device, lr->rec[i].counter, lr->rec[i].balance);
	rb->ledgers++;
}

/* A part kept when it arrived is kept again; nothing is dropped here but
 * what a DROP entry says (apply_drop), so the state is the one the
 * journal's inputs left. */
static void apply_segment(struct rebuild *rb, const struct jrec_segment *s, uint64_t entry)
{
	struct concat_part part = { .seq = s->seq, .coding = s->coding, .data = s->data,
				    .len = s->len, .cookie = entry, .rx_ms = s->rx_ms };
	int rc = concat_restore(rb->e->cc, &s->key, &part);

	if (rc < 0)
		LOGP(DJOURNAL, LOGL_NOTICE, "journal entry %llu: segment not rebuilt: %s\n",
		     (unsigned long long)entry, strerror(-rc));
	rb->segments++;
}

static void apply_drop(struct rebuild *rb, const struct jrec_drop *d)
{
	if (concat_remove(rb->e->cc, &d->key) < 0)
		LOGP(DJOURNAL, LOGL_INFO, "journal: a dropped message from %s was not held\n", d->key.src);
	rb->drops++;
}

static int apply_item(struct rebuild *rb, const struct rb_item *it)
{
	struct jrec_ledger lr;
	struct jrec_segment s;
	struct jrec_drop d;

	switch (it->type) {
	case JREC_LEDGER:
		if (it->entry <= rb->e->ckpt_entry)
			return 0;
		if (jrec_ledger_decode(&lr, it->data, it->len) < 0)
			return -EBADMSG;
		apply_ledger(rb, &lr);
		return 0;
	case JREC_SEGMENT:
		if (jrec_segment_decode(&s, it->data, it->len) < 0)
			return -EBADMSG;
		apply_segment(rb, &s, it->entry);
		return 0;
	case JREC_DROP:
		if (jrec_drop_decode(&d, it->data, it->len) < 0)
			return -EBADMSG;
		apply_drop(rb, &d);
		return 0;
	case JREC_DL_QUEUED:
	case JREC_DL_ATTEMPT:
	case JREC_DL_STATE:
	case JREC_DL_RECEIPT:
		return outbox_apply(rb->e->ob, it->type, it->data, it->len, it->entry);
	}
	return 0;
}

static int apply_group(struct rebuild *rb)
{
	struct rb_item *it;
	int rc;

	llist_for_each_entry(it, &rb->items, list) {
		rc = apply_item(rb, it);
		if (rc < 0)
			return rc;
	}
	talloc_free(rb->grp);
	rb->grp = talloc_named_const(rb->e, 0, "rebuild group");
	INIT_LLIST_HEAD(&rb->items);
	rb->groups++;
	return 0;
}

static int rebuild_entry(struct rebuild *rb, const struct journal_entry *je)
{
	if (je->type == JREC_COMMIT) {
		rb->last_commit = je->entry;
		return apply_group(rb);
	}
	if (je->type != JREC_LEDGER && je->type != JREC_SEGMENT && je->type != JREC_DROP &&
	    !(je->type >= JREC_DL_QUEUED && je->type <= JREC_DL_RECEIPT))
		return 0;
	struct rb_item *it = talloc_size(rb->grp, sizeof(*it) + je->len);
	if (!it)
		return -ENOMEM;
	it->entry = je->entry;
	it->type = je->type;
	it->len = je->len;
	memcpy(it->data, je->payload, je->len);
	llist_add_tail(&it->list, &rb->items);
	return 0;
}

static int rebuild(struct engine *e, struct rebuild *rb)
{
	struct journal_iter *it;
	struct journal_entry je;
	int rc;

	rb->grp = talloc_named_const(e, 0, "rebuild group");
	INIT_LLIST_HEAD(&rb->items);
	rb->last_commit = journal_oldest_entry(e->j) ? journal_oldest_entry(e->j) - 1 : 0;
	rc = journal_iter_entry(e, e->j, journal_oldest_entry(e->j), &it);
	while (rc == 0 && (rc = journal_iter_next(it, &je)) == 1)
		rc = rebuild_entry(rb, &je);
	if (rc >= 0)
		journal_iter_free(it);
	talloc_free(rb->grp);
	if (rc < 0) {
		LOGP(DJOURNAL, LOGL_ERROR, "%s/journal: cannot rebuild state: %s\n", e->cfg.state_dir,
		     strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * The rebuilt messages' time left, from the wall clock: the journal has
 * when their first parts came (rx_ms); see concat_rebase() for the bounds.
 * The first tick then drops what is over a limit or expired.
 */
static void rebase_partials(struct engine *e)
{
	uint64_t min_left = (uint64_t)e->cfg.concat_timeout_s * 1000;

	if (min_left > ENGINE_CONCAT_MIN_LEFT_MS)
		min_left = ENGINE_CONCAT_MIN_LEFT_MS;
	concat_rebase(e->cc, engine_mono_ms(e), engine_wall_ms(e), min_left);
}

int engine_recover(struct engine *e)
{
	char dir[4096];
	struct journal_recovery rec;
	struct journal_opts opts = { .segment_size = e->cfg.segment_size };
	struct rebuild rb = { .e = e };
	int rc;

	if (e->cfg.journal_hooks) {
		opts.writev_fn = e->cfg.journal_hooks->writev_fn;
		opts.fdatasync_fn = e->cfg.journal_hooks->fdatasync_fn;
	}

	if (mkdir(e->cfg.state_dir, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		LOGP(DJOURNAL, LOGL_ERROR, "%s: %s\n", e->cfg.state_dir, strerror(-rc));
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s/journal", e->cfg.state_dir);
	/* journal_open() logs why it failed */
	rc = journal_open(e, dir, &opts, &e->j, &rec);
	if (rc < 0)
		return rc;
	/* a cut tail was logged by the journal itself, an error when intact
	 * entries were among the bytes kept aside */
	rc = load_checkpoint(e);
	if (rc == 0)
		rc = rebuild(e, &rb);
	if (rc == 0 && rb.last_commit < journal_last_entry(e->j)) {
		/* an input's group that never got its COMMIT: never acknowledged */
		LOGP(DJOURNAL, LOGL_NOTICE, "journal: cutting %llu entries of an unfinished input\n",
		     (unsigned long long)(journal_last_entry(e->j) - rb.last_commit));
		rc = journal_cut_after(e->j, rb.last_commit);
		if (rc < 0)
			LOGP(DJOURNAL, LOGL_ERROR, "%s: cannot cut the unfinished group: %s\n", dir,
			     strerror(-rc));
		if (rc == 0) {
			journal_close(e->j);
			e->j = NULL;
			rc = journal_open(e, dir, &opts, &e->j, &rec);
		}
	}
	if (rc < 0)
		return rc;
	/* what followed the last COMMIT was cut */
	e->last_commit = journal_last_entry(e->j);
	e->commit_seq = journal_last_seq(e->j);
	rebase_partials(e);
	outbox_rebuilt(e->ob);
	LOGP(DJOURNAL, LOGL_NOTICE, "journal %s: %llu entries, seq %llu..%llu; rebuilt %llu groups, "
	     "%llu ledger entries, %llu segments, %llu drops; %zu devices, %zu incomplete messages\n",
	     dir, (unsigned long long)rec.entries, (unsigned long long)journal_oldest_seq(e->j),
	     (unsigned long long)journal_last_seq(e->j), (unsigned long long)rb.groups,
	     (unsigned long long)rb.ledgers, (unsigned long long)rb.segments,
	     (unsigned long long)rb.drops, ledger_count(e->l), concat_get_stats(e->cc)->partial_now);
	return 0;
}

/* ---- rebuilding in-process, after the engine was down ---------------------- */

struct state {
	struct journal *j;
	struct ledger *l;
	struct concat *cc;
	uint64_t ckpt_entry;
};

static void state_swap(struct engine *e, struct state *s)
{
	struct state cur = { e->j, e->l, e->cc, e->ckpt_entry };

	e->j = s->j;
	e->l = s->l;
	e->cc = s->cc;
	e->ckpt_entry = s->ckpt_entry;
	*s = cur;
}

static void state_free(struct state *s)
{
	if (s->j)
		journal_close(s->j);
	ledger_free(s->l);
	concat_free(s->cc);
}

/*
 * The same recovery as at start-up, on a fresh ledger and reassembly: the
 * old journal is cut back to its last good sync first (what it held beyond
 * was never acknowledged, and after a failed sync may be in the page cache
 * only), so the rebuild sees only what is durable.  The old state stays
 * until the new one is whole, so that a failure leaves the engine as it was.
 */
int engine_reload(struct engine *e)
{
	struct state s = { 0 };
	int rc;

	if (e->rit) {
		journal_iter_free(e->rit);
		e->rit = NULL;
	}
	if (e->j) {
		rc = journal_discard_unsynced(e->j);
		if (rc < 0) {
			LOGP(DJOURNAL, LOGL_ERROR, "%s/journal: cannot cut what was not synced: %s\n",
			     e->cfg.state_dir, strerror(-rc));
			return rc;
		}
	}
	/* the outbox is refilled by the same replay (its messages under way
	 * have their state in the journal up to the last good sync) */
	rc = outbox_reset(e->ob);
	if (rc < 0) {
		LOGP(DJOURNAL, LOGL_NOTICE, "downlink outbox: a journal write is still under way; "
		     "resuming later\n");
		return rc;
	}
	rc = engine_alloc_state(e, &s.l, &s.cc);
	if (rc < 0)
		return rc;
	state_swap(e, &s);
	/* engine_recover() logs why it failed */
	rc = engine_recover(e);
	if (rc < 0) {
		state_swap(e, &s);
		state_free(&s);
		return rc;
	}
	engine_sync_stop(e);		/* the old journal's sync thread */
	state_free(&s);
	if (e->want_async && engine_sync_start(e) < 0)
		LOGP(DJOURNAL, LOGL_NOTICE, "no background sync thread: syncs block the loop\n");
	return 0;
}

/* ---- bus replay --------------------------------------------------------------- */

/* The last seq replay may serve: synced, and of a group with its COMMIT.  A
 * group an error left without it (the engine is then down) may be synced,
 * but is cut when the state is rebuilt and its seqs used again. */
static uint64_t replay_end(const struct engine *e)
{
	uint64_t synced = journal_synced_seq(e->j);
	return synced < e->commit_seq ? synced : e->commit_seq;
}

static void replay_range(void *data, uint64_t *oldest, uint64_t *next)
{
	struct engine *e = data;

	if (!e->j) {		/* opened down: the journal could not even be made */
		*oldest = *next = 1;
		return;
	}
	*oldest = journal_oldest_seq(e->j);
	*next = replay_end(e) + 1;
}

/*
 * The bus asks for one seq at a time (so that it can stop exactly where a
 * client's queue fills); an iterator kept between calls makes a replay of
 * consecutive seqs cost one read each instead of one seek each.
 */
static int replay_iter(struct engine *e, uint64_t from)
{
	if (e->rit && e->rit_next == from)
		return 0;
	if (e->rit)
		journal_iter_free(e->rit);
	e->rit = NULL;
	int rc = journal_iter_seq(e, e->j, from, &e->rit);
	if (rc == 0)
		e->rit_next = from;
	return rc;
}

static int replay_fetch(void *data, uint64_t from, unsigned max,
			int (*emit)(void *arg, const char *topic, const char *payload, size_t len),
			void *arg)
{
	struct engine *e = data;
	uint64_t synced = e->j ? replay_end(e) : 0;
	struct journal_entry je;
	unsigned n = 0;
	int rc;

	if (from > synced || !max)
		return 0;
	rc = replay_iter(e, from);
	if (rc < 0)
		return rc;
	while (n < max && (rc = journal_iter_next(e->rit, &je)) == 1) {
		struct jrec_msg m;
		char topic[JREC_TOPIC_MAX + 1];
		if (!je.seq || je.seq < from)
			continue;
		if (je.seq > synced) {
			rc = 0;
			break;
		}
		if (jrec_msg_decode(&m, je.payload, je.len) < 0) {
			rc = -EBADMSG;
			break;
		}
		memcpy(topic, m.topic, m.topic_len);
		topic[m.topic_len] = '\0';
		int stop = emit(arg, topic, m.payload, m.len);
		if (stop) {
			/* read but not taken: the iterator is past it, drop it */
			journal_iter_free(e->rit);
			e->rit = NULL;
			return stop;
		}
		e->rit_next = je.seq + 1;
		n++;
	}
	if (rc < 0 || n < max) {
		/* an error, the end, or past what is synced: start afresh next time */
		journal_iter_free(e->rit);
		e->rit = NULL;
	}
	return rc < 0 ? rc : (int)n;
}

const struct bus_replay_ops engine_replay_ops = {
	.range = replay_range,
	.fetch = replay_fetch,
};
