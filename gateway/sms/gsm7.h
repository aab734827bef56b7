/*
 * gsm7.h — GSM 7-bit default alphabet (3GPP TS 23.038 §6.1.2, §6.2.1).
 *
 * Two layers:
 *  - packing (this header, gsm7_pack.c): septets (one per byte, 0..0x7f)
 *    <-> the packed octets of TP-UD (3GPP TS 23.038 §6.1.2.1.1), with fill
 *    bits after a UDH (3GPP TS 23.040 §9.2.3.24);
 *  - characters (charset.h): septets (default alphabet, 0x1B escape to the
 *    extension table) <-> UTF-8.
 *
 * Text is decoded after reassembly, so concatenated segments are carried as
 * unpacked septets and joined before gsm7_to_utf8().
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*
 * Unpack n_septets septets from packed (packed_len octets), skipping
 * fill_bits (0..6) leading bits first.  out receives one septet per byte.
 * Returns n_septets, -EIO if packed_len is too short for them, -ENOSPC if
 * out_cap is too small, -EINVAL for fill_bits > 6.
 */
int gsm7_unpack(uint8_t *out, size_t out_cap, const uint8_t *packed, size_t packed_len,
		size_t n_septets, unsigned fill_bits);

/*
 * Pack n septets (each 0..0x7f) after fill_bits (0..6) zero bits.  Returns
 * the number of octets written, -ENOSPC if out_cap is too small, -EINVAL for
 * a septet above 0x7f or fill_bits > 6.
 */
int gsm7_pack(uint8_t *out, size_t out_cap, const uint8_t *septets, size_t n, unsigned fill_bits);

/* Octets needed to carry n septets after fill_bits fill bits. */
static inline size_t gsm7_packed_len(size_t n, unsigned fill_bits)
{
	return (n * 7 + fill_bits + 7) / 8;
}
