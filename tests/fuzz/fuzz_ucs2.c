/*
 * fuzz_ucs2.c — UCS-2/UTF-16BE, Latin-1 and IA5 (gateway/sms/charset.c).
 *
 * The input is taken as UTF-16BE, as Latin-1/IA5 bytes, and as UTF-8.
 * Checked: size queries agree; lenient output is valid UTF-8; lenient
 * replaces nothing exactly when strict succeeds; strict decodes re-encode
 * to the input; a partial decode leaves at most a high surrogate and an odd
 * byte; UTF-8 -> UTF-16BE -> UTF-8 is the identity on valid UTF-8.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sms/charset.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

struct bufs {
	char *u8;
	size_t u8cap;
	uint8_t *bin;
	size_t bincap;
};

static void ucs2_in(const uint8_t *in, size_t len, const struct bufs *b)
{
	struct charset_info info;
	int strict, lenient, n;

	strict = charset_ucs2_to_utf8(b->u8, b->u8cap, in, len, CHARSET_STRICT, NULL);
	CHECK(strict >= 0 || strict == -EINVAL);
	CHECK(charset_ucs2_to_utf8(NULL, 0, in, len, CHARSET_STRICT, NULL) == strict);
	if (strict >= 0) {
		n = charset_utf8_to_ucs2(b->bin, b->bincap, b->u8, (size_t)strict, 0, NULL);
		CHECK(n == (int)len && !memcmp(b->bin, in, len));
	}
	lenient = charset_ucs2_to_utf8(b->u8, b->u8cap, in, len, CHARSET_LENIENT, &info);
	CHECK(lenient >= 0 && charset_utf8_check(b->u8, (size_t)lenient) >= 0);
	CHECK((info.replaced == 0) == (strict >= 0));
	CHECK(info.consumed == len && !info.dangling);
	n = charset_ucs2_to_utf8(b->u8, b->u8cap, in, len, CHARSET_PARTIAL | CHARSET_LENIENT, &info);
	CHECK(n >= 0 && info.consumed <= len && len - info.consumed <= 3);
	CHECK(info.dangling == (info.consumed < len));
}

static void bytes_in(const uint8_t *in, size_t len, const struct bufs *b)
{
	struct charset_info info;
	size_t high = 0;
	int n, m, a;

	for (size_t i = 0; i < len; i++)
		high += in[i] > 0x7F;

	n = charset_latin1_to_utf8(b->u8, b->u8cap, in, len, CHARSET_STRICT, NULL);
	CHECK(n >= (int)len && charset_utf8_check(b->u8, (size_t)n) == (int)len);
	m = charset_utf8_to_latin1(b->bin, b->bincap, b->u8, (size_t)n, CHARSET_STRICT, NULL);
	CHECK(m == (int)len && !memcmp(b->bin, in, len));
	a = charset_ascii_to_utf8(b->u8, b->u8cap, in, len, CHARSET_STRICT, NULL);
	CHECK(a == (high ? -EINVAL : (int)len));
	a = charset_ascii_to_utf8(b->u8, b->u8cap, in, len, CHARSET_LENIENT, &info);
	CHECK(a == (int)(len + 2 * high) && info.replaced == high);
	CHECK(charset_utf8_check(b->u8, (size_t)a) == (int)len);
	m = charset_utf8_to_ascii(b->bin, b->bincap, b->u8, (size_t)a, CHARSET_LENIENT, NULL);
	CHECK(m == (int)len);
}

static void utf8_in(const uint8_t *in, size_t len, const struct bufs *b)
{
	const char *s = (const char *)in;
	int chars = charset_utf8_check(s, len);
	int n, m;

	n = charset_utf8_to_ucs2(b->bin, b->bincap, s, len, CHARSET_STRICT, NULL);
	CHECK(charset_utf8_to_latin1(NULL, 0, s, len, CHARSET_LENIENT, NULL) ==
	      (chars < 0 ? -EINVAL : chars));
	if (chars < 0) {
		CHECK(n == -EINVAL);
		return;
	}
	CHECK(n >= 2 * chars && n <= 4 * chars);
	m = charset_ucs2_to_utf8(b->u8, b->u8cap, b->bin, (size_t)n, CHARSET_STRICT, NULL);
	CHECK(m == (int)len && !memcmp(b->u8, s, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* UTF-8 is at most 3 bytes an input byte (U+FFFD for one); UTF-16 at most 2. */
	struct bufs b = {
		.u8cap = 3 * size + 1, .bincap = 2 * size + 1,
	};

	b.u8 = malloc(b.u8cap);
	b.bin = malloc(b.bincap);
	if (b.u8 && b.bin) {
		ucs2_in(data, size, &b);
		bytes_in(data, size, &b);
		utf8_in(data, size, &b);
	}
	free(b.u8);
	free(b.bin);
	return 0;
}
