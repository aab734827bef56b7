/*
 * handset.c — txgw-handset-sim's handsets; see handset.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>

#include "contrib/sim/handset.h"

#define N_TI		7	/* TI values 0..6 (TS 24.007 §11.2.3.1.3) */
#define L3_MAX		256
#define CAUSE_IMSI_UNKNOWN_IN_VLR 4	/* TS 24.008 §10.5.3.6 */
#define HS_LAT_MAX	(1 << 22)	/* latencies kept */

enum hs_part_state {
	PART_PENDING,		/* to be sent */
	PART_SENT,		/* in a transaction, no answer yet */
	PART_ACKED,		/* RP-ACK: done */
	PART_ERRORED,		/* RP-ERROR or CP-ERROR this time: again later */
	PART_FAILED,		/* failed for good */
};

enum hs_purpose {
	P_NONE,
	P_LU,
	P_MO,
	P_MT,
};

/* An SMS transaction: ours (MO: part, mr) or the network's (MT). */
struct hs_tx {
	bool used;
	uint8_t part, mr;
	uint64_t sent_us;	/* MO: when its CP-DATA went */
};

struct handset {
	struct hs_world *w;
	struct llist_head wait;		/* in w->waiting while queued for a connection */
	char imsi[A_IMSI_MAX + 1];
	char msisdn[A_ADDR_MAX + 1];
	unsigned dev;
	bool active;			/* makes uploads of its own */
	bool registered, ever_registered, exhausted;
	bool queued, cleared, page_pending;
	enum hs_purpose purpose;
	int conn;			/* bsc connection id, 0 when none */
	struct llist_head outbox;	/* struct hs_upload, the first is being sent */
	struct hs_tx mo[N_TI], mt[N_TI];
	uint8_t next_ti, next_mr;
	uint8_t last_cause;
	unsigned lu_tries, conn_uploads;
	unsigned paged;			/* PAGING messages for its IMSI */
	struct osmo_timer_list guard;	/* an answer is due */
	struct osmo_timer_list wake;	/* the end of a back-off */
};

struct hs_world {
	struct hs_cfg cfg;
	const struct hs_ops *ops;
	void *data;
	struct bsc *bsc;
	bool ready;
	struct handset **hs;
	size_t n, cap;
	struct llist_head waiting;
	unsigned open;			/* connections open */
	struct hs_stats st;
	uint32_t *lat;			/* CP-DATA -> RP-ACK, microseconds */
	size_t n_lat, cap_lat;
};

static void next_action(struct handset *h);
static void pump(struct hs_world *w);

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* An SMS's CP-DATA -> RP-ACK time, kept for the percentiles (the first
 * HS_LAT_MAX of a run). */
static void lat_add(struct hs_world *w, uint64_t us)
{
	if (w->n_lat == w->cap_lat) {
		size_t cap = w->cap_lat ? 2 * w->cap_lat : 1024;
		uint32_t *v = cap <= HS_LAT_MAX ? talloc_realloc(w, w->lat, uint32_t, cap) : NULL;
		if (!v)
			return;
		w->lat = v;
		w->cap_lat = cap;
	}
	w->lat[w->n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int hs_latency(struct hs_world *w, double *p50_ms, double *p99_ms, double *max_ms)
{
	if (!w->n_lat)
		return -ENOENT;
	qsort(w->lat, w->n_lat, sizeof(*w->lat), cmp_u32);
	*p50_ms = w->lat[(w->n_lat - 1) / 2] / 1000.0;
	*p99_ms = w->lat[(w->n_lat - 1) * 99 / 100] / 1000.0;
	*max_ms = w->lat[w->n_lat - 1] / 1000.0;
	return (int)(w->n_lat > INT32_MAX ? INT32_MAX : w->n_lat);
}

/* ---- sending ---- */

static void dtap(struct handset *h, uint8_t dlci, const uint8_t *l3, int len)
{
	if (len < 0) {
		fprintf(stderr, "txgw-handset-sim: %s: cannot build a message: %s\n", h->imsi, strerror(-len));
		return;
	}
	bsc_dtap(h->w->bsc, h->conn, dlci, l3, (size_t)len);
}

static void arm_guard(struct handset *h)
{
	osmo_timer_schedule(&h->guard, h->w->cfg.guard_ms / 1000, (h->w->cfg.guard_ms % 1000) * 1000);
}

static struct hs_upload *cur(struct handset *h)
{
	return llist_first_entry_or_null(&h->outbox, struct hs_upload, list);
}

static int free_ti(struct handset *h)
{
	for (unsigned k = 0; k < N_TI; k++) {
		uint8_t ti = (uint8_t)((h->next_ti + k) % N_TI);
		if (!h->mo[ti].used) {
			h->next_ti = (uint8_t)((ti + 1) % N_TI);
			return ti;
		}
	}
	return -1;
}

/* The next part of the current upload not yet sent on this connection. */
static bool send_next_part(struct handset *h)
{
	struct hs_upload *u = cur(h);
	uint8_t rp[L3_MAX], l3[L3_MAX];
	int ti, n;

	if (!u || h->purpose != P_MO)
		return false;
	for (unsigned p = 0; p < u->sms.n; p++) {
		if (u->part[p] != PART_PENDING)
			continue;
		ti = free_ti(h);
		if (ti < 0)
			return false;
		n = a_rp_data_mo(rp, sizeof(rp), h->next_mr, h->w->cfg.smsc, u->sms.tpdu[p], u->sms.len[p]);
		if (n >= 0)
			n = a_cp_data(l3, sizeof(l3), (uint8_t)ti, 0, rp, (size_t)n);
		if (n < 0) {
			dtap(h, A_DLCI_SMS, l3, n);
			return false;
		}
		h->mo[ti] = (struct hs_tx){ .used = true, .part = (uint8_t)p, .mr = h->next_mr++,
					    .sent_us = now_us() };
		u->part[p] = PART_SENT;
		h->w->st.sms_sent++;
		dtap(h, A_DLCI_SMS, l3, n);
		return true;
	}
	return false;
}

/* ---- connections ---- */

static void want(struct handset *h, enum hs_purpose p)
{
	if (h->conn)
		return;		/* one connection at a time */
	h->purpose = p;
	if (h->queued)
		return;
	h->queued = true;
	if (p == P_MT)	/* the MSC is paging: do not keep it waiting */
		llist_add(&h->wait, &h->w->waiting);
	else
		llist_add_tail(&h->wait, &h->w->waiting);
	h->w->st.waiting++;
	pump(h->w);
}

static void open_conn(struct handset *h)
{
	struct hs_world *w = h->w;
	uint8_t l3[L3_MAX];
	int n, id;

	switch (h->purpose) {
	case P_LU:
		n = a_lu_request(l3, sizeof(l3), h->imsi, &w->cfg.bsc.cgi.lai);
		w->st.lu++;
		break;
	case P_MT:
		n = a_paging_response(l3, sizeof(l3), h->imsi);
		h->page_pending = false;
		break;
	default:
		n = a_cm_service_request(l3, sizeof(l3), h->imsi);
		w->st.cm_req++;
		break;
	}
	id = n < 0 ? n : bsc_connect(w->bsc, h, l3, (size_t)n);
	if (id < 0) {
		fprintf(stderr, "txgw-handset-sim: %s: cannot open a connection: %s\n", h->imsi, strerror(-id));
		osmo_timer_schedule(&h->wake, 1, 0);
		return;
	}
	h->conn = id;
	h->cleared = false;
	h->conn_uploads = 0;
	memset(h->mo, 0, sizeof(h->mo));
	memset(h->mt, 0, sizeof(h->mt));
	w->open++;
	w->st.busy++;
	arm_guard(h);
}

/* Open connections for waiting handsets while there is room. */
static void pump(struct hs_world *w)
{
	while (w->ready && w->open < w->cfg.concurrency && !llist_empty(&w->waiting)) {
		struct handset *h = llist_first_entry(&w->waiting, struct handset, wait);
		llist_del(&h->wait);
		h->queued = false;
		w->st.waiting--;
		open_conn(h);
	}
}

static unsigned backoff_ms(const struct hs_world *w, unsigned tries)
{
	unsigned ms = w->cfg.retry_ms;

	for (unsigned i = 1; i < tries && ms < w->cfg.retry_max_ms; i++)
		ms *= 2;
	return ms < w->cfg.retry_max_ms ? ms : w->cfg.retry_max_ms;
}

static void back_off(struct handset *h, unsigned tries)
{
	unsigned ms = backoff_ms(h->w, tries);

	h->w->st.retries++;
	osmo_timer_schedule(&h->wake, ms / 1000, (ms % 1000) * 1000);
}

/* The upload at the head of the outbox after a connection: done, to be
 * sent again later, or failed for good. */
static void settle_upload(struct handset *h)
{
	struct hs_upload *u = cur(h);
	struct hs_world *w = h->w;
	bool left = false;

	if (!u)
		return;
	for (unsigned p = 0; p < u->sms.n; p++) {
		if (u->part[p] == PART_SENT || u->part[p] == PART_ERRORED)
			u->part[p] = PART_PENDING;	/* no answer, or an error: again */
		left |= u->part[p] == PART_PENDING;
	}
	if (left && ++u->tries < w->cfg.tries) {
		back_off(h, u->tries);
		return;
	}
	for (unsigned p = 0; left && p < u->sms.n; p++) {
		if (u->part[p] != PART_PENDING)
			continue;
		u->part[p] = PART_FAILED;
		w->st.failed++;
		w->ops->part_done(w->data, h, u->book, p, false, h->last_cause);
	}
	llist_del(&u->list);
	w->ops->upload_done(w->data, h, u->book);
	talloc_free(u);
}

/* The MSC refused the service: nothing went; register, then send. */
static void unsend(struct handset *h)
{
	struct hs_upload *u = cur(h);

	for (unsigned p = 0; u && p < u->sms.n; p++)
		if (u->part[p] == PART_SENT || u->part[p] == PART_ERRORED)
			u->part[p] = PART_PENDING;
	osmo_timer_schedule(&h->wake, 0, 100000);
}

/* The connection is gone (released, lost or given up). */
static void conn_gone(struct handset *h)
{
	struct hs_world *w = h->w;
	enum hs_purpose p = h->purpose;

	osmo_timer_del(&h->guard);
	h->conn = 0;
	h->purpose = P_NONE;
	w->open--;
	w->st.busy--;
	if (p == P_LU && !h->registered)
		back_off(h, ++h->lu_tries);
	else if (p == P_MO && h->registered)
		settle_upload(h);
	else if (p == P_MO)	/* not registered (any more): register, then send */
		unsend(h);
	pump(w);
	next_action(h);
}

static void guard_cb(void *data)
{
	struct handset *h = data;

	if (!h->conn)
		return;
	h->w->st.guard_timeouts++;
	fprintf(stderr, "txgw-handset-sim: %s: no answer within %u ms: connection given up\n", h->imsi,
		h->w->cfg.guard_ms);
	bsc_disconnect(h->w->bsc, h->conn);
	conn_gone(h);
}

static void wake_cb(void *data)
{
	next_action(data);
}

/* What an idle handset does next: register, answer paging, send. */
static void next_action(struct handset *h)
{
	struct hs_world *w = h->w;

	if (!w->ready || h->conn || h->queued || osmo_timer_pending(&h->wake))
		return;
	if (!h->registered) {
		want(h, P_LU);
		return;
	}
	if (h->page_pending) {
		want(h, P_MT);
		return;
	}
	if (llist_empty(&h->outbox) && h->active && !h->exhausted) {
		int rc = w->ops->next(w->data, h);
		if (rc == -ENOENT)
			h->exhausted = true;
	}
	if (!llist_empty(&h->outbox))
		want(h, P_MO);
}

/* ---- receiving ---- */

/* Every part of the current upload acknowledged: it is done, and the
 * next one may follow on this connection (up to cfg.per_conn uploads). */
static void upload_progress(struct handset *h)
{
	struct hs_upload *u = cur(h);
	struct hs_world *w = h->w;

	if (!u)
		return;
	for (unsigned p = 0; p < u->sms.n; p++)
		if (u->part[p] != PART_ACKED)
			return;
	llist_del(&u->list);
	w->ops->upload_done(w->data, h, u->book);
	talloc_free(u);
	if (++h->conn_uploads >= w->cfg.per_conn) {
		h->purpose = P_NONE;	/* nothing more on this connection */
		return;
	}
	if (llist_empty(&h->outbox) && h->active && !h->exhausted &&
	    w->ops->next(w->data, h) == -ENOENT)
		h->exhausted = true;
}

/* The network's answer in one of our transactions. */
static void rx_mo(struct handset *h, const struct a_l3 *m)
{
	struct hs_tx *t = &h->mo[m->ti];
	struct hs_upload *u = cur(h);
	struct hs_world *w = h->w;
	uint8_t l3[L3_MAX];
	struct a_rp rp;

	if (m->cp_type == A_CP_ACK)
		return;		/* the CP layer's receipt: the RP answer follows */
	if (!t->used || !u) {
		/* a transaction we do not know (one the MSC made of a late
		 * message): end it, or it holds the connection */
		if (m->cp_type == A_CP_DATA)
			dtap(h, A_DLCI_SMS, l3, a_cp_ack(l3, sizeof(l3), m->ti, 0));
		return;
	}
	if (m->cp_type == A_CP_ERROR || a_rp_parse(&rp, m->ud, m->ud_len) < 0 || rp.mr != t->mr ||
	    (rp.mti != A_RP_ACK_MT && rp.mti != A_RP_ERROR_MT)) {
		u->part[t->part] = PART_ERRORED;
		h->last_cause = m->cp_type == A_CP_ERROR ? m->cause : 0;
		t->used = false;
		return;
	}
	if (rp.mti == A_RP_ACK_MT) {
		u->part[t->part] = PART_ACKED;
		w->st.rp_ack++;
		lat_add(w, now_us() - t->sent_us);
		w->ops->part_done(w->data, h, u->book, t->part, true, 0);
	} else {
		u->part[t->part] = PART_ERRORED;
		h->last_cause = rp.cause;
		w->st.rp_error++;
	}
	t->used = false;
	upload_progress(h);
	/*
	 * TS 24.011 §5.4: the next message's CP-DATA goes instead of this
	 * CP-ACK, and acknowledges it (§5.3.4).  The MSC frees every other
	 * transaction of ours when a CP-DATA comes, so a CP-ACK after it
	 * would open a transaction of its own (OsmoMSC answers it with
	 * RP-ERROR 96 and keeps the connection waiting).
	 */
	if (!send_next_part(h))
		dtap(h, A_DLCI_SMS, l3, a_cp_ack(l3, sizeof(l3), m->ti, 0));
	arm_guard(h);
}

/* A transaction the network began: an SMS-DELIVER. */
static void rx_mt(struct handset *h, const struct a_l3 *m)
{
	struct hs_world *w = h->w;
	uint8_t l3[L3_MAX], rpdu[8];
	struct a_rp rp;
	int n;

	if (m->cp_type != A_CP_DATA) {
		h->mt[m->ti].used = false;	/* CP-ACK of our RP-ACK, or CP-ERROR: the end */
		return;
	}
	h->mt[m->ti].used = true;
	dtap(h, A_DLCI_SMS, l3, a_cp_ack(l3, sizeof(l3), m->ti, 1));
	if (a_rp_parse(&rp, m->ud, m->ud_len) < 0 || rp.mti != A_RP_DATA_MT) {
		n = a_rp_error_mo(rpdu, sizeof(rpdu), rp.mr, A_RP_CAUSE_PROTOCOL_ERROR);
	} else {
		w->st.mt_sms++;
		w->ops->mt(w->data, h, rp.ud, rp.ud_len, rp.oa);
		n = a_rp_ack_mo(rpdu, sizeof(rpdu), rp.mr);
	}
	if (n >= 0)
		n = a_cp_data(l3, sizeof(l3), m->ti, 1, rpdu, (size_t)n);
	dtap(h, A_DLCI_SMS, l3, n);
	arm_guard(h);
}

static void rx_mm(struct handset *h, const struct a_l3 *m)
{
	struct hs_world *w = h->w;
	uint8_t l3[L3_MAX];

	switch (m->kind) {
	case A_L3_LU_ACCEPT:
		w->st.lu_accept++;
		if (!h->registered)
			w->st.registered++;
		h->registered = h->ever_registered = true;
		h->lu_tries = 0;
		break;
	case A_L3_LU_REJECT:
		w->st.lu_reject++;
		fprintf(stderr, "txgw-handset-sim: %s: LOCATION UPDATING REJECT, cause %u\n", h->imsi, m->cause);
		break;
	case A_L3_CM_ACCEPT:
		w->st.cm_accept++;
		send_next_part(h);
		break;
	case A_L3_CM_REJECT:
		w->st.cm_reject++;
		h->last_cause = m->cause;
		if (m->cause == CAUSE_IMSI_UNKNOWN_IN_VLR && h->registered) {
			h->registered = false;	/* the MSC forgot us: register again */
			w->st.registered--;
		}
		break;
	case A_L3_ID_REQUEST:
		dtap(h, A_DLCI_MM, l3, a_id_response(l3, sizeof(l3), h->imsi));
		break;
	default:
		return;
	}
	arm_guard(h);
}

static void on_dtap(void *data, void *priv, uint8_t dlci, const uint8_t *l3, size_t len)
{
	struct handset *h = priv;
	struct a_l3 m;

	if (a_l3_parse(&m, l3, len) < 0) {
		fprintf(stderr, "txgw-handset-sim: %s: undecodable layer 3 (%zu bytes)\n", h->imsi, len);
		return;
	}
	if (m.kind == A_L3_CP && m.ti_flag)
		rx_mo(h, &m);
	else if (m.kind == A_L3_CP)
		rx_mt(h, &m);
	else
		rx_mm(h, &m);
}

static void on_conn_ev(void *data, void *priv, enum bsc_conn_ev ev)
{
	struct handset *h = priv;

	switch (ev) {
	case BSC_CONN_UP:
		break;
	case BSC_CONN_CLEARED:
		h->cleared = true;
		arm_guard(h);	/* the release must follow */
		break;
	case BSC_CONN_GONE:
		if (!h->cleared)
			h->w->st.lost++;
		conn_gone(h);
		break;
	}
}

static struct handset *by_imsi(struct hs_world *w, const char *imsi)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->hs[i]->imsi, imsi))
			return w->hs[i];
	return NULL;
}

static void on_paging(void *data, const char *imsi)
{
	struct hs_world *w = data;
	struct handset *h = by_imsi(w, imsi);

	if (!h)
		return;
	w->st.paged++;
	h->paged++;
	if (h->conn && !h->cleared)
		return;		/* the MSC has a connection to use */
	h->page_pending = true;
	if (h->queued)		/* answer the paging with the connection it waits for */
		h->purpose = P_MT;
	next_action(h);
}

static void on_ready(void *data)
{
	struct hs_world *w = data;

	w->ready = true;
	for (size_t i = 0; i < w->n; i++)
		next_action(w->hs[i]);
	pump(w);
}

static const struct bsc_ops bsc_ops = {
	.ready = on_ready, .paging = on_paging, .conn_ev = on_conn_ev, .dtap = on_dtap,
};

/* ---- the world ---- */

int hs_world_open(void *ctx, const struct hs_cfg *cfg, const struct hs_ops *ops, void *data,
		  struct hs_world **out)
{
	struct hs_world *w = talloc_zero(ctx, struct hs_world);
	int rc;

	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	w->ops = ops;
	w->data = data;
	INIT_LLIST_HEAD(&w->waiting);
	rc = bsc_open(w, &cfg->bsc, &bsc_ops, w, &w->bsc);
	if (rc < 0) {
		talloc_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

struct handset *hs_add(struct hs_world *w, const char *imsi, const char *msisdn, unsigned dev,
		       bool active)
{
	struct handset *h;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct handset **v = talloc_realloc(w, w->hs, struct handset *, cap);
		if (!v)
			return NULL;
		w->hs = v;
		w->cap = cap;
	}
	h = talloc_zero(w, struct handset);
	if (!h)
		return NULL;
	h->w = w;
	snprintf(h->imsi, sizeof(h->imsi), "%s", imsi);
	snprintf(h->msisdn, sizeof(h->msisdn), "%s", msisdn);
	h->dev = dev;
	h->active = active;
	INIT_LLIST_HEAD(&h->outbox);
	INIT_LLIST_HEAD(&h->wait);
	osmo_timer_setup(&h->guard, guard_cb, h);
	osmo_timer_setup(&h->wake, wake_cb, h);
	w->hs[w->n++] = h;
	return h;
}

void hs_enqueue(struct hs_world *w, struct handset *h, struct hs_upload *up)
{
	talloc_steal(h, up);
	llist_add_tail(&up->list, &h->outbox);
	next_action(h);
}

void hs_kick(struct hs_world *w)
{
	for (size_t i = 0; i < w->n; i++)
		next_action(w->hs[i]);
}

bool hs_world_ready(const struct hs_world *w)
{
	if (!w->ready)
		return false;
	for (size_t i = 0; i < w->n; i++)
		if (!w->hs[i]->ever_registered)
			return false;
	return true;
}

bool hs_world_busy(const struct hs_world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct handset *h = w->hs[i];
		if (h->conn || h->queued || !llist_empty(&h->outbox))
			return true;
	}
	return false;
}

const char *hs_imsi(const struct handset *h)
{
	return h->imsi;
}

const char *hs_msisdn(const struct handset *h)
{
	return h->msisdn;
}

unsigned hs_dev(const struct handset *h)
{
	return h->dev;
}

unsigned hs_paged(const struct handset *h)
{
	return h->paged;
}

const struct hs_stats *hs_get_stats(const struct hs_world *w)
{
	return &w->st;
}

struct bsc *hs_bsc(const struct hs_world *w)
{
	return w->bsc;
}
