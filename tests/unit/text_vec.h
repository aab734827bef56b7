/*
 * text_vec.h — read string fields of tests/vectors/vectors.json for the
 * charset and concat tests.  Just enough JSON for that file: objects with a
 * "name" and string or string-array fields; escapes \n \t \" \\ \/ \uXXXX.
 */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole of vectors.json, NUL-terminated (malloc'd), or NULL. */
static inline char *vec_load(void)
{
	FILE *f = fopen(TESTDATA_DIR "/vectors/vectors.json", "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = 0;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static inline int vec_put_utf8(char *out, size_t cap, size_t *o, unsigned long cp)
{
	unsigned char b[4];
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	if (n == 1) {
		b[0] = (unsigned char)cp;
	} else {
		for (size_t i = n - 1; i > 0; i--, cp >>= 6)
			b[i] = (unsigned char)(0x80 | (cp & 0x3F));
		b[0] = (unsigned char)((0xF00u >> n) | cp);
	}
	if (*o + n > cap)
		return -1;
	memcpy(out + *o, b, n);
	*o += n;
	return 0;
}

/* Unescape the JSON string starting after the quote at s; out is NUL-terminated. */
static inline int vec_unescape(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	unsigned long cp;

	if (!cap--)
		return -1;	/* room for the NUL */

	for (; *s && *s != '"'; s++) {
		if (*s != '\\') {
			if (o + 1 > cap)
				return -1;
			out[o++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': cp = '\n'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (sscanf(s + 1, "%4lx", &cp) != 1)
				return -1;
			s += 4;
			break;
		default: cp = (unsigned char)*s; break;
		}
		if (vec_put_utf8(out, cap, &o, cp))
			return -1;
	}
	out[o] = 0;
	return *s == '"' ? (int)o : -1;
}

/*
 * The string field of the vector called name (element idx if the field is
 * an array) into out, unescaped.  Returns its length, or -1 if absent.
 */
static inline int vec_field(const char *json, const char *name, const char *field, unsigned idx,
		     char *out, size_t cap)
{
	char pat[128];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "\"name\": \"%s\"", name);
	p = strstr(json, pat);
	if (!p)
		return -1;
	end = strstr(p + 1, "\"name\":");
	snprintf(pat, sizeof(pat), "\"%s\": ", field);
	p = strstr(p, pat);
	if (!p || (end && p > end))
		return -1;
	p += strlen(pat);
	if (*p == '[') {
		/* Arrays here hold hex or plain strings: no ']' inside them. */
		const char *close = strchr(p, ']');

		for (p = strchr(p, '"'); p && idx--; p = strchr(p + 1, '"'))
			p = strchr(p + 1, '"');
		if (!p || !close || p > close)
			return -1;
	} else if (*p != '"' || idx) {
		return -1;
	}
	return vec_unescape(p + 1, out, cap);
}

/* Hex text to bytes; returns the byte count or -1. */
static inline int vec_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	unsigned v;

	if (strlen(hex) % 2 || n > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}
