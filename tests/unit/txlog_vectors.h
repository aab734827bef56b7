/*
 * txlog_vectors.h — read tests/vectors/vectors.json for the TXLOG unit
 * tests (test_frame, test_armour, test_verify).  A minimal reader for that
 * file's shape only: an array of flat objects whose values are strings or
 * arrays of strings (the latter are skipped).  Escapes: \" \\ \/ \b \f \n
 * \r \t \uXXXX (with surrogate pairs).  Included by one .c file each.
 */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define TV_MAX 64

struct tv {
	char *name, *what, *frame, *text, *sha256;
};

struct tv_set {
	struct tv v[TV_MAX];
	int n;
};

static inline void tv_put_utf8(char **o, unsigned long cp)
{
	if (cp < 0x80) {
		*(*o)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | cp >> 6);
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*(*o)++ = (char)(0xe0 | cp >> 12);
		*(*o)++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xf0 | cp >> 18);
		*(*o)++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*(*o)++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
}

/* *p at the opening quote; returns a malloc'ed string, *p after the closing one. */
static inline char *tv_string(const char **p)
{
	const char *s = *p + 1;
	char *out = malloc(strlen(s) + 1), *o = out;

	while (*s && *s != '"') {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': *o++ = '\b'; s++; break;
		case 'f': *o++ = '\f'; s++; break;
		case 'n': *o++ = '\n'; s++; break;
		case 'r': *o++ = '\r'; s++; break;
		case 't': *o++ = '\t'; s++; break;
		case 'u': {
			unsigned long cp = strtoul((char[5]){ s[1], s[2], s[3], s[4], 0 }, NULL, 16);

			s += 5;
			if (cp >= 0xd800 && cp < 0xdc00 && s[0] == '\\' && s[1] == 'u') {
				unsigned long lo = strtoul((char[5]){ s[2], s[3], s[4], s[5], 0 }, NULL, 16);

				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			tv_put_utf8(&o, cp);
			break;
		}
		default: *o++ = *s++; break;
		}
	}
	*o = '\0';
	*p = *s ? s + 1 : s;
	return out;
}

static inline char *tv_read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Load the vectors; returns their count (0 when the file is missing). */
static inline int tv_load(struct tv_set *set)
{
	char *json = tv_read_file(TESTDATA_DIR "/vectors/vectors.json");
	const char *p = json;
	char *key = NULL;
	int depth = 0;

	memset(set, 0, sizeof(*set));
	while (p && *p) {
		if (*p == '{') {
			depth = 1;
			p++;
		} else if (*p == '}') {
			depth = 0;
			if (set->n < TV_MAX)
				set->n++;
			p++;
		} else if (*p == '[' && depth) {
			depth = 2;	/* an array value: skipped */
			free(key);
			key = NULL;
			p++;
		} else if (*p == ']' && depth == 2) {
			depth = 1;
			p++;
		} else if (*p == '"') {
			char *s = tv_string(&p);
			struct tv *v = &set->v[set->n < TV_MAX ? set->n : TV_MAX - 1];

			if (depth != 1) {
				free(s);
				continue;
			}
			if (!key) {
				key = s;
				continue;
			}
			if (!strcmp(key, "name")) v->name = s;
			else if (!strcmp(key, "what")) v->what = s;
			else if (!strcmp(key, "frame")) v->frame = s;
			else if (!strcmp(key, "text")) v->text = s;
			else if (!strcmp(key, "sha256")) v->sha256 = s;
			else free(s);
			free(key);
			key = NULL;
		} else {
			p++;
		}
	}
	free(key);
	free(json);
	return set->n;
}

static inline void tv_free(struct tv_set *set)
{
	int i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].what);
		free(set->v[i].frame);
		free(set->v[i].text);
		free(set->v[i].sha256);
	}
	set->n = 0;
}

static inline const struct tv *tv_find(const struct tv_set *set, const char *name)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].name && !strcmp(set->v[i].name, name))
			return &set->v[i];
	return NULL;
}

/* Hex string -> bytes; returns the byte count, or -1. */
static inline int tv_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2, i;

	if (strlen(hex) % 2 || n > cap)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

/* Lower-case hex SHA-256 of buf into out[65]. */
static inline void tv_sha256_hex(const uint8_t *buf, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned n = 0, i;

	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* What a vector's "what" says the gateway must make of it. */
enum tv_outcome { TV_VALID, TV_BAD_SIGNATURE, TV_MALFORMED };

static inline enum tv_outcome tv_outcome(const struct tv *v)
{
	if (strstr(v->what, "malformed"))
		return TV_MALFORMED;
	if (strstr(v->what, "bad_signature"))
		return TV_BAD_SIGNATURE;
	return TV_VALID;
}
