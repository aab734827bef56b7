/*
 * json.c — the small streaming JSON writer of json.h.
 *
 * One escaping routine serves every string, so the bus, the stats socket and
 * the tools cannot disagree on what a control character or a stray byte in
 * an SMS source address becomes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/lib/json.h"

void jw_init(struct jw *w, size_t max_len)
{
	memset(w, 0, sizeof(*w));
	w->max_len = max_len;
	w->first[0] = true;
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->err = 0;
	w->depth = 0;
	w->after_key = false;
	w->first[0] = true;
	if (w->buf)
		w->buf[0] = '\0';
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* Make room for n more bytes plus the final NUL; guarded against overflow. */
static int jw_grow(struct jw *w, size_t n)
{
	if (w->err)
		return w->err;
	if (n > SIZE_MAX / 2 - w->len - 1 || (w->max_len && w->len + n > w->max_len)) {
		w->err = -ENOSPC;
		return w->err;
	}
	size_t need = w->len + n + 1;
	if (need <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 256;
	while (cap < need)
		cap *= 2;
	char *nb = realloc(w->buf, cap);
	if (!nb) {
		w->err = -ENOMEM;
		return w->err;
	}
	w->buf = nb;
	w->cap = cap;
	return 0;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (jw_grow(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc1(struct jw *w, char c)
{
	put(w, &c, 1);
}

/* Before any value: the comma between siblings, unless a key precedes it. */
static void value_sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		putc1(w, ',');
	w->first[w->depth] = false;
}

static void open_(struct jw *w, char c)
{
	value_sep(w);
	if (w->depth >= JW_MAX_DEPTH) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	putc1(w, c);
	w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	if (w->depth == 0 || w->after_key) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	putc1(w, c);
	w->depth--;
}

void jw_obj_open(struct jw *w) { open_(w, '{'); }
void jw_obj_close(struct jw *w) { close_(w, '}'); }
void jw_arr_open(struct jw *w) { open_(w, '['); }
void jw_arr_close(struct jw *w) { close_(w, ']'); }

/*
 * Length of the valid UTF-8 sequence at s (RFC 3629 §4), or 0 if the bytes
 * there are not one: overlong forms, surrogates (U+D800..DFFF) and code
 * points above U+10FFFF are refused.
 */
static size_t utf8_seq_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;	/* range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static void put_escaped(struct jw *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, run = 0;	/* run: bytes copied verbatim, pending */

	putc1(w, '"');
	while (i < n) {
		uint8_t c = s[i];
		size_t l = c >= 0x20 && c != '"' && c != '\\' && c != 0x7f ? utf8_seq_len(s + i, n - i) : 0;
		if (l) {
			i += l;
			run += l;
			continue;
		}
		put(w, (const char *)s + i - run, run);
		run = 0;
		char esc[7] = { '\\', 0 };
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
			} else {
				/* not UTF-8: one U+FFFD per offending byte */
				put(w, "\xef\xbf\xbd", 3);
				i++;
				continue;
			}
		}
		put(w, esc, strlen(esc));
		i++;
	}
	put(w, (const char *)s + i - run, run);
	putc1(w, '"');
}

void jw_key(struct jw *w, const char *key)
{
	if (w->depth == 0 || w->after_key) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	value_sep(w);
	put_escaped(w, key, strlen(key));
	putc1(w, ':');
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	value_sep(w);
	put_escaped(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	value_sep(w);
	put(w, json, n);
}

void jw_int(struct jw *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);
	jw_raw(w, b, (size_t)n);
}

void jw_uint(struct jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);
	jw_raw(w, b, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
	jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	jw_raw(w, "null", 4);
}

void jw_hex(struct jw *w, const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	value_sep(w);
	if (n > SIZE_MAX / 2 - 2 || jw_grow(w, 2 * n + 2))
		return;
	char *o = w->buf + w->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o++ = '"';
	w->len += 2 * n + 2;
	w->buf[w->len] = '\0';
}

void jw_base64(struct jw *w, const uint8_t *b, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	value_sep(w);
	size_t out = (n + 2) / 3 * 4;
	if (n > SIZE_MAX / 2 || jw_grow(w, out + 2))
		return;
	char *o = w->buf + w->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)b[i + 1] << 8;
		if (i + 2 < n)
			v |= b[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? tab[v & 63] : '=';
	}
	*o++ = '"';
	w->len += out + 2;
	w->buf[w->len] = '\0';
}

int jw_finish(struct jw *w)
{
	if (!w->err && (w->depth != 0 || w->after_key))
		w->err = -EINVAL;
	if (!w->err && !w->buf)
		jw_grow(w, 0);
	if (!w->err)
		w->buf[w->len] = '\0';
	return w->err;
}

void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
void jw_kstrn(struct jw *w, const char *k, const char *s, size_t n) { jw_key(w, k); jw_strn(w, s, n); }
void jw_kint(struct jw *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
void jw_kuint(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_uint(w, v); }
void jw_kbool(struct jw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
void jw_khex(struct jw *w, const char *k, const uint8_t *b, size_t n) { jw_key(w, k); jw_hex(w, b, n); }
