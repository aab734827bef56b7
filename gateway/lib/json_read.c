/*
 * json_read.c — the JSON object reader of json_read.h (RFC 8259 grammar).
 *
 * Recursive descent over the bounds-checked cursor; every value is checked
 * even where it is skipped, so a payload accepted here is strict JSON and
 * may be printed again verbatim.
 */
#include <errno.h>
#include <string.h>

#include "gateway/lib/cursor.h"
#include "gateway/lib/json_read.h"

/* The next byte without taking it, or -1 at the end of the input. */
static int peek(const struct rd *r)
{
	return rd_left(r) ? r->buf[r->off] : -1;
}

static int next(struct rd *r)
{
	uint8_t c;
	return rd_u8(r, &c) < 0 ? -1 : c;
}

/* RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D ) */
static void skip_ws(struct rd *r)
{
	int c;
	while ((c = peek(r)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		next(r);
}

/* Take the byte c, or fail: -EIO at the end, -EINVAL for another byte. */
static int expect(struct rd *r, int c)
{
	int got = next(r);
	if (got < 0)
		return -EIO;
	return got == c ? 0 : -EINVAL;
}

static int expect_word(struct rd *r, const char *w)
{
	for (; *w; w++) {
		int rc = expect(r, *w);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Where a string is decoded: cap bytes and a NUL; past cap it is only
 * noted as cut. */
struct sink {
	char *buf;
	size_t cap, len;
	bool cut;
};

static void put(struct sink *k, uint8_t c)
{
	if (k->len < k->cap)
		k->buf[k->len++] = (char)c;
	else
		k->cut = true;
}

static void put_utf8(struct sink *k, uint32_t cp)
{
	if (cp < 0x80) {
		put(k, (uint8_t)cp);
	} else if (cp < 0x800) {
		put(k, (uint8_t)(0xc0 | cp >> 6));
		put(k, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(k, (uint8_t)(0xe0 | cp >> 12));
		put(k, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		put(k, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		put(k, (uint8_t)(0xf0 | cp >> 18));
		put(k, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
		put(k, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		put(k, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

static int hex4(struct rd *r, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		int c = next(r);
		if (c < 0)
			return -EIO;
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/* RFC 8259 §7: \uXXXX, with a UTF-16 surrogate pair as one code point; a
 * lone surrogate is valid JSON and decodes to U+FFFD. */
static int unicode_escape(struct rd *r, struct sink *k)
{
	uint32_t hi, lo;
	int rc = hex4(r, &hi);

	if (rc < 0)
		return rc;
	if (hi >= 0xd800 && hi < 0xdc00 && peek(r) == '\\' && rd_left(r) >= 2 &&
	    r->buf[r->off + 1] == 'u') {
		rd_skip(r, 2);
		rc = hex4(r, &lo);
		if (rc < 0)
			return rc;
		if (lo >= 0xdc00 && lo < 0xe000) {
			put_utf8(k, 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
			return 0;
		}
		put_utf8(k, 0xfffd);
		hi = lo;
	}
	put_utf8(k, hi >= 0xd800 && hi < 0xe000 ? 0xfffd : hi);
	return 0;
}

static int escape(struct rd *r, struct sink *k)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	int c = next(r);
	const char *p;

	if (c < 0)
		return -EIO;
	if (c == 'u')
		return unicode_escape(r, k);
	p = c ? strchr(from, c) : NULL;
	if (!p)
		return -EINVAL;
	put(k, (uint8_t)to[p - from]);
	return 0;
}

/* RFC 8259 §7: a string's text up to its closing quote (taken), or to the
 * end of the input when at_end (sj_str_decode()).  Raw bytes from 0x80 up
 * are kept as they are (not checked as UTF-8). */
static int string_text(struct rd *r, struct sink *k, bool at_end)
{
	for (;;) {
		int c = next(r), rc;
		if (c < 0)
			return at_end ? 0 : -EIO;
		if (c == '"' && !at_end)
			return 0;
		if (c < 0x20 || c == '"')
			return -EINVAL;
		if (c == '\\') {
			rc = escape(r, k);
			if (rc < 0)
				return rc;
			continue;
		}
		put(k, (uint8_t)c);
	}
}

/* A string, the opening quote already taken. */
static int string(struct rd *r, struct sj_val *v)
{
	struct sink k = { .buf = v->s, .cap = SJ_STR_MAX };
	size_t start = r->off;
	int rc = string_text(r, &k, false);

	v->type = SJ_STR;
	v->s_len = k.len;
	v->s[k.len] = '\0';
	v->truncated = k.cut;
	v->raw = (const char *)r->buf + start;
	v->raw_len = rc == 0 ? r->off - start - 1 : 0;
	return rc;
}

int sj_str_decode(const char *raw, size_t raw_len, char *out, size_t cap, size_t *out_len)
{
	struct sink k = { .buf = out, .cap = cap ? cap - 1 : 0 };
	struct rd r;
	int rc;

	if (!cap)
		return -ENOSPC;
	rd_init(&r, (const uint8_t *)raw, raw ? raw_len : 0);
	rc = string_text(&r, &k, true);
	out[k.len] = '\0';
	*out_len = k.len;
	if (rc < 0)
		return rc == -EIO ? -EINVAL : rc;
	return k.cut ? -ENOSPC : 0;
}

static int digits(struct rd *r)
{
	int n = 0;
	while (peek(r) >= '0' && peek(r) <= '9') {
		next(r);
		n++;
	}
	return n;
}

/* Accumulate an integer's digits, refusing what overflows int64. */
static bool int_value(const uint8_t *p, size_t n, int64_t *out)
{
	bool neg = p[0] == '-';
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	for (size_t i = neg; i < n; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int number(struct rd *r, struct sj_val *v)
{
	size_t start = r->off;
	bool integer = true;

	if (peek(r) == '-')
		next(r);
	if (peek(r) == '0')
		next(r);
	else if (!digits(r))
		return peek(r) < 0 ? -EIO : -EINVAL;
	if (peek(r) == '.') {
		next(r);
		integer = false;
		if (!digits(r))
			return peek(r) < 0 ? -EIO : -EINVAL;
	}
	if (peek(r) == 'e' || peek(r) == 'E') {
		next(r);
		integer = false;
		if (peek(r) == '+' || peek(r) == '-')
			next(r);
		if (!digits(r))
			return peek(r) < 0 ? -EIO : -EINVAL;
	}
	v->type = integer && int_value(r->buf + start, r->off - start, &v->i) ? SJ_INT : SJ_NUM;
	return 0;
}

static int value(struct rd *r, struct sj_val *v, unsigned depth);

/* Members of an object or elements of an array, the opening bracket taken:
 * a comma-separated list ending at close, empty allowed, no trailing comma. */
/* every: also report the keys that cannot be (too long, NUL inside), as NULL */
static int list(struct rd *r, int close, unsigned depth, sj_member_cb cb, void *data, bool every)
{
	struct sj_val v, key = { .type = SJ_NULL };
	int rc;

	skip_ws(r);
	if (peek(r) == close)
		return expect(r, close);
	for (;;) {
		skip_ws(r);
		if (close == '}') {
			if ((rc = expect(r, '"')) < 0 || (rc = string(r, &key)) < 0)
				return rc;
			skip_ws(r);
			if ((rc = expect(r, ':')) < 0)
				return rc;
		}
		if ((rc = value(r, &v, depth)) < 0)
			return rc;
		bool shown = !key.truncated && key.s_len <= SJ_KEY_MAX && !memchr(key.s, 0, key.s_len);
		if (cb && (shown || every))
			cb(data, shown ? key.s : NULL, &v);
		skip_ws(r);
		int c = next(r);
		if (c < 0)
			return -EIO;
		if (c == close)
			return 0;
		if (c != ',')
			return -EINVAL;
	}
}

static int value(struct rd *r, struct sj_val *v, unsigned depth)
{
	skip_ws(r);
	int c = peek(r);

	switch (c) {
	case -1:
		return -EIO;
	case '{':
	case '[':
		if (depth >= SJ_MAX_DEPTH)
			return -EINVAL;
		next(r);
		v->type = c == '{' ? SJ_OBJ : SJ_ARR;
		return list(r, c == '{' ? '}' : ']', depth + 1, NULL, NULL, false);
	case '"':
		next(r);
		return string(r, v);
	case 't':
	case 'f':
		v->type = SJ_BOOL;
		v->b = c == 't';
		return expect_word(r, c == 't' ? "true" : "false");
	case 'n':
		v->type = SJ_NULL;
		return expect_word(r, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return number(r, v);
		return -EINVAL;
	}
}

static int object(const char *buf, size_t len, sj_member_cb cb, void *data, bool every)
{
	struct rd r;
	int rc;

	rd_init(&r, (const uint8_t *)buf, buf ? len : 0);
	skip_ws(&r);
	if ((rc = expect(&r, '{')) < 0)
		return rc;
	if ((rc = list(&r, '}', 1, cb, data, every)) < 0)
		return rc;
	skip_ws(&r);
	return rd_left(&r) ? -EINVAL : 0;
}

int sj_object(const char *buf, size_t len, sj_member_cb cb, void *data)
{
	return object(buf, len, cb, data, false);
}

int sj_object_every(const char *buf, size_t len, sj_member_cb cb, void *data)
{
	return object(buf, len, cb, data, true);
}
