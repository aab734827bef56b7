/*
 * sms_addr.h — TP address fields: TP-OA, TP-DA, TP-RA (3GPP TS 23.040
 * §9.1.2.5).
 *
 * Wire form: Address-Length (number of useful semi-octets of the value),
 * Type-of-Address (bit 7 = 1, TON in bits 6-4, NPI in bits 3-0), then the
 * value in (Address-Length + 1) / 2 octets: BCD semi-octets, low nibble
 * first, with a 0xF filler in the high nibble of the last octet for an odd
 * count; or, for TON 5 (alphanumeric), GSM 7-bit packed septets
 * (3GPP TS 23.038 §6.1.2.1.1).
 *
 * Alphanumeric addresses are kept as septets; a later step (charset.h)
 * turns them into UTF-8.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "gateway/lib/cursor.h"

#define SMS_ADDR_MAX_DIGITS	20	/* 10 value octets (§9.1.2.5: 2-12 octets) */
#define SMS_ADDR_MAX_SEPTETS	11	/* 80 bits hold 11 septets */

enum sms_ton {
	SMS_TON_UNKNOWN = 0,
	SMS_TON_INTERNATIONAL = 1,
	SMS_TON_NATIONAL = 2,
	SMS_TON_NETWORK = 3,
	SMS_TON_SUBSCRIBER = 4,
	SMS_TON_ALPHANUMERIC = 5,
	SMS_TON_ABBREVIATED = 6,
	SMS_TON_RESERVED = 7,
};

enum sms_npi {
	SMS_NPI_UNKNOWN = 0,
	SMS_NPI_ISDN = 1,		/* E.164/E.163 */
	SMS_NPI_DATA = 3,		/* X.121 */
	SMS_NPI_TELEX = 4,
	SMS_NPI_SC_SPECIFIC1 = 5,
	SMS_NPI_SC_SPECIFIC2 = 6,
	SMS_NPI_NATIONAL = 8,
	SMS_NPI_PRIVATE = 9,
	SMS_NPI_ERMES = 10,
	SMS_NPI_RESERVED = 15,
};

struct sms_addr {
	uint8_t ton;		/* enum sms_ton, 0..7 */
	uint8_t npi;		/* enum sms_npi, 0..15 */
	/* Address-Length as on the wire: semi-octets.  For BCD it equals
	 * n_digits; for TON 5 it is ceil(7 * n_septets / 4) when written by
	 * us, but any value with floor(4 * len / 7) == n_septets is kept as
	 * received so that a TPDU re-encodes to the same bytes. */
	uint8_t len;
	uint8_t n_digits;	/* BCD: digits in digits[] */
	char digits[SMS_ADDR_MAX_DIGITS + 1];	/* "0-9*#abc", NUL-terminated */
	uint8_t n_septets;	/* TON 5: septets in septets[] */
	uint8_t septets[SMS_ADDR_MAX_SEPTETS];
};

/*
 * Read an address field at the cursor into *a (zeroed first).
 * Errors (also left in r->err): -EIO input too short; -EINVAL
 * Address-Length > 20, TOA bit 7 clear, a 0xF nibble other than the filler
 * of an odd-length value, a filler that is not 0xF, or non-zero spare bits
 * after the septets of an alphanumeric value.
 */
int sms_addr_read(struct rd *r, struct sms_addr *a);

/*
 * Write *a at the writer.  Errors: -EINVAL an inconsistent struct (ton or
 * npi out of range, a digit outside "0123456789*#abc", n_digits != len or
 * != strlen(digits), alphanumeric len not matching n_septets, a septet
 * > 0x7f); -ENOSPC no room (also left in w->err).
 */
int sms_addr_write(struct wr *w, const struct sms_addr *a);

/*
 * Fill *a with a BCD address.  A leading '+' in digits sets TON
 * international (npi ISDN); otherwise ton and npi are taken as given.
 * Returns 0, or -EINVAL for an empty-but-'+' string, more than 20 digits
 * or a character outside "0123456789*#abc" (upper case A-C accepted too).
 */
int sms_addr_set_digits(struct sms_addr *a, const char *digits, uint8_t ton, uint8_t npi);

/*
 * Fill *a with an alphanumeric (TON 5, NPI 0) address of n septets
 * (each <= 0x7f, n <= 11).  Returns 0 or -EINVAL.
 */
int sms_addr_set_alnum(struct sms_addr *a, const uint8_t *septets, size_t n);

/* Name of a TON value ("international", ...), "reserved" when unknown. */
const char *sms_ton_name(unsigned ton);
/* Name of an NPI value ("isdn", ...), "reserved" when not assigned. */
const char *sms_npi_name(unsigned npi);
