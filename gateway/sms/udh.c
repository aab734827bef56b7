/*
 * udh.c — User Data Header walker and builder (3GPP TS 23.040 §9.2.3.24).
 */
#include <errno.h>
#include <string.h>

#include "gateway/lib/cursor.h"
#include "gateway/sms/udh.h"

#define VARIABLE -1

/* IEIs of §9.2.3.24 the walker knows: fixed data length (or VARIABLE), name. */
static const struct {
	uint8_t iei;
	int8_t len;
	const char *name;
} known_ies[] = {
	{ 0x00, 3, "concat8" },			/* §9.2.3.24.1 */
	{ 0x01, 2, "special-sms" },		/* §9.2.3.24.2 */
	{ 0x04, 2, "port8" },			/* §9.2.3.24.3 */
	{ 0x05, 4, "port16" },			/* §9.2.3.24.4 */
	{ 0x06, 1, "smsc-control" },		/* §9.2.3.24.6 */
	{ 0x07, 1, "udh-source" },		/* §9.2.3.24.7 */
	{ 0x08, 4, "concat16" },		/* §9.2.3.24.8 */
	{ 0x09, VARIABLE, "wcmp" },		/* §9.2.3.24.9 */
	{ 0x0a, VARIABLE, "text-formatting" },	/* §9.2.3.24.10.1.1 */
	{ 0x0b, 2, "predefined-sound" },
	{ 0x0c, VARIABLE, "user-defined-sound" },
	{ 0x0d, 2, "predefined-animation" },
	{ 0x0e, VARIABLE, "large-animation" },
	{ 0x0f, VARIABLE, "small-animation" },
	{ 0x10, VARIABLE, "large-picture" },
	{ 0x11, VARIABLE, "small-picture" },
	{ 0x12, VARIABLE, "variable-picture" },
	{ 0x13, 1, "user-prompt" },
	{ 0x14, VARIABLE, "extended-object" },
	{ 0x15, VARIABLE, "reused-extended-object" },
	{ 0x16, VARIABLE, "compression-control" },
	{ 0x17, VARIABLE, "object-distribution" },
	{ 0x18, VARIABLE, "wvg-object" },
	{ 0x19, VARIABLE, "wvg-char-size" },
	{ 0x1a, VARIABLE, "extended-object-request" },
	{ 0x20, VARIABLE, "rfc5322-header" },	/* §9.2.3.24.11 */
	{ 0x21, VARIABLE, "hyperlink" },
	{ 0x22, VARIABLE, "reply-address" },
	{ 0x23, VARIABLE, "enhanced-voicemail" },
	{ 0x24, 1, "nl-single-shift" },		/* §9.2.3.24.15 */
	{ 0x25, 1, "nl-locking-shift" },	/* §9.2.3.24.16 */
	{ 0x70, 0, "stk-command" },		/* §9.2.3.24.5, 31.115 §4.2 */
	{ 0x71, 0, "stk-response" },		/* 31.115 §4.3 */
};

static int known_index(uint8_t iei)
{
	for (size_t i = 0; i < sizeof(known_ies) / sizeof(known_ies[0]); i++)
		if (known_ies[i].iei == iei)
			return (int)i;
	return -1;
}

const char *udh_iei_name(uint8_t iei)
{
	int k = known_index(iei);
	return k < 0 ? "unknown" : known_ies[k].name;
}

/* §9.2.3.24.1 / .24.8: total 0, seq 0 or seq > total: ignore the IE. */
static bool concat_values_ok(uint8_t total, uint8_t seq)
{
	return total != 0 && seq != 0 && seq <= total;
}

static uint8_t ie_flags(uint8_t iei, uint8_t len, const uint8_t *d)
{
	int k = known_index(iei);
	if (k < 0)
		return 0;
	if (known_ies[k].len != VARIABLE && known_ies[k].len != len)
		return UDH_IE_BAD_LEN;
	if (iei == UDH_IEI_CONCAT8 && !concat_values_ok(d[1], d[2]))
		return UDH_IE_BAD_VALUE;
	if (iei == UDH_IEI_CONCAT16 && !concat_values_ok(d[2], d[3]))
		return UDH_IE_BAD_VALUE;
	return 0;
}

int udh_parse(struct udh *h, const uint8_t *buf, size_t len)
{
	struct rd r;
	const uint8_t *body;
	uint8_t udhl = 0;

	h->len = 0;
	h->n_ies = 0;
	rd_init(&r, buf, len);
	rd_u8(&r, &udhl);
	if (rd_bytes(&r, udhl, &body))
		return -EIO;

	/* Walk the IEs inside the UDHL octets only. */
	struct rd ies;
	rd_init(&ies, body, udhl);
	while (rd_left(&ies)) {
		uint8_t iei = 0, ielen = 0;
		const uint8_t *data;
		size_t off;
		rd_u8(&ies, &iei);
		rd_u8(&ies, &ielen);
		off = ies.off;
		if (rd_bytes(&ies, ielen, &data)) {
			h->n_ies = 0;
			return -EINVAL;		/* the IE runs past UDHL */
		}
		struct udh_ie *ie = &h->ies[h->n_ies++];
		ie->iei = iei;
		ie->len = ielen;
		ie->off = (uint8_t)off;
		ie->flags = ie_flags(iei, ielen, data);
	}
	memcpy(h->raw, body, udhl);
	h->len = udhl;
	return 1 + udhl;
}

int udh_concat(const struct udh *h, struct udh_concat *c)
{
	for (int i = h->n_ies - 1; i >= 0; i--) {
		const struct udh_ie *ie = &h->ies[i];
		const uint8_t *d = udh_ie_data(h, ie);
		if (ie->flags || (ie->iei != UDH_IEI_CONCAT8 && ie->iei != UDH_IEI_CONCAT16))
			continue;
		if (ie->iei == UDH_IEI_CONCAT8) {
			c->ref = d[0];
			c->ref_bits = 8;
			d += 1;
		} else {
			c->ref = (uint16_t)(d[0] << 8 | d[1]);
			c->ref_bits = 16;
			d += 2;
		}
		c->total = d[0];
		c->seq = d[1];
		return 0;
	}
	return -ENOENT;
}

int udh_ports(const struct udh *h, uint16_t *dst, uint16_t *src)
{
	for (int i = h->n_ies - 1; i >= 0; i--) {
		const struct udh_ie *ie = &h->ies[i];
		const uint8_t *d = udh_ie_data(h, ie);
		if (ie->flags)
			continue;
		if (ie->iei == UDH_IEI_PORT8) {
			*dst = d[0];
			*src = d[1];
			return 8;
		}
		if (ie->iei == UDH_IEI_PORT16) {
			*dst = (uint16_t)(d[0] << 8 | d[1]);
			*src = (uint16_t)(d[2] << 8 | d[3]);
			return 16;
		}
	}
	return -ENOENT;
}

int udh_sim_toolkit(const struct udh *h)
{
	for (int i = h->n_ies - 1; i >= 0; i--) {
		const struct udh_ie *ie = &h->ies[i];
		if (!ie->flags && (ie->iei == UDH_IEI_STK_COMMAND || ie->iei == UDH_IEI_STK_RESPONSE))
			return ie->iei;
	}
	return 0;
}

void udh_init(struct udh *h)
{
	memset(h, 0, sizeof(*h));
}

int udh_add(struct udh *h, uint8_t iei, const uint8_t *data, uint8_t len)
{
	if ((size_t)h->len + 2 + len > UDH_MAX_LEN || h->n_ies >= UDH_MAX_IES)
		return -ENOSPC;
	uint8_t *p = h->raw + h->len;
	p[0] = iei;
	p[1] = len;
	if (len)
		memcpy(p + 2, data, len);
	struct udh_ie *ie = &h->ies[h->n_ies++];
	ie->iei = iei;
	ie->len = len;
	ie->off = (uint8_t)(h->len + 2);
	ie->flags = ie_flags(iei, len, p + 2);
	h->len = (uint8_t)(h->len + 2 + len);
	return 0;
}

int udh_add_concat(struct udh *h, const struct udh_concat *c)
{
	uint8_t d[4];
	if (c->ref_bits == 8 && c->ref <= 0xff) {
		d[0] = (uint8_t)c->ref;
		d[1] = c->total;
		d[2] = c->seq;
		return udh_add(h, UDH_IEI_CONCAT8, d, 3);
	}
	if (c->ref_bits == 16) {
		d[0] = (uint8_t)(c->ref >> 8);
		d[1] = (uint8_t)c->ref;
		d[2] = c->total;
		d[3] = c->seq;
		return udh_add(h, UDH_IEI_CONCAT16, d, 4);
	}
	return -EINVAL;
}

int udh_add_ports(struct udh *h, uint16_t dst, uint16_t src, unsigned bits)
{
	uint8_t d[4] = { (uint8_t)(dst >> 8), (uint8_t)dst, (uint8_t)(src >> 8), (uint8_t)src };
	if (bits == 8 && dst <= 0xff && src <= 0xff) {
		d[0] = (uint8_t)dst;
		d[1] = (uint8_t)src;
		return udh_add(h, UDH_IEI_PORT8, d, 2);
	}
	if (bits == 16)
		return udh_add(h, UDH_IEI_PORT16, d, 4);
	return -EINVAL;
}

int udh_encode(uint8_t *out, size_t cap, const struct udh *h)
{
	struct wr w;
	wr_init(&w, out, cap);
	wr_u8(&w, h->len);
	if (wr_bytes(&w, h->raw, h->len))
		return w.err;
	return (int)w.off;
}

const char *udh_ie_flags_name(uint8_t flags)
{
	if (flags & UDH_IE_BAD_LEN)
		return "bad-length";
	if (flags & UDH_IE_BAD_VALUE)
		return "bad-value";
	return "ok";
}
