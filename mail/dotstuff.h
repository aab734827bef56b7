/*
 * dotstuff.h — the SMTP DATA body decoder: a push decoder that finds the
 * end of the mail data and removes the transparency dots.
 *
 * RFC 5321 §4.1.1.4: the mail data end with a line holding only a period,
 * "<CRLF>.<CRLF>", whose first <CRLF> ends the last line of the message
 * (or the DATA command itself: a body starting ".\r\n" is empty).
 * RFC 5321 §4.5.2: a line starting with a period and holding more gets the
 * period deleted ("..x" -> ".x", ".." -> ".").
 *
 * Apart from those dots and the terminating ".<CRLF>" no byte is changed,
 * added or dropped: bare CR, bare LF, NUL and 8-bit bytes pass through, so
 * the MIME parser sees what the sender sent.  With bare_lf set (the
 * default of the service, as the issue asks), a bare LF also ends a line
 * for these two rules, so "\n.\n" ends the data; with it clear only CRLF
 * does (RFC 5321 §2.3.8), which is the safe choice against SMTP smuggling
 * when the gateway sits behind a relay.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dotstuff {
	uint8_t st;		/* enum in dotstuff.c */
	bool bare_lf;
};

/* Start a body: the decoder is at the start of a line. */
void dotstuff_init(struct dotstuff *d, bool bare_lf);

/* An out buffer for a push of len bytes needs this much room: a CR held
 * back after a leading dot may come out with the next push. */
#define DOTSTUFF_OUT_MAX(len)	((len) + 1)

/*
 * Push len bytes of the stream.  Writes the message bytes they complete to
 * out (room for DOTSTUFF_OUT_MAX(len) bytes; out may not overlap in) and
 * their count to *out_len.  Returns how many input bytes were consumed:
 * len, or fewer when the terminator ended within them, the rest belonging
 * to what follows the data (pipelined commands).  After the end
 * dotstuff_done() is true and a push consumes nothing.
 */
size_t dotstuff_push(struct dotstuff *d, const uint8_t *in, size_t len, uint8_t *out,
		     size_t *out_len);

/* True once the terminator has been consumed. */
bool dotstuff_done(const struct dotstuff *d);
