/*
 * b64stream.c — streaming base64 content decoding; see b64stream.h.
 */
#include <errno.h>
#include <limits.h>

#include "mail/b64stream.h"

/* RFC 4648 §4 Table 1: value + 1 of each character, 0 when not in it. */
static const uint8_t b64_val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26,
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
	['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59,
	['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

void b64s_init(struct b64s *s)
{
	*s = (struct b64s){ .why = "" };
}

static int fail(struct b64s *s, const char *why)
{
	if (!s->err) {
		s->err = -EINVAL;
		s->why = why;
	}
	return s->err;
}

static int is_blank(uint8_t c)
{
	return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

/*
 * The last quantum ends with n characters (2 or 3): write its 1 or 2
 * bytes, refusing non-zero unused bits (RFC 4648 §3.5).
 */
static int last_quantum(struct b64s *s, uint8_t *out)
{
	if (s->n == 1)
		return fail(s, "base64 ends in the middle of a byte");
	if (s->n == 2) {
		if (s->acc & 0xf)
			return fail(s, "base64 with non-zero trailing bits");
		out[0] = (uint8_t)(s->acc >> 4);
		return 1;
	}
	if (s->acc & 0x3)
		return fail(s, "base64 with non-zero trailing bits");
	out[0] = (uint8_t)(s->acc >> 10);
	out[1] = (uint8_t)(s->acc >> 2);
	return 2;
}

/* '=' at the current position (RFC 4648 §3.2 padding). */
static int padding(struct b64s *s, uint8_t *out)
{
	int n;

	if (s->pad == 1) {
		s->pad = 2;	/* the second '=' of "xx==" */
		return 0;
	}
	if (s->pad == 2 || s->n < 2)
		return fail(s, "misplaced '=' in base64");
	s->pad = s->n == 2 ? 1 : 2;
	n = last_quantum(s, out);
	s->n = 0;
	return n;
}

int b64s_feed(struct b64s *s, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (s->err)
		return s->err;
	if (len > INT_MAX / 2)
		return -ERANGE;
	if (cap < B64S_OUT_MAX(len))
		return -ENOSPC;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i], v = b64_val[c];

		if (is_blank(c))
			continue;
		if (c == '=') {
			int n = padding(s, out + o);

			if (n < 0)
				return n;
			o += (size_t)n;
			continue;
		}
		if (!v)
			return fail(s, "a character outside the base64 alphabet");
		if (s->pad)
			return fail(s, "base64 data after the padding");
		s->acc = s->acc << 6 | (uint32_t)(v - 1);
		if (++s->n == 4) {
			out[o++] = (uint8_t)(s->acc >> 16);
			out[o++] = (uint8_t)(s->acc >> 8);
			out[o++] = (uint8_t)s->acc;
			s->n = 0;
			s->acc = 0;
		}
	}
	return (int)o;
}

int b64s_finish(struct b64s *s, uint8_t *out, size_t cap)
{
	int n;

	if (s->err)
		return s->err;
	if (s->pad == 1)
		return fail(s, "base64 padding is incomplete");
	if (s->n == 0)
		return 0;
	if (cap < 2)
		return -ENOSPC;
	n = last_quantum(s, out);
	s->n = 0;
	return n;
}
