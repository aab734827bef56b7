/*
 * test_ledger_fixture.h — what test_ledger.c (checks 4-7 and the applies)
 * and test_ledger_state.c (snapshot, restore, random sequences) share:
 * building frames, a ledger per test, snapshots into memory.
 */
#pragma once

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

#include "gateway/lib/cursor.h"
#include "gateway/txlog/ledger.h"

#define NOW	1795000000	/* 2026-11-18: the gateway clock of these tests */
#define SKEW	86400		/* config.md default clock-skew */
#define DEV_A	0x00112233aabbccddULL
#define DEV_B	0x0a0b0c0d0e0f1011ULL

/* ---- building frames ---- */

struct fb {
	struct txl_frame f;
	uint8_t digest[32];
	struct ledger_input in;
};

/* A frame of device dev with upload_seq up and no records yet; variant
 * makes a different frame (digest) with the same upload_seq. */
static inline void fb_init(struct fb *b, uint64_t dev, uint32_t up, uint8_t variant)
{
	memset(b, 0, sizeof(*b));
	b->f.version = TXL_VERSION;
	b->f.alg = TXL_ALG_ED25519;
	b->f.device_id = dev;
	b->f.key_id = 1;
	b->f.upload_seq = up;
	b->f.created = NOW - 5;
	for (int i = 0; i < 8; i++)
		b->digest[i] = (uint8_t)(dev >> (8 * i));
	for (int i = 0; i < 4; i++)
		b->digest[8 + i] = (uint8_t)(up >> (8 * i));
	b->digest[12] = variant;
	b->digest[31] = 0x5a;	/* beyond the 16 bytes kept */
	b->in.f = &b->f;
	b->in.digest = b->digest;
	b->in.now = NOW;
	b->in.skew_s = SKEW;
}

static inline struct txl_record *fb_add(struct fb *b, uint32_t counter, uint8_t type, uint32_t amount, uint32_t balance)
{
	struct txl_record *r = &b->f.rec[b->f.n_records++];
	r->counter = counter;
	r->type = type;
	r->time = NOW - 10;
	r->currency = 901;
	r->amount = amount;
	r->balance = balance;
	return r;
}

static inline void run(struct ledger *l, struct fb *b, struct txl_outcome *o)
{
	assert_int_equal(ledger_process(l, &b->in, o), 0);
}

/* Device dev with baseline upload 1 and counter/balance. */
static inline void baseline(struct ledger *l, uint64_t dev, uint32_t counter, uint32_t balance)
{
	struct fb b;
	struct txl_outcome o;
	fb_init(&b, dev, 1, 0);
	fb_add(&b, counter, TXL_T_TOPUP, 0, balance);
	run(l, &b, &o);
	assert_int_equal(o.n, 1);
}

/* One record of type/amount/balance as device dev's next upload. */
static inline void one(struct ledger *l, uint64_t dev, uint32_t up, uint32_t counter, uint8_t type, uint32_t amount,
		uint32_t balance, struct txl_outcome *o)
{
	struct fb b;
	fb_init(&b, dev, up, 0);
	fb_add(&b, counter, type, amount, balance);
	run(l, &b, o);
}

static inline struct ledger_dev_state get(struct ledger *l, uint64_t dev)
{
	struct ledger_dev_state st;
	assert_int_equal(ledger_get(l, dev, &st), 0);
	return st;
}

/* ---- snapshots into memory ---- */

struct buf {
	uint8_t *p;
	size_t len;
};

static inline int buf_write(void *arg, const uint8_t *data, size_t len)
{
	struct buf *b = arg;
	uint8_t *p = realloc(b->p, b->len + len);
	if (!p)
		return -ENOMEM;
	memcpy(p + b->len, data, len);
	b->p = p;
	b->len += len;
	return 0;
}

static inline struct buf snap(const struct ledger *l)
{
	struct buf b = { 0 };
	assert_int_equal(ledger_snapshot(l, buf_write, &b), 0);
	return b;
}

/* ---- fixture ---- */

static inline int setup(void **state)
{
	struct ledger *l = ledger_alloc(NULL);
	assert_non_null(l);
	*state = l;
	return 0;
}

static inline int teardown(void **state)
{
	ledger_free(*state);
	return 0;
}
