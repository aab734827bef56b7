/*
 * tpdu.h — SM-TL TPDUs of 3GPP TS 23.040 §9.2.2, decode and encode, no I/O.
 *
 * All six types: SMS-DELIVER, SMS-DELIVER-REPORT, SMS-SUBMIT,
 * SMS-SUBMIT-REPORT, SMS-STATUS-REPORT, SMS-COMMAND.  TP-MTI alone is
 * ambiguous (§9.2.3.1: 00 is DELIVER towards the MS and DELIVER-REPORT
 * towards the SC, and so on), so the direction is an argument.
 *
 * RP-ACK or RP-ERROR report (§9.2.2.1a, §9.2.2.2a): we tell them apart by
 * the octet after the first one.  TP-FCS values 0x00-0x7F are reserved
 * (§9.2.3.22) and a TP-PI with bit 7 (extension) set announces an
 * extension octet no release defines (§9.2.3.27), which we refuse; so an
 * octet >= 0x80 there is TP-FCS (RP-ERROR form) and one below is TP-PI
 * (RP-ACK form).  The encoder refuses has_fcs with an FCS below 0x80 and a
 * PI with bit 7, so every TPDU it writes decodes back the same.
 *
 * Strictness, so that decode then encode gives back the same bytes:
 * TP-UD must be exactly as long as TP-UDL says and nothing may follow
 * the TPDU (-EINVAL); a shorter input is -EIO.  TP-UDL above 160
 * septets / 140 octets (TP-CDL above 156 octets, §9.2.2.4) is -EINVAL, as
 * are non-zero fill bits or spare bits in packed 7-bit user data, and a
 * UDH longer than TP-UDL.  First-octet bits a type leaves unused are kept
 * as received (spare).  The field decoders (sms_addr.h, sms_time.h) list
 * their own refusals.
 *
 * The struct is a plain value: a decode copies what it keeps (the UDH,
 * the unpacked septets or the octets), allocates nothing and borrows
 * nothing from the input.
 *
 * Reading a decoded TPDU (e.g. to print it): every field of every type
 * is in struct sms_tpdu; which ones a type carries is listed below, per
 * type, and sms_tpdu_has_pid() / _has_dcs() / _has_ud() tell whether the
 * optional ones of the reports were present.  Fields a type does not
 * carry are zero after a decode.  Enumerations have name helpers
 * (lower-case, hyphenated, static strings): sms_tpdu_type_name(),
 * sms_dir_name(), sms_ton_name(), sms_npi_name() (sms_addr.h),
 * sms_alphabet_name(), sms_dcs_group_name(), sms_mwi_type_name(),
 * sms_pid_kind_name(), sms_pid_name() (sms_dcs.h), sms_vpf_name(),
 * sms_vp_enh_format_name(), sms_time_format() (sms_time.h),
 * udh_iei_name(), udh_ie_flags_name() (udh.h), sms_st_name(),
 * sms_st_class_name(), sms_fcs_name(), sms_ct_name() (here).
 *
 *   type                 fields
 *   SMS_DELIVER          mms lp sri udhi rp spare, addr (TP-OA), pid, dcs,
 *                        scts, ud
 *   SMS_SUBMIT           rd srr udhi rp, vp.format (TP-VPF), mr,
 *                        addr (TP-DA), pid, dcs, vp, ud
 *   SMS_STATUS_REPORT    mms lp srq udhi spare, mr, addr (TP-RA), scts,
 *                        dt, st; optional: has_pi, pi, then pid, dcs, ud
 *                        as pi says
 *   SMS_COMMAND          srr udhi spare, mr, pid, ct, mn, addr (TP-DA),
 *                        ud (TP-CD: octets, with a UDH when udhi)
 *   SMS_DELIVER_REPORT   udhi spare, has_fcs, fcs (RP-ERROR form), has_pi
 *                        (always), pi, then pid, dcs, ud as pi says
 *   SMS_SUBMIT_REPORT    as SMS_DELIVER_REPORT, and scts
 *
 * Building a TPDU to encode: sms_tpdu_init(), set the fields of its type,
 * sms_pid_decode(&t->pid, octet) and sms_dcs_decode(&t->dcs, octet) for
 * TP-PID and TP-DCS (the encoder writes pid.raw and dcs.raw and checks
 * that the parts agree with them), addresses with sms_addr_set_digits()
 * or sms_addr_set_alnum(), a UDH with udh_init()/udh_add*() and udhi,
 * then sms_tpdu_set_ud() once TP-DCS is set.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sms/sms_addr.h"
#include "gateway/sms/sms_dcs.h"
#include "gateway/sms/sms_time.h"
#include "gateway/sms/udh.h"

/* The longest valid TPDU: an SMS-COMMAND with a 12-octet TP-DA and 156
 * octets of TP-CD takes 174 octets; an encoder buffer of this size never
 * gives -ENOSPC. */
#define SMS_TPDU_MAX_LEN	175
#define SMS_UD_MAX_SEPTETS	160	/* §9.2.3.16 */
#define SMS_UD_MAX_OCTETS	140
#define SMS_CD_MAX_OCTETS	156	/* §9.2.2.4: TP-CD 0..156 */

enum sms_dir {
	SMS_MS_TO_SC,
	SMS_SC_TO_MS,
};

enum sms_tpdu_type {
	SMS_DELIVER,		/* SC -> MS, MTI 00 */
	SMS_DELIVER_REPORT,	/* MS -> SC, MTI 00 */
	SMS_SUBMIT,		/* MS -> SC, MTI 01 */
	SMS_SUBMIT_REPORT,	/* SC -> MS, MTI 01 */
	SMS_STATUS_REPORT,	/* SC -> MS, MTI 10 */
	SMS_COMMAND,		/* MS -> SC, MTI 10 */
};

/* TP-PI bits (§9.2.3.27). */
#define SMS_PI_PID	0x01
#define SMS_PI_DCS	0x02
#define SMS_PI_UDL	0x04
#define SMS_PI_EXT	0x80

/* TP-UD (or TP-CD of an SMS-COMMAND), split at its header. */
struct sms_ud {
	struct udh udh;		/* when the TPDU's TP-UDHI is set; else empty */
	bool septets;		/* data holds septets (GSM7), else octets */
	uint8_t n;		/* septets or octets in data */
	/* The payload after the UDH: septets unpacked one per byte (fill bits
	 * skipped), or the octets as sent. */
	uint8_t data[SMS_UD_MAX_SEPTETS];
};

struct sms_tpdu {
	enum sms_tpdu_type type;
	/* First octet.  mms is the TP-MMS bit as sent: 1 = no more messages
	 * are waiting (DELIVER, STATUS-REPORT).  sri: DELIVER; srr: SUBMIT,
	 * COMMAND; srq: STATUS-REPORT; rd, vp: SUBMIT; rp: DELIVER, SUBMIT;
	 * lp: DELIVER, STATUS-REPORT; udhi: all. */
	bool mms, lp, sri, srr, srq, rd, rp, udhi;
	uint8_t spare;		/* first-octet bits unused by this type, as sent */
	uint8_t mr;		/* TP-MR: SUBMIT, STATUS-REPORT, COMMAND */
	/* TP-OA (DELIVER), TP-DA (SUBMIT, COMMAND), TP-RA (STATUS-REPORT). */
	struct sms_addr addr;
	struct sms_pid pid;	/* TP-PID: when present */
	/* TP-DCS: when present; else (reports without it) 0x00, the value
	 * §9.2.3.27 says to assume. */
	struct sms_dcs dcs;
	struct sms_time scts;	/* DELIVER, SUBMIT-REPORT, STATUS-REPORT */
	struct sms_time dt;	/* TP-DT: STATUS-REPORT */
	struct sms_vp vp;	/* SUBMIT; vp.format is TP-VPF */
	uint8_t st;		/* TP-ST: STATUS-REPORT */
	uint8_t ct, mn;		/* TP-CT, TP-MN: COMMAND */
	bool has_fcs;		/* reports: RP-ERROR form */
	uint8_t fcs;		/* TP-FCS, 0x80..0xff */
	/* TP-PI (reports; optional in STATUS-REPORT): which of TP-PID,
	 * TP-DCS, TP-UDL follow.  Reserved bits 6-3 are kept as sent. */
	bool has_pi;
	uint8_t pi;
	/* TP-UD: DELIVER, SUBMIT, and reports whose TP-PI has SMS_PI_UDL;
	 * TP-CD for COMMAND (octets, with a UDH when TP-UDHI). */
	struct sms_ud ud;
};

/*
 * Decode one TPDU of len octets travelling in direction dir into *t
 * (zeroed first).  Returns 0; -EIO when the input ends before a field;
 * -EINVAL for a reserved TP-MTI (11), anything the field decoders refuse
 * (sms_addr_read(), sms_time_read(), sms_vp_read()), TP-UDL over its
 * limit, a UDH that does not fit in TP-UD or whose IEs overrun its UDHL
 * (udh_parse()), non-zero fill or spare bits of packed septets, a TP-PI
 * with its extension bit, TP-UDHI set without user data, or octets left
 * after the TPDU.  On error *t is partly filled and must not be used.
 */
int sms_tpdu_decode(struct sms_tpdu *t, const uint8_t *buf, size_t len, enum sms_dir dir);

/*
 * Encode *t for direction dir (which must be the direction of t->type)
 * into out (cap octets; SMS_TPDU_MAX_LEN always suffices).  TP-MTI,
 * TP-VPF (from vp.format), TP-UDL/TP-CDL, UDHL and fill bits are computed.
 * Returns the number of octets written; -ENOSPC when cap is too small;
 * -EINVAL for a struct that cannot be encoded or would not decode back to
 * the same struct: a wrong direction, a flag or spare bit the type does
 * not carry, pid/dcs parts that disagree with pid.raw/dcs.raw, ud.septets
 * not what TP-DCS implies (sms_dcs_ud_septets(); always octets for
 * SMS_COMMAND), user data over 160 septets / 140 octets (156 for TP-CD)
 * with its header, a septet > 0x7f, a UDH whose ies[] table is not what
 * its raw bytes parse to, has_fcs with fcs < 0x80 (or fcs without
 * has_fcs), a TP-PI with bit 7, a report without has_pi, PID/DCS/UD
 * values present that TP-PI does not announce, invalid addresses, times
 * or validity periods.  Fields the type does not carry are not written
 * (keep them zero if decode(encode(t)) must equal t).
 */
int sms_tpdu_encode(uint8_t *out, size_t cap, const struct sms_tpdu *t, enum sms_dir dir);

/*
 * Zero *t and set its type; for the reports has_pi is set (TP-PI is
 * mandatory there).  The zero TP-PID and TP-DCS (0x00: GSM7, no class)
 * are consistent; change them with sms_pid_decode()/sms_dcs_decode().
 */
void sms_tpdu_init(struct sms_tpdu *t, enum sms_tpdu_type type);

/*
 * Set the payload after the UDH: n septets (each <= 0x7f) when t->dcs
 * says TP-UDL counts septets, else n octets (TP-CD for SMS_COMMAND); sets
 * t->ud.septets accordingly, so call it after setting t->dcs.  Returns 0,
 * or -EINVAL when n exceeds 160 septets / 156 octets or a septet > 0x7f.
 * (The limit with the UDH is checked by sms_tpdu_encode().)
 */
int sms_tpdu_set_ud(struct sms_tpdu *t, const uint8_t *data, size_t n);

/* Presence of the optional fields (always true where a type has them
 * unconditionally: PID and DCS in DELIVER/SUBMIT, PID in COMMAND, UD in
 * DELIVER/SUBMIT/COMMAND). */
static inline bool sms_tpdu_has_pid(const struct sms_tpdu *t)
{
	switch (t->type) {
	case SMS_DELIVER: case SMS_SUBMIT: case SMS_COMMAND:
		return true;
	default:
		return t->has_pi && (t->pi & SMS_PI_PID);
	}
}

static inline bool sms_tpdu_has_dcs(const struct sms_tpdu *t)
{
	switch (t->type) {
	case SMS_DELIVER: case SMS_SUBMIT:
		return true;
	case SMS_COMMAND:
		return false;
	default:
		return t->has_pi && (t->pi & SMS_PI_DCS);
	}
}

static inline bool sms_tpdu_has_ud(const struct sms_tpdu *t)
{
	switch (t->type) {
	case SMS_DELIVER: case SMS_SUBMIT: case SMS_COMMAND:
		return true;
	default:
		return t->has_pi && (t->pi & SMS_PI_UDL);
	}
}

/* The direction a type travels in. */
enum sms_dir sms_tpdu_dir(enum sms_tpdu_type type);

/* "sms-deliver", "sms-deliver-report", "sms-submit", "sms-submit-report",
 * "sms-status-report", "sms-command"; "invalid" out of range. */
const char *sms_tpdu_type_name(enum sms_tpdu_type type);

/* "ms-to-sc", "sc-to-ms". */
const char *sms_dir_name(enum sms_dir dir);

/* The TPDU types of 23.040 §9.2.3.1: reports and the rest. */
static inline bool sms_tpdu_is_report(enum sms_tpdu_type type)
{
	return type == SMS_DELIVER_REPORT || type == SMS_SUBMIT_REPORT;
}

/* TP-ST (§9.2.3.15): "received", "forwarded-unconfirmed", "replaced",
 * "congestion", "sme-busy", ..., "validity-period-expired", ...,
 * "sc-specific", "reserved". */
const char *sms_st_name(uint8_t st);
/* TP-ST bits 6-5: "completed", "temporary-error-retrying",
 * "permanent-error", "temporary-error-stopped"; "reserved" (bit 7). */
const char *sms_st_class_name(uint8_t st);
/* TP-FCS (§9.2.3.22): "sc-busy", "tp-vp-not-supported", ...,
 * "application-specific" (0xE0-0xFE), "unspecified-error", "reserved". */
const char *sms_fcs_name(uint8_t fcs);
/* TP-CT (§9.2.3.19): "enquiry", "cancel-status-report-request",
 * "delete-sm", "enable-status-report-request", "sc-specific" (0xE0-0xFF),
 * "reserved". */
const char *sms_ct_name(uint8_t ct);
