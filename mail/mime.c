/*
 * mime.c — the mail / MIME push parser; see mime.h.
 *
 * The message is read line by line.  Each line is first offered to the
 * open multiparts as a delimiter (innermost first, RFC 2046 §5.1.1);
 * otherwise it goes to the innermost entity: its header block while that
 * is being read, its decoder when it is a leaf, nowhere in a preamble or
 * epilogue.  The line end is held back until the next line is known not
 * to be a delimiter, since the CRLF before one belongs to it.
 *
 * Entities form a stack: ent[0] the message, ent[n - 1] the innermost.
 * A multipart opens a part at each delimiter; a message/rfc822 part opens
 * its message at the end of its header block.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "mail/b64stream.h"
#include "mail/mime.h"
#include "mail/mime_header.h"
#include "mail/qp.h"

#define DEC_CHUNK	4096	/* encoded bytes decoded at a time */

enum ent_state {
	E_HEADER,	/* reading the header block */
	E_LEAF,		/* a leaf's body */
	E_MULTI,	/* a multipart: preamble, then parts, then epilogue */
	E_MESSAGE,	/* a message/rfc822 part; its message is the next entity */
};

enum eol {
	EOL_NONE,	/* the message ended without one */
	EOL_LF,
	EOL_CRLF,
};

struct ent {
	uint8_t st;		/* enum ent_state */
	bool in_digest;		/* a part of a multipart/digest */
	bool digest;		/* E_MULTI: multipart/digest */
	bool closed;		/* E_MULTI: its close delimiter came: epilogue */
	uint8_t blen;
	char boundary[MIME_BOUNDARY_MAX];
};

/* The leaf being read. */
struct leaf {
	bool take;		/* the caller takes its bytes */
	bool enough;		/* ... and wants no more */
	uint8_t pend_eol;	/* a line end held back (enum eol) */
	int err;		/* its transfer encoding broke */
	const char *why;
	size_t decoded;
	struct b64s b64;
	struct qp qp;
	struct mime_part part;
	char type[MIME_TYPE_MAX + 1];
	char charset[MIME_CHARSET_MAX + 1];
};

struct mime {
	struct mime_limits lim;
	struct mime_cb cb;
	void *data;
	int err;
	bool ended;
	char why[160];
	unsigned defects;
	unsigned parts;
	unsigned fields;	/* header fields of the entity being read */

	struct ent *ent;	/* lim.max_depth + 1 of them */
	unsigned n;		/* entities open */

	char *hdr;		/* the header block being read: lines, "\n" each */
	size_t hdr_len, hdr_cap, line_start;

	uint8_t line[MIME_LINE_KEEP];	/* the start of the current line */
	size_t llen;
	bool long_line;		/* longer than line[]: streamed, never a delimiter */
	bool held_cr;		/* a long line's last byte so far was CR */

	struct leaf leaf;
	uint8_t dec[DEC_CHUNK + QP_BLANK_MAX + 16];
};

static void line_complete(struct mime *m, const uint8_t *l, size_t n, enum eol eol);

static int fail(struct mime *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct mime *m, int err, const char *fmt, ...)
{
	va_list ap;

	if (m->err)
		return m->err;
	m->err = err;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	return err;
}

int mime_fail(struct mime *m, int err, const char *why)
{
	return fail(m, err, "%s", why ? why : "stopped");
}

const char *mime_error(const struct mime *m)
{
	return m->err ? m->why : "";
}

unsigned mime_defects(const struct mime *m)
{
	return m->defects;
}

unsigned mime_parts(const struct mime *m)
{
	return m->parts;
}

struct mime *mime_new(void *ctx, const struct mime_limits *lim, const struct mime_cb *cb,
		      void *data)
{
	static const struct mime_limits def = MIME_LIMITS_DEFAULT;
	struct mime *m;

	if (!lim)
		lim = &def;
	if (!lim->max_depth || !lim->max_parts || !lim->max_header || !lim->max_part ||
	    lim->max_depth > 10000)
		return NULL;
	m = talloc_zero(ctx, struct mime);
	if (!m)
		return NULL;
	m->lim = *lim;
	m->cb = *cb;
	m->data = data;
	m->ent = talloc_zero_array(m, struct ent, lim->max_depth + 1);
	m->hdr_cap = lim->max_header < 1024 ? lim->max_header : 1024;
	m->hdr = talloc_size(m, m->hdr_cap);
	if (!m->ent || !m->hdr) {
		talloc_free(m);
		return NULL;
	}
	m->ent[0].st = E_HEADER;
	m->n = 1;
	return m;
}

static struct ent *inner(struct mime *m)
{
	return &m->ent[m->n - 1];
}

/* ---- leaves: transfer decoding and delivery ---- */

static void deliver(struct mime *m, const uint8_t *p, size_t n)
{
	struct leaf *lf = &m->leaf;
	int rc;

	if (!n || m->err || lf->enough)
		return;
	lf->decoded += n;
	if (lf->decoded > m->lim.max_part) {
		fail(m, -EMSGSIZE, "part too long (limit %zu bytes decoded)", m->lim.max_part);
		return;
	}
	rc = m->cb.part_data(m->data, p, n);
	if (rc < 0)
		fail(m, rc, "stopped while taking a part");
	else if (rc == 1)
		lf->enough = true;
}

static void leaf_broken(struct leaf *lf, int err, const char *why)
{
	lf->err = err;
	lf->why = why;
	lf->enough = true;	/* nothing after the break is worth decoding */
}

/* Encoded body bytes of the leaf, decoded by its transfer encoding. */
static void leaf_raw(struct mime *m, const uint8_t *p, size_t n)
{
	struct leaf *lf = &m->leaf;

	while (n && !m->err && !lf->enough) {
		size_t k = n < DEC_CHUNK ? n : DEC_CHUNK;
		int out;

		switch (lf->part.cte) {
		case MIME_CTE_7BIT:
			deliver(m, p, n);
			return;
		case MIME_CTE_BASE64:
			out = b64s_feed(&lf->b64, p, k, m->dec, sizeof(m->dec));
			if (out == -EINVAL)
				leaf_broken(lf, -EINVAL, lf->b64.why);
			break;
		case MIME_CTE_QP:
			out = qp_feed(&lf->qp, p, k, m->dec, sizeof(m->dec));
			break;
		default:
			return;
		}
		if (out > 0)
			deliver(m, m->dec, (size_t)out);
		p += k;
		n -= k;
	}
}

static void leaf_piece(struct mime *m, const uint8_t *p, size_t n)
{
	static const uint8_t eols[][2] = { [EOL_LF] = "\n", [EOL_CRLF] = "\r\n" };
	struct leaf *lf = &m->leaf;

	if (lf->pend_eol) {
		uint8_t e = lf->pend_eol;

		lf->pend_eol = EOL_NONE;
		if (lf->take)
			leaf_raw(m, eols[e], e == EOL_CRLF ? 2 : 1);
	}
	if (lf->take)
		leaf_raw(m, p, n);
}

static void leaf_begin(struct mime *m, const struct mime_header *h)
{
	struct leaf *lf = &m->leaf;
	int rc;

	memset(lf, 0, sizeof(*lf));
	strcpy(lf->type, h->type);
	strcpy(lf->charset, h->charset);
	lf->part = (struct mime_part){
		.type = lf->type, .charset = lf->charset, .cte = h->cte,
		.depth = m->n - 1, .index = m->n > 1 ? m->parts - 1 : 0,
	};
	b64s_init(&lf->b64);
	qp_init(&lf->qp);
	inner(m)->st = E_LEAF;
	rc = m->cb.part_begin(m->data, &lf->part);
	if (rc < 0) {
		fail(m, rc, "stopped at a part");
		return;
	}
	lf->take = rc == 1;
	if (h->cte == MIME_CTE_UNKNOWN)
		leaf_broken(lf, -ENOTSUP, "unknown transfer encoding");
}

static void leaf_end(struct mime *m)
{
	struct leaf *lf = &m->leaf;
	int out = 0, rc;

	if (!lf->take)
		return;
	if (!lf->enough && lf->part.cte == MIME_CTE_BASE64) {
		out = b64s_finish(&lf->b64, m->dec, sizeof(m->dec));
		if (out < 0)
			leaf_broken(lf, -EINVAL, lf->b64.why);
	} else if (!lf->enough && lf->part.cte == MIME_CTE_QP) {
		out = qp_finish(&lf->qp, m->dec, sizeof(m->dec));
	}
	if (out > 0)
		deliver(m, m->dec, (size_t)out);
	if (m->err)
		return;
	rc = m->cb.part_end(m->data, lf->err, lf->err ? lf->why : "");
	if (rc < 0)
		fail(m, rc, "stopped at the end of a part");
}

/* ---- entities ---- */

static void hdr_reset(struct mime *m)
{
	m->hdr_len = m->line_start = 0;
	m->fields = 0;
}

/* Open a body part (of a multipart, or the message of a message/rfc822). */
static void push_child(struct mime *m, bool in_digest)
{
	if (m->n > m->lim.max_depth) {
		fail(m, -EMSGSIZE, "parts nested too deep (limit %u)", m->lim.max_depth);
		return;
	}
	if (m->parts >= m->lim.max_parts) {
		fail(m, -EMSGSIZE, "too many parts (limit %u)", m->lim.max_parts);
		return;
	}
	m->parts++;
	m->ent[m->n++] = (struct ent){ .st = E_HEADER, .in_digest = in_digest };
	hdr_reset(m);
}

/* The innermost entity's header block is complete: what is its body? */
static void header_done(struct mime *m)
{
	struct ent *e = inner(m);
	struct mime_header h;

	mime_header_parse(&h, m->hdr, m->hdr_len, e->in_digest);
	m->defects |= h.defects;
	if (m->n == 1 && !m->fields) {
		fail(m, -EINVAL, "no header field: not a mail");
		return;
	}
	hdr_reset(m);
	if (!strncmp(h.type, "multipart/", 10)) {
		if (h.boundary_len) {
			e->st = E_MULTI;
			e->digest = !strcmp(h.type, "multipart/digest");
			e->blen = (uint8_t)h.boundary_len;
			memcpy(e->boundary, h.boundary, h.boundary_len);
			return;
		}
		m->defects |= MIME_DEF_NO_BOUNDARY;
	} else if ((!strcmp(h.type, "message/rfc822") || !strcmp(h.type, "message/global")) &&
		   h.cte == MIME_CTE_7BIT) {
		/* RFC 2046 §5.2.1: only 7bit, 8bit or binary; encoded, it is opaque */
		e->st = E_MESSAGE;
		push_child(m, false);
		return;
	}
	leaf_begin(m, &h);
}

/* Close the innermost entity. */
static void close_inner(struct mime *m)
{
	struct ent *e = inner(m);

	switch (e->st) {
	case E_HEADER:
		header_done(m);	/* a part that ends in its header: its body is empty */
		return;
	case E_LEAF:
		leaf_end(m);
		break;
	case E_MULTI:
		if (!e->closed)
			m->defects |= MIME_DEF_NO_END;
		break;
	}
	m->n--;
}

/* Close entities until keep of them are left. */
static void close_to(struct mime *m, unsigned keep)
{
	while (!m->err && m->n > keep)
		close_inner(m);
}

static bool only_blanks(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/*
 * Is line l[n] a delimiter of an open multipart (RFC 2046 §5.1.1)?  If
 * so, act on it: close what is inside that multipart, then open its next
 * part or enter its epilogue.
 */
static bool delimiter(struct mime *m, const uint8_t *l, size_t n)
{
	if (n < 3 || l[0] != '-' || l[1] != '-' || n > MIME_LINE_KEEP)
		return false;
	for (unsigned i = m->n; i-- > 0;) {
		struct ent *e = &m->ent[i];
		const uint8_t *rest;
		size_t rlen;
		bool close;

		if (e->st != E_MULTI || e->closed || n - 2 < e->blen ||
		    memcmp(l + 2, e->boundary, e->blen))
			continue;
		rest = l + 2 + e->blen;
		rlen = n - 2 - e->blen;
		close = rlen >= 2 && rest[0] == '-' && rest[1] == '-';
		if (close) {
			rest += 2;
			rlen -= 2;
		}
		if (!only_blanks(rest, rlen))
			continue;	/* "--b" is only a prefix of this line */
		close_to(m, i + 1);
		if (m->err)
			return true;
		if (close)
			e->closed = true;
		else
			push_child(m, e->digest);
		return true;
	}
	return false;
}

static void hdr_append(struct mime *m, const void *p, size_t n)
{
	if (n > m->lim.max_header - m->hdr_len) {
		fail(m, -EMSGSIZE, "header block too long (limit %zu bytes)", m->lim.max_header);
		return;
	}
	if (m->hdr_len + n > m->hdr_cap) {
		size_t cap = m->hdr_cap;
		char *h;

		while (cap < m->hdr_len + n)
			cap *= 2;
		if (cap > m->lim.max_header)
			cap = m->lim.max_header;
		h = talloc_realloc_size(m, m->hdr, cap);
		if (!h) {
			fail(m, -ENOMEM, "out of memory");
			return;
		}
		m->hdr = h;
		m->hdr_cap = cap;
	}
	memcpy(m->hdr + m->hdr_len, p, n);
	m->hdr_len += n;
}

/* A header field line: "name:" with no blank inside the name (RFC 5322
 * §2.2; blanks before the colon are the obsolete form, §4.5.3). */
static bool is_field(const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n);
	size_t k;

	if (!colon)
		return false;
	k = (size_t)(colon - l);
	while (k && (l[k - 1] == ' ' || l[k - 1] == '\t'))
		k--;
	if (!k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (l[i] == ' ' || l[i] == '\t')
			return false;
	return true;
}

/* The end of a line in a header block. */
static void header_line_end(struct mime *m, enum eol eol)
{
	char *l = m->hdr + m->line_start;
	size_t n = m->hdr_len - m->line_start;

	if (!n) {
		header_done(m);	/* the empty line: the body follows */
		return;
	}
	if (l[0] == ' ' || l[0] == '\t' || is_field(l, n)) {
		m->fields += l[0] != ' ' && l[0] != '\t';
		hdr_append(m, "\n", 1);
		m->line_start = m->hdr_len;
		return;
	}
	/* Not a field: the header block ended without its empty line, and
	 * this line is the first of the body (as most readers do). */
	char *copy = talloc_memdup(m, l, n);

	if (!copy) {
		fail(m, -ENOMEM, "out of memory");
		return;
	}
	m->defects |= MIME_DEF_BAD_HEADER;
	m->hdr_len = m->line_start;
	header_done(m);
	if (!m->err)
		line_complete(m, (const uint8_t *)copy, n, eol);
	talloc_free(copy);
}

/* Bytes of the current line (not a delimiter), to the innermost entity. */
static void state_piece(struct mime *m, const uint8_t *p, size_t n)
{
	switch (inner(m)->st) {
	case E_HEADER:
		hdr_append(m, p, n);
		break;
	case E_LEAF:
		leaf_piece(m, p, n);
		break;
	default:
		break;	/* preamble, epilogue */
	}
}

/* The current line (not a delimiter) ended. */
static void state_eol(struct mime *m, enum eol eol)
{
	switch (inner(m)->st) {
	case E_HEADER:
		header_line_end(m, eol);
		break;
	case E_LEAF:
		m->leaf.pend_eol = (uint8_t)eol;
		break;
	default:
		break;
	}
}

static void line_complete(struct mime *m, const uint8_t *l, size_t n, enum eol eol)
{
	if (delimiter(m, l, n) || m->err)
		return;
	state_piece(m, l, n);
	if (!m->err)
		state_eol(m, eol);
}

/* ---- the line reader ---- */

/* A long line goes on: p[n] has no LF.  A CR at its end is held back:
 * it may start the line's CRLF. */
static void long_piece(struct mime *m, const uint8_t *p, size_t n)
{
	if (m->held_cr && n) {
		m->held_cr = false;
		state_piece(m, (const uint8_t *)"\r", 1);
	}
	if (n && p[n - 1] == '\r') {
		m->held_cr = true;
		n--;
	}
	if (n && !m->err)
		state_piece(m, p, n);
}

/* Bytes of a long line; returns how many were used. */
static size_t feed_long(struct mime *m, const uint8_t *buf, size_t len)
{
	const uint8_t *lf = memchr(buf, '\n', len);
	size_t n = lf ? (size_t)(lf - buf) : len;
	enum eol eol;

	if (!lf) {
		long_piece(m, buf, n);
		return len;
	}
	if (n == 0 && m->held_cr) {
		eol = EOL_CRLF;
	} else {
		long_piece(m, buf, n);
		eol = m->held_cr ? EOL_CRLF : EOL_LF;
	}
	m->held_cr = false;
	m->long_line = false;
	if (!m->err)
		state_eol(m, eol);
	return n + 1;
}

/* Bytes of a line that may still be a delimiter; returns how many were used. */
static size_t feed_short(struct mime *m, const uint8_t *buf, size_t len)
{
	const uint8_t *lf = memchr(buf, '\n', len);
	size_t n = lf ? (size_t)(lf - buf) : len;

	if (n > sizeof(m->line) - m->llen) {
		/* Too long for a delimiter: what we have goes on as content. */
		m->long_line = true;
		if (m->llen)
			state_piece(m, m->line, m->llen);
		m->llen = 0;
		return 0;
	}
	memcpy(m->line + m->llen, buf, n);
	m->llen += n;
	if (!lf)
		return n;
	n = m->llen;
	m->llen = 0;
	if (n && m->line[n - 1] == '\r')
		line_complete(m, m->line, n - 1, EOL_CRLF);
	else
		line_complete(m, m->line, n, EOL_LF);
	return (size_t)(lf - buf) + 1;
}

int mime_feed(struct mime *m, const uint8_t *buf, size_t len)
{
	if (m->ended && !m->err)
		return fail(m, -EINVAL, "data after the end");
	while (len && !m->err) {
		size_t used = m->long_line ? feed_long(m, buf, len) : feed_short(m, buf, len);

		buf += used;
		len -= used;
	}
	return m->err;
}

int mime_end(struct mime *m)
{
	if (m->err || m->ended)
		return m->err;
	m->ended = true;
	if (m->long_line) {
		if (m->held_cr)
			state_piece(m, (const uint8_t *)"\r", 1);
		if (!m->err)
			state_eol(m, EOL_NONE);
	} else if (m->llen) {
		line_complete(m, m->line, m->llen, EOL_NONE);
	}
	m->llen = 0;
	close_to(m, 0);
	return m->err;
}
