/*
 * sms_time.c — TP-SCTS, TP-DT and TP-VP (3GPP TS 23.040 §9.2.3.11-13).
 */
#include <stdio.h>
#include <string.h>

#include "gateway/sms/sms_time.h"

/* One semi-octet pair: tens in the low nibble, units in the high one. */
static int bcd_get(uint8_t o, uint8_t *v)
{
	unsigned tens = o & 0x0f, units = o >> 4;
	if (tens > 9 || units > 9)
		return -EINVAL;
	*v = (uint8_t)(tens * 10 + units);
	return 0;
}

static uint8_t bcd_put(unsigned v)
{
	return (uint8_t)((v % 10) << 4 | (v / 10));
}

static unsigned days_in_month(unsigned year, unsigned month)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	/* 2000-2099: every year divisible by four is a leap year. */
	if (month == 2 && year % 4 == 0)
		return 29;
	return days[month - 1];
}

bool sms_time_valid(const struct sms_time *t)
{
	return t->year <= 99 && t->month >= 1 && t->month <= 12 && t->day >= 1
	       && t->day <= days_in_month(t->year, t->month) && t->hour <= 23
	       && t->minute <= 59 && t->second <= 59 && t->tz >= -79 && t->tz <= 79;
}

int sms_time_read(struct rd *r, struct sms_time *t)
{
	const uint8_t *p;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = rd_bytes(r, SMS_TIME_LEN, &p)))
		return rc;
	uint8_t *f[6] = { &t->year, &t->month, &t->day, &t->hour, &t->minute, &t->second };
	for (int i = 0; i < 6; i++)
		if (bcd_get(p[i], f[i]))
			return rd_fail(r, -EINVAL);
	/* §9.2.3.11: TZ tens digit in bits 2-0, its sign in bit 3. */
	unsigned tens = p[6] & 0x07, units = p[6] >> 4;
	if (units > 9)
		return rd_fail(r, -EINVAL);
	int tz = (int)(tens * 10 + units);
	if ((p[6] & 0x08) && tz == 0)
		return rd_fail(r, -EINVAL);
	t->tz = (int8_t)((p[6] & 0x08) ? -tz : tz);
	if (!sms_time_valid(t))
		return rd_fail(r, -EINVAL);
	return 0;
}

int sms_time_write(struct wr *w, const struct sms_time *t)
{
	if (!sms_time_valid(t)) {
		if (!w->err)
			w->err = -EINVAL;
		return -EINVAL;
	}
	unsigned tz = (unsigned)(t->tz < 0 ? -t->tz : t->tz);
	uint8_t b[SMS_TIME_LEN] = {
		bcd_put(t->year), bcd_put(t->month), bcd_put(t->day),
		bcd_put(t->hour), bcd_put(t->minute), bcd_put(t->second),
		(uint8_t)(bcd_put(tz) | (t->tz < 0 ? 0x08 : 0)),
	};
	return wr_bytes(w, b, sizeof(b));
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t sms_time_to_unix(const struct sms_time *t)
{
	int64_t days = days_from_civil(2000 + t->year, t->month, t->day);
	int64_t local = days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
	return local - (int64_t)t->tz * 15 * 60;
}

int sms_time_format(char *buf, size_t cap, const struct sms_time *t)
{
	unsigned tz = (unsigned)(t->tz < 0 ? -t->tz : t->tz) * 15;
	if (cap < 26)
		return -ENOSPC;
	return snprintf(buf, cap, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u",
			2000u + t->year % 100, t->month % 100, t->day % 100, t->hour % 100,
			t->minute % 100, t->second % 100, t->tz < 0 ? '-' : '+',
			tz / 60 % 100, tz % 60);
}

/* §9.2.3.12.3: the octets after the functionality indicator. */
static int read_enhanced(struct sms_vp *vp, const uint8_t *p)
{
	uint8_t fi = p[0];
	size_t used;

	if (fi & 0xb8)		/* extension bit 7, reserved bits 5-3 */
		return -EINVAL;
	vp->enhanced.single_shot = fi & 0x40;
	vp->enhanced.format = fi & 0x07;
	switch (vp->enhanced.format) {
	case SMS_VP_ENH_NONE:
		used = 0;
		break;
	case SMS_VP_ENH_RELATIVE:
	case SMS_VP_ENH_SECONDS:
		vp->enhanced.value = p[1];
		used = 1;
		break;
	case SMS_VP_ENH_HHMMSS:
		if (bcd_get(p[1], &vp->enhanced.hh) || bcd_get(p[2], &vp->enhanced.mm)
		    || bcd_get(p[3], &vp->enhanced.ss) || vp->enhanced.mm > 59
		    || vp->enhanced.ss > 59)
			return -EINVAL;
		used = 3;
		break;
	default:
		return -EINVAL;
	}
	for (size_t i = 1 + used; i < 7; i++)
		if (p[i])
			return -EINVAL;
	return 0;
}

int sms_vp_read(struct rd *r, enum sms_vpf vpf, struct sms_vp *vp)
{
	const uint8_t *p;
	int rc = 0;

	memset(vp, 0, sizeof(*vp));
	vp->format = vpf;
	switch (vpf) {
	case SMS_VPF_NONE:
		return 0;
	case SMS_VPF_RELATIVE:
		return rd_u8(r, &vp->relative);
	case SMS_VPF_ABSOLUTE:
		return sms_time_read(r, &vp->absolute);
	case SMS_VPF_ENHANCED:
		if ((rc = rd_bytes(r, 7, &p)))
			return rc;
		rc = read_enhanced(vp, p);
		return rc ? rd_fail(r, rc) : 0;
	}
	return rd_fail(r, -EINVAL);
}

static int write_enhanced(struct wr *w, const struct sms_vp *vp)
{
	uint8_t b[7] = { (uint8_t)((vp->enhanced.single_shot ? 0x40 : 0) | vp->enhanced.format) };

	switch (vp->enhanced.format) {
	case SMS_VP_ENH_NONE:
		break;
	case SMS_VP_ENH_RELATIVE:
	case SMS_VP_ENH_SECONDS:
		b[1] = vp->enhanced.value;
		break;
	case SMS_VP_ENH_HHMMSS:
		if (vp->enhanced.hh > 99 || vp->enhanced.mm > 59 || vp->enhanced.ss > 59)
			return -EINVAL;
		b[1] = bcd_put(vp->enhanced.hh);
		b[2] = bcd_put(vp->enhanced.mm);
		b[3] = bcd_put(vp->enhanced.ss);
		break;
	default:
		return -EINVAL;
	}
	return wr_bytes(w, b, sizeof(b));
}

int sms_vp_write(struct wr *w, const struct sms_vp *vp)
{
	int rc;

	switch (vp->format) {
	case SMS_VPF_NONE:
		return 0;
	case SMS_VPF_RELATIVE:
		return wr_u8(w, vp->relative);
	case SMS_VPF_ABSOLUTE:
		return sms_time_write(w, &vp->absolute);
	case SMS_VPF_ENHANCED:
		rc = write_enhanced(w, vp);
		if (rc && !w->err)
			w->err = rc;
		return rc;
	}
	if (!w->err)
		w->err = -EINVAL;
	return -EINVAL;
}

/* §9.2.3.12.1: the four ranges of the relative TP-VP octet. */
static int64_t relative_seconds(uint8_t v)
{
	if (v <= 143)
		return (v + 1) * 5 * 60;
	if (v <= 167)
		return 12 * 3600 + (v - 143) * 30 * 60;
	if (v <= 196)
		return (int64_t)(v - 166) * 86400;
	return (int64_t)(v - 192) * 7 * 86400;
}

int64_t sms_vp_seconds(const struct sms_vp *vp)
{
	if (vp->format == SMS_VPF_RELATIVE)
		return relative_seconds(vp->relative);
	if (vp->format != SMS_VPF_ENHANCED)
		return -1;
	switch (vp->enhanced.format) {
	case SMS_VP_ENH_RELATIVE:
		return relative_seconds(vp->enhanced.value);
	case SMS_VP_ENH_SECONDS:
		return vp->enhanced.value;
	case SMS_VP_ENH_HHMMSS:
		return vp->enhanced.hh * 3600 + vp->enhanced.mm * 60 + vp->enhanced.ss;
	default:
		return -1;
	}
}

const char *sms_vpf_name(enum sms_vpf vpf)
{
	switch (vpf) {
	case SMS_VPF_NONE: return "none";
	case SMS_VPF_ENHANCED: return "enhanced";
	case SMS_VPF_RELATIVE: return "relative";
	case SMS_VPF_ABSOLUTE: return "absolute";
	}
	return "invalid";
}

const char *sms_vp_enh_format_name(unsigned format)
{
	static const char *const names[4] = { "none", "relative", "seconds", "hhmmss" };
	return format < 4 ? names[format] : "reserved";
}
