/*
 * mail_book.c — txgw-mail-sim's book of mails and uploads, and its
 * summary; see mail_book.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "contrib/sim/mail_book.h"
#include "gateway/lib/json.h"
#include "gateway/txlog/outcome.h"

#define PROG	"txgw-mail-sim"

/* What the writers share. */
struct out {
	struct jw w;
	const struct mail_book *b;
	const struct mail_book_info *i;
};

void mail_book_init(struct mail_book *b, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->ctx = ctx;
}

/* Room in *arr (talloc, elements of size) for one more than n. */
static int grow(void *ctx, void **arr, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 256;
	p = talloc_realloc_size(ctx, *arr, c * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

int mail_book_mail(struct mail_book *b, uint8_t shape, const char *from, size_t *idx)
{
	struct book_mail *m;

	if (grow(b->ctx, (void **)&b->mail, &b->cap_mail, b->n_mail, sizeof(*b->mail)) < 0)
		return -ENOMEM;
	m = &b->mail[b->n_mail];
	memset(m, 0, sizeof(*m));
	m->state = MAIL_PENDING;
	m->shape = shape;
	snprintf(m->from, sizeof(m->from), "%s", from);
	*idx = b->n_mail++;
	return 0;
}

int mail_book_upload(struct mail_book *b, const struct fleet_upload *u, size_t mail)
{
	struct book_up *e;

	if (grow(b->ctx, (void **)&b->up, &b->cap_up, b->n_up, sizeof(*b->up)) < 0)
		return -ENOMEM;
	e = &b->up[b->n_up];
	if (fleet_book(b->ctx, &e->k, u) < 0)
		return -ENOMEM;
	e->mail = mail;
	b->n_up++;
	return 0;
}

int mail_book_accepted(struct mail_book *b, size_t mail, uint32_t us)
{
	b->mail[mail].state = MAIL_ACCEPTED;
	if (grow(b->ctx, (void **)&b->lat_us, &b->cap_lat, b->n_lat, sizeof(*b->lat_us)) < 0)
		return -ENOMEM;
	b->lat_us[b->n_lat++] = us;
	return 0;
}

void mail_book_failed(struct mail_book *b, size_t mail, const char *why)
{
	b->mail[mail].state = MAIL_FAILED;
	snprintf(b->mail[mail].status, sizeof(b->mail[mail].status), "%s", why);
}

static enum mail_book_state up_state(const struct mail_book *b, const struct book_up *u)
{
	return (enum mail_book_state)b->mail[u->mail].state;
}

/* ---- events in bus.md's terms ---- */

/* "records", "alerts", "rejects": the events of the uploads list[0..n-1]. */
static void write_all_events(struct out *o, const size_t *list, size_t n)
{
	for (unsigned type = TXL_EV_RECORD; type <= TXL_EV_REJECT; type++) {
		jw_key(&o->w, fleet_ev_list_name((enum txl_ev_type)type));
		jw_arr_open(&o->w);
		for (size_t k = 0; k < n; k++) {
			const struct book_up *u = &o->b->up[list[k]];
			fleet_booked_events(&o->w, &u->k, (enum txl_ev_type)type, o->b->mail[u->mail].from,
					    NULL);
		}
		jw_arr_close(&o->w);
	}
}

/* ---- grouping by device ---- */

static int by_device(const void *pa, const void *pb, void *arg)
{
	const struct mail_book *b = arg;
	size_t x = *(const size_t *)pa, y = *(const size_t *)pb;
	uint64_t dx = b->up[x].k.device_id, dy = b->up[y].k.device_id;

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* One device: its accepted uploads' events; uncertain when a mail of it
 * failed (the gateway never took it, so later claims may not hold). */
static void write_device(struct out *o, const size_t *list, size_t n, size_t *acc)
{
	const struct book_up *u0 = &o->b->up[list[0]];
	bool uncertain = false;
	char id[17];
	size_t m = 0;

	for (size_t k = 0; k < n; k++) {
		enum mail_book_state st = up_state(o->b, &o->b->up[list[k]]);
		if (st == MAIL_ACCEPTED)
			acc[m++] = list[k];
		uncertain |= st == MAIL_FAILED;
	}
	snprintf(id, sizeof(id), "%016" PRIx64, u0->k.device_id);
	jw_key(&o->w, id);
	jw_obj_open(&o->w);
	jw_kstr(&o->w, "msisdn", o->i->fl->dev[u0->k.dev].msisdn);
	jw_kstr(&o->w, "src", o->b->mail[u0->mail].from);
	if (uncertain)
		jw_kbool(&o->w, "uncertain", true);
	write_all_events(o, acc, m);
	jw_obj_close(&o->w);
}

static int write_devices(struct out *o)
{
	const struct mail_book *b = o->b;
	size_t *idx = talloc_array(b->ctx, size_t, b->n_up + 1), n = 0;
	size_t *acc = talloc_array(b->ctx, size_t, b->n_up + 1);

	if (!idx || !acc) {
		talloc_free(idx);
		talloc_free(acc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < b->n_up; i++)
		if (b->up[i].k.has_device && up_state(b, &b->up[i]) != MAIL_PENDING)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(size_t), by_device, (void *)b);
	jw_key(&o->w, "devices");
	jw_obj_open(&o->w);
	for (size_t k = 0, end; k < n; k = end) {
		for (end = k + 1; end < n && b->up[idx[end]].k.device_id == b->up[idx[k]].k.device_id;)
			end++;
		write_device(o, idx + k, end - k, acc);
	}
	jw_obj_close(&o->w);
	talloc_free(idx);
	talloc_free(acc);
	return 0;
}

/* The uploads of mails still pending ("unacked"), or failed. */
static void write_leftovers(struct out *o, const char *name, enum mail_book_state want)
{
	jw_key(&o->w, name);
	jw_arr_open(&o->w);
	for (size_t i = 0; i < o->b->n_up; i++) {
		const struct book_up *u = &o->b->up[i];
		if (up_state(o->b, u) != want)
			continue;
		jw_obj_open(&o->w);
		fleet_booked_head(&o->w, &u->k);
		jw_kstr(&o->w, "src", o->b->mail[u->mail].from);
		if (want == MAIL_FAILED)
			jw_kstr(&o->w, "status", o->b->mail[u->mail].status);
		write_all_events(o, &i, 1);
		jw_obj_close(&o->w);
	}
	jw_arr_close(&o->w);
}

/* ---- totals ---- */

struct totals {
	uint64_t acked, failed, mails_failed;
	struct fleet_tally ev;
	uint64_t by_shape[MAIL_BOOK_TEXT + 1];
};

static void count(const struct mail_book *b, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < b->n_mail; i++) {
		t->mails_failed += b->mail[i].state == MAIL_FAILED;
		t->by_shape[b->mail[i].shape <= MAIL_BOOK_TEXT ? b->mail[i].shape : MAIL_BOOK_TEXT]++;
	}
	for (size_t i = 0; i < b->n_up; i++) {
		const struct book_up *u = &b->up[i];
		enum mail_book_state st = up_state(b, u);
		t->failed += st == MAIL_FAILED;
		if (st != MAIL_ACCEPTED)
			continue;
		t->acked++;
		fleet_tally_add(&t->ev, &u->k);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void sort_latencies(struct mail_book *b)
{
	if (b->n_lat)
		qsort(b->lat_us, b->n_lat, sizeof(*b->lat_us), cmp_u32);
}

/* The q-quantile (nearest rank) of the sorted latencies, in ms. */
static double quantile_ms(const struct mail_book *b, double q)
{
	size_t r;

	if (!b->n_lat)
		return 0;
	r = (size_t)(q * (double)b->n_lat + 0.999999);
	r = r ? r - 1 : 0;
	return (double)b->lat_us[r < b->n_lat ? r : b->n_lat - 1] / 1000;
}

/* "k": milliseconds to the microsecond, a JSON number */
static void kms(struct jw *w, const char *k, double ms)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%.3f", ms);

	jw_key(w, k);
	jw_raw(w, buf, (size_t)n);
}

static void write_smtp(struct out *o, const struct totals *t)
{
	const struct mail_stats *st = o->i->st;
	struct jw *w = &o->w;

	jw_key(w, "smtp");
	jw_obj_open(w);
	jw_kuint(w, "mails", o->b->n_mail);
	jw_kuint(w, "accepted", st->accepted);
	jw_kuint(w, "failed", t->mails_failed);
	jw_kuint(w, "refused", st->refused);
	jw_kuint(w, "transfers", st->transfers);
	jw_kuint(w, "retries", st->retries);
	jw_kuint(w, "temp_errors", st->temp_errors);
	jw_kuint(w, "conn_errors", st->conn_errors);
	jw_kuint(w, "gave_up", st->gave_up);
	jw_kbool(w, "starttls", o->i->starttls);
	jw_key(w, "shapes");
	jw_obj_open(w);
	for (unsigned s = 0; s <= MAIL_BOOK_TEXT; s++)
		jw_kuint(w, s < MAIL_BOOK_TEXT ? mail_shape_name((enum mail_shape)s) : "text", t->by_shape[s]);
	jw_obj_close(w);
	jw_obj_close(w);
	jw_key(w, "latency_ms");
	jw_obj_open(w);
	jw_kuint(w, "n", o->b->n_lat);
	kms(w, "p50", quantile_ms(o->b, 0.5));
	kms(w, "p99", quantile_ms(o->b, 0.99));
	kms(w, "max", quantile_ms(o->b, 1));
	jw_obj_close(w);
}

static void write_head(struct out *o, const struct totals *t)
{
	struct jw *w = &o->w;

	jw_kstr(w, "generator", PROG);
	jw_kstr(w, "bearer", "smtp");
	jw_kuint(w, "seed", o->i->seed);
	jw_kint(w, "ms", (int64_t)(o->i->seconds * 1000));
	jw_key(w, "totals");
	jw_obj_open(w);
	jw_kuint(w, "uploads", o->b->n_up);
	jw_kuint(w, "acked", t->acked);
	jw_kuint(w, "unacked", o->b->n_up - t->acked - t->failed);
	jw_kuint(w, "failed", t->failed);
	jw_kuint(w, "mails", o->b->n_mail);
	jw_kuint(w, "records", t->ev.records);
	jw_kuint(w, "alerts", t->ev.alerts);
	jw_kuint(w, "rejects", t->ev.rejects);
	jw_kuint(w, "anomalies_skipped", o->i->anomaly_skipped);
	jw_obj_close(w);
	write_smtp(o, t);
	jw_key(w, "anomalies");
	jw_obj_open(w);
	for (unsigned a = FA_NONE + 1; a < FA_COUNT; a++)
		if (a != FA_MSISDN)	/* mail has no MSISDN check */
			jw_kuint(w, fleet_anomaly_name((enum fleet_anomaly)a), t->ev.by_anomaly[a]);
	jw_obj_close(w);
}

int mail_book_write(const char *path, struct mail_book *b, const struct mail_book_info *i)
{
	struct out o = { .b = b, .i = i };
	struct totals t;
	FILE *fp;
	int rc;

	sort_latencies(b);
	count(b, &t);
	jw_init(&o.w, 0);
	jw_obj_open(&o.w);
	write_head(&o, &t);
	rc = write_devices(&o);
	jw_key(&o.w, "not_txlog");
	jw_arr_open(&o.w);
	for (size_t k = 0; k < b->n_up; k++)
		if (b->up[k].k.text && up_state(b, &b->up[k]) == MAIL_ACCEPTED)
			fleet_booked_events(&o.w, &b->up[k].k, TXL_EV_REJECT, b->mail[b->up[k].mail].from, NULL);
	jw_arr_close(&o.w);
	write_leftovers(&o, "unacked", MAIL_PENDING);
	write_leftovers(&o, "failed", MAIL_FAILED);
	jw_obj_close(&o.w);
	if (rc == 0)
		rc = jw_finish(&o.w);
	if (rc == 0) {
		fp = fopen(path, "w");
		if (!fp || fwrite(o.w.buf, 1, o.w.len, fp) != o.w.len || fputc('\n', fp) == EOF)
			rc = -EIO;
		if (fp && fclose(fp) != 0)
			rc = -EIO;
	}
	jw_free(&o.w);
	return rc;
}

void mail_book_print(FILE *out, struct mail_book *b, const struct mail_book_info *i)
{
	const struct mail_stats *st = i->st;
	struct totals t;

	sort_latencies(b);
	count(b, &t);
	fprintf(out, PROG ": %.1f s, mails %zu: accepted %" PRIu64 ", failed %" PRIu64 " (refused %" PRIu64
		", gave up %" PRIu64 "), unanswered %" PRIu64 "\n", i->seconds, b->n_mail, st->accepted,
		t.mails_failed, st->refused, st->gave_up, b->n_mail - st->accepted - t.mails_failed);
	fprintf(out, PROG ": transfers %" PRIu64 ", retries %" PRIu64 " (4xx %" PRIu64 ", no reply %" PRIu64
		")%s\n", st->transfers, st->retries, st->temp_errors, st->conn_errors,
		i->starttls ? ", STARTTLS" : "");
	fprintf(out, PROG ": mail latency p50 %.1f ms, p99 %.1f ms, max %.1f ms over %zu mails\n",
		quantile_ms(b, 0.5), quantile_ms(b, 0.99), quantile_ms(b, 1), b->n_lat);
	fprintf(out, PROG ": uploads %zu: acked %" PRIu64 ", failed %" PRIu64 "; expected on the bus: %"
		PRIu64 " records, %" PRIu64 " alerts, %" PRIu64 " rejects\n", b->n_up, t.acked, t.failed,
		t.ev.records, t.ev.alerts, t.ev.rejects);
}
