/*
 * fuzz_mime.c — arbitrary bytes as a mail through mime_extract_mail()
 * (mail/mime.c, mime_header.c, b64stream.c, qp.c, mime_extract.c) with
 * small limits, and again through the streaming extractor in pieces whose
 * sizes come from the input.  Checked: only the documented errors; the
 * two ways agree item for item; items stay within extract.h's bounds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "mail/mime_extract.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static const struct mime_limits lim = {
	.max_depth = 5, .max_parts = 40, .max_header = 2048, .max_part = 16384,
};

static void check_items(const struct extract_result *r)
{
	CHECK(r->n <= EXTRACT_MAX_ITEMS + 1);
	for (unsigned i = 0; i < r->n; i++) {
		const struct extract_item *it = &r->item[i];

		CHECK(it->len <= TXL_MAX_LEN);
		if (it->kind != EXTRACT_FRAME)
			CHECK(it->len <= EXTRACT_RAW_MAX && it->why && it->why[0]);
		CHECK(it->kind != EXTRACT_TOO_MANY || i == EXTRACT_MAX_ITEMS);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct extract_result a, b;	/* large; the fuzzer is single-threaded */
	struct mime_extract *x;
	char why_a[160], why_b[160];
	size_t step = size ? 1 + data[size / 2] % 61 : 1;
	int rc_a, rc_b = 0;

	rc_a = mime_extract_mail(NULL, data, size, &lim, &a, why_a, sizeof(why_a));
	CHECK(rc_a == 0 || rc_a == -EMSGSIZE || rc_a == -EINVAL);
	CHECK(rc_a == 0 ? !why_a[0] : why_a[0] != '\0');
	check_items(&a);

	x = mime_extract_new(NULL, &lim, &b);
	CHECK(x);
	for (size_t i = 0; i < size && !rc_b; i += step)
		rc_b = mime_extract_feed(x, data + i, size - i < step ? size - i : step);
	if (!rc_b)
		rc_b = mime_extract_end(x, why_b, sizeof(why_b));
	CHECK(rc_a == rc_b && a.n == b.n);
	for (unsigned i = 0; i < a.n; i++) {
		CHECK(a.item[i].kind == b.item[i].kind && a.item[i].len == b.item[i].len);
		CHECK(!memcmp(a.item[i].data, b.item[i].data, a.item[i].len));
	}
	talloc_free(x);
	return 0;
}
