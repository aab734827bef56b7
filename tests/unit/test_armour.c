/*
 * test_armour.c — the "TXL1:" scanner and strict base64 (txlog-v1.md
 * "Armoured text form", RFC 4648 §4 and §3.5): the vectors' texts, white
 * space, several armours in one text, every bad base64, a seeded round trip.
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

#include "gateway/txlog/armour.h"
#include "gateway/txlog/frame.h"
#include "tests/unit/txlog_vectors.h"

static struct tv_set vectors;

static int setup(void **state)
{
	return tv_load(&vectors) >= 4 ? 0 : -1;
}

static int teardown(void **state)
{
	tv_free(&vectors);
	return 0;
}

/* Scan text; return the number of hits, the last one in *hit/out. */
static int scan_all(const char *text, struct armour_hit *hit, uint8_t *out)
{
	struct armour_scan s;
	int n = 0;

	armour_scan_init(&s);
	while (armour_next(&s, text, strlen(text), hit, out, TXL_MAX_LEN) == 1)
		n++;
	return n;
}

/* Every vector text holds one armour whose bytes are frame-ed25519-1 or
 * frame-ecdsa-3 and whose digest is the vector's sha256. */
static void test_vector_texts(void **state)
{
	uint8_t out[TXL_MAX_LEN], want[TXL_MAX_LEN];
	struct armour_hit hit;
	int i, checked = 0;

	for (i = 0; i < vectors.n; i++) {
		const struct tv *v = &vectors.v[i];
		const struct tv *f;
		int n;

		if (!v->text)
			continue;
		print_message("vector %s\n", v->name);
		assert_int_equal(scan_all(v->text, &hit, out), 1);
		assert_int_equal(hit.err, 0);
		assert_string_equal(hit.why, "");
		assert_memory_equal(v->text + hit.offset, "TXL1:", 5);
		f = tv_find(&vectors, strstr(v->what, "ecdsa") ? "frame-ecdsa-3" : "frame-ed25519-1");
		n = tv_hex(f->frame, want, sizeof(want));
		assert_int_equal(hit.len, (size_t)n);
		assert_memory_equal(out, want, (size_t)n);
		checked++;
	}
	assert_int_equal(checked, 3);
}

/* The armour's extent: white space anywhere after the prefix is skipped,
 * the first other character ends it, and so does the next "TXL1:". */
static void test_extent_and_several(void **state)
{
	const char *text = "hi TXL1:AQID\r\n BA==. bye TXL1:  BQY\tH!TXL1:CAk=TXL1:";
	static const uint8_t f1[] = { 1, 2, 3, 4 }, f2[] = { 5, 6, 7 }, f3[] = { 8, 9 };
	uint8_t out[TXL_MAX_LEN];
	struct armour_hit hit;
	struct armour_scan s;
	size_t len = strlen(text);

	armour_scan_init(&s);
	assert_int_equal(armour_next(&s, text, len, &hit, out, sizeof(out)), 1);
	assert_int_equal(hit.offset, 3);
	assert_int_equal(hit.err, 0);
	assert_int_equal(hit.len, 4);
	assert_memory_equal(out, f1, 4);
	assert_int_equal(hit.end, 19);
	assert_int_equal(text[hit.end], '.');
	assert_int_equal(armour_next(&s, text, len, &hit, out, sizeof(out)), 1);
	assert_int_equal(hit.err, 0);
	assert_int_equal(hit.len, 3);
	assert_memory_equal(out, f2, 3);
	assert_int_equal(text[hit.end], '!');
	assert_int_equal(armour_next(&s, text, len, &hit, out, sizeof(out)), 1);
	assert_int_equal(hit.err, 0);
	assert_int_equal(hit.len, 2);
	assert_memory_equal(out, f3, 2);
	/* a prefix with nothing after it: an empty armour, 0 bytes */
	assert_int_equal(armour_next(&s, text, len, &hit, out, sizeof(out)), 1);
	assert_int_equal(hit.offset, len - 5);
	assert_int_equal(hit.err, 0);
	assert_int_equal(hit.len, 0);
	assert_int_equal(armour_next(&s, text, len, &hit, out, sizeof(out)), 0);
	assert_int_equal(armour_next(&s, text, len, &hit, out, sizeof(out)), 0);
}

/* Letters after an armour are base64 characters: per the spec they run on
 * into it (only white space and base64 were said to continue it). */
static void test_words_join(void **state)
{
	uint8_t out[TXL_MAX_LEN];
	struct armour_hit hit;

	/* "AQID" + "ok" = 6 characters, 2 mod 4 with non-zero trailing bits */
	assert_int_equal(scan_all("TXL1:AQID ok", &hit, out), 1);
	assert_int_equal(hit.err, -EINVAL);
	/* a character outside base64 (UTF-8 of '€', '.', '-', '_') ends it */
	assert_int_equal(scan_all("TXL1:AQID\xe2\x82\xac ok", &hit, out), 1);
	assert_int_equal(hit.err, 0);
	assert_int_equal(hit.len, 3);
	assert_int_equal(scan_all("TXL1:AQID-AA", &hit, out), 1);
	assert_int_equal(hit.len, 3);
	assert_int_equal(scan_all("TXL1:AQID_AA", &hit, out), 1);
	assert_int_equal(hit.len, 3);
	/* no prefix, a near miss, lower case: nothing */
	assert_int_equal(scan_all("TXL2:AQID txl1:AQID TXL1AQID TXL", &hit, out), 0);
	assert_int_equal(scan_all("", &hit, out), 0);
}

struct b64_case {
	const char *in;
	int rc;			/* byte count or -EINVAL */
	const char *why;
};

/* RFC 4648 §10 test vectors, and what strict decoding refuses. */
static const struct b64_case b64_cases[] = {
	{ "", 0, "" },
	{ "Zg==", 1, "" }, { "Zg", 1, "" },
	{ "Zm8=", 2, "" }, { "Zm8", 2, "" },
	{ "Zm9v", 3, "" },
	{ "Zm9vYg==", 4, "" }, { "Zm9vYg", 4, "" },
	{ "Zm9vYmE=", 5, "" }, { "Zm9vYmE", 5, "" },
	{ "Zm9vYmFy", 6, "" },
	{ " Z m\t9\rv\nYm\fF\vy ", 6, "" },
	{ "Zm9vYg = =", 4, "" },
	{ "Z", -EINVAL, "base64 length is 1 mod 4" },
	{ "Zm9vY", -EINVAL, "base64 length is 1 mod 4" },
	{ "Zm9vY===", -EINVAL, "base64 length is 1 mod 4" },
	{ "Zg=", -EINVAL, "base64 has wrong padding" },
	{ "Zg===", -EINVAL, "base64 has wrong padding" },
	{ "Zm8==", -EINVAL, "base64 has wrong padding" },
	{ "Zm9v=", -EINVAL, "base64 has wrong padding" },
	{ "Zm9v====", -EINVAL, "base64 has wrong padding" },
	{ "=", -EINVAL, "base64 has wrong padding" },
	{ "Zh==", -EINVAL, "base64 has non-zero trailing bits" },
	{ "Zm9=", -EINVAL, "base64 has non-zero trailing bits" },
	{ "Zm9vZg=x", -EINVAL, "base64 '=' in the middle" },
	{ "Zg==Zm9v", -EINVAL, "base64 '=' in the middle" },
	{ "Zm9v!", -EINVAL, "not a base64 character" },
	{ "Zm9-", -EINVAL, "not a base64 character" },
	{ "Zm9_", -EINVAL, "not a base64 character" },
};

static void test_b64_decode(void **state)
{
	uint8_t out[16];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		const struct b64_case *c = &b64_cases[i];

		print_message("b64 \"%s\"\n", c->in);
		assert_int_equal(b64_decode(out, sizeof(out), c->in, strlen(c->in), &why), c->rc);
		assert_string_equal(why, c->why);
		if (c->rc > 0)
			assert_memory_equal(out, "foobar", (size_t)c->rc);
	}
	/* no room */
	assert_int_equal(b64_decode(out, 5, "Zm9vYmFy", 8, &why), -ENOSPC);
	assert_int_equal(b64_decode(out, 6, "Zm9vYmFy", 8, NULL), 6);
}

static void test_b64_encode(void **state)
{
	static const char *const want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char out[16];
	size_t i;

	for (i = 0; i < 7; i++) {
		assert_int_equal(b64_encode(out, sizeof(out), (const uint8_t *)"foobar", i), (int)strlen(want[i]));
		assert_string_equal(out, want[i]);
	}
	assert_int_equal(b64_encode(out, 9, (const uint8_t *)"foobar", 6), 8);
	assert_int_equal(b64_encode(out, 8, (const uint8_t *)"foobar", 6), -ENOSPC);
	assert_int_equal(armour_encode(out, sizeof(out), (const uint8_t *)"foo", 3), 9);
	assert_string_equal(out, "TXL1:Zm9v");
	assert_int_equal(armour_encode(out, 4, (const uint8_t *)"foo", 3), -ENOSPC);
	assert_int_equal(armour_encode(out, 9, (const uint8_t *)"foo", 3), -ENOSPC);
}

/* The vector's armoured text is what armour_encode() makes of the frame. */
static void test_armour_encode_vector(void **state)
{
	const struct tv *a = tv_find(&vectors, "armoured-ed25519-1");
	const struct tv *f = tv_find(&vectors, "frame-ed25519-1");
	uint8_t frame[TXL_MAX_LEN];
	char out[2 * TXL_MAX_LEN];
	int n;

	assert_non_null(a);
	assert_non_null(f);
	n = tv_hex(f->frame, frame, sizeof(frame));
	/* 112 bytes: 5 + 152 = 157 characters, one 7-bit SMS (txlog-v1.md) */
	assert_int_equal(armour_encode(out, sizeof(out), frame, (size_t)n), 157);
	assert_string_equal(out, a->text);
}

/* An armour longer than the caller's buffer is a hit with -ENOSPC. */
static void test_too_long(void **state)
{
	size_t n = 5 + 4 * (TXL_MAX_LEN / 3 + 2);
	char *text = malloc(n + 1);
	uint8_t out[TXL_MAX_LEN];
	struct armour_hit hit;

	memcpy(text, "TXL1:", 5);
	memset(text + 5, 'A', n - 5);
	text[n] = '\0';
	assert_int_equal(scan_all(text, &hit, out), 1);
	assert_int_equal(hit.err, -ENOSPC);
	assert_int_equal(hit.len, 0);
	free(text);
}

/* Seeded: random bytes armoured, with white space sprinkled in and random
 * text around, scan back to the same bytes. */
static void test_random_roundtrip(void **state)
{
	unsigned seed = (unsigned)test_seed();
	static const char ws[] = " \t\r\n";
	uint8_t in[TXL_MAX_LEN], out[TXL_MAX_LEN];
	char arm[2 * TXL_MAX_LEN], text[4 * TXL_MAX_LEN];
	struct armour_hit hit;
	int iter;

	srand(seed);
	for (iter = 0; iter < 3000; iter++) {
		size_t len = (size_t)rand() % TXL_MAX_LEN, i, o = 0;
		int alen;

		for (i = 0; i < len; i++)
			in[i] = (uint8_t)rand();
		alen = armour_encode(arm, sizeof(arm), in, len);
		assert_true(alen > 0);
		/* strip the padding half the time: it is optional */
		if (rand() & 1)
			while (arm[alen - 1] == '=')
				arm[--alen] = '\0';
		o += (size_t)sprintf(text, "note %d: ", rand() % 100);
		for (i = 0; i < (size_t)alen; i++) {
			text[o++] = arm[i];
			if (i >= 5 && rand() % 16 == 0)
				text[o++] = ws[rand() % 4];
		}
		strcpy(text + o, ". end");
		assert_int_equal(scan_all(text, &hit, out), 1);
		assert_int_equal(hit.err, 0);
		assert_int_equal(hit.len, len);
		assert_memory_equal(out, in, len);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_texts),
		cmocka_unit_test(test_extent_and_several),
		cmocka_unit_test(test_words_join),
		cmocka_unit_test(test_b64_decode),
		cmocka_unit_test(test_b64_encode),
		cmocka_unit_test(test_armour_encode_vector),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_random_roundtrip),
	};

	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, setup, teardown));
}
