/*
 * sub_json.h — the small JSON reader of txgw-sub: one JSON object (RFC 8259)
 * is checked whole, and each of its top-level members is handed to a
 * callback with its value decoded when it is a scalar.  Nested objects and
 * arrays are checked and skipped (their type is reported, not their
 * content).  It takes (buf, len), does no I/O and allocates nothing.
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
