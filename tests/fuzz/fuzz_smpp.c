/*
 * fuzz_smpp — the SMPP 3.4 codec under arbitrary bytes: frame them as the
 * stream reader would (smpp_frame_len), unpack, and when that succeeds
 * pack the result again: the octets must come back unchanged, and
 * unpack(pack(unpack(x))) must equal unpack(x).  A refused PDU must carry
 * a non-zero ESME status (the response the ESME would send).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smpp/smpp_pdu.h"

/* Larger than any 16-bit TLV plus the largest mandatory part. */
#define FUZZ_MAX_PDU 0x20000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const struct smpp_pdu *a, const uint8_t *data, uint32_t len)
{
	struct smpp_pdu *b = malloc(sizeof(*b));
	uint8_t *out = malloc(len);
	uint32_t st;
	int n;

	if (!b || !out)
		abort();
	n = smpp_pdu_pack(out, len, a);
	if (n != (int)len || memcmp(out, data, len))
		abort();
	if (smpp_pdu_unpack(b, out, len, &st) || st != ESME_ROK || !smpp_pdu_equal(a, b))
		abort();
	free(out);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smpp_pdu *a;
	uint32_t len, st;
	int rc;

	if (size < 4 || smpp_frame_len(data, FUZZ_MAX_PDU, &len) || len > size)
		return 0;
	a = malloc(sizeof(*a));
	if (!a)
		abort();
	rc = smpp_pdu_unpack(a, data, len, &st);
	if (rc == 0) {
		if (st != ESME_ROK)
			abort();
		check_round_trip(a, data, len);
	} else if (st == ESME_ROK || !smpp_status_name(st)) {
		abort();
	}
	free(a);
	return 0;
}
