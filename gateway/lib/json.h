/*
 * json.h — a small streaming JSON writer (RFC 8259) into a growing buffer.
 *
 * Output is compact (no white space), one object per buffer, suitable for
 * the bus (one line, no trailing newline) and for the tools.  Commas are
 * placed automatically.  Strings are escaped: '"', '\\', and every control
 * character below 0x20 and 0x7f (as \uXXXX, or \n \r \t \b \f); bytes that are
 * not valid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated
 * sequences) are each replaced by U+FFFD, so the output is always valid
 * UTF-8 whatever the input.
 *
 * Errors are sticky: the first failure (-ENOMEM, -ENOSPC past max_len,
 * -EINVAL for unbalanced nesting or depth > JW_MAX_DEPTH) is kept in w->err
 * and every later call does nothing; jw_finish() returns it.
 */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 32

struct jw {
	char *buf;		/* malloc'ed, NUL-terminated after jw_finish() */
	size_t len;
	size_t cap;
	size_t max_len;		/* 0: no limit beyond memory */
	int err;
	unsigned depth;
	bool first[JW_MAX_DEPTH + 1];	/* no member/element written yet at this depth */
	bool after_key;
};

void jw_init(struct jw *w, size_t max_len);
void jw_reset(struct jw *w);		/* empty the buffer, keep its memory */
void jw_free(struct jw *w);
/* 0 and a NUL-terminated w->buf of w->len bytes, or the first error. */
int jw_finish(struct jw *w);

void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
void jw_key(struct jw *w, const char *key);

void jw_str(struct jw *w, const char *s);		/* NUL-terminated */
void jw_strn(struct jw *w, const char *s, size_t n);	/* may hold NULs: written as \u0000 */
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_hex(struct jw *w, const uint8_t *b, size_t n);	/* lower-case hex string */
void jw_base64(struct jw *w, const uint8_t *b, size_t n); /* RFC 4648 with padding */
void jw_raw(struct jw *w, const char *json, size_t n);	/* pre-encoded JSON value */

/* key + value in one call */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_kstrn(struct jw *w, const char *k, const char *s, size_t n);
void jw_kint(struct jw *w, const char *k, int64_t v);
void jw_kuint(struct jw *w, const char *k, uint64_t v);
void jw_kbool(struct jw *w, const char *k, bool v);
void jw_khex(struct jw *w, const char *k, const uint8_t *b, size_t n);
