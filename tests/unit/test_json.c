/* test_json — the JSON writer: structure, escaping, invalid UTF-8, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "gateway/lib/json.h"

static void expect_str(const char *in, size_t n, const char *want)
{
	struct jw w;
	jw_init(&w, 0);
	jw_strn(&w, in, n);
	assert_int_equal(jw_finish(&w), 0);
	assert_string_equal(w.buf, want);
	jw_free(&w);
}

static void test_object_and_commas(void **state)
{
	struct jw w;
	jw_init(&w, 0);
	jw_obj_open(&w);
	jw_kint(&w, "v", 1);
	jw_kstr(&w, "gw", "gw1");
	jw_key(&w, "a");
	jw_arr_open(&w);
	jw_int(&w, -5);
	jw_bool(&w, true);
	jw_null(&w);
	jw_obj_open(&w);
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_kuint(&w, "big", UINT64_MAX);
	jw_kbool(&w, "late", false);
	jw_obj_close(&w);
	assert_int_equal(jw_finish(&w), 0);
	assert_string_equal(w.buf,
		"{\"v\":1,\"gw\":\"gw1\",\"a\":[-5,true,null,{}],\"big\":18446744073709551615,\"late\":false}");
	assert_int_equal(w.len, strlen(w.buf));
	jw_reset(&w);
	jw_arr_open(&w);
	jw_arr_close(&w);
	assert_int_equal(jw_finish(&w), 0);
	assert_string_equal(w.buf, "[]");
	jw_free(&w);
}

static void test_escapes(void **state)
{
	expect_str("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	expect_str("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	expect_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
	expect_str("x\0y", 3, "\"x\\u0000y\"");
	/* valid UTF-8 passes untouched: é, €, U+1F600 */
	expect_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

static void test_invalid_utf8(void **state)
{
	/* a lone continuation byte, a truncated sequence, an overlong '/',
	 * an encoded surrogate, a code point above U+10FFFF: each byte -> U+FFFD */
	expect_str("\x80", 1, "\"\xef\xbf\xbd\"");
	expect_str("a\xe2\x82", 3, "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	expect_str("\xff" "ok", 3, "\"\xef\xbf\xbdok\"");
}

static void test_hex_base64(void **state)
{
	static const uint8_t b[] = { 0x00, 0xab, 0xff, 'M', 'a' };
	struct jw w;
	jw_init(&w, 0);
	jw_arr_open(&w);
	jw_hex(&w, b, 3);
	jw_hex(&w, b, 0);
	jw_base64(&w, (const uint8_t *)"Man", 3);
	jw_base64(&w, (const uint8_t *)"Ma", 2);
	jw_base64(&w, (const uint8_t *)"M", 1);
	jw_base64(&w, b, 0);
	jw_arr_close(&w);
	assert_int_equal(jw_finish(&w), 0);
	/* RFC 4648 §10 test vectors */
	assert_string_equal(w.buf, "[\"00abff\",\"\",\"TWFu\",\"TWE=\",\"TQ==\",\"\"]");
	jw_free(&w);
}

static void test_errors(void **state)
{
	struct jw w;
	jw_init(&w, 0);
	jw_obj_open(&w);
	assert_int_equal(jw_finish(&w), -EINVAL);	/* unclosed */
	jw_free(&w);

	jw_init(&w, 0);
	jw_obj_close(&w);
	assert_int_equal(jw_finish(&w), -EINVAL);	/* close without open */
	jw_free(&w);

	jw_init(&w, 0);
	jw_obj_open(&w);
	jw_key(&w, "k");
	jw_obj_close(&w);
	assert_int_equal(jw_finish(&w), -EINVAL);	/* key without value */
	jw_free(&w);

	jw_init(&w, 0);
	for (int i = 0; i < JW_MAX_DEPTH + 1; i++)
		jw_arr_open(&w);
	assert_int_equal(jw_finish(&w), -EINVAL);	/* too deep */
	jw_free(&w);

	jw_init(&w, 10);
	jw_str(&w, "0123456789abc");
	assert_int_equal(jw_finish(&w), -ENOSPC);	/* over max_len */
	jw_str(&w, "x");				/* sticky: no effect */
	assert_int_equal(w.err, -ENOSPC);
	jw_free(&w);
}

/* Strict UTF-8 validity, written independently of the writer's own check. */
static int valid_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t l;
		if (s[i] < 0x80) { i++; continue; }
		else if ((s[i] & 0xe0) == 0xc0) { cp = s[i] & 0x1f; l = 2; }
		else if ((s[i] & 0xf0) == 0xe0) { cp = s[i] & 0x0f; l = 3; }
		else if ((s[i] & 0xf8) == 0xf0) { cp = s[i] & 0x07; l = 4; }
		else return 0;
		if (i + l > n)
			return 0;
		for (size_t k = 1; k < l; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min[l] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += l;
	}
	return 1;
}

static void test_random_bytes(void **state)
{
	srandom((unsigned)test_seed());
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t in[64];
		size_t n = (size_t)random() % sizeof(in);
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)random();
		struct jw w;
		jw_init(&w, 0);
		jw_strn(&w, (const char *)in, n);
		assert_int_equal(jw_finish(&w), 0);
		assert_true(valid_utf8((const uint8_t *)w.buf, w.len));
		for (size_t i = 0; i < w.len; i++)
			assert_true((uint8_t)w.buf[i] >= 0x20 && w.buf[i] != 0x7f);
		assert_int_equal(w.buf[0], '"');
		assert_int_equal(w.buf[w.len - 1], '"');
		jw_free(&w);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_and_commas),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_hex_base64),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_random_bytes),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("json", tests, NULL, NULL));
}
