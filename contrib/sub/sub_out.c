/*
 * sub_out.c — what txgw-sub writes: a payload's keys for the table, the
 * table or JSON lines, the terminal's status line, the gaps and the
 * summary at exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "contrib/sub/sub.h"

/* Copy a decoded string for a terminal: printable ASCII only, cut to fit. */
static void copy_shown(char *dst, size_t cap, const struct sj_val *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->s_len && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)v->s[i];
		dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[n] = '\0';
}

static void row_member(void *data, const char *key, const struct sj_val *v)
{
	static const struct {
		const char *key;
		size_t off, cap;
	} strs[] = {
#define S(k) { #k, offsetof(struct row, k), sizeof(((struct row *)0)->k) }
		S(time), S(rx), S(device), S(kind), S(reason), S(type), S(currency),
#undef S
	};
	struct row *r = data;

	if (v->type == SJ_STR) {
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (!strcmp(key, strs[i].key))
				copy_shown((char *)r + strs[i].off, strs[i].cap, v);
	} else if (v->type == SJ_INT) {
		if (!strcmp(key, "seq"))
			r->has_seq = true, r->seq = v->i;
		else if (!strcmp(key, "counter"))
			r->has_counter = true, r->counter = v->i;
		else if (!strcmp(key, "amount"))
			r->has_amount = true, r->amount = v->i;
		else if (!strcmp(key, "balance"))
			r->has_balance = true, r->balance = v->i;
	} else if (v->type == SJ_BOOL && !strcmp(key, "late")) {
		r->late = v->b;
	}
}

/* A payload as bus.md makes it: one line, one JSON object, a seq >= 1. */
int sub_row_parse(const char *payload, size_t len, struct row *r)
{
	memset(r, 0, sizeof(*r));
	if (memchr(payload, '\n', len) || memchr(payload, '\r', len))
		return -EINVAL;
	int rc = sj_object(payload, len, row_member, r);
	if (rc < 0)
		return rc;
	return r->has_seq && r->seq >= 1 ? 0 : -EINVAL;
}

/* A topic we can print without escaping: 1..TOPIC_MAX printable ASCII,
 * no quote or backslash. */
bool sub_topic_ok(const char *t, size_t len)
{
	if (!len || len > TOPIC_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (t[i] <= 0x20 || t[i] >= 0x7f || t[i] == '"' || t[i] == '\\')
			return false;
	return true;
}

/* ---- the summary ------------------------------------------------------------- */

static void tally_add(struct tally *t, const char *name)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!strcmp(t->t[i].name, name)) {
			t->t[i].count++;
			return;
		}
	if (t->n == TALLY_MAX || !*name || strlen(name) >= sizeof(t->t[0].name)) {
		t->other++;
		return;
	}
	snprintf(t->t[t->n].name, sizeof(t->t[0].name), "%s", name);
	t->t[t->n++].count = 1;
}

static void tally_print(FILE *out, const char *what, const struct tally *t)
{
	fprintf(out, "%s", what);
	if (!t->n && !t->other)
		fprintf(out, " none");
	for (unsigned i = 0; i < t->n; i++)
		fprintf(out, "%s %s %" PRIu64, i ? "," : "", t->t[i].name, t->t[i].count);
	if (t->other)
		fprintf(out, "%s other %" PRIu64, t->n ? "," : "", t->other);
}

/* Take the terminal's status line away before anything else is written. */
void sub_status_clear(struct sub *s)
{
	if (s->status_on) {
		fputs("\r\033[K", stdout);
		fflush(stdout);
		s->status_on = false;
	}
}

void sub_summary(struct sub *s)
{
	FILE *out = s->o.mode == OUT_JSON ? stderr : stdout;

	sub_status_clear(s);
	fprintf(out, "txgw-sub: %" PRIu64 " messages", s->shown);
	tally_print(out, "; topics:", &s->topics);
	tally_print(out, "; alerts:", &s->kinds);
	tally_print(out, "; rejects:", &s->reasons);
	fprintf(out, "; %" PRIu64 " replayed; unfilled gaps:", s->replayed);
	if (!s->gap_seqs)
		fprintf(out, " none");
	for (unsigned i = 0; i < s->n_gaps; i++)
		fprintf(out, "%s %" PRIu64 "..%" PRIu64 "%s", i ? "," : "", s->gaps[i].from,
			s->gaps[i].to, s->gaps[i].expired ? " (no longer kept)" : "");
	if (s->gap_seqs)
		fprintf(out, " (%" PRIu64 " seqs)", s->gap_seqs);
	if (s->malformed)
		fprintf(out, "; %" PRIu64 " malformed", s->malformed);
	fprintf(out, "\n");
	fflush(out);
}

void sub_note_gap(struct sub *s, uint64_t from, uint64_t to, bool expired)
{
	sub_status_clear(s);
	fprintf(stderr, "txgw-sub: seqs %" PRIu64 "..%" PRIu64 " %s\n", from, to,
		expired ? "are no longer kept" : "could not be filled by replay");
	s->gap_seqs += to - from + 1;
	if (s->n_gaps < GAPS_SHOWN)
		s->gaps[s->n_gaps++] = (struct gap){ from, to, expired };
}

/* ---- output ------------------------------------------------------------------ */

void sub_table_header(void)
{
	printf("%8s  %-24s  %-6s  %-16s  %-20s  %-12s  %16s  %12s  %s\n", "SEQ", "TIME", "TOPIC",
	       "DEVICE", "COUNTER/KIND/REASON", "TYPE", "AMOUNT CUR", "BALANCE", "FLAGS");
}

static void table_row(const char *topic, const struct row *r)
{
	char what[24], amount[40] = "", balance[24] = "", line[256];
	const char *shown = strncmp(topic, TOPIC_PREFIX, strlen(TOPIC_PREFIX)) ? topic :
			    topic + strlen(TOPIC_PREFIX);

	if (r->kind[0])
		snprintf(what, sizeof(what), "%s", r->kind);
	else if (r->reason[0])
		snprintf(what, sizeof(what), "%s", r->reason);
	else if (r->has_counter)
		snprintf(what, sizeof(what), "%" PRId64, r->counter);
	else
		what[0] = '\0';
	if (r->has_amount)
		snprintf(amount, sizeof(amount), "%" PRId64 " %-3s", r->amount, r->currency);
	if (r->has_balance)
		snprintf(balance, sizeof(balance), "%" PRId64, r->balance);
	int n = snprintf(line, sizeof(line), "%8" PRId64 "  %-24s  %-6.6s  %-16s  %-20s  %-12s  %16s  %12s  %s",
			 r->seq, r->time[0] ? r->time : r->rx, shown, r->device, what, r->type, amount,
			 balance, r->late ? "late" : "");
	while (n > 0 && line[n - 1] == ' ')
		n--;
	printf("%.*s\n", n, line);
}

static bool topic_selected(const struct opts *o, const char *topic)
{
	if (!o->n_topics)
		return true;
	for (unsigned i = 0; i < o->n_topics; i++)
		if (!strcmp(o->topics[i], topic))
			return true;
	return false;
}

/* Print the message of the next seq (its payload was checked on arrival). */
void sub_emit(struct sub *s, const struct slot *sl)
{
	struct row r;

	if (!topic_selected(&s->o, sl->topic))
		return;
	sub_row_parse(sl->payload, strlen(sl->payload), &r);
	sub_status_clear(s);
	if (s->o.mode == OUT_JSON)
		printf("{\"topic\":\"%s\",\"payload\":%s}\n", sl->topic, sl->payload);
	else
		table_row(sl->topic, &r);
	s->printed = true;
	s->shown++;
	if (sl->replayed)
		s->replayed++;
	tally_add(&s->topics, sl->topic);
	if (r.kind[0])
		tally_add(&s->kinds, r.kind);
	if (r.reason[0])
		tally_add(&s->reasons, r.reason);
}

void sub_status_show(struct sub *s)
{
	if (!s->tty || s->o.mode != OUT_TABLE)
		return;
	printf("\r\033[K-- %" PRIu64 " shown, %" PRIu64 " replayed; ", s->shown, s->replayed);
	if (s->started)
		printf("waiting for seq %" PRIu64 "%s", s->next, s->held ? " (later ones held)" : "");
	else
		printf("waiting for the first live message");
	s->status_on = true;
	s->printed = true;
}
