/*
 * test_ledger.c — the per-device ledger, TXLOG checks 4-7 (txlog-v1.md,
 * "What the gateway checks, per device"), its applies, snapshot and
 * restore.
 *
 * The random tests print their seed; LEDGER_SEED=<n> in the environment
 * replays one.
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

#include "cursor.h"
#include "ledger.h"

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
static void fb_init(struct fb *b, uint64_t dev, uint32_t up, uint8_t variant)
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

static struct txl_record *fb_add(struct fb *b, uint32_t counter, uint8_t type, uint32_t amount, uint32_t balance)
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

static void run(struct ledger *l, struct fb *b, struct txl_outcome *o)
{
	assert_int_equal(ledger_process(l, &b->in, o), 0);
}

/* Device dev with baseline upload 1 and counter/balance. */
static void baseline(struct ledger *l, uint64_t dev, uint32_t counter, uint32_t balance)
{
	struct fb b;
	struct txl_outcome o;
	fb_init(&b, dev, 1, 0);
	fb_add(&b, counter, TXL_T_TOPUP, 0, balance);
	run(l, &b, &o);
	assert_int_equal(o.n, 1);
}

/* One record of type/amount/balance as device dev's next upload. */
static void one(struct ledger *l, uint64_t dev, uint32_t up, uint32_t counter, uint8_t type, uint32_t amount,
		uint32_t balance, struct txl_outcome *o)
{
	struct fb b;
	fb_init(&b, dev, up, 0);
	fb_add(&b, counter, type, amount, balance);
	run(l, &b, o);
}

/* ---- checking outcomes ---- */

static void ev_record(const struct txl_outcome *o, unsigned k, int rec, bool late, bool stale)
{
	assert_true(k < o->n);
	assert_int_equal(o->ev[k].type, TXL_EV_RECORD);
	assert_int_equal(o->ev[k].rec, rec);
	assert_int_equal(o->ev[k].late, late);
	assert_int_equal(o->ev[k].stale, stale);
}

/* x, y: expected, got (counter_gap, balance_mismatch); last_upload, got
 * (replay); skew_s, - (clock_skew). */
static void ev_alert(const struct txl_outcome *o, unsigned k, enum txl_alert a, int rec, int64_t x, int64_t y)
{
	assert_true(k < o->n);
	const struct txl_event *e = &o->ev[k];
	assert_int_equal(e->type, TXL_EV_ALERT);
	assert_int_equal(e->alert, a);
	assert_int_equal(e->rec, rec);
	switch (a) {
	case TXL_AL_COUNTER_GAP:
	case TXL_AL_BALANCE_MISMATCH:
		assert_int_equal(e->expected, x);
		assert_int_equal(e->got, y);
		break;
	case TXL_AL_REPLAY:
		assert_int_equal(e->last_upload, x);
		assert_int_equal(e->got, y);
		break;
	case TXL_AL_CLOCK_SKEW:
		assert_int_equal(e->skew_s, x);
		break;
	default:
		break;
	}
}

static struct ledger_dev_state get(struct ledger *l, uint64_t dev)
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

static int buf_write(void *arg, const uint8_t *data, size_t len)
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

static struct buf snap(const struct ledger *l)
{
	struct buf b = { 0 };
	assert_int_equal(ledger_snapshot(l, buf_write, &b), 0);
	return b;
}

static void assert_same_state(const struct ledger *x, const struct ledger *y)
{
	struct buf a = snap(x), b = snap(y);
	assert_int_equal(ledger_count(x), ledger_count(y));
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	free(a.p);
	free(b.p);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct ledger *l = ledger_alloc(NULL);
	assert_non_null(l);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	ledger_free(*state);
	return 0;
}

/* ---- names (bus.md, topics txlog.alert and txlog.reject) ---- */

static void test_names(void **state)
{
	assert_string_equal(txl_reject_name(TXL_REJ_MALFORMED), "malformed");
	assert_string_equal(txl_reject_name(TXL_REJ_UNKNOWN_DEVICE), "unknown_device");
	assert_string_equal(txl_reject_name(TXL_REJ_BAD_SIGNATURE), "bad_signature");
	assert_string_equal(txl_reject_name(TXL_REJ_REVOKED), "revoked");
	assert_string_equal(txl_reject_name(TXL_REJ_REPLAY), "replay");
	assert_string_equal(txl_reject_name(TXL_REJ_NOT_TXLOG), "not_txlog");
	assert_null(txl_reject_name(TXL_REJ_NOT_TXLOG + 1));
	assert_string_equal(txl_alert_name(TXL_AL_COUNTER_GAP), "counter_gap");
	assert_string_equal(txl_alert_name(TXL_AL_BALANCE_MISMATCH), "balance_mismatch");
	assert_string_equal(txl_alert_name(TXL_AL_REPLAY), "replay");
	assert_string_equal(txl_alert_name(TXL_AL_REVOKED_DEVICE), "revoked_device");
	assert_string_equal(txl_alert_name(TXL_AL_MSISDN_MISMATCH), "msisdn_mismatch");
	assert_string_equal(txl_alert_name(TXL_AL_CLOCK_SKEW), "clock_skew");
	assert_null(txl_alert_name(TXL_AL_CLOCK_SKEW + 1));
}

/* ---- check 5: records ---- */

/* "The first record ever seen from a device sets the baseline: no gap or
 * balance alert for it" — vectors/README.md: device 00112233aabbccdd
 * continues from counter 1000, balance 100000. */
static void test_first_record_baseline(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	assert_int_equal(ledger_count(l), 0);
	assert_int_equal(ledger_get(l, DEV_A, &(struct ledger_dev_state){ 0 }), -ENOENT);
	fb_init(&b, DEV_A, 42, 0);
	fb_add(&b, 1001, TXL_T_PURCHASE, 12500, 87500);	/* vectors.json frame-ed25519-1 */
	run(l, &b, &o);
	assert_int_equal(o.n, 1);
	ev_record(&o, 0, 0, false, false);
	assert_true(o.upload_accepted);
	assert_false(o.duplicate);
	assert_int_equal(ledger_count(l), 1);

	struct ledger_dev_state st = get(l, DEV_A);
	assert_true(st.has_upload);
	assert_int_equal(st.max_upload, 42);
	assert_int_equal(st.upload_win, 1);
	assert_int_equal(st.n_digests, 1);
	assert_memory_equal(st.digest[0], b.digest, LEDGER_DIGEST_LEN);
	assert_true(st.has_counter);
	assert_int_equal(st.max_counter, 1001);
	assert_int_equal(st.balance, 87500);
	assert_int_equal(st.counter_win, 1);
}

/* vectors.json frame-ecdsa-3: device 0a0b0c0d0e0f1011, upload 3, after
 * counter 7 with balance 50000 (vectors/README.md): topup 20000 -> 70000,
 * voucher_buy 1500 -> 68500, voucher_send 0 -> 68500.  No alert.  The
 * same records sent as the other device's (max_counter 1000) are far below
 * its window: published as late and stale, unchecked, no alert. */
static void test_vector_ecdsa3(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	baseline(l, DEV_B, 7, 50000);
	fb_init(&b, DEV_B, 3, 0);
	fb_add(&b, 8, TXL_T_TOPUP, 20000, 70000);
	fb_add(&b, 9, TXL_T_VOUCHER_BUY, 1500, 68500);
	fb_add(&b, 10, TXL_T_VOUCHER_SEND, 0, 68500);
	b.in.src_msisdn = "+886912345678";	/* devices.txt: 0a0b... has no MSISDN */
	run(l, &b, &o);
	assert_int_equal(o.n, 3);
	for (unsigned k = 0; k < 3; k++)
		ev_record(&o, k, (int)k, false, false);
	assert_int_equal(get(l, DEV_B).balance, 68500);

	baseline(l, DEV_A, 1000, 100000);
	b.f.device_id = DEV_A;
	b.in.registered_msisdn = "886912345678";
	run(l, &b, &o);
	assert_int_equal(o.n, 3);
	for (unsigned k = 0; k < 3; k++)
		ev_record(&o, k, (int)k, true, true);
	assert_int_equal(o.stale, 3);
	assert_int_equal(get(l, DEV_A).max_counter, 1000);
}

/* The type table of txlog-v1.md: -, +, 0 per type; no alert when right. */
static void test_balance_each_type(void **state)
{
	static const struct {
		uint8_t type;
		uint32_t amount;
		int64_t delta;
	} t[] = {
		{ TXL_T_PURCHASE, 300, -300 },	   { TXL_T_TOPUP, 5000, 5000 },
		{ TXL_T_VOUCHER_BUY, 250, -250 },  { TXL_T_TRANSFER_OUT, 1000, -1000 },
		{ TXL_T_TRANSFER_IN, 700, 700 },   { TXL_T_REDEEM, 0, 0 },
		{ TXL_T_REDEEM, 40, 40 },	   { TXL_T_VOUCHER_SEND, 0, 0 },
		{ TXL_T_VOUCHER_RECV, 0, 0 },	   { TXL_T_REFUND, 99, 99 },
	};
	struct ledger *l = *state;
	struct txl_outcome o;
	uint32_t bal = 50000;

	baseline(l, DEV_B, 7, bal);	/* vectors/README.md: counter 7, 50000 */
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bal = (uint32_t)(bal + t[i].delta);
		one(l, DEV_B, 2 + i, 8 + i, t[i].type, t[i].amount, bal, &o);
		assert_int_equal(o.n, 1);
		ev_record(&o, 0, 0, false, false);
	}
	assert_int_equal(get(l, DEV_B).balance, bal);
	/* and a wrong sign is caught for each effect */
	one(l, DEV_B, 50, 18, TXL_T_PURCHASE, 10, bal + 10, &o);
	ev_alert(&o, 1, TXL_AL_BALANCE_MISMATCH, 0, (int64_t)bal - 10, bal + 10);
	one(l, DEV_B, 51, 19, TXL_T_REFUND, 10, bal, &o);
	ev_alert(&o, 1, TXL_AL_BALANCE_MISMATCH, 0, (int64_t)bal + 20, bal);
}

static void test_balance_mismatch(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;

	baseline(l, DEV_A, 1000, 100000);
	one(l, DEV_A, 2, 1001, TXL_T_PURCHASE, 12500, 88000, &o);
	assert_int_equal(o.n, 2);
	ev_record(&o, 0, 0, false, false);
	ev_alert(&o, 1, TXL_AL_BALANCE_MISMATCH, 0, 87500, 88000);
	/* the record still becomes max_counter, with the balance it carries */
	struct ledger_dev_state st = get(l, DEV_A);
	assert_int_equal(st.max_counter, 1001);
	assert_int_equal(st.balance, 88000);
	one(l, DEV_A, 3, 1002, TXL_T_TOPUP, 2000, 90000, &o);
	assert_int_equal(o.n, 1);
}

/* A gap alerts counter_gap only; the balance is not checked across it. */
static void test_counter_gap(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;

	baseline(l, DEV_A, 1000, 100000);
	one(l, DEV_A, 2, 1005, TXL_T_PURCHASE, 1, 3, &o);
	assert_int_equal(o.n, 2);
	ev_record(&o, 0, 0, false, false);
	ev_alert(&o, 1, TXL_AL_COUNTER_GAP, 0, 1001, 1005);
	struct ledger_dev_state st = get(l, DEV_A);
	assert_int_equal(st.max_counter, 1005);
	assert_int_equal(st.balance, 3);
	assert_int_equal(st.counter_win, 1ULL << 5 | 1);
	/* the next one is checked against the gap record's balance */
	one(l, DEV_A, 3, 1006, TXL_T_TOPUP, 7, 10, &o);
	assert_int_equal(o.n, 1);
	/* the missing ones arrive late: published, no check, no alert */
	one(l, DEV_A, 4, 1002, TXL_T_PURCHASE, 1, 12345, &o);
	assert_int_equal(o.n, 1);
	ev_record(&o, 0, 0, true, false);
	assert_int_equal(o.late, 1);
	assert_int_equal(get(l, DEV_A).balance, 10);
}

/* Counters near 0 and 2^32 - 1 and balances at the u32 ends: "expected"
 * is signed 64-bit, never wrapped. */
static void test_u32_edges(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;

	baseline(l, DEV_A, 0, 0);
	one(l, DEV_A, 2, 1, TXL_T_PURCHASE, 1, UINT32_MAX, &o);
	ev_alert(&o, 1, TXL_AL_BALANCE_MISMATCH, 0, -1, UINT32_MAX);
	one(l, DEV_A, 3, 2, TXL_T_TOPUP, 1, 0, &o);
	ev_alert(&o, 1, TXL_AL_BALANCE_MISMATCH, 0, (int64_t)UINT32_MAX + 1, 0);
	one(l, DEV_A, 4, 3, TXL_T_TOPUP, UINT32_MAX, UINT32_MAX, &o);
	assert_int_equal(o.n, 1);
	one(l, DEV_A, 5, 4, TXL_T_PURCHASE, UINT32_MAX, 0, &o);
	assert_int_equal(o.n, 1);
	one(l, DEV_A, 6, 5, TXL_T_TOPUP, UINT32_MAX, 7, &o);
	ev_alert(&o, 1, TXL_AL_BALANCE_MISMATCH, 0, UINT32_MAX, 7);

	baseline(l, DEV_B, UINT32_MAX - 1, 10);
	one(l, DEV_B, 2, UINT32_MAX, TXL_T_PURCHASE, 10, 0, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(get(l, DEV_B).max_counter, UINT32_MAX);
	/* nothing can come above 2^32 - 1; 0 is far below: stale */
	one(l, DEV_B, 3, 0, TXL_T_TOPUP, 1, 1, &o);
	ev_record(&o, 0, 0, true, true);
	one(l, DEV_B, 4, UINT32_MAX, TXL_T_TOPUP, 1, 1, &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.repeated, 1);
}

/* Counters exactly 63, 64 and 65 below max_counter (and 0: max itself). */
static void test_counter_window_edges(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	baseline(l, DEV_A, 1000, 100);
	fb_init(&b, DEV_A, 2, 0);
	fb_add(&b, 1000 - 63, TXL_T_TOPUP, 1, 1);
	fb_add(&b, 1000 - 64, TXL_T_TOPUP, 1, 1);
	fb_add(&b, 1000 - 65, TXL_T_TOPUP, 1, 1);
	fb_add(&b, 1000, TXL_T_TOPUP, 1, 1);
	fb_add(&b, 1000 - 63, TXL_T_TOPUP, 1, 1);
	fb_add(&b, 1000 - 64, TXL_T_TOPUP, 1, 1);
	run(l, &b, &o);
	assert_int_equal(o.n, 4);
	ev_record(&o, 0, 0, true, false);
	ev_record(&o, 1, 1, true, true);
	ev_record(&o, 2, 2, true, true);
	ev_record(&o, 3, 5, true, true);	/* stale again: it cannot be held */
	assert_int_equal(o.late, 4);
	assert_int_equal(o.stale, 3);
	assert_int_equal(o.repeated, 2);
	struct ledger_dev_state st = get(l, DEV_A);
	assert_int_equal(st.max_counter, 1000);
	assert_int_equal(st.balance, 100);
	assert_int_equal(st.counter_win, 1ULL << 63 | 1);

	/* sliding by 1 moves 937 out: now it is stale, 938 is free */
	one(l, DEV_A, 3, 1001, TXL_T_TOPUP, 1, 101, &o);
	assert_int_equal(o.n, 1);
	one(l, DEV_A, 4, 937, TXL_T_TOPUP, 1, 101, &o);
	ev_record(&o, 0, 0, true, true);
	one(l, DEV_A, 5, 938, TXL_T_TOPUP, 1, 101, &o);
	ev_record(&o, 0, 0, true, false);
	/* a jump of 64 or more empties the window */
	one(l, DEV_A, 6, 1001 + 64, TXL_T_TOPUP, 1, 101, &o);
	ev_alert(&o, 1, TXL_AL_COUNTER_GAP, 0, 1002, 1065);
	assert_int_equal(get(l, DEV_A).counter_win, 1);
	one(l, DEV_A, 7, 1001, TXL_T_TOPUP, 1, 101, &o);
	ev_record(&o, 0, 0, true, true);
	one(l, DEV_A, 8, 1002, TXL_T_TOPUP, 1, 101, &o);
	ev_record(&o, 0, 0, true, false);
}

/* Records of one frame update the window as they go. */
static void test_repeat_within_frame(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	fb_init(&b, DEV_A, 1, 0);
	fb_add(&b, 5, TXL_T_TOPUP, 10, 10);	/* baseline */
	fb_add(&b, 5, TXL_T_TOPUP, 10, 10);	/* repeated */
	fb_add(&b, 3, TXL_T_TOPUP, 10, 10);	/* late */
	fb_add(&b, 3, TXL_T_TOPUP, 10, 10);	/* repeated */
	fb_add(&b, 6, TXL_T_PURCHASE, 4, 6);	/* next: checked */
	fb_add(&b, 8, TXL_T_PURCHASE, 4, 2);	/* gap */
	run(l, &b, &o);
	assert_int_equal(o.n, 5);
	ev_record(&o, 0, 0, false, false);
	ev_record(&o, 1, 2, true, false);
	ev_record(&o, 2, 4, false, false);
	ev_record(&o, 3, 5, false, false);
	ev_alert(&o, 4, TXL_AL_COUNTER_GAP, 5, 7, 8);
	assert_int_equal(o.repeated, 2);
	assert_int_equal(o.late, 1);
	assert_int_equal(o.stale, 0);
	/* a handset repeating its recent records: all skipped */
	fb_init(&b, DEV_A, 2, 0);
	fb_add(&b, 8, TXL_T_PURCHASE, 4, 2);
	fb_add(&b, 6, TXL_T_PURCHASE, 4, 6);
	run(l, &b, &o);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.repeated, 2);
	assert_true(o.upload_accepted);
	assert_false(o.duplicate);
}

/* ---- check 4: upload_seq ---- */

static void test_duplicate(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	fb_init(&b, DEV_A, 42, 0);
	fb_add(&b, 1001, TXL_T_PURCHASE, 12500, 87500);
	run(l, &b, &o);
	struct buf before = snap(l);
	/* the carrier delivers it again, even hours later */
	b.in.now += 7200;
	run(l, &b, &o);
	assert_true(o.duplicate);
	assert_false(o.upload_accepted);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.repeated, 0);
	struct buf after = snap(l);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.p, after.p, before.len);
	free(before.p);
	free(after.p);
}

/* A different frame with an accepted upload_seq: reject then alert, no
 * record, no state change. */
static void test_replay(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	for (uint32_t up = 10; up <= 12; up++) {
		fb_init(&b, DEV_A, up, 0);
		fb_add(&b, 1000 + up, TXL_T_TOPUP, 0, 5);
		run(l, &b, &o);
	}
	struct buf before = snap(l);
	fb_init(&b, DEV_A, 11, 1);
	fb_add(&b, 1020, TXL_T_TOPUP, 0, 5);	/* would be a new counter */
	run(l, &b, &o);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.ev[0].type, TXL_EV_REJECT);
	assert_int_equal(o.ev[0].reason, TXL_REJ_REPLAY);
	assert_int_equal(o.ev[0].rec, -1);
	assert_non_null(o.ev[0].error);
	ev_alert(&o, 1, TXL_AL_REPLAY, -1, 12, 11);
	assert_false(o.duplicate);
	assert_false(o.upload_accepted);
	struct buf after = snap(l);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.p, after.p, before.len);
	free(before.p);
	free(after.p);
	/* only the first 16 bytes of the digest are kept: a frame that differs
	 * beyond them is taken for the same one */
	fb_init(&b, DEV_A, 12, 0);
	b.digest[31] ^= 1;
	fb_add(&b, 1012, TXL_T_TOPUP, 0, 5);
	run(l, &b, &o);
	assert_true(o.duplicate);
}

/* upload_seq 63, 64 and 65 below max_upload: 63 is judged, 64 and 65 are
 * too old (their records go on to check 5, nothing is recorded). */
static void test_upload_window_edges(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	baseline(l, DEV_A, 1000, 0);	/* upload 1 */
	one(l, DEV_A, 100, 1001, TXL_T_TOPUP, 0, 0, &o);
	assert_int_equal(get(l, DEV_A).upload_win, 1);	/* 1 slid out */

	one(l, DEV_A, 100 - 63, 1002, TXL_T_TOPUP, 0, 0, &o);
	assert_true(o.upload_accepted);
	assert_int_equal(o.n, 1);
	struct ledger_dev_state st = get(l, DEV_A);
	assert_int_equal(st.upload_win, 1ULL << 63 | 1);
	assert_int_equal(st.n_digests, 2);

	for (uint32_t back = 64; back <= 65; back++) {
		for (uint8_t variant = 0; variant < 2; variant++) {
			fb_init(&b, DEV_A, 100 - back, variant);
			/* late counters (below 1002, unseen): published, unchecked */
			fb_add(&b, 1002 - 10 - variant - 2 * (back - 64), TXL_T_TOPUP, 0, 0);
			run(l, &b, &o);
			assert_false(o.upload_accepted);
			assert_false(o.duplicate);
			assert_int_equal(o.n, 1);
			ev_record(&o, 0, 0, true, false);
		}
	}
	assert_int_equal(get(l, DEV_A).upload_win, 1ULL << 63 | 1);

	/* the judged one at 63 back: duplicate, and replay */
	fb_init(&b, DEV_A, 37, 0);
	fb_add(&b, 1002, TXL_T_TOPUP, 0, 0);
	run(l, &b, &o);
	assert_true(o.duplicate);
	fb_init(&b, DEV_A, 37, 1);
	fb_add(&b, 1002, TXL_T_TOPUP, 0, 0);
	run(l, &b, &o);
	ev_alert(&o, 1, TXL_AL_REPLAY, -1, 100, 37);
	/* sliding by one makes 37 too old: a different frame is no replay */
	one(l, DEV_A, 101, 1003, TXL_T_TOPUP, 0, 0, &o);
	fb_init(&b, DEV_A, 37, 2);
	fb_add(&b, 1004, TXL_T_TOPUP, 0, 0);
	run(l, &b, &o);
	assert_int_equal(o.n, 1);
	ev_record(&o, 0, 0, false, false);
	assert_false(o.upload_accepted);
}

/* Uploads accepted out of order keep their own digests, in seq order. */
static void test_upload_out_of_order(void **state)
{
	static const uint32_t order[] = { 10, 5, 8, 3, 9, 70, 7 };
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		fb_init(&b, DEV_A, order[i], 0);
		fb_add(&b, 100 + i, TXL_T_TOPUP, 0, 0);
		run(l, &b, &o);
		assert_true(o.upload_accepted);
	}
	/* window at 70: 7, 8, 9, 10 (3 and 5 fell out) */
	struct ledger_dev_state st = get(l, DEV_A);
	assert_int_equal(st.max_upload, 70);
	assert_int_equal(st.upload_win, 1 | 1ULL << 60 | 1ULL << 61 | 1ULL << 62 | 1ULL << 63);
	assert_int_equal(st.n_digests, 5);
	static const uint32_t held[] = { 7, 8, 9, 10, 70 };
	for (unsigned i = 0; i < 5; i++) {
		fb_init(&b, DEV_A, held[i], 0);
		assert_memory_equal(st.digest[i], b.digest, LEDGER_DIGEST_LEN);
		fb_add(&b, 100, TXL_T_TOPUP, 0, 0);
		run(l, &b, &o);
		assert_true(o.duplicate);
		fb_init(&b, DEV_A, held[i], 9);
		fb_add(&b, 100, TXL_T_TOPUP, 0, 0);
		run(l, &b, &o);
		ev_alert(&o, 1, TXL_AL_REPLAY, -1, 70, held[i]);
	}
	/* a free slot between them is accepted */
	fb_init(&b, DEV_A, 60, 0);
	fb_add(&b, 100, TXL_T_TOPUP, 0, 0);
	run(l, &b, &o);
	assert_true(o.upload_accepted);
	assert_int_equal(get(l, DEV_A).n_digests, 6);
}

/* A long run: the digest array grows to 64 and slides. */
static void test_upload_full_window(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	for (uint32_t up = 1; up <= 200; up++) {
		one(l, DEV_A, up, up, TXL_T_TOPUP, 0, 0, &o);
		assert_true(o.upload_accepted);
		assert_int_equal(o.n, 1);
	}
	struct ledger_dev_state st = get(l, DEV_A);
	assert_int_equal(st.upload_win, ~0ULL);
	assert_int_equal(st.n_digests, 64);
	for (uint32_t up = 200 - 63; up <= 200; up++) {
		fb_init(&b, DEV_A, up, 0);
		assert_memory_equal(st.digest[up - 137], b.digest, LEDGER_DIGEST_LEN);
	}
	assert_int_equal(st.counter_win, ~0ULL);
}

/* ---- check 6: MSISDN ---- */

static void test_msisdn(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;
	uint32_t up = 1;

	static const struct {
		const char *registered, *src;
		bool alert;
	} t[] = {
		{ "886912345678", "+886912345678", false },
		{ "886912345678", "886912345678", false },
		{ "886912345678", "+886900000000", true },
		{ "886912345678", "++886912345678", true },	/* one '+' dropped, no more */
		{ "886912345678", "88691234567", true },
		{ "886912345678", "", true },
		{ "886912345678", NULL, false },	/* e-mail */
		{ NULL, "+886900000000", false },	/* no binding */
		{ "", "+886900000000", false },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++, up++) {
		fb_init(&b, DEV_A, up, 0);
		fb_add(&b, 2 * up, TXL_T_TOPUP, 0, 0);
		fb_add(&b, 2 * up + 1, TXL_T_TOPUP, 0, 0);
		b.in.registered_msisdn = t[i].registered;
		b.in.src_msisdn = t[i].src;
		run(l, &b, &o);
		if (!t[i].alert) {
			assert_int_equal(o.n, 2);
			continue;
		}
		/* one alert for the frame, after its records */
		assert_int_equal(o.n, 3);
		ev_record(&o, 0, 0, false, false);
		ev_record(&o, 1, 1, false, false);
		ev_alert(&o, 2, TXL_AL_MSISDN_MISMATCH, -1, 0, 0);
		assert_ptr_equal(o.ev[2].registered, t[i].registered);
		assert_ptr_equal(o.ev[2].src, t[i].src);	/* as received */
	}
	/* raised even when every record was a repeat */
	fb_init(&b, DEV_A, up, 0);
	fb_add(&b, 2 * up - 1, TXL_T_TOPUP, 0, 0);
	b.in.registered_msisdn = "886912345678";
	b.in.src_msisdn = "886900000001";
	run(l, &b, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.repeated, 1);
	ev_alert(&o, 0, TXL_AL_MSISDN_MISMATCH, -1, 0, 0);
	/* not for a duplicate */
	run(l, &b, &o);
	assert_true(o.duplicate);
	assert_int_equal(o.n, 0);
}

/* ---- check 7: clocks ---- */

static void test_clock_skew_record(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	baseline(l, DEV_A, 1000, 100);
	fb_init(&b, DEV_A, 2, 0);
	fb_add(&b, 1001, TXL_T_PURCHASE, 10, 90)->time = NOW + SKEW;	/* not more than the skew */
	fb_add(&b, 1002, TXL_T_PURCHASE, 10, 70)->time = NOW + SKEW + 1;	/* and a mismatch */
	fb_add(&b, 1004, TXL_T_PURCHASE, 10, 60)->time = NOW + 10 * SKEW;	/* and a gap */
	fb_add(&b, 1004, TXL_T_PURCHASE, 10, 60)->time = NOW + 10 * SKEW;	/* repeated: no alert */
	fb_add(&b, 1003, TXL_T_PURCHASE, 10, 60)->time = UINT32_MAX;	/* late */
	b.f.created = NOW + 20 * SKEW;	/* a record got one: no frame alert */
	b.in.registered_msisdn = "886912345678";
	b.in.src_msisdn = "+886900000000";
	run(l, &b, &o);
	assert_int_equal(o.n, 10);
	ev_record(&o, 0, 0, false, false);
	ev_record(&o, 1, 1, false, false);
	ev_alert(&o, 2, TXL_AL_BALANCE_MISMATCH, 1, 80, 70);
	ev_alert(&o, 3, TXL_AL_CLOCK_SKEW, 1, SKEW + 1, 0);
	ev_record(&o, 4, 2, false, false);
	ev_alert(&o, 5, TXL_AL_COUNTER_GAP, 2, 1003, 1004);
	ev_alert(&o, 6, TXL_AL_CLOCK_SKEW, 2, 10 * SKEW, 0);
	ev_record(&o, 7, 4, true, false);
	ev_alert(&o, 8, TXL_AL_CLOCK_SKEW, 4, (int64_t)UINT32_MAX - NOW, 0);
	/* the frame's msisdn_mismatch after all records and their alerts */
	ev_alert(&o, 9, TXL_AL_MSISDN_MISMATCH, -1, 0, 0);
	assert_int_equal(o.repeated, 1);
	assert_int_equal(o.late, 1);
}

/* The frame's created alone ahead: one frame alert, after msisdn_mismatch. */
static void test_clock_skew_frame(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	fb_init(&b, DEV_A, 1, 0);
	fb_add(&b, 10, TXL_T_TOPUP, 0, 0);
	fb_add(&b, 11, TXL_T_TOPUP, 0, 0);
	b.f.created = NOW + SKEW + 1;
	b.in.registered_msisdn = "886912345678";
	b.in.src_msisdn = "+886900000000";
	run(l, &b, &o);
	assert_int_equal(o.n, 4);
	ev_record(&o, 0, 0, false, false);
	ev_record(&o, 1, 1, false, false);
	ev_alert(&o, 2, TXL_AL_MSISDN_MISMATCH, -1, 0, 0);
	ev_alert(&o, 3, TXL_AL_CLOCK_SKEW, -1, SKEW + 1, 0);
	/* exactly the skew ahead is not "more than" it */
	fb_init(&b, DEV_A, 2, 0);
	fb_add(&b, 12, TXL_T_TOPUP, 0, 0);
	b.f.created = NOW + SKEW;
	run(l, &b, &o);
	assert_int_equal(o.n, 1);
	/* a configured skew of 0, and a late record ahead */
	fb_init(&b, DEV_A, 3, 0);
	fb_add(&b, 1, TXL_T_TOPUP, 0, 0)->time = NOW + 1;
	b.in.skew_s = 0;
	run(l, &b, &o);
	assert_int_equal(o.n, 2);
	ev_record(&o, 0, 0, true, false);
	ev_alert(&o, 1, TXL_AL_CLOCK_SKEW, 0, 1, 0);
	/* and when all records were repeats, the frame's created still counts */
	fb_init(&b, DEV_A, 4, 0);
	fb_add(&b, 12, TXL_T_TOPUP, 0, 0)->time = NOW + 5 * SKEW;
	b.f.created = NOW + 2 * SKEW;
	run(l, &b, &o);
	assert_int_equal(o.n, 1);
	ev_alert(&o, 0, TXL_AL_CLOCK_SKEW, -1, 2 * SKEW, 0);
}

/* ---- arguments the decoder would never pass ---- */

static void test_invalid_frames(void **state)
{
	struct ledger *l = *state;
	struct txl_outcome o;
	struct fb b;

	fb_init(&b, DEV_A, 1, 0);
	assert_int_equal(ledger_process(l, &b.in, &o), -EINVAL);	/* n_records 0 */
	b.f.n_records = TXL_MAX_RECORDS + 1;
	assert_int_equal(ledger_process(l, &b.in, &o), -EINVAL);
	b.f.n_records = 0;
	fb_add(&b, 1, 0, 0, 0);
	assert_int_equal(ledger_process(l, &b.in, &o), -EINVAL);
	b.f.rec[0].type = 10;
	assert_int_equal(ledger_process(l, &b.in, &o), -EINVAL);
	b.f.rec[0].type = TXL_T_TOPUP;
	b.in.digest = NULL;
	assert_int_equal(ledger_process(l, &b.in, &o), -EINVAL);
	b.in.digest = b.digest;
	b.in.f = NULL;
	assert_int_equal(ledger_process(l, &b.in, &o), -EINVAL);
	assert_int_equal(o.n, 0);
	assert_int_equal(ledger_count(l), 0);
	assert_int_equal(ledger_apply_upload(l, DEV_A, 1, NULL), -EINVAL);
	assert_int_equal(ledger_count(l), 0);
	/* 32 records, each with two alerts: the outcome holds them */
	b.in.f = &b.f;
	baseline(l, DEV_B, 0, 0);
	fb_init(&b, DEV_B, 2, 0);
	for (uint32_t i = 0; i < TXL_MAX_RECORDS; i++)
		fb_add(&b, 2 * i + 2, TXL_T_TOPUP, 1, 0)->time = UINT32_MAX;
	b.f.created = UINT32_MAX;
	b.in.registered_msisdn = "1";
	b.in.src_msisdn = "2";
	run(l, &b, &o);
	assert_int_equal(o.n, 3 * TXL_MAX_RECORDS + 1);
}

/* ---- applies ---- */

static void test_apply_returns(void **state)
{
	struct ledger *l = *state;
	uint8_t d1[32] = { 1 }, d2[32] = { 2 };

	assert_int_equal(ledger_apply_upload(l, DEV_A, 100, d1), 1);
	assert_int_equal(ledger_apply_upload(l, DEV_A, 100, d1), 0);
	assert_int_equal(ledger_apply_upload(l, DEV_A, 100, d2), -EEXIST);
	assert_int_equal(ledger_apply_upload(l, DEV_A, 37, d2), 1);
	assert_int_equal(ledger_apply_upload(l, DEV_A, 36, d2), 0);	/* too old */
	assert_int_equal(ledger_apply_upload(l, DEV_A, 101, d2), 1);
	struct ledger_dev_state st = get(l, DEV_A);
	assert_int_equal(st.max_upload, 101);
	assert_int_equal(st.upload_win, 3);	/* 37 slid out */
	assert_false(st.has_counter);

	assert_int_equal(ledger_apply_record(l, DEV_B, 5, 50), 1);
	assert_int_equal(ledger_apply_record(l, DEV_B, 5, 99), 0);
	assert_int_equal(ledger_apply_record(l, DEV_B, 4, 99), 1);
	assert_int_equal(ledger_apply_record(l, DEV_B, 4, 99), 0);
	assert_int_equal(ledger_apply_record(l, DEV_B, 70, 7), 1);
	assert_int_equal(ledger_apply_record(l, DEV_B, 6, 99), 0);	/* too old */
	st = get(l, DEV_B);
	assert_false(st.has_upload);
	assert_int_equal(st.max_counter, 70);
	assert_int_equal(st.balance, 7);
	assert_int_equal(st.counter_win, 1);	/* 70 - 5 = 65: the window emptied */
	assert_int_equal(ledger_count(l), 2);

	/* a device known only by its records takes its first upload */
	struct txl_outcome o;
	one(l, DEV_B, 9, 71, TXL_T_TOPUP, 0, 7, &o);
	assert_true(o.upload_accepted);
	assert_int_equal(o.n, 1);
}

/* ---- snapshot and restore ---- */

static void test_crc32(void **state)
{
	/* the CRC-32 check value (zlib's crc32 of "123456789") */
	assert_int_equal(ledger_crc32((const uint8_t *)"123456789", 9), 0xcbf43926);
	assert_int_equal(ledger_crc32(NULL, 0), 0);
}

static void fill_some(struct ledger *l)
{
	struct txl_outcome o;
	baseline(l, DEV_A, 1000, 100000);
	for (uint32_t up = 2; up < 80; up += 3)
		one(l, DEV_A, up, 1000 + up, TXL_T_TOPUP, 0, 100000, &o);
	assert_int_equal(ledger_apply_record(l, DEV_B, 7, 50000), 1);
	assert_int_equal(ledger_apply_upload(l, 3, 0, (uint8_t[32]){ 3 }), 1);
}

static void test_snapshot_roundtrip(void **state)
{
	struct ledger *l = *state, *m = ledger_alloc(NULL);
	fill_some(l);
	struct buf a = snap(l);
	assert_int_equal(ledger_restore(m, a.p, a.len), 0);
	assert_same_state(l, m);
	assert_int_equal(ledger_count(m), 3);
	struct ledger_dev_state x = get(l, DEV_A), y = get(m, DEV_A);
	assert_memory_equal(&x, &y, sizeof(x));
	/* restore replaces what was there */
	struct buf e = snap(*state = ledger_alloc(NULL));
	ledger_free(l);
	assert_int_equal(e.len, 20);
	assert_int_equal(ledger_restore(m, e.p, e.len), 0);
	assert_int_equal(ledger_count(m), 0);
	assert_int_equal(ledger_get(m, DEV_A, &x), -ENOENT);
	free(a.p);
	free(e.p);
	ledger_free(m);
}

static void put_crc(uint8_t *p, size_t len)
{
	uint32_t c = ledger_crc32(p, len - 4);
	p[len - 4] = (uint8_t)(c >> 24);
	p[len - 3] = (uint8_t)(c >> 16);
	p[len - 2] = (uint8_t)(c >> 8);
	p[len - 1] = (uint8_t)c;
}

/* One device of a hand-written snapshot (the format in ledger.h). */
struct snapdev {
	uint64_t id;
	uint8_t has;
	uint32_t max_up;
	uint64_t up_win;
	unsigned n_dig;		/* digests written: normally popcount(up_win) */
	uint32_t max_ctr, balance;
	uint64_t ctr_win;
};

/* Write a snapshot of n devices, n_hdr of them announced, with its CRC,
 * into p; returns its length.  Digest k of a device is 16 bytes of k. */
static size_t mk_snap(uint8_t *p, size_t cap, uint16_t version, uint16_t flags, uint32_t n_hdr,
		      const struct snapdev *d, unsigned n)
{
	struct wr w;
	uint8_t dig[LEDGER_DIGEST_LEN];

	wr_init(&w, p, cap);
	wr_bytes(&w, "TXLEDGER", 8);
	wr_u16(&w, version);
	wr_u16(&w, flags);
	wr_u32(&w, n_hdr);
	for (unsigned i = 0; i < n; i++) {
		wr_u64(&w, d[i].id);
		wr_u8(&w, d[i].has);
		if (d[i].has & 1) {
			wr_u32(&w, d[i].max_up);
			wr_u64(&w, d[i].up_win);
			for (unsigned k = 0; k < d[i].n_dig; k++) {
				memset(dig, (int)k, sizeof(dig));
				wr_bytes(&w, dig, sizeof(dig));
			}
		}
		if (d[i].has & 2) {
			wr_u32(&w, d[i].max_ctr);
			wr_u32(&w, d[i].balance);
			wr_u64(&w, d[i].ctr_win);
		}
	}
	wr_u32(&w, 0);
	assert_int_equal(w.err, 0);
	put_crc(p, w.off);
	return w.off;
}

/* Restore into m gives err; on error m is left exactly as it was. */
static void restore_expect(struct ledger *m, const struct snapdev *d, unsigned n, uint32_t n_hdr, int err)
{
	uint8_t p[4096];
	size_t len = mk_snap(p, sizeof(p), 1, 0, n_hdr, d, n);
	struct buf before = snap(m);
	assert_int_equal(ledger_restore(m, p, len), err);
	if (!err) {
		assert_int_equal(ledger_count(m), n);
		free(before.p);
		return;
	}
	struct buf after = snap(m);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.p, after.p, before.len);
	free(before.p);
	free(after.p);
}

/* Each field a restore must refuse, one at a time. */
static void test_restore_strict(void **state)
{
	struct ledger *l = *state, *m = ledger_alloc(NULL);
	const struct snapdev good = { DEV_A, 3, 5, 1, 1, 3, 1, 1 };
	struct snapdev d[2] = { good, good };
	uint8_t p[4096], dig[32] = { 0 };

	/* the hand-written format is the one the ledger writes */
	assert_int_equal(ledger_apply_upload(l, DEV_A, 5, dig), 1);
	assert_int_equal(ledger_apply_record(l, DEV_A, 3, 1), 1);
	struct buf g = snap(l);
	size_t len = mk_snap(p, sizeof(p), 1, 0, 1, &good, 1);
	assert_int_equal(g.len, 16 + 9 + 12 + 16 + 16 + 4);
	assert_int_equal(len, g.len);
	assert_memory_equal(p, g.p, len);

	baseline(m, DEV_B, 1, 1);	/* what must survive the failures */
	len = mk_snap(p, sizeof(p), 2, 0, 1, &good, 1);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* version */
	len = mk_snap(p, sizeof(p), 1, 1, 1, &good, 1);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* flags */
	p[0] ^= 0x20;
	put_crc(p, len);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* magic */
	restore_expect(m, d, 1, 0, -EINVAL);	/* a device more than announced */
	restore_expect(m, d, 1, 2, -EIO);	/* one fewer */
	d[0].has = 0;
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].has = 7;
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0] = good;
	d[0].up_win = 2;		/* max_upload not set */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].up_win = 1ULL << 6 | 1;	/* upload_seq -1 */
	d[0].n_dig = 2;
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].max_up = 6;		/* upload_seq 0: fine */
	restore_expect(m, d, 1, 1, 0);
	d[0].max_up = 62;
	d[0].up_win = 1ULL << 63 | 1;	/* upload_seq -1 again */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].max_up = 63;
	restore_expect(m, d, 1, 1, 0);
	d[0].n_dig = 1;			/* a digest missing */
	restore_expect(m, d, 1, 1, -EIO);
	d[0].n_dig = 3;			/* one too many */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0] = good;
	d[0].ctr_win = 0;		/* max_counter not set */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].ctr_win = 1ULL << 4 | 1;	/* counter -1 */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].ctr_win = 1ULL << 3 | 1;	/* counter 0 */
	restore_expect(m, d, 1, 1, 0);
	d[0] = good;
	d[0].has = 2;			/* counter only */
	restore_expect(m, d, 1, 1, 0);
	d[0].has = 1;			/* upload only */
	restore_expect(m, d, 1, 1, 0);
	d[0] = d[1] = good;		/* a device twice */
	restore_expect(m, d, 2, 2, -EINVAL);
	d[1].id = DEV_B;
	restore_expect(m, d, 2, 2, 0);
	struct ledger_dev_state st = get(m, DEV_B);
	assert_int_equal(st.max_upload, 5);
	assert_int_equal(st.max_counter, 3);

	/* CRC: any flipped bit, and every truncation */
	for (size_t i = 0; i < g.len * 8; i++) {
		g.p[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(ledger_restore(m, g.p, g.len), -EINVAL);
		g.p[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	for (size_t n = 0; n < g.len; n++) {
		int rc = ledger_restore(m, g.p, n);
		assert_true(rc == -EIO || rc == -EINVAL);
	}
	assert_int_equal(ledger_count(m), 2);
	assert_int_equal(ledger_restore(m, NULL, 0), -EIO);
	free(g.p);
	ledger_free(m);
}

/* ---- random sequences ---- */

static uint64_t seed_from_env(const char *what)
{
	const char *s = getenv("LEDGER_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0x1edce5eedULL;
	printf("%s: seed %" PRIu64 " (LEDGER_SEED=%" PRIu64 " to repeat)\n", what, seed, seed);
	return seed;
}

/* xorshift64*: small, reproducible everywhere */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

/* The type table of txlog-v1.md, written again here so the tests do not
 * take it from the code under test. */
static int type_sign_for_test(uint32_t type)
{
	static const int sign[10] = { 0, -1, 1, -1, -1, 1, 1, 0, 0, 1 };
	return type < 10 ? sign[type] : 0;
}

struct rand_dev {
	uint32_t up;		/* next upload_seq */
	uint32_t counter;	/* next counter */
	uint32_t balance;
};

/*
 * A random frame for one of few devices: mostly the next upload and
 * counters with the right balance, sometimes an old or repeated upload_seq
 * or a different frame for it, counters repeated, late, far back or ahead,
 * wrong balances, clocks ahead, wrong senders.  spread bounds how far back
 * upload_seqs and counters go.
 */
static void rand_frame(uint64_t *s, struct rand_dev *devs, unsigned n_devs, uint32_t spread, struct fb *b)
{
	unsigned di = rnd_below(s, n_devs);
	struct rand_dev *rd = &devs[di];
	uint32_t up = rd->up;

	if (rnd_below(s, 4) == 0 && up > 1)
		up -= 1 + rnd_below(s, up - 1 < spread ? up - 1 : spread);
	else
		rd->up++;
	fb_init(b, 0x1000 + di, up, (uint8_t)(rnd_below(s, 5) == 0));
	unsigned n = 1 + rnd_below(s, rnd_below(s, 8) == 0 ? TXL_MAX_RECORDS : 4);
	for (unsigned i = 0; i < n; i++) {
		uint32_t c = rd->counter, type = 1 + rnd_below(s, 9);
		uint32_t amount = type == TXL_T_VOUCHER_SEND || type == TXL_T_VOUCHER_RECV ? 0 : rnd_below(s, 1000);
		unsigned how = rnd_below(s, 10);
		if (how == 0 && c > 0)
			c -= 1 + rnd_below(s, c < spread ? c : spread);
		else if (how == 1)
			c += 1 + rnd_below(s, 3);
		if (c >= rd->counter) {
			int sign = type_sign_for_test(type);
			rd->balance = (uint32_t)(rd->balance + sign * (int64_t)amount);
			rd->counter = c + 1;
		}
		uint32_t bal = rnd_below(s, 8) == 0 ? rnd_below(s, 100000) : rd->balance;
		struct txl_record *r = fb_add(b, c, (uint8_t)type, amount, bal);
		if (rnd_below(s, 10) == 0)
			r->time = NOW + SKEW - 2 + rnd_below(s, 4);
	}
	if (rnd_below(s, 10) == 0)
		b->f.created = NOW + SKEW - 2 + rnd_below(s, 4);
	b->in.registered_msisdn = di % 2 ? "886912345678" : NULL;
	b->in.src_msisdn = rnd_below(s, 3) == 0 ? NULL : rnd_below(s, 6) ? "+886912345678" : "886900000000";
}

static void init_devs(struct rand_dev *devs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		devs[i].up = 1;
		devs[i].counter = 1000;
		devs[i].balance = 100000;
	}
}

static void assert_same_outcome(const struct txl_outcome *x, const struct txl_outcome *y)
{
	assert_int_equal(x->n, y->n);
	assert_int_equal(x->duplicate, y->duplicate);
	assert_int_equal(x->upload_accepted, y->upload_accepted);
	assert_int_equal(x->repeated, y->repeated);
	assert_int_equal(x->late, y->late);
	assert_int_equal(x->stale, y->stale);
	/* events are zeroed when added, padding and all */
	for (unsigned k = 0; k < x->n; k++)
		assert_memory_equal(&x->ev[k], &y->ev[k], sizeof(x->ev[k]));
}

/* What the journal keeps of one processed frame, applied to m. */
static void reapply(struct ledger *m, const struct fb *b, const struct txl_outcome *o)
{
	if (o->upload_accepted)
		assert_true(ledger_apply_upload(m, b->f.device_id, b->f.upload_seq, b->digest) >= 0);
	for (unsigned k = 0; k < o->n; k++) {
		if (o->ev[k].type != TXL_EV_RECORD)
			continue;
		const struct txl_record *r = &b->f.rec[o->ev[k].rec];
		assert_true(ledger_apply_record(m, b->f.device_id, r->counter, r->balance) >= 0);
	}
}

#define RAND_DEVS	6
#define RAND_FRAMES	3000

/*
 * ledger_process() is "judge, then apply": a ledger rebuilt from the
 * applies alone, one restored from a snapshot taken half-way plus the
 * applies after it, and one restored from that snapshot with the whole
 * journal re-applied over it (applies are idempotent) all hold the same
 * state as the original, and judge further frames alike.  spread 200:
 * the windows slide and old uploads and counters fall out of them.
 */
static void test_reapply_equivalence(void **state)
{
	struct ledger *l = *state;
	struct ledger *m = ledger_alloc(NULL), *r = ledger_alloc(NULL), *j = ledger_alloc(NULL);
	struct rand_dev devs[RAND_DEVS];
	uint64_t s = seed_from_env("reapply");
	struct fb *hist = calloc(RAND_FRAMES, sizeof(*hist));
	struct txl_outcome *ohist = calloc(RAND_FRAMES, sizeof(*ohist));
	struct txl_outcome o1, o2, o3, o4;
	struct buf mid = { 0 };

	assert_non_null(hist);
	assert_non_null(ohist);
	init_devs(devs, RAND_DEVS);
	for (unsigned i = 0; i < RAND_FRAMES; i++) {
		struct fb *b = &hist[i];
		rand_frame(&s, devs, RAND_DEVS, 200, b);
		b->in.f = &b->f;	/* the copy in hist moved */
		b->in.digest = b->digest;
		run(l, b, &ohist[i]);
		reapply(m, b, &ohist[i]);
		if (i == RAND_FRAMES / 2) {
			mid = snap(l);
			assert_int_equal(ledger_restore(r, mid.p, mid.len), 0);
			assert_int_equal(ledger_restore(j, mid.p, mid.len), 0);
		} else if (i > RAND_FRAMES / 2) {
			reapply(r, b, &ohist[i]);
		}
	}
	for (unsigned i = 0; i < RAND_FRAMES; i++)
		reapply(j, &hist[i], &ohist[i]);
	assert_same_state(l, m);
	assert_same_state(l, r);
	assert_same_state(l, j);
	for (unsigned i = 0; i < 500; i++) {
		struct fb b;
		rand_frame(&s, devs, RAND_DEVS, 200, &b);
		run(l, &b, &o1);
		run(m, &b, &o2);
		run(r, &b, &o3);
		run(j, &b, &o4);
		assert_same_outcome(&o1, &o2);
		assert_same_outcome(&o1, &o3);
		assert_same_outcome(&o1, &o4);
	}
	assert_same_state(l, m);
	free(mid.p);
	free(hist);
	free(ohist);
	ledger_free(m);
	ledger_free(r);
	ledger_free(j);
}

/* ---- a reference model: sets with unbounded memory ---- */

#define MODEL_SPAN	(1u << 16)	/* upload_seqs and counters the model can hold */

struct model_dev {
	bool has_up, has_ctr;
	uint32_t max_up, max_ctr, balance;
	uint8_t up_seen[MODEL_SPAN];
	uint8_t up_dig[MODEL_SPAN][LEDGER_DIGEST_LEN];
	uint8_t ctr_seen[MODEL_SPAN];
};

static void model_alert(struct txl_outcome *o, enum txl_alert a, int rec, int64_t x, int64_t y)
{
	struct txl_event *e = txl_outcome_alert(o, a, rec);
	assert_non_null(e);
	switch (a) {
	case TXL_AL_REPLAY:
		e->last_upload = x;
		e->got = y;
		break;
	case TXL_AL_CLOCK_SKEW:
		e->skew_s = x;
		break;
	default:
		e->expected = x;
		e->got = y;
		break;
	}
}

/* Check 5 and the record's clock_skew, straight from txlog-v1.md, for
 * inputs where every counter is within 64 of the max. */
static bool model_record(struct model_dev *md, const struct ledger_input *in, int i, struct txl_outcome *o)
{
	const struct txl_record *r = &in->f->rec[i];
	assert_true(r->counter < MODEL_SPAN);
	if (md->ctr_seen[r->counter]) {
		o->repeated++;
		return false;
	}
	md->ctr_seen[r->counter] = 1;
	struct txl_event *e = txl_outcome_add(o, TXL_EV_RECORD, i);
	if (md->has_ctr && r->counter < md->max_ctr) {
		e->late = true;
		o->late++;
	} else {
		if (md->has_ctr && r->counter == md->max_ctr + 1) {
			int64_t x = md->balance + (int64_t)type_sign_for_test(r->type) * r->amount;
			if (x != r->balance)
				model_alert(o, TXL_AL_BALANCE_MISMATCH, i, x, r->balance);
		} else if (md->has_ctr) {
			model_alert(o, TXL_AL_COUNTER_GAP, i, (int64_t)md->max_ctr + 1, r->counter);
		}
		md->has_ctr = true;
		md->max_ctr = r->counter;
		md->balance = r->balance;
	}
	if ((int64_t)r->time > in->now + in->skew_s) {
		model_alert(o, TXL_AL_CLOCK_SKEW, i, (int64_t)r->time - in->now, 0);
		return true;
	}
	return false;
}

static void model_process(struct model_dev *md, const struct ledger_input *in, struct txl_outcome *o)
{
	const struct txl_frame *f = in->f;
	bool skewed = false;

	txl_outcome_init(o);
	assert_true(f->upload_seq < MODEL_SPAN);
	if (md->up_seen[f->upload_seq]) {
		if (!memcmp(md->up_dig[f->upload_seq], in->digest, LEDGER_DIGEST_LEN)) {
			o->duplicate = true;
			return;
		}
		assert_non_null(txl_outcome_reject(o, TXL_REJ_REPLAY, "x"));
		model_alert(o, TXL_AL_REPLAY, -1, md->max_up, f->upload_seq);
		return;
	}
	md->up_seen[f->upload_seq] = 1;
	memcpy(md->up_dig[f->upload_seq], in->digest, LEDGER_DIGEST_LEN);
	if (!md->has_up || f->upload_seq > md->max_up)
		md->max_up = f->upload_seq;
	md->has_up = true;
	o->upload_accepted = true;
	for (int i = 0; i < f->n_records; i++)
		skewed |= model_record(md, in, i, o);
	const char *src = in->src_msisdn;
	if (src && *src == '+')
		src++;
	if (in->registered_msisdn && *in->registered_msisdn && src && strcmp(src, in->registered_msisdn)) {
		struct txl_event *e = txl_outcome_alert(o, TXL_AL_MSISDN_MISMATCH, -1);
		e->registered = in->registered_msisdn;
		e->src = in->src_msisdn;
	}
	if (!skewed && (int64_t)f->created > in->now + in->skew_s)
		model_alert(o, TXL_AL_CLOCK_SKEW, -1, (int64_t)f->created - in->now, 0);
}

/* The ledger against the model on random frames whose upload_seqs and
 * counters stay within 60 of their maxima, where the windows never lose
 * anything and the model's sets give the answer the spec asks for. */
static void test_model(void **state)
{
	struct ledger *l = *state;
	struct rand_dev devs[RAND_DEVS];
	struct model_dev *md = calloc(RAND_DEVS, sizeof(*md));
	uint64_t s = seed_from_env("model");
	struct txl_outcome o, mo;
	unsigned n_events = 0, n_dup = 0, n_replay = 0;

	assert_non_null(md);
	init_devs(devs, RAND_DEVS);
	for (unsigned i = 0; i < 20000; i++) {
		struct fb b;
		rand_frame(&s, devs, RAND_DEVS, 60, &b);
		run(l, &b, &o);
		model_process(&md[b.f.device_id - 0x1000], &b.in, &mo);
		/* the reject's error text is the ledger's own */
		if (mo.n && mo.ev[0].type == TXL_EV_REJECT) {
			assert_non_null(o.ev[0].error);
			mo.ev[0].error = o.ev[0].error;
			n_replay++;
		}
		assert_same_outcome(&o, &mo);
		n_events += o.n;
		n_dup += o.duplicate;
	}
	/* the inputs did reach every branch */
	assert_true(n_dup > 100);
	assert_true(n_replay > 100);
	assert_true(n_events > 20000);
	free(md);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		T(test_first_record_baseline),
		T(test_vector_ecdsa3),
		T(test_balance_each_type),
		T(test_balance_mismatch),
		T(test_counter_gap),
		T(test_u32_edges),
		T(test_counter_window_edges),
		T(test_repeat_within_frame),
		T(test_duplicate),
		T(test_replay),
		T(test_upload_window_edges),
		T(test_upload_out_of_order),
		T(test_upload_full_window),
		T(test_msisdn),
		T(test_clock_skew_record),
		T(test_clock_skew_frame),
		T(test_invalid_frames),
		T(test_apply_returns),
		cmocka_unit_test(test_crc32),
		T(test_snapshot_roundtrip),
		T(test_restore_strict),
		T(test_reapply_equivalence),
		T(test_model),
	};
#undef T
	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
