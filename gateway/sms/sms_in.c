/*
 * sms_in.c — SMPP short messages to segments; see sms_in.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sms/sms_dcs.h"
#include "gateway/sms/sms_in.h"
#include "gateway/sms/udh.h"

#define ESM_UDHI	0x40

enum charset_coding sms_in_coding(uint8_t dc, bool dc1_gsm7)
{
	switch (dc) {
	case 0x00:
		return CHARSET_GSM7;	/* SMSC default alphabet: GSM 7-bit, unpacked */
	case 0x01:
		return dc1_gsm7 ? CHARSET_GSM7 : CHARSET_ASCII;
	case 0x03:
		return CHARSET_LATIN1;
	case 0x08:
		return CHARSET_UCS2;
	case 0x02:
	case 0x04:
		return CHARSET_8BIT;
	default:
		break;
	}
	/* Values from 0xC0 carry a 23.038 TP-DCS (SMPP 3.4 §5.2.19 lists the
	 * message-waiting and class groups): take its alphabet.  Anything else
	 * (reserved, pictogram, JIS, Cyrillic, Hebrew, KS C 5601) is not text
	 * a frame is armoured in: octets. */
	if (dc >= 0xC0) {
		struct sms_dcs d;
		sms_dcs_decode(&d, dc);
		if (d.alphabet == SMS_ALPHABET_UCS2)
			return CHARSET_UCS2;
		if (d.alphabet == SMS_ALPHABET_8BIT)
			return CHARSET_8BIT;
		return CHARSET_GSM7;
	}
	return CHARSET_8BIT;
}

static int take_udh(const struct sms_in *in, struct sms_seg *seg, struct udh *h)
{
	size_t hl;
	int rc;

	if (in->sm_len < 1)
		return -EIO;
	hl = 1 + (size_t)in->sm[0];
	if (hl > in->sm_len)
		return -EIO;
	rc = udh_parse(h, in->sm, hl);
	if (rc < 0)
		return rc;
	seg->payload = in->sm + hl;
	seg->len = in->sm_len - hl;
	return 0;
}

int sms_in_parse(const struct sms_in *in, struct sms_seg *seg)
{
	struct udh h;
	struct udh_concat c;
	uint16_t dport, sport;
	int rc;

	memset(seg, 0, sizeof(*seg));
	seg->coding = sms_in_coding(in->data_coding, in->dc1_gsm7);
	seg->payload = in->sm;
	seg->len = in->sm_len;
	seg->has_port = in->has_port;
	seg->port = in->port;
	if (in->esm_class & ESM_UDHI) {
		rc = take_udh(in, seg, &h);
		if (rc < 0)
			return rc;
		if (udh_ports(&h, &dport, &sport) > 0) {	/* the port width, or -ENOENT */
			seg->has_port = true;
			seg->port = dport;
		}
		if (udh_concat(&h, &c) == 0 && c.total > 1) {
			seg->concat = true;
			seg->seq = c.seq;
			return concat_key_set(&seg->key, in->bind, in->src, in->dst,
					      c.ref_bits == 16 ? CONCAT_REF16 : CONCAT_REF8, c.ref, c.total);
		}
	}
	if (in->has_sar && in->sar_total > 1) {
		seg->concat = true;
		seg->seq = in->sar_seq;
		return concat_key_set(&seg->key, in->bind, in->src, in->dst, CONCAT_REF_SAR, in->sar_ref,
				      in->sar_total);
	}
	return 0;
}
