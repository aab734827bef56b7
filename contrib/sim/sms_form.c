/*
 * sms_form.c — an upload turned into SMS-SUBMIT TPDUs, then into the
 * deliver_sm PDUs an SMSC sends; see sms_form.h.
 */
#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "contrib/sim/sms_form.h"
#include "gateway/sms/charset.h"
#include "gateway/txlog/armour.h"
#include "smpp/smpp_pdu.h"

/* The user data of a whole message, in units the TPDU counts (septets or
 * octets), before it is cut into parts. */
#define SF_UNITS_MAX	(SF_MAX_PARTS * SMS_UD_MAX_SEPTETS)

static const uint8_t sf_dcs[] = {
	[SF_BINARY] = 0x04,	/* 23.038 §4: general group, 8-bit data */
	[SF_GSM7] = 0x00,	/* general group, default alphabet */
	[SF_UCS2] = 0x08,	/* general group, UCS-2 */
};

const char *sf_coding_name(enum sf_coding c)
{
	static const char *const n[] = { [SF_BINARY] = "binary", [SF_GSM7] = "gsm7", [SF_UCS2] = "ucs2" };
	return (unsigned)c < 3 ? n[c] : "invalid";
}

const char *sf_smpp_form_name(enum sf_smpp_form f)
{
	static const char *const n[] = {
		[SF_SMPP_UDH] = "udh", [SF_SMPP_SAR] = "sar", [SF_SMPP_PAYLOAD] = "payload",
	};
	return (unsigned)f < 3 ? n[f] : "invalid";
}

/* The message in TP-UD units: septets one per byte, or octets. */
static int sf_units(const struct sf_opts *o, const uint8_t *data, size_t len, uint8_t *u, size_t cap)
{
	switch (o->coding) {
	case SF_BINARY:
		if (len > cap)
			return -ENOSPC;
		memcpy(u, data, len);
		return (int)len;
	case SF_GSM7:
		return charset_utf8_to_gsm7(u, cap, (const char *)data, len, CHARSET_STRICT, NULL);
	case SF_UCS2:
		return charset_utf8_to_ucs2(u, cap, (const char *)data, len, CHARSET_STRICT, NULL);
	}
	return -EINVAL;
}

/* Units one part holds after a UDH of hlen octets (1 + UDHL, or 0 for
 * none): 140 octets, or 160 septets less the septets the header and its
 * fill bits take (23.040 §9.2.3.24, §9.2.3.16). */
static size_t sf_room(enum sf_coding c, size_t hlen)
{
	if (c != SF_GSM7)
		return SMS_UD_MAX_OCTETS - hlen;
	return SMS_UD_MAX_SEPTETS - (hlen * 8 + 6) / 7;
}

/* Where a part starting at 'from' with room for 'room' units ends, on a
 * character boundary: never between ESC and its code (23.038 §6.2.1.1),
 * nor inside a UTF-16 surrogate pair or a UCS-2 character. */
static size_t sf_cut(enum sf_coding c, const uint8_t *u, size_t n, size_t from, size_t room)
{
	size_t end = from + room < n ? from + room : n;
	size_t i;

	switch (c) {
	case SF_GSM7:
		for (i = from; i < end;) {
			size_t w = u[i] == 0x1B ? 2 : 1;
			if (i + w > end)
				break;
			i += w;
		}
		return i;
	case SF_UCS2:
		end = from + ((end - from) & ~(size_t)1);
		if (end < n && end - from >= 2 && (u[end - 2] & 0xFC) == 0xD8)
			end -= 2;	/* a high surrogate: keep the pair together */
		return end;
	default:
		return end;
	}
}

static void sf_header(struct udh *h, const struct sf_opts *o, bool concat, uint8_t total, uint8_t seq)
{
	/* Concatenation first, then the port, in the order of the handsets
	 * of tests/vectors. */
	udh_init(h);
	if (concat) {
		struct udh_concat c = {
			.ref = o->ref_bits == 8 ? (uint8_t)o->ref : o->ref,
			.ref_bits = (uint8_t)o->ref_bits, .total = total, .seq = seq,
		};
		udh_add_concat(h, &c);
	}
	if (o->coding == SF_BINARY && o->port)
		udh_add_ports(h, o->dst_port, o->src_port, 16);
}

static int sf_part(struct sf_sms *out, unsigned i, const struct sf_opts *o, const struct udh *h,
		   const uint8_t *u, size_t n)
{
	struct sms_tpdu t;
	int rc;

	sms_tpdu_init(&t, SMS_SUBMIT);
	t.mr = (uint8_t)(o->mr + i);
	/* No TP-VP (TP-VPF 00, 23.040 §9.2.3.3): the SMSC's default, as the
	 * handsets of tests/vectors send. */
	rc = sms_addr_set_digits(&t.addr, o->da, SMS_TON_INTERNATIONAL, SMS_NPI_ISDN);
	if (rc < 0)
		return rc;
	sms_dcs_decode(&t.dcs, sf_dcs[o->coding]);
	t.udhi = h->n_ies > 0;
	t.ud.udh = *h;
	rc = sms_tpdu_set_ud(&t, u, n);
	if (rc < 0)
		return rc;
	rc = sms_tpdu_encode(out->tpdu[i], sizeof(out->tpdu[i]), &t, SMS_MS_TO_SC);
	if (rc < 0)
		return rc;
	out->len[i] = (uint8_t)rc;
	return 0;
}

int sf_tpdus(struct sf_sms *out, const struct sf_opts *o, const uint8_t *data, size_t len)
{
	static uint8_t dummy;
	uint8_t u[SF_UNITS_MAX];
	struct udh h;
	size_t n, at, room;
	unsigned total, i;
	int rc;

	out->n = 0;
	if ((unsigned)o->coding > SF_UCS2 || (o->ref_bits != 8 && o->ref_bits != 16) || !o->da || !len)
		return -EINVAL;
	rc = sf_units(o, data ? data : &dummy, len, u, sizeof(u));
	if (rc < 0)
		return rc == -ENOSPC ? -ENOSPC : -EINVAL;
	n = (size_t)rc;
	sf_header(&h, o, false, 0, 0);
	if (n <= sf_room(o->coding, h.n_ies ? udh_size(&h) : 0)) {
		rc = sf_part(out, 0, o, &h, u, n);
		if (rc < 0)
			return rc;
		return (int)(out->n = 1);
	}
	/* Concatenated: every part carries the same header size. */
	sf_header(&h, o, true, 2, 1);
	room = sf_room(o->coding, udh_size(&h));
	for (total = 0, at = 0; at < n; total++) {
		if (total == SF_MAX_PARTS)
			return -ENOSPC;
		at = sf_cut(o->coding, u, n, at, room);
	}
	for (i = 0, at = 0; i < total; i++) {
		size_t end = sf_cut(o->coding, u, n, at, room);
		sf_header(&h, o, true, (uint8_t)total, (uint8_t)(i + 1));
		rc = sf_part(out, i, o, &h, u + at, end - at);
		if (rc < 0)
			return rc;
		at = end;
	}
	return (int)(out->n = total);
}

/* What the SMSC took out of one SMS-SUBMIT. */
struct sf_in {
	struct sms_tpdu t;
	bool has_concat, has_ports;
	struct udh_concat c;
	uint16_t dport, sport;
	uint8_t data_coding;
};

static int sf_read(struct sf_in *in, const struct sf_smpp_opts *o, const uint8_t *tp, size_t len)
{
	if (sms_tpdu_decode(&in->t, tp, len, SMS_MS_TO_SC) < 0 || in->t.type != SMS_SUBMIT)
		return -EINVAL;
	in->has_concat = in->t.udhi && udh_concat(&in->t.ud.udh, &in->c) == 0;
	in->has_ports = in->t.udhi && udh_ports(&in->t.ud.udh, &in->dport, &in->sport) > 0;
	/* SMPP 3.4 §5.2.19: 0 SMSC default alphabet (7-bit, unpacked), 4
	 * octets, 8 UCS-2; OsmoMSC marks 7-bit as 1. */
	if (in->t.ud.septets)
		in->data_coding = o->dc1 ? 1 : 0;
	else
		in->data_coding = in->t.dcs.alphabet == SMS_ALPHABET_UCS2 ? 8 : 4;
	return 0;
}

static void sf_fill(struct smpp_pdu *p, const struct sf_smpp_opts *o, const struct sf_in *in)
{
	smpp_pdu_init(p, SMPP_DELIVER_SM, 0);
	p->source_addr_ton = 1;		/* international, E.164 */
	p->source_addr_npi = 1;
	strcpy(p->source_addr, o->src);
	p->dest_addr_ton = 1;
	p->dest_addr_npi = 1;
	strcpy(p->destination_addr, o->dst);
	p->protocol_id = in->t.pid.raw;
	p->data_coding = in->data_coding;
}

static int sf_ports_tlv(struct smpp_pdu *p, const struct sf_in *in)
{
	if (!in->has_ports)
		return 0;
	if (smpp_tlv_add_uint(p, SMPP_TLV_SOURCE_PORT, in->sport, 2) < 0)
		return -EINVAL;
	return smpp_tlv_add_uint(p, SMPP_TLV_DESTINATION_PORT, in->dport, 2) < 0 ? -EINVAL : 0;
}

static int sf_emit(void *ctx, struct sf_deliver *out, const struct smpp_pdu *p)
{
	uint8_t buf[SF_PDU_MAX];
	int n = smpp_pdu_pack(buf, sizeof(buf), p);

	if (n < 0)
		return n;
	out->pdu[out->n] = talloc_memdup(ctx, buf, (size_t)n);
	if (!out->pdu[out->n])
		return -ENOMEM;
	out->len[out->n++] = (size_t)n;
	return 0;
}

/* One deliver_sm per SMS: the UDH in short_message, or SAR TLVs. */
static int sf_each(void *ctx, struct sf_deliver *out, const struct sf_smpp_opts *o,
		   const struct sf_in *in)
{
	uint8_t sm[SMPP_SM_MAX];
	struct smpp_pdu p;
	size_t n = 0;
	int rc;

	sf_fill(&p, o, in);
	if (o->form == SF_SMPP_UDH && in->t.udhi) {
		rc = udh_encode(sm, sizeof(sm), &in->t.ud.udh);
		if (rc < 0)
			return -EINVAL;
		n = (size_t)rc;
		p.esm_class = 0x40;	/* §5.2.12: UDHI */
	} else if (in->t.udhi) {
		if (in->has_concat &&
		    (smpp_tlv_add_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, in->c.ref, 2) < 0 ||
		     smpp_tlv_add_uint(&p, SMPP_TLV_SAR_TOTAL_SEGMENTS, in->c.total, 1) < 0 ||
		     smpp_tlv_add_uint(&p, SMPP_TLV_SAR_SEGMENT_SEQNUM, in->c.seq, 1) < 0))
			return -EINVAL;
		if (sf_ports_tlv(&p, in) < 0)
			return -EINVAL;
	}
	if (n + in->t.ud.n > sizeof(sm))
		return -EINVAL;
	memcpy(sm + n, in->t.ud.data, in->t.ud.n);
	p.sm_length = (uint8_t)(n + in->t.ud.n);
	p.short_message = sm;
	return sf_emit(ctx, out, &p);
}

int sf_deliver_sm(void *ctx, struct sf_deliver *out, const struct sf_smpp_opts *o,
		  const struct sf_sms *sms)
{
	uint8_t whole[SF_UNITS_MAX];
	struct sf_in in, first;
	struct smpp_pdu p;
	size_t wlen = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!o->src || !o->dst || strlen(o->src) > 20 || strlen(o->dst) > 20 || !sms->n ||
	    sms->n > SF_MAX_PARTS)
		return -EINVAL;
	for (unsigned i = 0; i < sms->n; i++) {
		rc = sf_read(&in, o, sms->tpdu[i], sms->len[i]);
		if (rc < 0)
			goto fail;
		if (i == 0)
			first = in;
		if (o->form != SF_SMPP_PAYLOAD) {
			rc = sf_each(ctx, out, o, &in);
			if (rc < 0)
				goto fail;
			continue;
		}
		/* message_payload: the parts joined in order, as the SMSC
		 * reassembled them. */
		if (sms->n > 1 && (!in.has_concat || in.c.seq != i + 1)) {
			rc = -EINVAL;
			goto fail;
		}
		memcpy(whole + wlen, in.t.ud.data, in.t.ud.n);
		wlen += in.t.ud.n;
	}
	if (o->form != SF_SMPP_PAYLOAD)
		return (int)out->n;
	sf_fill(&p, o, &first);
	rc = -EINVAL;
	if (sf_ports_tlv(&p, &first) < 0 ||
	    smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, whole, wlen) < 0)
		goto fail;
	rc = sf_emit(ctx, out, &p);
	if (rc < 0)
		goto fail;
	return 1;
fail:
	sf_deliver_free(out);
	return rc;
}

void sf_deliver_free(struct sf_deliver *d)
{
	for (unsigned i = 0; i < d->n; i++)
		talloc_free(d->pdu[i]);
	memset(d, 0, sizeof(*d));
}

int sf_upload(struct sf_sms *out, struct fleet_dev *dev, const struct fleet_upload *u,
	      enum sf_coding coding, unsigned ref_bits, const char *da)
{
	char arm[4 * TXL_MAX_LEN];
	struct sf_opts so = { .coding = coding, .ref_bits = ref_bits, .ref = dev->ref, .mr = dev->mr,
			      .port = true, .dst_port = SF_TXLOG_PORT, .da = da };
	const uint8_t *data = u->data;
	size_t len = u->len;
	int rc;

	if (u->text && so.coding == SF_BINARY)
		so.coding = SF_GSM7;	/* a person types text */
	if (!u->text && so.coding != SF_BINARY) {
		rc = armour_encode(arm, sizeof(arm), u->data, u->len);
		if (rc < 0)
			return rc;
		data = (const uint8_t *)arm;
		len = (size_t)rc;
	}
	rc = sf_tpdus(out, &so, data, len);
	if (rc < 0)
		return rc;
	dev->ref++;
	dev->mr = (uint8_t)(dev->mr + out->n);
	return rc;
}
