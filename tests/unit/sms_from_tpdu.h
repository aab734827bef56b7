/*
 * sms_from_tpdu.h — for tests: an SMS-SUBMIT TPDU in hex turned into what
 * an SMSC hands an ESME in a deliver_sm (struct sms_in): the UDH in front
 * of the user data with esm_class 0x40, or concatenation as SAR TLVs, and
 * data_coding 0/1 (septets, unpacked), 4 (octets) or 8 (UCS-2).
 */
#pragma once
#include <stdio.h>
#include <string.h>

#include "gateway/sms/sms_in.h"
#include "gateway/sms/tpdu.h"
#include "gateway/sms/udh.h"

enum sms_form { SMS_FORM_UDH, SMS_FORM_SAR, SMS_FORM_DC1_GSM7 };

#define SMS_FROM_TPDU_BUF 300

/* Fill in (src/dst/bind are the caller's) and sm[SMS_FROM_TPDU_BUF].
 * Returns 0, or -1 when the hex does not decode as an MO TPDU. */
static inline int sms_from_tpdu(const char *hex, enum sms_form form, struct sms_in *in, uint8_t *sm)
{
	uint8_t tp[SMS_TPDU_MAX_LEN];
	struct sms_tpdu t;
	struct udh_concat uc;
	size_t n = strlen(hex) / 2, smlen = 0;

	if (n > sizeof(tp))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &tp[i]) != 1)
			return -1;
	if (sms_tpdu_decode(&t, tp, n, SMS_MS_TO_SC) < 0)
		return -1;
	in->esm_class = 0;
	in->has_sar = false;
	bool is_concat = t.udhi && udh_concat(&t.ud.udh, &uc) == 0;
	if (t.udhi && form != SMS_FORM_SAR) {
		smlen = (size_t)udh_encode(sm, SMS_FROM_TPDU_BUF, &t.ud.udh);
		in->esm_class = 0x40;
	} else if (t.udhi) {
		struct udh ports;
		uint16_t dp, sp;
		udh_init(&ports);
		if (udh_ports(&t.ud.udh, &dp, &sp) > 0) {	/* the width, or -ENOENT */
			udh_add_ports(&ports, dp, sp, 16);
			smlen = (size_t)udh_encode(sm, SMS_FROM_TPDU_BUF, &ports);
			in->esm_class = 0x40;
		}
		if (is_concat) {
			in->has_sar = true;
			in->sar_ref = uc.ref;
			in->sar_total = uc.total;
			in->sar_seq = uc.seq;
		}
	}
	memcpy(sm + smlen, t.ud.data, t.ud.n);
	in->sm = sm;
	in->sm_len = smlen + t.ud.n;
	in->data_coding = t.ud.septets ? (form == SMS_FORM_DC1_GSM7 ? 1 : 0) :
			  t.dcs.alphabet == SMS_ALPHABET_UCS2 ? 8 : 4;
	in->dc1_gsm7 = form == SMS_FORM_DC1_GSM7;
	return 0;
}
