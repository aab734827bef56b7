/*
 * engine_int.h — the engine's insides, shared by engine.c (processing),
 * engine_group.c (journal groups, flush, publish) and engine_recover.c
 * (start-up, checkpoints, replay).  Not for other modules.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/timer.h>

#include "gateway/engine/engine.h"
#include "gateway/lib/json.h"
#include "gateway/lib/log_ratelimit.h"

struct journal;
struct journal_iter;
struct verifier;
struct ledger;
struct concat;
struct outbox;
struct concat_key;

#define ENGINE_CKPT_NAME	"ledger.ckpt"
#define ENGINE_CKPT_MAGIC	"TXGWCKPT"
#define ENGINE_DEFAULT_CKPT_EVERY	100000
#define ENGINE_DEFAULT_MAX_PARTIAL	100000
#define ENGINE_DEFAULT_MAX_BYTES	(64u << 20)
#define ENGINE_DEFAULT_MAX_PER_SENDER	16
/* 16 messages of 255 parts of 254 bytes: 1 MiB covers any honest sender */
#define ENGINE_DEFAULT_MAX_BYTES_PER_SENDER	(1u << 20)
/* CLOCK_MONOTONIC counts from boot: 2^32 ms (50 days, more than the
 * largest concat-timeout) added keeps "now minus the age of a message
 * rebuilt at start-up" positive on a machine that just booted. */
#define ENGINE_MONO_BASE_MS	(1ull << 32)
/* A message rebuilt at start-up that had expired by the wall clock keeps
 * this long (or concat-timeout if shorter): the SMSC may have held its
 * other parts while the gateway was down. */
#define ENGINE_CONCAT_MIN_LEFT_MS	60000

/* A bus message waiting for the sync before it is published. */
struct pmsg {
	const char *topic;	/* static */
	char *payload;		/* talloc'd under the pending input */
	size_t len;
};

/* An input waiting for the sync. */
struct pending {
	struct llist_head list;
	engine_ack_cb cb;
	void *cb_data;
	int err;		/* an append failed: answer with it */
	unsigned n_msgs;
	struct pmsg *msgs;	/* talloc array */
};

struct engine {
	void *ctx;
	struct engine_cfg cfg;		/* strings copied under the engine */
	struct journal *j;
	const struct registry *reg;
	struct verifier *v;
	struct ledger *l;
	struct concat *cc;
	struct bus *bus;
	struct rate_ctr_group *ctrs;
	struct llist_head pending;	/* inputs journaled, waiting for the sync */
	struct llist_head syncing;	/* inputs covered by the background sync in flight */
	struct osmo_fd sync_ofd;	/* the journal's sync-done eventfd; fd -1: syncs block */
	unsigned n_pending;
	struct llist_head inputs;	/* inputs arrived, not yet journaled, in order */
	unsigned n_inputs;
	bool pumping;
	/* down (engine_down.c): why input is refused (negative errno), 0 when up */
	int down;
	bool down_for_good;		/* not resumed in-process (an I/O error) */
	int64_t down_since_ms, reminded_ms;	/* CLOCK_MONOTONIC */
	uint64_t refused;		/* inputs refused at once since */
	int probe_rc;			/* the last probe's result, logged when it changes */
	struct osmo_timer_list probe_timer;
	bool want_async;		/* engine_async_sync() was asked for */
	struct vpool *pool;
	struct extract_result *scratch;	/* frames of the message being looked at */
	struct osmo_timer_list flush_timer;
	uint64_t ckpt_entry;		/* last entry the ledger checkpoint covers */
	uint64_t last_commit;		/* entry number of the last COMMIT appended */
	uint64_t commit_seq;		/* last message seq of a group with its COMMIT */
	struct {			/* a checkpoint waiting for the sync it is of */
		uint8_t *buf;
		size_t len;
		uint64_t entry;
	} snap;
	struct journal_iter *rit;	/* replay: the iterator kept between fetches */
	uint64_t rit_next;		/* the seq it reads next */
	struct jw w;			/* JSON scratch */
	uint8_t *buf;			/* entry scratch, JOURNAL_MAX_PAYLOAD */
	struct outbox *ob;		/* the downlink (outbox.h) */
	struct group *drop_g;		/* where reassembly's drops go: the head's group */
	bool tick_queued;		/* a drop of expired messages waits in inputs */
	/* lines a sender can cause at will, a line a second each (the bus
	 * has every one as a txlog.reject incomplete) */
	struct log_ratelimit rl_drop;		/* incomplete message dropped */
	struct log_ratelimit rl_part_refused;	/* segment refused by reassembly */
};

/* One input's group of journal entries being written. */
struct group {
	struct engine *e;
	struct pending *p;
	const char *bearer;		/* "sms" | "smtp" */
	const char *src;
	int64_t rx_ms;
	unsigned n;			/* entries appended */
};

static inline void engine_ctr(struct engine *e, unsigned idx, uint64_t n)
{
	if (e->ctrs && n)
		rate_ctr_add(rate_ctr_group_get_ctr(e->ctrs, idx), (int)n);
}

struct vtask;
struct judge_result;
struct extract_item;

/* engine.c */
int64_t engine_wall_ms(const struct engine *e);
uint64_t engine_mono_ms(const struct engine *e);
void engine_emit_incomplete(struct group *g, const struct concat_key *k, int64_t rx_ms,
			    unsigned n, const uint8_t *seqs, const uint8_t *const *data,
			    const size_t *lens, const char *why);
void engine_emit_frame(struct group *g, struct judge_result *r, int rc, const uint8_t *buf,
		       size_t len, const char *src_msisdn);
void engine_emit_non_frame(struct group *g, const struct extract_item *it);

/* engine_input.c */
void engine_task_done(struct engine *e, struct vtask *t);
void engine_pump(struct engine *e);
/*
 * A group its caller writes (the outbox): write(g, arg) appends its
 * entries, in arrival order with the other inputs (so that no input's
 * group is ever split), when its turn comes, perhaps before this returns;
 * the COMMIT follows, and cb runs once it is synced, its messages then
 * published.  0, or a negative errno (the journal failed: cb not called).
 */
typedef void (*engine_group_writer)(struct group *g, void *arg);
int engine_write_group(struct engine *e, const char *bearer, engine_group_writer write, void *arg,
		       engine_ack_cb cb, void *cb_data);

/* engine_group.c */
int group_begin(struct group *g, struct engine *e, const char *bearer, const char *src,
		int64_t rx_ms, engine_ack_cb cb, void *cb_data);
void group_append(struct group *g, uint8_t type, const void *buf, size_t len, uint64_t *entry);
uint64_t group_next_seq(const struct group *g);
void group_msg(struct group *g, const char *topic, const char *json, size_t len);
void group_commit(struct group *g);

int engine_flush_wait(struct engine *e);
int engine_sync_start(struct engine *e);
void engine_sync_stop(struct engine *e);

/* engine.c: a fresh ledger and reassembly into *l and *cc; 0 or -ENOMEM */
int engine_alloc_state(struct engine *e, struct ledger **l, struct concat **cc);

/* engine_down.c: take the engine down with err (negative errno; journal:
 * the journal failed with it, else an input could not be journaled
 * whole).  The first cause is kept.  Logged once; the probe timer starts. */
void engine_down(struct engine *e, int err, bool journal);
void engine_down_init(struct engine *e);
void engine_down_stop(struct engine *e);
void engine_get_down(const struct engine *e, struct engine_info *info);

/* engine_recover.c: open the journal, load the checkpoint, rebuild the
 * state.  0, or a negative errno after logging why. */
int engine_recover(struct engine *e);
/* Cut what the journal holds beyond its last good sync, then open it again
 * and rebuild the ledger and reassembly from it; on failure the engine is
 * as it was.  0 or a negative errno, logged. */
int engine_reload(struct engine *e);
/* Checkpoints: a snapshot of the ledger as of the last entry appended, taken
 * when a sync starts (if one is due and no group is open); written once
 * that sync succeeded (engine_ckpt_synced), dropped if it failed. */
void engine_ckpt_take(struct engine *e);
void engine_ckpt_synced(struct engine *e);
void engine_ckpt_drop(struct engine *e);
/* At a clean close: snapshot and write now. */
int engine_checkpoint(struct engine *e);
