/*
 * dotstuff.c — the DATA body decoder (RFC 5321 §4.1.1.4, §4.5.2); see
 * dotstuff.h.
 *
 * Five states, one byte at a time.  Only a period at the start of a line
 * and a CR right after it are ever held back: everything else is written
 * as soon as it is read, so the output of a push is at most one byte
 * longer than its input (the held CR).
 */
#include "mail/dotstuff.h"

enum ds_state {
	DS_BOL,		/* at the start of a line */
	DS_MID,		/* inside a line */
	DS_CR,		/* a CR was written; an LF would end the line */
	DS_DOT,		/* a leading period was read and held */
	DS_DOT_CR,	/* a leading period, then a CR, both held */
	DS_DONE,	/* the terminator was consumed */
};

void dotstuff_init(struct dotstuff *d, bool bare_lf)
{
	d->st = DS_BOL;
	d->bare_lf = bare_lf;
}

bool dotstuff_done(const struct dotstuff *d)
{
	return d->st == DS_DONE;
}

/* The state after writing c inside a line. */
static enum ds_state after(const struct dotstuff *d, uint8_t c)
{
	if (c == '\r')
		return DS_CR;
	if (c == '\n' && d->bare_lf)
		return DS_BOL;
	return DS_MID;
}

size_t dotstuff_push(struct dotstuff *d, const uint8_t *in, size_t len, uint8_t *out,
		     size_t *out_len)
{
	size_t i, o = 0;

	for (i = 0; i < len && d->st != DS_DONE; i++) {
		uint8_t c = in[i];

		switch (d->st) {
		case DS_BOL:
			if (c == '.') {
				d->st = DS_DOT;
				continue;
			}
			break;
		case DS_CR:
			if (c == '\n') {
				out[o++] = c;
				d->st = DS_BOL;
				continue;
			}
			break;
		case DS_DOT:
			if (c == '\r') {
				d->st = DS_DOT_CR;
				continue;
			}
			if (c == '\n' && d->bare_lf) {
				d->st = DS_DONE;	/* LF.LF */
				continue;
			}
			/* §4.5.2: more on the line, the period goes */
			break;
		case DS_DOT_CR:
			if (c == '\n') {
				d->st = DS_DONE;	/* CRLF.CRLF */
				continue;
			}
			/* ".\r" and more: drop the period, keep the CR */
			out[o++] = '\r';
			d->st = DS_CR;
			i--;	/* read c again after that CR */
			continue;
		default:
			break;
		}
		out[o++] = c;
		d->st = after(d, c);
	}
	*out_len = o;
	return i;
}
