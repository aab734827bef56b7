/*
 * charset.h — SMS and mail text codings to and from UTF-8.
 *
 * Codings (3GPP TS 23.038 §4, §6; SMPP 3.4 §5.2.19 data_coding):
 *  - GSM 7-bit default alphabet with its extension table (23.038 §6.2.1,
 *    §6.2.1.1), on UNPACKED septets, one per byte (packing is gsm7.h's);
 *  - UCS-2, taken as UTF-16BE so surrogate pairs work (23.038 §6.2.3);
 *  - ISO 8859-1 (SMPP data_coding 3) and IA5/ASCII (data_coding 1).
 *
 * No I/O and no allocation: every function takes (buf, len) in and writes at
 * most cap bytes out.  UTF-8 output is NOT NUL-terminated.
 *
 * Sizing: every function accepts out == NULL with cap == 0 and then returns
 * the number of bytes it would write, so a caller can size a buffer first.
 *
 * Errors (negative errno):
 *   -EINVAL  invalid input (strict mode), or invalid UTF-8 given to an
 *            encoder (overlong form, surrogate code point, above U+10FFFF,
 *            truncated sequence) in any mode; in == NULL with len > 0, or
 *            out == NULL with cap > 0;
 *   -ENOSPC  out is too small (nothing useful is left in out then);
 *   -ERANGE  the output would be larger than INT_MAX bytes (sizes are int).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flags for every function below. */
enum charset_flags {
	/* Default: refuse invalid or unrepresentable input with -EINVAL. */
	CHARSET_STRICT = 0,
	/*
	 * Decoders: each invalid unit becomes U+FFFD.  Encoders: each
	 * character the target set cannot hold becomes '?'.  Either way the
	 * text is still produced and info->replaced counts the replacements.
	 * Invalid UTF-8 given to an encoder is -EINVAL even so.
	 */
	CHARSET_LENIENT = 1 << 0,
	/*
	 * Decoders: the input is a piece of a longer text.  An incomplete
	 * unit at its end (a UCS-2 high surrogate or odd byte, a GSM escape)
	 * is left unconsumed and reported in info->dangling / info->consumed
	 * rather than replaced or refused, so the caller can carry it over.
	 */
	CHARSET_PARTIAL = 1 << 1,
};

/* What a conversion did, besides the bytes it wrote.  May be NULL. */
struct charset_info {
	size_t replaced;	/* units replaced (CHARSET_LENIENT) */
	size_t consumed;	/* input bytes consumed (< len only with CHARSET_PARTIAL) */
	bool dangling;		/* CHARSET_PARTIAL: an incomplete unit was left at the end */
};

/* The codings a message can arrive in; values are the caller's to store. */
enum charset_coding {
	CHARSET_GSM7 = 0,	/* unpacked septets */
	CHARSET_8BIT,		/* binary octets: not text */
	CHARSET_UCS2,		/* UTF-16BE */
	CHARSET_LATIN1,		/* ISO 8859-1 */
	CHARSET_ASCII,		/* IA5 / US-ASCII */
};

/* The Unicode replacement character U+FFFD, UTF-8 encoded. */
#define CHARSET_REPLACEMENT_UTF8 "\xEF\xBF\xBD"

/*
 * GSM 7-bit septets (one per byte, 0x00..0x7F) -> UTF-8, per 23.038 §6.2.1
 * and the extension table §6.2.1.1:
 *  - ESC + a code the extension table does not define shows the default
 *    table's character for that code (§6.2.1.1, the paragraph under the
 *    table); ESC + 0x0D (CR2, a control with no glyph) is thus CR;
 *  - ESC ESC (reserved for another extension table) shows a space (note 1);
 *  - a lone ESC at the very end shows a space, as the default table's note
 *    on 0x1B says of an escape the receiver cannot use (with CHARSET_PARTIAL
 *    it is left unconsumed instead);
 *  - a byte above 0x7F is not a septet: -EINVAL, or U+FFFD when lenient.
 * Returns bytes written or a negative errno.
 */
int charset_gsm7_to_utf8(char *out, size_t cap, const uint8_t *septets, size_t n,
			 unsigned flags, struct charset_info *info);

/*
 * UTF-8 -> GSM 7-bit septets (one per byte), extension characters as
 * ESC + code.  A character outside both tables: -EINVAL, or '?' when
 * CHARSET_LENIENT.  Returns septets written or a negative errno.
 */
int charset_utf8_to_gsm7(uint8_t *out, size_t cap, const char *utf8, size_t len,
			 unsigned flags, struct charset_info *info);

/*
 * Septets the UTF-8 text needs in the GSM 7-bit alphabet (an extension
 * character counts two), or -EINVAL if it is invalid UTF-8 or (unless
 * CHARSET_LENIENT) holds a character outside the alphabet.
 */
int charset_gsm7_septets(const char *utf8, size_t len, unsigned flags);

/*
 * UCS-2 / UTF-16BE octets -> UTF-8 (23.038 §6.2.3).  A surrogate pair
 * gives one supplementary character.  A lone or unpaired surrogate, or an
 * odd final byte: -EINVAL, or U+FFFD and counted when CHARSET_LENIENT.
 * With CHARSET_PARTIAL a high surrogate or odd byte at the very end is
 * left unconsumed and flagged in info->dangling instead (for a caller
 * decoding segment by segment; reassembled text should not need it).
 * Returns bytes written or a negative errno.
 */
int charset_ucs2_to_utf8(char *out, size_t cap, const uint8_t *in, size_t len,
			 unsigned flags, struct charset_info *info);

/*
 * UTF-8 -> UTF-16BE octets (characters above U+FFFF as surrogate pairs).
 * Every valid UTF-8 text is representable; invalid UTF-8: -EINVAL.
 * Returns octets written or a negative errno.
 */
int charset_utf8_to_ucs2(uint8_t *out, size_t cap, const char *utf8, size_t len,
			 unsigned flags, struct charset_info *info);

/* ISO 8859-1 -> UTF-8; every byte is a character.  Bytes written or -errno. */
int charset_latin1_to_utf8(char *out, size_t cap, const uint8_t *in, size_t len,
			   unsigned flags, struct charset_info *info);

/* UTF-8 -> ISO 8859-1; above U+00FF: -EINVAL, or '?' when lenient. */
int charset_utf8_to_latin1(uint8_t *out, size_t cap, const char *utf8, size_t len,
			   unsigned flags, struct charset_info *info);

/* IA5/ASCII -> UTF-8; a byte above 0x7F: -EINVAL, or U+FFFD when lenient. */
int charset_ascii_to_utf8(char *out, size_t cap, const uint8_t *in, size_t len,
			  unsigned flags, struct charset_info *info);

/* UTF-8 -> ASCII; above U+007F: -EINVAL, or '?' when lenient. */
int charset_utf8_to_ascii(uint8_t *out, size_t cap, const char *utf8, size_t len,
			  unsigned flags, struct charset_info *info);

/*
 * Decode in (coding as above) to UTF-8 by calling the matching function.
 * CHARSET_8BIT is binary, not text: -EINVAL.
 */
int charset_to_utf8(enum charset_coding coding, char *out, size_t cap,
		    const uint8_t *in, size_t len, unsigned flags, struct charset_info *info);

/*
 * Check that utf8[0..len) is valid UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF).  Returns the number of characters or -EINVAL.
 */
int charset_utf8_check(const char *utf8, size_t len);
