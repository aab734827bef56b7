/*
 * test_mt_book.c — what txgw-handset-sim records of the SMS-DELIVERs its
 * handsets take (contrib/sim/mt_book.c): a concatenated 7-bit text joined
 * whatever the order of its parts, 8-bit data with its port, and what does
 * not decode counted apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>

#include "contrib/sim/mt_book.h"
#include "gateway/lib/json.h"
#include "gateway/sms/tpdu.h"

/* tests/unit/test_tpdu.c's "deliver 7-bit with UDH and fill bits": part 1
 * of 2 of message 0xaa from 123, three septets of text */
static const char part1_hex[] = "4403a121f300006211522100004a0a050003aa0201d06536";

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static char *json_of(struct mt_book *b)
{
	struct jw w;
	char *s;

	jw_init(&w, 0);
	jw_obj_open(&w);
	mt_book_json(&w, b);
	jw_obj_close(&w);
	assert_int_equal(jw_finish(&w), 0);
	s = strdup(w.buf);
	jw_free(&w);
	return s;
}

static void test_concatenated_text(void **state)
{
	uint8_t p1[SMS_TPDU_MAX_LEN], p2[SMS_TPDU_MAX_LEN];
	struct udh_concat c = { .ref = 0xaa, .ref_bits = 8, .total = 2, .seq = 2 };
	struct mt_book *b = mt_book_new(NULL);
	struct sms_tpdu t;
	size_t n1 = unhex(p1, part1_hex);
	int n2;
	char *js;

	/* part 2: the same message, seq 2, "xyz" (the same codes in GSM 7-bit) */
	assert_int_equal(sms_tpdu_decode(&t, p1, n1, SMS_SC_TO_MS), 0);
	udh_init(&t.ud.udh);
	assert_int_equal(udh_add_concat(&t.ud.udh, &c), 0);
	assert_int_equal(sms_tpdu_set_ud(&t, (const uint8_t *)"xyz", 3), 0);
	n2 = sms_tpdu_encode(p2, sizeof(p2), &t, SMS_SC_TO_MS);
	assert_true(n2 > 0);
	mt_book_add(b, "001010000000001", "886900000001", p2, (size_t)n2, 1000);
	assert_int_equal(mt_book_count(b), 0);
	mt_book_add(b, "001010000000001", "886900000001", p1, n1, 2000);
	assert_int_equal(mt_book_count(b), 1);
	js = json_of(b);
	assert_non_null(strstr(js, "\"parts\":2"));
	assert_non_null(strstr(js, "\"from\":\"123\""));
	assert_non_null(strstr(js, "\"msisdn\":\"886900000001\""));
	assert_non_null(strstr(js, "xyz\""));	/* part 1's text, then part 2's */
	assert_null(strstr(js, "\"xyz\""));
	free(js);
	talloc_free(b);
}

static void test_binary_port_and_bad(void **state)
{
	const uint8_t data[] = { 0x01, 0x02, 0xfe };
	uint8_t p1[SMS_TPDU_MAX_LEN], tp[SMS_TPDU_MAX_LEN];
	struct mt_book *b = mt_book_new(NULL);
	struct sms_tpdu t;
	char *js;
	int n;

	assert_int_equal(sms_tpdu_decode(&t, p1, unhex(p1, part1_hex), SMS_SC_TO_MS), 0);
	sms_dcs_decode(&t.dcs, 0x04);
	udh_init(&t.ud.udh);
	assert_int_equal(udh_add_ports(&t.ud.udh, 16354, 0, 16), 0);
	assert_int_equal(sms_tpdu_set_ud(&t, data, sizeof(data)), 0);
	n = sms_tpdu_encode(tp, sizeof(tp), &t, SMS_SC_TO_MS);
	assert_true(n > 0);
	mt_book_add(b, "001010000000002", "886900000002", tp, (size_t)n, 1000);
	/* cut short; an SMS-SUBMIT is no SMS-DELIVER */
	mt_book_add(b, "001010000000002", "886900000002", tp, (size_t)n - 1, 1000);
	mt_book_add(b, "001010000000002", "886900000002", (const uint8_t *)"\x01\x00\x00\x00\x00\x00", 6, 1000);
	assert_int_equal(mt_book_count(b), 1);
	assert_int_equal(mt_book_bad(b), 2);
	js = json_of(b);
	assert_non_null(strstr(js, "\"port\":16354"));
	assert_non_null(strstr(js, "\"data\":\"0102fe\""));
	assert_non_null(strstr(js, "\"mt_bad\":2"));
	free(js);
	talloc_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concatenated_text),
		cmocka_unit_test(test_binary_port_and_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
