/*
 * engine.c — inputs to journal groups: segments, reassembly, frames,
 * checks, ledger, bus messages.  See engine.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>

#include "gateway/bus/bus_msg.h"
#include "gateway/engine/engine_int.h"
#include "gateway/engine/jrec.h"
#include "gateway/engine/outbox_int.h"
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

/* ---- incomplete concatenations ------------------------------------------- */

/* "1-3,5" into out; "..." at the end when it does not fit. */
static void fmt_seqs(char *out, size_t cap, const uint8_t *seqs, unsigned n)
{
	size_t off = 0;
	unsigned i = 0;

	out[0] = '\0';
	while (i < n) {
		unsigned j = i;
		while (j + 1 < n && seqs[j + 1] == seqs[j] + 1)
			j++;
		int w = j > i ? snprintf(out + off, cap - off, "%s%u-%u", i ? "," : "", seqs[i], seqs[j]) :
			snprintf(out + off, cap - off, "%s%u", i ? "," : "", seqs[i]);
		if (w < 0 || (size_t)w >= cap - off) {
			snprintf(out + (off < cap - 4 ? off : cap - 4), 4, "...");
			return;
		}
		off += (size_t)w;
		i = j + 1;
	}
}

/*
 * bus.md, txlog.reject "incomplete": the parts of a concatenated SMS that
 * came (raw: their bytes joined in seq order, the first 512), which ones
 * and why they were dropped (error), from the message's sender (src) as
 * received with its first part (rx).
 */
void engine_emit_incomplete(struct group *g, const struct concat_key *k, int64_t rx_ms,
			    unsigned n, const uint8_t *seqs, const uint8_t *const *data,
			    const size_t *lens, const char *why)
{
	struct engine *e = g->e;
	uint8_t raw[BUS_RAW_MAX];
	char list[128], error[320];
	size_t off = 0;
	struct bus_common c = { .seq = group_next_seq(g), .gw = e->cfg.gw_name, .bearer = "sms",
				.src = k->src, .rx_ms = rx_ms };

	for (unsigned i = 0; i < n && off < sizeof(raw); i++) {
		size_t take = lens[i] < sizeof(raw) - off ? lens[i] : sizeof(raw) - off;
		if (take)
			memcpy(raw + off, data[i], take);
		off += take;
	}
	fmt_seqs(list, sizeof(list), seqs, n);
	snprintf(error, sizeof(error), "part%s %s of %u received; %s", n == 1 ? "" : "s", list,
		 k->total, why);
	bus_msg_reject(&e->w, &c, "incomplete", false, 0, NULL, raw, off, error);
	emit_json(g, BUS_TOPIC_REJECT);
	engine_ctr(e, TXGW_CTR_TXLOG_REJECTS, 1);
}

/* Why a message was dropped, for the reject's error and the log. */
static void drop_text(const struct engine *e, enum concat_drop_reason why, char *out, size_t cap)
{
	static const struct {
		const char *head, *tail;
	} text[] = {
		[CONCAT_EXPIRED] = { "concat-timeout", "s passed" },
		[CONCAT_EVICTED] = { "evicted: the gateway at its limit of", "open messages" },
		[CONCAT_EVICTED_BYTES] = { "evicted: the gateway at its limit of", "bytes of open messages" },
		[CONCAT_EVICTED_SENDER] = { "evicted: sender over its budget of", "open messages" },
		[CONCAT_EVICTED_SENDER_BYTES] = { "evicted: sender over its budget of", "bytes of open messages" },
	};
	const struct engine_cfg *cfg = &e->cfg;
	const size_t limit[] = {
		[CONCAT_EXPIRED] = cfg->concat_timeout_s,
		[CONCAT_EVICTED] = cfg->concat_max_partial,
		[CONCAT_EVICTED_BYTES] = cfg->concat_max_bytes,
		[CONCAT_EVICTED_SENDER] = cfg->concat_max_per_sender,
		[CONCAT_EVICTED_SENDER_BYTES] = ENGINE_DEFAULT_MAX_BYTES_PER_SENDER,
	};

	snprintf(out, cap, "%s %zu %s", text[why].head, limit[why], text[why].tail);
}

/* A flood of drops is one line a second; the bus has every one. */
static void log_drop(struct engine *e, const struct concat_partial *p, const char *text)
{
	LOGP_RL(&e->rl_drop, DSMS, LOGL_NOTICE,
		"incomplete message from %s (ref %u, %u of %u parts) dropped: %s", p->key->src,
		p->key->ref, p->n_parts, p->key->total, text);
}

/*
 * Reassembly dropped a partial message whose parts were acknowledged: a
 * DROP entry (so that a restart drops it too), then its incomplete reject,
 * in the group of the input at the head (the part that caused it, or the
 * timer's), so that both are durable before they are published.
 */
static void on_concat_drop(void *data, enum concat_drop_reason why, const struct concat_partial *p)
{
	struct engine *e = data;
	struct group *g = e->drop_g;
	struct jrec_drop jd = { .reason = (uint8_t)why, .key = *p->key };
	char text[128];
	int n;

	drop_text(e, why, text, sizeof(text));
	log_drop(e, p, text);
	engine_ctr(e, why == CONCAT_EXPIRED ? TXGW_CTR_SMS_CONCAT_TIMEOUTS : TXGW_CTR_SMS_CONCAT_EVICTED, 1);
	if (!g) {
		LOGP(DSMS, LOGL_ERROR, "incomplete message from %s dropped outside an input\n", p->key->src);
		return;
	}
	n = jrec_drop_encode(e->buf, JOURNAL_MAX_PAYLOAD, &jd);
	if (n < 0) {
		g->p->err = g->p->err ? g->p->err : n;
		return;
	}
	group_append(g, JREC_DROP, e->buf, (size_t)n, NULL);
	engine_emit_incomplete(g, p->key, p->first_rx_ms, p->n_parts, p->seqs, p->data, p->lens, text);
}

/* ---- life cycle ------------------------------------------------------------ */

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t engine_wall_ms(const struct engine *e)
{
	return e->cfg.clock_ms(CLOCK_REALTIME);
}

uint64_t engine_mono_ms(const struct engine *e)
{
	return (uint64_t)e->cfg.clock_ms(CLOCK_MONOTONIC) + ENGINE_MONO_BASE_MS;
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

static void flush_cb(void *data)
{
	engine_flush(data);
}

static void on_task_done(void *data, struct vtask *t)
{
	engine_task_done(data, t);
}

int engine_alloc_state(struct engine *e, struct ledger **l, struct concat **cc)
{
	struct concat_cfg ccfg = {
		.timeout_s = e->cfg.concat_timeout_s,
		.max_partial = e->cfg.concat_max_partial,
		.max_bytes = e->cfg.concat_max_bytes,
		.max_per_sender = e->cfg.concat_max_per_sender,
		.max_bytes_per_sender = ENGINE_DEFAULT_MAX_BYTES_PER_SENDER,
		.hash_seed = (uint64_t)(uintptr_t)e ^ 0x9e3779b97f4a7c15ULL,
	};
	*l = ledger_alloc(e);
	*cc = concat_new(e, &ccfg, on_concat_drop, e);
	if (!*l || !*cc) {
		ledger_free(*l);
		concat_free(*cc);
		LOGP(DJOURNAL, LOGL_ERROR, "engine: out of memory\n");
		return -ENOMEM;
	}
	return 0;
}

static int engine_alloc_parts(struct engine *e)
{
	e->v = verifier_alloc(e, VERIFIER_DEFAULT_SLOTS);
	e->buf = talloc_size(e, JOURNAL_MAX_PAYLOAD);
	e->scratch = talloc_zero(e, struct extract_result);
	e->ob = outbox_new(e);
	if (!e->v || !e->buf || !e->scratch || !e->ob) {
		LOGP(DJOURNAL, LOGL_ERROR, "engine: out of memory\n");
		return -ENOMEM;
	}
	int rc = engine_alloc_state(e, &e->l, &e->cc);
	if (rc < 0)
		return rc;
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
	if (!e->cfg.concat_max_per_sender)
		e->cfg.concat_max_per_sender = ENGINE_DEFAULT_MAX_PER_SENDER;
	if (e->cfg.concat_max_per_sender > e->cfg.concat_max_partial)
		e->cfg.concat_max_per_sender = e->cfg.concat_max_partial;
	if (!e->cfg.clock_ms)
		e->cfg.clock_ms = clock_ms;
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
	engine_down_init(e);
	copy_cfg(e, cfg);
	jw_init(&e->w, 0);
	rc = engine_alloc_parts(e);
	if (rc == 0)
		rc = engine_recover(e);
	if (rc == -ENOSPC || rc == -EDQUOT) {
		/* no room for even a new segment: start down, and open the
		 * journal (rebuilding from it) once there is room */
		if (e->j)
			journal_close(e->j);
		e->j = NULL;
		engine_down(e, rc, true);
		rc = 0;
	}
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
	memset(info, 0, sizeof(*info));
	info->oldest_seq = 1;
	if (e->j) {
		info->last_seq = journal_last_seq(e->j);
		info->synced_seq = journal_synced_seq(e->j);
		info->oldest_seq = journal_oldest_seq(e->j);
	}
	info->devices = ledger_count(e->l);
	info->partial = concat_get_stats(e->cc)->partial_now;
	info->pending = e->n_pending + e->n_inputs;
	engine_get_down(e, info);
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
	engine_down_stop(e);
	if (!e->down)
		engine_checkpoint(e);
	else if (e->j)
		journal_discard_unsynced(e->j);	/* the next start opens what is durable */
	outbox_free(e->ob);
	e->ob = NULL;
	if (e->rit)
		journal_iter_free(e->rit);
	if (e->j)
		journal_close(e->j);
	jw_free(&e->w);
	verifier_free(e->v);
	talloc_free(e);
}
