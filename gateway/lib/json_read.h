/*
 * json_read.h — a small strict JSON reader ("sj"): one JSON object
 * (RFC 8259) is checked whole, and each of its top-level members is handed
 * to a callback with its value decoded when it is a scalar.  Nested
 * objects and arrays are checked and skipped (their type is reported, not
 * their content).  It takes (buf, len), does no I/O and allocates nothing.
 *
 * Used by txgw-sub (bus payloads) and by the send socket (downlink
 * requests, doc/downlink.md): a string longer than SJ_STR_MAX is reported
 * cut, with its whole undecoded text in raw/raw_len, which
 * sj_str_decode() decodes into a buffer of the caller's size.
 */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SJ_MAX_DEPTH	32	/* nesting deeper than this is refused */
#define SJ_KEY_MAX	64	/* longer keys are checked but not reported */
#define SJ_STR_MAX	255	/* longer strings are reported cut, truncated set */

enum sj_type {
	SJ_NULL,
	SJ_BOOL,
	SJ_INT,		/* an integer without fraction or exponent, within int64 */
	SJ_NUM,		/* any other number */
	SJ_STR,
	SJ_OBJ,
	SJ_ARR,
};

struct sj_val {
	enum sj_type type;
	bool b;				/* SJ_BOOL */
	int64_t i;			/* SJ_INT */
	char s[SJ_STR_MAX + 1];		/* SJ_STR: decoded (\uXXXX as UTF-8), NUL-terminated */
	size_t s_len;			/* bytes in s; a decoded U+0000 stays in s */
	bool truncated;			/* SJ_STR: the string was longer than SJ_STR_MAX */
	const char *raw;		/* SJ_STR: the text between the quotes, escapes */
	size_t raw_len;			/* undecoded; points into the input */
};

/* Called for each top-level member, in input order.  key is decoded and
 * NUL-terminated; v is valid only during the call. */
typedef void (*sj_member_cb)(void *data, const char *key, const struct sj_val *v);

/*
 * Check that buf[0..len) is exactly one JSON object, white space around it
 * allowed, and call cb for each of its members (cb may be NULL to only
 * check).  Members are reported as they are read, so cb may have been called
 * before an error further on is found.
 * Returns 0; -EIO when the input ends inside the object; -EINVAL for
 * anything that is not strict JSON (bad escapes, raw control characters,
 * leading zeros, trailing commas, bytes after the object, a top-level value
 * that is not an object) or nesting deeper than SJ_MAX_DEPTH.
 */
int sj_object(const char *buf, size_t len, sj_member_cb cb, void *data);

/* sj_object(), but cb is called for every member: key is NULL for one whose
 * key cannot be reported (longer than SJ_KEY_MAX, or a U+0000 in it), so
 * that a strict reader can refuse it as unknown. */
int sj_object_every(const char *buf, size_t len, sj_member_cb cb, void *data);

/*
 * Decode the text of a string sj_object() accepted (v->raw, v->raw_len)
 * into out[cap], NUL-terminated, *out_len bytes (a decoded U+0000 stays).
 * Returns 0, -ENOSPC when it does not fit (out holds the first cap - 1
 * bytes), -EINVAL for text sj_object() would not have accepted.
 */
int sj_str_decode(const char *raw, size_t raw_len, char *out, size_t cap, size_t *out_len);
