/*
 * test_frame.c — TXLOG v1 frame codec (txlog-v1.md "Frame", "Malformed"):
 * the vectors, every malformed case, name tables, a seeded round trip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "gateway/txlog/frame.h"
#include "tests/unit/txlog_vectors.h"

static struct tv_set vectors;

/* A valid frame to mutate: frame-ed25519-1 (112 bytes, one purchase). */
static uint8_t base[TXL_MAX_LEN];
static int base_len;

static int setup(void **state)
{
	const struct tv *v;

	if (tv_load(&vectors) < 4)
		return -1;
	v = tv_find(&vectors, "frame-ed25519-1");
	if (!v)
		return -1;
	base_len = tv_hex(v->frame, base, sizeof(base));
	return base_len == TXL_MIN_LEN ? 0 : -1;
}

static int teardown(void **state)
{
	tv_free(&vectors);
	return 0;
}

/* Every vector with a frame decodes, or not, as its "what" says; the
 * digest of a frame is the vector's sha256. */
static void test_vectors(void **state)
{
	static uint8_t buf[TXL_MAX_LEN + 8];
	struct txl_frame f;
	const char *why;
	int i, n, checked = 0;

	for (i = 0; i < vectors.n; i++) {
		const struct tv *v = &vectors.v[i];

		if (!v->frame)
			continue;
		n = tv_hex(v->frame, buf, sizeof(buf));
		assert_true(n > 0);
		int rc = txl_frame_decode(&f, buf, (size_t)n, &why);
		if (tv_outcome(v) == TV_MALFORMED) {
			assert_int_equal(rc, -EINVAL);
			assert_true(why[0] != '\0');
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(f.signed_len, (size_t)n - TXL_SIG_LEN);
			assert_memory_equal(f.sig, buf + n - TXL_SIG_LEN, TXL_SIG_LEN);
		}
		if (v->sha256) {
			char hex[65];

			tv_sha256_hex(buf, (size_t)n, hex);
			assert_string_equal(hex, v->sha256);
		}
		checked++;
	}
	assert_int_equal(checked, 4);
}

/* frame-ed25519-1 field by field (txlog-v1.md "Header", "Record"). */
static void test_ed25519_fields(void **state)
{
	struct txl_frame f;

	assert_int_equal(txl_frame_decode(&f, base, (size_t)base_len, NULL), 0);
	assert_int_equal(f.version, 1);
	assert_int_equal(f.alg, TXL_ALG_ED25519);
	assert_true(f.device_id == 0x00112233aabbccddULL);
	assert_int_equal(f.key_id, 1);
	assert_int_equal(f.upload_seq, 1);
	assert_int_equal(f.created, 0x69260994);
	assert_int_equal(f.n_records, 1);
	assert_int_equal(f.rec[0].counter, 1001);
	assert_int_equal(f.rec[0].type, TXL_T_PURCHASE);
	assert_int_equal(f.rec[0].time, 0x69260b89);
	assert_int_equal(f.rec[0].currency, 901);
	assert_int_equal(f.rec[0].amount, 12500);
	/* README: balances continue from 100000; a purchase takes amount off */
	assert_int_equal(f.rec[0].balance, 100000 - 12500);
	assert_true(f.rec[0].peer == 0xabcdef);
	assert_int_equal(f.rec[0].item_len, 0);
	assert_int_equal(f.signed_len, 48);
}

/* frame-ecdsa-3: three records with items, continuing from counter 7. */
static void test_ecdsa_fields(void **state)
{
	const struct tv *v = tv_find(&vectors, "frame-ecdsa-3");
	uint8_t buf[TXL_MAX_LEN];
	struct txl_frame f;
	int n;

	assert_non_null(v);
	n = tv_hex(v->frame, buf, sizeof(buf));
	assert_int_equal(txl_frame_decode(&f, buf, (size_t)n, NULL), 0);
	assert_int_equal(f.alg, TXL_ALG_ECDSA_P256);
	assert_true(f.device_id == 0x0a0b0c0d0e0f1011ULL);
	assert_int_equal(f.key_id, 3);
	assert_int_equal(f.n_records, 3);
	assert_int_equal(f.rec[0].type, TXL_T_TOPUP);
	assert_int_equal(f.rec[0].counter, 8);
	assert_int_equal(f.rec[0].balance, 50000 + f.rec[0].amount);
	assert_int_equal(f.rec[1].type, TXL_T_VOUCHER_BUY);
	assert_int_equal(f.rec[1].balance, f.rec[0].balance - f.rec[1].amount);
	assert_int_equal(f.rec[1].item_len, 11);
	assert_memory_equal(f.rec[1].item, "TICKET-0042", 11);
	assert_int_equal(f.rec[2].type, TXL_T_VOUCHER_SEND);
	assert_int_equal(f.rec[2].amount, 0);
	assert_int_equal(f.rec[2].balance, f.rec[1].balance);
	assert_true(f.rec[2].peer == 0x00112233aabbccddULL);
	assert_int_equal(f.signed_len, (size_t)n - 64);
}

/* Decode then encode gives back the signed bytes. */
static void test_encode_vectors(void **state)
{
	const char *names[] = { "frame-ed25519-1", "frame-ecdsa-3" };
	uint8_t buf[TXL_MAX_LEN], out[TXL_MAX_LEN];
	struct txl_frame f;
	size_t i;

	for (i = 0; i < 2; i++) {
		int n = tv_hex(tv_find(&vectors, names[i])->frame, buf, sizeof(buf));

		assert_int_equal(txl_frame_decode(&f, buf, (size_t)n, NULL), 0);
		assert_int_equal(txl_frame_encode(out, sizeof(out), &f), n - 64);
		assert_memory_equal(out, buf, (size_t)n - 64);
		assert_int_equal(txl_frame_encode(out, (size_t)n - 65, &f), -ENOSPC);
	}
	f.n_records = 0;
	assert_int_equal(txl_frame_encode(out, sizeof(out), &f), -EINVAL);
	f.n_records = 1;
	f.rec[0].item_len = 33;
	assert_int_equal(txl_frame_encode(out, sizeof(out), &f), -EINVAL);
}

struct bad_case {
	const char *name;
	size_t off;		/* byte to set in a copy of base, or SIZE_MAX */
	uint8_t val;
	int len_delta;		/* bytes added (zeros) or cut at the end */
	int rc;
	const char *why, *detail;
};

/* txlog-v1.md "Malformed", one case each.  Offsets: header 0..19, record
 * at 20 (type 24, amount 31..34, item_len 47). */
static const struct bad_case bad_cases[] = {
	{ "short", SIZE_MAX, 0, -1, -EIO, "frame is shorter than 112 bytes",
	  "frame is 111 bytes, shorter than 112" },
	{ "version 2", 0, 2, 0, -EINVAL, "version is not 1", "version is 2, not 1" },
	{ "version 0", 0, 0, 0, -EINVAL, "version is not 1", "version is 0, not 1" },
	{ "alg 0", 1, 0, 0, -EINVAL, "alg is not 1 or 2", "alg is 0, not 1 or 2" },
	{ "alg 3", 1, 3, 0, -EINVAL, "alg is not 1 or 2", "alg is 3, not 1 or 2" },
	{ "n_records 0", 19, 0, 0, -EINVAL, "n_records is 0", "n_records is 0" },
	{ "n_records 33", 19, 33, 0, -EINVAL, "n_records is over 32", "n_records is 33, over 32" },
	{ "n_records 255", 19, 255, 0, -EINVAL, "n_records is over 32", "n_records is 255, over 32" },
	{ "type 0", 24, 0, 0, -EINVAL, "unknown record type", "record 1: unknown type 0" },
	{ "type 10", 24, 10, 0, -EINVAL, "unknown record type", "record 1: unknown type 10" },
	{ "type 12", 24, 12, 0, -EINVAL, "unknown record type", "record 1: unknown type 12" },
	{ "item_len 33", 47, 33, 0, -EINVAL, "item_len is over 32", "record 1: item_len 33 is over 32" },
	{ "item_len 1", 47, 1, 0, -EIO, "frame is shorter than its records and signature",
	  "frame is 1 byte shorter than its records" },
	{ "one byte more", SIZE_MAX, 0, 1, -EINVAL, "frame is longer than its records and signature",
	  "frame is 1 byte longer than its records" },
	{ "seven bytes more", SIZE_MAX, 0, 7, -EINVAL, "frame is longer than its records and signature",
	  "frame is 7 bytes longer than its records" },
	{ "voucher_send amount", 24, 7, 0, -EINVAL, "voucher_send/voucher_recv with non-zero amount",
	  "record 1: voucher_send/recv with amount 12500" },
	{ "voucher_recv amount", 24, 8, 0, -EINVAL, "voucher_send/voucher_recv with non-zero amount",
	  "record 1: voucher_send/recv with amount 12500" },
};

static void test_malformed(void **state)
{
	uint8_t buf[TXL_MAX_LEN + 16];
	char detail[TXL_WHY_LEN];
	struct txl_frame f;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len = (size_t)(base_len + c->len_delta);

		memset(buf, 0, sizeof(buf));
		memcpy(buf, base, (size_t)base_len);
		if (c->off != SIZE_MAX)
			buf[c->off] = c->val;
		print_message("case %s\n", c->name);
		assert_int_equal(txl_frame_decode(&f, buf, len, &why), c->rc);
		assert_string_equal(why, c->why);
		assert_int_equal(txl_frame_explain(&f, buf, len, detail, sizeof(detail)), c->rc);
		assert_string_equal(detail, c->detail);
		/* the header still names the device (len >= 20) */
		assert_true(f.device_id == 0x00112233aabbccddULL);
		assert_int_equal(f.key_id, 1);
	}
}

/* Records running into the signature: n_records says more than there
 * are.  A 2-record frame (140 bytes) whose signature bytes are all 0x01
 * reads as records of type 1 with a 1-byte item (29 bytes each). */
static void test_records_overrun(void **state)
{
	uint8_t buf[TXL_MAX_LEN];
	char why[TXL_WHY_LEN];
	struct txl_frame f;
	const char *w;
	int n;

	memset(&f, 0, sizeof(f));
	f.version = 1;
	f.alg = TXL_ALG_ED25519;
	f.n_records = 2;
	f.rec[0].type = f.rec[1].type = TXL_T_TOPUP;
	n = txl_frame_encode(buf, sizeof(buf), &f);
	assert_int_equal(n, 76);
	memset(buf + n, 0x01, TXL_SIG_LEN);
	assert_int_equal(txl_frame_decode(&f, buf, 140, &w), 0);
	/* record 3 = bytes 76..104, leaving 35 bytes for the signature */
	buf[19] = 3;
	assert_int_equal(txl_frame_explain(&f, buf, 140, why, sizeof(why)), -EIO);
	assert_string_equal(why, "frame is 29 bytes shorter than its records");
	assert_int_equal(txl_frame_decode(&f, buf, 140, &w), -EIO);
	assert_string_equal(w, "frame is shorter than its records and signature");
	/* record 4 = 105..133, record 5 starts at 134 and is cut */
	buf[19] = 5;
	assert_int_equal(txl_frame_explain(&f, buf, 140, why, sizeof(why)), -EIO);
	assert_string_equal(why, "frame ends inside record 5");
	assert_int_equal(txl_frame_decode(&f, buf, 140, &w), -EIO);
	assert_string_equal(w, "frame ends inside a record");
}

/* voucher_send with amount 0 is fine; and a 20-byte buffer peeks. */
static void test_voucher_zero_and_peek(void **state)
{
	uint8_t buf[TXL_MAX_LEN];
	struct txl_frame f;
	char why[TXL_WHY_LEN];

	memcpy(buf, base, (size_t)base_len);
	buf[24] = TXL_T_VOUCHER_RECV;
	memset(buf + 31, 0, 4);
	assert_int_equal(txl_frame_explain(&f, buf, (size_t)base_len, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(txl_header_peek(&f, buf, 19), -EIO);
	assert_int_equal(txl_header_peek(&f, buf, 20), 0);
	assert_true(f.device_id == 0x00112233aabbccddULL);
	assert_int_equal(f.n_records, 1);
	assert_int_equal(txl_frame_decode(&f, buf, 0, NULL), -EIO);
	assert_int_equal(txl_frame_decode(&f, NULL, 0, NULL), -EIO);
}

/* A frame of 32 records of 32-byte items is TXL_MAX_LEN and decodes; the
 * truncation of every length fails without reading out of bounds. */
static void test_max_and_truncations(void **state)
{
	uint8_t buf[TXL_MAX_LEN], *heap;
	struct txl_frame f, g;
	int i, n;

	memset(&f, 0, sizeof(f));
	f.version = 1;
	f.alg = 2;
	f.n_records = 32;
	for (i = 0; i < 32; i++) {
		f.rec[i].type = (uint8_t)(1 + i % 6);
		f.rec[i].item_len = 32;
		memset(f.rec[i].item, i, 32);
	}
	n = txl_frame_encode(buf, sizeof(buf), &f);
	assert_int_equal(n, TXL_MAX_LEN - TXL_SIG_LEN);
	assert_int_equal(txl_frame_decode(&g, buf, TXL_MAX_LEN, NULL), 0);
	assert_int_equal(g.n_records, 32);
	assert_memory_equal(g.rec[31].item, f.rec[31].item, 32);
	for (n = 0; n < TXL_MAX_LEN; n++) {
		/* an exact-size heap copy lets ASan see any over-read */
		heap = malloc((size_t)n + 1);
		memcpy(heap, buf, (size_t)n);
		assert_true(txl_frame_decode(&g, heap, (size_t)n, NULL) < 0);
		free(heap);
	}
}

static void test_names(void **state)
{
	static const char *const names[] = { NULL, "purchase", "topup", "voucher_buy", "transfer_out",
		"transfer_in", "redeem", "voucher_send", "voucher_recv", "refund" };
	static const int effects[] = { 0, -1, +1, -1, -1, +1, +1, 0, 0, +1 };
	int t;

	for (t = 1; t <= 9; t++) {
		assert_string_equal(txl_type_name((uint8_t)t), names[t]);
		assert_int_equal(txl_type_effect((uint8_t)t), effects[t]);
	}
	assert_null(txl_type_name(0));
	assert_null(txl_type_name(10));
	assert_null(txl_type_name(255));
	assert_int_equal(txl_type_effect(200), 0);
	assert_string_equal(txl_alg_name(1), "ecdsa-p256");
	assert_string_equal(txl_alg_name(2), "ed25519");
	assert_null(txl_alg_name(0));
	assert_string_equal(txl_currency_code(978), "EUR");
	assert_string_equal(txl_currency_code(840), "USD");
	assert_string_equal(txl_currency_code(901), "TWD");
	assert_string_equal(txl_currency_code(826), "GBP");
	assert_string_equal(txl_currency_code(392), "JPY");
	assert_string_equal(txl_currency_code(156), "CNY");
	assert_string_equal(txl_currency_code(344), "HKD");
	assert_string_equal(txl_currency_code(410), "KRW");
	assert_string_equal(txl_currency_code(702), "SGD");
	assert_string_equal(txl_currency_code(756), "CHF");
	assert_string_equal(txl_currency_code(36), "AUD");
	assert_string_equal(txl_currency_code(124), "CAD");
	assert_string_equal(txl_currency_code(356), "INR");
	assert_null(txl_currency_code(0));
	assert_null(txl_currency_code(999));
}

static void assert_frames_equal(const struct txl_frame *a, const struct txl_frame *b)
{
	int i;

	assert_int_equal(a->version, b->version);
	assert_int_equal(a->alg, b->alg);
	assert_true(a->device_id == b->device_id);
	assert_int_equal(a->key_id, b->key_id);
	assert_int_equal(a->upload_seq, b->upload_seq);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->n_records, b->n_records);
	for (i = 0; i < a->n_records; i++) {
		const struct txl_record *x = &a->rec[i], *y = &b->rec[i];

		assert_int_equal(x->counter, y->counter);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->time, y->time);
		assert_int_equal(x->currency, y->currency);
		assert_int_equal(x->amount, y->amount);
		assert_int_equal(x->balance, y->balance);
		assert_true(x->peer == y->peer);
		assert_int_equal(x->item_len, y->item_len);
		assert_memory_equal(x->item, y->item, x->item_len);
	}
	assert_int_equal(a->signed_len, b->signed_len);
	assert_memory_equal(a->sig, b->sig, TXL_SIG_LEN);
}

/* Seeded random frames: encode, append a signature, decode, compare. */
static void test_random_roundtrip(void **state)
{
	uint8_t buf[TXL_MAX_LEN];
	struct txl_frame f, g;
	int iter, i, n;

	srand((unsigned)test_seed());
	for (iter = 0; iter < 2000; iter++) {
		memset(&f, 0, sizeof(f));
		f.version = 1;
		f.alg = (uint8_t)(1 + rand() % 2);
		f.device_id = (uint64_t)rand() << 33 ^ (uint64_t)rand();
		f.key_id = (uint8_t)rand();
		f.upload_seq = (uint32_t)rand();
		f.created = (uint32_t)rand();
		f.n_records = (uint8_t)(1 + rand() % 32);
		for (i = 0; i < f.n_records; i++) {
			struct txl_record *r = &f.rec[i];

			r->counter = (uint32_t)rand();
			r->type = (uint8_t)(1 + rand() % 9);
			r->time = (uint32_t)rand();
			r->currency = (uint16_t)rand();
			r->amount = r->type == 7 || r->type == 8 ? 0 : (uint32_t)rand();
			r->balance = (uint32_t)rand();
			r->peer = (uint64_t)rand() << 31 ^ (uint64_t)rand();
			r->item_len = (uint8_t)(rand() % 33);
			for (int k = 0; k < r->item_len; k++)
				r->item[k] = (uint8_t)rand();
		}
		n = txl_frame_encode(buf, sizeof(buf), &f);
		assert_true(n > 0);
		for (i = 0; i < TXL_SIG_LEN; i++)
			f.sig[i] = buf[n + i] = (uint8_t)rand();
		f.signed_len = (size_t)n;
		assert_int_equal(txl_frame_decode(&g, buf, (size_t)n + TXL_SIG_LEN, NULL), 0);
		assert_frames_equal(&g, &f);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_ed25519_fields),
		cmocka_unit_test(test_ecdsa_fields),
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_records_overrun),
		cmocka_unit_test(test_voucher_zero_and_peek),
		cmocka_unit_test(test_max_and_truncations),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_random_roundtrip),
	};

	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, setup, teardown));
}
