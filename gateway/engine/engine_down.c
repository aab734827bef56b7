/*
 * engine_down.c — the engine while the journal cannot take input: every
 * input is answered with a temporary error (the SMSC or MTA keeps it and
 * retries), a timer checks every ENGINE_PROBE_S whether it can go on, and
 * the engine resumes by itself when it can.  See engine.h.
 *
 * Which errors are waited out: a lack of room (ENOSPC, EDQUOT) or of
 * memory, and an input that could not be journaled whole while the
 * journal itself is fine.  What was appended after the last good sync is
 * then cut (it was never acknowledged), and the ledger and reassembly are
 * rebuilt from the journal, exactly as at start-up: memory holds what the
 * journal holds, nothing more (an upload refused half-way is not in the
 * ledger, so its retry is not taken for a duplicate).
 *
 * Any other journal error (EIO above all, EROFS, ...) is not: after a
 * failed fsync Linux may have dropped the dirty pages or kept them marked
 * clean, the device may have damaged the blocks of earlier, synced data,
 * and a new fd's fsync does not report the old error.  Nothing the process
 * reads back (through the same page cache) tells what is on the disk, so
 * it does not resume; it stays bound, refusing, and says so, until the
 * operator has looked at the disk and restarts it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/engine/engine_int.h"
#include "gateway/engine/vpool.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/sms/concat.h"
#include "gateway/txlog/ledger.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Errors waited out (see the top of the file). */
static bool resumable(int err, bool journal)
{
	return !journal || err == -ENOSPC || err == -EDQUOT || err == -ENOMEM;
}

static void probe_cb(void *data)
{
	struct engine *e = data;

	if (engine_probe(e) < 0)
		osmo_timer_schedule(&e->probe_timer, ENGINE_PROBE_S, 0);
}

void engine_down_init(struct engine *e)
{
	osmo_timer_setup(&e->probe_timer, probe_cb, e);
}

void engine_down_stop(struct engine *e)
{
	osmo_timer_del(&e->probe_timer);
}

void engine_down(struct engine *e, int err, bool journal)
{
	if (e->down)
		return;		/* the first cause is the one to report */
	e->down = err;
	e->down_for_good = !resumable(err, journal);
	e->down_since_ms = e->reminded_ms = mono_ms();
	e->refused = 0;
	e->probe_rc = 0;
	engine_ckpt_drop(e);
	engine_ctr(e, TXGW_CTR_JOURNAL_FAILURES, 1);
	if (e->down_for_good)
		LOGP(DJOURNAL, LOGL_ERROR, "journal failed: %s; inputs get a temporary error; not resuming "
		     "by itself, as what reached the disk after the last good sync is unknown: check the "
		     "disk, then restart\n", strerror(-err));
	else if (journal)
		LOGP(DJOURNAL, LOGL_ERROR, "journal cannot take input: %s; inputs get a temporary error; "
		     "checking every %d s, resuming by itself when it can\n", strerror(-err), ENGINE_PROBE_S);
	else
		LOGP(DJOURNAL, LOGL_ERROR, "an input could not be journaled whole (%s); inputs get a "
		     "temporary error until the state is rebuilt from the journal\n", strerror(-err));
	osmo_timer_schedule(&e->probe_timer, ENGINE_PROBE_S, 0);
}

static void remind(struct engine *e, int64_t now)
{
	if (now - e->reminded_ms < ENGINE_REMIND_S * 1000)
		return;
	e->reminded_ms = now;
	LOGP(DJOURNAL, LOGL_ERROR, "journal still down after %" PRId64 " s (%s%s%s); %" PRIu64 " inputs "
	     "refused meanwhile%s\n", (now - e->down_since_ms) / 1000, strerror(-e->down),
	     e->probe_rc && e->probe_rc != e->down ? "; now: " : "",
	     e->probe_rc && e->probe_rc != e->down ? strerror(-e->probe_rc) : "", e->refused,
	     e->down_for_good ? "; waiting for a restart" : "");
}

/* Whether the file system of the journal has room; logged when the answer
 * changes.  Opened down, the journal's directory (or even state-dir) may
 * not exist yet: then the nearest one that does is probed. */
static int probe_space(struct engine *e)
{
	char dirs[3][4096];
	int rc = -ENOENT;

	snprintf(dirs[0], sizeof(dirs[0]), "%s/journal", e->cfg.state_dir);
	snprintf(dirs[1], sizeof(dirs[1]), "%s", e->cfg.state_dir);
	snprintf(dirs[2], sizeof(dirs[2]), "%s/..", e->cfg.state_dir);
	for (unsigned i = 0; i < 3 && rc == -ENOENT; i++)
		rc = journal_probe(dirs[i], e->cfg.journal_hooks, ENGINE_PROBE_BYTES);
	if (rc < 0 && rc != e->probe_rc && rc != e->down)
		LOGP(DJOURNAL, LOGL_NOTICE, "journal still down: %s: %s\n", dirs[0], strerror(-rc));
	e->probe_rc = rc;
	return rc;
}

int engine_probe(struct engine *e)
{
	int64_t now = mono_ms();
	int rc;

	if (!e->down)
		return 0;
	remind(e, now);
	if (e->down_for_good)
		return e->down;
	/* inputs taken before it went down are answered first (with an error:
	 * nothing more is appended), and no signature check still runs */
	if (e->n_inputs || e->n_pending || (e->pool && vpool_inflight(e->pool)))
		return -EBUSY;
	rc = probe_space(e);
	if (rc < 0)
		return rc;
	rc = engine_reload(e);
	if (rc < 0) {
		if (rc == -EBADMSG) {
			e->down_for_good = true;
			LOGP(DJOURNAL, LOGL_ERROR, "journal corrupt when opened again: not resuming; "
			     "see the messages above\n");
		}
		return rc;
	}
	LOGP(DJOURNAL, LOGL_NOTICE, "journal takes input again after %" PRId64 " s down (%s; %" PRIu64
	     " inputs refused meanwhile): state rebuilt from it, seq %" PRIu64 ", %zu devices, %zu "
	     "incomplete messages\n", (now - e->down_since_ms) / 1000, strerror(-e->down), e->refused,
	     journal_last_seq(e->j), ledger_count(e->l), concat_get_stats(e->cc)->partial_now);
	e->down = 0;
	e->probe_rc = 0;
	engine_ctr(e, TXGW_CTR_JOURNAL_RESUMES, 1);
	return 0;
}

void engine_get_down(const struct engine *e, struct engine_info *info)
{
	info->failed = e->down;
	info->state = !e->down ? "ok" : e->down_for_good ? "failed" : "waiting";
	info->down_s = e->down ? (uint64_t)(mono_ms() - e->down_since_ms) / 1000 : 0;
	info->refused = e->down ? e->refused : 0;
}
