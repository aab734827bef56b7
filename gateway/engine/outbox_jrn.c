/*
 * outbox_jrn.c — the outbox's journal groups (jrec.h DL_*) and what
 * follows their sync; and the outbox rebuilt from them at start-up.
 *
 * Each group is an struct ob_op handed to engine_write_group(): its
 * writer appends the DL record, then the txlog.downlink bus message when
 * the change is published (queued, submitted, delivered, failed), with
 * the seq the journal gives it then; its answer runs after the sync.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "gateway/bus/bus_msg_downlink.h"
#include "gateway/engine/outbox_int.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/sms/sms_out.h"

enum ob_op_kind { OP_QUEUED, OP_ATTEMPT, OP_STATE, OP_RECEIPT };

struct ob_op {
	struct outbox *ob;
	struct ob_msg *m;
	enum ob_op_kind kind;
	enum jrec_dl_st st;
	unsigned part;
	int64_t at_ms;
	char error[JREC_DL_ERROR_MAX + 1];
	engine_ack_cb cb;		/* the caller's, after ours */
	void *cb_data;
};

static const char *state_name(enum jrec_dl_st st)
{
	return st == JREC_DL_SUBMITTED ? "submitted" : st == JREC_DL_DELIVERED ? "delivered" : "failed";
}

/* ---- writing ------------------------------------------------------------------ */

static void append(struct group *g, uint8_t type, int n, uint64_t *entry)
{
	if (n < 0) {
		if (!g->p->err)
			g->p->err = n;
		return;
	}
	group_append(g, type, g->e->buf, (size_t)n, entry);
}

/* The txlog.downlink message of op, with the seq it gets now. */
static void publish(struct group *g, const struct ob_op *op, const char *state)
{
	struct outbox *ob = op->ob;
	const struct ob_msg *m = op->m;
	struct jw *w = &g->e->w;
	const char *ids[JREC_DL_PARTS_MAX];
	struct bus_downlink d = {
		.seq = group_next_seq(g), .gw = ob->e->cfg.gw_name, .bearer = ob_bearer_name(m->bearer),
		.id = m->key->id, .queued = op->kind == OP_QUEUED ? group_next_seq(g) : m->key->seq,
		.to = m->to, .has_device = m->has_device, .device = m->device, .state = state,
		.parts = m->bearer == OB_SMS ? m->parts : 0, .n_ids = m->n_ids, .ids = ids,
		.error = op->kind == OP_STATE && op->st == JREC_DL_FAILED ? op->error : NULL,
		.at_ms = op->at_ms,
	};

	for (unsigned i = 0; i < m->n_ids && i < JREC_DL_PARTS_MAX; i++)
		ids[i] = m->ids[i];
	jw_reset(w);
	int rc = bus_msg_downlink(w, &d);
	if (rc == 0)
		group_msg(g, BUS_TOPIC_DOWNLINK, w->buf, w->len);
	else if (!g->p->err)
		g->p->err = rc;
	jw_reset(w);
}

static void write_queued(struct group *g, struct ob_op *op)
{
	struct ob_msg *m = op->m;
	struct jrec_dl_queued q = {
		.seq = group_next_seq(g), .queued_ms = m->queued_ms, .expires_ms = m->expires_ms,
		.bearer = m->bearer, .receipt = m->receipt, .has_device = m->has_device,
		.device = m->device, .payload = m->payload, .len = m->len,
	};

	snprintf(q.id, sizeof(q.id), "%s", m->key->id);
	snprintf(q.to, sizeof(q.to), "%s", m->to);
	ob_key_set_seq(op->ob, m->key, q.seq);
	append(g, JREC_DL_QUEUED, jrec_dl_queued_encode(g->e->buf, JOURNAL_MAX_PAYLOAD, &q),
	       &m->key->entry);
	publish(g, op, "queued");
}

static void write_op(struct group *g, void *arg)
{
	struct ob_op *op = arg;
	struct ob_msg *m = op->m;
	uint8_t *buf = g->e->buf;

	switch (op->kind) {
	case OP_QUEUED:
		write_queued(g, op);
		break;
	case OP_ATTEMPT: {
		struct jrec_dl_attempt a = { .seq = m->key->seq, .attempt = m->attempts, .ref = m->ref };
		append(g, JREC_DL_ATTEMPT, jrec_dl_attempt_encode(buf, JOURNAL_MAX_PAYLOAD, &a), NULL);
		break;
	}
	case OP_STATE: {
		struct jrec_dl_state s = { .seq = m->key->seq, .state = op->st, .at_ms = op->at_ms,
					   .n_ids = op->st == JREC_DL_SUBMITTED ? m->n_ids : 0 };
		for (unsigned i = 0; i < s.n_ids; i++)
			memcpy(s.ids[i], m->ids[i], sizeof(s.ids[i]));
		snprintf(s.error, sizeof(s.error), "%s", op->error);
		append(g, JREC_DL_STATE, jrec_dl_state_encode(buf, JOURNAL_MAX_PAYLOAD, &s), NULL);
		publish(g, op, state_name(op->st));
		break;
	}
	case OP_RECEIPT: {
		struct jrec_dl_receipt r = { .seq = m->key->seq, .part = (uint8_t)op->part };
		append(g, JREC_DL_RECEIPT, jrec_dl_receipt_encode(buf, JOURNAL_MAX_PAYLOAD, &r), NULL);
		break;
	}
	}
}

/* ---- after the sync --------------------------------------------------------------- */

static void answer_waiters(struct ob_msg *m, int status)
{
	char seq[24];

	snprintf(seq, sizeof(seq), "%" PRIu64, m->key->seq);
	while (!llist_empty(&m->waiters)) {
		struct ob_waiter *w = llist_first_entry(&m->waiters, struct ob_waiter, list);
		llist_del(&w->list);
		if (status == 0)
			w->answer(w->data, "QUEUED", m->key->id, seq);
		else
			w->answer(w->data, "ERROR", m->key->id, "unavailable");
		talloc_free(w);
	}
}

static void queued_done(struct outbox *ob, struct ob_msg *m, int status)
{
	ob->n_journaling--;
	answer_waiters(m, status);
	if (status < 0) {
		/* never durable as far as anyone was told: forgotten (op_done) */
		m->st = OB_ST_OVER;
		return;
	}
	ob->n_pending++;
	ob_ctr(ob, TXGW_CTR_DOWNLINK_QUEUED, 1);
	ob_queue(ob, m, outbox_now_ms(ob));
	ob_schedule(ob);
}

static void state_done(struct outbox *ob, const struct ob_op *op)
{
	static const unsigned ctr[] = {
		[JREC_DL_SUBMITTED] = TXGW_CTR_DOWNLINK_SUBMITTED,
		[JREC_DL_DELIVERED] = TXGW_CTR_DOWNLINK_DELIVERED,
		[JREC_DL_FAILED] = TXGW_CTR_DOWNLINK_FAILED,
	};

	ob_ctr(ob, ctr[op->st], 1);
}

static void op_done(void *data, int status)
{
	struct ob_op *op = data;
	struct outbox *ob = op->ob;
	struct ob_msg *m = op->m;

	switch (op->kind) {
	case OP_QUEUED:
		queued_done(ob, m, status);
		break;
	case OP_ATTEMPT:
		ob->n_attempting[m->bearer]--;
		if (status == 0 && m->st == OB_ST_ATTEMPT)
			ob_submit_now(ob, m);
		break;
	case OP_STATE:
		if (status == 0)
			state_done(ob, op);
		break;
	case OP_RECEIPT:
		break;
	}
	if (op->cb)
		op->cb(op->cb_data, status);
	m->ops--;
	if (op->kind == OP_QUEUED && status < 0) {
		struct ob_key *k = m->key;
		ob_msg_release(ob, m);
		ob_key_del(ob, k);
	} else {
		ob_msg_release(ob, m);
	}
	talloc_free(op);
}

/*
 * One group for m, its fields set before engine_write_group(): it may be
 * written at once.  On failure the engine refuses all input until the
 * restart; the caller's cb is not called (it answers with the error) and
 * m is released if it has ended.
 */
static int op_start(struct outbox *ob, struct ob_msg *m, enum ob_op_kind kind, enum jrec_dl_st st,
		    const char *error, unsigned part, engine_ack_cb cb, void *cb_data)
{
	struct ob_op *op = talloc_zero(ob, struct ob_op);
	int rc;

	if (!op)
		return -ENOMEM;
	op->ob = ob;
	op->m = m;
	op->kind = kind;
	op->st = st;
	op->part = part;
	op->at_ms = outbox_now_ms(ob);
	snprintf(op->error, sizeof(op->error), "%s", error ? error : "");
	op->cb = cb;
	op->cb_data = cb_data;
	m->ops++;
	rc = engine_write_group(ob->e, ob_bearer_name(m->bearer), write_op, op, op_done, op);
	if (rc < 0) {
		LOGP(DSMS, LOGL_ERROR, "downlink %s: cannot journal its %s: %s\n", m->key->id,
		     kind == OP_QUEUED ? "request" : kind == OP_ATTEMPT ? "submission" : "new state",
		     strerror(-rc));
		op->cb = NULL;
		op_done(op, rc);
	}
	return rc;
}

int ob_jrn_queued(struct outbox *ob, struct ob_msg *m)
{
	return op_start(ob, m, OP_QUEUED, 0, NULL, 0, NULL, NULL);
}

int ob_jrn_attempt(struct outbox *ob, struct ob_msg *m)
{
	return op_start(ob, m, OP_ATTEMPT, 0, NULL, 0, NULL, NULL);
}

int ob_jrn_state(struct outbox *ob, struct ob_msg *m, enum jrec_dl_st st, const char *error,
		 engine_ack_cb cb, void *cb_data)
{
	return op_start(ob, m, OP_STATE, st, error, 0, cb, cb_data);
}

int ob_jrn_receipt(struct outbox *ob, struct ob_msg *m, unsigned part, engine_ack_cb cb,
		   void *cb_data)
{
	return op_start(ob, m, OP_RECEIPT, 0, NULL, part, cb, cb_data);
}

/* ---- the rebuild at start-up ------------------------------------------------------ */

static int apply_queued(struct outbox *ob, const struct jrec_dl_queued *q, uint64_t entry)
{
	struct ob_key *k = ob_key_find(ob, q->id);
	struct ob_msg *m;

	if (k)
		return 0;	/* cannot happen: an id is queued once */
	/* a record about a message whose DL_QUEUED record the journal no
	 * longer keeps finds nothing (ob_msg_of_seq): it is forgotten */
	k = ob_key_add(ob, q->id);
	m = k ? ob_msg_new(ob, k) : NULL;
	if (!m)
		return -ENOMEM;
	ob_key_set_seq(ob, k, q->seq);
	k->entry = entry;
	m->st = OB_ST_QUEUED;
	m->bearer = q->bearer;
	snprintf(m->to, sizeof(m->to), "%s", q->to);
	m->has_device = q->has_device;
	m->device = q->device;
	m->receipt = q->receipt;
	m->queued_ms = q->queued_ms;
	m->expires_ms = q->expires_ms;
	m->parts = q->bearer == OB_SMS ? sms_out_parts(q->len) : 1;
	ob->n_pending++;
	return ob_payload_set(ob, m, q->payload, q->len);
}

static int apply_state(struct outbox *ob, const struct jrec_dl_state *s)
{
	struct ob_msg *m = ob_msg_of_seq(ob, s->seq);

	if (!m || m->st == OB_ST_OVER)
		return 0;
	if (s->state != JREC_DL_SUBMITTED) {
		ob_msg_over(ob, m);
		ob_msg_release(ob, m);
		return 0;
	}
	if (ob_msg_ids(m, s->n_ids) < 0)
		return -ENOMEM;
	memcpy(m->ids, s->ids, sizeof(m->ids[0]) * s->n_ids);
	ob_msg_submitted(ob, m, s->at_ms);
	ob_msg_release(ob, m);
	return 0;
}

int outbox_apply(struct outbox *ob, uint8_t type, const uint8_t *buf, size_t len, uint64_t entry)
{
	struct jrec_dl_queued q;
	struct jrec_dl_attempt a;
	struct jrec_dl_state s;
	struct jrec_dl_receipt r;
	struct ob_msg *m;

	switch (type) {
	case JREC_DL_QUEUED:
		return jrec_dl_queued_decode(&q, buf, len) < 0 ? -EBADMSG : apply_queued(ob, &q, entry);
	case JREC_DL_ATTEMPT:
		if (jrec_dl_attempt_decode(&a, buf, len) < 0)
			return -EBADMSG;
		if ((m = ob_msg_of_seq(ob, a.seq)) && m->st == OB_ST_QUEUED) {
			m->attempts = a.attempt;
			m->ref = a.ref;
			m->delivered = 0;	/* receipts of an earlier attempt's parts */
			/* the destination's counter goes on after it */
			*ob_ref_of(ob, m->to) = (uint8_t)(a.ref + 1);
		}
		return 0;
	case JREC_DL_STATE:
		return jrec_dl_state_decode(&s, buf, len) < 0 ? -EBADMSG : apply_state(ob, &s);
	case JREC_DL_RECEIPT:
		if (jrec_dl_receipt_decode(&r, buf, len) < 0)
			return -EBADMSG;
		/* QUEUED: a part delivered while the message was being
		 * submitted (before its DL_STATE "submitted") */
		if ((m = ob_msg_of_seq(ob, r.seq)) && (m->st == OB_ST_SUBMITTED || m->st == OB_ST_QUEUED))
			m->delivered |= (uint8_t)(1u << r.part);
		return 0;
	}
	return 0;
}

/* What the journal says is left to do: every message not submitted nor
 * failed is queued again; one whose submission had started may have
 * reached the SMSC (its next submission is counted as resubmitted). */
void outbox_rebuilt(struct outbox *ob)
{
	struct ob_msg *m;
	unsigned maybe = 0;

	llist_for_each_entry(m, &ob->msgs, list) {
		if (m->st != OB_ST_QUEUED)
			continue;
		if (m->attempts) {
			m->maybe_sent = true;
			maybe++;
		}
		ob_queue(ob, m, 0);	/* due at once (the clock is configured later) */
	}
	ob->rb_resubmit = maybe;
	LOGP(DSMS, LOGL_NOTICE, "downlink outbox: %u messages to submit (%u of them may have reached "
	     "the SMSC before the restart), %u awaiting receipts, %zu ids known\n", ob->n_pending,
	     maybe, ob->n_awaiting, ob->n_ids);
}

uint64_t outbox_needed_entry(const struct outbox *ob)
{
	uint64_t min = JOURNAL_NEED_NONE;
	const struct ob_msg *m;

	llist_for_each_entry(m, &ob->msgs, list)
		if (m->st != OB_ST_OVER && m->key->entry && m->key->entry < min)
			min = m->key->entry;
	return min;
}

void outbox_forget_before(struct outbox *ob, uint64_t oldest_entry)
{
	struct ob_key *k;
	struct hlist_node *tmp;
	unsigned b;

	hash_for_each_safe(ob->by_id, b, tmp, k, node) {
		if (k->m || !k->entry || k->entry >= oldest_entry)
			continue;
		ob_key_del(ob, k);
	}
}
