/*
 * crc32c.h — CRC-32C (Castagnoli), the checksum of the journal.
 *
 * Polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value and final XOR
 * 0xFFFFFFFF, as in RFC 3720 §12.1 (iSCSI) and RFC 9260 Appendix A (SCTP).
 * The check value of the nine ASCII bytes "123456789" is 0xE3069283.
 *
 * On x86-64 CPUs with SSE4.2 the CRC32 instruction is used; elsewhere a
 * 256-entry table.  Both give the same result.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

/*
 * Continue a CRC-32C over len bytes of buf.  Start with crc = 0; to checksum
 * a message in pieces, pass the result of one call as crc of the next:
 * crc32c(crc32c(0, a, na), b, nb) == crc32c(0, ab, na + nb).
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The same, always with the table (for tests comparing the two paths). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);
