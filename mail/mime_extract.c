/*
 * mime_extract.c — TXLOG frames out of a mail; see mime_extract.h.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "gateway/sms/charset.h"
#include "gateway/txlog/frame.h"
#include "mail/mime_extract.h"

enum part_kind {
	X_SKIP,
	X_FRAME,	/* application/vnd.txlog */
	X_TEXT,		/* text/plain */
};

struct mime_extract {
	struct mime *m;
	struct extract_result *r;
	enum part_kind kind;
	char charset[MIME_CHARSET_MAX + 1];
	uint8_t *text;		/* the text part's bytes, up to lim.max_part */
	size_t len, cap;
	size_t flen;
	uint8_t frame[TXL_MAX_LEN + 1];	/* one more than a frame: "too long" */
};

/* ---- charsets ---- */

static bool name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return true;
	return false;
}

/* A decoder of charset.h, run twice: to size, then to write. */
typedef int (*to_utf8_fn)(char *out, size_t cap, const uint8_t *in, size_t len,
			  unsigned flags, struct charset_info *info);

static int native(void *ctx, to_utf8_fn fn, const uint8_t *in, size_t len, char **out,
		  size_t *olen)
{
	int n = fn(NULL, 0, in, len, CHARSET_LENIENT, NULL);

	if (n < 0)
		return n;
	*out = talloc_size(ctx, (size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	n = fn(*out, (size_t)n + 1, in, len, CHARSET_LENIENT, NULL);
	if (n < 0)
		return n;
	*olen = (size_t)n;
	return 0;
}

/*
 * UTF-16 (RFC 2781): a BOM says the byte order and is dropped; without
 * one, big_endian says it (RFC 2781 §4.3: "utf-16" with no BOM is BE).
 */
static int utf16(void *ctx, bool big_endian, const uint8_t *in, size_t len, char **out,
		 size_t *olen)
{
	uint8_t *be;
	int rc;

	if (len >= 2 && ((in[0] == 0xFE && in[1] == 0xFF) || (in[0] == 0xFF && in[1] == 0xFE))) {
		big_endian = in[0] == 0xFE;
		in += 2;
		len -= 2;
	}
	if (big_endian)
		return native(ctx, charset_ucs2_to_utf8, in, len, out, olen);
	be = talloc_size(ctx, len + 1);
	if (!be)
		return -ENOMEM;
	for (size_t i = 0; i + 1 < len; i += 2) {
		be[i] = in[i + 1];
		be[i + 1] = in[i];
	}
	if (len & 1)
		be[len - 1] = in[len - 1];
	rc = native(ctx, charset_ucs2_to_utf8, be, len, out, olen);
	talloc_free(be);
	return rc;
}

static char *more_room(void *ctx, char *buf, size_t *cap)
{
	*cap *= 2;
	return talloc_realloc_size(ctx, buf, *cap);
}

/* Any other charset through iconv(3); invalid input becomes U+FFFD. */
static int via_iconv(void *ctx, iconv_t cd, const uint8_t *in, size_t len, char **out,
		     size_t *olen)
{
	size_t cap = 4 * len + 16, o = 0, ileft = len, oleft, rc;
	char *ip = (char *)in, *op;
	char *buf = talloc_size(ctx, cap);
	int e;

	while (buf) {
		op = buf + o;
		oleft = cap - o - 3;	/* room kept for a U+FFFD */
		rc = iconv(cd, &ip, &ileft, &op, &oleft);
		e = errno;
		o = (size_t)(op - buf);
		if (rc != (size_t)-1)
			break;
		if (e != E2BIG) {
			/* EILSEQ: one bad byte; EINVAL: a sequence cut at the end */
			memcpy(buf + o, CHARSET_REPLACEMENT_UTF8, 3);
			o += 3;
			if (e != EILSEQ || !--ileft)
				break;
			ip++;
		}
		if (e == E2BIG || cap - o < 16)
			buf = more_room(ctx, buf, &cap);
	}
	/* the shift state of a stateful charset back to its initial one */
	while (buf) {
		op = buf + o;
		oleft = cap - o;
		rc = iconv(cd, NULL, NULL, &op, &oleft);
		o = (size_t)(op - buf);
		if (rc != (size_t)-1 || errno != E2BIG)
			break;
		buf = more_room(ctx, buf, &cap);
	}
	if (!buf)
		return -ENOMEM;
	*out = buf;
	*olen = o;
	return 0;
}

int mime_text_to_utf8(void *ctx, const char *charset, const uint8_t *in, size_t len,
		      char **out, size_t *olen)
{
	static const char *const ascii[] = { "", "us-ascii", "ascii", "ansi_x3.4-1968", "us", NULL };
	static const char *const utf8[] = { "utf-8", "utf8", NULL };
	static const char *const latin1[] = { "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1",
					       "l1", NULL };
	iconv_t cd;
	int rc;

	if (name_in(charset, utf8)) {
		*out = talloc_size(ctx, len + 1);
		if (!*out)
			return -ENOMEM;
		if (len)
			memcpy(*out, in, len);
		*olen = len;
		return 0;
	}
	if (name_in(charset, latin1))
		return native(ctx, charset_latin1_to_utf8, in, len, out, olen);
	if (!strcmp(charset, "utf-16") || !strcmp(charset, "utf-16be"))
		return utf16(ctx, true, in, len, out, olen);
	if (!strcmp(charset, "utf-16le"))
		return utf16(ctx, false, in, len, out, olen);
	if (!name_in(charset, ascii)) {
		cd = iconv_open("UTF-8", charset);
		if (cd != (iconv_t)-1) {
			rc = via_iconv(ctx, cd, in, len, out, olen);
			iconv_close(cd);
			return rc;
		}
	}
	return native(ctx, charset_ascii_to_utf8, in, len, out, olen);
}

/* ---- parts ---- */

/*
 * A malformed item for a part: extract_binary() counts it against
 * EXTRACT_MAX_ITEMS like a frame; then it is made a malformed one, its
 * raw bytes cut to what bus.md carries.
 */
static void malformed(struct extract_result *r, const char *why, const uint8_t *raw, size_t len)
{
	static const uint8_t none[1];
	struct extract_item *it;
	unsigned n = r->n;

	if (!raw)
		raw = none;	/* a part that gave no byte before it broke */

	extract_binary(r, raw, len < EXTRACT_RAW_MAX ? len : EXTRACT_RAW_MAX, false, 0, 0);
	if (r->n == n)
		return;
	it = &r->item[n];
	if (it->kind == EXTRACT_FRAME) {
		it->kind = EXTRACT_MALFORMED;
		it->why = why;
	}
}

static int part_begin(void *data, const struct mime_part *p)
{
	struct mime_extract *x = data;

	x->kind = X_SKIP;
	if (x->r->n > EXTRACT_MAX_ITEMS)
		return 0;	/* full: nothing more can be recorded */
	if (!strcmp(p->type, "application/vnd.txlog")) {
		x->kind = X_FRAME;
		x->flen = 0;
		return 1;
	}
	if (!strcmp(p->type, "text/plain") && p->cte != MIME_CTE_UNKNOWN) {
		x->kind = X_TEXT;
		x->len = 0;
		strcpy(x->charset, p->charset);
		return 1;
	}
	return 0;
}

static int part_data(void *data, const uint8_t *buf, size_t len)
{
	struct mime_extract *x = data;

	if (x->kind == X_FRAME) {
		size_t room = sizeof(x->frame) - x->flen;
		size_t n = len < room ? len : room;

		memcpy(x->frame + x->flen, buf, n);
		x->flen += n;
		return x->flen == sizeof(x->frame);	/* longer than a frame: enough */
	}
	if (len > x->cap - x->len) {
		size_t cap = x->cap ? x->cap : 4096;
		uint8_t *t;

		while (cap - x->len < len)
			cap *= 2;
		t = talloc_realloc_size(x, x->text, cap);
		if (!t)
			return mime_fail(x->m, -ENOMEM, "out of memory");
		x->text = t;
		x->cap = cap;
	}
	memcpy(x->text + x->len, buf, len);
	x->len += len;
	return 0;
}

static int text_end(struct mime_extract *x)
{
	static const uint8_t empty[1];
	char *utf8;
	size_t n;
	int rc = mime_text_to_utf8(x, x->charset, x->text ? x->text : empty, x->len, &utf8, &n);

	if (rc)
		return mime_fail(x->m, rc, "out of memory");
	extract_text(x->r, utf8, n);
	talloc_free(utf8);
	return 0;
}

static int part_end(void *data, int err, const char *why)
{
	struct mime_extract *x = data;

	if (x->kind == X_FRAME) {
		if (err)
			malformed(x->r, why, x->frame, x->flen);
		else
			extract_binary(x->r, x->frame, x->flen, false, 0, 0);
		return 0;
	}
	if (err) {
		malformed(x->r, why, x->text, x->len);
		return 0;
	}
	return text_end(x);
}

/* ---- the extractor ---- */

struct mime_extract *mime_extract_new(void *ctx, const struct mime_limits *lim,
				      struct extract_result *r)
{
	static const struct mime_cb cb = {
		.part_begin = part_begin, .part_data = part_data, .part_end = part_end,
	};
	struct mime_extract *x = talloc_zero(ctx, struct mime_extract);

	if (!x)
		return NULL;
	x->r = r;
	x->m = mime_new(x, lim, &cb, x);
	if (!x->m) {
		talloc_free(x);
		return NULL;
	}
	r->n = 0;
	return x;
}

int mime_extract_feed(struct mime_extract *x, const uint8_t *buf, size_t len)
{
	int rc = mime_feed(x->m, buf, len);

	if (rc)
		x->r->n = 0;
	return rc;
}

int mime_extract_end(struct mime_extract *x, char *why, size_t cap)
{
	int rc = mime_end(x->m);

	if (cap)
		snprintf(why, cap, "%s", mime_error(x->m));
	if (rc)
		x->r->n = 0;
	return rc;
}

int mime_extract_mail(void *ctx, const uint8_t *mail, size_t len, const struct mime_limits *lim,
		      struct extract_result *r, char *why, size_t cap)
{
	struct mime_extract *x = mime_extract_new(ctx, lim, r);
	int rc;

	if (!x) {
		r->n = 0;
		if (cap)
			snprintf(why, cap, "%s", lim ? "invalid limits or out of memory" : "out of memory");
		return -ENOMEM;
	}
	rc = mime_extract_feed(x, mail, len);
	if (!rc)
		rc = mime_extract_end(x, why, cap);
	else if (cap)
		snprintf(why, cap, "%s", mime_error(x->m));
	if (rc)
		r->n = 0;
	talloc_free(x);
	return rc;
}
