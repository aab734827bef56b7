/*
 * fuzz_jrec.c — libFuzzer target for the gateway's journal entry payloads
 * (jrec.h): the first byte picks the entry type (mod 4: segment, ledger,
 * msg, drop), the rest is its payload.
 * No crash, no read outside the input, and whatever decodes encodes back
 * to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/engine/jrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void segment(const uint8_t *p, size_t n)
{
	static uint8_t out[1 << 17];
	struct jrec_segment s;
	if (jrec_segment_decode(&s, p, n) < 0)
		return;
	int m = jrec_segment_encode(out, sizeof(out), &s);
	if (m < 0 || (size_t)m != n || memcmp(out, p, n))
		abort();
}

static void ledger(const uint8_t *p, size_t n)
{
	static uint8_t out[4096];
	struct jrec_ledger l;
	if (jrec_ledger_decode(&l, p, n) < 0)
		return;
	int m = jrec_ledger_encode(out, sizeof(out), &l);
	if (m < 0 || (size_t)m != n || memcmp(out, p, n))
		abort();
}

static void msg(const uint8_t *p, size_t n)
{
	static uint8_t out[1 << 17];
	struct jrec_msg j;
	if (jrec_msg_decode(&j, p, n) < 0)
		return;
	if (j.topic_len + 1 + j.len != n)
		abort();
	int m = jrec_msg_encode(out, sizeof(out), &j);
	if (m < 0 || (size_t)m != n || memcmp(out, p, n))
		abort();
}

static void drop(const uint8_t *p, size_t n)
{
	static uint8_t out[1024];
	struct jrec_drop d;
	if (jrec_drop_decode(&d, p, n) < 0)
		return;
	int m = jrec_drop_encode(out, sizeof(out), &d);
	if (m < 0 || (size_t)m != n || memcmp(out, p, n))
		abort();
}
/* The downlink's records: decode, encode, the same bytes. */
#define DL_ROUNDTRIP(name, type, cap) \
static void name(const uint8_t *p, size_t n) \
{ \
	static uint8_t out[cap]; \
	type v; \
	if (name##_decode(&v, p, n) < 0) \
		return; \
	int m = name##_encode(out, sizeof(out), &v); \
	if (m < 0 || (size_t)m != n || memcmp(out, p, n)) \
		abort(); \
}
DL_ROUNDTRIP(jrec_dl_queued, struct jrec_dl_queued, 1 << 17)
DL_ROUNDTRIP(jrec_dl_attempt, struct jrec_dl_attempt, 64)
DL_ROUNDTRIP(jrec_dl_state, struct jrec_dl_state, 4096)
DL_ROUNDTRIP(jrec_dl_receipt, struct jrec_dl_receipt, 64)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size || size > (1 << 16))
		return 0;
	switch (data[0] % 8) {
	case 4:
		jrec_dl_queued(data + 1, size - 1);
		break;
	case 5:
		jrec_dl_attempt(data + 1, size - 1);
		break;
	case 6:
		jrec_dl_state(data + 1, size - 1);
		break;
	case 7:
		jrec_dl_receipt(data + 1, size - 1);
		break;
	case 0:
		segment(data + 1, size - 1);
		break;
	case 1:
		ledger(data + 1, size - 1);
		break;
	case 3:
		drop(data + 1, size - 1);
		break;
	default:
		msg(data + 1, size - 1);
		break;
	}
	return 0;
}
