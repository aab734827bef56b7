/*
 * sub_order.c — each seq once and in order: the ring of messages held
 * ahead of a gap, replay asked for at start, on a gap, after a quiet spell
 * or a lost answer, and its END and ERROR answers (doc/bus.md "Replay").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrib/sub/sub.h"

bool sub_done(const struct sub *s)
{
	return (s->o.has_until && s->started && s->next > s->o.until) ||
	       (s->o.count && s->shown >= s->o.count);
}

static struct slot *slot_of(struct sub *s, uint64_t seq)
{
	return &s->ring[seq % RING_SLOTS];
}

static void slot_free(struct sub *s, struct slot *sl)
{
	free(sl->payload);
	sl->payload = NULL;
	sl->used = false;
	s->held--;
}

/* Print what is ready from s->next on. */
static void drain(struct sub *s)
{
	struct slot *sl;
	while (!sub_done(s) && (sl = slot_of(s, s->next))->used) {
		sub_emit(s, sl);
		slot_free(s, sl);
		s->next++;
	}
}

/* Go on to limit: print what is held below it, report what is missing. */
static void skip_to(struct sub *s, uint64_t limit, bool expired)
{
	if (s->o.has_until && limit > s->o.until + 1)
		limit = s->o.until + 1;
	while (s->next < limit && !sub_done(s)) {
		uint64_t from = s->next;
		if (!s->held)
			s->next = limit;	/* nothing held: no need to walk the range */
		while (s->next < limit && !slot_of(s, s->next)->used)
			s->next++;
		if (s->next > from)
			sub_note_gap(s, from, s->next - 1, expired);
		drain(s);
	}
}

static void warn_malformed(struct sub *s, const char *how, const char *why)
{
	s->malformed++;
	sub_status_clear(s);
	fprintf(stderr, "txgw-sub: malformed %s message ignored: %s\n", how, why);
}

/* A [topic, payload] message, live or replayed. */
static void take(struct sub *s, const char *topic, size_t tlen, const char *payload, size_t plen,
		 bool replayed)
{
	struct row r;
	struct slot *sl;

	if (!sub_topic_ok(topic, tlen) || sub_row_parse(payload, plen, &r) < 0) {
		warn_malformed(s, replayed ? "replayed" : "live", sub_topic_ok(topic, tlen) ?
			       "payload is not one JSON object with a seq" : "bad topic");
		return;
	}
	if (!s->started) {
		if (replayed)
			return;
		s->next = (uint64_t)r.seq;
		s->started = true;
	}
	if ((uint64_t)r.seq > s->top)
		s->top = (uint64_t)r.seq;
	if ((uint64_t)r.seq < s->next || (uint64_t)r.seq - s->next >= RING_SLOTS ||
	    (s->o.has_until && (uint64_t)r.seq > s->o.until))
		return;		/* printed already, or fetched by replay when its turn comes */
	sl = slot_of(s, (uint64_t)r.seq);
	if (sl->used)
		return;
	sl->payload = malloc(plen + 1);
	if (!sl->payload)
		return;		/* replay brings it again */
	memcpy(sl->payload, payload, plen);
	sl->payload[plen] = '\0';
	memcpy(sl->topic, topic, tlen);
	sl->topic[tlen] = '\0';
	sl->used = true;
	sl->replayed = replayed;
	s->held++;
	drain(s);
}

static void ask(struct sub *s, int64_t now)
{
	uint64_t max = RING_SLOTS;

	if (s->o.has_until && s->o.until - s->next + 1 < max)
		max = s->o.until - s->next + 1;
	if (bc_ask_replay(s->dealer, s->next, max, ZMQ_DONTWAIT) < 0)
		return;		/* not connected yet: the next round tries again */
	s->pending = true;
	s->asked_ms = now;
	s->news_ms = now;
	s->requests++;
}

/* Ask at start, on a gap, after a quiet spell, or when an answer was lost. */
void sub_maybe_ask(struct sub *s, int64_t now, bool first)
{
	if (s->pending && now - s->asked_ms >= ANSWER_MS)
		s->pending = false;
	if (s->pending || !s->started || sub_done(s))
		return;
	if (first || s->held || s->top >= s->next || now - s->news_ms >= IDLE_MS)
		ask(s, now);
}

/* Returns 0, or -1 when the replay socket refuses our requests. */
static int on_replay(struct sub *s, struct bc_frames *f)
{
	uint64_t seq;

	if (f->total == 2 && bc_frame_is(f, 0, "END") && bc_frame_seq(f, 1, &seq)) {
		s->pending = false;
		if (s->started)
			skip_to(s, seq, false);
		return 0;
	}
	if (f->total == 2 && bc_frame_is(f, 0, "ERROR")) {
		if (!bc_frame_seq(f, 1, &seq) || (s->started && seq <= s->next)) {
			/* "bad request", or an oldest seq that does not explain the refusal */
			sub_status_clear(s);
			fprintf(stderr, "txgw-sub: the replay socket answered ERROR '%.*s'\n",
				(int)(bc_fsize(f, 1) > 200 ? 200 : bc_fsize(f, 1)), bc_fdata(f, 1));
			return -1;
		}
		s->pending = false;
		if (s->started)
			skip_to(s, seq, true);
		return 0;
	}
	if (f->total == 2)
		take(s, bc_fdata(f, 0), bc_fsize(f, 0), bc_fdata(f, 1), bc_fsize(f, 1), true);
	else
		warn_malformed(s, "replayed", "not two frames");
	return 0;
}

static void on_live(struct sub *s, struct bc_frames *f)
{
	if (f->total == 2)
		take(s, bc_fdata(f, 0), bc_fsize(f, 0), bc_fdata(f, 1), bc_fsize(f, 1), false);
	else
		warn_malformed(s, "live", "not two frames");
}

/* Read everything queued on both sockets.  Returns 0 or -1 (failure). */
int sub_read_sockets(struct sub *s, int64_t now)
{
	struct bc_frames f;
	int rc;

	while (!sub_done(s) && (rc = bc_frames_recv(s->sub, &f)) != 0) {
		if (rc < 0)
			return -1;
		on_live(s, &f);
		bc_frames_close(&f);
		s->news_ms = now;
	}
	while (!sub_done(s) && (rc = bc_frames_recv(s->dealer, &f)) != 0) {
		if (rc < 0)
			return -1;
		rc = on_replay(s, &f);
		bc_frames_close(&f);
		s->news_ms = now;
		if (rc < 0)
			return -1;
	}
	return 0;
}
