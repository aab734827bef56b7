/*
 * txgw-handset-sim — handsets sending their TXLOG uploads as SMS through a
 * real Osmocom core: it plays a BSC (contrib/sim/bsc.c) with one handset
 * per device of the fleet (contrib/sim/handset.c) on the A interface, over
 * M3UA through osmo-stp to osmo-msc, whose SMSC hands each SMS to txgw
 * over SMPP.  The uploads are those of txgw-smsc-sim (contrib/sim/fleet.c,
 * sms_form.c), and so is the summary (sim_summary.c): sim_compare.py holds
 * the bus to it.  It also takes mobile-terminated SMS (mt_book.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/sigtran/osmo_ss7.h>

#include "contrib/sim/a_if.h"
#include "contrib/sim/fleet.h"
#include "contrib/sim/fleet_cli.h"
#include "contrib/sim/handset.h"
#include "contrib/sim/handset_cli.h"
#include "contrib/sim/mt_book.h"
#include "contrib/sim/sim_summary.h"
#include "contrib/sim/sms_form.h"
#include "gateway/lib/json.h"
#include "smpp/smpp_pdu.h"

#define PROG		"txgw-handset-sim"
#define TICK_MS		100
#define RESET_EVERY_MS	2000
#define ST_NO_ANSWER	0x10000		/* a failed part's status: no RP answer */
#define ST_RP_CAUSE	0x20000		/* ... RP-ERROR / CP-ERROR with this cause below */

struct sim {
	struct hsim_opts o;
	void *ctx;
	struct fleet *fl;
	struct fleet_upload *fu;
	struct hs_world *w;
	struct handset **by_dev;	/* fleet index -> its handset, or NULL */
	bool *swapped;			/* fleet index -> SIM with another MSISDN */
	uint64_t *made_by;		/* fleet index -> uploads made */
	struct sim_book book;
	struct mt_book *mt;
	FILE *tpdu_out;
	uint64_t made, sms_parts, answered;
	uint64_t t0_ms, as_ms, reset_ms, start_ms, gen_end_ms, last_done_ms, idle_ms;
	bool started, stop;
	int rc;
	struct osmo_timer_list tick;
	uint64_t last_progress_ms, last_sent;
};

static volatile sig_atomic_t got_signal;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the fleet and its SIMs ---- */

static const char *hlr_msisdn(const struct sim *s, const char *reg)
{
	for (unsigned i = 0; i < s->o.n_swap; i++)
		if (!strcmp(s->o.swap[i].reg, reg))
			return s->o.swap[i].hlr;
	return reg;
}

/* Every device bound to an MSISDN gets a handset whose SIM's IMSI comes
 * from that MSISDN; the HLR may know the SIM under another (--hlr-msisdn). */
static int add_handsets(struct sim *s, FILE *subs)
{
	unsigned n = fleet_count(s->fl), added = 0;
	char imsi[A_IMSI_MAX + 1];

	s->by_dev = talloc_zero_array(s, struct handset *, n);
	s->swapped = talloc_zero_array(s, bool, n);
	s->made_by = talloc_zero_array(s, uint64_t, n);
	if (!s->by_dev || !s->swapped || !s->made_by)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const struct fleet_dev *d = &s->fl->dev[i];
		if (!d->msisdn[0] || a_imsi_of_msisdn(imsi, sizeof(imsi), d->msisdn) < 0) {
			fprintf(stderr, PROG ": device %016" PRIx64 " has no MSISDN: no handset\n", d->id);
			continue;
		}
		const char *msisdn = hlr_msisdn(s, d->msisdn);
		s->swapped[i] = strcmp(msisdn, d->msisdn) != 0;
		if (subs)
			fprintf(subs, "%s %s\n", imsi, msisdn);
		if (s->w && !(s->by_dev[i] = hs_add(s->w, imsi, msisdn, i, i < s->fl->n_active)))
			return -ENOMEM;
		added++;
	}
	if (!added) {
		fprintf(stderr, PROG ": no device has an MSISDN: no handset\n");
		return -EINVAL;
	}
	return 0;
}

static int write_subscribers(struct sim *s)
{
	FILE *fp = fopen(s->o.subscribers, "w");
	int rc;

	if (!fp) {
		fprintf(stderr, PROG ": %s: %s\n", s->o.subscribers, strerror(errno));
		return -EIO;
	}
	rc = add_handsets(s, fp);
	if (fclose(fp) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* ---- making uploads ---- */

static int pick(struct sim *s, int opt, int n)
{
	return opt == HSIM_MIX ? (int)fleet_rand(s->fl, (uint32_t)n) : opt;
}

static bool generating(const struct sim *s, uint64_t now)
{
	if (!s->started || s->stop || s->o.mt_only)
		return false;
	if (s->o.count && s->made >= s->o.count)
		return false;
	if (s->o.per_handset && !s->o.count && s->made >= s->o.per_handset * s->fl->n_active)
		return false;
	return !s->o.duration || now < s->start_ms + (uint64_t)(s->o.duration * 1000);
}

/*
 * The anomaly of the next upload of handset dev.  A SIM the HLR knows
 * under another MSISDN sends honest frames, each raising msisdn_mismatch;
 * the summary cannot say that a frame it sends is also rejected or also
 * raises another alert (it names the sender only through msisdn_mismatch),
 * so those anomalies are made on another handset.  Its texts, and frames
 * of revoked or unknown devices (their own handsets send them), stay.
 */
static enum fleet_anomaly next_anomaly(struct sim *s, unsigned dev)
{
	enum fleet_anomaly a = fleet_pick_anomaly(s->fl, s->o.fleet.anomaly);

	if (!s->swapped[dev] || a == FA_TEXT || a == FA_REVOKED || a == FA_UNKNOWN_DEVICE)
		return a;
	if (a != FA_NONE)
		fleet_owe(s->fl, a);
	return FA_MSISDN;
}

/* --tpdu-out: each SMS-SUBMIT in hex, then the MSISDN of the SIM that sends it */
static void write_tpdus(struct sim *s, const struct sf_sms *sms, const struct handset *h)
{
	for (unsigned i = 0; s->tpdu_out && i < sms->n; i++) {
		for (unsigned k = 0; k < sms->len[i]; k++)
			fprintf(s->tpdu_out, "%02x", sms->tpdu[i][k]);
		fprintf(s->tpdu_out, " %s\n", hs_msisdn(h));
	}
}

/* One upload of handset h's device into the outbox of the handset whose
 * device it is from (a revoked or unregistered device's own phone). */
static int make_one(struct sim *s, struct handset *h, struct handset **to)
{
	unsigned dev = hs_dev(h);
	enum fleet_anomaly a = next_anomaly(s, dev);
	struct fleet_upload *u = s->fu;
	struct hs_upload *up;
	int rc;

	rc = fleet_upload(s->fl, dev, a, (uint32_t)time(NULL), u);
	if (rc == -EAGAIN) {
		fleet_owe(s->fl, a);
		rc = fleet_upload(s->fl, dev, s->swapped[dev] ? FA_MSISDN : FA_NONE, (uint32_t)time(NULL), u);
	}
	if (rc < 0)
		return rc;
	*to = s->by_dev[u->dev] ? s->by_dev[u->dev] : h;
	/* the sender is the SIM's MSISDN as the HLR has it */
	snprintf(u->src, sizeof(u->src), "%s", hs_msisdn(*to));
	up = talloc_zero(s, struct hs_upload);
	if (!up)
		return -ENOMEM;
	rc = sf_upload(&up->sms, &s->fl->dev[hs_dev(*to)], u, (enum sf_coding)pick(s, s->o.form, 3),
		       pick(s, s->o.concat_ref, 2) ? 16 : 8, s->o.service);
	if (rc >= 0)
		rc = sim_book_add(&s->book, u, up->sms.n, false, &up->book);
	if (rc < 0) {
		fprintf(stderr, PROG ": cannot make an upload: %s\n", strerror(-rc));
		talloc_free(up);
		return rc;
	}
	write_tpdus(s, &up->sms, *to);
	s->sms_parts += up->sms.n;
	s->made++;
	s->made_by[dev]++;
	hs_enqueue(s->w, *to, up);
	return 0;
}

/* hs_ops.next: handset h's next upload, and on the way those of other
 * devices it happens to make (revoked, unknown). */
static int on_next(void *data, struct handset *h)
{
	struct sim *s = data;
	struct handset *to;

	for (unsigned tries = 0; tries < 16; tries++) {
		uint64_t now = mono_ms();
		if (!s->started)
			return -EAGAIN;
		if (!generating(s, now) || (s->o.per_handset && s->made_by[hs_dev(h)] >= s->o.per_handset))
			return -ENOENT;
		if (s->o.rate && s->made >= s->o.rate * (double)(now - s->start_ms) / 1000 + 1)
			return -EAGAIN;	/* ahead of --rate: asked again at the next tick */
		if (make_one(s, h, &to) < 0) {
			s->stop = true;
			s->rc = 2;
			return -ENOENT;
		}
		if (to == h)
			return 0;
	}
	return -EAGAIN;
}

static void on_part_done(void *data, struct handset *h, size_t book, unsigned part, bool ok,
			 uint8_t cause)
{
	struct sim *s = data;

	s->answered++;
	sim_book_part_done(&s->book, book, ok ? ESME_ROK : cause ? ST_RP_CAUSE | cause : ST_NO_ANSWER);
}

static void on_upload_done(void *data, struct handset *h, size_t book)
{
	struct sim *s = data;

	s->last_done_ms = mono_ms();
}

static void on_mt(void *data, struct handset *h, const uint8_t *tpdu, size_t len, const char *smsc)
{
	struct sim *s = data;

	mt_book_add(s->mt, hs_imsi(h), hs_msisdn(h), tpdu, len, mono_ms());
}

static const struct hs_ops hs_ops = {
	.next = on_next, .part_done = on_part_done, .upload_done = on_upload_done, .mt = on_mt,
};

/* ---- the loop ---- */

static void progress(struct sim *s, uint64_t now)
{
	const struct hs_stats *st = hs_get_stats(s->w);

	if (s->o.quiet || now - s->last_progress_ms < 1000)
		return;
	fprintf(stderr, "t=%.0fs registered %u/%zu uploads %" PRIu64 " acked %zu sms sent %" PRIu64
		" acked %" PRIu64 " rp-error %" PRIu64 " rate %.0f/s conns %u waiting %u retries %" PRIu64
		" mt %zu\n", (double)(now - s->t0_ms) / 1000, st->registered, (size_t)fleet_count(s->fl),
		s->made, s->book.n_acked, st->sms_sent, st->rp_ack, st->rp_error,
		(double)(st->sms_sent - s->last_sent) * 1000 / (double)(now - s->last_progress_ms), st->busy,
		st->waiting, st->retries, mt_book_count(s->mt));
	s->last_progress_ms = now;
	s->last_sent = st->sms_sent;
}

/* Before traffic: the AS active at the STP, RESET acknowledged, every
 * handset registered; false when the core never came (stop). */
static void bring_up(struct sim *s, uint64_t now)
{
	struct bsc *b = hs_bsc(s->w);

	if (now - s->t0_ms > (uint64_t)(s->o.wait_core * 1000)) {
		fprintf(stderr, PROG ": the core did not %s within %.0f s\n",
			!s->as_ms ? "activate our AS at the STP" : !hs_world_ready(s->w) ?
			"take the BSC and register every handset" : "start", s->o.wait_core);
		s->stop = true;
		s->rc = 2;
		return;
	}
	if (!s->as_ms) {
		if (!bsc_as_active(b))
			return;
		s->as_ms = now;
	}
	if (!hs_world_ready(s->w)) {
		if (now - s->reset_ms >= RESET_EVERY_MS && hs_get_stats(s->w)->lu == 0) {
			bsc_reset(b);	/* again until RESET ACKNOWLEDGE */
			s->reset_ms = now;
		}
		return;
	}
	s->started = true;
	s->start_ms = now;
	if (s->o.ready) {
		FILE *fp = fopen(s->o.ready, "w");
		if (fp) {
			fprintf(fp, "registered %u\n", hs_get_stats(s->w)->registered);
			fclose(fp);
		}
	}
	if (!s->o.quiet)
		fprintf(stderr, PROG ": AS active after %.1f s, %zu handsets registered after %.1f s\n",
			(double)(s->as_ms - s->t0_ms) / 1000, (size_t)hs_get_stats(s->w)->registered,
			(double)(now - s->t0_ms) / 1000);
}

static bool done(struct sim *s, uint64_t now)
{
	if (generating(s, now) || hs_world_busy(s->w)) {
		s->idle_ms = 0;
		if (!generating(s, now) && !s->gen_end_ms)
			s->gen_end_ms = now;
		if (s->gen_end_ms && now - s->gen_end_ms > (uint64_t)(s->o.drain * 1000)) {
			fprintf(stderr, PROG ": uploads still unanswered %.0f s after the last one\n", s->o.drain);
			return true;
		}
		return false;
	}
	if (!s->gen_end_ms)
		s->gen_end_ms = now;
	if (!s->idle_ms)
		s->idle_ms = now;
	if (s->o.until_mt && mt_book_count(s->mt) >= s->o.until_mt)
		return true;
	return now - s->idle_ms >= (uint64_t)(s->o.linger * 1000);
}

static void tick_cb(void *data)
{
	struct sim *s = data;
	uint64_t now = mono_ms();

	if (got_signal) {
		fprintf(stderr, PROG ": signal %d: stopping\n", (int)got_signal);
		s->stop = true;
		return;
	}
	if (!s->started)
		bring_up(s, now);
	else if (done(s, now))
		s->stop = true;
	else
		hs_kick(s->w);
	progress(s, now);
	if (!s->stop)
		osmo_timer_schedule(&s->tick, 0, TICK_MS * 1000);
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static int run(struct sim *s)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	s->t0_ms = s->last_progress_ms = mono_ms();
	osmo_timer_setup(&s->tick, tick_cb, s);
	osmo_timer_schedule(&s->tick, 0, TICK_MS * 1000);
	while (!s->stop)
		osmo_select_main(0);
	return s->rc;
}

/* ---- the summary ---- */

static const char *status_name(uint32_t st)
{
	static char buf[32];

	if (st == ST_NO_ANSWER)
		return "no-answer";
	snprintf(buf, sizeof(buf), "rp-cause-%u", st & 0xff);
	return buf;
}

/* "latency_ms": CP-DATA -> RP-ACK over the A interface, osmo-msc and txgw */
static void write_latency(struct jw *w, struct sim *s)
{
	double p50 = 0, p99 = 0, max = 0;
	int n = hs_latency(s->w, &p50, &p99, &max);
	char num[32];

	jw_key(w, "latency_ms");
	jw_obj_open(w);
	jw_kuint(w, "n", n > 0 ? (uint64_t)n : 0);
	snprintf(num, sizeof(num), "%.3f", p50);
	jw_key(w, "p50");
	jw_raw(w, num, strlen(num));
	snprintf(num, sizeof(num), "%.3f", p99);
	jw_key(w, "p99");
	jw_raw(w, num, strlen(num));
	snprintf(num, sizeof(num), "%.3f", max);
	jw_key(w, "max");
	jw_raw(w, num, strlen(num));
	jw_obj_close(w);
}

static void write_extra(struct jw *w, void *data)
{
	struct sim *s = data;
	const struct hs_stats *st = hs_get_stats(s->w);
	const struct bsc_stats *b = bsc_get_stats(hs_bsc(s->w));

	jw_key(w, "handsets");
	jw_obj_open(w);
	jw_kuint(w, "n", fleet_count(s->fl));
	jw_kuint(w, "registered", st->registered);
#define U(x) jw_kuint(w, #x, st->x)
	U(lu); U(lu_accept); U(lu_reject); U(cm_req); U(cm_accept); U(cm_reject); U(sms_sent);
	U(rp_ack); U(rp_error); U(guard_timeouts); U(lost); U(retries); U(failed); U(paged); U(mt_sms);
#undef U
	jw_obj_close(w);
	/* each handset paged, by MSISDN: that a message reached it through a
	 * paging, not a connection it had open */
	jw_key(w, "paged_msisdn");
	jw_obj_open(w);
	for (unsigned i = 0; i < fleet_count(s->fl); i++) {
		const struct handset *h = s->by_dev ? s->by_dev[i] : NULL;
		if (h && hs_paged(h)) {
			jw_key(w, hs_msisdn(h));
			jw_uint(w, hs_paged(h));
		}
	}
	jw_obj_close(w);
	write_latency(w, s);
	jw_key(w, "bsc");
	jw_obj_open(w);
#define U(x) jw_kuint(w, #x, b->x)
	U(conns); U(conn_refused); U(released); U(resets_rx); U(pagings); U(clears); U(dtap_rx);
	U(dtap_tx);
#undef U
	jw_obj_close(w);
	mt_book_json(w, s->mt);
}

static void print_extra(FILE *out, void *data)
{
	struct sim *s = data;
	const struct hs_stats *st = hs_get_stats(s->w);

	fprintf(out, PROG ": sms sent %" PRIu64 ": rp-ack %" PRIu64 ", rp-error %" PRIu64 ", no answer %"
		PRIu64 ", lost %" PRIu64 "; retries %" PRIu64 ", failed %" PRIu64 "\n", st->sms_sent,
		st->rp_ack, st->rp_error, st->guard_timeouts, st->lost, st->retries, st->failed);
	double p50, p99, max;
	if (hs_latency(s->w, &p50, &p99, &max) > 0)
		fprintf(out, PROG ": CP-DATA -> RP-ACK: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99, max);
	fprintf(out, PROG ": location updates %" PRIu64 " (rejected %" PRIu64 "), cm service requests %"
		PRIu64 " (rejected %" PRIu64 "); paged %" PRIu64 ", mt sms %" PRIu64 " -> %zu messages\n",
		st->lu, st->lu_reject, st->cm_req, st->cm_reject, st->paged, st->mt_sms,
		mt_book_count(s->mt));
}

static int summary(struct sim *s)
{
	uint64_t now = mono_ms();
	struct sim_summary_info info = {
		.generator = PROG, .write_extra = write_extra, .print_extra = print_extra, .extra = s,
		.status_name = status_name, .fl = s->fl, .seed = s->o.fleet.seed, .made = s->made,
		.sms_parts = s->sms_parts, .anomaly_skipped = s->fl->n_owed,
		.seconds = (double)(now - s->t0_ms) / 1000,
		.busy_seconds = s->start_ms && s->last_done_ms > s->start_ms ?
				(double)(s->last_done_ms - s->start_ms) / 1000 : 0,
	};

	sim_summary_print(stderr, &s->book, &info);
	if (s->o.summary && sim_summary_write(s->o.summary, &s->book, &info) < 0) {
		fprintf(stderr, PROG ": cannot write %s\n", s->o.summary);
		return -EIO;
	}
	return 0;
}

/* ---- set-up ---- */

static const struct log_info_cat log_cats[] = {
	[0] = { .name = "DSIM", .description = "txgw-handset-sim", .enabled = 1,
		.loglevel = LOGL_NOTICE },
};

static const struct log_info log_info = { .cat = log_cats, .num_cat = 1 };

static int setup(struct sim *s)
{
	int rc;

	osmo_init_logging2(s, &log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_log_level(osmo_stderr_target, s->o.verbose >= 2 ? LOGL_DEBUG :
			  s->o.verbose ? LOGL_NOTICE : LOGL_ERROR);
	if (osmo_ss7_init() < 0)
		return -EIO;
	rc = hs_world_open(s, &s->o.hs, &hs_ops, s, &s->w);
	if (rc < 0)
		return rc;
	s->mt = mt_book_new(s);
	if (!s->mt)
		return -ENOMEM;
	if (s->o.tpdu_out && !(s->tpdu_out = fopen(s->o.tpdu_out, "w"))) {
		fprintf(stderr, PROG ": %s: %s\n", s->o.tpdu_out, strerror(errno));
		return -EIO;
	}
	return add_handsets(s, NULL);
}

int main(int argc, char **argv)
{
	struct sim *s = talloc_zero(NULL, struct sim);
	bool all;
	int rc;

	s->ctx = s;
	hsim_parse_args(&s->o, argc, argv);
	s->fu = talloc(s, struct fleet_upload);
	sim_book_init(&s->book, s);
	if (fleet_cli_setup(s, &s->o.fleet, PROG, &s->fl) < 0)
		return 2;
	if (s->o.subscribers && write_subscribers(s) < 0)
		return 2;
	if (s->o.prepare) {
		talloc_free(s);
		return 0;
	}
	rc = setup(s);
	if (rc < 0) {
		fprintf(stderr, PROG ": set-up failed: %s\n", strerror(-rc));
		return 2;
	}
	rc = run(s);
	if (s->tpdu_out)
		fclose(s->tpdu_out);
	if (summary(s) < 0)
		rc = 2;
	all = rc == 0 && s->started && s->book.n_acked == s->book.n;
	talloc_free(s);
	return rc ? rc : all ? 0 : 1;
}
