/*
 * engine.h — the gateway's processing core: inputs in, journal, bus out.
 *
 * An input (an SMS from a bind, a mail from the SMTP service) goes:
 *
 *   segment -> reassembly -> frames (extract) -> checks 1-3 (judge) ->
 *   ledger (checks 4-7) -> journal entries (jrec.h), one group per input
 *
 * and is answered through its callback only once the journal holds the
 * whole group and is synced: "nothing acknowledged is ever lost".  Inputs
 * arriving in one turn of the event loop share one sync (group commit): a
 * zero timer flushes after the loop has handled every ready socket.  Then
 * every input's callback runs, and its bus messages are published.
 *
 * On open the engine rebuilds its state from the journal: the ledger from
 * its last checkpoint plus the LEDGER entries after it, the incomplete
 * concatenations from the SEGMENT entries; a group left without its COMMIT
 * by a crash is cut off (it was never acknowledged).
 *
 * When the journal cannot take input (a write or sync failed, or an input
 * could not be journaled whole) the engine goes down: every input is
 * answered with a temporary error, and every ENGINE_PROBE_S the engine
 * checks whether it can go on.  It resumes by itself after a lack of room
 * (ENOSPC, EDQUOT) or memory once the file system has room again: what was
 * appended after the last good sync is cut and the state is rebuilt from
 * the journal, as at start-up, so that memory holds exactly what the
 * journal holds.  After any other journal error (EIO, EROFS, ...) it stays
 * down until a restart: what reached the disk is then unknown.  A journal
 * that cannot be opened for lack of room at start-up is the same: the
 * engine opens down and resumes when there is room.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/bus/bus.h"
#include "gateway/sms/sms_in.h"
#include "gateway/txlog/extract.h"

struct registry;
struct rate_ctr_group;
struct journal_opts;

/* While down: how often the engine checks whether it can resume, how
 * often it says in the log that it is still down, and the room the file
 * system must have (the largest entry) for it to resume. */
#define ENGINE_PROBE_S		2
#define ENGINE_REMIND_S		60
#define ENGINE_PROBE_BYTES	(1u << 20)

struct engine_cfg {
	const char *gw_name;
	const char *state_dir;
	uint16_t txlog_port;
	uint32_t skew_s;
	uint32_t concat_timeout_s;
	uint64_t journal_keep;
	uint64_t segment_size;		/* journal segment size; 0: default */
	size_t concat_max_partial;	/* 0: default */
	size_t concat_max_bytes;	/* 0: default */
	size_t concat_max_per_sender;	/* partial messages of one source address; 0: default */
	uint64_t checkpoint_every;	/* entries between ledger checkpoints; 0: default */
	unsigned threads;		/* signature worker threads; 0: on the loop thread */
	/* The clocks, CLOCK_REALTIME and CLOCK_MONOTONIC, in ms (tests give
	 * their own); NULL: clock_gettime().  Reassembly expires on the
	 * monotonic one; reception times (rx_ms) are the caller's wall clock. */
	int64_t (*clock_ms)(clockid_t id);
	const struct journal_opts *journal_hooks; /* fault injection (tests); NULL: none */
};

/* status 0: durable, acknowledge it; negative errno: the journal could not
 * take it, answer with a temporary error so the sender retries. */
typedef void (*engine_ack_cb)(void *data, int status);

struct engine;

/*
 * Open the journal under cfg->state_dir, rebuild the state, and start.
 * reg: the current registry (borrowed; see engine_set_registry()).
 * ctrs: the gateway's counter group (counters.h), or NULL.
 * Returns 0 and *out, or a negative errno after logging why on DJOURNAL
 * (a bad journal or checkpoint, an unusable state-dir, ...).
 */
int engine_open(void *ctx, const struct engine_cfg *cfg, const struct registry *reg,
		struct rate_ctr_group *ctrs, struct engine **out);
/* Where bus messages go once durable (NULL: nowhere; replay still works). */
void engine_set_bus(struct engine *e, struct bus *bus);
/* A new registry after a reload; the old one may be freed after this. */
void engine_set_registry(struct engine *e, const struct registry *reg);

/* The replay callbacks for bus_open(), with the engine as data. */
extern const struct bus_replay_ops engine_replay_ops;

/*
 * One SMS as an SMSC handed it over.  rx_ms: reception time.  cb runs
 * later (never from inside this call) with the outcome of the sync.
 * Returns 0, or a negative errno when the input could not even be queued
 * (then cb is not called): -ENOMEM, or while the engine is down the error
 * that took it down — answer with a temporary error.
 */
int engine_sms(struct engine *e, const struct sms_in *in, int64_t rx_ms, engine_ack_cb cb,
	       void *cb_data);

/*
 * One mail: its envelope sender and the frames found in it (the caller's
 * MIME walk fills r; an empty r is a not_txlog reject with raw).
 */
int engine_mail(struct engine *e, const char *mail_from, const struct extract_result *r,
		const uint8_t *raw, size_t raw_len, int64_t rx_ms, engine_ack_cb cb, void *cb_data);

/* Start syncing what is journaled (in the background once
 * engine_async_sync() was called, else now), then answer and publish it.
 * Returns 0 or the sync's negative errno. */
int engine_flush(struct engine *e);

/* Sync in the background (the loop never waits for the disk); the daemon
 * calls this, tests may not.  Returns 0 or a negative errno. */
int engine_async_sync(struct engine *e);

/* Wait for every signature check in flight, journal what is ready, sync,
 * answer and publish: nothing is left pending (shutdown, tests). */
int engine_settle(struct engine *e);

/*
 * Once a second: when an incomplete concatenation is older than
 * concat-timeout (or, after a restart, over a limit), queue its drop: it is
 * journaled and its incomplete reject published like any input's messages.
 */
void engine_tick(struct engine *e);

/*
 * While down: check now whether the engine can resume (a timer of the engine
 * does it every ENGINE_PROBE_S), and say in the log, every ENGINE_REMIND_S,
 * that it is still down.  It resumes once nothing is in flight any more,
 * the error allows it and the file system has ENGINE_PROBE_BYTES of room.
 * Returns 0 (up, or resumed now) or a negative errno (still down: -EBUSY
 * inputs still in flight, the probe's error, or the error that took it
 * down).
 */
int engine_probe(struct engine *e);

struct engine_info {
	uint64_t last_seq;		/* last message seq written */
	uint64_t synced_seq;		/* last message seq synced */
	uint64_t oldest_seq;		/* oldest kept for replay */
	size_t devices;			/* devices in the ledger */
	size_t partial;			/* incomplete concatenations held */
	unsigned pending;		/* inputs waiting for the sync */
	int failed;			/* why the engine is down (negative errno), or 0 */
	/* "ok"; "waiting": down, resumes by itself; "failed": down until a restart */
	const char *state;
	uint64_t down_s;		/* seconds down */
	uint64_t refused;		/* inputs refused at once since it went down */
};
void engine_get_info(const struct engine *e, struct engine_info *info);

/* Flush, write a ledger checkpoint, close the journal, free everything. */
void engine_close(struct engine *e);
