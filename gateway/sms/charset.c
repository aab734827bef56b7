/*
 * charset.c — SMS and mail text codings to and from UTF-8 (see charset.h).
 *
 * Why our own GSM 7-bit table: libosmocore's gsm_7bit_decode_n_hdr() maps
 * septets to a Latin-ish 8-bit set, not to UTF-8 (no €, no Greek capitals,
 * no UTF-8 for the accented letters), and has no encoder for UTF-8 input,
 * so the 23.038 tables are kept here as static const data.
 */
#include <errno.h>
#include <limits.h>

#include "gateway/lib/cursor.h"
#include "gateway/sms/charset.h"

/* 3GPP TS 23.038 §6.2.1: the GSM 7-bit default alphabet, septet -> Unicode. */
static const uint16_t gsm7_default[128] = {
	0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
	0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
	0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
	/* 0x1B is the escape (§6.2.1.1); shown as a space where unusable. */
	0x03A3, 0x0398, 0x039E, 0x0020, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
	0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
	0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

#define GSM7_ESC 0x1B

/*
 * 3GPP TS 23.038 §6.2.1.1: the extension table, reached by ESC + code.
 * 0 marks a code the table does not define.  0x0D (CR2) is a control with
 * no character and is left undefined; 0x1B (reserved for a further table)
 * is shown as a space, as note 1 of the table requires.
 */
static const uint16_t gsm7_ext[128] = {
	[0x0A] = 0x000C,	/* page break (note 3) */
	[0x14] = 0x005E,	/* ^ */
	[0x1B] = 0x0020,	/* reserved: a space (note 1) */
	[0x28] = 0x007B,	/* { */
	[0x29] = 0x007D,	/* } */
	[0x2F] = 0x005C,	/* backslash */
	[0x3C] = 0x005B,	/* [ */
	[0x3D] = 0x007E,	/* ~ */
	[0x3E] = 0x005D,	/* ] */
	[0x40] = 0x007C,	/* | */
	[0x65] = 0x20AC,	/* € (note 2) */
};

/*
 * The encoder's reverse lookup: every character of the two tables above
 * that is not at its own code in the default table (the ASCII letters,
 * digits and most punctuation are, and take a fast path), sorted by code
 * point for a binary search.  Derived from gsm7_default and gsm7_ext; the
 * unit test encodes every Unicode scalar value against both.
 */
static const struct gsm7_rev {
	uint16_t cp;
	uint8_t code;
	uint8_t ext;		/* 1: ESC + code (§6.2.1.1) */
} gsm7_rev[] = {
	{ 0x000C, 0x0A, 1 }, { 0x0024, 0x02, 0 }, { 0x0040, 0x00, 0 }, { 0x005B, 0x3C, 1 },
	{ 0x005C, 0x2F, 1 }, { 0x005D, 0x3E, 1 }, { 0x005E, 0x14, 1 }, { 0x005F, 0x11, 0 },
	{ 0x007B, 0x28, 1 }, { 0x007C, 0x40, 1 }, { 0x007D, 0x29, 1 }, { 0x007E, 0x3D, 1 },
	{ 0x00A1, 0x40, 0 }, { 0x00A3, 0x01, 0 }, { 0x00A4, 0x24, 0 }, { 0x00A5, 0x03, 0 },
	{ 0x00A7, 0x5F, 0 }, { 0x00BF, 0x60, 0 }, { 0x00C4, 0x5B, 0 }, { 0x00C5, 0x0E, 0 },
	{ 0x00C6, 0x1C, 0 }, { 0x00C7, 0x09, 0 }, { 0x00C9, 0x1F, 0 }, { 0x00D1, 0x5D, 0 },
	{ 0x00D6, 0x5C, 0 }, { 0x00D8, 0x0B, 0 }, { 0x00DC, 0x5E, 0 }, { 0x00DF, 0x1E, 0 },
	{ 0x00E0, 0x7F, 0 }, { 0x00E4, 0x7B, 0 }, { 0x00E5, 0x0F, 0 }, { 0x00E6, 0x1D, 0 },
	{ 0x00E8, 0x04, 0 }, { 0x00E9, 0x05, 0 }, { 0x00EC, 0x07, 0 }, { 0x00F1, 0x7D, 0 },
	{ 0x00F2, 0x08, 0 }, { 0x00F6, 0x7C, 0 }, { 0x00F8, 0x0C, 0 }, { 0x00F9, 0x06, 0 },
	{ 0x00FC, 0x7E, 0 }, { 0x0393, 0x13, 0 }, { 0x0394, 0x10, 0 }, { 0x0398, 0x19, 0 },
	{ 0x039B, 0x14, 0 }, { 0x039E, 0x1A, 0 }, { 0x03A0, 0x16, 0 }, { 0x03A3, 0x18, 0 },
	{ 0x03A6, 0x12, 0 }, { 0x03A8, 0x17, 0 }, { 0x03A9, 0x15, 0 }, { 0x20AC, 0x65, 1 },
};

#define UNI_REPLACEMENT 0xFFFD
#define SUBST_CHAR '?'

/*
 * Output: a struct wr over the caller's buffer, or a counter when the caller
 * passed out == NULL (size query).  Sizes are returned as int, so the total
 * is capped at INT_MAX (-ERANGE past it).
 */
static int out_init(struct wr *w, void *out, size_t cap)
{
	if (!out && cap)
		return -EINVAL;
	wr_init(w, out, out ? cap : 0);
	return 0;
}

static void out_put(struct wr *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > (size_t)INT_MAX - w->off) {
		w->err = -ERANGE;
		return;
	}
	if (!w->buf)
		w->off += n;
	else
		wr_bytes(w, p, n);
}

static void out_u8(struct wr *w, uint8_t v)
{
	out_put(w, &v, 1);
}

static void out_utf8(struct wr *w, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xC0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xE0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xF0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	out_put(w, b, n);
}

static void out_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	out_put(w, b, 2);
}

static int out_done(struct wr *w)
{
	return w->err ? w->err : (int)w->off;
}

/* Conversion state shared by the decoders and encoders. */
struct conv {
	struct rd r;
	struct wr w;
	unsigned flags;
	size_t replaced;
	bool dangling;
};

static int conv_init(struct conv *c, void *out, size_t cap, const void *in, size_t len,
		     unsigned flags)
{
	if (!in && len)
		return -EINVAL;
	rd_init(&c->r, in, len);
	c->flags = flags;
	c->replaced = 0;
	c->dangling = false;
	return out_init(&c->w, out, cap);
}

/* An invalid input unit: -EINVAL when strict, else replacement text. */
static int conv_bad_in(struct conv *c)
{
	if (!(c->flags & CHARSET_LENIENT))
		return -EINVAL;
	c->replaced++;
	out_utf8(&c->w, UNI_REPLACEMENT);
	return 0;
}

/* A character the target set cannot hold: -EINVAL when strict, else '?'. */
static int conv_unrepresentable(struct conv *c)
{
	if (!(c->flags & CHARSET_LENIENT))
		return -EINVAL;
	c->replaced++;
	out_u8(&c->w, SUBST_CHAR);
	return 0;
}

static int conv_done(struct conv *c, int rc, struct charset_info *info)
{
	if (rc < 0)
		return rc;
	if (info) {
		info->replaced = c->replaced;
		info->consumed = c->r.off;
		info->dangling = c->dangling;
	}
	return out_done(&c->w);
}

/*
 * Read one UTF-8 character (RFC 3629 §3, §4): no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence.
 */
static int utf8_next(struct rd *r, uint32_t *cp)
{
	uint8_t b;
	uint32_t min, v;
	unsigned n;

	if (rd_u8(r, &b))
		return -EINVAL;
	if (b < 0x80) {
		*cp = b;
		return 0;
	}
	if (b < 0xC2 || b > 0xF4)	/* continuation, overlong lead, or > U+10FFFF */
		return -EINVAL;
	if (b < 0xE0) {
		n = 1, min = 0x80, v = b & 0x1F;
	} else if (b < 0xF0) {
		n = 2, min = 0x800, v = b & 0x0F;
	} else {
		n = 3, min = 0x10000, v = b & 0x07;
	}
	while (n--) {
		if (rd_u8(r, &b) || (b & 0xC0) != 0x80)
			return -EINVAL;
		v = v << 6 | (b & 0x3F);
	}
	if (v < min || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
		return -EINVAL;
	*cp = v;
	return 0;
}

int charset_utf8_check(const char *utf8, size_t len)
{
	struct rd r;
	uint32_t cp;
	size_t n = 0;

	if (!utf8 && len)
		return -EINVAL;
	rd_init(&r, (const uint8_t *)utf8, len);
	while (rd_left(&r)) {
		if (utf8_next(&r, &cp))
			return -EINVAL;
		n++;
	}
	return n > INT_MAX ? -ERANGE : (int)n;
}

/*
 * Encoders: UTF-8 in, one character at a time through put(), which writes
 * the character and returns 0, or returns 1 when the target cannot hold it.
 */
typedef int (*put_fn)(struct wr *w, uint32_t cp);

static int encode(void *out, size_t cap, const char *utf8, size_t len, unsigned flags,
		  struct charset_info *info, put_fn put)
{
	struct conv c;
	uint32_t cp;
	int rc = conv_init(&c, out, cap, utf8, len, flags);

	while (rc == 0 && rd_left(&c.r)) {
		rc = utf8_next(&c.r, &cp);
		if (rc == 0 && put(&c.w, cp))
			rc = conv_unrepresentable(&c);
	}
	return conv_done(&c, rc, info);
}

/* ---- GSM 7-bit ---- */

static int gsm7_put_char(struct wr *w, uint32_t cp)
{
	size_t lo = 0, hi = sizeof(gsm7_rev) / sizeof(gsm7_rev[0]), mid;

	/* Most text is in the part of the table that equals ASCII. */
	if (cp < 0x80 && gsm7_default[cp] == cp) {
		out_u8(w, (uint8_t)cp);
		return 0;
	}
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (gsm7_rev[mid].cp < cp) {
			lo = mid + 1;
		} else if (gsm7_rev[mid].cp > cp) {
			hi = mid;
		} else if (gsm7_rev[mid].ext) {
			uint8_t esc[2] = { GSM7_ESC, gsm7_rev[mid].code };
			out_put(w, esc, 2);
			return 0;
		} else {
			out_u8(w, gsm7_rev[mid].code);
			return 0;
		}
	}
	return 1;
}

int charset_utf8_to_gsm7(uint8_t *out, size_t cap, const char *utf8, size_t len,
			 unsigned flags, struct charset_info *info)
{
	return encode(out, cap, utf8, len, flags, info, gsm7_put_char);
}

int charset_gsm7_septets(const char *utf8, size_t len, unsigned flags)
{
	return charset_utf8_to_gsm7(NULL, 0, utf8, len, flags, NULL);
}

/* The character ESC + e stands for (e a septet), per 23.038 §6.2.1.1. */
static uint16_t gsm7_escaped(uint8_t e)
{
	/* Undefined in the extension table: the default table's character. */
	return gsm7_ext[e] ? gsm7_ext[e] : gsm7_default[e];
}

int charset_gsm7_to_utf8(char *out, size_t cap, const uint8_t *septets, size_t n,
			 unsigned flags, struct charset_info *info)
{
	struct conv c;
	uint8_t s;
	int rc = conv_init(&c, out, cap, septets, n, flags);

	while (rc == 0 && rd_left(&c.r)) {
		rd_u8(&c.r, &s);
		if (s > 0x7F) {
			rc = conv_bad_in(&c);
			continue;
		}
		if (s != GSM7_ESC) {
			out_utf8(&c.w, gsm7_default[s]);
			continue;
		}
		if (!rd_left(&c.r) && (flags & CHARSET_PARTIAL)) {
			c.r.off--;	/* leave the escape for the next piece */
			c.dangling = true;
			break;
		}
		/* A lone escape at the end, or one before a non-septet: a space. */
		if (!rd_left(&c.r) || c.r.buf[c.r.off] > 0x7F) {
			out_utf8(&c.w, gsm7_default[GSM7_ESC]);
			continue;
		}
		rd_u8(&c.r, &s);
		out_utf8(&c.w, gsm7_escaped(s));
	}
	return conv_done(&c, rc, info);
}

/* ---- UCS-2 / UTF-16BE ---- */

static bool is_high(uint16_t u)
{
	return u >= 0xD800 && u <= 0xDBFF;
}

static bool is_low(uint16_t u)
{
	return u >= 0xDC00 && u <= 0xDFFF;
}

/* After a high surrogate hi: pair it with a following low one if any. */
static int ucs2_after_high(struct conv *c, uint16_t hi)
{
	struct rd peek = c->r;
	uint16_t lo;

	if (rd_left(&c->r) < 2 && (c->flags & CHARSET_PARTIAL)) {
		c->r.off -= 2;	/* leave hi (and an odd byte) for the next piece */
		c->dangling = true;
		return 1;
	}
	if (rd_u16(&peek, &lo) == 0 && is_low(lo)) {
		c->r = peek;
		out_utf8(&c->w, 0x10000 + ((uint32_t)(hi - 0xD800) << 10) + (lo - 0xDC00));
		return 0;
	}
	return conv_bad_in(c);	/* unpaired high surrogate */
}

int charset_ucs2_to_utf8(char *out, size_t cap, const uint8_t *in, size_t len,
			 unsigned flags, struct charset_info *info)
{
	struct conv c;
	uint16_t u;
	int rc = conv_init(&c, out, cap, in, len, flags);

	while (rc == 0 && rd_left(&c.r) >= 2) {
		rd_u16(&c.r, &u);
		if (is_high(u))
			rc = ucs2_after_high(&c, u);
		else if (is_low(u))
			rc = conv_bad_in(&c);	/* lone low surrogate */
		else
			out_utf8(&c.w, u);
	}
	if (rc == 1) {
		rc = 0;
	} else if (rc == 0 && rd_left(&c.r) == 1) {
		/* An odd byte count (23.038 §6.2.3 uses 16-bit units). */
		if (flags & CHARSET_PARTIAL) {
			c.dangling = true;
		} else {
			rd_skip(&c.r, 1);
			rc = conv_bad_in(&c);
		}
	}
	return conv_done(&c, rc, info);
}

static int ucs2_put_char(struct wr *w, uint32_t cp)
{
	if (cp < 0x10000) {
		out_u16(w, (uint16_t)cp);
	} else {
		cp -= 0x10000;
		out_u16(w, (uint16_t)(0xD800 + (cp >> 10)));
		out_u16(w, (uint16_t)(0xDC00 + (cp & 0x3FF)));
	}
	return 0;
}

int charset_utf8_to_ucs2(uint8_t *out, size_t cap, const char *utf8, size_t len,
			 unsigned flags, struct charset_info *info)
{
	return encode(out, cap, utf8, len, flags, info, ucs2_put_char);
}

/* ---- ISO 8859-1 and IA5/ASCII ---- */

/* Bytes below limit are the code points of the same value; others invalid. */
static int bytes_to_utf8(char *out, size_t cap, const uint8_t *in, size_t len,
			 unsigned flags, struct charset_info *info, unsigned limit)
{
	struct conv c;
	uint8_t b;
	int rc = conv_init(&c, out, cap, in, len, flags);

	while (rc == 0 && rd_left(&c.r)) {
		rd_u8(&c.r, &b);
		if (b < limit)
			out_utf8(&c.w, b);
		else
			rc = conv_bad_in(&c);
	}
	return conv_done(&c, rc, info);
}

int charset_latin1_to_utf8(char *out, size_t cap, const uint8_t *in, size_t len,
			   unsigned flags, struct charset_info *info)
{
	return bytes_to_utf8(out, cap, in, len, flags, info, 0x100);
}

int charset_ascii_to_utf8(char *out, size_t cap, const uint8_t *in, size_t len,
			  unsigned flags, struct charset_info *info)
{
	return bytes_to_utf8(out, cap, in, len, flags, info, 0x80);
}

static int latin1_put_char(struct wr *w, uint32_t cp)
{
	if (cp > 0xFF)
		return 1;
	out_u8(w, (uint8_t)cp);
	return 0;
}

static int ascii_put_char(struct wr *w, uint32_t cp)
{
	if (cp > 0x7F)
		return 1;
	out_u8(w, (uint8_t)cp);
	return 0;
}

int charset_utf8_to_latin1(uint8_t *out, size_t cap, const char *utf8, size_t len,
			   unsigned flags, struct charset_info *info)
{
	return encode(out, cap, utf8, len, flags, info, latin1_put_char);
}

int charset_utf8_to_ascii(uint8_t *out, size_t cap, const char *utf8, size_t len,
			  unsigned flags, struct charset_info *info)
{
	return encode(out, cap, utf8, len, flags, info, ascii_put_char);
}

int charset_to_utf8(enum charset_coding coding, char *out, size_t cap,
		    const uint8_t *in, size_t len, unsigned flags, struct charset_info *info)
{
	switch (coding) {
	case CHARSET_GSM7:
		return charset_gsm7_to_utf8(out, cap, in, len, flags, info);
	case CHARSET_UCS2:
		return charset_ucs2_to_utf8(out, cap, in, len, flags, info);
	case CHARSET_LATIN1:
		return charset_latin1_to_utf8(out, cap, in, len, flags, info);
	case CHARSET_ASCII:
		return charset_ascii_to_utf8(out, cap, in, len, flags, info);
	default:
		return -EINVAL;
	}
}
