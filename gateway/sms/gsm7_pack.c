/*
 * gsm7_pack.c — GSM 7-bit packing and unpacking (3GPP TS 23.038 §6.1.2.1.1).
 *
 * Septet k occupies bits [fill + 7k, fill + 7k + 7) of the packed stream,
 * counted from bit 0 (the least significant bit) of the first octet; this is
 * the "hellohello" layout of the §6.1.2.1.1 example.
 *
 * Our own code rather than libosmocore's gsm_septet_pack(): that function
 * takes no output capacity (it trusts the caller's buffer), has no unpacking
 * counterpart that stops at septets (gsm_7bit_decode_n_hdr() goes on to a
 * Latin-ish character set), and its "padding" counts septets of the header,
 * not fill bits.  Both loops here are a few lines and bounded by the sizes
 * checked on entry.
 */
#include <errno.h>
#include <string.h>

#include "gateway/sms/gsm7.h"

int gsm7_unpack(uint8_t *out, size_t out_cap, const uint8_t *packed, size_t packed_len,
		size_t n_septets, unsigned fill_bits)
{
	if (fill_bits > 6)
		return -EINVAL;
	if (n_septets > (SIZE_MAX - 7) / 7 || gsm7_packed_len(n_septets, fill_bits) > packed_len)
		return -EIO;
	if (n_septets > out_cap)
		return -ENOSPC;
	if (n_septets > INT32_MAX)
		return -ERANGE;

	size_t bit = fill_bits;
	for (size_t i = 0; i < n_septets; i++, bit += 7) {
		size_t byte = bit >> 3;
		unsigned shift = bit & 7;
		unsigned v = packed[byte] >> shift;
		/* A septet starting at bit 2..7 of an octet spills into the next
		 * one, which exists: packed_len covers bit + 7 (checked above). */
		if (shift > 1)
			v |= (unsigned)packed[byte + 1] << (8 - shift);
		out[i] = v & 0x7f;
	}
	return (int)n_septets;
}

int gsm7_pack(uint8_t *out, size_t out_cap, const uint8_t *septets, size_t n, unsigned fill_bits)
{
	if (fill_bits > 6)
		return -EINVAL;
	if (n > (SIZE_MAX - 7) / 7)
		return -ENOSPC;
	size_t len = gsm7_packed_len(n, fill_bits);
	if (len > out_cap)
		return -ENOSPC;
	if (len > INT32_MAX)
		return -ERANGE;
	for (size_t i = 0; i < n; i++)
		if (septets[i] > 0x7f)
			return -EINVAL;

	/* Fill bits and the spare bits of the last octet are zero. */
	memset(out, 0, len);
	size_t bit = fill_bits;
	for (size_t i = 0; i < n; i++, bit += 7) {
		size_t byte = bit >> 3;
		unsigned shift = bit & 7;
		out[byte] |= (uint8_t)(septets[i] << shift);
		if (shift > 1)
			out[byte + 1] |= (uint8_t)(septets[i] >> (8 - shift));
	}
	return (int)len;
}
