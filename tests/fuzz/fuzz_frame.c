/*
 * fuzz_frame.c — libFuzzer target for the TXLOG frame decoder
 * (txl_frame_decode, txl_frame_explain, txl_header_peek): no crash, no
 * read outside the input, the two decoders agree, and a frame that
 * decodes encodes back to the same signed bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/txlog/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct txl_frame f, g;
	uint8_t out[TXL_MAX_LEN];
	char why[TXL_WHY_LEN];
	const char *w;
	int rc, rc2, n;

	rc = txl_frame_decode(&f, data, size, &w);
	rc2 = txl_frame_explain(&g, data, size, why, sizeof(why));
	if (rc != rc2 || (rc == 0) != (w[0] == '\0') || (rc == 0) != (why[0] == '\0'))
		abort();
	if (rc == 0 && txl_header_peek(&g, data, size) != 0)
		abort();
	if (rc)
		return 0;
	if (f.signed_len + TXL_SIG_LEN != size || memcmp(f.sig, data + f.signed_len, TXL_SIG_LEN))
		abort();
	n = txl_frame_encode(out, sizeof(out), &f);
	if (n < 0 || (size_t)n != f.signed_len || memcmp(out, data, (size_t)n))
		abort();
	for (n = 0; n < f.n_records; n++)
		if (!txl_type_name(f.rec[n].type))
			abort();
	return 0;
}
