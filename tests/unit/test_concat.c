/*
 * test_concat.c — reassembly of concatenated SMS (gateway/sms/concat.c):
 * order, interleaving, duplicates, conflicts, expiry on a fake clock,
 * eviction by count and bytes, reference kinds, replay, the vectors, and a
 * seeded random run against a simple reference model.
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
#include <time.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <talloc.h>

#include "gateway/sms/charset.h"
#include "gateway/sms/concat.h"
#include "gateway/sms/tpdu.h"
#include "gateway/sms/udh.h"
#include "tests/unit/text_vec.h"

/* What the drop callback heard. */
struct drops {
	unsigned n;
	enum concat_drop_reason why[64];
	struct concat_key key[64];
	unsigned n_parts[64];
	uint64_t cookies[64][8];
};

static void on_drop(void *data, enum concat_drop_reason why, const struct concat_partial *p)
{
	struct drops *d = data;

	assert_true(d->n < 64);
	d->why[d->n] = why;
	d->key[d->n] = *p->key;
	d->n_parts[d->n] = p->n_parts;
	for (unsigned i = 0; i < p->n_parts && i < 8; i++)
		d->cookies[d->n][i] = p->cookies[i];
	d->n++;
}

static struct concat *mk(void *ctx, size_t max_partial, size_t max_bytes, struct drops *d)
{
	struct concat_cfg cfg = {
		.timeout_s = 600, .max_partial = max_partial, .max_bytes = max_bytes,
		.hash_seed = 0x1234,
	};
	struct concat *c = concat_new(ctx, &cfg, d ? on_drop : NULL, d);

	assert_non_null(c);
	return c;
}

static struct concat_key key(const char *src, enum concat_ref_kind kind, uint16_t ref,
			     uint8_t total)
{
	struct concat_key k;

	assert_int_equal(concat_key_set(&k, 1, src, "+886900000001", kind, ref, total), 0);
	return k;
}

/* Add seq with payload text and cookie; returns the result. */
static int add(struct concat *c, const struct concat_key *k, uint8_t seq, const char *text,
	       uint64_t cookie, uint64_t now, struct concat_msg **done)
{
	struct concat_part p = {
		.seq = seq, .coding = CHARSET_8BIT, .data = (const uint8_t *)text,
		.len = strlen(text), .cookie = cookie,
	};
	return concat_add(c, k, &p, now, NULL, done);
}

static void test_two_parts_any_order(void **state)
{
	struct concat *c = mk(NULL, 100, 10000, NULL);
	struct concat_key k = key("+886900000000", CONCAT_REF8, 0x5A, 2);
	struct concat_msg *m;

	assert_int_equal(add(c, &k, 2, "World", 20, 0, &m), CONCAT_STORED);
	assert_null(m);
	assert_int_equal(concat_get_stats(c)->partial_now, 1);
	assert_int_equal(concat_get_stats(c)->bytes_now, 5);
	assert_int_equal(add(c, &k, 1, "Hello ", 10, 1, &m), CONCAT_COMPLETE);
	assert_non_null(m);
	assert_int_equal(m->len, 11);
	assert_memory_equal(m->data, "Hello World", 11);
	assert_int_equal(m->n_cookies, 2);
	assert_int_equal(m->cookies[0], 10);
	assert_int_equal(m->cookies[1], 20);
	assert_int_equal(m->first_ms, 0);
	assert_int_equal(m->key.ref, 0x5A);
	assert_string_equal(m->key.src, "+886900000000");
	assert_false(m->mixed);
	talloc_free(m);
	assert_int_equal(concat_get_stats(c)->partial_now, 0);
	assert_int_equal(concat_get_stats(c)->bytes_now, 0);
	assert_int_equal(concat_get_stats(c)->completed, 1);
	assert_int_equal(concat_get_stats(c)->parts, 2);
	concat_free(c);
}

/* Every one of the 120 orders of a five-part message gives the same text. */
static void test_all_orders(void **state)
{
	static const char *const piece[5] = { "a", "bb", "", "dddd", "e" };
	struct concat *c = mk(NULL, 10, 1000, NULL);
	struct concat_key k = key("1", CONCAT_REF16, 0xBEEF, 5);
	unsigned perm[5] = { 0, 1, 2, 3, 4 }, count = 0;

	for (;;) {
		struct concat_msg *m = NULL;

		/* one reference per order: the same message again within the
		 * timeout would be a duplicate (see test_duplicates_conflicts) */
		k = key("1", CONCAT_REF16, (uint16_t)(0xBEEF + count), 5);
		for (unsigned i = 0; i < 5; i++) {
			int rc = add(c, &k, (uint8_t)(perm[i] + 1), piece[perm[i]], perm[i], 0, &m);
			assert_int_equal(rc, i == 4 ? CONCAT_COMPLETE : CONCAT_STORED);
		}
		assert_int_equal(m->len, 8);
		assert_memory_equal(m->data, "abbdddde", 8);
		for (unsigned i = 0; i < 5; i++)
			assert_int_equal(m->cookies[i], i);
		talloc_free(m);
		count++;
		/* Next permutation (lexicographic). */
		int i = 3, j = 4;
		while (i >= 0 && perm[i] > perm[i + 1])
			i--;
		if (i < 0)
			break;
		while (perm[j] < perm[i])
			j--;
		unsigned t = perm[i]; perm[i] = perm[j]; perm[j] = t;
		for (int a = i + 1, b = 4; a < b; a++, b--) {
			t = perm[a]; perm[a] = perm[b]; perm[b] = t;
		}
	}
	assert_int_equal(count, 120);
	assert_int_equal(concat_get_stats(c)->completed, 120);
	concat_free(c);
}

/* Three senders using the same reference, interleaved. */
static void test_interleaved_senders(void **state)
{
	static const char *const who[3] = { "+111", "+222", "+333" };
	struct concat *c = mk(NULL, 10, 1000, NULL);
	struct concat_key k[3];
	struct concat_msg *m;
	char text[3][16];

	for (unsigned s = 0; s < 3; s++)
		k[s] = key(who[s], CONCAT_REF8, 7, 3);
	for (unsigned seq = 1; seq <= 3; seq++) {
		for (unsigned s = 0; s < 3; s++) {
			char t[2] = { (char)('A' + s), 0 };
			int rc = add(c, &k[s], (uint8_t)(seq == 1 ? 3 : seq - 1), t, s * 10 + seq,
				     seq, &m);
			if (seq < 3) {
				assert_int_equal(rc, CONCAT_STORED);
				continue;
			}
			assert_int_equal(rc, CONCAT_COMPLETE);
			assert_string_equal(m->key.src, who[s]);
			memcpy(text[s], m->data, m->len);
			text[s][m->len] = 0;
			talloc_free(m);
		}
		assert_int_equal(concat_get_stats(c)->partial_now, seq < 3 ? 3 : 0);
	}
	assert_string_equal(text[0], "AAA");
	assert_string_equal(text[1], "BBB");
	assert_string_equal(text[2], "CCC");
	concat_free(c);
}

static void test_duplicates_conflicts(void **state)
{
	struct concat *c = mk(NULL, 10, 1000, NULL);
	struct concat_key k = key("+1", CONCAT_REF8, 1, 2);
	const struct concat_stats *st = concat_get_stats(c);
	struct concat_msg *m;

	assert_int_equal(add(c, &k, 1, "first", 1, 0, &m), CONCAT_STORED);
	assert_int_equal(add(c, &k, 1, "first", 2, 1, &m), CONCAT_DUPLICATE);
	assert_null(m);
	assert_int_equal(add(c, &k, 1, "other", 3, 2, &m), CONCAT_CONFLICT);
	assert_int_equal(add(c, &k, 1, "firs", 4, 2, &m), CONCAT_CONFLICT);
	assert_int_equal(st->bytes_now, 5);
	assert_int_equal(st->duplicates, 3);
	assert_int_equal(st->conflicts, 2);
	assert_int_equal(add(c, &k, 2, "!", 5, 3, &m), CONCAT_COMPLETE);
	assert_memory_equal(m->data, "first!", 6);
	assert_int_equal(m->cookies[0], 1);	/* the first copy was kept */
	talloc_free(m);
	assert_int_equal(st->parts, 5);
	/* A late repeat of a part after completion (an SMSC re-sending what it
	 * got no answer for) is a duplicate, not a new partial message ... */
	assert_int_equal(add(c, &k, 2, "!", 6, 4, &m), CONCAT_DUPLICATE);
	assert_int_equal(add(c, &k, 1, "first", 7, 4, &m), CONCAT_DUPLICATE);
	assert_int_equal(st->partial_now, 0);
	/* ... while other bytes under the same key are a new message reusing
	 * the reference */
	assert_int_equal(add(c, &k, 2, "?", 8, 4, &m), CONCAT_STORED);
	assert_int_equal(add(c, &k, 1, "second", 9, 4, &m), CONCAT_COMPLETE);
	assert_memory_equal(m->data, "second?", 7);
	talloc_free(m);
	/* after the timeout the memory of a completed message is gone */
	assert_int_equal(add(c, &k, 2, "?", 10, 4 + 601000, &m), CONCAT_STORED);
	concat_free(c);
}

static void test_invalid(void **state)
{
	struct concat *c = mk(NULL, 10, 100, NULL);
	struct concat_key k = key("+1", CONCAT_REF8, 1, 3);
	struct concat_msg *m;
	uint8_t big[101] = { 0 };
	struct concat_part p = { .seq = 1, .data = big, .len = sizeof(big) };

	assert_int_equal(add(c, &k, 0, "x", 0, 0, &m), -EINVAL);
	assert_int_equal(add(c, &k, 4, "x", 0, 0, &m), -EINVAL);
	for (unsigned total = 0; total < 2; total++) {
		struct concat_key k1 = key("+1", CONCAT_REF8, 1, (uint8_t)total);
		assert_int_equal(add(c, &k1, 1, "x", 0, 0, &m), -EINVAL);
	}
	assert_int_equal(concat_add(c, &k, &p, 0, NULL, &m), -ENOSPC);
	p.len = CONCAT_PART_MAX + 1;
	assert_int_equal(concat_add(c, &k, &p, 0, NULL, &m), -EINVAL);
	p.data = NULL;
	p.len = 1;
	assert_int_equal(concat_add(c, &k, &p, 0, NULL, &m), -EINVAL);
	assert_null(m);

	struct concat_key bad;
	char longaddr[CONCAT_ADDR_MAX + 2];
	memset(longaddr, '1', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = 0;
	assert_int_equal(concat_key_set(&bad, 0, longaddr, "", CONCAT_REF8, 1, 2), -EINVAL);
	longaddr[CONCAT_ADDR_MAX] = 0;
	assert_int_equal(concat_key_set(&bad, 0, longaddr, "", CONCAT_REF8, 1, 2), 0);
	assert_int_equal(concat_key_set(&bad, 0, "", "", CONCAT_REF8, 256, 2), -EINVAL);
	assert_int_equal(concat_key_set(&bad, 0, "", "", CONCAT_REF16, 65535, 2), 0);
	assert_int_equal(concat_key_set(&bad, 0, "", "", 0, 1, 2), -EINVAL);
	/* A hand-made key without a NUL in src. */
	memset(bad.src, 'x', sizeof(bad.src));
	assert_int_equal(add(c, &bad, 1, "x", 0, 0, &m), -EINVAL);
	bad = k;
	bad.ref = 300;	/* 8-bit reference out of range */
	assert_int_equal(add(c, &bad, 1, "x", 0, 0, &m), -EINVAL);
	assert_int_equal(concat_get_stats(c)->parts, 0);
	assert_int_equal(concat_get_stats(c)->partial_now, 0);

	struct concat_cfg cfg = { .timeout_s = 0, .max_partial = 1, .max_bytes = 1 };
	assert_null(concat_new(NULL, &cfg, NULL, NULL));
	cfg.timeout_s = 1;
	cfg.max_bytes = 0;
	assert_null(concat_new(NULL, &cfg, NULL, NULL));
	concat_free(c);
}

/* The same number as an 8-bit, 16-bit or SAR reference: three messages. */
static void test_ref_kinds(void **state)
{
	struct concat *c = mk(NULL, 10, 1000, NULL);
	struct concat_key k8 = key("+1", CONCAT_REF8, 0x21, 2);
	struct concat_key k16 = key("+1", CONCAT_REF16, 0x21, 2);
	struct concat_key ksar = key("+1", CONCAT_REF_SAR, 0x21, 2);
	struct concat_key k3 = key("+1", CONCAT_REF8, 0x21, 3);	/* another total */
	struct concat_msg *m;

	assert_int_equal(add(c, &k8, 1, "8", 1, 0, &m), CONCAT_STORED);
	assert_int_equal(add(c, &k16, 1, "16", 2, 0, &m), CONCAT_STORED);
	assert_int_equal(add(c, &ksar, 1, "S", 3, 0, &m), CONCAT_STORED);
	assert_int_equal(add(c, &k3, 1, "3", 4, 0, &m), CONCAT_STORED);
	assert_int_equal(concat_get_stats(c)->partial_now, 4);
	assert_int_equal(add(c, &k16, 2, "b", 5, 0, &m), CONCAT_COMPLETE);
	assert_memory_equal(m->data, "16b", 3);
	assert_int_equal(m->key.ref_kind, CONCAT_REF16);
	talloc_free(m);
	assert_int_equal(add(c, &k8, 2, "a", 6, 0, &m), CONCAT_COMPLETE);
	assert_memory_equal(m->data, "8a", 2);
	talloc_free(m);
	concat_free(c);
}

static void test_mixed_coding(void **state)
{
	struct concat *c = mk(NULL, 10, 1000, NULL);
	struct concat_key k = key("+1", CONCAT_REF8, 9, 2);
	struct concat_part p2 = { .seq = 2, .coding = CHARSET_8BIT, .data = (const uint8_t *)"b", .len = 1 };
	struct concat_part p1 = { .seq = 1, .coding = CHARSET_UCS2, .data = (const uint8_t *)"a", .len = 1 };
	struct concat_msg *m;
	void *ctx = talloc_new(NULL);

	assert_int_equal(concat_add(c, &k, &p2, 0, ctx, &m), CONCAT_STORED);
	assert_int_equal(concat_add(c, &k, &p1, 0, ctx, &m), CONCAT_COMPLETE);
	assert_ptr_equal(talloc_parent(m), ctx);
	assert_int_equal(m->coding, CHARSET_UCS2);
	assert_true(m->mixed);
	talloc_free(ctx);
	concat_free(c);
}

static void test_expiry(void **state)
{
	struct drops d = { 0 };
	struct concat *c = mk(NULL, 10, 1000, &d);
	struct concat_key ka = key("+1", CONCAT_REF8, 1, 2), kb = key("+2", CONCAT_REF8, 1, 2);
	const struct concat_stats *st = concat_get_stats(c);
	struct concat_msg *m;

	assert_int_equal(add(c, &ka, 1, "a", 11, 1000, &m), CONCAT_STORED);
	assert_int_equal(add(c, &kb, 2, "b", 22, 5000, &m), CONCAT_STORED);
	/* The timeout runs from the first part's arrival: 600 s. */
	assert_int_equal(concat_expire(c, 1000 + 599999), 0);
	assert_int_equal(concat_expire(c, 1000 + 600000), 1);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.why[0], CONCAT_EXPIRED);
	assert_string_equal(d.key[0].src, "+1");
	assert_int_equal(d.n_parts[0], 1);
	assert_int_equal(d.cookies[0][0], 11);
	assert_int_equal(st->expired, 1);
	assert_int_equal(st->partial_now, 1);
	/* A clock going backwards expires nothing. */
	assert_int_equal(concat_expire(c, 0), 0);
	/* concat_add expires first: kb's second part comes too late. */
	assert_int_equal(add(c, &kb, 1, "x", 33, 5000 + 600000, &m), CONCAT_STORED);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.cookies[1][0], 22);
	assert_int_equal(st->expired, 2);
	assert_int_equal(st->partial_now, 1);
	assert_int_equal(st->bytes_now, 1);
	concat_free(c);
}

static void test_evict_by_count(void **state)
{
	struct drops d = { 0 };
	struct concat *c = mk(NULL, 3, 1000, &d);
	struct concat_key k[5];
	struct concat_msg *m;
	char src[8];

	for (unsigned i = 0; i < 5; i++) {
		snprintf(src, sizeof(src), "+%u", i);
		k[i] = key(src, CONCAT_REF8, 1, 3);
		assert_int_equal(add(c, &k[i], 1, "p", 100 + i, i, &m), CONCAT_STORED);
		assert_true(concat_get_stats(c)->partial_now <= 3);
	}
	/* The two oldest went, in order. */
	assert_int_equal(d.n, 2);
	assert_int_equal(d.why[0], CONCAT_EVICTED);
	assert_string_equal(d.key[0].src, "+0");
	assert_string_equal(d.key[1].src, "+1");
	assert_int_equal(d.cookies[1][0], 101);
	/* A part for a held message needs no new slot: no eviction. */
	assert_int_equal(add(c, &k[2], 2, "q", 200, 9, &m), CONCAT_STORED);
	assert_int_equal(d.n, 2);
	assert_int_equal(concat_get_stats(c)->evicted, 2);
	concat_free(c);
}

static void test_evict_by_bytes(void **state)
{
	struct drops d = { 0 };
	struct concat *c = mk(NULL, 100, 10, &d);
	struct concat_key ka = key("+a", CONCAT_REF8, 1, 3), kb = key("+b", CONCAT_REF8, 1, 4);
	const struct concat_stats *st = concat_get_stats(c);
	struct concat_msg *m;

	assert_int_equal(add(c, &ka, 1, "aaaa", 1, 0, &m), CONCAT_STORED);
	assert_int_equal(add(c, &kb, 1, "bbbb", 2, 1, &m), CONCAT_STORED);
	assert_int_equal(st->bytes_now, 8);
	/* 8 + 3 > 10: the oldest (ka) goes. */
	assert_int_equal(add(c, &kb, 2, "BBB", 3, 2, &m), CONCAT_STORED);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.key[0].src, "+a");
	assert_int_equal(st->bytes_now, 7);
	/* Now kb itself is the oldest and too big with 4 more: it goes too, and
	 * the new part starts kb afresh. */
	assert_int_equal(add(c, &kb, 3, "cccc", 4, 3, &m), CONCAT_STORED);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.key[1].src, "+b");
	assert_int_equal(d.n_parts[1], 2);
	assert_int_equal(d.cookies[1][0], 2);
	assert_int_equal(d.cookies[1][1], 3);
	assert_int_equal(st->bytes_now, 4);
	assert_int_equal(st->partial_now, 1);
	assert_int_equal(st->evicted, 2);
	assert_int_equal(add(c, &kb, 1, "12", 5, 4, &m), CONCAT_STORED);
	assert_int_equal(add(c, &kb, 2, "34", 6, 5, &m), CONCAT_STORED);
	assert_int_equal(st->bytes_now, 8);
	/* A completing part is not stored, so it needs no room: 8 + 11 > 10
	 * evicts nothing, and even a part above max_bytes is taken. */
	assert_int_equal(add(c, &kb, 4, "56789abcdef", 7, 6, &m), CONCAT_COMPLETE);
	assert_int_equal(m->len, 19);
	assert_memory_equal(m->data, "1234cccc56789abcdef", 19);
	assert_int_equal(m->cookies[2], 4);
	talloc_free(m);
	assert_int_equal(d.n, 2);
	assert_int_equal(st->bytes_now, 0);
	assert_int_equal(st->partial_now, 0);
	concat_free(c);
}

/* Walk output as text, for comparing two states. */
static void walk_print(void *data, const struct concat_partial *p)
{
	char *s = data;
	size_t n = strlen(s);

	n += (size_t)snprintf(s + n, 4096 - n, "%s/%u/%u@%" PRIu64 ":", p->key->src, p->key->ref,
			      p->key->total, p->first_ms);
	for (unsigned i = 0; i < p->n_parts; i++)
		n += (size_t)snprintf(s + n, 4096 - n, "%u=%" PRIu64 ",", p->seqs[i], p->cookies[i]);
	snprintf(s + n, 4096 - n, ";");
}

/* Replaying the journaled parts with their times rebuilds the same state. */
static void test_replay(void **state)
{
	struct { const char *src; uint8_t seq; uint64_t now; } j[] = {
		{ "+1", 1, 0 }, { "+2", 2, 10 }, { "+3", 1, 20 }, { "+1", 2, 30 }, { "+4", 3, 40 },
		{ "+5", 1, 300000 }, { "+2", 1, 700000 }, { "+6", 2, 700001 }, { "+6", 1, 700002 },
		{ "+7", 2, 900000 },
	};
	char walk[2][4096];
	struct concat_stats st[2];

	for (unsigned run = 0; run < 2; run++) {
		struct concat *c = mk(NULL, 3, 1000, NULL);
		struct concat_msg *m;

		for (unsigned i = 0; i < sizeof(j) / sizeof(j[0]); i++) {
			struct concat_key k = key(j[i].src, CONCAT_REF16, 5, 3);
			/* Run 0 also runs a timer between adds; replay does not. */
			if (run == 0)
				concat_expire(c, j[i].now);
			assert_true(add(c, &k, j[i].seq, "xy", i, j[i].now, &m) >= 0);
			talloc_free(m);
		}
		walk[run][0] = 0;
		concat_walk(c, walk_print, walk[run]);
		st[run] = *concat_get_stats(c);
		concat_free(c);
	}
	assert_string_equal(walk[0], walk[1]);
	assert_true(strlen(walk[0]) > 0);
	assert_memory_equal(&st[0], &st[1], sizeof(st[0]));
}

/* ---- the vectors: real TPDUs, decoded by the project's TPDU decoder ---- */

/* One SMS-SUBMIT segment (3GPP TS 23.040 §9.2.2.2) with a concat IE. */
struct seg {
	struct sms_tpdu t;
	struct udh_concat uc;		/* §9.2.3.24.1 or §9.2.3.24.8 */
};

static void vec_seg(const uint8_t *tp, size_t n, struct seg *s)
{
	assert_int_equal(sms_tpdu_decode(&s->t, tp, n, SMS_MS_TO_SC), 0);
	assert_int_equal(s->t.type, SMS_SUBMIT);
	assert_true(s->t.udhi);
	assert_int_equal(udh_concat(&s->t.ud.udh, &s->uc), 0);
	assert_true(s->uc.total >= 2);
}

static uint8_t seg_coding(const struct seg *s)
{
	switch (s->t.dcs.alphabet) {
	case SMS_ALPHABET_UCS2:
		return CHARSET_UCS2;
	case SMS_ALPHABET_8BIT:
		return CHARSET_8BIT;
	default:
		return CHARSET_GSM7;	/* 23.038 §4: reserved reads as GSM7 */
	}
}

/* Reassemble a vector's TPDUs, last first to test order. */
static struct concat_msg *vec_reassemble(const char *json, const char *name, void *ctx)
{
	struct concat *c = mk(ctx, 10, 10000, NULL);
	static struct seg s[4];
	uint8_t tp[200];
	struct concat_msg *m = NULL;
	int n = 0, rc = -1;
	char hex[400];

	while (n < 4 && vec_field(json, name, "tpdus", (unsigned)n, hex, sizeof(hex)) > 0) {
		int len = vec_hex(hex, tp, sizeof(tp));

		assert_true(len > 0);
		vec_seg(tp, (size_t)len, &s[n]);
		n++;
	}
	assert_int_equal(n, s[0].uc.total);
	for (int i = n - 1; i >= 0; i--) {
		struct concat_key k;
		struct concat_part p = {
			.seq = s[i].uc.seq, .coding = seg_coding(&s[i]),
			.data = s[i].t.ud.data, .len = s[i].t.ud.n, .cookie = (uint64_t)i,
		};
		assert_int_equal(concat_key_set(&k, 0, "+886900000001", s[i].t.addr.digits,
						s[i].uc.ref_bits == 16 ? CONCAT_REF16 : CONCAT_REF8,
						s[i].uc.ref, s[i].uc.total), 0);
		rc = concat_add(c, &k, &p, 0, ctx, &m);
		assert_int_equal(rc, i ? CONCAT_STORED : CONCAT_COMPLETE);
	}
	return m;
}

/* Decode a reassembled text strictly and compare with the vector's text. */
static void vec_text_eq(const char *json, const char *name, const struct concat_msg *m)
{
	char text[1024], out[1024];
	int n, tn;

	n = charset_to_utf8(m->coding, out, sizeof(out), m->data, m->len, CHARSET_STRICT, NULL);
	tn = vec_field(json, name, "text", 0, text, sizeof(text));
	assert_true(tn > 0);
	assert_int_equal(n, tn);
	assert_memory_equal(out, text, n);
}

static void test_vectors(void **state)
{
	char *json = vec_load();
	void *ctx = talloc_new(NULL);
	struct concat_msg *m;
	uint8_t frame[512];
	char hex[1024];
	int n;

	assert_non_null(json);
	/* Binary frame in two 8-bit-reference segments (ref 0x5A). */
	m = vec_reassemble(json, "tpdu-binary-concat", ctx);
	assert_int_equal(m->key.ref, 0x5A);
	assert_int_equal(m->key.ref_kind, CONCAT_REF8);
	assert_int_equal(m->coding, CHARSET_8BIT);
	assert_true(vec_field(json, "frame-ecdsa-3", "frame", 0, hex, sizeof(hex)) > 0);
	n = vec_hex(hex, frame, sizeof(frame));
	assert_int_equal(m->len, n);
	assert_memory_equal(m->data, frame, n);
	assert_int_equal(m->cookies[0], 0);
	assert_int_equal(m->cookies[1], 1);

	/* GSM 7-bit with extension characters, 16-bit ref 0x1234, fill bits. */
	m = vec_reassemble(json, "tpdu-gsm7-concat", ctx);
	assert_int_equal(m->key.ref, 0x1234);
	assert_int_equal(m->key.ref_kind, CONCAT_REF16);
	assert_int_equal(m->coding, CHARSET_GSM7);
	vec_text_eq(json, "tpdu-gsm7-concat", m);

	/* UCS-2 text in three segments (Chinese, an emoji), decoded after
	 * reassembly. */
	m = vec_reassemble(json, "tpdu-ucs2-concat", ctx);
	assert_int_equal(m->coding, CHARSET_UCS2);
	assert_int_equal(m->n_cookies, 3);
	assert_false(m->mixed);
	vec_text_eq(json, "tpdu-ucs2-concat", m);
	talloc_free(ctx);
	free(json);
}

/* 😀 (D83D DE00) split across two UCS-2 segments joins up after reassembly. */
static void test_split_emoji(void **state)
{
	struct concat *c = mk(NULL, 10, 1000, NULL);
	struct concat_key k = key("+1", CONCAT_REF16, 0x1F60, 2);
	const uint8_t s1[] = { 0x00, 0x41, 0xD8, 0x3D }, s2[] = { 0xDE, 0x00 };
	struct concat_part p1 = { .seq = 1, .coding = CHARSET_UCS2, .data = s1, .len = 4 };
	struct concat_part p2 = { .seq = 2, .coding = CHARSET_UCS2, .data = s2, .len = 2 };
	struct concat_msg *m;
	char out[16];

	assert_int_equal(concat_add(c, &k, &p2, 0, NULL, &m), CONCAT_STORED);
	assert_int_equal(concat_add(c, &k, &p1, 1, NULL, &m), CONCAT_COMPLETE);
	assert_int_equal(charset_ucs2_to_utf8(out, sizeof(out), m->data, m->len, 0, NULL), 5);
	assert_memory_equal(out, "A😀", 5);
	concat_free(c);
}

/* ---- seeded random run against a reference model ---- */

#define R_MSGS 400
#define R_MAXTOTAL 6

struct rmsg {				/* a message the test sends */
	struct concat_key key;
	uint8_t total;
	uint8_t data[R_MAXTOTAL][8];
	uint8_t len[R_MAXTOTAL];
};

struct rpart {				/* a model partial message */
	int msg;			/* index into the messages */
	uint64_t first;
	unsigned n;
	size_t bytes;
	uint64_t cookie[R_MAXTOTAL];
	bool held[R_MAXTOTAL];
};

struct model {
	struct rpart p[R_MSGS * 2];	/* oldest first */
	unsigned n;
	/* messages completed within the timeout, oldest first: a part of one
	 * sent again is a duplicate (messages with one key have one content) */
	int rmsg[R_MSGS * 4];
	uint64_t rdone[R_MSGS * 4];
	unsigned rn;
	size_t bytes;
	uint64_t completed, dropped, dup;
	uint64_t drop_sum;		/* sum of the dropped cookies */
	const struct rmsg *msgs;
	/* senders "+0".."+6": when each last changed its number of partial
	 * messages (the global eviction takes the first to hold the most) */
	uint64_t stamp[8], clock;
};

/* The limits, with concat.h's defaults applied. */
struct rlim {
	size_t max_n, max_b, max_ps, max_bps;
	uint64_t tmo;
};

static unsigned model_sender(const struct model *md, unsigned i)
{
	return (unsigned)atoi(md->msgs[md->p[i].msg].key.src + 1);
}

static void model_del(struct model *md, unsigned i)
{
	md->stamp[model_sender(md, i)] = ++md->clock;
	md->bytes -= md->p[i].bytes;
	memmove(&md->p[i], &md->p[i + 1], (md->n - i - 1) * sizeof(md->p[0]));
	md->n--;
}

static void model_drop(struct model *md, unsigned i)
{
	for (unsigned s = 0; s < R_MAXTOTAL; s++)
		if (md->p[i].held[s])
			md->drop_sum += md->p[i].cookie[s];
	md->dropped++;
	model_del(md, i);
}

/* Sender s's number of partial messages and bytes; its oldest in *first. */
static size_t model_count(const struct model *md, unsigned s, size_t *bytes, unsigned *first)
{
	size_t n = 0;

	*bytes = 0;
	*first = md->n;
	for (unsigned i = 0; i < md->n; i++) {
		if (model_sender(md, i) != s)
			continue;
		if (!n++)
			*first = i;
		*bytes += md->p[i].bytes;
	}
	return n;
}

/* The oldest partial message of the sender holding the most. */
static unsigned model_victim(const struct model *md)
{
	size_t best = 0, n, b;
	unsigned victim = 0, first;

	for (unsigned s = 0; s < 8; s++) {
		n = model_count(md, s, &b, &first);
		if (n > best || (n && n == best && md->stamp[s] < md->stamp[model_sender(md, victim)])) {
			best = n;
			victim = first;
		}
	}
	return victim;
}

/* Drop j; i (the message being added to, md->n: a new one) follows. */
static unsigned model_evict(struct model *md, unsigned j, unsigned i)
{
	bool fresh = i == md->n || i == j;

	model_drop(md, j);
	return fresh ? md->n : i - (j < i);
}

/* The model's add: same rules as concat.h, written the slow, plain way. */
static void model_recent_del(struct model *md, unsigned i)
{
	memmove(&md->rmsg[i], &md->rmsg[i + 1], (md->rn - i - 1) * sizeof(md->rmsg[0]));
	memmove(&md->rdone[i], &md->rdone[i + 1], (md->rn - i - 1) * sizeof(md->rdone[0]));
	md->rn--;
}

static void model_room(struct model *md, unsigned *i, unsigned s, size_t len, const struct rlim *l)
{
	size_t sb;
	unsigned first;

	for (;;) {
		size_t sn = model_count(md, s, &sb, &first);
		if (!sn || (sb + len <= l->max_bps && (*i < md->n || sn < l->max_ps)))
			break;
		*i = model_evict(md, first, *i);
	}
	while (md->bytes + len > l->max_b || (*i == md->n && md->n >= l->max_n))
		*i = model_evict(md, model_victim(md), *i);
}

static int model_add(struct model *md, int mi, unsigned seq, uint64_t cookie, uint64_t now,
		     const struct rlim *l)
{
	const struct rmsg *g = &md->msgs[mi];
	unsigned i, s = (unsigned)atoi(g->key.src + 1);

	while (md->n && now - md->p[0].first >= l->tmo)
		model_drop(md, 0);
	while (md->rn && now - md->rdone[0] >= l->tmo)
		model_recent_del(md, 0);
	for (i = 0; i < md->rn; i++)
		if (md->rmsg[i] == mi) {
			md->dup++;
			return CONCAT_DUPLICATE;
		}
	for (i = 0; i < md->n && md->p[i].msg != mi; i++)
		;
	if (i < md->n && md->p[i].held[seq - 1]) {
		md->dup++;
		return CONCAT_DUPLICATE;
	}
	if (i < md->n && md->p[i].n + 1 == g->total) {
		md->completed++;
		model_del(md, i);
		if (md->rn >= l->max_n)
			model_recent_del(md, 0);
		md->rmsg[md->rn] = mi;
		md->rdone[md->rn++] = now;
		return CONCAT_COMPLETE;
	}
	model_room(md, &i, s, g->len[seq - 1], l);
	if (i == md->n) {
		memset(&md->p[i], 0, sizeof(md->p[i]));
		md->p[i].msg = mi;
		md->p[i].first = now;
		md->n++;
		md->stamp[s] = ++md->clock;
	}
	md->p[i].held[seq - 1] = true;
	md->p[i].cookie[seq - 1] = cookie;
	md->p[i].n++;
	md->p[i].bytes += g->len[seq - 1];
	md->bytes += g->len[seq - 1];
	return CONCAT_STORED;
}

static void sum_drops(void *data, enum concat_drop_reason why, const struct concat_partial *p)
{
	uint64_t *sum = data;

	for (unsigned i = 0; i < p->n_parts; i++)
		*sum += p->cookies[i];
}

/* A part to send: message index and seq. */
struct rq {
	int msg;
	uint8_t seq;
};

/*
 * Make R_MSGS messages from few senders and references (so keys collide:
 * a later message with an earlier one's key becomes a copy of it) and the
 * queue of their parts, some repeated, shuffled mostly locally so that
 * messages do complete.  Returns the queue length.
 */
static unsigned random_msgs(struct rmsg *msgs, struct rq *q)
{
	unsigned nq = 0;
	char src[16];

	for (int i = 0; i < R_MSGS; i++) {
		struct rmsg *g = &msgs[i];

		g->total = (uint8_t)(2 + random() % (R_MAXTOTAL - 1));
		snprintf(src, sizeof(src), "+%ld", random() % 7);
		assert_int_equal(concat_key_set(&g->key, (uint32_t)(random() % 2), src, "+9",
						(enum concat_ref_kind)(1 + random() % 3),
						(uint16_t)(random() % 4), g->total), 0);
		for (unsigned s = 0; s < g->total; s++) {
			g->len[s] = (uint8_t)(random() % 8);
			for (unsigned b = 0; b < g->len[s]; b++)
				g->data[s][b] = (uint8_t)random();
			q[nq++] = (struct rq){ i, (uint8_t)(s + 1) };
			if (random() % 10 == 0)	/* a repeat */
				q[nq++] = (struct rq){ i, (uint8_t)(s + 1) };
		}
	}
	for (int i = 0; i < R_MSGS; i++)
		for (int j = 0; j < i; j++)
			if (!memcmp(&msgs[i].key, &msgs[j].key, sizeof(msgs[i].key))) {
				msgs[i] = msgs[j];
				break;
			}
	for (unsigned i = 0; i < nq; i++) {
		unsigned j = i + (unsigned)(random() % 16);
		if (j < nq) {
			struct rq t = q[i];
			q[i] = q[j];
			q[j] = t;
		}
	}
	return nq;
}

/* The model's index of message mi: the first message with its key. */
static int model_msg(const struct rmsg *msgs, int mi)
{
	for (int j = 0; j < mi; j++)
		if (!memcmp(&msgs[j].key, &msgs[mi].key, sizeof(msgs[mi].key)))
			return j;
	return mi;
}

static void random_run(uint64_t seed, size_t max_n, size_t max_b, size_t max_ps, size_t max_bps)
{
	static struct rmsg msgs[R_MSGS];
	static struct rq q[R_MSGS * R_MAXTOTAL * 2];
	static struct model md;
	struct concat_cfg cfg = { .timeout_s = 5, .max_partial = max_n, .max_bytes = max_b,
				  .max_per_sender = max_ps, .max_bytes_per_sender = max_bps,
				  .hash_seed = seed };
	struct rlim l = { max_n, max_b, max_ps ? max_ps : max_n, max_bps ? max_bps : max_b, 5000 };
	uint64_t drop_sum = 0, now = 0;
	struct concat *c = concat_new(NULL, &cfg, sum_drops, &drop_sum);
	unsigned nq;

	srandom((unsigned)seed);
	memset(&md, 0, sizeof(md));
	md.msgs = msgs;
	nq = random_msgs(msgs, q);
	for (unsigned i = 0; i < nq; i++) {
		const struct rmsg *g = &msgs[q[i].msg];
		struct concat_part p = { .seq = q[i].seq, .data = g->data[q[i].seq - 1],
					 .len = g->len[q[i].seq - 1], .cookie = i + 1 };
		struct concat_msg *m;
		int want, rc;

		now += (uint64_t)(random() % 50);
		want = model_add(&md, model_msg(msgs, q[i].msg), q[i].seq, i + 1, now, &l);
		rc = concat_add(c, &g->key, &p, now, NULL, &m);
		assert_int_equal(rc == CONCAT_CONFLICT ? CONCAT_DUPLICATE : rc, want);
		if (rc == CONCAT_COMPLETE) {
			size_t off = 0;
			for (unsigned s = 0; s < g->total; s++) {
				assert_memory_equal(m->data + off, g->data[s], g->len[s]);
				off += g->len[s];
			}
			assert_int_equal(off, m->len);
			talloc_free(m);
		}
		assert_int_equal(concat_get_stats(c)->partial_now, md.n);
		assert_int_equal(concat_get_stats(c)->bytes_now, md.bytes);
		assert_true(md.n <= max_n && md.bytes <= max_b);
	}
	const struct concat_stats *st = concat_get_stats(c);
	assert_int_equal(st->completed, md.completed);
	assert_int_equal(st->expired + st->evicted, md.dropped);
	assert_int_equal(st->duplicates, md.dup);
	assert_int_equal(drop_sum, md.drop_sum);
	assert_int_equal(st->parts, nq);
	concat_free(c);
}

static void test_random(void **state)
{
	uint64_t seed = test_seed();

	random_run(seed, 10000, 1000000, 0, 0);	/* no limit reached */
	random_run(seed + 1, 8, 1000000, 0, 0);	/* eviction by count */
	random_run(seed + 2, 10000, 40, 0, 0);	/* eviction by bytes */
	random_run(seed + 3, 5, 30, 0, 0);		/* both */
	random_run(seed + 4, 10000, 1000000, 2, 0);	/* a sender's count */
	random_run(seed + 5, 10000, 1000000, 0, 12);	/* a sender's bytes */
	random_run(seed + 6, 6, 40, 2, 15);		/* all four */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_parts_any_order),
		cmocka_unit_test(test_all_orders),
		cmocka_unit_test(test_interleaved_senders),
		cmocka_unit_test(test_duplicates_conflicts),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_ref_kinds),
		cmocka_unit_test(test_mixed_coding),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_evict_by_count),
		cmocka_unit_test(test_evict_by_bytes),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_split_emoji),
		cmocka_unit_test(test_random),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
