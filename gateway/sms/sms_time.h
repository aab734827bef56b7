/*
 * sms_time.h — time stamps and validity periods of 3GPP TS 23.040:
 * TP-SCTS (§9.2.3.11), TP-DT (§9.2.3.13), TP-VP in its relative
 * (§9.2.3.12.1), absolute (§9.2.3.12.2) and enhanced (§9.2.3.12.3) forms,
 * chosen by TP-VPF (§9.2.3.3).
 *
 * Semi-octet time stamp: 7 octets YY MM DD hh mm ss TZ, each two decimal
 * digits with the low nibble holding the tens digit.  TZ is in quarters of
 * an hour; bit 3 of the TZ octet (the tens nibble) is its sign, 1 = west
 * of UTC.
 *
 * Not libosmocore's gsm340_scts(): in the libosmocore 1.7 we build with it
 * reads an eighth octet past the field and loses the time-zone sign
 * (measured), and it validates nothing.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/lib/cursor.h"

#define SMS_TIME_LEN	7

struct sms_time {
	uint8_t year;		/* 0..99: 2000 + year, see sms_time_to_unix() */
	uint8_t month;		/* 1..12 */
	uint8_t day;		/* 1..days in that month */
	uint8_t hour;		/* 0..23 */
	uint8_t minute;		/* 0..59 */
	uint8_t second;		/* 0..59 */
	int8_t tz;		/* -79..79 quarter hours east of UTC */
};

/*
 * Read 7 octets of semi-octet time stamp.  Errors: -EIO too short;
 * -EINVAL a non-decimal nibble (we refuse rather than guess: a nibble of
 * 0xA-0xF cannot be read as a date), a field out of range (month 1-12,
 * day within the month, a leap day only in a year divisible by four,
 * hour 0-23, minute and second 0-59), or a "minus zero" time zone (it
 * cannot be written back as received).
 */
int sms_time_read(struct rd *r, struct sms_time *t);

/* Write *t as 7 octets.  -EINVAL for a field out of range, -ENOSPC. */
int sms_time_write(struct wr *w, const struct sms_time *t);

/* Is *t within the ranges sms_time_read() accepts? */
bool sms_time_valid(const struct sms_time *t);

/* Seconds since 1970-01-01T00:00:00Z, taking the century as 2000-2099. */
int64_t sms_time_to_unix(const struct sms_time *t);

/*
 * ISO 8601 text, "2026-11-25T22:00:00+08:00" (25 characters and a NUL).
 * Returns the length, or -ENOSPC when cap < 26.
 */
int sms_time_format(char *buf, size_t cap, const struct sms_time *t);

/* TP-VPF values (§9.2.3.3): where TP-VP is and how long it is. */
enum sms_vpf {
	SMS_VPF_NONE = 0,
	SMS_VPF_ENHANCED = 1,	/* 7 octets */
	SMS_VPF_RELATIVE = 2,	/* 1 octet */
	SMS_VPF_ABSOLUTE = 3,	/* 7 octets, a time stamp */
};

/* Formats of the enhanced TP-VP, bits 2-0 of its functionality indicator. */
enum sms_vp_enh_format {
	SMS_VP_ENH_NONE = 0,		/* no validity period specified */
	SMS_VP_ENH_RELATIVE = 1,	/* one octet as the relative TP-VP */
	SMS_VP_ENH_SECONDS = 2,		/* one octet, 0-255 seconds */
	SMS_VP_ENH_HHMMSS = 3,		/* three semi-octet octets, relative */
};

struct sms_vp {
	enum sms_vpf format;
	uint8_t relative;		/* SMS_VPF_RELATIVE */
	struct sms_time absolute;	/* SMS_VPF_ABSOLUTE */
	struct {			/* SMS_VPF_ENHANCED */
		bool single_shot;	/* bit 6 of the functionality indicator */
		uint8_t format;		/* enum sms_vp_enh_format */
		uint8_t value;		/* RELATIVE: TP-VP octet; SECONDS: seconds */
		uint8_t hh, mm, ss;	/* HHMMSS */
	} enhanced;
};

/*
 * Read a TP-VP of the given format (SMS_VPF_NONE reads nothing) into *vp
 * (zeroed first).  Errors: -EIO too short; -EINVAL an invalid absolute
 * time (as sms_time_read()), or an enhanced TP-VP using what 23.040
 * §9.2.3.12.3 leaves reserved: the extension bit (no extension octet is
 * defined), reserved bits 5-3, formats 4-7, or non-zero unused octets
 * ("reserved/unused bits or octets must be set to 0"; an SC would answer
 * "TP-VP not supported"); or an HHMMSS value with a non-decimal nibble or
 * minutes/seconds above 59.
 */
int sms_vp_read(struct rd *r, enum sms_vpf vpf, struct sms_vp *vp);

/* Write vp as vp->format says.  -EINVAL for an invalid struct, -ENOSPC. */
int sms_vp_write(struct wr *w, const struct sms_vp *vp);

/*
 * The relative validity period in seconds (relative, enhanced relative,
 * seconds and HHMMSS forms), or -1 when the period is absolute or absent.
 */
int64_t sms_vp_seconds(const struct sms_vp *vp);

/* "none", "enhanced", "relative", "absolute". */
const char *sms_vpf_name(enum sms_vpf vpf);

/* Enhanced TP-VP format: "none", "relative", "seconds", "hhmmss", "reserved". */
const char *sms_vp_enh_format_name(unsigned format);
