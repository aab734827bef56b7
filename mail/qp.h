/*
 * qp.h — the quoted-printable content transfer encoding (RFC 2045 §6.7),
 * decoded as a stream: the input may be cut anywhere, and cutting it
 * differently gives the same bytes.
 *
 *  - "=XX" (two hex digits; lower case accepted, §6.7 note 1) is one byte;
 *  - "=" at the end of a line, possibly followed by blanks a transport
 *    added, is a soft line break and vanishes (rule 5);
 *  - blanks at the end of a line are removed (rule 3: a transport may
 *    have added them), as are blanks at the very end of the input;
 *  - a line break (CRLF, or a bare LF) is kept as it came;
 *  - anything else is itself, bad escapes too ("=G1" stays "=G1"): §6.7
 *    note 2 lets a decoder keep an invalid '=' sequence literally, and an
 *    armour cannot be hurt by it.
 * QP never fails: a run of more than QP_BLANK_MAX blanks is taken as text
 * (it cannot be trailing blanks of a legal 76-character line).
 *
 * No I/O, no allocation; the state is struct qp.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define QP_BLANK_MAX	80	/* blanks held back to see whether the line ends */

struct qp {
	uint8_t st;		/* decoder state (qp.c) */
	uint8_t hex;		/* the first digit of "=X?" */
	uint8_t nblank;		/* blanks held */
	uint8_t blank[QP_BLANK_MAX];
};

void qp_init(struct qp *q);

/* Room out[] must have for qp_feed() of len input bytes (what the state
 * holds may come out with them). */
#define QP_OUT_MAX(len)		((len) + QP_BLANK_MAX + 3)

/* Decode in[len] into out[cap].  Returns the bytes written, -ENOSPC (cap
 * below QP_OUT_MAX(len)) or -ERANGE (len above INT_MAX / 2). */
int qp_feed(struct qp *q, const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* The input has ended: write what the state holds that is text into
 * out[cap] (cap >= QP_OUT_MAX(0)).  Returns the bytes written or -ENOSPC. */
int qp_finish(struct qp *q, uint8_t *out, size_t cap);
