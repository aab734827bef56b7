/*
 * fuzz_dotstuff.c — libFuzzer target for the DATA body decoder.
 *
 * The first octet picks the bare-LF rule and the size of the pieces; the
 * rest is the stream.  Decoding it in one push and in pieces must give
 * the same octets, the same end and the same count consumed; the output
 * is never longer than the input and is a subsequence of it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dotstuff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t decode(const uint8_t *in, size_t len, bool bare_lf, size_t piece, uint8_t *out,
		     size_t *consumed, bool *done)
{
	struct dotstuff d;
	size_t off = 0, o = 0;

	dotstuff_init(&d, bare_lf);
	while (off < len && !dotstuff_done(&d)) {
		size_t n = len - off < piece ? len - off : piece, w, c;
		c = dotstuff_push(&d, in + off, n, out + o, &w);
		if (c > n || w > DOTSTUFF_OUT_MAX(n) || (c < n && !dotstuff_done(&d)))
			abort();
		off += c;
		o += w;
	}
	*consumed = off;
	*done = dotstuff_done(&d);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *a, *b;
	size_t la, lb, ca, cb, i, j;
	bool da, db, bare_lf;

	if (size < 1)
		return 0;
	bare_lf = data[0] & 1;
	a = malloc(size + 1);
	b = malloc(size + 1);
	if (!a || !b)
		abort();
	la = decode(data + 1, size - 1, bare_lf, size, a, &ca, &da);
	lb = decode(data + 1, size - 1, bare_lf, 1 + (data[0] >> 1) % 17, b, &cb, &db);
	if (la != lb || ca != cb || da != db || memcmp(a, b, la) || la > ca)
		abort();
	for (i = 0, j = 0; i < la; i++, j++) {	/* a subsequence of the input */
		while (j < ca && data[1 + j] != a[i])
			j++;
		if (j == ca)
			abort();
	}
	free(a);
	free(b);
	return 0;
}
