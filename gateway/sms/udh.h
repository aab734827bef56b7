/*
 * udh.h — the User Data Header of TP-UD (3GPP TS 23.040 §9.2.3.24):
 * UDHL, then information elements (IEI, IEIDL, data).
 *
 * The header is kept as received (raw) with a table of its IEs (iei, len,
 * offset of the data in raw), so unknown IEs survive and a header
 * re-encodes to the same bytes.  Typed readers pick the IEs the gateway
 * uses: concatenation (§9.2.3.24.1, .24.8), application ports (.24.3,
 * .24.4) and (U)SIM toolkit security headers (.24.5, 3GPP TS 31.115).
 *
 * Repeated and mutually exclusive IEs: §9.2.3.24 says the last occurrence
 * is used, so the readers return the last valid one.  An IE whose values
 * §9.2.3.24.x tells the receiver to ignore is flagged UDH_IE_BAD_VALUE and
 * skipped by the readers; a known fixed-length IE with another length is
 * flagged UDH_IE_BAD_LEN and skipped too.  Neither fails the whole header.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UDH_MAX_LEN	255	/* any UDHL an octet can hold */
#define UDH_MAX_IES	127	/* 255 octets of two-octet (empty) IEs */

enum udh_iei {
	UDH_IEI_CONCAT8 = 0x00,
	UDH_IEI_SPECIAL_SMS = 0x01,
	UDH_IEI_PORT8 = 0x04,
	UDH_IEI_PORT16 = 0x05,
	UDH_IEI_SMSC_CONTROL = 0x06,
	UDH_IEI_SOURCE = 0x07,
	UDH_IEI_CONCAT16 = 0x08,
	UDH_IEI_WCMP = 0x09,
	UDH_IEI_NL_SINGLE_SHIFT = 0x24,
	UDH_IEI_NL_LOCKING_SHIFT = 0x25,
	UDH_IEI_STK_COMMAND = 0x70,	/* (U)SIM toolkit command packet (31.115) */
	UDH_IEI_STK_RESPONSE = 0x71,	/* (U)SIM toolkit response packet (31.115) */
};

#define UDH_IE_BAD_LEN		0x01	/* known fixed length, other length */
#define UDH_IE_BAD_VALUE	0x02	/* values the spec says to ignore */

struct udh_ie {
	uint8_t iei;
	uint8_t len;		/* IEIDL */
	uint8_t off;		/* offset of the IE data in udh.raw */
	uint8_t flags;		/* UDH_IE_* */
};

struct udh {
	uint8_t len;		/* UDHL: octets in raw */
	uint8_t n_ies;
	uint8_t raw[UDH_MAX_LEN];	/* the IEs, without the UDHL octet */
	struct udh_ie ies[UDH_MAX_IES];
};

struct udh_concat {
	uint16_t ref;
	uint8_t ref_bits;	/* 8 (IEI 0x00) or 16 (IEI 0x08) */
	uint8_t total;		/* 1..255 */
	uint8_t seq;		/* 1..total */
};

/*
 * Parse a header that starts with its UDHL octet: buf[0] = UDHL, then UDHL
 * octets of IEs; len is what the caller has (the whole TP-UD, say).  The
 * bytes after the header are not looked at.  Returns the octets the header
 * takes (1 + UDHL), or -EIO when len is 0 or shorter than 1 + UDHL, or
 * -EINVAL when an IE (its IEIDL octet or its data) runs past UDHL.
 */
int udh_parse(struct udh *h, const uint8_t *buf, size_t len);

/*
 * The last valid concatenation IE (0x00 or 0x08), in *c.  Returns 0, or
 * -ENOENT when there is none (an IE with total 0, seq 0 or seq > total is
 * ignored, §9.2.3.24.1).
 */
int udh_concat(const struct udh *h, struct udh_concat *c);

/*
 * The last valid application port IE (0x04 or 0x05).  Returns the port
 * width (8 or 16) and sets *dst and *src, or -ENOENT.
 */
int udh_ports(const struct udh *h, uint16_t *dst, uint16_t *src);

/*
 * A (U)SIM toolkit security header IE (0x70 command packet, 0x71 response
 * packet, both empty, 3GPP TS 31.115 §4): returns its IEI, or 0 if none.
 */
int udh_sim_toolkit(const struct udh *h);

/* The IE's data (points into h->raw). */
static inline const uint8_t *udh_ie_data(const struct udh *h, const struct udh_ie *ie)
{
	return h->raw + ie->off;
}

/* Builder: an empty header; then add IEs; then udh_encode(). */
void udh_init(struct udh *h);

/*
 * Append an IE; its flags are set as udh_parse() would set them.
 * Returns 0, or -ENOSPC when the header would exceed UDH_MAX_LEN octets.
 */
int udh_add(struct udh *h, uint8_t iei, const uint8_t *data, uint8_t len);

/* Append a concatenation IE: 0x00 for ref_bits 8, 0x08 for 16; -EINVAL else, or ref too wide. */
int udh_add_concat(struct udh *h, const struct udh_concat *c);

/* Append a port IE: 0x04 for bits 8 (ports <= 255), 0x05 for 16; -EINVAL else. */
int udh_add_ports(struct udh *h, uint16_t dst, uint16_t src, unsigned bits);

/* Octets udh_encode() writes: 1 + UDHL. */
static inline size_t udh_size(const struct udh *h)
{
	return 1 + (size_t)h->len;
}

/* Write UDHL and the IEs.  Returns 1 + UDHL, or -ENOSPC when cap is smaller. */
int udh_encode(uint8_t *out, size_t cap, const struct udh *h);

/* A name for an IEI ("concat8", "port16", ..., "unknown"). */
const char *udh_iei_name(uint8_t iei);

/* An IE's flags for printers: "ok", "bad-length", "bad-value". */
const char *udh_ie_flags_name(uint8_t flags);
