/*
 * test_outbox_req.c — the downlink's pure parts, without an engine: the
 * SEND request parser's id, address and time rules (gateway/engine/
 * outbox_req.h), a mail payload at its limits, and the DL_* journal
 * records (jrec.h) round trip and refusals.  The outbox itself, inside an
 * engine, is test_outbox.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/bus/bus_msg_downlink.h"
#include "gateway/engine/jrec.h"
#include "gateway/engine/outbox_req.h"
#include "gateway/txlog/armour.h"
#include "tests/unit/cmocka_main.h"

#define T0 1795644000000LL	/* 2026-11-25T22:00:00.000Z */

/* The request parser's address and time rules alone. */
static void test_parser_rules(void **state)
{
	int64_t ms;

	assert_true(ob_req_id_ok("a", 1));
	assert_true(ob_req_id_ok("A.b_c:d-9", 9));
	assert_false(ob_req_id_ok("", 0));
	assert_false(ob_req_id_ok("a/b", 3));
	char id65[66];
	memset(id65, 'x', 65);
	assert_true(ob_req_id_ok(id65, 64));
	assert_false(ob_req_id_ok(id65, 65));
	assert_true(ob_req_msisdn_ok("+886912345678", 13));
	assert_true(ob_req_msisdn_ok("123456789012345", 15));
	assert_false(ob_req_msisdn_ok("1234567890123456", 16));
	assert_false(ob_req_msisdn_ok("+", 1));
	assert_false(ob_req_msisdn_ok("++1", 3));
	assert_true(ob_req_mail_ok("ops@txlog.example", 17));
	assert_true(ob_req_mail_ok("a.b+c@x-y.z", 11));
	assert_false(ob_req_mail_ok("a..b@x", 6));
	assert_false(ob_req_mail_ok(".a@x", 4));
	assert_false(ob_req_mail_ok("a@-x", 4));
	assert_false(ob_req_mail_ok("a@x-", 4));
	assert_false(ob_req_mail_ok("a@x..y", 6));
	assert_false(ob_req_mail_ok("a b@x", 5));
	assert_false(ob_req_mail_ok("a@b@c", 5));
	assert_int_equal(bus_parse_time_ms("2026-11-25T22:00:00Z", 20, &ms), 0);
	assert_true(ms == T0);
	assert_int_equal(bus_parse_time_ms("2026-11-25t22:00:00.1234z", 25, &ms), 0);
	assert_true(ms == T0 + 123);
	assert_int_equal(bus_parse_time_ms("2026-11-25T22:00:00.5+00:00", 27, &ms), 0);
	assert_true(ms == T0 + 500);
	assert_int_equal(bus_parse_time_ms("2024-02-29T00:00:00Z", 20, &ms), 0);
	assert_int_equal(bus_parse_time_ms("2025-02-29T00:00:00Z", 20, &ms), -EINVAL);
	assert_int_equal(bus_parse_time_ms("2026-11-25T24:00:00Z", 20, &ms), -EINVAL);
	assert_int_equal(bus_parse_time_ms("2026-11-25T22:00:60Z", 20, &ms), -EINVAL);
	assert_int_equal(bus_parse_time_ms("2026-11-25T22:00:00", 19, &ms), -EINVAL);
	assert_int_equal(bus_parse_time_ms("2026-11-25T22:00:00.Z", 21, &ms), -EINVAL);
	assert_int_equal(bus_parse_time_ms("2026-11-25 22:00:00Z", 20, &ms), -EINVAL);
	assert_int_equal(bus_parse_time_ms("1970-01-01T00:00:00Z", 20, &ms), 0);
	assert_true(ms == 0);
}

/* What the fuzzer's inputs (under 4 KiB) cannot reach: a mail payload of
 * 65,536 bytes is read, one of 65,537 is too_large, and the largest with
 * every '/' escaped (twice as long, doc/downlink.md 1.2) is still read. */
static void test_parser_mail_limits(void **state)
{
	static char text[OB_REQ_TEXT_MAX], b64[OB_REQ_TEXT_MAX + 4];
	static uint8_t payload[OB_REQ_PAYLOAD_MAX], bytes[OB_REQ_PAYLOAD_MAX + 1];
	static char req[2 * OB_REQ_TEXT_MAX + 64];
	const struct ob_req_buf buf = { text, sizeof(text), payload, sizeof(payload) };
	struct ob_req r;
	const char *why;
	size_t o;

	memset(bytes, 0xff, sizeof(bytes));	/* base64 "////...": all '/' */
	for (size_t len = OB_REQ_PAYLOAD_MAX; len <= OB_REQ_PAYLOAD_MAX + 1; len++) {
		assert_true(b64_encode(b64, sizeof(b64), bytes, len) > 0);
		snprintf(req, sizeof(req), "{\"id\":\"m\",\"mail\":\"a@b\",\"payload\":\"%s\"}", b64);
		assert_int_equal(ob_req_parse(req, strlen(req), &buf, &r, &why),
				 len == OB_REQ_PAYLOAD_MAX ? 0 : -EINVAL);
		if (len > OB_REQ_PAYLOAD_MAX)
			assert_string_equal(why, "too_large");
	}
	assert_int_equal(b64_encode(b64, sizeof(b64), bytes, OB_REQ_PAYLOAD_MAX), OB_REQ_TEXT_MAX - 1);
	o = (size_t)snprintf(req, sizeof(req), "{\"id\":\"m\",\"mail\":\"a@b\",\"payload\":\"");
	for (size_t i = 0; b64[i]; i++) {
		if (b64[i] == '/')
			req[o++] = '\\';
		req[o++] = b64[i];
	}
	memcpy(req + o, "\"}", 3);
	assert_int_equal(ob_req_parse(req, strlen(req), &buf, &r, &why), 0);
	assert_int_equal(r.len, OB_REQ_PAYLOAD_MAX);
	assert_memory_equal(r.payload, bytes, OB_REQ_PAYLOAD_MAX);
}

/* The DL_* journal records: round trips, and what a decoder refuses. */
static void test_jrec_dl(void **state)
{
	uint8_t buf[4096];
	struct jrec_dl_queued q = { .seq = 7, .queued_ms = T0, .expires_ms = T0 + 1, .bearer = JREC_DL_SMS,
				    .receipt = true, .has_device = true, .device = 0x1122334455667788ULL,
				    .id = "i", .to = "886912345678", .payload = (const uint8_t *)"xyz",
				    .len = 3 }, q2;
	struct jrec_dl_state s = { .seq = 7, .state = JREC_DL_SUBMITTED, .at_ms = T0, .n_ids = 2,
				   .ids = { "a", "bb" } }, s2;
	struct jrec_dl_attempt a = { .seq = 7, .attempt = 3, .ref = 200 }, a2;
	struct jrec_dl_receipt r = { .seq = 7, .part = 1 }, r2;
	int n;

	n = jrec_dl_queued_encode(buf, sizeof(buf), &q);
	assert_true(n > 0);
	assert_int_equal(jrec_dl_queued_decode(&q2, buf, (size_t)n), 0);
	assert_true(q2.seq == 7 && q2.queued_ms == T0 && q2.expires_ms == T0 + 1 && q2.receipt &&
		    q2.has_device && q2.device == q.device && q2.len == 3);
	assert_string_equal(q2.to, "886912345678");
	assert_memory_equal(q2.payload, "xyz", 3);
	assert_int_equal(jrec_dl_queued_decode(&q2, buf, (size_t)n - 1), -EIO);
	buf[16 + 8] = 2;	/* bearer */
	assert_int_equal(jrec_dl_queued_decode(&q2, buf, (size_t)n), -EINVAL);
	n = jrec_dl_state_encode(buf, sizeof(buf), &s);
	assert_int_equal(jrec_dl_state_decode(&s2, buf, (size_t)n), 0);
	assert_int_equal(s2.n_ids, 2);
	assert_string_equal(s2.ids[1], "bb");
	buf[8] = 4;		/* state */
	assert_int_equal(jrec_dl_state_decode(&s2, buf, (size_t)n), -EINVAL);
	n = jrec_dl_attempt_encode(buf, sizeof(buf), &a);
	assert_int_equal(jrec_dl_attempt_decode(&a2, buf, (size_t)n), 0);
	assert_int_equal(a2.attempt, 3);
	assert_int_equal(a2.ref, 200);
	n = jrec_dl_receipt_encode(buf, sizeof(buf), &r);
	assert_int_equal(jrec_dl_receipt_decode(&r2, buf, (size_t)n), 0);
	buf[8] = 8;		/* part */
	assert_int_equal(jrec_dl_receipt_decode(&r2, buf, (size_t)n), -EINVAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_rules),
		cmocka_unit_test(test_parser_mail_limits),
		cmocka_unit_test(test_jrec_dl),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("outbox_req", tests, NULL, NULL));
}
