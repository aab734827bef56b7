/*
 * test_json_read.c — the strict JSON object reader (gateway/lib/json_read.h):
 * bus.md's example payload member by member, RFC 8259 escapes and numbers,
 * what strict JSON refuses, limits, and seeded random garbage (TXGW_TEST_SEED
 * repeats a run).
 */
#include <errno.h>
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

#include "gateway/lib/json_read.h"

#define MEMBERS_MAX 32

struct seen {
	unsigned n;
	struct {
		char key[SJ_KEY_MAX + 1];
		struct sj_val v;
	} m[MEMBERS_MAX];
};

static void collect(void *data, const char *key, const struct sj_val *v)
{
	struct seen *s = data;
	assert_true(s->n < MEMBERS_MAX);
	snprintf(s->m[s->n].key, sizeof(s->m[0].key), "%s", key);
	s->m[s->n].v = *v;
	s->n++;
}

static int scan(const char *txt, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return sj_object(txt, strlen(txt), collect, s);
}

static const struct sj_val *member(const struct seen *s, const char *key)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].key, key))
			return &s->m[i].v;
	fail_msg("no member %s", key);
	return NULL;
}

/* bus.md "Example": the txlog.record line, with the "late" field. */
static void test_bus_example(void **state)
{
	static const char ex[] = "{\"v\":1,\"seq\":7,\"gw\":\"gw1\",\"bearer\":\"sms\","
		"\"src\":\"886912345678\",\"rx\":\"2026-11-25T22:00:00.123Z\","
		"\"device\":\"00112233aabbccdd\",\"key\":1,\"upload\":42,\"frame\":\"9f86\","
		"\"counter\":1001,\"type\":\"purchase\",\"time\":\"2026-11-25T21:59:58Z\","
		"\"currency\":\"TWD\",\"amount\":12500,\"balance\":87500,"
		"\"peer\":\"0000000000abcdef\",\"item\":\"\",\"late\":false}";
	struct seen s;

	assert_int_equal(scan(ex, &s), 0);
	assert_int_equal(s.n, 19);
	assert_string_equal(s.m[0].key, "v");
	assert_int_equal(member(&s, "seq")->type, SJ_INT);
	assert_int_equal(member(&s, "seq")->i, 7);
	assert_string_equal(member(&s, "device")->s, "00112233aabbccdd");
	assert_string_equal(member(&s, "currency")->s, "TWD");
	assert_int_equal(member(&s, "amount")->i, 12500);
	assert_int_equal(member(&s, "balance")->i, 87500);
	assert_int_equal(member(&s, "item")->s_len, 0);
	assert_int_equal(member(&s, "late")->type, SJ_BOOL);
	assert_false(member(&s, "late")->b);
}

/* bus.md txlog.alert: the detail object is checked and reported as SJ_OBJ. */
static void test_nested(void **state)
{
	struct seen s;
	assert_int_equal(scan(" {\"kind\":\"counter_gap\",\"detail\":{\"expected\":3,\"got\":[5,{}]},"
			      "\"x\":[],\"n\":null}\n", &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(member(&s, "kind")->s, "counter_gap");
	assert_int_equal(member(&s, "detail")->type, SJ_OBJ);
	assert_int_equal(member(&s, "x")->type, SJ_ARR);
	assert_int_equal(member(&s, "n")->type, SJ_NULL);
}

/* RFC 8259 §7: the two-character escapes, \uXXXX, surrogate pairs. */
static void test_escapes(void **state)
{
	struct seen s;
	assert_int_equal(scan("{\"a\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\",\"b\":\"\\u00e9\\u20ac\","
			      "\"c\":\"\\ud83d\\ude00\",\"d\":\"\\ud800x\",\"e\":\"\\udc00\\ud800\\u0041\","
			      "\"f\":\"a\\u0000b\"}", &s), 0);
	assert_string_equal(member(&s, "a")->s, "q\"b\\s/\b\f\n\r\t");
	assert_string_equal(member(&s, "b")->s, "\xc3\xa9\xe2\x82\xac");
	assert_string_equal(member(&s, "c")->s, "\xf0\x9f\x98\x80");
	assert_string_equal(member(&s, "d")->s, "\xef\xbf\xbdx");		/* lone high: U+FFFD */
	assert_string_equal(member(&s, "e")->s, "\xef\xbf\xbd\xef\xbf\xbd" "A");
	assert_int_equal(member(&s, "f")->s_len, 3);
	assert_memory_equal(member(&s, "f")->s, "a\0b", 3);
}

/* RFC 8259 §6: integers within int64 are SJ_INT, everything else SJ_NUM. */
static void test_numbers(void **state)
{
	struct seen s;
	assert_int_equal(scan("{\"a\":0,\"b\":-0,\"c\":9223372036854775807,\"d\":-9223372036854775808,"
			      "\"e\":9223372036854775808,\"f\":1.5,\"g\":1e3,\"h\":-2E-2}", &s), 0);
	assert_int_equal(member(&s, "a")->i, 0);
	assert_int_equal(member(&s, "b")->type, SJ_INT);
	assert_int_equal(member(&s, "c")->i, INT64_MAX);
	assert_int_equal(member(&s, "d")->i, INT64_MIN);
	assert_int_equal(member(&s, "e")->type, SJ_NUM);
	assert_int_equal(member(&s, "f")->type, SJ_NUM);
	assert_int_equal(member(&s, "g")->type, SJ_NUM);
	assert_int_equal(member(&s, "h")->type, SJ_NUM);
}

static void test_refused(void **state)
{
	static const struct {
		const char *txt;
		int rc;
	} bad[] = {
		{ "", -EIO }, { "   ", -EIO }, { "{", -EIO }, { "{\"a\"", -EIO }, { "{\"a\":", -EIO },
		{ "{\"a\":1", -EIO }, { "{\"a\":\"x", -EIO }, { "{\"a\":\"\\u12", -EIO },
		{ "{\"a\":-", -EIO }, { "{\"a\":1.", -EIO }, { "{\"a\":tru", -EIO },
		{ "[]", -EINVAL }, { "1", -EINVAL }, { "\"a\"", -EINVAL }, { "{} {}", -EINVAL },
		{ "{\"a\":1,}", -EINVAL }, { "{,}", -EINVAL }, { "{\"a\" 1}", -EINVAL },
		{ "{a:1}", -EINVAL }, { "{'a':1}", -EINVAL }, { "{\"a\":01}", -EINVAL },
		{ "{\"a\":+1}", -EINVAL }, { "{\"a\":.5}", -EINVAL }, { "{\"a\":1.e5}", -EINVAL },
		{ "{\"a\":\"\\x\"}", -EINVAL }, { "{\"a\":\"\\u12g4\"}", -EINVAL },
		{ "{\"a\":\"\t\"}", -EINVAL }, { "{\"a\":True}", -EINVAL }, { "{\"a\":nul}", -EINVAL },
		{ "{\"a\":[1 2]}", -EINVAL }, { "{\"a\":[1,]}", -EINVAL }, { "{\"a\":NaN}", -EINVAL },
		{ "\xef\xbb\xbf{}", -EINVAL }, { "{}\x00", -EINVAL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i].txt) + (i == sizeof(bad) / sizeof(bad[0]) - 1);
		int rc = sj_object(bad[i].txt, len, NULL, NULL);
		if (rc != bad[i].rc)
			fail_msg("'%s': %d, want %d", bad[i].txt, rc, bad[i].rc);
	}
	assert_int_equal(sj_object(NULL, 5, NULL, NULL), -EIO);
}

/* SJ_MAX_DEPTH levels are read; one more is refused, not recursed into. */
static void test_depth(void **state)
{
	char buf[2 * (SJ_MAX_DEPTH + 8) + 16];
	for (unsigned depth = SJ_MAX_DEPTH; depth <= SJ_MAX_DEPTH + 1; depth++) {
		size_t n = 0;
		buf[n++] = '{';
		n += (size_t)sprintf(buf + n, "\"a\":");
		for (unsigned i = 1; i < depth; i++)
			buf[n++] = '[';
		for (unsigned i = 1; i < depth; i++)
			buf[n++] = ']';
		buf[n++] = '}';
		assert_int_equal(sj_object(buf, n, NULL, NULL), depth <= SJ_MAX_DEPTH ? 0 : -EINVAL);
	}
}

static void count_keys(void *data, const char *key, const struct sj_val *v)
{
	unsigned **c = data;
	(*c[0])++;
	if (!key)
		(*c[1])++;
}

/* Long strings are cut (and flagged), long keys checked but not reported. */
static void test_limits(void **state)
{
	char buf[1024];
	struct seen s;
	char longv[SJ_STR_MAX + 11], longk[SJ_KEY_MAX + 2];

	memset(longv, 'v', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	memset(longk, 'k', sizeof(longk) - 1);
	longk[sizeof(longk) - 1] = '\0';
	snprintf(buf, sizeof(buf), "{\"s\":\"%s\",\"%s\":1,\"t\":\"ok\"}", longv, longk);
	assert_int_equal(scan(buf, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(member(&s, "s")->truncated);
	assert_int_equal(member(&s, "s")->s_len, SJ_STR_MAX);
	assert_false(member(&s, "t")->truncated);
	/* sj_object_every() reports the long key too, as NULL */
	unsigned n = 0, nulls = 0;
	assert_int_equal(sj_object_every(buf, strlen(buf), count_keys, (unsigned *[]){ &n, &nulls }), 0);
	assert_int_equal(n, 3);
	assert_int_equal(nulls, 1);
}

/* A string longer than SJ_STR_MAX keeps its whole text in raw, which
 * sj_str_decode() decodes with its escapes into the caller's buffer. */
static void test_raw_decode(void **state)
{
	char buf[4096], out[2048], longv[1500];
	size_t n;
	struct seen s;

	for (size_t i = 0; i < sizeof(longv) - 1; i++)
		longv[i] = "AB+/"[i % 4];
	longv[sizeof(longv) - 1] = '\0';
	/* the same text once plain, once with every "/" escaped as "\/" */
	snprintf(buf, sizeof(buf), "{\"p\":\"%s\\/\\u00e9\"}", longv);
	assert_int_equal(scan(buf, &s), 0);
	const struct sj_val *v = member(&s, "p");
	assert_true(v->truncated);
	assert_int_equal(v->raw_len, strlen(longv) + 8);
	assert_int_equal(sj_str_decode(v->raw, v->raw_len, out, sizeof(out), &n), 0);
	assert_int_equal(n, strlen(longv) + 3);
	assert_memory_equal(out, longv, strlen(longv));
	assert_string_equal(out + strlen(longv), "/\xc3\xa9");
	/* too small a buffer: -ENOSPC, the first cap - 1 bytes */
	assert_int_equal(sj_str_decode(v->raw, v->raw_len, out, 11, &n), -ENOSPC);
	assert_int_equal(n, 10);
	assert_memory_equal(out, longv, 10);
	/* text no string could hold */
	assert_int_equal(sj_str_decode("a\"b", 3, out, sizeof(out), &n), -EINVAL);
	assert_int_equal(sj_str_decode("a\\", 2, out, sizeof(out), &n), -EINVAL);
	assert_int_equal(sj_str_decode("\\u12", 4, out, sizeof(out), &n), -EINVAL);
	assert_int_equal(sj_str_decode("", 0, out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);
}

/* Random bytes and random cuts of a valid payload: never a crash, only the
 * documented answers, and a cut valid object is never accepted. */
static void test_garbage(void **state)
{
	static const char ok[] = "{\"v\":1,\"seq\":12,\"kind\":\"replay\",\"detail\":{\"last_upload\":4,"
		"\"got\":[1,2.5e-1,\"\\u00e9\"]},\"late\":true}";
	uint8_t buf[96];

	srand((unsigned)test_seed());
	for (size_t cut = 0; cut < sizeof(ok) - 1; cut++)
		assert_int_equal(sj_object(ok, cut, NULL, NULL), -EIO);
	assert_int_equal(sj_object(ok, sizeof(ok) - 1, NULL, NULL), 0);
	for (int round = 0; round < 200000; round++) {
		size_t n = (size_t)rand() % sizeof(buf);
		memcpy(buf, ok, n < sizeof(ok) ? n : sizeof(ok));
		for (size_t i = 0; i < n; i++)
			if (rand() % 8 == 0)
				buf[i] = (uint8_t)rand();
		int rc = sj_object((const char *)buf, n, NULL, NULL);
		assert_true(rc == 0 || rc == -EIO || rc == -EINVAL);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bus_example),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_raw_decode),
		cmocka_unit_test(test_garbage),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
