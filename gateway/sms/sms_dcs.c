/*
 * sms_dcs.c — TP-DCS (3GPP TS 23.038 §4) and TP-PID (3GPP TS 23.040
 * §9.2.3.9).
 */
#include <errno.h>
#include <string.h>

#include "gateway/sms/sms_dcs.h"

/* Groups 00 and 01 share bits 5-0: compressed, class present, alphabet, class. */
static void decode_general(struct sms_dcs *d, uint8_t o)
{
	d->compressed = o & 0x20;
	d->has_class = o & 0x10;
	d->alphabet = (enum sms_alphabet)((o >> 2) & 0x03);
	d->msg_class = d->has_class ? o & 0x03 : 0;
	/* 23.038 §4: without bit 4, bits 1-0 are reserved (no class). */
	d->reserved_bits = !d->has_class && (o & 0x03);
}

void sms_dcs_decode(struct sms_dcs *d, uint8_t o)
{
	memset(d, 0, sizeof(*d));
	d->raw = o;
	switch (o >> 4) {
	case 0x0: case 0x1: case 0x2: case 0x3:
		d->group = SMS_DCS_GENERAL;
		decode_general(d, o);
		return;
	case 0x4: case 0x5: case 0x6: case 0x7:
		d->group = SMS_DCS_AUTO_DELETE;
		decode_general(d, o);
		return;
	case 0x8: case 0x9: case 0xa: case 0xb:
		/* 23.038 §4: reserved codings read as the GSM 7 bit default. */
		d->group = SMS_DCS_RESERVED;
		d->alphabet = SMS_ALPHABET_GSM7;
		return;
	case 0xc: case 0xd: case 0xe:
		d->group = (enum sms_dcs_group)(SMS_DCS_MWI_DISCARD + ((o >> 4) - 0xc));
		d->alphabet = (o >> 4) == 0xe ? SMS_ALPHABET_UCS2 : SMS_ALPHABET_GSM7;
		d->mwi_active = o & 0x08;
		d->reserved_bits = o & 0x04;
		d->mwi_type = o & 0x03;
		return;
	default:
		d->group = SMS_DCS_CLASS;
		d->alphabet = (o & 0x04) ? SMS_ALPHABET_8BIT : SMS_ALPHABET_GSM7;
		d->has_class = true;
		d->msg_class = o & 0x03;
		d->reserved_bits = o & 0x08;
		return;
	}
}

int sms_dcs_encode(const struct sms_dcs *d)
{
	if (d->msg_class > 3 || d->mwi_type > 3 || d->alphabet > SMS_ALPHABET_RESERVED)
		return -EINVAL;
	unsigned cls = d->has_class ? d->msg_class : 0;
	switch (d->group) {
	case SMS_DCS_GENERAL:
	case SMS_DCS_AUTO_DELETE:
		return (d->group == SMS_DCS_AUTO_DELETE ? 0x40 : 0) | (d->compressed ? 0x20 : 0)
		       | (d->has_class ? 0x10 : 0) | d->alphabet << 2 | cls;
	case SMS_DCS_MWI_DISCARD:
	case SMS_DCS_MWI_STORE:
	case SMS_DCS_MWI_STORE_UCS2:
		return (0xc + (d->group - SMS_DCS_MWI_DISCARD)) << 4 | (d->mwi_active ? 0x08 : 0)
		       | d->mwi_type;
	case SMS_DCS_CLASS:
		if (d->alphabet != SMS_ALPHABET_GSM7 && d->alphabet != SMS_ALPHABET_8BIT)
			return -EINVAL;
		return 0xf0 | (d->alphabet == SMS_ALPHABET_8BIT ? 0x04 : 0) | d->msg_class;
	default:
		return -EINVAL;
	}
}

bool sms_dcs_ud_septets(const struct sms_dcs *d)
{
	return !d->compressed
	       && (d->alphabet == SMS_ALPHABET_GSM7 || d->alphabet == SMS_ALPHABET_RESERVED);
}

const char *sms_alphabet_name(enum sms_alphabet a)
{
	static const char *const names[] = { "gsm7", "8bit", "ucs2", "reserved" };
	return (unsigned)a < 4 ? names[a] : "invalid";
}

const char *sms_dcs_group_name(enum sms_dcs_group g)
{
	static const char *const names[] = {
		"general", "auto-delete", "reserved", "mwi-discard", "mwi-store",
		"mwi-store-ucs2", "class",
	};
	return (unsigned)g < sizeof(names) / sizeof(names[0]) ? names[g] : "invalid";
}

const char *sms_mwi_type_name(unsigned t)
{
	static const char *const names[] = { "voicemail", "fax", "email", "other" };
	return t < 4 ? names[t] : "invalid";
}

void sms_pid_decode(struct sms_pid *p, uint8_t o)
{
	memset(p, 0, sizeof(*p));
	p->raw = o;
	switch (o >> 6) {
	case 0:
		p->kind = (o & 0x20) ? SMS_PID_TELEMATIC : SMS_PID_SM_AL;
		p->value = o & 0x1f;
		return;
	case 1:
		p->kind = SMS_PID_MSG_TYPE;
		break;
	case 2:
		p->kind = SMS_PID_RESERVED;
		break;
	default:
		p->kind = SMS_PID_SC_SPECIFIC;
		break;
	}
	p->value = o & 0x3f;
}

/* §9.2.3.9, bit 5 = 1: telematic device types 0x00-0x1f. */
static const char *telematic_name(unsigned v)
{
	static const char *const names[32] = {
		"implicit", "telex", "g3-telefax", "g4-telefax", "voice-telephone",
		"ermes", "national-paging", "videotex", "teletex", "teletex-pspdn",
		"teletex-cspdn", "teletex-pstn", "teletex-isdn", "uci", "reserved",
		"reserved", "message-handling-facility", "x400", "internet-email",
		"reserved", "reserved", "reserved", "reserved", "reserved",
		"sc-specific", "sc-specific", "sc-specific", "sc-specific",
		"sc-specific", "sc-specific", "sc-specific", "gsm-umts-ms",
	};
	return names[v & 0x1f];
}

/* §9.2.3.9, bits 7-6 = 01: message types. */
static const char *msg_type_name(unsigned v)
{
	static const char *const replace[8] = {
		"sm-type-0", "replace-type-1", "replace-type-2", "replace-type-3",
		"replace-type-4", "replace-type-5", "replace-type-6", "replace-type-7",
	};
	if (v < 8)
		return replace[v];
	switch (v) {
	case 0x1e: return "enhanced-message-service";
	case 0x1f: return "return-call";
	case 0x3c: return "ansi-136-r-data";
	case 0x3d: return "me-data-download";
	case 0x3e: return "me-depersonalization";
	case 0x3f: return "sim-data-download";
	default: return "reserved";
	}
}

const char *sms_pid_name(const struct sms_pid *p)
{
	switch (p->kind) {
	case SMS_PID_SM_AL: return "sm-al";
	case SMS_PID_TELEMATIC: return telematic_name(p->value);
	case SMS_PID_MSG_TYPE: return msg_type_name(p->value);
	case SMS_PID_RESERVED: return "reserved";
	default: return "sc-specific";
	}
}

const char *sms_pid_kind_name(enum sms_pid_kind k)
{
	static const char *const names[] = {
		"sm-al", "telematic", "message-type", "reserved", "sc-specific",
	};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "invalid";
}
