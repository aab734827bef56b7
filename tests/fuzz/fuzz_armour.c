/*
 * fuzz_armour.c — libFuzzer target for the "TXL1:" scanner and the strict
 * base64 decoder: no crash, hits in order inside the text, and every
 * armour that decodes re-encodes (padded) to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/txlog/armour.h"
#include "gateway/txlog/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	uint8_t out[TXL_MAX_LEN], back[TXL_MAX_LEN];
	char enc[2 * TXL_MAX_LEN];
	struct armour_scan s;
	struct armour_hit hit;
	size_t last = 0;
	int first = 1, n;

	armour_scan_init(&s);
	while (armour_next(&s, text, size, &hit, out, sizeof(out)) == 1) {
		if (hit.offset + 5 > size || memcmp(text + hit.offset, "TXL1:", 5) || hit.end > size
		    || hit.end < hit.offset + 5 || (!first && hit.offset < last + 5))
			abort();
		first = 0;
		last = hit.offset;
		if (hit.err)
			continue;
		n = b64_encode(enc, sizeof(enc), out, hit.len);
		if (n < 0 || b64_decode(back, sizeof(back), enc, (size_t)n, NULL) != (int)hit.len
		    || memcmp(back, out, hit.len))
			abort();
	}
	/* the whole input as base64 too */
	b64_decode(out, sizeof(out), text, size, NULL);
	return 0;
}
