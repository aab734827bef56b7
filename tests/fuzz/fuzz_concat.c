/*
 * fuzz_concat.c — concatenated SMS reassembly (gateway/sms/concat.c) driven by
 * a script.  The input is a run of operations on a fake clock:
 *
 *   op byte, low 2 bits: 0..2 add a part, 3 expire; op >> 2: clock step
 *   (in units of 250 ms, so the 10 s timeout is reached within a few ops).
 *   add: then 4 bytes — h0: sender (bits 0-1), ref kind (bits 2-3, 0 is
 *   refused), coding (bits 4-5); h1: ref; h2: total (low nibble mod 6: 0
 *   and 1 are refused) and seq (high nibble mod 7, 0 refused); h3: payload
 *   length mod 17; then the payload bytes.
 *
 * Checked after every operation: partial_now and bytes_now never exceed
 * the limits (global and per sender) and agree with a walk of the partial
 * messages; walk order is
 * by first arrival; completed messages have total cookies and the bytes
 * the model says; every part added is accounted for exactly once, as
 * completed, dropped or still held (cookies are the op numbers).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "gateway/sms/concat.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

#define MAX_PARTIAL 4
#define MAX_BYTES 48
#define MAX_PER_SENDER 3
#define MAX_BYTES_PER_SENDER 32
#define MAX_OPS 512

struct acct {
	uint8_t state[MAX_OPS];		/* 0 unseen, 1 held, 2 gone */
	const uint8_t *pl[MAX_OPS];	/* each op's payload (in the input) */
	size_t len[MAX_OPS];
	size_t n;
	size_t bytes;
	size_t held;
	uint64_t last_first;
	size_t s_n[4], s_bytes[4];	/* per sender, from the walk */
};

static const char *const who[4] = { "+1", "+2", "+886900000000", "" };

static void settle(struct acct *a, const uint64_t *cookies, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		CHECK(cookies[i] < MAX_OPS && a->state[cookies[i]] == 1);
		a->state[cookies[i]] = 2;
	}
}

static void on_drop(void *data, enum concat_drop_reason why, const struct concat_partial *p)
{
	CHECK(p->n_parts >= 1 && p->n_parts < p->key->total);
	settle(data, p->cookies, p->n_parts);
}

static void on_walk(void *data, const struct concat_partial *p)
{
	struct acct *a = data;

	CHECK(p->n_parts >= 1 && p->n_parts < p->key->total);
	CHECK(p->first_ms >= a->last_first);
	a->last_first = p->first_ms;
	for (unsigned i = 0; i < p->n_parts; i++) {
		CHECK(p->seqs[i] >= 1 && p->seqs[i] <= p->key->total);
		CHECK(i == 0 || p->seqs[i] > p->seqs[i - 1]);
		CHECK(a->state[p->cookies[i]] == 1);
	}
	a->n++;
	a->bytes += p->bytes;
	a->held += p->n_parts;
	for (unsigned s = 0; s < 4; s++) {
		if (strcmp(p->key->src, who[s]))
			continue;
		a->s_n[s]++;
		a->s_bytes[s] += p->bytes;
	}
}

static void check_state(const struct concat *c, struct acct *a)
{
	const struct concat_stats *st = concat_get_stats(c);
	size_t held = 0;

	CHECK(st->partial_now <= MAX_PARTIAL && st->bytes_now <= MAX_BYTES);
	a->n = a->bytes = a->held = 0;
	a->last_first = 0;
	memset(a->s_n, 0, sizeof(a->s_n));
	memset(a->s_bytes, 0, sizeof(a->s_bytes));
	concat_walk(c, on_walk, a);
	CHECK(a->n == st->partial_now && a->bytes == st->bytes_now);
	for (unsigned s = 0; s < 4; s++)
		CHECK(a->s_n[s] <= MAX_PER_SENDER && a->s_bytes[s] <= MAX_BYTES_PER_SENDER);
	for (size_t i = 0; i < MAX_OPS; i++)
		held += a->state[i] == 1;
	CHECK(held == a->held);
}

static void do_add(struct concat *c, struct acct *a, const uint8_t *h, const uint8_t *pl,
		   size_t len, uint64_t now, unsigned op)
{
	struct concat_key k;
	struct concat_part p = {
		.seq = (uint8_t)((h[2] >> 4) % 7), .coding = (h[0] >> 4) & 3, .data = pl,
		.len = len, .cookie = op,
	};
	struct concat_msg *m;
	int rc;

	if (concat_key_set(&k, 0, who[h[0] & 3], "+9", (enum concat_ref_kind)((h[0] >> 2) & 3),
			   h[1], (uint8_t)((h[2] & 0x0F) % 6)))
		return;
	a->state[op] = 1;
	a->pl[op] = pl;
	a->len[op] = len;
	rc = concat_add(c, &k, &p, now, NULL, &m);
	if (rc < 0 || rc == CONCAT_DUPLICATE || rc == CONCAT_CONFLICT) {
		CHECK(rc != -ENOMEM);
		CHECK(rc >= 0 || (!k.total || k.total == 1 || !p.seq || p.seq > k.total));
		a->state[op] = 2;	/* not stored */
		return;
	}
	if (rc == CONCAT_COMPLETE) {
		size_t off = 0;

		CHECK(m && m->n_cookies == k.total && m->key.total == k.total);
		settle(a, m->cookies, m->n_cookies);
		/* The payload is the parts' payloads in seq order. */
		for (unsigned i = 0; i < m->n_cookies; i++) {
			uint64_t ck = m->cookies[i];

			CHECK(off + a->len[ck] <= m->len);
			CHECK(!a->len[ck] || !memcmp(m->data + off, a->pl[ck], a->len[ck]));
			off += a->len[ck];
		}
		CHECK(off == m->len);
		talloc_free(m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct concat_cfg cfg = {
		.timeout_s = 10, .max_partial = MAX_PARTIAL, .max_bytes = MAX_BYTES,
		.max_per_sender = MAX_PER_SENDER, .max_bytes_per_sender = MAX_BYTES_PER_SENDER,
		.hash_seed = 1,
	};
	struct acct *a = calloc(1, sizeof(*a));
	struct concat *c = concat_new(NULL, &cfg, on_drop, a);
	size_t off = 0;
	uint64_t now = 0;
	unsigned op;

	CHECK(a && c);
	for (op = 0; op < MAX_OPS && off < size; op++) {
		uint8_t o = data[off++];

		now += (uint64_t)(o >> 2) * 250;
		if ((o & 3) == 3) {
			concat_expire(c, now);
		} else if (size - off >= 4) {
			const uint8_t *h = data + off;
			size_t len = h[3] % 17;

			off += 4;
			if (len > size - off)
				len = size - off;
			do_add(c, a, h, data + off, len, now, op);
			off += len;
		} else {
			break;
		}
		check_state(c, a);
	}
	concat_free(c);
	free(a);
	return 0;
}
