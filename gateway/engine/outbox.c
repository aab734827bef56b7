/*
 * outbox.c — the downlink's outbox (outbox.h): SEND requests, the queues
 * of the bearers, their results, retries and expiry, receipts.  The
 * journal groups themselves are outbox_jrn.c's.
 *
 * A message's state changes in memory when its group is made (so that a
 * receipt racing its submitted group finds it, and a second SEND of its
 * id finds it), but nothing is acted upon before the group is synced:
 * the QUEUED answer, a submission, a receipt's answer all wait for it.  A
 * group that cannot be journaled leaves the engine refusing input until
 * the restart, which rebuilds from what is durable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <osmocom/core/talloc.h>

#include "gateway/engine/outbox_int.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/txlog/registry.h"

/* ---- clock, names, maps ----------------------------------------------------- */

static int64_t real_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t outbox_now_ms(const struct outbox *ob)
{
	return ob->cfg.now_ms ? ob->cfg.now_ms() : real_now_ms();
}

const char *ob_bearer_name(uint8_t b)
{
	return b == OB_SMTP ? "smtp" : "sms";
}

/* FNV-1a, 64 bits: the hash tables' key. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

uint8_t *ob_ref_of(struct outbox *ob, const char *to)
{
	if (to[0] == '+')
		to++;	/* one destination, whichever way it was written */
	return &ob->refs[hash_str(to) % OB_REFS];
}

struct ob_key *ob_key_find(struct outbox *ob, const char *id)
{
	struct ob_key *k;

	hash_for_each_possible(ob->by_id, k, node, hash_str(id))
		if (!strcmp(k->id, id))
			return k;
	return NULL;
}

struct ob_key *ob_key_add(struct outbox *ob, const char *id)
{
	size_t n = strlen(id) + 1;
	struct ob_key *k = talloc_size(ob, sizeof(*k) + n);

	if (!k)
		return NULL;
	memset(k, 0, sizeof(*k));
	memcpy(k->id, id, n);
	hash_add(ob->by_id, &k->node, hash_str(id));
	ob->n_ids++;
	return k;
}

void ob_key_set_seq(struct outbox *ob, struct ob_key *k, uint64_t seq)
{
	k->seq = seq;
	hash_add(ob->by_seq, &k->seq_node, seq);
}

struct ob_msg *ob_msg_of_seq(struct outbox *ob, uint64_t seq)
{
	struct ob_key *k;

	hash_for_each_possible(ob->by_seq, k, seq_node, seq)
		if (k->seq == seq)
			return k->m;
	return NULL;
}

void ob_key_del(struct outbox *ob, struct ob_key *k)
{
	hash_del(&k->node);
	if (k->seq)
		hash_del(&k->seq_node);
	ob->n_ids--;
	talloc_free(k);
}

struct ob_msg *ob_msg_new(struct outbox *ob, struct ob_key *k)
{
	struct ob_msg *m = talloc_zero(ob, struct ob_msg);

	if (!m)
		return NULL;
	m->key = k;
	k->m = m;
	INIT_LLIST_HEAD(&m->waiters);
	llist_add_tail(&m->list, &ob->msgs);
	return m;
}

static void mid_add(struct outbox *ob, struct ob_msg *m, unsigned part, const char *id, bool umr)
{
	size_t n = strlen(id) + 1;
	struct ob_mid *d = talloc_size(m, sizeof(*d) + n);

	if (!d)
		return;		/* its receipt will not match: counted then */
	d->m = m;
	d->part = (uint8_t)part;
	d->umr = umr;
	memcpy(d->id, id, n);
	hash_add(ob->by_mid, &d->node, hash_str(id));
	m->mids[m->n_mids++] = d;
}

/* "MSISDN/umr", the MSISDN without its '+' */
static void umr_key(char *buf, size_t cap, const char *msisdn, uint16_t umr)
{
	snprintf(buf, cap, "%s/%u", msisdn + (msisdn[0] == '+'), umr);
}

/* The keys of m's parts: each SMSC message id it has, and for SMS each
 * part's user_message_reference with the MSISDN -- from the moment its
 * parts are submitted: an SMSC may deliver the first parts, and send their
 * receipts, before it has answered the last (OsmoMSC does).  The keys are
 * kept with m, so that dropping them costs its parts, not the length of a
 * bucket: an SMSC that gives every message the same id puts them all in
 * one. */
static void mids_add(struct outbox *ob, struct ob_msg *m)
{
	unsigned n_umr = m->bearer == OB_SMS ? m->parts : 0;
	char key[OB_TO_MAX + 8];

	ob_mids_drop(ob, m);
	if (!m->n_ids && !n_umr)
		return;
	m->mids = talloc_zero_array(m, struct ob_mid *, m->n_ids + n_umr);
	if (!m->mids)
		return;
	for (unsigned i = 0; i < m->n_ids; i++)
		mid_add(ob, m, i, m->ids[i], false);
	for (unsigned i = 0; i < n_umr; i++) {
		umr_key(key, sizeof(key), m->to, ob_umr(m->ref, i));
		mid_add(ob, m, i, key, true);
	}
}

void ob_mids_drop(struct outbox *ob, struct ob_msg *m)
{
	for (unsigned i = 0; i < m->n_mids; i++) {
		hash_del(&m->mids[i]->node);
		talloc_free(m->mids[i]);
	}
	m->n_mids = 0;
	TALLOC_FREE(m->mids);
}

static struct ob_mid *mid_find(struct outbox *ob, const char *id, bool umr)
{
	struct ob_mid *d;

	hash_for_each_possible(ob->by_mid, d, node, hash_str(id))
		if (d->umr == umr && !strcmp(d->id, id))
			return d;
	return NULL;
}

/* The part a receipt names: by its message id, else by the
 * user_message_reference from the handset's number. */
static struct ob_mid *receipt_part(struct outbox *ob, const struct ob_receipt *r)
{
	struct ob_mid *d = mid_find(ob, r->message_id, false), *e, *any = NULL;
	char key[OB_TO_MAX + 8];

	if (d || !r->has_umr || !r->from || !r->from[0] || strlen(r->from) > OB_TO_MAX)
		return d;
	umr_key(key, sizeof(key), r->from, r->umr);
	/* Several parts awaiting may share the reference (32 submissions to
	 * one number): the oldest whose receipt has not come, as an SMSC
	 * delivers a handset's messages in order.  (A bucket lists the newest
	 * first.) */
	hash_for_each_possible(ob->by_mid, e, node, hash_str(key)) {
		if (!e->umr || strcmp(e->id, key))
			continue;
		any = e;
		if (!(e->m->delivered & (1u << e->part)))
			d = e;
	}
	return d ? d : any;
}

/* ---- the trees: due time per bearer, expiry ----------------------------------- */

static bool before(int64_t ta, uint64_t sa, int64_t tb, uint64_t sb)
{
	return ta < tb || (ta == tb && sa < sb);
}

static void tree_insert(struct rb_root *root, struct rb_node *node, bool exp)
{
	struct ob_msg *m = exp ? container_of(node, struct ob_msg, exp_node) :
				 container_of(node, struct ob_msg, due_node);
	int64_t t = exp ? m->expires_ms : m->due_ms;
	struct rb_node **p = &root->rb_node, *parent = NULL;

	while (*p) {
		struct ob_msg *o = exp ? container_of(*p, struct ob_msg, exp_node) :
					 container_of(*p, struct ob_msg, due_node);
		parent = *p;
		if (before(t, m->key->seq, exp ? o->expires_ms : o->due_ms, o->key->seq))
			p = &(*p)->rb_left;
		else
			p = &(*p)->rb_right;
	}
	rb_link_node(node, parent, p);
	rb_insert_color(node, root);
}

void ob_queue(struct outbox *ob, struct ob_msg *m, int64_t due_ms)
{
	m->st = OB_ST_QUEUED;
	m->due_ms = due_ms < m->expires_ms ? due_ms : m->expires_ms;
	if (!m->in_due)
		tree_insert(&ob->due[m->bearer], &m->due_node, false);
	m->in_due = true;
	if (!m->in_exp)
		tree_insert(&ob->exp, &m->exp_node, true);
	m->in_exp = true;
}

void ob_unqueue(struct outbox *ob, struct ob_msg *m)
{
	if (m->in_due)
		rb_erase(&m->due_node, &ob->due[m->bearer]);
	m->in_due = false;
}

void ob_exp_del(struct outbox *ob, struct ob_msg *m)
{
	ob_unqueue(ob, m);
	if (m->in_exp)
		rb_erase(&m->exp_node, &ob->exp);
	m->in_exp = false;
}

/* ---- a message's end ------------------------------------------------------------- */

void ob_msg_over(struct outbox *ob, struct ob_msg *m)
{
	if (m->st == OB_ST_SUBMITTED)
		ob->n_awaiting--;
	else if (m->st != OB_ST_OVER && m->st != OB_ST_JOURNALING)
		ob->n_pending--;
	if (m->st == OB_ST_FLIGHT)
		ob->n_flight--;
	ob_exp_del(ob, m);
	ob_mids_drop(ob, m);
	m->st = OB_ST_OVER;
	ob_payload_drop(ob, m);
}

int ob_payload_set(struct outbox *ob, struct ob_msg *m, const uint8_t *p, size_t len)
{
	m->payload = talloc_memdup(m, p, len);
	m->len = len;
	if (!m->payload)
		return -ENOMEM;
	ob->payload_bytes += len;
	return 0;
}

void ob_payload_drop(struct outbox *ob, struct ob_msg *m)
{
	if (!m->payload)
		return;
	ob->payload_bytes -= m->len;
	TALLOC_FREE(m->payload);
}

void ob_msg_release(struct outbox *ob, struct ob_msg *m)
{
	if (m->st != OB_ST_OVER || m->ops)
		return;
	m->key->m = NULL;
	llist_del(&m->list);
	ob_payload_drop(ob, m);
	talloc_free(m);
}

/* ---- pumping the bearers ----------------------------------------------------------- */

/* A message's failure is on the bus (txlog.downlink) and counted
 * (downlink.failed); a client can cause them by the thousand (an expires
 * already past, a number the SMSC refuses), so the log gets a line a
 * second of them. */
static void fail_expired(struct outbox *ob, struct ob_msg *m)
{
	LOGP_RL(&ob->rl_failed, DSMS, LOGL_NOTICE, "downlink %s to %s: expired before it could be "
		"submitted", m->key->id, m->to);
	ob_msg_over(ob, m);
	ob_jrn_state(ob, m, JREC_DL_FAILED, "expired", NULL, NULL);
}

/* Hand due messages to bearer b while it has room. */
static void pump_bearer(struct outbox *ob, uint8_t b, int64_t now)
{
	struct ob_bearer_slot *s = &ob->bearer[b];
	struct rb_node *n;

	if (!s->ops)
		return;
	while ((n = rb_first(&ob->due[b]))) {
		struct ob_msg *m = container_of(n, struct ob_msg, due_node);
		if (m->due_ms > now)
			break;
		if (now >= m->expires_ms) {
			fail_expired(ob, m);
			continue;
		}
		if (s->ops->room(s->data) <= ob->n_attempting[b])
			break;
		ob_unqueue(ob, m);
		m->st = OB_ST_ATTEMPT;
		m->attempts++;
		m->ref = (*ob_ref_of(ob, m->to))++;
		ob->n_attempting[b]++;
		if (ob_jrn_attempt(ob, m) < 0)
			return;
	}
}

static void pump(void *data)
{
	struct outbox *ob = data;
	int64_t now = outbox_now_ms(ob);

	for (uint8_t b = 0; b < OB_N_BEARERS; b++)
		pump_bearer(ob, b, now);
	ob_schedule(ob);
}

/* The timer at the earliest due time of a bearer that has room. */
void ob_schedule(struct outbox *ob)
{
	int64_t now = outbox_now_ms(ob), first = INT64_MAX;

	for (uint8_t b = 0; b < OB_N_BEARERS; b++) {
		struct rb_node *n = rb_first(&ob->due[b]);
		if (!n || !ob->bearer[b].ops || !ob->bearer[b].ops->room(ob->bearer[b].data))
			continue;
		struct ob_msg *m = container_of(n, struct ob_msg, due_node);
		if (m->due_ms < first)
			first = m->due_ms;
	}
	if (first == INT64_MAX)
		return;
	int64_t d = first > now ? first - now : 0;
	struct timeval left;
	if (osmo_timer_pending(&ob->timer) &&
	    (osmo_timer_remaining(&ob->timer, NULL, &left) < 0 ||
	     (int64_t)left.tv_sec * 1000 + left.tv_usec / 1000 <= d))
		return;		/* it comes sooner already */
	osmo_timer_schedule(&ob->timer, (int)(d / 1000), (int)(d % 1000) * 1000);
}

void outbox_kick(struct outbox *ob)
{
	osmo_timer_schedule(&ob->timer, 0, 0);
}

/* Its DL_ATTEMPT is synced: to the bearer now. */
void ob_submit_now(struct outbox *ob, struct ob_msg *m)
{
	struct ob_bearer_slot *s = &ob->bearer[m->bearer];
	int64_t now = outbox_now_ms(ob);
	struct ob_item it = { .id = m->key->id, .queued = m->key->seq, .to = m->to,
			      .from_device = m->has_device, .payload = m->payload, .len = m->len,
			      .receipt = m->receipt, .attempt = m->attempts, .ref = m->ref };

	if (now >= m->expires_ms) {
		fail_expired(ob, m);
		return;
	}
	if (!s->ops || s->ops->submit(s->data, m, &it) < 0) {
		ob_queue(ob, m, now + 1000);	/* the bearer had no room after all */
		ob_schedule(ob);
		return;
	}
	if (m->maybe_sent) {
		ob_ctr(ob, TXGW_CTR_DOWNLINK_RESUBMITTED, 1);
		LOGP(DSMS, LOGL_NOTICE, "downlink %s to %s: submitted again (attempt %u): the answer "
		     "to an earlier %s was lost, the %s may have it twice\n", m->key->id, m->to,
		     m->attempts, m->bearer == OB_SMTP ? "mail" : "submit_sm",
		     m->bearer == OB_SMTP ? "relay" : "SMSC");
		m->maybe_sent = false;
	}
	m->st = OB_ST_FLIGHT;
	ob->n_flight++;
	/* the receipts of this attempt's parts, which may come before it ends */
	m->delivered = 0;
	if (m->receipt)
		mids_add(ob, m);
}

/* ---- results ----------------------------------------------------------------------- */

static void result_temporary(struct outbox *ob, struct ob_msg *m, const struct ob_result *r)
{
	int64_t now = outbox_now_ms(ob);

	ob_ctr(ob, TXGW_CTR_DOWNLINK_RETRIES, 1);
	ob_mids_drop(ob, m);	/* the next attempt's parts have other references */
	m->maybe_sent |= r->answer_lost;
	m->backoff_s = m->backoff_s ? 2 * m->backoff_s : OB_BACKOFF_MIN_S;
	if (m->backoff_s > OB_BACKOFF_MAX_S)
		m->backoff_s = OB_BACKOFF_MAX_S;
	LOGP(DSMS, LOGL_INFO, "downlink %s to %s: %s; trying again in %u s\n", m->key->id, m->to,
	     r->error ? r->error : "temporary failure", m->backoff_s);
	ob_queue(ob, m, now + (int64_t)m->backoff_s * 1000);
	ob_schedule(ob);
}

static bool all_delivered(const struct ob_msg *m)
{
	return m->delivered == (uint8_t)((1u << m->n_ids) - 1);
}

int ob_msg_ids(struct ob_msg *m, unsigned n)
{
	m->ids = talloc_zero_array(m, ob_msgid_t, n ? n : 1);
	m->n_ids = m->ids ? n : 0;
	return m->ids ? 0 : -ENOMEM;
}

void ob_msg_submitted(struct outbox *ob, struct ob_msg *m, int64_t at_ms)
{
	m->submitted_ms = at_ms;
	ob_exp_del(ob, m);
	ob->n_pending--;
	ob_payload_drop(ob, m);
	if (!m->receipt || !m->n_ids) {
		ob_mids_drop(ob, m);
		m->st = OB_ST_OVER;
		return;
	}
	m->st = OB_ST_SUBMITTED;
	ob->n_awaiting++;
	/* the ones awaiting receipts in the order of their submission */
	llist_del(&m->list);
	llist_add_tail(&m->list, &ob->msgs);
	mids_add(ob, m);
}

static void result_submitted(struct outbox *ob, struct ob_msg *m, const struct ob_result *r)
{
	unsigned n = r->n_ids < JREC_DL_PARTS_MAX ? r->n_ids : JREC_DL_PARTS_MAX;

	if (ob_msg_ids(m, n) == 0)
		for (unsigned i = 0; i < n; i++)
			snprintf(m->ids[i], sizeof(m->ids[i]), "%s", r->ids[i] ? r->ids[i] : "");
	ob_msg_submitted(ob, m, outbox_now_ms(ob));
	ob_jrn_state(ob, m, JREC_DL_SUBMITTED, NULL, NULL, NULL);
	/* every part's receipt came while it was being submitted */
	if (m->st == OB_ST_SUBMITTED && all_delivered(m)) {
		ob_msg_over(ob, m);
		ob_jrn_state(ob, m, JREC_DL_DELIVERED, NULL, NULL, NULL);
	}
}

void outbox_result(struct outbox *ob, struct ob_msg *m, const struct ob_result *r)
{
	if (m->st != OB_ST_FLIGHT)
		return;
	ob->n_flight--;
	m->st = OB_ST_QUEUED;	/* not in a tree yet: each case below puts it where it goes */
	switch (r->kind) {
	case OB_RES_SUBMITTED:
		result_submitted(ob, m, r);
		break;
	case OB_RES_PERMANENT:
		LOGP_RL(&ob->rl_failed, DSMS, LOGL_NOTICE, "downlink %s to %s: failed: %s", m->key->id,
			m->to, r->error ? r->error : "?");
		ob_msg_over(ob, m);
		ob_jrn_state(ob, m, JREC_DL_FAILED, r->error ? r->error : "failed", NULL, NULL);
		break;
	case OB_RES_TEMPORARY:
		result_temporary(ob, m, r);
		break;
	}
	ob_schedule(ob);
}

/* ---- receipts ---------------------------------------------------------------------- */

int outbox_receipt(struct outbox *ob, const struct ob_receipt *r, engine_ack_cb cb, void *cb_data)
{
	struct ob_mid *d = receipt_part(ob, r);
	struct ob_msg *m;
	char error[64];
	unsigned part;

	if (!d) {
		ob_ctr(ob, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED, 1);
		if (r->has_umr)
			LOGP_RL(&ob->rl_unmatched, DSMS, LOGL_NOTICE, "receipt for message id '%s' (%s, "
				"user_message_reference %u from '%s') matches no message awaiting one",
				r->message_id, r->stat, r->umr, r->from ? r->from : "");
		else
			LOGP_RL(&ob->rl_unmatched, DSMS, LOGL_NOTICE, "receipt for message id '%s' (%s) "
				"matches no message awaiting one", r->message_id, r->stat);
		return 1;
	}
	m = d->m;
	part = d->part;
	if (r->kind == OB_RCPT_OTHER || (r->kind == OB_RCPT_DELIVERED && (m->delivered & (1u << part))))
		return 1;
	if (m->st == OB_ST_FLIGHT) {
		/* a part delivered before the last one was answered: noted (the
		 * message's state waits for its submission to end); a failure
		 * then is not taken (only OsmoMSC's receipts come so early, by
		 * reference, and it sends no failures) */
		if (r->kind != OB_RCPT_DELIVERED) {
			if (r->kind == OB_RCPT_FAILED) {
				ob_ctr(ob, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED, 1);
				LOGP_RL(&ob->rl_unmatched, DSMS, LOGL_NOTICE, "receipt %s for downlink %s "
					"part %u came while it was still being submitted: not taken",
					r->stat, m->key->id, part + 1);
			}
			return 1;
		}
		m->delivered |= (uint8_t)(1u << part);
		return ob_jrn_receipt(ob, m, part, cb, cb_data);
	}
	if (r->kind == OB_RCPT_FAILED) {
		snprintf(error, sizeof(error), "receipt %s%s%s", r->stat, r->err && r->err[0] ? " err:" : "",
			 r->err ? r->err : "");
		ob_msg_over(ob, m);
		return ob_jrn_state(ob, m, JREC_DL_FAILED, error, cb, cb_data);
	}
	m->delivered |= (uint8_t)(1u << part);
	if (!all_delivered(m))
		return ob_jrn_receipt(ob, m, part, cb, cb_data);
	ob_msg_over(ob, m);
	return ob_jrn_state(ob, m, JREC_DL_DELIVERED, NULL, cb, cb_data);
}

/* ---- requests ---------------------------------------------------------------------- */

static void refuse(struct outbox *ob, outbox_answer_cb answer, void *data, const char *id,
		   const char *reason)
{
	ob_ctr(ob, TXGW_CTR_DOWNLINK_REFUSED, 1);
	LOGP_RL(&ob->rl_refused, DSMS, LOGL_INFO, "SEND '%s' refused: %s", id, reason);
	answer(data, "ERROR", id, reason);
}

/* downlink.md: the device's active registry line gives its MSISDN. */
static const char *resolve_device(struct outbox *ob, struct ob_req *q)
{
	const char *why = "unknown_device";

	for (unsigned k = 0; k < 256; k++) {
		const struct reg_entry *e = registry_lookup(ob->e->reg, q->device, (uint8_t)k);
		if (!e)
			continue;
		if (e->revoked) {
			why = strcmp(why, "no_address") ? "revoked" : why;
			continue;
		}
		if (!e->msisdn[0]) {
			why = "no_address";
			continue;
		}
		snprintf(q->to, sizeof(q->to), "%s", e->msisdn);
		return NULL;
	}
	return why;
}

/* The checks after the JSON: address, bearer, room.  NULL or a reason. */
static const char *admit(struct outbox *ob, struct ob_req *q, uint8_t *bearer)
{
	struct ob_bearer_slot *s;
	const char *why;

	*bearer = q->kind == OB_TO_MAIL ? OB_SMTP : OB_SMS;
	if (q->kind == OB_TO_DEVICE && (why = resolve_device(ob, q)))
		return why;
	s = &ob->bearer[*bearer];
	if (!s->ops || !s->ops->available(s->data))
		return "no_bearer";
	if (s->ops->parts(s->data, q->len) > JREC_DL_PARTS_MAX)
		return "too_large";
	if (ob->n_pending + ob->n_journaling >= OB_MAX_PENDING || ob->n_journaling >= OB_MAX_JOURNALING ||
	    ob->payload_bytes + q->len > ob->cfg.max_payload_bytes)
		return "unavailable";
	return NULL;
}

static struct ob_msg *msg_of_request(struct outbox *ob, const struct ob_req *q, uint8_t bearer)
{
	struct ob_key *k = ob_key_add(ob, q->id);
	struct ob_msg *m = k ? ob_msg_new(ob, k) : NULL;

	if (!m) {
		if (k)
			ob_key_del(ob, k);
		return NULL;
	}
	m->st = OB_ST_JOURNALING;
	m->bearer = bearer;
	snprintf(m->to, sizeof(m->to), "%s", q->to);
	m->has_device = q->kind == OB_TO_DEVICE;
	m->device = q->device;
	ob_payload_set(ob, m, q->payload, q->len);
	m->receipt = q->receipt;
	m->queued_ms = outbox_now_ms(ob);
	m->expires_ms = q->has_expires ? q->expires_ms : m->queued_ms + (int64_t)ob->cfg.max_age_s * 1000;
	m->parts = ob->bearer[bearer].ops->parts(ob->bearer[bearer].data, q->len);
	if (!m->payload) {
		m->st = OB_ST_OVER;
		ob_msg_release(ob, m);
		ob_key_del(ob, k);
		return NULL;
	}
	return m;
}

static bool wait_for_sync(struct ob_msg *m, outbox_answer_cb answer, void *data)
{
	struct ob_waiter *w = talloc_zero(m, struct ob_waiter);

	if (!w)
		return false;
	w->answer = answer;
	w->data = data;
	llist_add_tail(&w->list, &m->waiters);
	return true;
}

void outbox_request(struct outbox *ob, const char *json, size_t len, outbox_answer_cb answer,
		    void *data)
{
	struct ob_req *q = &ob->req;
	const char *why;
	struct ob_key *k;
	struct ob_msg *m;
	uint8_t bearer;
	char seq[24];

	if (ob_req_parse(json, len, &ob->buf, q, &why) < 0)
		return refuse(ob, answer, data, q->id, why);
	k = ob_key_find(ob, q->id);
	if (k && k->m && k->m->st == OB_ST_JOURNALING) {
		if (!wait_for_sync(k->m, answer, data))
			refuse(ob, answer, data, q->id, "unavailable");
		return;
	}
	if (k) {
		snprintf(seq, sizeof(seq), "%" PRIu64, k->seq);
		answer(data, "QUEUED", q->id, seq);
		return;
	}
	if (ob->e->down)	/* engine_down.c */
		return refuse(ob, answer, data, q->id, "unavailable");
	if ((why = admit(ob, q, &bearer)))
		return refuse(ob, answer, data, q->id, why);
	m = msg_of_request(ob, q, bearer);
	if (!m || !wait_for_sync(m, answer, data)) {
		if (m) {
			m->st = OB_ST_OVER;
			k = m->key;
			ob_msg_release(ob, m);
			ob_key_del(ob, k);
		}
		return refuse(ob, answer, data, q->id, "unavailable");
	}
	ob->n_journaling++;
	ob_jrn_queued(ob, m);
}

/* ---- time ---------------------------------------------------------------------------- */

void outbox_tick(struct outbox *ob)
{
	int64_t now = outbox_now_ms(ob);
	int64_t wait = (int64_t)ob->cfg.max_age_s * 1000;
	struct ob_msg *m, *tmp;
	struct rb_node *n;

	while ((n = rb_first(&ob->exp))) {
		m = container_of(n, struct ob_msg, exp_node);
		if (m->expires_ms > now)
			break;
		if (m->st != OB_ST_QUEUED) {
			ob_exp_del(ob, m);	/* with the bearer: its result decides */
			continue;
		}
		fail_expired(ob, m);
	}
	/* receipts are waited for max-age after the submission, no longer */
	llist_for_each_entry_safe(m, tmp, &ob->msgs, list) {
		if (m->st != OB_ST_SUBMITTED)
			continue;
		if (all_delivered(m)) {
			/* every part's receipt journaled, the message's state not:
			 * they came before the submission ended, and txgw stopped
			 * (or its journal failed) between its submitted and its
			 * delivered (result_submitted()) */
			ob_msg_over(ob, m);
			ob_jrn_state(ob, m, JREC_DL_DELIVERED, NULL, NULL, NULL);
			continue;
		}
		if (m->submitted_ms + wait > now)
			continue;
		LOGP(DSMS, LOGL_INFO, "downlink %s: no receipt for %u of %u parts within %u s; no "
		     "longer waited for\n", m->key->id, m->n_ids - (unsigned)__builtin_popcount(m->delivered),
		     m->n_ids, ob->cfg.max_age_s);
		ob_msg_over(ob, m);
		ob_msg_release(ob, m);
	}
	ob_schedule(ob);
}

void outbox_get_info(const struct outbox *ob, struct outbox_info *info)
{
	info->pending = ob->n_pending;
	info->payload_bytes = ob->payload_bytes;
	info->in_flight = ob->n_flight;
	info->awaiting_receipts = ob->n_awaiting;
	info->journaling = ob->n_journaling;
	info->ids = ob->n_ids;
}

/* ---- set-up ------------------------------------------------------------------------- */

void outbox_configure(struct outbox *ob, const struct outbox_cfg *cfg)
{
	ob->cfg = *cfg;
	if (!ob->cfg.max_age_s)
		ob->cfg.max_age_s = OB_DEFAULT_MAX_AGE_S;
	if (!ob->cfg.max_payload_bytes)
		ob->cfg.max_payload_bytes = OB_MAX_PAYLOAD_BYTES;
}

void outbox_set_bearer(struct outbox *ob, enum ob_bearer b, const struct outbox_bearer_ops *ops,
		       void *data)
{
	ob->bearer[b].ops = ops;
	ob->bearer[b].data = data;
	outbox_kick(ob);
}

struct outbox *engine_outbox(struct engine *e)
{
	return e->ob;
}

struct outbox *outbox_new(struct engine *e)
{
	struct outbox *ob = talloc_zero(e, struct outbox);

	if (!ob)
		return NULL;
	ob->e = e;
	ob->cfg.max_age_s = OB_DEFAULT_MAX_AGE_S;
	hash_init(ob->by_id);
	hash_init(ob->by_mid);
	hash_init(ob->by_seq);
	INIT_LLIST_HEAD(&ob->msgs);
	/* the trees: RB_ROOT is all zero, as talloc_zero() left them */
	osmo_timer_setup(&ob->timer, pump, ob);
	ob->buf.text_cap = OB_REQ_TEXT_MAX;
	ob->buf.payload_cap = OB_REQ_PAYLOAD_MAX;
	/* where the counters start when the journal has none: anywhere, so
	 * that a first start does not begin each destination at 0 */
	if (getrandom(ob->refs, sizeof(ob->refs), 0) != (ssize_t)sizeof(ob->refs))
		for (unsigned i = 0; i < OB_REFS; i++)
			ob->refs[i] = (uint8_t)(i * 151 + (unsigned)time(NULL));
	ob->buf.text = talloc_size(ob, ob->buf.text_cap);
	ob->buf.payload = talloc_size(ob, ob->buf.payload_cap);
	if (!ob->buf.text || !ob->buf.payload) {
		talloc_free(ob);
		return NULL;
	}
	return ob;
}

/* Before the engine rebuilds its state from the journal in-process
 * (engine_reload()): the journal is cut back to its last good sync, so the
 * outbox is refilled by the same replay as at start-up (outbox_apply(),
 * outbox_rebuilt()).  Submissions under way are cancelled (their messages
 * come back queued, counted as maybe sent, if their DL_ATTEMPT is durable).
 * -EBUSY while a group under way points at a message: the engine stays
 * down and its next probe tries again. */
int outbox_reset(struct outbox *ob)
{
	struct ob_msg *m, *tmp;
	struct ob_key *k;
	struct hlist_node *n;
	unsigned b;

	llist_for_each_entry(m, &ob->msgs, list)
		if (m->ops || !llist_empty(&m->waiters))
			return -EBUSY;
	llist_for_each_entry_safe(m, tmp, &ob->msgs, list) {
		struct ob_bearer_slot *s = &ob->bearer[m->bearer];
		if (m->st == OB_ST_FLIGHT && s->ops && s->ops->cancel)
			s->ops->cancel(s->data, m);
		ob_msg_over(ob, m);
		ob_msg_release(ob, m);
	}
	hash_for_each_safe(ob->by_id, b, n, k, node)
		ob_key_del(ob, k);
	ob->rb_resubmit = 0;
	osmo_timer_del(&ob->timer);
	return 0;
}

void outbox_free(struct outbox *ob)
{
	struct ob_msg *m;

	if (!ob)
		return;
	llist_for_each_entry(m, &ob->msgs, list) {
		struct ob_bearer_slot *s = &ob->bearer[m->bearer];
		if (m->st == OB_ST_FLIGHT && s->ops && s->ops->cancel)
			s->ops->cancel(s->data, m);
	}
	osmo_timer_del(&ob->timer);	/* after the bearers, which may kick it */
	talloc_free(ob);
}
