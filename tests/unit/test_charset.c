/*
 * test_charset.c — GSM 7-bit, UCS-2/UTF-16BE, Latin-1 and ASCII to and
 * from UTF-8 (gateway/sms/charset.c), against the tables of 3GPP TS 23.038.
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

#include "gateway/sms/charset.h"
#include "tests/unit/text_vec.h"

/*
 * 3GPP TS 23.038 §6.2.1, typed from the spec's table independently of the
 * implementation's code point table.  0x1B (escape) has no character.
 */
static const char *const default_table[128] = {
	"@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "\n", "Ø", "ø", "\r", "Å", "å",
	"Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", NULL, "Æ", "æ", "ß", "É",
	" ", "!", "\"", "#", "¤", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
	"¡", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
	"P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "§",
	"¿", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
	"p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à",
};

/* 23.038 §6.2.1.1: the extension table (ESC + code). */
static const struct {
	uint8_t code;
	const char *utf8;
} ext_table[] = {
	{ 0x0A, "\f" }, { 0x14, "^" }, { 0x28, "{" }, { 0x29, "}" }, { 0x2F, "\\" },
	{ 0x3C, "[" }, { 0x3D, "~" }, { 0x3E, "]" }, { 0x40, "|" }, { 0x65, "€" },
};

/* Decode septets (strict) and compare with the expected UTF-8. */
static void gsm7_dec_eq(const uint8_t *s, size_t n, const char *want)
{
	char out[256];
	int rc = charset_gsm7_to_utf8(out, sizeof(out), s, n, CHARSET_STRICT, NULL);

	assert_int_equal(rc, strlen(want));
	assert_memory_equal(out, want, rc);
	/* The size query agrees. */
	assert_int_equal(charset_gsm7_to_utf8(NULL, 0, s, n, CHARSET_STRICT, NULL), rc);
}

/* Encode UTF-8 (strict) and compare with the expected septets. */
static void gsm7_enc_eq(const char *utf8, const uint8_t *want, size_t n)
{
	uint8_t out[256];
	int rc = charset_utf8_to_gsm7(out, sizeof(out), utf8, strlen(utf8), CHARSET_STRICT, NULL);

	assert_int_equal(rc, n);
	assert_memory_equal(out, want, n);
	assert_int_equal(charset_gsm7_septets(utf8, strlen(utf8), CHARSET_STRICT), n);
}

static void test_gsm7_default_table(void **state)
{
	for (unsigned i = 0; i < 128; i++) {
		uint8_t s = (uint8_t)i;

		if (!default_table[i])
			continue;
		gsm7_dec_eq(&s, 1, default_table[i]);
		gsm7_enc_eq(default_table[i], &s, 1);
	}
}

static void test_gsm7_ext_table(void **state)
{
	for (size_t i = 0; i < sizeof(ext_table) / sizeof(ext_table[0]); i++) {
		uint8_t s[2] = { 0x1B, ext_table[i].code };

		gsm7_dec_eq(s, 2, ext_table[i].utf8);
		gsm7_enc_eq(ext_table[i].utf8, s, 2);
	}
}

/*
 * Every Unicode scalar value: the encoder takes exactly the 127 characters
 * of the default table and the 10 of the extension table, and each encodes
 * to septets that decode back to it.
 */
static void test_gsm7_every_scalar(void **state)
{
	unsigned ok = 0;

	for (unsigned long cp = 0; cp <= 0x10FFFF; cp++) {
		char u8[4], back[8];
		uint8_t sep[4];
		size_t o = 0;
		int n, m;

		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		assert_int_equal(vec_put_utf8(u8, sizeof(u8), &o, cp), 0);
		n = charset_utf8_to_gsm7(sep, sizeof(sep), u8, o, CHARSET_STRICT, NULL);
		if (n == -EINVAL)
			continue;
		assert_true(n == 1 || (n == 2 && sep[0] == 0x1B && sep[1] != 0x1B));
		m = charset_gsm7_to_utf8(back, sizeof(back), sep, (size_t)n, CHARSET_STRICT, NULL);
		assert_int_equal(m, o);
		assert_memory_equal(back, u8, o);
		ok++;
	}
	assert_int_equal(ok, 127 + 10);
}

/* 23.038 §6.2.1.1: an undefined code after ESC shows the default character. */
static void test_gsm7_ext_undefined(void **state)
{
	unsigned defined = 0;

	for (unsigned c = 0; c < 128; c++) {
		uint8_t s[2] = { 0x1B, (uint8_t)c };
		char out[8];
		int rc = charset_gsm7_to_utf8(out, sizeof(out), s, 2, CHARSET_STRICT, NULL);
		bool in_ext = false;

		for (size_t i = 0; i < sizeof(ext_table) / sizeof(ext_table[0]); i++)
			in_ext |= ext_table[i].code == c;
		if (in_ext) {
			defined++;
			continue;
		}
		/* ESC ESC: reserved for another table, shown as a space (note 1). */
		const char *want = c == 0x1B ? " " : default_table[c];
		assert_int_equal(rc, strlen(want));
		assert_memory_equal(out, want, rc);
	}
	assert_int_equal(defined, 10);
	/* CR2 (ESC 0x0D) has no character: CR. */
	gsm7_dec_eq((const uint8_t *)"\x1b\x0d", 2, "\r");
}

static void test_gsm7_lone_escape(void **state)
{
	const uint8_t s[] = { 0x41, 0x1B };
	struct charset_info info;
	char out[8];
	int rc;

	/* A lone escape at the end shows as a space (note to 0x1B in §6.2.1). */
	gsm7_dec_eq(s, 2, "A ");
	gsm7_dec_eq(s + 1, 1, " ");
	/* A piece of a longer text: the escape is left for the next piece. */
	rc = charset_gsm7_to_utf8(out, sizeof(out), s, 2, CHARSET_PARTIAL, &info);
	assert_int_equal(rc, 1);
	assert_int_equal(out[0], 'A');
	assert_int_equal(info.consumed, 1);
	assert_true(info.dangling);
	/* Escape followed by a non-septet: a space, then the invalid byte. */
	const uint8_t t[] = { 0x1B, 0x80 };
	rc = charset_gsm7_to_utf8(out, sizeof(out), t, 2, CHARSET_LENIENT, &info);
	assert_int_equal(rc, 4);
	assert_memory_equal(out, " " CHARSET_REPLACEMENT_UTF8, 4);
	assert_int_equal(info.replaced, 1);
	assert_int_equal(charset_gsm7_to_utf8(out, sizeof(out), t, 2, CHARSET_STRICT, NULL), -EINVAL);
}

static void test_gsm7_invalid(void **state)
{
	const uint8_t s[] = { 'H', 0x80, 'i', 0xFF };
	struct charset_info info;
	char out[16];
	int rc;

	assert_int_equal(charset_gsm7_to_utf8(out, sizeof(out), s, 4, CHARSET_STRICT, NULL), -EINVAL);
	rc = charset_gsm7_to_utf8(out, sizeof(out), s, 4, CHARSET_LENIENT, &info);
	assert_int_equal(rc, 8);
	assert_memory_equal(out, "H" CHARSET_REPLACEMENT_UTF8 "i" CHARSET_REPLACEMENT_UTF8, 8);
	assert_int_equal(info.replaced, 2);
	assert_int_equal(info.consumed, 4);
	assert_false(info.dangling);

	/* Characters outside both tables. */
	const char *t = "a\xe4\xb8\xad" "b`";	/* a 中 b ` */
	uint8_t sep[16];
	assert_int_equal(charset_utf8_to_gsm7(sep, sizeof(sep), t, strlen(t), 0, NULL), -EINVAL);
	assert_int_equal(charset_gsm7_septets(t, strlen(t), 0), -EINVAL);
	rc = charset_utf8_to_gsm7(sep, sizeof(sep), t, strlen(t), CHARSET_LENIENT, &info);
	assert_int_equal(rc, 4);
	assert_memory_equal(sep, "a?b?", 4);
	assert_int_equal(info.replaced, 2);
	assert_int_equal(charset_gsm7_septets(t, strlen(t), CHARSET_LENIENT), 4);
	/* U+001B is a control character, not the escape. */
	assert_int_equal(charset_gsm7_septets("\x1b", 1, 0), -EINVAL);
}

static void test_gsm7_septet_count(void **state)
{
	const char *t = "Receipt {shop #12} €5 ok";	/* 24 characters, 3 extension */

	assert_int_equal(charset_gsm7_septets(t, strlen(t), 0), 27);
	assert_int_equal(charset_gsm7_septets("", 0, 0), 0);
	assert_int_equal(charset_gsm7_septets("ΔΩ@", strlen("ΔΩ@"), 0), 3);
}

static void test_enospc(void **state)
{
	char out[8];
	uint8_t o8[8];
	const uint8_t sep[] = { 'a', 'b', 0x1B, 0x65 };	/* "ab€": 5 bytes of UTF-8 */

	assert_int_equal(charset_gsm7_to_utf8(out, 4, sep, 4, 0, NULL), -ENOSPC);
	assert_int_equal(charset_gsm7_to_utf8(out, 5, sep, 4, 0, NULL), 5);
	assert_int_equal(charset_gsm7_to_utf8(NULL, 0, sep, 4, 0, NULL), 5);
	assert_int_equal(charset_gsm7_to_utf8(NULL, 3, sep, 4, 0, NULL), -EINVAL);
	assert_int_equal(charset_utf8_to_gsm7(o8, 2, "a€", 4, 0, NULL), -ENOSPC);
	assert_int_equal(charset_utf8_to_ucs2(o8, 3, "ab", 2, 0, NULL), -ENOSPC);
	assert_int_equal(charset_utf8_to_ucs2(NULL, 0, "😀", 4, 0, NULL), 4);
	assert_int_equal(charset_ucs2_to_utf8(out, 3, (const uint8_t *)"\xd8\x3d\xde\x00", 4, 0,
					      NULL), -ENOSPC);
	assert_int_equal(charset_latin1_to_utf8(NULL, 0, (const uint8_t *)"\xe9t\xe9", 3, 0, NULL), 5);
}

/* Decode UTF-16BE (mode flags) and compare; returns info.replaced. */
static size_t ucs2_dec_eq(const char *in, size_t len, unsigned flags, const char *want)
{
	char out[256];
	struct charset_info info;
	int rc = charset_ucs2_to_utf8(out, sizeof(out), (const uint8_t *)in, len, flags, &info);

	assert_int_equal(rc, strlen(want));
	assert_memory_equal(out, want, rc);
	return info.replaced;
}

static void test_ucs2_basic(void **state)
{
	uint8_t out[64];

	/* "Aé€中😀": BMP and a supplementary character (surrogate pair). */
	const char be[] = "\x00\x41\x00\xe9\x20\xac\x4e\x2d\xd8\x3d\xde\x00";
	const char *u8 = "Aé€中😀";

	assert_int_equal(ucs2_dec_eq(be, 12, 0, u8), 0);
	assert_int_equal(charset_utf8_to_ucs2(out, sizeof(out), u8, strlen(u8), 0, NULL), 12);
	assert_memory_equal(out, be, 12);
	/* U+10FFFF is DBFF DFFF. */
	assert_int_equal(ucs2_dec_eq("\xdb\xff\xdf\xff", 4, 0, "\xf4\x8f\xbf\xbf"), 0);
	assert_int_equal(charset_utf8_to_ucs2(out, sizeof(out), "\xf4\x8f\xbf\xbf", 4, 0, NULL), 4);
	assert_memory_equal(out, "\xdb\xff\xdf\xff", 4);
}

static void test_ucs2_invalid(void **state)
{
	char out[64];
	const char *R = CHARSET_REPLACEMENT_UTF8;
	char want[64];

	/* Lone low, lone high before a BMP character, odd final byte. */
	const char bad[] = "\xde\x00\x00\x41\xd8\x3d\x00\x42\x00";
	assert_int_equal(charset_ucs2_to_utf8(out, sizeof(out), (const uint8_t *)bad, 9, 0, NULL),
			 -EINVAL);
	snprintf(want, sizeof(want), "%sA%sB%s", R, R, R);
	assert_int_equal(ucs2_dec_eq(bad, 9, CHARSET_LENIENT, want), 3);
	/* Two high surrogates in a row, then a pair: the first is unpaired. */
	snprintf(want, sizeof(want), "%s😀", R);
	assert_int_equal(ucs2_dec_eq("\xd8\x3d\xd8\x3d\xde\x00", 6, CHARSET_LENIENT, want), 1);
	/* A high surrogate at the end. */
	snprintf(want, sizeof(want), "A%s", R);
	assert_int_equal(ucs2_dec_eq("\x00\x41\xd8\x3d", 4, CHARSET_LENIENT, want), 1);
	assert_int_equal(charset_ucs2_to_utf8(out, sizeof(out), (const uint8_t *)"\x00\x41\xd8\x3d", 4,
					      0, NULL), -EINVAL);
}

/* 😀 U+1F600 = D83D DE00 split across two segments. */
static void test_ucs2_split_emoji(void **state)
{
	const uint8_t seg1[] = { 0x00, 0x41, 0xD8, 0x3D };
	const uint8_t seg2[] = { 0xDE, 0x00, 0x00, 0x42 };
	uint8_t joined[8];
	struct charset_info info;
	char out[32];
	int rc;

	memcpy(joined, seg1, 4);
	memcpy(joined + 4, seg2, 4);
	/* After reassembly the pair is whole. */
	assert_int_equal(ucs2_dec_eq((const char *)joined, 8, 0, "A😀B"), 0);
	/* Segment by segment: the caller is told of the dangling high half. */
	rc = charset_ucs2_to_utf8(out, sizeof(out), seg1, 4, CHARSET_PARTIAL, &info);
	assert_int_equal(rc, 1);
	assert_true(info.dangling);
	assert_int_equal(info.consumed, 2);
	assert_int_equal(info.replaced, 0);
	/* ... and can carry it over. */
	uint8_t next[6];
	memcpy(next, seg1 + info.consumed, 2);
	memcpy(next + 2, seg2, 4);
	rc = charset_ucs2_to_utf8(out, sizeof(out), next, 6, CHARSET_PARTIAL, &info);
	assert_int_equal(rc, 5);
	assert_memory_equal(out, "😀B", 5);
	assert_false(info.dangling);
	assert_int_equal(info.consumed, 6);
	/* An odd byte is dangling too in a piece. */
	rc = charset_ucs2_to_utf8(out, sizeof(out), (const uint8_t *)"\x00\x42\x00", 3,
				  CHARSET_PARTIAL, &info);
	assert_int_equal(rc, 1);
	assert_int_equal(out[0], 'B');
	assert_int_equal(info.consumed, 2);
	assert_true(info.dangling);
	/* Segment 2 alone starts with a lone low surrogate. */
	assert_int_equal(charset_ucs2_to_utf8(out, sizeof(out), seg2, 4, 0, NULL), -EINVAL);
}

/* Every kind of invalid UTF-8 is refused by every encoder, in both modes. */
static void test_utf8_invalid(void **state)
{
	static const char *const bad[] = {
		"\x80", "\xbf", "a\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",		/* overlong */
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\xbd\xed\xb8\x80", /* surrogates (CESU) */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xff", "\xfe",
		"\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\x41", "\xe2\x28\xac",	/* truncated */
	};
	uint8_t out[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);

		for (unsigned f = 0; f < 2; f++) {
			assert_int_equal(charset_utf8_to_gsm7(out, sizeof(out), bad[i], n, f, NULL), -EINVAL);
			assert_int_equal(charset_utf8_to_ucs2(out, sizeof(out), bad[i], n, f, NULL), -EINVAL);
			assert_int_equal(charset_utf8_to_latin1(out, sizeof(out), bad[i], n, f, NULL), -EINVAL);
			assert_int_equal(charset_utf8_to_ascii(out, sizeof(out), bad[i], n, f, NULL), -EINVAL);
		}
		assert_int_equal(charset_utf8_check(bad[i], n), -EINVAL);
	}
	/* The edges that are valid. */
	assert_int_equal(charset_utf8_check("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
					    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 21), 7);
	/* A NUL is a character like any other in (buf, len). */
	assert_int_equal(charset_utf8_check("a\0b", 3), 3);
}

static void test_latin1_ascii(void **state)
{
	uint8_t all[256], back[256];
	char u8[512];
	struct charset_info info;
	int rc;

	for (unsigned i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	rc = charset_latin1_to_utf8(u8, sizeof(u8), all, 256, 0, NULL);
	assert_int_equal(rc, 128 + 2 * 128);
	assert_int_equal(charset_utf8_to_latin1(back, sizeof(back), u8, (size_t)rc, 0, NULL), 256);
	assert_memory_equal(all, back, 256);
	assert_int_equal(charset_latin1_to_utf8(u8, sizeof(u8), (const uint8_t *)"\xe9", 1, 0, NULL), 2);
	assert_memory_equal(u8, "é", 2);
	/* Above U+00FF. */
	assert_int_equal(charset_utf8_to_latin1(back, sizeof(back), "5€", 4, 0, NULL), -EINVAL);
	rc = charset_utf8_to_latin1(back, sizeof(back), "5€", 4, CHARSET_LENIENT, &info);
	assert_int_equal(rc, 2);
	assert_memory_equal(back, "5?", 2);
	assert_int_equal(info.replaced, 1);

	/* IA5: 0x00..0x7F round-trip; above is invalid. */
	rc = charset_ascii_to_utf8(u8, sizeof(u8), all, 128, 0, NULL);
	assert_int_equal(rc, 128);
	assert_memory_equal(u8, all, 128);
	assert_int_equal(charset_utf8_to_ascii(back, sizeof(back), u8, 128, 0, NULL), 128);
	assert_memory_equal(back, all, 128);
	assert_int_equal(charset_ascii_to_utf8(u8, sizeof(u8), all + 120, 10, 0, NULL), -EINVAL);
	rc = charset_ascii_to_utf8(u8, sizeof(u8), all + 126, 4, CHARSET_LENIENT, &info);
	assert_int_equal(rc, 2 + 3 + 3);
	assert_memory_equal(u8, "\x7e\x7f" CHARSET_REPLACEMENT_UTF8 CHARSET_REPLACEMENT_UTF8, 8);
	assert_int_equal(info.replaced, 2);
	assert_int_equal(charset_utf8_to_ascii(back, sizeof(back), "é", 2, 0, NULL), -EINVAL);
	assert_int_equal(charset_utf8_to_ascii(back, sizeof(back), "é", 2, CHARSET_LENIENT, NULL), 1);
}

static void test_dispatch(void **state)
{
	char out[16];

	assert_int_equal(charset_to_utf8(CHARSET_GSM7, out, sizeof(out), (const uint8_t *)"\x00", 1, 0,
					 NULL), 1);
	assert_int_equal(out[0], '@');
	assert_int_equal(charset_to_utf8(CHARSET_UCS2, out, sizeof(out), (const uint8_t *)"\x00\x40",
					 2, 0, NULL), 1);
	assert_int_equal(charset_to_utf8(CHARSET_LATIN1, out, sizeof(out), (const uint8_t *)"\xa3", 1,
					 0, NULL), 2);
	assert_int_equal(charset_to_utf8(CHARSET_ASCII, out, sizeof(out), (const uint8_t *)"\xa3", 1,
					 0, NULL), -EINVAL);
	assert_int_equal(charset_to_utf8(CHARSET_8BIT, out, sizeof(out), (const uint8_t *)"a", 1, 0,
					 NULL), -EINVAL);
}

/* The vectors' texts round-trip through every coding that can hold them. */
static void test_vector_texts(void **state)
{
	static const char *const names[] = { "armoured-ed25519-1", "tpdu-gsm7-concat",
					      "tpdu-ucs2-concat" };
	char *json = vec_load();
	char text[1024], dec[1024];
	uint8_t enc[2048];
	int n, rc;

	assert_non_null(json);
	for (size_t i = 0; i < 3; i++) {
		n = vec_field(json, names[i], "text", 0, text, sizeof(text));
		assert_true(n > 0);
		assert_true(charset_utf8_check(text, (size_t)n) > 0);
		rc = charset_utf8_to_ucs2(enc, sizeof(enc), text, (size_t)n, 0, NULL);
		assert_true(rc > 0);
		rc = charset_ucs2_to_utf8(dec, sizeof(dec), enc, (size_t)rc, 0, NULL);
		assert_int_equal(rc, n);
		assert_memory_equal(dec, text, n);
		rc = charset_utf8_to_gsm7(enc, sizeof(enc), text, (size_t)n, 0, NULL);
		if (i == 2) {	/* Chinese and an emoji: UCS-2 only */
			assert_int_equal(rc, -EINVAL);
			continue;
		}
		assert_true(rc >= n);
		rc = charset_gsm7_to_utf8(dec, sizeof(dec), enc, (size_t)rc, 0, NULL);
		assert_int_equal(rc, n);
		assert_memory_equal(dec, text, n);
	}
	/* "Receipt {shop #12} €5 ok" uses three extension characters. */
	n = vec_field(json, "tpdu-gsm7-concat", "text", 0, text, sizeof(text));
	assert_memory_equal(text, "Receipt {shop #12} €5 ok\n", 27);
	assert_int_equal(charset_gsm7_septets(text, 27, 0), 28);
	free(json);
}

/* ---- seeded random round trips ---- */

static uint64_t rnd_state;

/* xorshift64*: reproducible from the printed seed on every libc. */
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* A random scalar value: ASCII, Latin, BMP or supplementary, no surrogates. */
static uint32_t rnd_scalar(void)
{
	uint32_t cp;

	switch (rnd() % 4) {
	case 0:
		return rnd() % 0x80;
	case 1:
		return rnd() % 0x800;
	case 2:
		do
			cp = rnd() % 0x10000;
		while (cp >= 0xD800 && cp <= 0xDFFF);
		return cp;
	default:
		return 0x10000 + rnd() % 0x100000;
	}
}

static void random_unicode(unsigned rounds)
{
	char u8[1024], back[1024];
	uint8_t be[1024];
	int n, m;

	for (unsigned r = 0; r < rounds; r++) {
		size_t o = 0;
		unsigned chars = rnd() % 200;

		for (unsigned i = 0; i < chars; i++)
			assert_int_equal(vec_put_utf8(u8, sizeof(u8), &o, rnd_scalar()), 0);
		assert_int_equal(charset_utf8_check(u8, o), chars);
		n = charset_utf8_to_ucs2(be, sizeof(be), u8, o, CHARSET_STRICT, NULL);
		assert_true(n >= 2 * (int)chars && n <= 4 * (int)chars);
		m = charset_ucs2_to_utf8(back, sizeof(back), be, (size_t)n, CHARSET_STRICT, NULL);
		assert_int_equal(m, o);
		assert_memory_equal(back, u8, o);
		/* Cut anywhere: a piece decodes in partial mode without loss. */
		size_t cut = n ? rnd() % (unsigned)n : 0;
		struct charset_info info;
		m = charset_ucs2_to_utf8(back, sizeof(back), be, cut, CHARSET_PARTIAL, &info);
		assert_true(m >= 0 && m <= (int)o);
		assert_memory_equal(back, u8, (size_t)m);
		assert_true(cut - info.consumed <= 3);
		assert_int_equal(info.dangling, info.consumed < cut);
	}
}

static void random_gsm7(unsigned rounds)
{
	static const uint8_t ext[] = { 0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65 };
	uint8_t sep[400], back[400];
	char u8[1200];
	int n, m;

	for (unsigned r = 0; r < rounds; r++) {
		size_t len = 0;
		unsigned chars = rnd() % 160;

		/* Only what encodes back the same: no ESC + undefined code. */
		for (unsigned i = 0; i < chars; i++) {
			uint8_t c = (uint8_t)(rnd() % 128);

			if (c == 0x1B) {
				sep[len++] = 0x1B;
				c = ext[rnd() % sizeof(ext)];
			}
			sep[len++] = c;
		}
		n = charset_gsm7_to_utf8(u8, sizeof(u8), sep, len, CHARSET_STRICT, NULL);
		assert_int_equal(charset_utf8_check(u8, (size_t)n), chars);
		m = charset_utf8_to_gsm7(back, sizeof(back), u8, (size_t)n, CHARSET_STRICT, NULL);
		assert_int_equal(m, len);
		assert_memory_equal(back, sep, len);
		assert_int_equal(charset_gsm7_septets(u8, (size_t)n, CHARSET_STRICT), len);
	}
}

static void test_random_round_trips(void **state)
{
	rnd_state = test_seed() | 1;
	random_unicode(2000);
	random_gsm7(2000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsm7_default_table),
		cmocka_unit_test(test_gsm7_ext_table),
		cmocka_unit_test(test_gsm7_every_scalar),
		cmocka_unit_test(test_gsm7_ext_undefined),
		cmocka_unit_test(test_gsm7_lone_escape),
		cmocka_unit_test(test_gsm7_invalid),
		cmocka_unit_test(test_gsm7_septet_count),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_ucs2_basic),
		cmocka_unit_test(test_ucs2_invalid),
		cmocka_unit_test(test_ucs2_split_emoji),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_latin1_ascii),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_vector_texts),
		cmocka_unit_test(test_random_round_trips),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
