/*
 * b64stream.h — base64 as a MIME content transfer encoding (RFC 2045
 * §6.8, alphabet of RFC 4648 §4), decoded as a stream: the input may be
 * cut anywhere, and cutting it differently gives the same bytes.
 *
 * Tolerant of line breaks and blanks (CR, LF, space, tab anywhere), strict
 * about everything else: a character outside the alphabet, '=' anywhere but
 * at the end of the last quantum, data after the padding, a last quantum of
 * one character, or non-zero unused bits in the last quantum (RFC 4648
 * §3.5) make the whole content "base64 garbage".  Padding may be missing.
 * RFC 2045 §6.8 lets a decoder ignore stray characters; we refuse them
 * because a frame whose transfer encoding was mangled is not a frame.
 *
 * No I/O, no allocation; the state is struct b64s.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct b64s {
	uint32_t acc;		/* bits of the current quantum */
	uint8_t n;		/* characters in it (0..3) */
	uint8_t pad;		/* '=' seen: 1 = one more '=' expected, 2 = done */
	int err;		/* first error, sticky */
	const char *why;	/* static explanation when err */
};

void b64s_init(struct b64s *s);

/* Room out[] must have for b64s_feed() of len input bytes. */
#define B64S_OUT_MAX(len)	((len) / 4 * 3 + 3)

/*
 * Decode in[len] into out[cap].  Returns the bytes written, -EINVAL (the
 * input is not base64; s->why says why; sticky: later calls return it
 * too), -ENOSPC (cap below B64S_OUT_MAX(len)) or
 * -ERANGE (len above INT_MAX / 2).
 */
int b64s_feed(struct b64s *s, const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/*
 * The input has ended: decode an unpadded last quantum into out[cap]
 * (cap >= 2).  Returns the bytes written (0..2) or -EINVAL.
 */
int b64s_finish(struct b64s *s, uint8_t *out, size_t cap);
