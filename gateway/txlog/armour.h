/*
 * armour.h — the armoured text form of TXLOG frames (txlog-v1.md
 * "Armoured text form"): "TXL1:" followed by the frame in base64.
 *
 * The scanner finds every armour in a text and decodes it; it does no I/O
 * and keeps no state beyond struct armour_scan.  Text is UTF-8 or ASCII:
 * the prefix and base64 are ASCII, and a byte >= 0x80 simply ends an armour.
 *
 * White space inside an armour: space, tab, CR, LF, and also form feed and
 * vertical tab (FF is what the GSM 7-bit extension "page break" 0x1B 0x0A
 * becomes, and C's isspace() agrees on these six).  Any other character,
 * Unicode spaces included, ends the armour: the spec names only spaces and
 * line breaks, and the prefix and base64 alphabet are all GSM 7-bit.
 *
 * Base64 is RFC 4648 §4 (standard alphabet), decoded strictly: padding is
 * optional but, when present, complete; '=' is only at the end; a length
 * of 1 mod 4 and non-zero unused trailing bits (RFC 4648 §3.5) are refused.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARMOUR_PREFIX		"TXL1:"
#define ARMOUR_PREFIX_LEN	5

struct armour_scan {
	size_t pos;		/* where the next search starts */
};

struct armour_hit {
	size_t offset;		/* of "TXL1:" in the text */
	size_t end;		/* just after the armour's last non-space character */
	int err;		/* 0, -EINVAL (base64 does not decode), -ENOSPC (longer than cap) */
	const char *why;	/* static explanation when err != 0, else "" */
	size_t len;		/* decoded bytes in the caller's buffer (0 when err) */
};

void armour_scan_init(struct armour_scan *s);

/*
 * Find the next armour in text[len] from where s left off.  Returns 1 and
 * fills hit, the decoded bytes in out[cap] (cap TXL_MAX_LEN is enough for
 * any valid frame; a longer armour gives hit->err -ENOSPC), or 0 when
 * there is none left.  A hit with an error is still a hit: the spec makes
 * it a malformed frame.  An empty armour decodes to 0 bytes without error.
 */
int armour_next(struct armour_scan *s, const char *text, size_t len, struct armour_hit *hit,
		uint8_t *out, size_t cap);

/*
 * Strict base64 decode of in[len], skipping the white space above.
 * Returns the number of bytes written to out[cap], -EINVAL (a character
 * outside the alphabet, '=' in the middle, wrong padding, length 1 mod 4,
 * non-zero trailing bits; *why says which) or -ENOSPC.
 */
int b64_decode(uint8_t *out, size_t cap, const char *in, size_t len, const char **why);

/* Base64 of in[len] into out[cap] with '=' padding and a NUL.  Returns the
 * length without the NUL, or -ENOSPC. */
int b64_encode(char *out, size_t cap, const uint8_t *in, size_t len);

/* "TXL1:" and the base64 of frame[len] (padded, one line) with a NUL.
 * Returns the length without the NUL, or -ENOSPC. */
int armour_encode(char *out, size_t cap, const uint8_t *frame, size_t len);
