/*
 * test_bus_msg.c — the bus payloads (bus.md "Topics and payloads"): exact
 * JSON for every topic and alert kind, escaping, currencies, times.
 *
 * The random time test is seeded (test_seed(): TXGW_TEST_SEED repeats it).
 */
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

#include "gateway/bus/bus_msg.h"

/* SHA-256("test"), whose first digits bus.md's example shows ("9f86...") */
static const uint8_t digest[32] = {
	0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0,
	0xc5, 0x5a, 0xd0, 0x15, 0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c,
	0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08,
};
#define DIGEST_HEX "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* bus.md's example: seq 7 from gw1, SMS from 886912345678, received
 * 2026-11-25T22:00:00.123Z */
static const struct bus_common ex_common = {
	.seq = 7, .gw = "gw1", .bearer = "sms", .src = "886912345678",
	.rx_ms = 1795644000123LL,
};
#define EX_COMMON "{\"v\":1,\"seq\":7,\"gw\":\"gw1\",\"bearer\":\"sms\"," \
	"\"src\":\"886912345678\",\"rx\":\"2026-11-25T22:00:00.123Z\""

static void example_frame(struct txl_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->version = 1;
	f->alg = TXL_ALG_ED25519;
	f->device_id = 0x00112233aabbccddULL;
	f->key_id = 1;
	f->upload_seq = 42;
	f->n_records = 2;
	f->rec[0] = (struct txl_record){
		.counter = 1001, .type = TXL_T_PURCHASE, .time = 1795643998,
		.currency = 901, .amount = 12500, .balance = 87500, .peer = 0xabcdef,
	};
	f->rec[1] = (struct txl_record){
		.counter = 1002, .type = TXL_T_VOUCHER_BUY, .time = 4294967295u,
		.currency = 999, .amount = 4294967295u, .balance = 0,
		.peer = 0xffffffffffffffffULL, .item_len = 3, .item = { 0x00, 0xab, 0xff },
	};
}

/* bus.md's example line, field for field; the example stops before "late"
 * (its table's last field), which we always write. */
static void test_record_example(void **state)
{
	struct txl_frame f;
	struct jw w;

	example_frame(&f);
	jw_init(&w, 0);
	assert_int_equal(bus_msg_record(&w, &ex_common, &f, 0, digest, false), 0);
	assert_string_equal(w.buf, EX_COMMON ",\"device\":\"00112233aabbccdd\",\"key\":1,"
		"\"upload\":42,\"frame\":\"" DIGEST_HEX "\",\"counter\":1001,\"type\":\"purchase\","
		"\"time\":\"2026-11-25T21:59:58Z\",\"currency\":\"TWD\",\"amount\":12500,"
		"\"balance\":87500,\"peer\":\"0000000000abcdef\",\"item\":\"\",\"late\":false}");
	assert_int_equal(w.len, strlen(w.buf));

	/* the second record: item, extremes, unknown currency, late */
	jw_reset(&w);
	assert_int_equal(bus_msg_record(&w, &ex_common, &f, 1, digest, true), 0);
	assert_string_equal(w.buf, EX_COMMON ",\"device\":\"00112233aabbccdd\",\"key\":1,"
		"\"upload\":42,\"frame\":\"" DIGEST_HEX "\",\"counter\":1002,\"type\":\"voucher_buy\","
		"\"time\":\"2106-02-07T06:28:15Z\",\"currency\":\"999\",\"amount\":4294967295,"
		"\"balance\":0,\"peer\":\"ffffffffffffffff\",\"item\":\"00abff\",\"late\":true}");
	jw_free(&w);
}

static void test_record_refused(void **state)
{
	struct txl_frame f;
	struct bus_common c = ex_common;
	struct jw w;

	example_frame(&f);
	jw_init(&w, 0);
	assert_int_equal(bus_msg_record(&w, &c, &f, 2, digest, false), -EINVAL);
	f.rec[0].type = 10;
	assert_int_equal(bus_msg_record(&w, &c, &f, 0, digest, false), -EINVAL);
	f.rec[0].type = 0;
	assert_int_equal(bus_msg_record(&w, &c, &f, 0, digest, false), -EINVAL);
	f.rec[0].type = TXL_T_REFUND;
	c.bearer = "mms";
	assert_int_equal(bus_msg_record(&w, &c, &f, 0, digest, false), -EINVAL);
	c.bearer = NULL;
	assert_int_equal(bus_msg_record(&w, &c, &f, 0, digest, false), -EINVAL);
	c = ex_common;
	c.rx_ms = 253402300800000LL;	/* year 10000 */
	assert_int_equal(bus_msg_record(&w, &c, &f, 0, digest, false), -ERANGE);
	jw_free(&w);

	/* the writer's cap surfaces as -ENOSPC */
	jw_init(&w, 100);
	assert_int_equal(bus_msg_record(&w, &ex_common, &f, 0, digest, false), -ENOSPC);
	jw_free(&w);
}

static void test_type_names(void **state)
{
	static const char *const names[] = { NULL, "purchase", "topup", "voucher_buy",
		"transfer_out", "transfer_in", "redeem", "voucher_send", "voucher_recv", "refund" };

	for (unsigned t = 1; t <= 9; t++)
		assert_string_equal(bus_type_name((uint8_t)t), names[t]);
	assert_null(bus_type_name(0));
	assert_null(bus_type_name(10));
	assert_null(bus_type_name(255));
}

static void test_currency(void **state)
{
	static const struct { uint16_t n; const char *s; } tab[] = {
		{ 978, "EUR" }, { 840, "USD" }, { 901, "TWD" }, { 826, "GBP" }, { 392, "JPY" },
		{ 156, "CNY" }, { 344, "HKD" }, { 410, "KRW" }, { 702, "SGD" }, { 756, "CHF" },
		{ 36, "AUD" }, { 124, "CAD" }, { 356, "INR" }, { 458, "MYR" }, { 764, "THB" },
		{ 608, "PHP" }, { 360, "IDR" }, { 704, "VND" }, { 554, "NZD" }, { 752, "SEK" },
		{ 578, "NOK" }, { 208, "DKK" }, { 985, "PLN" }, { 203, "CZK" }, { 348, "HUF" },
		{ 643, "RUB" }, { 949, "TRY" }, { 986, "BRL" }, { 484, "MXN" }, { 710, "ZAR" },
		{ 784, "AED" }, { 682, "SAR" }, { 376, "ILS" },
		/* not in the table: the number */
		{ 999, "999" }, { 0, "0" }, { 1, "1" }, { 977, "977" }, { 65535, "65535" },
	};
	char buf[8];

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		bus_currency_str(buf, sizeof(buf), tab[i].n);
		assert_string_equal(buf, tab[i].s);
	}
	assert_null(bus_currency_alpha(999));
	assert_string_equal(bus_currency_alpha(978), "EUR");
}

static void test_times(void **state)
{
	static const struct { int64_t ms; const char *s; } tab[] = {
		{ 1795644000123LL, "2026-11-25T22:00:00.123Z" },
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ -1000, "1969-12-31T23:59:59.000Z" },
		{ -1001, "1969-12-31T23:59:58.999Z" },
		{ 951825600000LL, "2000-02-29T12:00:00.000Z" },
		{ 4107542399999LL, "2100-02-28T23:59:59.999Z" },
		{ 4107542400000LL, "2100-03-01T00:00:00.000Z" },
		{ -62167219200000LL, "0000-01-01T00:00:00.000Z" },
		{ 253402300799999LL, "9999-12-31T23:59:59.999Z" },
	};
	char buf[BUS_TIME_MS_LEN];

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		assert_int_equal(bus_fmt_time_ms(buf, tab[i].ms), 0);
		assert_string_equal(buf, tab[i].s);
	}
	assert_int_equal(bus_fmt_time_ms(buf, -62167219200001LL), -ERANGE);
	assert_int_equal(bus_fmt_time_ms(buf, 253402300800000LL), -ERANGE);
	assert_int_equal(bus_fmt_time_ms(buf, INT64_MIN), -ERANGE);
	assert_int_equal(bus_fmt_time_ms(buf, INT64_MAX), -ERANGE);

	char s[BUS_TIME_S_LEN];
	assert_int_equal(bus_fmt_time_s(s, 1795643998), 0);
	assert_string_equal(s, "2026-11-25T21:59:58Z");
	assert_int_equal(bus_fmt_time_s(s, 253402300800LL), -ERANGE);
}

/* Our calendar against the C library's over random instants. */
static void test_times_random(void **state)
{
	unsigned seed = (unsigned)test_seed();
	char ours[BUS_TIME_S_LEN], libc[80];

	srandom(seed);
	for (int i = 0; i < 200000; i++) {
		/* years 0000..9999 */
		int64_t span = 253402300800LL + 62167219200LL;
		int64_t s = (int64_t)(((uint64_t)random() << 31 ^ (uint64_t)random()) % (uint64_t)span)
			- 62167219200LL;
		time_t t = (time_t)s;
		struct tm tm;
		assert_non_null(gmtime_r(&t, &tm));
		snprintf(libc, sizeof(libc), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		assert_int_equal(bus_fmt_time_s(ours, s), 0);
		if (strcmp(ours, libc))
			fail_msg("seed %u: %lld gives %s, libc %s", seed, (long long)s, ours, libc);
	}
}

static void test_alerts(void **state)
{
	static const struct {
		const char *kind;
		bool has_counter;
		struct bus_detail d;
		const char *json;
	} tab[] = {
		{ "counter_gap", true, { 2, { { "expected", NULL, 1002 }, { "got", NULL, 1005 } } },
		  "\"kind\":\"counter_gap\",\"device\":\"00112233aabbccdd\",\"frame\":\"" DIGEST_HEX
		  "\",\"counter\":1005,\"detail\":{\"expected\":1002,\"got\":1005}}" },
		{ "balance_mismatch", true, { 2, { { "expected", NULL, 87500 }, { "got", NULL, -3 } } },
		  "\"kind\":\"balance_mismatch\",\"device\":\"00112233aabbccdd\",\"frame\":\"" DIGEST_HEX
		  "\",\"counter\":1005,\"detail\":{\"expected\":87500,\"got\":-3}}" },
		{ "replay", false, { 2, { { "last_upload", NULL, 42 }, { "got", NULL, 41 } } },
		  "\"kind\":\"replay\",\"device\":\"00112233aabbccdd\",\"frame\":\"" DIGEST_HEX
		  "\",\"detail\":{\"last_upload\":42,\"got\":41}}" },
		{ "msisdn_mismatch", false,
		  { 2, { { "registered", "+886912345678", 0 }, { "got", "886900000000", 0 } } },
		  "\"kind\":\"msisdn_mismatch\",\"device\":\"00112233aabbccdd\",\"frame\":\"" DIGEST_HEX
		  "\",\"detail\":{\"registered\":\"+886912345678\",\"got\":\"886900000000\"}}" },
		{ "clock_skew", true, { 1, { { "skew_s", NULL, 90061 } } },
		  "\"kind\":\"clock_skew\",\"device\":\"00112233aabbccdd\",\"frame\":\"" DIGEST_HEX
		  "\",\"counter\":1005,\"detail\":{\"skew_s\":90061}}" },
		{ "revoked_device", false, { 0 },
		  "\"kind\":\"revoked_device\",\"device\":\"00112233aabbccdd\",\"frame\":\"" DIGEST_HEX
		  "\",\"detail\":{}}" },
	};
	struct jw w;

	jw_init(&w, 0);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		jw_reset(&w);
		assert_int_equal(bus_msg_alert(&w, &ex_common, tab[i].kind, 0x00112233aabbccddULL,
					       digest, tab[i].has_counter, 1005, &tab[i].d), 0);
		assert_memory_equal(w.buf, EX_COMMON ",", strlen(EX_COMMON ","));
		assert_string_equal(w.buf + strlen(EX_COMMON ","), tab[i].json);
	}
	/* no detail at all is {} too */
	jw_reset(&w);
	assert_int_equal(bus_msg_alert(&w, &ex_common, "revoked_device", 1, digest, false, 0, NULL), 0);
	assert_non_null(strstr(w.buf, "\"device\":\"0000000000000001\","));
	assert_non_null(strstr(w.buf, ",\"detail\":{}}"));

	struct bus_detail three = { 3, { { "a", NULL, 1 }, { "b", NULL, 2 } } };
	struct bus_detail nokey = { 1, { { NULL, NULL, 1 } } };
	assert_int_equal(bus_msg_alert(&w, &ex_common, "gap", 1, digest, false, 0, NULL), -EINVAL);
	assert_int_equal(bus_msg_alert(&w, &ex_common, NULL, 1, digest, false, 0, NULL), -EINVAL);
	assert_int_equal(bus_msg_alert(&w, &ex_common, "replay", 1, digest, false, 0, &three), -EINVAL);
	jw_reset(&w);
	assert_int_equal(bus_msg_alert(&w, &ex_common, "replay", 1, digest, false, 0, &nokey), -EINVAL);
	jw_free(&w);
}

static void test_rejects(void **state)
{
	struct bus_common c = ex_common;
	uint8_t raw[600];
	struct jw w;

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)i;
	c.bearer = "smtp";
	c.src = "alice@example.org";
	jw_init(&w, 0);
	assert_int_equal(bus_msg_reject(&w, &c, "bad_signature", true, 0x00112233aabbccddULL,
					digest, (const uint8_t *)"\x01\x02\xff", 3,
					"signature does not verify"), 0);
	assert_string_equal(w.buf, "{\"v\":1,\"seq\":7,\"gw\":\"gw1\",\"bearer\":\"smtp\","
		"\"src\":\"alice@example.org\",\"rx\":\"2026-11-25T22:00:00.123Z\","
		"\"reason\":\"bad_signature\",\"device\":\"00112233aabbccdd\",\"frame\":\"" DIGEST_HEX
		"\",\"raw\":\"AQL/\",\"error\":\"signature does not verify\"}");

	/* header unreadable, no frame: device and frame absent */
	jw_reset(&w);
	assert_int_equal(bus_msg_reject(&w, &ex_common, "not_txlog", false, 0, NULL,
					(const uint8_t *)"hi", 2, "no frame"), 0);
	assert_string_equal(w.buf, EX_COMMON ",\"reason\":\"not_txlog\",\"raw\":\"aGk=\","
		"\"error\":\"no frame\"}");

	/* empty raw */
	jw_reset(&w);
	assert_int_equal(bus_msg_reject(&w, &ex_common, "malformed", false, 0, NULL, NULL, 0,
					"n_records is 0"), 0);
	assert_string_equal(w.buf, EX_COMMON ",\"reason\":\"malformed\",\"raw\":\"\","
		"\"error\":\"n_records is 0\"}");

	/* raw is cut to 512 bytes: 684 base64 characters (512 = 3*170 + 2) */
	jw_reset(&w);
	assert_int_equal(bus_msg_reject(&w, &ex_common, "malformed", false, 0, NULL, raw,
					sizeof(raw), "x"), 0);
	const char *b = strstr(w.buf, "\"raw\":\"") + 7;
	const char *e = strchr(b, '"');
	assert_int_equal(e - b, 684);
	assert_memory_equal(e - 4, "/v8=", 4);	/* bytes 510, 511 = fe ff, padded */

	static const char *const reasons[] = { "malformed", "unknown_device", "bad_signature",
		"revoked", "replay", "not_txlog" };
	for (size_t i = 0; i < 6; i++) {
		jw_reset(&w);
		assert_int_equal(bus_msg_reject(&w, &ex_common, reasons[i], false, 0, NULL, raw, 1, "e"), 0);
	}
	assert_int_equal(bus_msg_reject(&w, &ex_common, "duplicate", false, 0, NULL, raw, 1, "e"), -EINVAL);
	assert_int_equal(bus_msg_reject(&w, &ex_common, "replay", false, 0, NULL, raw, 1, NULL), -EINVAL);
	assert_int_equal(bus_msg_reject(&w, &ex_common, "replay", false, 0, NULL, NULL, 1, "e"), -EINVAL);
	jw_free(&w);
}

/* src is sender-controlled: control characters escaped, invalid UTF-8 made
 * U+FFFD, valid UTF-8 kept. */
static void test_src_escaping(void **state)
{
	struct bus_common c = ex_common;
	struct jw w;

	c.src = "a\"b\\c\n\x01\x7f\xff\xc3\xa9\xe6\x97\xa5";
	jw_init(&w, 0);
	assert_int_equal(bus_msg_reject(&w, &c, "not_txlog", false, 0, NULL, NULL, 0, "t\tab"), 0);
	assert_string_equal(w.buf, "{\"v\":1,\"seq\":7,\"gw\":\"gw1\",\"bearer\":\"sms\","
		"\"src\":\"a\\\"b\\\\c\\n\\u0001\\u007f\xef\xbf\xbd\xc3\xa9\xe6\x97\xa5\","
		"\"rx\":\"2026-11-25T22:00:00.123Z\",\"reason\":\"not_txlog\",\"raw\":\"\","
		"\"error\":\"t\\tab\"}");
	assert_null(strchr(w.buf, '\n'));
	jw_free(&w);
}

/* seq and big numbers at their extremes. */
static void test_common_extremes(void **state)
{
	struct bus_common c = ex_common;
	struct jw w;

	c.seq = UINT64_MAX;
	c.gw = "";
	c.src = "";
	jw_init(&w, 0);
	assert_int_equal(bus_msg_reject(&w, &c, "replay", true, UINT64_MAX, digest, NULL, 0, ""), 0);
	assert_non_null(strstr(w.buf, "{\"v\":1,\"seq\":18446744073709551615,\"gw\":\"\","));
	assert_non_null(strstr(w.buf, "\"device\":\"ffffffffffffffff\""));
	jw_free(&w);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_example),
		cmocka_unit_test(test_record_refused),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_currency),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_times_random),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_src_escaping),
		cmocka_unit_test(test_common_extremes),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
