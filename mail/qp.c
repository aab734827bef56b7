/*
 * qp.c — streaming quoted-printable decoding (RFC 2045 §6.7); see qp.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "mail/qp.h"

enum qp_state {
	Q_TEXT,		/* in a line */
	Q_CR,		/* a CR: a line break if LF follows */
	Q_EQ,		/* '=' */
	Q_EQ_HEX,	/* '=' and one hex digit (in q->hex) */
	Q_EQ_BLANK,	/* '=' and blanks (held): a soft break if the line ends */
	Q_EQ_CR,	/* '=', maybe blanks, CR */
};

/* Output with the room checked once, by the caller, for the whole call. */
struct qp_out {
	uint8_t *buf;
	size_t o;
};

static void put(struct qp_out *w, const void *p, size_t n)
{
	memcpy(w->buf + w->o, p, n);
	w->o += n;
}

static void put_blanks(struct qp *q, struct qp_out *w)
{
	put(w, q->blank, q->nblank);
	q->nblank = 0;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

void qp_init(struct qp *q)
{
	memset(q, 0, sizeof(*q));
}

static void hold_blank(struct qp *q, struct qp_out *w, uint8_t c)
{
	if (q->nblank == QP_BLANK_MAX)
		put_blanks(q, w);	/* too many to be trailing: text */
	q->blank[q->nblank++] = c;
}

/* An '=' sequence turned out not to be one: it is text as it came. */
static void eq_literal(struct qp *q, struct qp_out *w)
{
	put(w, "=", 1);
	put_blanks(q, w);
	q->st = Q_TEXT;
}

/* One byte in a line (Q_TEXT, Q_CR).  Returns 1 to see it again. */
static int step_text(struct qp *q, struct qp_out *w, uint8_t c)
{
	if (q->st == Q_CR) {
		q->st = Q_TEXT;
		if (c == '\n') {
			q->nblank = 0;	/* rule 3: trailing blanks go */
			put(w, "\r\n", 2);
			return 0;
		}
		put_blanks(q, w);
		put(w, "\r", 1);	/* a bare CR is text */
		return 1;
	}
	if (is_blank(c)) {
		hold_blank(q, w, c);
	} else if (c == '\r') {
		q->st = Q_CR;
	} else if (c == '\n') {
		q->nblank = 0;
		put(w, "\n", 1);
	} else {
		put_blanks(q, w);
		if (c == '=')
			q->st = Q_EQ;
		else
			put(w, &c, 1);
	}
	return 0;
}

/* One byte after '=' (Q_EQ, Q_EQ_HEX, Q_EQ_BLANK, Q_EQ_CR).  Returns 1 to
 * see it again. */
static int step_eq(struct qp *q, struct qp_out *w, uint8_t c)
{
	bool blank_ok = q->st == Q_EQ || (q->st == Q_EQ_BLANK && q->nblank < QP_BLANK_MAX);
	int v = hexval(c);

	if (q->st == Q_EQ_HEX) {
		q->st = Q_TEXT;
		if (v >= 0) {
			uint8_t b = (uint8_t)(hexval(q->hex) << 4 | v);

			put(w, &b, 1);
			return 0;
		}
		put(w, "=", 1);
		put(w, &q->hex, 1);
		return 1;
	}
	if (c == '\n') {
		q->nblank = 0;	/* rule 5: a soft line break */
		q->st = Q_TEXT;
		return 0;
	}
	if (q->st == Q_EQ_CR) {
		eq_literal(q, w);
		put(w, "\r", 1);
		return 1;
	}
	if (q->st == Q_EQ && v >= 0) {
		q->hex = c;
		q->st = Q_EQ_HEX;
	} else if (is_blank(c) && blank_ok) {
		q->blank[q->nblank++] = c;
		q->st = Q_EQ_BLANK;
	} else if (c == '\r') {
		q->st = Q_EQ_CR;
	} else {
		eq_literal(q, w);
		return 1;
	}
	return 0;
}

int qp_feed(struct qp *q, const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	struct qp_out w = { .buf = out };

	if (len > INT_MAX / 2)
		return -ERANGE;
	if (cap < QP_OUT_MAX(len))
		return -ENOSPC;
	for (size_t i = 0; i < len; i++)
		while (q->st == Q_TEXT || q->st == Q_CR ? step_text(q, &w, in[i]) :
							  step_eq(q, &w, in[i]))
			;
	return (int)w.o;
}

int qp_finish(struct qp *q, uint8_t *out, size_t cap)
{
	struct qp_out w = { .buf = out };

	if (cap < QP_OUT_MAX(0))
		return -ENOSPC;
	switch (q->st) {
	case Q_CR:
		put_blanks(q, &w);
		put(&w, "\r", 1);
		break;
	case Q_EQ_HEX:
		put(&w, "=", 1);
		put(&w, &q->hex, 1);
		break;
	default:
		/* Q_TEXT: trailing blanks go; '=' at the end: a soft break */
		break;
	}
	qp_init(q);
	return (int)w.o;
}
