/*
 * test_concat_limits.c — reassembly's budgets and its journal side
 * (gateway/sms/concat.c): one sender's flood evicts only its own messages,
 * the sender holding the most goes first at the global limit, byte
 * budgets; concat_prepare() then concat_add(), as the engine journals;
 * a rebuild with concat_restore()/concat_remove() gives the live state
 * back, and concat_rebase() ages it by the wall clock within its bounds.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>

#include "gateway/sms/charset.h"
#include "gateway/sms/concat.h"

static struct concat_key key(const char *src, enum concat_ref_kind kind, uint16_t ref,
			     uint8_t total)
{
	struct concat_key k;

	assert_int_equal(concat_key_set(&k, 1, src, "+886900000001", kind, ref, total), 0);
	return k;
}

/* Counts drops by reason, and keeps the last one's description. */
struct drop_log {
	unsigned n[5];
	char last_src[CONCAT_ADDR_MAX + 1];
	int64_t last_rx;
	unsigned last_parts;
	char last_data[64];
};

static void on_drop_log(void *data, enum concat_drop_reason why, const struct concat_partial *p)
{
	struct drop_log *d = data;
	size_t off = 0;

	d->n[why]++;
	strcpy(d->last_src, p->key->src);
	d->last_rx = p->first_rx_ms;
	d->last_parts = p->n_parts;
	for (unsigned i = 0; i < p->n_parts; i++) {
		assert_true(off + p->lens[i] < sizeof(d->last_data));
		memcpy(d->last_data + off, p->data[i], p->lens[i]);
		off += p->lens[i];
	}
	d->last_data[off] = 0;
}

static int add_rx(struct concat *c, const struct concat_key *k, uint8_t seq, const char *text,
		  uint64_t now, int64_t rx, struct concat_msg **done)
{
	struct concat_part p = { .seq = seq, .coding = CHARSET_8BIT, .data = (const uint8_t *)text,
				 .len = strlen(text), .cookie = now, .rx_ms = rx };
	return concat_add(c, k, &p, now, NULL, done);
}

/*
 * The audit's flood: a legitimate sender's part 1 of 2 is acknowledged,
 * then another sender opens 10,000 one-part messages.  Before per-sender
 * budgets, the flood (over the global limit of 1000) evicted the
 * legitimate partial; now the flooder evicts only its own, oldest first,
 * and the legitimate message completes.
 */
static void test_flood_one_sender(void **state)
{
	struct drop_log d = { 0 };
	struct concat_cfg cfg = { .timeout_s = 600, .max_partial = 1000, .max_bytes = 1 << 20,
				  .max_per_sender = 16, .hash_seed = 7 };
	struct concat *c = concat_new(NULL, &cfg, on_drop_log, &d);
	struct concat_key legit = key("886912345678", CONCAT_REF16, 42, 2), k;
	struct concat_msg *m;

	assert_int_equal(add_rx(c, &legit, 1, "legit-1", 1, 1001, &m), CONCAT_STORED);
	for (unsigned i = 0; i < 10000; i++) {
		k = key("886955500001", CONCAT_REF16, (uint16_t)i, 2);
		assert_int_equal(add_rx(c, &k, 1, "flood", 2 + i, 2002 + i, &m), CONCAT_STORED);
		assert_true(concat_get_stats(c)->partial_now <= 17);
	}
	assert_int_equal(d.n[CONCAT_EVICTED_SENDER], 10000 - 16);
	assert_int_equal(d.n[CONCAT_EVICTED] + d.n[CONCAT_EXPIRED], 0);
	assert_string_equal(d.last_src, "886955500001");
	assert_int_equal(d.last_rx, 2002 + 10000 - 17);	/* the oldest of its 16 */
	assert_int_equal(concat_get_stats(c)->senders_now, 2);
	assert_int_equal(add_rx(c, &legit, 2, "+legit-2", 20000, 30000, &m), CONCAT_COMPLETE);
	assert_memory_equal(m->data, "legit-1+legit-2", 15);
	talloc_free(m);
	concat_free(c);
}

/*
 * Many senders at the global limit: the sender holding the most loses its
 * oldest; one holding a single message keeps it.  (Senders that all hold
 * one, as when a flood comes from ever new addresses, lose theirs in the
 * order they got it: that limit is only the global one.)
 */
static void test_flood_global(void **state)
{
	struct drop_log d = { 0 };
	struct concat_cfg cfg = { .timeout_s = 600, .max_partial = 100, .max_bytes = 1 << 20,
				  .max_per_sender = 4, .hash_seed = 7 };
	struct concat *c = concat_new(NULL, &cfg, on_drop_log, &d);
	struct concat_key legit = key("886912345678", CONCAT_REF8, 1, 3), k;
	struct concat_msg *m;
	char src[16];

	assert_int_equal(add_rx(c, &legit, 2, "b", 0, 0, &m), CONCAT_STORED);
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "+9%05u", i % 30);	/* 30 x 4 > 100 */
		k = key(src, CONCAT_REF16, (uint16_t)i, 2);
		assert_int_equal(add_rx(c, &k, 1, "f", 1 + i, 1 + i, &m), CONCAT_STORED);
		assert_true(concat_get_stats(c)->partial_now <= 100);
	}
	assert_true(d.n[CONCAT_EVICTED] > 0);
	assert_int_equal(add_rx(c, &legit, 1, "a", 6000, 6000, &m), CONCAT_STORED);
	assert_int_equal(add_rx(c, &legit, 3, "c", 6001, 6001, &m), CONCAT_COMPLETE);
	assert_memory_equal(m->data, "abc", 3);
	talloc_free(m);
	concat_free(c);
}

/* A sender's byte budget: its own oldest go first; a part larger than
 * the budget alone is refused. */
static void test_sender_bytes(void **state)
{
	struct drop_log d = { 0 };
	struct concat_cfg cfg = { .timeout_s = 600, .max_partial = 100, .max_bytes = 100,
				  .max_bytes_per_sender = 10, .hash_seed = 7 };
	struct concat *c = concat_new(NULL, &cfg, on_drop_log, &d);
	struct concat_key a = key("+a", CONCAT_REF8, 1, 3), b = key("+b", CONCAT_REF8, 1, 3);
	struct concat_key a2 = key("+a", CONCAT_REF8, 2, 3);
	struct concat_msg *m;
	struct concat_part big = { .seq = 2, .data = (const uint8_t *)"0123456789x", .len = 11 };

	assert_int_equal(add_rx(c, &b, 1, "bbbbbbbb", 0, 0, &m), CONCAT_STORED);
	assert_int_equal(add_rx(c, &a, 1, "aaaaaa", 1, 10, &m), CONCAT_STORED);
	assert_int_equal(add_rx(c, &a2, 1, "AAAAA", 2, 20, &m), CONCAT_STORED);
	assert_int_equal(d.n[CONCAT_EVICTED_SENDER_BYTES], 1);
	assert_string_equal(d.last_src, "+a");
	assert_string_equal(d.last_data, "aaaaaa");
	assert_int_equal(concat_prepare(c, &b, &big, 3), -ENOSPC);
	assert_int_equal(concat_get_stats(c)->partial_now, 2);
	concat_free(c);
}

/*
 * prepare then add, as the engine does: prepare drops, says whether the
 * part is kept; add then drops nothing more.
 */
static void test_prepare(void **state)
{
	struct drop_log d = { 0 };
	struct concat_cfg cfg = { .timeout_s = 10, .max_partial = 2, .max_bytes = 100,
				  .hash_seed = 7 };
	struct concat *c = concat_new(NULL, &cfg, on_drop_log, &d);
	struct concat_key k1 = key("+1", CONCAT_REF8, 1, 2), k2 = key("+2", CONCAT_REF8, 1, 2);
	struct concat_key k3 = key("+3", CONCAT_REF8, 1, 2);
	struct concat_part p = { .seq = 1, .data = (const uint8_t *)"x", .len = 1, .rx_ms = 5 };
	struct concat_msg *m;

	assert_int_equal(concat_prepare(c, &k1, &p, 0), 0);
	assert_int_equal(concat_add(c, &k1, &p, 0, NULL, &m), CONCAT_STORED);
	assert_int_equal(concat_prepare(c, &k1, &p, 0), CONCAT_DUPLICATE);
	p.data = (const uint8_t *)"y";
	assert_int_equal(concat_prepare(c, &k1, &p, 0), CONCAT_CONFLICT);
	assert_int_equal(concat_add(c, &k2, &p, 1, NULL, &m), CONCAT_STORED);
	/* k3 needs room: prepare evicts +1's, add evicts nothing more */
	assert_int_equal(concat_prepare(c, &k3, &p, 2), 0);
	assert_int_equal(d.n[CONCAT_EVICTED], 1);
	assert_string_equal(d.last_src, "+1");
	assert_int_equal(d.last_rx, 5);
	assert_int_equal(concat_add(c, &k3, &p, 2, NULL, &m), CONCAT_STORED);
	assert_int_equal(d.n[CONCAT_EVICTED], 1);
	/* the part completing k2 needs no room */
	p.seq = 2;
	assert_int_equal(concat_prepare(c, &k2, &p, 3), 0);
	assert_false(concat_due(c, 10000));	/* k2 came at 1 ms, the timeout is 10 s */
	assert_true(concat_due(c, 10001));
	assert_int_equal(concat_trim(c, 10002), 2);
	assert_int_equal(d.n[CONCAT_EXPIRED], 2);
	concat_free(c);
}

/* What a journal holds: the parts kept and the drops, in order. */
struct jlog {
	unsigned n;
	struct {
		bool drop;
		struct concat_key key;
		struct concat_part p;
	} e[256];
};

static void on_drop_journal(void *data, enum concat_drop_reason why, const struct concat_partial *p)
{
	struct jlog *j = data;
	assert_true(j->n < 256);
	j->e[j->n].drop = true;
	j->e[j->n++].key = *p->key;
}

static void walk_parts(void *data, const struct concat_partial *p)
{
	char *s = data;
	size_t n = strlen(s);

	n += (size_t)snprintf(s + n, 4096 - n, "%s/%u@%" PRId64 ":", p->key->src, p->key->ref,
			      p->first_rx_ms);
	for (unsigned i = 0; i < p->n_parts; i++)
		n += (size_t)snprintf(s + n, 4096 - n, "%u=%" PRIu64 ",", p->seqs[i], p->cookies[i]);
	snprintf(s + n, 4096 - n, ";");
}

/*
 * A live run journaling as the engine does (drops from prepare, then the
 * part), and a rebuild from that journal with concat_restore() and
 * concat_remove(): the same messages with the same parts; then
 * concat_rebase() ages them by the wall clock, and concat_trim() applies
 * smaller limits.
 */
static void test_restore(void **state)
{
	static struct jlog j;
	struct concat_cfg cfg = { .timeout_s = 10, .max_partial = 4, .max_bytes = 100,
				  .max_per_sender = 2, .hash_seed = 7 };
	struct concat *c = concat_new(NULL, &cfg, on_drop_journal, &j);
	char walk[2][4096] = { "", "" };
	struct concat_msg *m;
	uint64_t now = 1000000;	/* the monotonic clock: any origin */

	memset(&j, 0, sizeof(j));
	for (unsigned i = 0; i < 60; i++) {
		char src[8];
		snprintf(src, sizeof(src), "+%u", i % 3);
		struct concat_key k = key(src, CONCAT_REF8, (uint8_t)(i % 7), 2);
		struct concat_part p = { .seq = (uint8_t)(1 + i % 2), .data = (const uint8_t *)"ab",
					 .len = 2, .cookie = i, .rx_ms = 1700000000000 + i * 700 };
		now += 700;
		if (concat_prepare(c, &k, &p, now) != 0)
			continue;
		j.e[j.n].key = k;
		j.e[j.n++].p = p;
		assert_true(concat_add(c, &k, &p, now, NULL, &m) >= 0);
		talloc_free(m);
	}
	concat_walk(c, walk_parts, walk[0]);
	concat_free(c);

	c = concat_new(NULL, &cfg, on_drop_journal, NULL);
	for (unsigned i = 0; i < j.n; i++) {
		if (j.e[i].drop)
			assert_int_equal(concat_remove(c, &j.e[i].key), 0);
		else
			assert_true(concat_restore(c, &j.e[i].key, &j.e[i].p) >= 0);
	}
	concat_walk(c, walk_parts, walk[1]);
	assert_true(strlen(walk[0]) > 0);
	assert_string_equal(walk[0], walk[1]);
	concat_free(c);
}

/* concat_rebase(): ages from the wall clock, bounded both ways. */
static void test_rebase(void **state)
{
	struct drop_log d = { 0 };
	struct concat_cfg cfg = { .timeout_s = 600, .max_partial = 10, .max_bytes = 100,
				  .max_per_sender = 1, .hash_seed = 7 };
	struct concat *c = concat_new(NULL, &cfg, on_drop_log, &d);
	const int64_t wall = 1800000000000;
	const uint64_t now = 5000000;
	/* in journal order; +old's first is over its budget of 1 */
	static const struct { const char *src; int64_t rx; uint64_t left; } r[] = {
		{ "+old", wall - 3600000, 0 },		/* evicted by concat_trim() */
		{ "+old", wall - 3000000, 60000 },	/* expired by the wall clock: 60 s */
		{ "+mid", wall - 100000, 500000 },	/* 100 s old: 500 s left */
		{ "+new", wall + 3600000, 600000 },	/* from the future: all 600 s */
		{ "+back", wall - 10000, 600000 },	/* never older than +new before it */
	};

	for (unsigned i = 0; i < 5; i++) {
		struct concat_key k = key(r[i].src, CONCAT_REF8, (uint8_t)i, 2);
		char data[2] = { (char)('0' + i), 0 };
		struct concat_part p = { .seq = 1, .data = (const uint8_t *)data, .len = 1,
					 .rx_ms = r[i].rx };
		assert_int_equal(concat_restore(c, &k, &p), CONCAT_STORED);
	}
	concat_rebase(c, now, wall, 60000);
	assert_true(concat_due(c, now));
	assert_int_equal(concat_trim(c, now), 1);
	assert_int_equal(d.n[CONCAT_EVICTED_SENDER], 1);
	assert_string_equal(d.last_data, "0");
	assert_false(concat_due(c, now));
	for (unsigned i = 1; i < 5; i++) {
		d.n[CONCAT_EXPIRED] = 0;
		concat_expire(c, now + r[i].left - 1);
		assert_int_equal(d.n[CONCAT_EXPIRED], 0);
		concat_expire(c, now + r[i].left);
		assert_int_equal(d.n[CONCAT_EXPIRED], i == 3 ? 2 : 1);	/* +new and +back */
		if (i == 3)
			break;
	}
	assert_int_equal(concat_get_stats(c)->partial_now, 0);
	concat_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_one_sender),
		cmocka_unit_test(test_flood_global),
		cmocka_unit_test(test_sender_bytes),
		cmocka_unit_test(test_prepare),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_rebase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
