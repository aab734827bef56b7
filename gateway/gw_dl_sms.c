/*
 * gw_dl_sms.c — the downlink's SMS bearer (doc/downlink.md "SMS"): the
 * outbox hands it a message, it sends the message's parts as submit_sm
 * over the binds that can transmit and tells the outbox what became of
 * them.
 *
 * - A message goes on one bind, all its parts; the binds that can take a
 *   submit_sm now share the messages round robin.  A message whose bind
 *   went before any part left takes another.
 * - At most `rate` submit_sm a second over all binds: a token bucket
 *   refilled at `rate` a second, holding 10 ms of it (at least one token),
 *   so at most rate/100 go at once.  ESME_RTHROTTLED and ESME_RMSGQFUL
 *   also hold every bind back for a second.
 * - Parts: sms_out.h (UDH port IE, concatenation over 133 octets), the
 *   8-bit reference the outbox's counter of the destination (ob_item.ref:
 *   one step per submission, journaled, so a restart goes on from it).
 * - Addresses: source_addr is source-addr (digits: TON 0 NPI 1; '+' and
 *   digits: TON 1 NPI 1; letters: TON 5 NPI 0); destination_addr the
 *   MSISDN without its '+', TON 1 NPI 1 when it is international (a '+',
 *   a number from the registry, or any with "plain-msisdn international"),
 *   else TON 0 NPI 1.
 * - The outcome, once every part sent is answered: every part ESME_ROK:
 *   submitted with the message ids; a permanent status for any part:
 *   failed "ESME_RINVDSTADR (0x0000000b)"; else (ESME_RTHROTTLED,
 *   ESME_RMSGQFUL, ESME_RSYSERR, no answer in time, the bind lost)
 *   temporary: the outbox tries again later.  No more parts are sent after
 *   a part failed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/engine/outbox.h"
#include "gateway/gw.h"
#include "gateway/gw_downlink.h"
#include "gateway/lib/logging.h"
#include "gateway/sms/sms_out.h"
#include "gateway/txgw_cfg.h"
#include "smpp/esme.h"
#include "smpp/smpp_pdu.h"

/*
 * Messages the bearer takes before their parts can go: what the rate lets
 * it send in DL_AHEAD_MS, at least 2, so that a message's DL_ATTEMPT
 * record (journaled before it is handed over) comes shortly before its
 * submit_sm, and a crash leaves few messages counted as "may have reached
 * the SMSC" that did not; yet enough for the attempts of a sync to keep
 * the rate busy.  The attempts of one sync are at most DL_WAITING_MAX, so
 * the bearer's rate is at most DL_WAITING_MAX a sync: with 32 and syncs of
 * 3 ms it submitted 4,600-5,100 a second while 9,000 were queued; 64 (a
 * bind's window more, DL_JOBS_MAX) keeps up (contrib/bench/downlink.sh).
 */
#define DL_AHEAD_MS	100
#define DL_WAITING_MIN	2
#define DL_WAITING_MAX	64
#define DL_JOBS_MAX	128	/* messages held at once, parts in flight included */
#define DL_HOLD_MS	1000	/* all binds wait after ESME_RTHROTTLED / ESME_RMSGQFUL */
#define DL_BURST_MS	10	/* the token bucket holds this much of the rate */

struct dl_job;

/* The callback data of one part's submit_sm. */
struct dl_part {
	struct dl_job *j;
	unsigned idx;
	bool ok;
	char id[66];
};

struct dl_job {
	struct llist_head list;
	struct dl_sms *s;
	struct ob_msg *m;		/* NULL once cancelled */
	struct esme *es;		/* the bind of its parts, once the first left */
	char to[21];
	uint8_t ton, npi;
	bool receipt;
	uint8_t ref;			/* the destination's counter (ob_umr()) */
	unsigned n_parts, sent, answered;
	bool stop;			/* a part failed: send no more */
	bool counted_out;		/* no longer in n_waiting */
	uint32_t perm_status;		/* the first permanent status, or 0 */
	bool temp, lost;
	char why[64];			/* the temporary failure, for the log */
	struct sms_out_part parts[SMS_OUT_MAX_PARTS];
	struct dl_part pc[SMS_OUT_MAX_PARTS];
};

struct dl_sms {
	struct gw *g;
	struct outbox *ob;
	const struct txgw_downlink_cfg *cfg;
	uint16_t port;
	char source[22];
	uint8_t source_ton, source_npi;
	double tokens;
	int64_t tokens_ms;		/* monotonic */
	int64_t hold_until_ms;
	struct osmo_timer_list timer;
	struct llist_head jobs;
	unsigned n_jobs;
	unsigned n_waiting;		/* jobs with parts still to send */
	unsigned rr;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- binds ----------------------------------------------------------------- */

static bool any_transmits(const struct dl_sms *s)
{
	for (unsigned i = 0; i < s->g->n_esmes; i++)
		if (esme_transmits(s->g->esmes[i]))
			return true;
	return false;
}

/* The next bind, round robin, that can take a submit_sm now; or NULL. */
static struct esme *next_bind(struct dl_sms *s)
{
	unsigned n = s->g->n_esmes;

	for (unsigned k = 0; k < n; k++) {
		struct esme *es = s->g->esmes[(s->rr + k) % n];
		if (esme_can_submit(es)) {
			s->rr = (s->rr + k + 1) % n;
			return es;
		}
	}
	return NULL;
}

static bool bound_for_submit(const struct esme *es)
{
	struct esme_status st;

	esme_get_status(es, &st);
	return !strcmp(st.state, "bound");
}

/* ---- the outcome ------------------------------------------------------------- */

static bool status_temporary(uint32_t st)
{
	return st == ESME_RTHROTTLED || st == ESME_RMSGQFUL || st == ESME_RSYSERR;
}

static bool waiting(const struct dl_job *j)
{
	return !j->stop && j->sent < j->n_parts;
}

/* j no longer has parts to send: room for another message. */
static void job_sent_all(struct dl_job *j)
{
	if (!j->counted_out) {
		j->counted_out = true;
		j->s->n_waiting--;
		if (j->s->ob)
			outbox_kick(j->s->ob);
	}
}

static void job_free(struct dl_job *j)
{
	job_sent_all(j);
	llist_del(&j->list);
	j->s->n_jobs--;
	talloc_free(j);
}

/* Every part sent is answered and no more will go: tell the outbox. */
static void job_end(struct dl_job *j)
{
	struct dl_sms *s = j->s;
	struct ob_result r = { .kind = OB_RES_SUBMITTED };
	const char *ids[SMS_OUT_MAX_PARTS];
	char err[64];

	if (j->perm_status) {
		r.kind = OB_RES_PERMANENT;
		snprintf(err, sizeof(err), "%s (0x%08x)", smpp_status_name(j->perm_status) ? : "unknown",
			 j->perm_status);
		r.error = err;
	} else if (j->temp || j->sent < j->n_parts) {
		r.kind = OB_RES_TEMPORARY;
		r.error = j->why[0] ? j->why : "not every part could be sent";
		r.answer_lost = j->lost;
	} else {
		for (unsigned i = 0; i < j->n_parts; i++)
			ids[i] = j->pc[i].id;
		r.n_ids = j->n_parts;
		r.ids = ids;
	}
	if (j->m && s->ob)
		outbox_result(s->ob, j->m, &r);
	job_free(j);
}

static void part_failed(struct dl_job *j, const char *why, bool lost)
{
	j->stop = true;
	job_sent_all(j);
	j->temp = true;
	j->lost |= lost;
	if (!j->why[0])
		snprintf(j->why, sizeof(j->why), "%s", why);
}

static void on_part(void *data, const struct esme_submit_result *res)
{
	struct dl_part *p = data;
	struct dl_job *j = p->j;
	struct dl_sms *s = j->s;

	j->answered++;
	if (res->err == -ETIMEDOUT) {
		part_failed(j, "no submit_sm_resp in time", true);
	} else if (res->err) {
		part_failed(j, "the bind was lost", true);
	} else if (res->status == ESME_ROK) {
		p->ok = true;
		snprintf(p->id, sizeof(p->id), "%s", res->message_id);
	} else if (status_temporary(res->status)) {
		part_failed(j, smpp_status_name(res->status), false);
		if (res->status != ESME_RSYSERR)
			s->hold_until_ms = mono_ms() + DL_HOLD_MS;
	} else {
		j->stop = true;
		job_sent_all(j);
		if (!j->perm_status)
			j->perm_status = res->status;
	}
	if (j->answered == j->sent && (j->stop || j->sent == j->n_parts))
		job_end(j);
	else
		osmo_timer_schedule(&s->timer, 0, 0);
}

/* ---- sending ------------------------------------------------------------------- */

/* The bucket holds DL_BURST_MS worth of the rate, at least one token:
 * the loop's timers are milliseconds, and one token would cap the rate
 * near 1,000 a second whatever the configuration says. */
static void refill(struct dl_sms *s, int64_t now)
{
	double cap = (double)s->cfg->rate * DL_BURST_MS / 1000.0;

	if (cap < 1)
		cap = 1;
	s->tokens += (double)(now - s->tokens_ms) * s->cfg->rate / 1000.0;
	if (s->tokens > cap)
		s->tokens = cap;
	s->tokens_ms = now;
}

/* Send the job's next part; false when its bind cannot take it now. */
static bool send_part(struct dl_job *j)
{
	struct dl_sms *s = j->s;
	unsigned i = j->sent;
	struct esme_submit req = {
		.source_addr = s->source, .source_addr_ton = s->source_ton,
		.source_addr_npi = s->source_npi, .destination_addr = j->to, .dest_addr_ton = j->ton,
		.dest_addr_npi = j->npi, .esm_class = 0x40, .data_coding = 0x04,
		.registered_delivery = j->receipt ? 0x01 : 0x00,
		.sm = j->parts[i].ud, .sm_len = j->parts[i].len,
		.has_umr = true, .umr = ob_umr(j->ref, i),
	};

	if (!j->es)
		j->es = next_bind(s);
	if (!j->es || !esme_can_submit(j->es))
		return false;
	j->pc[i] = (struct dl_part){ .j = j, .idx = i };
	if (esme_submit(j->es, &req, on_part, &j->pc[i]) < 0)
		return false;
	j->sent++;
	s->tokens -= 1;
	if (!waiting(j))
		job_sent_all(j);
	return true;
}

/* A job whose bind is gone: another bind if none of its parts left yet,
 * else it ends with what was answered.  false when j ended (freed). */
static bool job_rebind(struct dl_job *j)
{
	if (!j->es || bound_for_submit(j->es))
		return true;
	if (!j->sent) {
		j->es = NULL;
		return true;
	}
	part_failed(j, "the bind was lost", false);
	if (j->answered < j->sent)
		return true;
	job_end(j);
	return false;
}

static void pump(void *data)
{
	struct dl_sms *s = data;
	int64_t now = mono_ms();
	struct dl_job *j, *tmp;
	bool progress = true;

	refill(s, now);
	if (now < s->hold_until_ms) {
		int64_t wait = s->hold_until_ms - now;
		osmo_timer_schedule(&s->timer, (int)(wait / 1000), (int)(wait % 1000) * 1000);
		return;
	}
	while (progress && s->tokens >= 1) {
		progress = false;
		llist_for_each_entry_safe(j, tmp, &s->jobs, list) {
			if (!job_rebind(j))
				continue;
			if (j->stop || j->sent == j->n_parts || s->tokens < 1)
				continue;
			progress |= send_part(j);
		}
	}
	if (s->tokens < 1 && !llist_empty(&s->jobs)) {
		int64_t wait = (int64_t)((1 - s->tokens) * 1000 / s->cfg->rate) + 1;
		osmo_timer_schedule(&s->timer, (int)(wait / 1000), (int)(wait % 1000) * 1000);
	}
}

/* ---- the bearer ---------------------------------------------------------------- */

static bool sms_available(void *data)
{
	return any_transmits(data);
}

static unsigned waiting_max(const struct dl_sms *s)
{
	unsigned n = s->cfg->rate * DL_AHEAD_MS / 1000;

	return n < DL_WAITING_MIN ? DL_WAITING_MIN : n > DL_WAITING_MAX ? DL_WAITING_MAX : n;
}

static unsigned sms_room(void *data)
{
	struct dl_sms *s = data;

	if (s->n_waiting >= waiting_max(s) || s->n_jobs >= DL_JOBS_MAX)
		return 0;
	for (unsigned i = 0; i < s->g->n_esmes; i++)
		if (esme_can_submit(s->g->esmes[i]))
			return waiting_max(s) - s->n_waiting;
	return 0;
}

static unsigned sms_parts(void *data, size_t len)
{
	return sms_out_parts(len);
}

static void address_of(struct dl_sms *s, struct dl_job *j, const struct ob_item *it)
{
	const char *to = it->to;
	bool intl = it->from_device || s->cfg->plain_international;

	if (to[0] == '+') {
		to++;
		intl = true;
	}
	snprintf(j->to, sizeof(j->to), "%s", to);
	j->ton = intl ? 1 : 0;
	j->npi = 1;
}

static int sms_submit(void *data, struct ob_msg *m, const struct ob_item *it)
{
	struct dl_sms *s = data;
	struct dl_job *j;
	int n;

	if (s->n_jobs >= DL_JOBS_MAX || s->n_waiting >= waiting_max(s))
		return -EBUSY;
	j = talloc_zero(s, struct dl_job);
	if (!j)
		return -ENOMEM;
	j->s = s;
	j->m = m;
	j->receipt = it->receipt;
	j->ref = it->ref;
	address_of(s, j, it);
	n = sms_out_split(it->payload, it->len, s->port, it->ref, j->parts);
	if (n < 0) {
		talloc_free(j);
		return n;
	}
	j->n_parts = (unsigned)n;
	llist_add_tail(&j->list, &s->jobs);
	s->n_jobs++;
	s->n_waiting++;
	osmo_timer_schedule(&s->timer, 0, 0);
	return 0;
}

static void sms_cancel(void *data, struct ob_msg *m)
{
	struct dl_sms *s = data;
	struct dl_job *j, *tmp;

	llist_for_each_entry_safe(j, tmp, &s->jobs, list) {
		if (j->m != m)
			continue;
		j->m = NULL;
		j->stop = true;
		job_sent_all(j);
		if (j->answered == j->sent)
			job_free(j);
	}
}

static const struct outbox_bearer_ops sms_ops = {
	.available = sms_available,
	.room = sms_room,
	.submit = sms_submit,
	.cancel = sms_cancel,
	.parts = sms_parts,
};

static void source_of(struct dl_sms *s, const char *src)
{
	size_t n = strlen(src), digits = 0;

	for (size_t i = src[0] == '+'; i < n; i++)
		digits += src[i] >= '0' && src[i] <= '9';
	if (src[0] == '+' && digits == n - 1) {
		src++;
		s->source_ton = 1;
		s->source_npi = 1;
	} else if (digits == n) {
		s->source_ton = 0;
		s->source_npi = 1;
	} else {
		s->source_ton = 5;	/* alphanumeric, TS 23.040 §9.1.2.5 */
		s->source_npi = 0;
	}
	snprintf(s->source, sizeof(s->source), "%s", src);
}

int gw_dl_sms_start(struct gw *g, struct outbox *ob, struct dl_sms **out)
{
	struct dl_sms *s = talloc_zero(g->ctx, struct dl_sms);

	if (!s) {
		LOGP(DSMS, LOGL_ERROR, "downlink: out of memory\n");
		return -ENOMEM;
	}
	s->g = g;
	s->ob = ob;
	s->cfg = &g->cfg->downlink;
	s->port = g->cfg->txlog_port;
	source_of(s, s->cfg->source_addr);
	s->tokens = 1;
	s->tokens_ms = mono_ms();
	INIT_LLIST_HEAD(&s->jobs);
	osmo_timer_setup(&s->timer, pump, s);
	outbox_set_bearer(ob, OB_SMS, &sms_ops, s);
	if (!any_transmits(s))
		LOGP(DSMS, LOGL_NOTICE, "downlink: no bind can transmit (bind-mode receiver only): "
		     "SEND for SMS answers no_bearer\n");
	*out = s;
	return 0;
}

void gw_dl_sms_kick(struct dl_sms *s)
{
	osmo_timer_schedule(&s->timer, 0, 0);
	if (s->ob)
		outbox_kick(s->ob);
}

/* No more sending, no more word to the outbox (it closes next). */
void gw_dl_sms_stop(struct dl_sms *s)
{
	if (!s)
		return;
	osmo_timer_del(&s->timer);
	s->ob = NULL;
}
