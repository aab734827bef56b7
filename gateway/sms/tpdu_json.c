/*
 * tpdu_json.c — a decoded TPDU as one JSON object (doc/tools.md), for
 * txgw-tpdu and the tests that compare it with tshark.
 *
 * Every field the TPDU type carries is written, with the raw octet next to
 * its decoded parts where the spec splits an octet (TP-PID, TP-DCS), so a
 * reader can check our decoding against the bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/lib/json.h"
#include "gateway/sms/charset.h"
#include "gateway/sms/tpdu.h"
#include "gateway/sms/tpdu_json.h"

/* Text of an address: BCD digits, or the alphanumeric septets as UTF-8. */
int tpdu_addr_text(char *out, size_t cap, const struct sms_addr *a)
{
	if (a->ton == SMS_TON_ALPHANUMERIC) {
		int n = charset_gsm7_to_utf8(out, cap - 1, a->septets, a->n_septets, CHARSET_LENIENT, NULL);
		if (n < 0)
			return n;
		out[n] = '\0';
		return n;
	}
	size_t n = strlen(a->digits);
	if (n >= cap)
		return -ENOSPC;
	memcpy(out, a->digits, n + 1);
	return (int)n;
}

static void write_addr(struct jw *w, const char *key, const struct sms_addr *a)
{
	char text[4 * SMS_ADDR_MAX_SEPTETS + SMS_ADDR_MAX_DIGITS + 1];

	jw_key(w, key);
	jw_obj_open(w);
	jw_kuint(w, "ton", a->ton);
	jw_kstr(w, "ton_name", sms_ton_name(a->ton));
	jw_kuint(w, "npi", a->npi);
	jw_kstr(w, "npi_name", sms_npi_name(a->npi));
	jw_kuint(w, "len", a->len);
	if (tpdu_addr_text(text, sizeof(text), a) >= 0)
		jw_kstr(w, a->ton == SMS_TON_ALPHANUMERIC ? "text" : "digits", text);
	jw_obj_close(w);
}

static void write_time(struct jw *w, const char *key, const struct sms_time *t)
{
	char buf[40];

	jw_key(w, key);
	if (sms_time_format(buf, sizeof(buf), t) >= 0)
		jw_str(w, buf);
	else
		jw_null(w);
}

static void write_dcs(struct jw *w, const struct sms_dcs *d)
{
	jw_key(w, "dcs");
	jw_obj_open(w);
	jw_kuint(w, "value", d->raw);
	jw_kstr(w, "group", sms_dcs_group_name(d->group));
	jw_kstr(w, "alphabet", sms_alphabet_name(d->alphabet));
	jw_kbool(w, "compressed", d->compressed);
	jw_key(w, "class");
	if (d->has_class)
		jw_uint(w, d->msg_class);
	else
		jw_null(w);
	if (d->group == SMS_DCS_MWI_DISCARD || d->group == SMS_DCS_MWI_STORE ||
	    d->group == SMS_DCS_MWI_STORE_UCS2) {
		jw_kbool(w, "mwi_active", d->mwi_active);
		jw_kstr(w, "mwi_type", sms_mwi_type_name(d->mwi_type));
	}
	if (d->reserved_bits)
		jw_kbool(w, "reserved_bits", true);
	jw_obj_close(w);
}

static void write_pid(struct jw *w, const struct sms_pid *p)
{
	jw_key(w, "pid");
	jw_obj_open(w);
	jw_kuint(w, "value", p->raw);
	jw_kstr(w, "kind", sms_pid_kind_name(p->kind));
	jw_kstr(w, "name", sms_pid_name(p));
	jw_obj_close(w);
}

static void write_vp(struct jw *w, const struct sms_vp *vp)
{
	jw_key(w, "vp");
	jw_obj_open(w);
	jw_kstr(w, "format", sms_vpf_name(vp->format));
	switch (vp->format) {
	case SMS_VPF_RELATIVE:
		jw_kuint(w, "value", vp->relative);
		jw_kint(w, "seconds", sms_vp_seconds(vp));
		break;
	case SMS_VPF_ABSOLUTE:
		write_time(w, "time", &vp->absolute);
		break;
	case SMS_VPF_ENHANCED:
		jw_kbool(w, "single_shot", vp->enhanced.single_shot);
		jw_kstr(w, "enhanced_format", sms_vp_enh_format_name(vp->enhanced.format));
		if (vp->enhanced.format != SMS_VP_ENH_NONE)
			jw_kint(w, "seconds", sms_vp_seconds(vp));
		break;
	default:
		break;
	}
	jw_obj_close(w);
}

static void write_ie(struct jw *w, const struct udh *h, const struct udh_ie *ie)
{
	const uint8_t *d = udh_ie_data(h, ie);

	jw_obj_open(w);
	jw_kuint(w, "iei", ie->iei);
	jw_kstr(w, "name", udh_iei_name(ie->iei));
	jw_khex(w, "data", d, ie->len);
	if (ie->flags & UDH_IE_BAD_LEN)
		jw_kstr(w, "invalid", "length");
	else if (ie->flags & UDH_IE_BAD_VALUE)
		jw_kstr(w, "invalid", "value");
	else if (ie->iei == UDH_IEI_CONCAT8 || ie->iei == UDH_IEI_CONCAT16) {
		bool wide = ie->iei == UDH_IEI_CONCAT16;
		jw_key(w, "concat");
		jw_obj_open(w);
		jw_kuint(w, "ref", wide ? (unsigned)(d[0] << 8 | d[1]) : d[0]);
		jw_kuint(w, "ref_bits", wide ? 16 : 8);
		jw_kuint(w, "total", d[wide ? 2 : 1]);
		jw_kuint(w, "seq", d[wide ? 3 : 2]);
		jw_obj_close(w);
	} else if (ie->iei == UDH_IEI_PORT8 || ie->iei == UDH_IEI_PORT16) {
		bool wide = ie->iei == UDH_IEI_PORT16;
		jw_key(w, "ports");
		jw_obj_open(w);
		jw_kuint(w, "dst", wide ? (unsigned)(d[0] << 8 | d[1]) : d[0]);
		jw_kuint(w, "src", wide ? (unsigned)(d[2] << 8 | d[3]) : d[1]);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}

/* The user data's text, when the alphabet is a text one. */
static void write_text(struct jw *w, const struct sms_tpdu *t)
{
	enum charset_coding cs;
	size_t cap = 4 * (size_t)t->ud.n + 8;
	struct charset_info info = { 0 };

	if (t->ud.septets)
		cs = CHARSET_GSM7;
	else if (t->dcs.alphabet == SMS_ALPHABET_UCS2 && !t->dcs.compressed)
		cs = CHARSET_UCS2;
	else
		return;
	if (t->dcs.compressed)
		return;		/* 23.042 compression: not text we can show */
	char *text = malloc(cap);
	if (!text)
		return;
	int n = charset_to_utf8(cs, text, cap, t->ud.data, t->ud.n, CHARSET_LENIENT, &info);
	if (n >= 0) {
		jw_kstrn(w, "text", text, (size_t)n);
		if (info.replaced)
			jw_kuint(w, "text_replaced", info.replaced);
	}
	free(text);
}

static void write_ud(struct jw *w, const struct sms_tpdu *t)
{
	if (t->udhi) {
		jw_key(w, "udh");
		jw_arr_open(w);
		for (unsigned i = 0; i < t->ud.udh.n_ies; i++)
			write_ie(w, &t->ud.udh, &t->ud.udh.ies[i]);
		jw_arr_close(w);
	}
	jw_kstr(w, "ud_unit", t->ud.septets ? "septets" : "octets");
	jw_kuint(w, "ud_len", t->ud.n);
	jw_khex(w, "ud", t->ud.data, t->ud.n);
	if (t->type != SMS_COMMAND)
		write_text(w, t);
}

static void write_first_octet(struct jw *w, const struct sms_tpdu *t)
{
	switch (t->type) {
	case SMS_DELIVER:
		jw_kbool(w, "mms", t->mms);
		jw_kbool(w, "lp", t->lp);
		jw_kbool(w, "sri", t->sri);
		jw_kbool(w, "rp", t->rp);
		break;
	case SMS_SUBMIT:
		jw_kbool(w, "rd", t->rd);
		jw_kbool(w, "srr", t->srr);
		jw_kbool(w, "rp", t->rp);
		break;
	case SMS_STATUS_REPORT:
		jw_kbool(w, "mms", t->mms);
		jw_kbool(w, "lp", t->lp);
		jw_kbool(w, "srq", t->srq);
		break;
	case SMS_COMMAND:
		jw_kbool(w, "srr", t->srr);
		break;
	default:
		break;
	}
	jw_kbool(w, "udhi", t->udhi);
}

static void write_report_fields(struct jw *w, const struct sms_tpdu *t)
{
	if (t->has_fcs) {
		jw_kuint(w, "fcs", t->fcs);
		jw_kstr(w, "fcs_name", sms_fcs_name(t->fcs));
	}
	if (t->has_pi)
		jw_kuint(w, "pi", t->pi);
}

static void write_body(struct jw *w, const struct sms_tpdu *t)
{
	if (t->type == SMS_SUBMIT || t->type == SMS_STATUS_REPORT || t->type == SMS_COMMAND)
		jw_kuint(w, "mr", t->mr);
	if (t->type == SMS_COMMAND) {
		write_pid(w, &t->pid);
		jw_kuint(w, "ct", t->ct);
		jw_kstr(w, "ct_name", sms_ct_name(t->ct));
		jw_kuint(w, "mn", t->mn);
	}
	if (t->type == SMS_DELIVER)
		write_addr(w, "oa", &t->addr);
	else if (t->type == SMS_SUBMIT || t->type == SMS_COMMAND)
		write_addr(w, "da", &t->addr);
	else if (t->type == SMS_STATUS_REPORT)
		write_addr(w, "ra", &t->addr);
	if (sms_tpdu_is_report(t->type))
		write_report_fields(w, t);
	if (t->type == SMS_SUBMIT_REPORT || t->type == SMS_DELIVER || t->type == SMS_STATUS_REPORT)
		write_time(w, "scts", &t->scts);
	if (t->type == SMS_STATUS_REPORT) {
		write_time(w, "dt", &t->dt);
		jw_kuint(w, "st", t->st);
		jw_kstr(w, "st_name", sms_st_name(t->st));
		if (t->has_pi)
			jw_kuint(w, "pi", t->pi);
	}
	if (t->type != SMS_COMMAND && sms_tpdu_has_pid(t))
		write_pid(w, &t->pid);
	if (sms_tpdu_has_dcs(t))
		write_dcs(w, &t->dcs);
	if (t->type == SMS_SUBMIT)
		write_vp(w, &t->vp);
	if (sms_tpdu_has_ud(t))
		write_ud(w, t);
}

void tpdu_json(struct jw *w, const struct sms_tpdu *t, enum sms_dir dir, const uint8_t *raw, size_t len)
{
	jw_obj_open(w);
	jw_khex(w, "tpdu", raw, len);
	jw_kstr(w, "dir", dir == SMS_MS_TO_SC ? "mo" : "mt");
	jw_kstr(w, "type", sms_tpdu_type_name(t->type));
	write_first_octet(w, t);
	write_body(w, t);
	jw_obj_close(w);
}

void tpdu_json_error(struct jw *w, enum sms_dir dir, const uint8_t *raw, size_t len, int err)
{
	jw_obj_open(w);
	jw_khex(w, "tpdu", raw, len);
	jw_kstr(w, "dir", dir == SMS_MS_TO_SC ? "mo" : "mt");
	jw_kstr(w, "error", err == -EIO ? "truncated" : err == -EINVAL ? "invalid" : strerror(-err));
	jw_kint(w, "errno", err);
	jw_obj_close(w);
}
