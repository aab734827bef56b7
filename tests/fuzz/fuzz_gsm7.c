/*
 * fuzz_gsm7.c — the GSM 7-bit alphabet (gateway/sms/charset.c) both ways.
 *
 * The input is taken as septets (one per byte, any value) and as UTF-8.
 * Checked: the size query agrees with the bytes written; lenient output is
 * valid UTF-8; lenient replaces nothing exactly when strict succeeds; a
 * strict decode re-encodes and decodes to the same text; a strict encode
 * decodes back to the input and its length is charset_gsm7_septets().
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sms/charset.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static void septets_in(const uint8_t *in, size_t len, char *u8, size_t u8cap,
		       uint8_t *sep, size_t sepcap, char *u8b)
{
	struct charset_info info;
	int strict, lenient, n, m;

	strict = charset_gsm7_to_utf8(u8, u8cap, in, len, CHARSET_STRICT, NULL);
	CHECK(strict >= 0 || strict == -EINVAL);
	CHECK(charset_gsm7_to_utf8(NULL, 0, in, len, CHARSET_STRICT, NULL) == strict);
	if (strict >= 0) {
		CHECK(charset_utf8_check(u8, (size_t)strict) >= 0);
		/* decode(encode(decode(x))) == decode(x) */
		n = charset_utf8_to_gsm7(sep, sepcap, u8, (size_t)strict, CHARSET_STRICT, NULL);
		CHECK(n >= 0 && (size_t)n <= len);
		m = charset_gsm7_to_utf8(u8b, u8cap, sep, (size_t)n, CHARSET_STRICT, NULL);
		CHECK(m == strict && !memcmp(u8, u8b, (size_t)m));
	}
	lenient = charset_gsm7_to_utf8(u8, u8cap, in, len, CHARSET_LENIENT, &info);
	CHECK(lenient >= 0);
	CHECK(charset_utf8_check(u8, (size_t)lenient) >= 0);
	CHECK((info.replaced == 0) == (strict >= 0));
	CHECK(info.consumed == len && !info.dangling);
	/* Partial: at most a trailing escape is left over. */
	n = charset_gsm7_to_utf8(u8, u8cap, in, len, CHARSET_PARTIAL | CHARSET_LENIENT, &info);
	CHECK(n >= 0 && info.consumed + info.dangling == len);
	/* A too-small buffer is -ENOSPC, never a short write. */
	if (lenient > 0)
		CHECK(charset_gsm7_to_utf8(u8, (size_t)lenient - 1, in, len, CHARSET_LENIENT,
					   NULL) == -ENOSPC);
}

static void utf8_in(const uint8_t *in, size_t len, char *u8, size_t u8cap, uint8_t *sep,
		    size_t sepcap)
{
	const char *s = (const char *)in;
	struct charset_info info;
	int valid = charset_utf8_check(s, len);
	int strict, lenient, m;

	strict = charset_utf8_to_gsm7(sep, sepcap, s, len, CHARSET_STRICT, NULL);
	lenient = charset_utf8_to_gsm7(sep, sepcap, s, len, CHARSET_LENIENT, &info);
	if (valid < 0) {
		CHECK(strict == -EINVAL && lenient == -EINVAL);
		return;
	}
	CHECK(lenient >= valid && lenient <= 2 * valid);
	CHECK(charset_gsm7_septets(s, len, CHARSET_LENIENT) == lenient);
	CHECK((info.replaced == 0) == (strict >= 0));
	for (int i = 0; i < lenient; i++)
		CHECK(sep[i] < 0x80);
	if (strict < 0)
		return;
	CHECK(strict == lenient && charset_gsm7_septets(s, len, 0) == strict);
	m = charset_gsm7_to_utf8(u8, u8cap, sep, (size_t)strict, CHARSET_STRICT, NULL);
	CHECK(m == (int)len && !memcmp(u8, s, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* UTF-8 out is at most 3 bytes a septet; septets at most 2 a byte. */
	size_t u8cap = 3 * size + 1, sepcap = 2 * size + 1;
	char *u8 = malloc(u8cap), *u8b = malloc(u8cap);
	uint8_t *sep = malloc(sepcap);

	if (u8 && u8b && sep) {
		septets_in(data, size, u8, u8cap, sep, sepcap, u8b);
		utf8_in(data, size, u8, u8cap, sep, sepcap);
	}
	free(u8);
	free(u8b);
	free(sep);
	return 0;
}
