/*
 * cursor.h — one bounds-checked reader and writer for every decoder and
 * encoder in txgw (TPDU, UDH, TXLOG frame, SMPP, ...).
 *
 * The reader never reads past the buffer it was given.  Each call returns 0
 * or a negative errno, and the first error sticks in r->err, so a decoder
 * may read a run of fields and test once:
 *
 *   -EIO     the input is too short for the field asked for
 *   -EINVAL  the input is inconsistent (a C-octet string without its NUL
 *            within its maximum, bytes left over at rd_end())
 *
 * The writer never writes past its capacity; it fails with -ENOSPC.
 */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int err;
};

static inline void rd_init(struct rd *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

static inline size_t rd_left(const struct rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

static inline int rd_fail(struct rd *r, int err)
{
	if (!r->err)
		r->err = err;
	return r->err;
}

/* Borrow the next n bytes without copying them. */
static inline int rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
	if (r->err)
		return r->err;
	if (n > r->len - r->off)
		return rd_fail(r, -EIO);
	if (out)
		*out = r->buf + r->off;
	r->off += n;
	return 0;
}

static inline int rd_skip(struct rd *r, size_t n)
{
	return rd_bytes(r, n, NULL);
}

static inline int rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p;
	int rc = rd_bytes(r, n, &p);
	if (rc == 0 && n)
		memcpy(dst, p, n);
	return rc;
}

static inline int rd_u8(struct rd *r, uint8_t *v)
{
	const uint8_t *p;
	int rc = rd_bytes(r, 1, &p);
	*v = rc ? 0 : p[0];
	return rc;
}

static inline int rd_u16(struct rd *r, uint16_t *v)
{
	const uint8_t *p;
	int rc = rd_bytes(r, 2, &p);
	*v = rc ? 0 : (uint16_t)(p[0] << 8 | p[1]);
	return rc;
}

static inline int rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *p;
	int rc = rd_bytes(r, 4, &p);
	*v = rc ? 0 : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return rc;
}

static inline int rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;
	rd_u32(r, &hi);
	int rc = rd_u32(r, &lo);
	*v = rc ? 0 : (uint64_t)hi << 32 | lo;
	return rc;
}

/*
 * A C-octet string (SMPP 3.4 §3.1): at most max bytes including its NUL.
 * On success *s points into the buffer (NUL-terminated there) and *slen is
 * its length without the NUL.  No NUL within max bytes: -EINVAL; input ends
 * first: -EIO.
 */
static inline int rd_cstr(struct rd *r, size_t max, const char **s, size_t *slen)
{
	if (r->err)
		return r->err;
	size_t left = r->len - r->off;
	size_t lim = left < max ? left : max;
	const uint8_t *nul = memchr(r->buf + r->off, 0, lim);
	if (!nul)
		return rd_fail(r, lim < max ? -EIO : -EINVAL);
	*s = (const char *)(r->buf + r->off);
	*slen = (size_t)(nul - (r->buf + r->off));
	r->off += *slen + 1;
	return 0;
}

/* Every decoder ends here: the whole input must have been consumed. */
static inline int rd_end(struct rd *r)
{
	if (r->err)
		return r->err;
	return r->off == r->len ? 0 : rd_fail(r, -EINVAL);
}

struct wr {
	uint8_t *buf;
	size_t cap;
	size_t off;
	int err;
};

static inline void wr_init(struct wr *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->off = 0;
	w->err = 0;
}

/* Reserve n bytes and return where they start, or NULL (-ENOSPC sticks). */
static inline uint8_t *wr_reserve(struct wr *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > w->cap - w->off) {
		w->err = -ENOSPC;
		return NULL;
	}
	uint8_t *p = w->buf + w->off;
	w->off += n;
	return p;
}

static inline int wr_bytes(struct wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_reserve(w, n);
	if (p && n)
		memcpy(p, src, n);
	return w->err;
}

static inline int wr_u8(struct wr *w, uint8_t v)
{
	return wr_bytes(w, &v, 1);
}

static inline int wr_u16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return wr_bytes(w, b, 2);
}

static inline int wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return wr_bytes(w, b, 4);
}

static inline int wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	return wr_u32(w, (uint32_t)v);
}

/* A C-octet string with its NUL. */
static inline int wr_cstr(struct wr *w, const char *s)
{
	return wr_bytes(w, s, strlen(s) + 1);
}
