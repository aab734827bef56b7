/*
 * test_ledger.c — the per-device ledger, TXLOG checks 4-7 (txlog-v1.md,
 * "What the gateway checks, per device") and its applies.  Snapshot,
 * restore and the random sequences are in test_ledger_state.c.
 */
#include "tests/unit/test_ledger_fixture.h"
#include "tests/unit/cmocka_main.h"


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

int main(int argc, char **argv)
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
	};
#undef T
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("ledger", tests, NULL, NULL));
}
