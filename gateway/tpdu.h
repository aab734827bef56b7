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
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sms_addr.h"
#include "sms_dcs.h"
#include "sms_time.h"
#include "udh.h"

#define SMS_TPDU_MAX_LEN	175	/* 164 octets is the most a valid TPDU takes */
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
 * Decode one TPDU of len octets travelling in direction dir into *t.
 * Returns 0; -EIO when the input ends before a field; -EINVAL for a
 * reserved TP-MTI (11), anything the field decoders refuse, inconsistent
 * lengths (UDL/UDHL/CDL), or octets left after the TPDU.
 */
int sms_tpdu_decode(struct sms_tpdu *t, const uint8_t *buf, size_t len, enum sms_dir dir);

/*
 * Encode *t for direction dir (which must be the direction of t->type)
 * into out.  TP-UDL/TP-CDL, UDHL, fill bits and TP-MTI are computed; the
 * UD unit (t->ud.septets) must agree with t->dcs.  Returns the number of
 * octets written; -ENOSPC when cap is too small; -EINVAL for a struct that
 * cannot be encoded (or would not decode back the same: a spare bit
 * outside the type's unused bits, user data over the limits, a septet
 * > 0x7f, has_fcs with fcs < 0x80, TP-PI with bit 7, invalid fields).
 */
int sms_tpdu_encode(uint8_t *out, size_t cap, const struct sms_tpdu *t, enum sms_dir dir);

/* The direction a type travels in. */
enum sms_dir sms_tpdu_dir(enum sms_tpdu_type type);

/* "sms-deliver", "sms-deliver-report", "sms-submit", "sms-submit-report",
 * "sms-status-report", "sms-command". */
const char *sms_tpdu_type_name(enum sms_tpdu_type type);

/* The TPDU types of 23.040 §9.2.3.1: reports and the rest. */
static inline bool sms_tpdu_is_report(enum sms_tpdu_type type)
{
	return type == SMS_DELIVER_REPORT || type == SMS_SUBMIT_REPORT;
}
