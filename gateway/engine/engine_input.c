/*
 * engine_input.c — inputs in arrival order: each SMS or mail becomes a
 * struct input at the tail of a FIFO; its frames go to the signature
 * workers (vpool.h); inputs leave the FIFO from its head only, once every
 * frame of theirs is back, so the ledger sees each device's frames in the
 * order they came and the journal holds one input's group unbroken.
 *
 * A part of a concatenated SMS waits for its turn at the head before it
 * is journaled and given to reassembly, so that the SEGMENT entry and the
 * reassembly state change happen together, in order; when it completes a
 * message, that message's frames are verified then (the head waits).  What
 * reassembly drops at that point (expired or evicted messages) is
 * journaled in the same group, before the SEGMENT; the timer's drops on a
 * quiet link come as an input of their own (engine_tick()), so every
 * change of the reassembly state is in the journal in the order it
 * happened, and a restart rebuilds exactly what was held.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "gateway/engine/engine_int.h"
#include "gateway/engine/jrec.h"
#include "gateway/engine/outbox.h"
#include "gateway/engine/sms_frames.h"
#include "gateway/engine/vpool.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/sms/concat.h"
#include "gateway/txlog/judge.h"
#include "gateway/txlog/registry.h"

struct frame_task {
	struct vtask t;
	struct judge_result r;
	struct reg_entry entry;
};

struct input {
	struct llist_head list;
	struct engine *e;
	engine_ack_cb cb;
	void *cb_data;
	const char *bearer;
	char *src;
	bool src_is_msisdn;		/* SMS: check 6 applies */
	int64_t rx_ms;
	uint64_t mono_ms;		/* arrival on the engine's monotonic clock */
	bool tick;			/* not a carrier's input: the timer's drops */
	/* a part of a concatenated SMS, before its turn */
	bool concat_pending;
	struct sms_seg seg;		/* seg.payload points into seg_data */
	uint8_t *seg_data;
	/* the frames, once known */
	struct extract_result *r;
	struct frame_task **tasks;	/* one per item; NULL for non-frames */
	unsigned n_todo;
	bool dispatching;
	bool journaled_segment;
	struct group g;
	/* a group its caller writes (engine_write_group) */
	engine_group_writer write;
	void *write_arg;
};

static struct input *input_new(struct engine *e, const char *bearer, const char *src, int64_t rx_ms,
			       engine_ack_cb cb, void *cb_data)
{
	struct input *in = talloc_zero(e, struct input);
	if (!in)
		return NULL;
	in->e = e;
	in->bearer = bearer;
	in->src = talloc_strdup(in, src ? src : "");
	in->rx_ms = rx_ms;
	in->cb = cb;
	in->cb_data = cb_data;
	return in->src ? in : NULL;
}

/* Hand the input's frames to the workers. */
static int dispatch(struct input *in)
{
	struct engine *e = in->e;

	in->tasks = talloc_zero_array(in, struct frame_task *, in->r->n ? in->r->n : 1);
	if (!in->tasks)
		return -ENOMEM;
	in->dispatching = true;
	for (unsigned i = 0; i < in->r->n; i++) {
		struct extract_item *it = &in->r->item[i];
		if (it->kind != EXTRACT_FRAME)
			continue;
		/* not zeroed: t is set below, r by judge_check(), entry copied */
		struct frame_task *ft = talloc(in, struct frame_task);
		if (!ft) {
			in->dispatching = false;
			return -ENOMEM;
		}
		ft->r.entry = &ft->entry;
		ft->t = (struct vtask){ .reg = e->reg, .buf = it->data, .len = it->len, .r = &ft->r,
					.owner = in };
		in->tasks[i] = ft;
		in->n_todo++;
		vpool_submit(e->pool, &ft->t);
	}
	in->dispatching = false;
	return 0;
}

void engine_task_done(struct engine *e, struct vtask *t)
{
	struct input *in = t->owner;
	in->n_todo--;
	engine_pump(e);
}

/* Journal the part reassembly will keep, then keep it. */
static int keep_segment(struct input *in, struct concat_part *part, struct concat_msg **m)
{
	struct engine *e = in->e;
	struct sms_seg *seg = &in->seg;
	struct jrec_segment js = { .rx_ms = in->rx_ms, .coding = seg->coding, .has_port = seg->has_port,
				   .port = seg->port, .key = seg->key, .seq = seg->seq,
				   .data = seg->payload, .len = seg->len };
	int n = jrec_segment_encode(e->buf, JOURNAL_MAX_PAYLOAD, &js);

	if (n < 0)
		return n;
	group_append(&in->g, JREC_SEGMENT, e->buf, (size_t)n, &part->cookie);
	if (in->g.p->err)
		return in->g.p->err;
	return concat_add(e->cc, &seg->key, part, in->mono_ms, in, m);
}

/* A part that reassembly does not keep and that is no repeat: a reject. */
static void part_refused(struct input *in, const struct concat_part *part, int rc)
{
	char why[128];

	if (rc == CONCAT_CONFLICT)
		snprintf(why, sizeof(why), "came again with other bytes while its message was open: "
			 "the first copy kept");
	else
		snprintf(why, sizeof(why), "refused by reassembly: %s", rc == -ENOSPC ?
			 "larger than what one sender may hold" : strerror(-rc));
	LOGP_RL(&in->e->rl_part_refused, DSMS, LOGL_NOTICE, "segment %u/%u from %s: %s", part->seq,
		in->seg.key.total, in->src, why);
	engine_emit_incomplete(&in->g, &in->seg.key, in->rx_ms, 1, &part->seq, &part->data,
			       &part->len, why);
}

/* The head's turn for a concatenated part: drops it causes, journal it,
 * reassemble.  Returns 1 when the input is ready to finish, 0 when it now
 * waits for the frames of the message it completed. */
static int concat_turn(struct input *in)
{
	struct engine *e = in->e;
	struct sms_seg *seg = &in->seg;
	struct concat_part part = { .seq = seg->seq, .coding = seg->coding, .data = seg->payload,
				    .len = seg->len, .rx_ms = in->rx_ms };
	struct concat_msg *m = NULL;
	int rc;

	in->concat_pending = false;
	e->drop_g = &in->g;
	rc = concat_prepare(e->cc, &seg->key, &part, in->mono_ms);
	if (rc == CONCAT_DUPLICATE) {
		engine_ctr(e, TXGW_CTR_SMS_DUPLICATE_PARTS, 1);	/* the SMSC sent it again */
	} else if (rc) {
		part_refused(in, &part, rc);	/* a conflict, -EINVAL or -ENOSPC */
	} else {
		rc = keep_segment(in, &part, &m);
		if (rc < 0 && !in->g.p->err)
			in->g.p->err = rc;
	}
	e->drop_g = NULL;
	if (rc != CONCAT_COMPLETE || !m)
		return 1;
	engine_ctr(e, TXGW_CTR_SMS_MESSAGES, 1);
	sms_extract(e->scratch, m->coding, m->data, m->len, seg->has_port, seg->port, e->cfg.txlog_port);
	talloc_free(m);
	in->r = extract_result_dup(in, e->scratch, 0);
	if (!in->r) {
		in->g.p->err = -ENOMEM;
		return 1;
	}
	if (dispatch(in) < 0)
		in->g.p->err = -ENOMEM;
	return in->n_todo == 0;
}

/* The timer's turn: drop what expired (or, after a restart, what is over
 * a limit), each drop journaled with its reject. */
static int tick_turn(struct input *in)
{
	struct engine *e = in->e;

	e->drop_g = &in->g;
	concat_trim(e->cc, in->mono_ms);
	e->drop_g = NULL;
	return 1;
}

/* Every result is back: the input's entries, then COMMIT. */
static void finish(struct input *in)
{
	const char *msisdn = in->src_is_msisdn ? in->src : NULL;

	if (in->write)
		in->write(&in->g, in->write_arg);
	if (in->tick) {
		in->e->tick_queued = false;
		if (!in->g.n && !in->g.p->err) {
			/* nothing was due after all: no empty group */
			talloc_free(in->g.p);
			return;
		}
	}
	for (unsigned i = 0; in->r && i < in->r->n; i++) {
		struct extract_item *it = &in->r->item[i];
		struct frame_task *ft = in->tasks ? in->tasks[i] : NULL;
		if (it->kind != EXTRACT_FRAME)
			engine_emit_non_frame(&in->g, it);
		else if (ft)
			engine_emit_frame(&in->g, &ft->r, ft->t.rc, it->data, it->len, msisdn);
	}
	group_commit(&in->g);
}

/* Is the head ready?  Starts its group when it gets its turn. */
static bool head_ready(struct input *in)
{
	if (in->dispatching || in->n_todo)
		return false;
	if (!in->g.p && group_begin(&in->g, in->e, in->bearer, in->src, in->rx_ms, in->cb,
				    in->cb_data) < 0)
		return false;	/* -ENOMEM: try again on the next wake-up */
	if (in->concat_pending)
		return concat_turn(in);
	if (in->tick)
		return tick_turn(in);
	return true;
}

void engine_pump(struct engine *e)
{
	if (e->pumping)
		return;		/* the outer call goes on with the FIFO */
	e->pumping = true;
	while (!llist_empty(&e->inputs)) {
		struct input *in = llist_first_entry(&e->inputs, struct input, list);
		if (!head_ready(in))
			break;
		finish(in);
		llist_del(&in->list);
		e->n_inputs--;
		talloc_free(in);
	}
	e->pumping = false;
}

static void enqueue(struct engine *e, struct input *in)
{
	llist_add_tail(&in->list, &e->inputs);
	e->n_inputs++;
	if (in->r && dispatch(in) < 0 && !in->g.p) {
		/* no memory for the tasks: answer with a temporary error */
		in->r->n = 0;
	}
	engine_pump(e);
}

/* A message whose user data header does not parse: a malformed reject. */
static void bad_sms(struct extract_result *r, const struct sms_in *sms, int rc)
{
	struct extract_item *it = &r->item[0];
	r->n = 1;
	it->kind = EXTRACT_MALFORMED;
	it->why = rc == -EIO ? "user data header longer than the message" :
		  "user data header does not parse";
	it->len = sms->sm_len < EXTRACT_RAW_MAX ? sms->sm_len : EXTRACT_RAW_MAX;
	memcpy(it->data, sms->sm, it->len);
}

int engine_sms(struct engine *e, const struct sms_in *sms, int64_t rx_ms, engine_ack_cb cb,
	       void *cb_data)
{
	struct input *in;
	int rc;

	if (e->down) {
		e->refused++;
		return e->down;
	}
	in = input_new(e, "sms", sms->src, rx_ms, cb, cb_data);
	if (!in)
		return -ENOMEM;
	in->src_is_msisdn = true;
	in->mono_ms = engine_mono_ms(e);
	engine_ctr(e, TXGW_CTR_SMS_SEGMENTS, 1);
	rc = sms_in_parse(sms, &in->seg);
	if (rc == 0 && in->seg.concat) {
		in->seg_data = talloc_memdup(in, in->seg.payload, in->seg.len ? in->seg.len : 1);
		in->seg.payload = in->seg_data;
		in->concat_pending = true;
		if (!in->seg_data) {
			talloc_free(in);
			return -ENOMEM;
		}
	} else {
		if (rc < 0) {
			bad_sms(e->scratch, sms, rc);
		} else {
			engine_ctr(e, TXGW_CTR_SMS_MESSAGES, 1);
			sms_extract(e->scratch, in->seg.coding, in->seg.payload, in->seg.len,
				    in->seg.has_port, in->seg.port, e->cfg.txlog_port);
		}
		in->r = extract_result_dup(in, e->scratch, 0);
		if (!in->r) {
			talloc_free(in);
			return -ENOMEM;
		}
	}
	enqueue(e, in);
	return 0;
}

void engine_tick(struct engine *e)
{
	uint64_t now = engine_mono_ms(e);
	struct input *in;

	if (!e->down)
		outbox_tick(e->ob);

	if (e->tick_queued || e->down || journal_failed(e->j) || !concat_due(e->cc, now))
		return;
	in = input_new(e, "sms", "", engine_wall_ms(e), NULL, NULL);
	if (!in)
		return;		/* -ENOMEM: the next tick tries again */
	in->tick = true;
	in->mono_ms = now;
	e->tick_queued = true;
	enqueue(e, in);
}

int engine_mail(struct engine *e, const char *mail_from, const struct extract_result *r,
		const uint8_t *raw, size_t raw_len, int64_t rx_ms, engine_ack_cb cb, void *cb_data)
{
	struct input *in;

	if (e->down) {
		e->refused++;
		return e->down;
	}
	in = input_new(e, "smtp", mail_from, rx_ms, cb, cb_data);
	if (!in)
		return -ENOMEM;
	in->r = extract_result_dup(in, r, 1);	/* room for a not_txlog item */
	if (!in->r) {
		talloc_free(in);
		return -ENOMEM;
	}
	extract_none_is_not_txlog(in->r, raw, raw_len, "no TXLOG frame in the mail");
	enqueue(e, in);
	return 0;
}

int engine_write_group(struct engine *e, const char *bearer, engine_group_writer write, void *arg,
		       engine_ack_cb cb, void *cb_data)
{
	struct input *in;

	if (e->down)
		return e->down;		/* a write error, or full: engine_down.c */
	in = input_new(e, bearer, NULL, 0, cb, cb_data);
	if (!in)
		return -ENOMEM;
	in->write = write;
	in->write_arg = arg;
	enqueue(e, in);
	return 0;
}
