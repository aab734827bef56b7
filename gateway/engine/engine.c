/*
 * engine.c — inputs to journal groups: segments, reassembly, frames,
 * checks, ledger, bus messages.  See engine.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "gateway/bus/bus_msg.h"
#include "gateway/engine/engine_int.h"
#include "gateway/engine/jrec.h"
#include "gateway/engine/vpool.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/sms/concat.h"
#include "gateway/txlog/judge.h"
#include "gateway/txlog/ledger.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/verify.h"

/* ---- bus messages from a judged frame ------------------------------------ */

static void common_of(const struct group *g, struct bus_common *c)
{
	c->seq = group_next_seq(g);
	c->gw = g->e->cfg.gw_name;
	c->bearer = g->bearer;
	c->src = g->src;
	c->rx_ms = g->rx_ms;
}

static void emit_json(struct group *g, const char *topic)
{
	struct jw *w = &g->e->w;
	if (jw_finish(w) == 0)
		group_msg(g, topic, w->buf, w->len);
	else if (!g->p->err)
		g->p->err = -ENOMEM;
	jw_reset(w);
}

static void alert_detail(const struct txl_event *ev, struct bus_detail *d)
{
	memset(d, 0, sizeof(*d));
	switch (ev->alert) {
	case TXL_AL_COUNTER_GAP:
	case TXL_AL_BALANCE_MISMATCH:
		*d = (struct bus_detail){ 2, { { "expected", NULL, ev->expected }, { "got", NULL, ev->got } } };
		break;
	case TXL_AL_REPLAY:
		*d = (struct bus_detail){ 2, { { "last_upload", NULL, ev->last_upload }, { "got", NULL, ev->got } } };
		break;
	case TXL_AL_MSISDN_MISMATCH:
		*d = (struct bus_detail){ 2, { { "registered", ev->registered, 0 }, { "got", ev->src, 0 } } };
		break;
	case TXL_AL_CLOCK_SKEW:
		*d = (struct bus_detail){ 1, { { "skew_s", NULL, ev->skew_s } } };
		break;
	case TXL_AL_REVOKED_DEVICE:
		break;
	}
}

static void emit_event(struct group *g, const struct judge_result *r, const struct txl_event *ev,
		       const uint8_t *raw, size_t raw_len)
{
	struct engine *e = g->e;
	struct bus_common c;
	struct bus_detail d;
	const struct txl_frame *f = &r->f;

	common_of(g, &c);
	switch (ev->type) {
	case TXL_EV_RECORD:
		bus_msg_record(&e->w, &c, f, (unsigned)ev->rec, r->digest, ev->late);
		emit_json(g, BUS_TOPIC_RECORD);
		engine_ctr(e, TXGW_CTR_TXLOG_RECORDS, 1);
		break;
	case TXL_EV_ALERT:
		alert_detail(ev, &d);
		bus_msg_alert(&e->w, &c, txl_alert_name(ev->alert), f->device_id, r->digest, ev->rec >= 0,
			      ev->rec >= 0 ? f->rec[ev->rec].counter : 0, &d);
		emit_json(g, BUS_TOPIC_ALERT);
		engine_ctr(e, TXGW_CTR_TXLOG_ALERTS, 1);
		break;
	case TXL_EV_REJECT:
		bus_msg_reject(&e->w, &c, txl_reject_name(ev->reason), r->has_device, f->device_id,
			       r->digest, raw, raw_len > BUS_RAW_MAX ? BUS_RAW_MAX : raw_len, ev->error);
		emit_json(g, BUS_TOPIC_REJECT);
		engine_ctr(e, TXGW_CTR_TXLOG_REJECTS, 1);
		break;
	}
}

/* The ledger's state change, journaled before the messages it caused. */
static void journal_ledger(struct group *g, const struct judge_result *r)
{
	struct jrec_ledger lr = { .device = r->f.device_id, .upload_seq = r->f.upload_seq,
				  .upload_accepted = r->out.upload_accepted };
	memcpy(lr.digest, r->digest, sizeof(lr.digest));
	for (unsigned i = 0; i < r->out.n; i++) {
		const struct txl_event *ev = &r->out.ev[i];
		if (ev->type != TXL_EV_RECORD || lr.n >= TXL_MAX_RECORDS)
			continue;
		lr.rec[lr.n].counter = r->f.rec[ev->rec].counter;
		lr.rec[lr.n].balance = r->f.rec[ev->rec].balance;
		lr.n++;
	}
	if (!lr.upload_accepted && !lr.n)
		return;
	int n = jrec_ledger_encode(g->e->buf, JOURNAL_MAX_PAYLOAD, &lr);
	if (n > 0)
		group_append(g, JREC_LEDGER, g->e->buf, (size_t)n, NULL);
}

static void count_outcome(struct engine *e, const struct txl_outcome *o)
{
	if (o->duplicate)
		engine_ctr(e, TXGW_CTR_TXLOG_DUPLICATES, 1);
	engine_ctr(e, TXGW_CTR_TXLOG_REPEATED, o->repeated);
	engine_ctr(e, TXGW_CTR_TXLOG_LATE, o->late);
	engine_ctr(e, TXGW_CTR_TXLOG_STALE, o->stale);
}

/*
 * One judged frame into the group: checks 4-7 for a frame that passed 1-3
 * (on the loop thread, in arrival order), then its ledger entry and its
 * bus messages.  rc: judge_check()'s return.
 */
void engine_emit_frame(struct group *g, struct judge_result *r, int rc, const uint8_t *buf,
		       size_t len, const char *src_msisdn)
{
	struct engine *e = g->e;

	engine_ctr(e, TXGW_CTR_TXLOG_FRAMES, 1);
	if (rc == 1)
		rc = judge_ledger(e->l, r, src_msisdn, g->rx_ms / 1000, e->cfg.skew_s);
	if (rc < 0) {
		LOGP(DTXLOG, LOGL_ERROR, "frame not judged: %s\n", strerror(-rc));
		g->p->err = rc;
		return;
	}
	count_outcome(e, &r->out);
	if (r->passed)
		journal_ledger(g, r);
	for (unsigned i = 0; i < r->out.n; i++)
		emit_event(g, r, &r->out.ev[i], buf, len);
}

/* A reject for what is not a frame: malformed armour, not_txlog, too many. */
void engine_emit_non_frame(struct group *g, const struct extract_item *it)
{
	struct bus_common c;
	const char *reason = it->kind == EXTRACT_NOT_TXLOG ? "not_txlog" : "malformed";

	common_of(g, &c);
	bus_msg_reject(&g->e->w, &c, reason, false, 0, NULL, it->data, it->len, it->why);
	emit_json(g, BUS_TOPIC_REJECT);
	engine_ctr(g->e, TXGW_CTR_TXLOG_REJECTS, 1);
}

/* ---- life cycle ------------------------------------------------------------ */

static void on_concat_drop(void *data, enum concat_drop_reason why, const struct concat_partial *p)
{
	struct engine *e = data;
	LOGP(DSMS, LOGL_NOTICE, "incomplete message from %s (ref %u, %u of %u parts) %s\n", p->key->src,
	     p->key->ref, p->n_parts, p->key->total,
	     why == CONCAT_EXPIRED ? "expired" : "evicted to stay within memory limits");
	engine_ctr(e, why == CONCAT_EXPIRED ? TXGW_CTR_SMS_CONCAT_TIMEOUTS : TXGW_CTR_SMS_CONCAT_EVICTED, 1);
}

int engine_settle(struct engine *e)
{
	/* finishing a concatenated part at the head may hand new frames to
	 * the workers: drain until the FIFO stops moving */
	for (;;) {
		unsigned before = e->n_inputs;
		vpool_drain(e->pool);
		engine_pump(e);
		if (!e->n_inputs || (e->n_inputs == before && !vpool_inflight(e->pool)))
			break;
	}
	return engine_flush_wait(e);
}

void engine_tick(struct engine *e, int64_t now_ms)
{
	concat_expire(e->cc, (uint64_t)now_ms);
}

static void flush_cb(void *data)
{
	engine_flush(data);
}

static void on_task_done(void *data, struct vtask *t)
{
	engine_task_done(data, t);
}

static int engine_alloc_parts(struct engine *e)
{
	struct concat_cfg cc = {
		.timeout_s = e->cfg.concat_timeout_s,
		.max_partial = e->cfg.concat_max_partial,
		.max_bytes = e->cfg.concat_max_bytes,
		.hash_seed = (uint64_t)(uintptr_t)e ^ 0x9e3779b97f4a7c15ULL,
	};
	e->v = verifier_alloc(e, VERIFIER_DEFAULT_SLOTS);
	e->l = ledger_alloc(e);
	e->cc = concat_new(e, &cc, on_concat_drop, e);
	e->buf = talloc_size(e, JOURNAL_MAX_PAYLOAD);
	e->scratch = talloc_zero(e, struct extract_result);
	if (!e->v || !e->l || !e->cc || !e->buf || !e->scratch) {
		LOGP(DJOURNAL, LOGL_ERROR, "engine: out of memory\n");
		return -ENOMEM;
	}
	/* vpool_start() logs why it failed */
	return vpool_start(e, e->cfg.threads, on_task_done, e, &e->pool);
}

static void copy_cfg(struct engine *e, const struct engine_cfg *cfg)
{
	e->cfg = *cfg;
	e->cfg.gw_name = talloc_strdup(e, cfg->gw_name);
	e->cfg.state_dir = talloc_strdup(e, cfg->state_dir);
	if (!e->cfg.concat_max_partial)
		e->cfg.concat_max_partial = ENGINE_DEFAULT_MAX_PARTIAL;
	if (!e->cfg.concat_max_bytes)
		e->cfg.concat_max_bytes = ENGINE_DEFAULT_MAX_BYTES;
	if (!e->cfg.checkpoint_every)
		e->cfg.checkpoint_every = ENGINE_DEFAULT_CKPT_EVERY;
	if (!e->cfg.concat_timeout_s)
		e->cfg.concat_timeout_s = 600;
}

int engine_open(void *ctx, const struct engine_cfg *cfg, const struct registry *reg,
		struct rate_ctr_group *ctrs, struct engine **out)
{
	struct engine *e = talloc_zero(ctx, struct engine);
	int rc;

	if (!e) {
		LOGP(DJOURNAL, LOGL_ERROR, "engine: out of memory\n");
		return -ENOMEM;
	}
	e->ctx = ctx;
	e->reg = reg;
	e->ctrs = ctrs;
	INIT_LLIST_HEAD(&e->pending);
	INIT_LLIST_HEAD(&e->syncing);
	e->sync_ofd.fd = -1;
	INIT_LLIST_HEAD(&e->inputs);
	osmo_timer_setup(&e->flush_timer, flush_cb, e);
	copy_cfg(e, cfg);
	jw_init(&e->w, 0);
	rc = engine_alloc_parts(e);
	if (rc == 0)
		rc = engine_recover(e);
	if (rc < 0) {
		vpool_stop(e->pool);
		jw_free(&e->w);
		if (e->j)
			journal_close(e->j);
		talloc_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

void engine_set_bus(struct engine *e, struct bus *bus)
{
	e->bus = bus;
}

void engine_set_registry(struct engine *e, const struct registry *reg)
{
	/* Tasks in flight read the old one: let them finish before the
	 * caller frees it (a reload is rare; this takes milliseconds).  The
	 * new one goes in first: vpool_drain() delivers what finished, and
	 * those callbacks pump the engine, which submits the next inputs'
	 * tasks with e->reg; set after the drain, that was the old registry,
	 * read by a worker after the caller had freed it. */
	e->reg = reg;
	vpool_drain(e->pool);
}

void engine_get_info(const struct engine *e, struct engine_info *info)
{
	info->last_seq = journal_last_seq(e->j);
	info->synced_seq = journal_synced_seq(e->j);
	info->oldest_seq = journal_oldest_seq(e->j);
	info->devices = ledger_count(e->l);
	info->partial = concat_get_stats(e->cc)->partial_now;
	info->pending = e->n_pending + e->n_inputs;
	info->failed = journal_failed(e->j) ? journal_failed(e->j) : e->broken;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	vpool_stop(e->pool);
	e->pool = NULL;
	engine_pump(e);
	engine_flush_wait(e);
	engine_sync_stop(e);
	if (!journal_failed(e->j) && !e->broken)
		engine_checkpoint(e);
	if (e->rit)
		journal_iter_free(e->rit);
	journal_close(e->j);
	jw_free(&e->w);
	verifier_free(e->v);
	talloc_free(e);
}
