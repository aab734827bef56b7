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

#include "contrib/sim/sim_summary.h"
#include "gateway/lib/json.h"
#include "gateway/txlog/outcome.h"
#include "smpp/smpp_pdu.h"

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
	if (fleet_book(b->ctx, &e->k, u) < 0)
		return -ENOMEM;
	e->hold = hold;
	e->parts = (uint16_t)parts;
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
	return u->hold ? (int)u->k.dev : -1;
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

/* "records", "alerts", "rejects": [the events of each type of the uploads in list] */
static void write_events(struct jw *w, const struct sim_book *b, const size_t *list, size_t n)
{
	for (unsigned type = TXL_EV_RECORD; type <= TXL_EV_REJECT; type++) {
		jw_key(w, fleet_ev_list_name((enum txl_ev_type)type));
		jw_arr_open(w);
		for (size_t k = 0; k < n; k++) {
			const struct sim_up *u = &b->up[list[k]];
			fleet_booked_events(w, &u->k, (enum txl_ev_type)type, u->src, u->registered);
		}
		jw_arr_close(w);
	}
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

	if (x->k.device_id != y->k.device_id)
		return x->k.device_id < y->k.device_id ? -1 : 1;
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
		if (b->up[i].k.has_device && (up_acked(&b->up[i]) || up_failed(&b->up[i])))
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
	snprintf(id, sizeof(id), "%016" PRIx64, u0->k.device_id);
	jw_key(w, id);
	jw_obj_open(w);
	jw_kstr(w, "msisdn", info->fl->dev[u0->k.dev].msisdn);
	if (uncertain)
		jw_kbool(w, "uncertain", true);
	write_events(w, b, acked, m);
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
			for (end = k + 1; end < g.n && b->up[g.idx[end]].k.device_id == b->up[g.idx[k]].k.device_id;)
				end++;
			write_device(w, info, b, g.idx + k, end - k);
		}
		talloc_free(g.idx);
	}
	jw_obj_close(w);
}

static const char *status_name(const struct sim_summary_info *info, uint32_t status)
{
	const char *n = info->status_name ? info->status_name(status) : smpp_status_name(status);

	return n ? n : "?";
}

/* Uploads in a state: unacked (pending) or failed, each with its events. */
static void write_leftovers(struct jw *w, const char *name, const struct sim_book *b, bool failed,
			    const struct sim_summary_info *info)
{
	jw_key(w, name);
	jw_arr_open(w);
	for (size_t i = 0; i < b->n; i++) {
		const struct sim_up *u = &b->up[i];
		if (up_acked(u) || up_failed(u) != failed)
			continue;
		jw_obj_open(w);
		fleet_booked_head(w, &u->k);
		if (failed)
			jw_kstr(w, "status", status_name(info, u->fail_status));
		write_events(w, b, &i, 1);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

/* ---- totals ---- */

static void count(const struct sim_book *b, struct fleet_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < b->n; i++)
		if (up_acked(&b->up[i]))
			fleet_tally_add(t, &b->up[i].k);
}

static void write_head(struct jw *w, const struct sim_book *b, const struct sim_summary_info *info,
		       const struct fleet_tally *t)
{
	jw_kstr(w, "generator", info->generator);
	jw_kuint(w, "seed", info->seed);
	jw_kint(w, "ms", (int64_t)(info->seconds * 1000));
	jw_kint(w, "busy_ms", (int64_t)(info->busy_seconds * 1000));
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
	if (info->write_extra)
		info->write_extra(w, info->extra);
	jw_key(w, "anomalies");
	jw_obj_open(w);
	for (unsigned a = FA_NONE + 1; a < FA_COUNT; a++)
		jw_kuint(w, fleet_anomaly_name((enum fleet_anomaly)a), t->by_anomaly[a]);
	jw_obj_close(w);
}

int sim_summary_write(const char *path, const struct sim_book *b, const struct sim_summary_info *info)
{
	struct fleet_tally t;
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
		if (b->up[i].k.text && up_acked(&b->up[i]))
			fleet_booked_events(&w, &b->up[i].k, TXL_EV_REJECT, b->up[i].src, NULL);
	jw_arr_close(&w);
	write_leftovers(&w, "unacked", b, false, info);
	write_leftovers(&w, "failed", b, true, info);
	if (info->more)
		info->more(info->more_arg, &w);
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
	struct fleet_tally t;

	count(b, &t);
	fprintf(out, "%s: %.1f s, uploads %zu: acked %zu, unacked %zu, failed %zu; sms %" PRIu64 "\n",
		info->generator, info->seconds, b->n, b->n_acked, b->n - b->n_acked - b->n_failed,
		b->n_failed, info->sms_parts);
	if (info->print_extra)
		info->print_extra(out, info->extra);
	fprintf(out, "%s: expected on the bus: %" PRIu64 " records, %" PRIu64 " alerts, %" PRIu64
		" rejects\n", info->generator, t.records, t.alerts, t.rejects);
}
