/*
 * sms_addr.c — TP address fields (3GPP TS 23.040 §9.1.2.5).
 *
 * Not libosmocore's gsm48_decode_bcd_number2(): it reads the 24.008 LV
 * form, whose length counts octets (ours counts semi-octets, so it cannot
 * tell an odd digit count from a filler), it stops quietly at the first
 * 0xF nibble wherever it stands (we must refuse one that is not the final
 * filler), and it has no alphanumeric (TON 5) form.
 */
#include <string.h>

#include "gateway/sms/gsm7.h"
#include "gateway/sms/sms_addr.h"

/* 3GPP TS 23.040 §9.1.2.3 / TS 24.008 Table 10.5.118: BCD digits 0xA-0xE. */
static const char bcd_digits[16] = "0123456789*#abc";

static int digit_value(char c)
{
	if (c >= 'A' && c <= 'C')
		c = (char)(c - 'A' + 'a');
	for (int v = 0; v < 15; v++)
		if (bcd_digits[v] == c)
			return v;
	return -1;
}

static int read_bcd(struct sms_addr *a, const uint8_t *v, size_t octets)
{
	for (unsigned i = 0; i < a->len; i++) {
		unsigned nib = (i & 1) ? v[i / 2] >> 4 : v[i / 2] & 0x0f;
		if (nib == 0x0f)
			return -EINVAL;	/* an end mark inside the value */
		a->digits[i] = bcd_digits[nib];
	}
	a->n_digits = a->len;
	/* Odd count: the high nibble of the last octet is the 0xF filler. */
	if ((a->len & 1) && (v[octets - 1] >> 4) != 0x0f)
		return -EINVAL;
	return 0;
}

static int read_alnum(struct sms_addr *a, const uint8_t *v, size_t octets)
{
	/* §9.1.2.5: the length counts semi-octets of packed septets. */
	size_t n = (size_t)a->len * 4 / 7;
	int rc = gsm7_unpack(a->septets, sizeof(a->septets), v, octets, n, 0);
	if (rc < 0)
		return -EINVAL;
	a->n_septets = (uint8_t)n;
	/* Bits after the last septet must be zero so that re-encoding gives
	 * the same octets (23.038 §6.1.2.1.1 pads with zeros). */
	size_t used = n * 7;
	for (size_t bit = used; bit < octets * 8; bit++)
		if (v[bit / 8] & (1u << (bit % 8)))
			return -EINVAL;
	return 0;
}

int sms_addr_read(struct rd *r, struct sms_addr *a)
{
	uint8_t len = 0, toa = 0;
	const uint8_t *v;
	int rc;

	memset(a, 0, sizeof(*a));
	rd_u8(r, &len);
	if ((rc = rd_u8(r, &toa)))
		return rc;
	if (len > SMS_ADDR_MAX_DIGITS || !(toa & 0x80))
		return rd_fail(r, -EINVAL);
	size_t octets = ((size_t)len + 1) / 2;
	if ((rc = rd_bytes(r, octets, &v)))
		return rc;
	a->len = len;
	a->ton = (toa >> 4) & 0x07;
	a->npi = toa & 0x0f;
	rc = a->ton == SMS_TON_ALPHANUMERIC ? read_alnum(a, v, octets) : read_bcd(a, v, octets);
	return rc ? rd_fail(r, rc) : 0;
}

static int write_bcd(struct wr *w, const struct sms_addr *a)
{
	if (a->n_digits != a->len || a->len > SMS_ADDR_MAX_DIGITS
	    || strnlen(a->digits, sizeof(a->digits)) != a->n_digits)
		return -EINVAL;
	uint8_t *p = wr_reserve(w, ((size_t)a->len + 1) / 2);
	if (!p)
		return w->err;
	for (unsigned i = 0; i < a->len; i += 2) {
		int lo = digit_value(a->digits[i]);
		int hi = i + 1 < a->len ? digit_value(a->digits[i + 1]) : 0x0f;
		if (lo < 0 || hi < 0)
			return -EINVAL;
		p[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int write_alnum(struct wr *w, const struct sms_addr *a)
{
	size_t octets = ((size_t)a->len + 1) / 2;
	if (a->len > SMS_ADDR_MAX_DIGITS || (size_t)a->len * 4 / 7 != a->n_septets)
		return -EINVAL;
	uint8_t *p = wr_reserve(w, octets);
	if (!p)
		return w->err;
	int rc = gsm7_pack(p, octets, a->septets, a->n_septets, 0);
	if (rc < 0)
		return rc;
	/* A non-canonical (longer) length keeps zero octets after the data. */
	memset(p + rc, 0, octets - (size_t)rc);
	return 0;
}

int sms_addr_write(struct wr *w, const struct sms_addr *a)
{
	if (a->ton > 7 || a->npi > 15)
		return -EINVAL;
	wr_u8(w, a->len);
	if (wr_u8(w, (uint8_t)(0x80 | a->ton << 4 | a->npi)))
		return w->err;
	int rc = a->ton == SMS_TON_ALPHANUMERIC ? write_alnum(w, a) : write_bcd(w, a);
	if (rc && !w->err)
		w->err = rc;
	return rc;
}

int sms_addr_set_digits(struct sms_addr *a, const char *digits, uint8_t ton, uint8_t npi)
{
	memset(a, 0, sizeof(*a));
	if (digits[0] == '+') {
		digits++;
		ton = SMS_TON_INTERNATIONAL;
		npi = SMS_NPI_ISDN;
		if (!digits[0])
			return -EINVAL;
	}
	size_t n = strlen(digits);
	if (n > SMS_ADDR_MAX_DIGITS || ton > 7 || ton == SMS_TON_ALPHANUMERIC || npi > 15)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = digit_value(digits[i]);
		if (v < 0)
			return -EINVAL;
		a->digits[i] = bcd_digits[v];
	}
	a->ton = ton;
	a->npi = npi;
	a->len = a->n_digits = (uint8_t)n;
	return 0;
}

int sms_addr_set_alnum(struct sms_addr *a, const uint8_t *septets, size_t n)
{
	memset(a, 0, sizeof(*a));
	if (n > SMS_ADDR_MAX_SEPTETS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (septets[i] > 0x7f)
			return -EINVAL;
		a->septets[i] = septets[i];
	}
	a->ton = SMS_TON_ALPHANUMERIC;
	a->npi = SMS_NPI_UNKNOWN;
	a->n_septets = (uint8_t)n;
	a->len = (uint8_t)((n * 7 + 3) / 4);
	return 0;
}

const char *sms_ton_name(unsigned ton)
{
	static const char *const names[8] = {
		"unknown", "international", "national", "network-specific",
		"subscriber", "alphanumeric", "abbreviated", "reserved",
	};
	return ton < 8 ? names[ton] : "reserved";
}

const char *sms_npi_name(unsigned npi)
{
	switch (npi) {
	case SMS_NPI_UNKNOWN: return "unknown";
	case SMS_NPI_ISDN: return "isdn";
	case SMS_NPI_DATA: return "data";
	case SMS_NPI_TELEX: return "telex";
	case SMS_NPI_SC_SPECIFIC1: return "sc-specific-1";
	case SMS_NPI_SC_SPECIFIC2: return "sc-specific-2";
	case SMS_NPI_NATIONAL: return "national";
	case SMS_NPI_PRIVATE: return "private";
	case SMS_NPI_ERMES: return "ermes";
	default: return "reserved";
	}
}
