/*
 * a_if.c — the handset's layer 3 and the BSSAP framing on the A
 * interface; see a_if.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/gsm/gsm0808.h>
#include <osmocom/gsm/gsm48.h>
#include <osmocom/gsm/protocol/gsm_04_08.h>
#include <osmocom/gsm/protocol/gsm_08_08.h>
#include <osmocom/gsm/tlv.h>

#include "contrib/sim/a_if.h"
#include "gateway/lib/cursor.h"

#define CKSN_NO_KEY		7
#define CM_SERV_SMS		4	/* TS 24.008 §10.5.3.3 */
#define LU_TYPE_NORMAL		0
#define TON_NPI_INTL_ISDN	0x91	/* TS 24.008 §10.5.4.7: international, E.164 */
#define RP_UD_IEI		0x41	/* TS 24.011 §8.2.5.3 in RP-ACK, RP-ERROR */

/*
 * Classmark 1 (TS 24.008 §10.5.1.5): revision level 1 (phase 2), ES IND,
 * A5/1 available, power class 3.  Classmark 2 (§10.5.1.6): the same, then
 * SS screening 1 and SM capability (mobile terminated SMS), no more.
 */
static const uint8_t CLASSMARK1 = 0x32;
static const uint8_t CLASSMARK2[3] = { 0x32, 0x18, 0x00 };

static int finish(struct wr *w)
{
	return w->err ? w->err : (int)w->off;
}

/* The mobile identity IE's length and value (TS 24.008 §10.5.1.4): IMSI. */
static int put_imsi(struct wr *w, const char *imsi)
{
	struct osmo_mobile_identity mi = { .type = GSM_MI_TYPE_IMSI };
	uint8_t *len;
	int n;

	if (!imsi || !*imsi || strlen(imsi) > A_IMSI_MAX)
		return -EINVAL;
	snprintf(mi.imsi, sizeof(mi.imsi), "%s", imsi);
	len = wr_reserve(w, 1);
	if (!len || w->cap - w->off < strlen(imsi) / 2 + 1)	/* BCD digits, type nibble */
		return -ENOSPC;
	n = osmo_mobile_identity_encode_buf(w->buf + w->off, w->cap - w->off, &mi, false);
	if (n <= 0)
		return -EINVAL;
	*len = (uint8_t)n;
	wr_reserve(w, (size_t)n);
	return w->err;
}

int a_lu_request(uint8_t *out, size_t cap, const char *imsi, const struct osmo_location_area_id *lai)
{
	struct gsm48_loc_area_id lai48;
	struct wr w;
	int rc;

	wr_init(&w, out, cap);
	gsm48_generate_lai2(&lai48, lai);
	wr_u8(&w, GSM48_PDISC_MM);
	wr_u8(&w, GSM48_MT_MM_LOC_UPD_REQUEST);
	wr_u8(&w, CKSN_NO_KEY << 4 | LU_TYPE_NORMAL);
	wr_bytes(&w, &lai48, sizeof(lai48));
	wr_u8(&w, CLASSMARK1);
	rc = put_imsi(&w, imsi);
	return rc < 0 ? rc : finish(&w);
}

/* A message of classmark 2 and IMSI after its octet 3. */
static int with_cm2_imsi(uint8_t *out, size_t cap, uint8_t pd, uint8_t type, uint8_t octet3,
			 const char *imsi)
{
	struct wr w;
	int rc;

	wr_init(&w, out, cap);
	wr_u8(&w, pd);
	wr_u8(&w, type);
	wr_u8(&w, octet3);
	wr_u8(&w, sizeof(CLASSMARK2));
	wr_bytes(&w, CLASSMARK2, sizeof(CLASSMARK2));
	rc = put_imsi(&w, imsi);
	return rc < 0 ? rc : finish(&w);
}

int a_cm_service_request(uint8_t *out, size_t cap, const char *imsi)
{
	return with_cm2_imsi(out, cap, GSM48_PDISC_MM, GSM48_MT_MM_CM_SERV_REQ,
			     CKSN_NO_KEY << 4 | CM_SERV_SMS, imsi);
}

int a_paging_response(uint8_t *out, size_t cap, const char *imsi)
{
	/* octet 3: a spare half octet, then the CKSN */
	return with_cm2_imsi(out, cap, GSM48_PDISC_RR, GSM48_MT_RR_PAG_RESP, CKSN_NO_KEY, imsi);
}

int a_id_response(uint8_t *out, size_t cap, const char *imsi)
{
	struct wr w;
	int rc;

	wr_init(&w, out, cap);
	wr_u8(&w, GSM48_PDISC_MM);
	wr_u8(&w, GSM48_MT_MM_ID_RESP);
	rc = put_imsi(&w, imsi);
	return rc < 0 ? rc : finish(&w);
}

/* TS 24.007 §11.2.3.1.3: TI flag, TI value, then the PD (SMS: 9). */
static int cp_head(struct wr *w, uint8_t ti, uint8_t flag, uint8_t type)
{
	if (ti > 6 || flag > 1)
		return -EINVAL;	/* TI 7 is the extension escape */
	wr_u8(w, (uint8_t)(flag << 7 | ti << 4 | GSM48_PDISC_SMS));
	return wr_u8(w, type);
}

int a_cp_data(uint8_t *out, size_t cap, uint8_t ti, uint8_t flag, const uint8_t *rpdu, size_t len)
{
	struct wr w;

	/* §8.2.3: CP-User-data holds an RPDU of at most 248 octets */
	wr_init(&w, out, cap);
	if (len > 248 || cp_head(&w, ti, flag, A_CP_DATA) == -EINVAL)
		return -EINVAL;
	wr_u8(&w, (uint8_t)len);
	wr_bytes(&w, rpdu, len);
	return finish(&w);
}

int a_cp_ack(uint8_t *out, size_t cap, uint8_t ti, uint8_t flag)
{
	struct wr w;

	wr_init(&w, out, cap);
	if (cp_head(&w, ti, flag, A_CP_ACK) == -EINVAL)
		return -EINVAL;
	return finish(&w);
}

int a_cp_error(uint8_t *out, size_t cap, uint8_t ti, uint8_t flag, uint8_t cause)
{
	struct wr w;

	wr_init(&w, out, cap);
	if (cp_head(&w, ti, flag, A_CP_ERROR) == -EINVAL)
		return -EINVAL;
	wr_u8(&w, cause);
	return finish(&w);
}

/* A TS 24.008 §10.5.4.7 BCD number with its length octet. */
static int put_number(struct wr *w, const char *digits)
{
	size_t n = digits ? strlen(digits) : 0;

	if (!n || n > A_ADDR_MAX)
		return -EINVAL;
	wr_u8(w, (uint8_t)(1 + (n + 1) / 2));
	wr_u8(w, TON_NPI_INTL_ISDN);
	for (size_t i = 0; i < n; i += 2) {
		if (!isdigit((unsigned char)digits[i]) || (i + 1 < n && !isdigit((unsigned char)digits[i + 1])))
			return -EINVAL;
		uint8_t hi = i + 1 < n ? (uint8_t)(digits[i + 1] - '0') : 0xf;
		wr_u8(w, (uint8_t)(hi << 4 | (digits[i] - '0')));
	}
	return w->err;
}

int a_rp_data_mo(uint8_t *out, size_t cap, uint8_t mr, const char *smsc, const uint8_t *tpdu,
		 size_t len)
{
	struct wr w;
	int rc;

	if (len > 232)		/* §8.2.5.3: RP-User-data is at most 233 octets with its length */
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u8(&w, A_RP_DATA_MO);
	wr_u8(&w, mr);
	wr_u8(&w, 0);		/* RP-Originator Address: empty from the MS */
	rc = put_number(&w, smsc);
	if (rc == -EINVAL)
		return rc;
	wr_u8(&w, (uint8_t)len);
	wr_bytes(&w, tpdu, len);
	return finish(&w);
}

int a_rp_ack_mo(uint8_t *out, size_t cap, uint8_t mr)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u8(&w, A_RP_ACK_MO);
	wr_u8(&w, mr);
	return finish(&w);
}

int a_rp_error_mo(uint8_t *out, size_t cap, uint8_t mr, uint8_t cause)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u8(&w, A_RP_ERROR_MO);
	wr_u8(&w, mr);
	wr_u8(&w, 1);
	wr_u8(&w, cause & 0x7f);
	return finish(&w);
}

/* ---- network -> MS ---- */

static void mm_kind(struct a_l3 *m, struct rd *r)
{
	switch (m->type) {
	case GSM48_MT_MM_LOC_UPD_ACCEPT: m->kind = A_L3_LU_ACCEPT; return;
	case GSM48_MT_MM_CM_SERV_ACC: m->kind = A_L3_CM_ACCEPT; return;
	case GSM48_MT_MM_LOC_UPD_REJECT: m->kind = A_L3_LU_REJECT; break;
	case GSM48_MT_MM_CM_SERV_REJ: m->kind = A_L3_CM_REJECT; break;
	case GSM48_MT_MM_ABORT: m->kind = A_L3_ABORT; break;
	case GSM48_MT_MM_ID_REQ:
		m->kind = A_L3_ID_REQUEST;
		rd_u8(r, &m->id_type);
		m->id_type &= 0x07;
		return;
	default: return;
	}
	rd_u8(r, &m->cause);	/* reject and abort causes, §10.5.3.6 */
}

int a_l3_parse(struct a_l3 *m, const uint8_t *l3, size_t len)
{
	struct rd r;
	uint8_t b0, n;

	memset(m, 0, sizeof(*m));
	rd_init(&r, l3, len);
	rd_u8(&r, &b0);
	rd_u8(&r, &m->type);
	if (r.err)
		return r.err;
	m->pd = b0 & 0x0f;
	if (m->pd == GSM48_PDISC_MM) {
		m->type &= 0x3f;	/* bits 7-8: the send sequence number (§10.4) */
		mm_kind(m, &r);
		return r.err;
	}
	if (m->pd != GSM48_PDISC_SMS)
		return 0;
	m->kind = A_L3_CP;
	m->cp_type = m->type;
	m->ti_flag = b0 >> 7;
	m->ti = (b0 >> 4) & 7;
	if (m->ti == 7)
		return -EINVAL;		/* an extended TI: no SMS entity uses it */
	if (m->cp_type == A_CP_DATA) {
		rd_u8(&r, &n);
		rd_bytes(&r, n, &m->ud);
		m->ud_len = n;
	} else if (m->cp_type == A_CP_ERROR) {
		rd_u8(&r, &m->cause);
	}
	return r.err;
}

/* An RP address (§8.2.5.1-2): its digits into out, or "" when empty. */
static int get_number(struct rd *r, char *out, uint8_t *ton_npi)
{
	const uint8_t *v;
	uint8_t n;
	size_t k = 0;

	out[0] = 0;
	rd_u8(r, &n);
	if (rd_bytes(r, n, &v) < 0 || n == 0)
		return r->err;
	if (n > 1 + A_ADDR_MAX / 2)
		return rd_fail(r, -EINVAL);
	*ton_npi = v[0];
	for (unsigned i = 1; i < n; i++) {
		for (unsigned s = 0; s < 8; s += 4) {
			uint8_t d = (v[i] >> s) & 0xf;
			if (d == 0xf && i + 1 == n && s == 4)
				break;	/* the filler of an odd count */
			out[k++] = d < 10 ? (char)('0' + d) : "*#abc?"[d - 10 > 4 ? 5 : d - 10];
		}
	}
	out[k] = 0;
	return 0;
}

int a_rp_parse(struct a_rp *rp, const uint8_t *buf, size_t len)
{
	char da[A_ADDR_MAX + 1];
	uint8_t n, iei, tn;
	struct rd r;

	memset(rp, 0, sizeof(*rp));
	rd_init(&r, buf, len);
	rd_u8(&r, &rp->mti);
	rd_u8(&r, &rp->mr);
	if (r.err)
		return r.err;
	rp->mti &= 0x07;
	switch (rp->mti) {
	case A_RP_DATA_MT:
		get_number(&r, rp->oa, &rp->oa_ton_npi);
		get_number(&r, da, &tn);	/* RP-DA: empty towards the MS */
		rd_u8(&r, &n);
		rd_bytes(&r, n, &rp->ud);
		rp->ud_len = n;
		return rd_end(&r);
	case A_RP_ERROR_MT:
		rd_u8(&r, &n);		/* RP-Cause: length, cause[, diagnostic] */
		if (n < 1)
			return rd_fail(&r, -EINVAL);
		rd_u8(&r, &rp->cause);
		rp->cause &= 0x7f;
		rd_skip(&r, n - 1);
		/* fall through - the optional RP-User-Data */
	case A_RP_ACK_MT:
		if (rd_left(&r) == 0)
			return r.err;
		rd_u8(&r, &iei);
		rd_u8(&r, &n);
		rd_bytes(&r, n, &rp->ud);
		rp->ud_len = n;
		if (!r.err && iei != RP_UD_IEI)
			return -EINVAL;
		return rd_end(&r);
	default:
		return -EINVAL;		/* an MS -> network message, or a reserved MTI */
	}
}

/* ---- BSSAP ---- */

int a_bssap_parse(struct a_bssap *b, const uint8_t *buf, size_t len)
{
	uint8_t disc, n;
	struct rd r;

	memset(b, 0, sizeof(*b));
	rd_init(&r, buf, len);
	rd_u8(&r, &disc);
	if (r.err)
		return r.err;
	if (disc == BSSAP_MSG_DTAP) {
		b->dtap = true;
		rd_u8(&r, &b->dlci);
		rd_u8(&r, &n);
		rd_bytes(&r, n, &b->data);
		b->len = n;
		return rd_end(&r);
	}
	if (disc != BSSAP_MSG_BSS_MANAGEMENT)
		return -EINVAL;
	rd_u8(&r, &n);
	if (!r.err && n < 1)
		return -EINVAL;
	rd_u8(&r, &b->type);
	rd_bytes(&r, n - 1u, &b->data);
	b->len = n - 1u;
	return rd_end(&r);
}

int a_paging_imsi(const struct a_bssap *b, char *imsi, size_t cap)
{
	struct osmo_mobile_identity mi;
	struct tlv_parsed tp;

	if (b->dtap || b->type != BSS_MAP_MSG_PAGING)
		return -EINVAL;
	if (tlv_parse(&tp, gsm0808_att_tlvdef(), b->data, b->len, 0, 0) < 0 ||
	    !TLVP_PRESENT(&tp, GSM0808_IE_IMSI))
		return -EINVAL;
	if (osmo_mobile_identity_decode(&mi, TLVP_VAL(&tp, GSM0808_IE_IMSI),
					TLVP_LEN(&tp, GSM0808_IE_IMSI), false) < 0 ||
	    mi.type != GSM_MI_TYPE_IMSI)
		return -EINVAL;
	if (strlen(mi.imsi) >= cap)
		return -ENOSPC;
	strcpy(imsi, mi.imsi);
	return 0;
}

int a_imsi_of_msisdn(char *imsi, size_t cap, const char *msisdn)
{
	size_t n = msisdn ? strlen(msisdn) : 0;

	if (!n || strspn(msisdn, "0123456789") != n)
		return -EINVAL;
	if (cap < 16)
		return -ENOSPC;
	snprintf(imsi, cap, "00101%010llu", strtoull(n > 10 ? msisdn + n - 10 : msisdn, NULL, 10));
	return 0;
}
