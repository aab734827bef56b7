/*
 * bus_msg_downlink.c — txlog.downlink payloads and RFC 3339 times; see
 * bus_msg_downlink.h.
 */
#include <errno.h>
#include <string.h>

#include "gateway/bus/bus_msg.h"
#include "gateway/bus/bus_msg_downlink.h"

static const char *const states[] = { "queued", "submitted", "delivered", "failed", NULL };

static bool known_state(const char *s)
{
	for (const char *const *p = states; s && *p; p++)
		if (!strcmp(*p, s))
			return true;
	return false;
}

int bus_msg_downlink(struct jw *w, const struct bus_downlink *d)
{
	char at[BUS_TIME_MS_LEN];
	uint8_t dev[8];
	int rc;

	if (!d->id || !d->to || !known_state(d->state) || (d->n_ids && !d->ids))
		return -EINVAL;
	rc = bus_fmt_time_ms(at, d->at_ms);
	if (rc)
		return rc;
	rc = bus_msg_head(w, d->seq, d->gw, d->bearer);
	if (rc)
		return rc;
	jw_kstr(w, "id", d->id);
	jw_kuint(w, "queued", d->queued);
	jw_kstr(w, "to", d->to);
	if (d->has_device) {
		for (int i = 0; i < 8; i++)
			dev[i] = (uint8_t)(d->device >> (56 - 8 * i));
		jw_khex(w, "device", dev, sizeof(dev));
	}
	jw_kstr(w, "state", d->state);
	if (d->parts)
		jw_kuint(w, "parts", d->parts);
	if (d->n_ids) {
		jw_key(w, "message_ids");
		jw_arr_open(w);
		for (unsigned i = 0; i < d->n_ids; i++)
			jw_str(w, d->ids[i] ? d->ids[i] : "");
		jw_arr_close(w);
	}
	if (d->error)
		jw_kstr(w, "error", d->error);
	jw_kstr(w, "at", at);
	jw_obj_close(w);
	return jw_finish(w);
}

/* ---- RFC 3339 --------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (the inverse of
 * bus_msg.c's civil_from_days: 400-year eras from 0000-03-01). */
static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s into *v; false when one is not a digit. */
static bool digits(const char *s, int n, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

int bus_parse_time_ms(const char *s, size_t len, int64_t *unix_ms)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, ms = 0;
	size_t i = 19;

	if (len < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return -EINVAL;
	if (s[i] == '.') {
		unsigned n = 0, dv;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, n++)
			if (n < 3 && digits(s + i, 1, &dv))
				ms = ms * 10 + dv;
		if (n < 1 || n > 9)
			return -EINVAL;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (!((len - i == 1 && (s[i] == 'Z' || s[i] == 'z')) ||
	      (len - i == 6 && (s[i] == '+' || s[i] == '-') && !memcmp(s + i + 1, "00:00", 5))))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap((int)y)) ||
	    h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	int64_t days = days_from_civil((int)y, mo, d);
	*unix_ms = ((days * 86400) + h * 3600 + mi * 60 + sec) * 1000 + ms;
	return 0;
}
