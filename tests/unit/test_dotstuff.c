/*
 * test_dotstuff — the DATA body decoder (RFC 5321 §4.1.1.4, §4.5.2):
 * terminators, un-stuffing, bare LF and CR, and the same output however the
 * stream is cut into pushes (random cuts, seeded: TXGW_TEST_SEED repeats a run).
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

#include "mail/dotstuff.h"

struct res {
	uint8_t out[4096];
	size_t out_len;
	size_t consumed;
	bool done;
};

/* Decode in[0..len) pushed in pieces of the sizes cuts[] gives (cycling;
 * NULL: one push). */
static void decode(const char *in, size_t len, bool bare_lf, const size_t *cuts, size_t ncuts,
		   struct res *res)
{
	struct dotstuff d;
	size_t off = 0, k = 0;

	memset(res, 0, sizeof(*res));
	dotstuff_init(&d, bare_lf);
	while (off < len && !dotstuff_done(&d)) {
		size_t n = cuts ? cuts[k++ % ncuts] : len;
		uint8_t tmp[DOTSTUFF_OUT_MAX(64)];
		uint8_t *out = res->out + res->out_len;
		size_t o, c;

		if (n > len - off)
			n = len - off;
		if (n <= 64) {	/* also through a small buffer of exactly the room promised */
			c = dotstuff_push(&d, (const uint8_t *)in + off, n, tmp, &o);
			assert_true(o <= DOTSTUFF_OUT_MAX(n));
			memcpy(out, tmp, o);
		} else {
			c = dotstuff_push(&d, (const uint8_t *)in + off, n, out, &o);
		}
		assert_true(c <= n);
		assert_true(c == n || dotstuff_done(&d));
		res->out_len += o;
		off += c;
	}
	res->consumed = off;
	res->done = dotstuff_done(&d);
}

static void expect(const char *in, bool bare_lf, const char *want, size_t consumed, bool done)
{
	static const size_t ones[] = { 1 };
	static const size_t odd[] = { 2, 3, 1, 5 };
	const size_t *cuts[] = { NULL, ones, odd };
	const size_t ncuts[] = { 0, 1, 4 };

	for (unsigned i = 0; i < 3; i++) {
		struct res r;
		decode(in, strlen(in), bare_lf, cuts[i], ncuts[i], &r);
		assert_int_equal(r.done, done);
		assert_int_equal(r.consumed, consumed);
		assert_int_equal(r.out_len, strlen(want));
		assert_memory_equal(r.out, want, r.out_len);
	}
}

/* §4.1.1.4: the first CRLF of CRLF.CRLF ends the last line and stays. */
static void test_terminator(void **state)
{
	expect("Subject: x\r\n\r\nbody\r\n.\r\n", true, "Subject: x\r\n\r\nbody\r\n", 23, true);
	/* what follows the terminator is not consumed (pipelining) */
	expect("a\r\n.\r\nQUIT\r\n", true, "a\r\n", 6, true);
	/* no terminator yet: everything given out, nothing held but a dot */
	expect("a\r\nb\r\n", true, "a\r\nb\r\n", 6, false);
	expect("a\r\n.", true, "a\r\n", 4, false);
	expect("a\r\n.\r", true, "a\r\n", 5, false);
}

/* The terminator at the very start: the DATA line's CRLF was the first. */
static void test_empty_and_blank(void **state)
{
	expect(".\r\n", true, "", 3, true);
	expect("\r\n.\r\n", true, "\r\n", 5, true);
	expect(".\n", true, "", 2, true);
	expect(".\n", false, "\n", 2, false);	/* §4.5.2: the dot goes, "\n" stays */
}

/* §4.5.2: a leading period with more on the line is deleted. */
static void test_unstuff(void **state)
{
	expect("..\r\n.\r\n", true, ".\r\n", 7, true);
	expect("...\r\n.\r\n", true, "..\r\n", 8, true);
	expect("a\r\n..b\r\n.x\r\n.\r\n", true, "a\r\n.b\r\nx\r\n", 15, true);
	/* a period not at the start of a line is kept */
	expect("a.\r\nb..c\r\n.\r\n", true, "a.\r\nb..c\r\n", 13, true);
	/* ".\rX": a bare CR after the period is content; the period goes */
	expect(".\rX\r\n.\r\n", true, "\rX\r\n", 8, true);
	expect(".\r.\r\n.\r\n", true, "\r.\r\n", 8, true);
}

/* Bare LF ends a line when allowed (LF.LF), never otherwise (§2.3.8). */
static void test_bare_lf(void **state)
{
	expect("a\n.\n", true, "a\n", 4, true);
	expect("a\n..b\n.\r\n", true, "a\n.b\n", 9, true);
	expect("a\r\n.\n", true, "a\r\n", 5, true);
	expect("a\n.\r\n", true, "a\n", 5, true);
	expect("a\n.\nb\r\n.\r\n", false, "a\n.\nb\r\n", 10, true);
	expect("a\n..b\r\n.\r\n", false, "a\n..b\r\n", 10, true);
	/* bare CR never ends a line */
	expect("a\r.\r\n.\r\n", true, "a\r.\r\n", 8, true);
	expect("a\r\r\n.\r\n", true, "a\r\r\n", 7, true);
}

/* NUL and 8-bit octets pass unchanged. */
static void test_binary(void **state)
{
	static const char in[] = "\0\xff\r\n.\0\r\n.\r\n";
	struct res r;

	decode(in, sizeof(in) - 1, true, NULL, 0, &r);
	assert_true(r.done);
	assert_int_equal(r.out_len, 7);
	assert_memory_equal(r.out, "\0\xff\r\n\0\r\n", 7);
}

/* The reference: the RFC's rules applied to whole lines. */
static size_t reference(const uint8_t *in, size_t len, uint8_t *out, size_t *consumed, bool *done)
{
	size_t o = 0, i = 0;

	*done = false;
	while (i < len) {
		size_t e = i;
		while (e < len && in[e] != '\n')
			e++;
		if (e == len)
			break;	/* an incomplete line: handled below */
		size_t n = e + 1 - i;	/* the line with its LF */
		if (in[i] == '.' && (n == 2 || (n == 3 && in[i + 1] == '\r'))) {
			*done = true;
			*consumed = e + 1;
			return o;
		}
		size_t s = in[i] == '.' ? 1 : 0;
		memcpy(out + o, in + i + s, n - s);
		o += n - s;
		i = e + 1;
	}
	/* an incomplete last line: all out but a leading "." or ".\r" */
	if (i < len) {
		size_t n = len - i;
		if (!(in[i] == '.' && (n == 1 || (n == 2 && in[i + 1] == '\r')))) {
			size_t s = in[i] == '.' ? 1 : 0;
			memcpy(out + o, in + i + s, n - s);
			o += n - s;
		}
	}
	*consumed = len;
	return o;
}

/* Random streams of the interesting octets, random cuts: the decoder
 * equals the line-wise reference whatever the cuts. */
static void test_random_chunking(void **state)
{
	static const char alphabet[] = "..\r\n\na";
	uint8_t in[200], want[200];
	size_t cuts[7];

	srand((unsigned)test_seed());
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(rand() % (int)sizeof(in));
		size_t wc, wl;
		bool wd;
		struct res r;

		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)alphabet[rand() % 6];
		for (size_t i = 0; i < 7; i++)
			cuts[i] = 1 + (size_t)(rand() % 9);
		wl = reference(in, len, want, &wc, &wd);
		decode((const char *)in, len, true, cuts, 7, &r);
		assert_int_equal(r.done, wd);
		assert_int_equal(r.consumed, wc);
		assert_int_equal(r.out_len, wl);
		assert_memory_equal(r.out, want, wl);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terminator),
		cmocka_unit_test(test_empty_and_blank),
		cmocka_unit_test(test_unstuff),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_random_chunking),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
