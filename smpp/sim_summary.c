/*
 * sim_summary.c — the simulator's book of uploads and its summary; see
 * sim_summary.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "bus_msg.h"
#include "json.h"
#include "outcome.h"
#include "sim_summary.h"
#include "smpp_pdu.h"
#include "smsc.h"

void sim_book_init(struct sim_book *b, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
}

int sim_book_add(struct sim_book *b, const struct fleet_upload *u, unsigned parts, bool hold,
		 size_t *idx)
{
	struct sim_up *e;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		struct sim_up *up = talloc_realloc(b->ctx, b->up, struct sim_up, cap);
		if (!up)
			return -ENOMEM;
		b->up = up;
		b->cap = cap;
	}
	e = &b->up[b->n];
	memset(e, 0, sizeof(*e));
	e->ev = talloc_memdup(b->ctx, u->ev, u->n_ev * sizeof(u->ev[0]) + 1);
	if (!e->ev)
		return -ENOMEM;
	e->n_ev = u->n_ev;
	e->device_id = u->device_id;
	e->upload_seq = u->upload_seq;
	e->dev = u->dev;
	e->anomaly = (uint8_t)u->anomaly;
	e->has_device = u->has_device;
	e->text = u->text;
	e->hold = hold;
	e->parts = (uint16_t)parts;
	memcpy(e->digest, u->digest, sizeof(e->digest));
	memcpy(e->src, u->src, sizeof(e->src));
	e->registered = u->registered;
	*idx = b->n++;
	return 0;
}

int sim_book_part_done(struct sim_book *b, size_t idx, uint32_t status)
{
	struct sim_up *u;

	if (idx >= b->n)
		return -1;
	u = &b->up[idx];
	u->answered++;
	if (status == ESME_ROK)
		u->acked++;
	else if (!u->fail_status)
		u->fail_status = status;
	if (u->answered != u->parts)
		return -1;
	if (u->acked == u->parts)
		b->n_acked++;
	else
		b->n_failed++;
	return u->hold ? (int)u->dev : -1;
}

static bool up_acked(const struct sim_up *u)
{
	return u->acked == u->parts;
}

static bool up_failed(const struct sim_up *u)
{
	return u->answered == u->parts && u->acked < u->parts;
}

/* ---- events in bus.md's terms ---- */

static void write_detail(struct jw *w, const struct sim_up *u, const struct fleet_ev *e)
{
	jw_key(w, "detail");
	jw_obj_open(w);
	switch (e->kind) {
	case TXL_AL_COUNTER_GAP:
	case TXL_AL_BALANCE_MISMATCH:
		jw_kint(w, "expected", e->expected);
		jw_kint(w, "got", e->got);
		break;
	case TXL_AL_REPLAY:
		jw_kint(w, "last_upload", e->expected);
		jw_kint(w, "got", e->got);
		break;
	case TXL_AL_MSISDN_MISMATCH:
		jw_kstr(w, "registered", u->registered ? u->registered : "");
		jw_kstr(w, "got", u->src);
		break;
	}
	jw_obj_close(w);
}

static void write_event(struct jw *w, const struct sim_up *u, const struct fleet_ev *e)
{
	char cur[8];

	jw_obj_open(w);
	switch (e->type) {
	case TXL_EV_RECORD:
		bus_currency_str(cur, sizeof(cur), FLEET_CURRENCY);
		jw_kuint(w, "counter", e->counter);
		jw_kstr(w, "type", bus_type_name(e->rec_type));
		jw_kstr(w, "currency", cur);
		jw_kuint(w, "amount", e->amount);
		jw_kuint(w, "balance", e->balance);
		break;
	case TXL_EV_ALERT:
		jw_kstr(w, "kind", txl_alert_name((enum txl_alert)e->kind));
		if (e->has_counter)
			jw_kuint(w, "counter", e->counter);
		write_detail(w, u, e);
		break;
	case TXL_EV_REJECT:
		jw_kstr(w, "reason", txl_reject_name((enum txl_reject)e->kind));
		if (u->text)
			jw_kstr(w, "src", u->src);
		break;
	}
	if (!u->text) {
		jw_kuint(w, "upload", u->upload_seq);
		jw_khex(w, "frame", u->digest, sizeof(u->digest));
	}
	jw_obj_close(w);
}

/* "name": [the events of type of every upload in list] */
static void write_events(struct jw *w, const char *name, const struct sim_book *b, const size_t *list,
			 size_t n, enum txl_ev_type type)
{
	jw_key(w, name);
	jw_arr_open(w);
	for (size_t k = 0; k < n; k++) {
		const struct sim_up *u = &b->up[list[k]];
		for (unsigned i = 0; i < u->n_ev; i++)
			if (u->ev[i].type == type)
				write_event(w, u, &u->ev[i]);
	}
	jw_arr_close(w);
}

/* ---- grouping by device ---- */

struct by_dev {
	const struct sim_book *b;
	size_t *idx;
	size_t n;
};

static int cmp_dev(const void *pa, const void *pb, void *arg)
{
	const struct sim_book *book = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct sim_up *x = &book->up[a], *y = &book->up[b];

	if (x->device_id != y->device_id)
		return x->device_id < y->device_id ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* The acked uploads from a device, sorted by device then order made. */
static int group(struct by_dev *g, const struct sim_book *b)
{
	g->b = b;
	g->n = 0;
	g->idx = talloc_array(b->ctx, size_t, b->n + 1);
	if (!g->idx)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		if (b->up[i].has_device && (up_acked(&b->up[i]) || up_failed(&b->up[i])))
			g->idx[g->n++] = i;
	qsort_r(g->idx, g->n, sizeof(size_t), cmp_dev, (void *)b);
	return 0;
}

static void write_device(struct jw *w, const struct sim_summary_info *info, const struct sim_book *b,
			 const size_t *list, size_t n)
{
	const struct sim_up *u0 = &b->up[list[0]];
	char id[17];
	size_t m = 0;
	bool uncertain = false;
	size_t *acked = talloc_array(b->ctx, size_t, n);

	for (size_t k = 0; k < n; k++) {
		if (up_acked(&b->up[list[k]]) && acked)
			acked[m++] = list[k];
		uncertain |= up_failed(&b->up[list[k]]);
	}
	snprintf(id, sizeof(id), "%016" PRIx64, u0->device_id);
	jw_key(w, id);
	jw_obj_open(w);
	jw_kstr(w, "msisdn", info->fl->dev[u0->dev].msisdn);
	if (uncertain)
		jw_kbool(w, "uncertain", true);
	write_events(w, "records", b, acked, m, TXL_EV_RECORD);
	write_events(w, "alerts", b, acked, m, TXL_EV_ALERT);
	write_events(w, "rejects", b, acked, m, TXL_EV_REJECT);
	jw_obj_close(w);
	talloc_free(acked);
}

static void write_devices(struct jw *w, const struct sim_summary_info *info, const struct sim_book *b)
{
	struct by_dev g;

	jw_key(w, "devices");
	jw_obj_open(w);
	if (group(&g, b) == 0) {
		for (size_t k = 0, end; k < g.n; k = end) {
			for (end = k + 1; end < g.n && b->up[g.idx[end]].device_id == b->up[g.idx[k]].device_id;)
				end++;
			write_device(w, info, b, g.idx + k, end - k);
		}
		talloc_free(g.idx);
	}
	jw_obj_close(w);
}

/* Uploads in a state: unacked (pending) or failed, each with its events. */
static void write_leftovers(struct jw *w, const char *name, const struct sim_book *b, bool failed)
{
	jw_key(w, name);
	jw_arr_open(w);
	for (size_t i = 0; i < b->n; i++) {
		const struct sim_up *u = &b->up[i];
		if (up_acked(u) || up_failed(u) != failed)
			continue;
		jw_obj_open(w);
		if (u->has_device) {
			char id[17];
			snprintf(id, sizeof(id), "%016" PRIx64, u->device_id);
			jw_kstr(w, "device", id);
		}
		jw_kstr(w, "anomaly", fleet_anomaly_name((enum fleet_anomaly)u->anomaly));
		if (failed)
			jw_kstr(w, "status", smpp_status_name(u->fail_status) ? smpp_status_name(u->fail_status) : "?");
		write_events(w, "records", b, &i, 1, TXL_EV_RECORD);
		write_events(w, "alerts", b, &i, 1, TXL_EV_ALERT);
		write_events(w, "rejects", b, &i, 1, TXL_EV_REJECT);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

/* ---- totals ---- */

struct totals {
	uint64_t records, alerts, rejects;
	uint64_t by_anomaly[FA_COUNT];
};

static void count(const struct sim_book *b, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < b->n; i++) {
		const struct sim_up *u = &b->up[i];
		if (!up_acked(u))
			continue;
		t->by_anomaly[u->anomaly]++;
		for (unsigned k = 0; k < u->n_ev; k++) {
			t->records += u->ev[k].type == TXL_EV_RECORD;
			t->alerts += u->ev[k].type == TXL_EV_ALERT;
			t->rejects += u->ev[k].type == TXL_EV_REJECT;
		}
	}
}

/* The SMSC's counters in the summary, by name (smsc.h). */
static const struct {
	const char *name;
	size_t off;
} smsc_fields[] = {
#define F(x) { #x, offsetof(struct smsc_stats, x) }
	F(queued), F(sent), F(acked), F(failed), F(retries), F(timeouts), F(temp_errors),
	F(requeued), F(late_resps), F(generic_nacks), F(dup_sent), F(corrupt_sent), F(drops),
	F(throttled), F(binds), F(bind_refused), F(unbinds), F(enquire_rx), F(enquire_tx),
	F(submits),
#undef F
};

static void write_stats(struct jw *w, const struct smsc_stats *st)
{
	jw_key(w, "smsc");
	jw_obj_open(w);
	for (size_t i = 0; i < sizeof(smsc_fields) / sizeof(smsc_fields[0]); i++) {
		uint64_t v;
		memcpy(&v, (const char *)st + smsc_fields[i].off, sizeof(v));
		jw_kuint(w, smsc_fields[i].name, v);
	}
	jw_obj_close(w);
	/* deliver_sm -> deliver_sm_resp, as the SMSC measured it */
	jw_key(w, "latency_ms");
	jw_obj_open(w);
	jw_kuint(w, "n", st->lat_n);
	char num[32];
	snprintf(num, sizeof(num), "%.3f", (double)smsc_latency_us(st, 50) / 1000);
	jw_key(w, "p50");
	jw_raw(w, num, strlen(num));
	snprintf(num, sizeof(num), "%.3f", (double)smsc_latency_us(st, 99) / 1000);
	jw_key(w, "p99");
	jw_raw(w, num, strlen(num));
	snprintf(num, sizeof(num), "%.3f", (double)st->lat_max_us / 1000);
	jw_key(w, "max");
	jw_raw(w, num, strlen(num));
	jw_obj_close(w);
}

static void write_head(struct jw *w, const struct sim_book *b, const struct sim_summary_info *info,
		       const struct totals *t)
{
	jw_kstr(w, "generator", "txgw-smsc-sim");
	jw_kuint(w, "seed", info->seed);
	jw_kint(w, "ms", (int64_t)(info->seconds * 1000));
	jw_key(w, "totals");
	jw_obj_open(w);
	jw_kuint(w, "uploads", b->n);
	jw_kuint(w, "acked", b->n_acked);
	jw_kuint(w, "unacked", b->n - b->n_acked - b->n_failed);
	jw_kuint(w, "failed", b->n_failed);
	jw_kuint(w, "sms", info->sms_parts);
	jw_kuint(w, "records", t->records);
	jw_kuint(w, "alerts", t->alerts);
	jw_kuint(w, "rejects", t->rejects);
	jw_kuint(w, "anomalies_skipped", info->anomaly_skipped);
	jw_obj_close(w);
	write_stats(w, info->st);
	jw_key(w, "anomalies");
	jw_obj_open(w);
	for (unsigned a = FA_NONE + 1; a < FA_COUNT; a++)
		jw_kuint(w, fleet_anomaly_name((enum fleet_anomaly)a), t->by_anomaly[a]);
	jw_obj_close(w);
}

int sim_summary_write(const char *path, const struct sim_book *b, const struct sim_summary_info *info)
{
	struct totals t;
	struct jw w;
	FILE *fp;
	int rc;

	count(b, &t);
	jw_init(&w, 0);
	jw_obj_open(&w);
	write_head(&w, b, info, &t);
	write_devices(&w, info, b);
	jw_key(&w, "not_txlog");
	jw_arr_open(&w);
	for (size_t i = 0; i < b->n; i++)
		if (b->up[i].text && up_acked(&b->up[i]))
			write_event(&w, &b->up[i], &b->up[i].ev[0]);
	jw_arr_close(&w);
	write_leftovers(&w, "unacked", b, false);
	write_leftovers(&w, "failed", b, true);
	jw_obj_close(&w);
	rc = jw_finish(&w);
	if (rc == 0) {
		fp = fopen(path, "w");
		if (!fp || fwrite(w.buf, 1, w.len, fp) != w.len || fputc('\n', fp) == EOF)
			rc = -EIO;
		if (fp && fclose(fp) != 0)
			rc = -EIO;
	}
	jw_free(&w);
	return rc;
}

void sim_summary_print(FILE *out, const struct sim_book *b, const struct sim_summary_info *info)
{
	const struct smsc_stats *st = info->st;
	struct totals t;

	count(b, &t);
	fprintf(out, "txgw-smsc-sim: %.1f s, uploads %zu: acked %zu, unacked %zu, failed %zu; sms %" PRIu64 "\n",
		info->seconds, b->n, b->n_acked, b->n - b->n_acked - b->n_failed, b->n_failed, info->sms_parts);
	fprintf(out, "txgw-smsc-sim: deliver_sm sent %" PRIu64 ", acked %" PRIu64 ", failed %" PRIu64
		", retries %" PRIu64 " (timeouts %" PRIu64 ", temporary errors %" PRIu64 ", rebinds %" PRIu64
		")\n", st->sent, st->acked, st->failed, st->retries, st->timeouts, st->temp_errors, st->requeued);
	fprintf(out, "txgw-smsc-sim: faults: drops %" PRIu64 ", duplicates %" PRIu64 ", corrupt %" PRIu64
		", throttled %" PRIu64 "; generic_nack %" PRIu64 "; binds %" PRIu64 " (refused %" PRIu64 ")\n",
		st->drops, st->dup_sent, st->corrupt_sent, st->throttled, st->generic_nacks, st->binds,
		st->bind_refused);
	fprintf(out, "txgw-smsc-sim: deliver_sm -> resp: p50 %.2f ms, p99 %.2f ms, max %.2f ms over %" PRIu64
		"\n", (double)smsc_latency_us(st, 50) / 1000, (double)smsc_latency_us(st, 99) / 1000,
		(double)st->lat_max_us / 1000, st->lat_n);
	fprintf(out, "txgw-smsc-sim: expected on the bus: %" PRIu64 " records, %" PRIu64 " alerts, %" PRIu64
		" rejects\n", t.records, t.alerts, t.rejects);
}
