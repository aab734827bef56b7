/*
 * armour.c — "TXL1:" scanner and a strict RFC 4648 base64 codec.
 *
 * Why not OpenSSL's EVP_DecodeBlock/EVP_DecodeUpdate: EVP_DecodeBlock
 * requires a multiple of 4 characters (padding is optional in our armour),
 * decodes '=' padding into zero bytes that the caller must trim by hand,
 * does not check that unused trailing bits are zero, and trims leading and
 * trailing white space but refuses it inside; EVP_DecodeUpdate accepts
 * '=' followed by more data in some positions and treats '-' specially
 * (PEM soft end of line).  The spec wants white space anywhere and exact
 * padding, so a small decoder of our own is clearer than wrapping theirs.
 */
#include <errno.h>
#include <string.h>

#include "gateway/lib/cursor.h"
#include "gateway/txlog/armour.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63, or -1 for a character outside the alphabet. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int bad(const char **why, const char *text)
{
	if (why)
		*why = text;
	return -EINVAL;
}

/* Check the count of data characters n and of pads against RFC 4648 §4 and
 * the unused bits of the last character (RFC 4648 §3.5). */
static int check_tail(size_t n, size_t pads, unsigned acc, const char **why)
{
	if (n % 4 == 1)
		return bad(why, "base64 length is 1 mod 4");
	if (pads && !(n % 4 == 2 && pads == 2) && !(n % 4 == 3 && pads == 1))
		return bad(why, "base64 has wrong padding");
	if ((n % 4 == 2 && (acc & 0x0f)) || (n % 4 == 3 && (acc & 0x03)))
		return bad(why, "base64 has non-zero trailing bits");
	return 0;
}

int b64_decode(uint8_t *out, size_t cap, const char *in, size_t len, const char **why)
{
	struct wr w;
	size_t i, n = 0, pads = 0;
	unsigned acc = 0;
	int v;

	wr_init(&w, out, cap);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (is_space(c))
			continue;
		if (c == '=') {
			pads++;
			continue;
		}
		v = b64_value(c);
		if (v < 0)
			return bad(why, "not a base64 character");
		if (pads)
			return bad(why, "base64 '=' in the middle");
		acc = acc << 6 | (unsigned)v;
		n++;
		/* Each character after the first of a quantum completes a byte. */
		if (n % 4 == 2)
			wr_u8(&w, (uint8_t)(acc >> 4));
		else if (n % 4 == 3)
			wr_u8(&w, (uint8_t)(acc >> 2));
		else if (n % 4 == 0) {
			wr_u8(&w, (uint8_t)acc);
			acc = 0;
		}
	}
	if (check_tail(n, pads, acc, why))
		return -EINVAL;
	if (w.err) {
		if (why)
			*why = "armour is longer than the largest frame";
		return -ENOSPC;
	}
	if (why)
		*why = "";
	return (int)w.off;
}

int b64_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	size_t i, o = 0, need = (len + 2) / 3 * 4 + 1;

	if (need > cap || len > (size_t)1 << 28)
		return -ENOSPC;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

int armour_encode(char *out, size_t cap, const uint8_t *frame, size_t len)
{
	int rc;

	if (cap < ARMOUR_PREFIX_LEN)
		return -ENOSPC;
	memcpy(out, ARMOUR_PREFIX, ARMOUR_PREFIX_LEN);
	rc = b64_encode(out + ARMOUR_PREFIX_LEN, cap - ARMOUR_PREFIX_LEN, frame, len);
	return rc < 0 ? rc : rc + ARMOUR_PREFIX_LEN;
}

void armour_scan_init(struct armour_scan *s)
{
	s->pos = 0;
}

static bool prefix_at(const char *text, size_t len, size_t i)
{
	return len - i >= ARMOUR_PREFIX_LEN && !memcmp(text + i, ARMOUR_PREFIX, ARMOUR_PREFIX_LEN);
}

int armour_next(struct armour_scan *s, const char *text, size_t len, struct armour_hit *hit,
		uint8_t *out, size_t cap)
{
	const char *p;
	size_t i, start, end;
	int rc;

	if (s->pos >= len)
		return 0;
	p = memmem(text + s->pos, len - s->pos, ARMOUR_PREFIX, ARMOUR_PREFIX_LEN);
	if (!p) {
		s->pos = len;
		return 0;
	}
	hit->offset = (size_t)(p - text);
	start = end = hit->offset + ARMOUR_PREFIX_LEN;
	/* The armour runs over base64 characters and white space and ends at
	 * the first other character or at the next "TXL1:". */
	for (i = start; i < len && !prefix_at(text, len, i); i++) {
		unsigned char c = (unsigned char)text[i];

		if (is_space(c))
			continue;
		if (c != '=' && b64_value(c) < 0)
			break;
		end = i + 1;
	}
	s->pos = i;
	hit->end = end;
	rc = b64_decode(out, cap, text + start, end - start, &hit->why);
	hit->err = rc < 0 ? rc : 0;
	hit->len = rc < 0 ? 0 : (size_t)rc;
	return 1;
}
