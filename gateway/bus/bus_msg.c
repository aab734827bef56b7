/*
 * bus_msg.c — the JSON payloads of the bus (bus.md "Topics and payloads").
 * Pure functions over struct jw; see bus_msg.h for the contract.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/bus/bus_msg.h"

/* Unix seconds of 0000-01-01T00:00:00Z and of 10000-01-01T00:00:00Z: RFC
 * 3339 has four-digit years only. */
#define UNIX_YEAR0	(-62167219200LL)
#define UNIX_YEAR10000	253402300800LL

/*
 * Days since 1970-01-01 to a proleptic Gregorian date.  Works in 400-year
 * eras of 146097 days counted from 0000-03-01, so that the leap day is the
 * last day of each shifted year and needs no special case.
 */
static void civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;	/* days since 0000-03-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);		/* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;			/* March = 0 */

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* n decimal digits of v, zero-padded, at out */
static void put_digits(char *out, unsigned v, int n)
{
	while (n--) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* "YYYY-MM-DDTHH:MM:SS" (19 chars, no NUL) of Unix seconds already checked
 * to lie within years 0000..9999. */
static void fmt_date_time(char *out, int64_t s)
{
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	unsigned sod = (unsigned)(s - days * 86400);
	unsigned m, d;
	int y;

	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00", 19);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, sod / 3600, 2);
	put_digits(out + 14, sod / 60 % 60, 2);
	put_digits(out + 17, sod % 60, 2);
}

int bus_fmt_time_s(char *out, int64_t unix_s)
{
	if (unix_s < UNIX_YEAR0 || unix_s >= UNIX_YEAR10000)
		return -ERANGE;
	fmt_date_time(out, unix_s);
	out[19] = 'Z';
	out[20] = '\0';
	return 0;
}

int bus_fmt_time_ms(char *out, int64_t unix_ms)
{
	/* floor division, so that -1 ms is 1969-12-31T23:59:59.999Z */
	int64_t s = unix_ms >= 0 ? unix_ms / 1000 : -((-(unix_ms + 1)) / 1000) - 1;
	unsigned ms;

	/* before s * 1000, which overflows for the extremes of int64_t */
	if (s < UNIX_YEAR0 || s >= UNIX_YEAR10000)
		return -ERANGE;
	ms = (unsigned)(unix_ms - s * 1000);
	fmt_date_time(out, s);
	out[19] = '.';
	put_digits(out + 20, ms, 3);
	out[23] = 'Z';
	out[24] = '\0';
	return 0;
}

/* ISO 4217 numeric -> alphabetic, the currencies a TXLOG device is likely to
 * carry.  Sorted by number for the binary search below; 999 ("no currency")
 * is left out on purpose: bus.md prints it as "999". */
static const struct {
	uint16_t num;
	char alpha[4];
} currencies[] = {
	{ 36, "AUD" }, { 124, "CAD" }, { 156, "CNY" }, { 203, "CZK" },
	{ 208, "DKK" }, { 344, "HKD" }, { 348, "HUF" }, { 356, "INR" },
	{ 360, "IDR" }, { 376, "ILS" }, { 392, "JPY" }, { 410, "KRW" },
	{ 458, "MYR" }, { 484, "MXN" }, { 554, "NZD" }, { 578, "NOK" },
	{ 608, "PHP" }, { 643, "RUB" }, { 682, "SAR" }, { 702, "SGD" },
	{ 704, "VND" }, { 710, "ZAR" }, { 752, "SEK" }, { 756, "CHF" },
	{ 764, "THB" }, { 784, "AED" }, { 826, "GBP" }, { 840, "USD" },
	{ 901, "TWD" }, { 949, "TRY" }, { 978, "EUR" }, { 985, "PLN" },
	{ 986, "BRL" },
};

const char *bus_currency_alpha(uint16_t num)
{
	size_t lo = 0, hi = sizeof(currencies) / sizeof(currencies[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (currencies[mid].num == num)
			return currencies[mid].alpha;
		if (currencies[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void bus_currency_str(char *out, size_t cap, uint16_t num)
{
	const char *a = bus_currency_alpha(num);

	if (a)
		snprintf(out, cap, "%s", a);
	else
		snprintf(out, cap, "%u", (unsigned)num);
}

/* txlog-v1.md, record types; index = type value. */
static const char *const type_names[] = {
	[TXL_T_PURCHASE] = "purchase",
	[TXL_T_TOPUP] = "topup",
	[TXL_T_VOUCHER_BUY] = "voucher_buy",
	[TXL_T_TRANSFER_OUT] = "transfer_out",
	[TXL_T_TRANSFER_IN] = "transfer_in",
	[TXL_T_REDEEM] = "redeem",
	[TXL_T_VOUCHER_SEND] = "voucher_send",
	[TXL_T_VOUCHER_RECV] = "voucher_recv",
	[TXL_T_REFUND] = "refund",
};

const char *bus_type_name(uint8_t type)
{
	if (type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

/* bus.md, txlog.alert "kind" and txlog.reject "reason". */
static const char *const alert_kinds[] = {
	"counter_gap", "balance_mismatch", "replay", "revoked_device",
	"msisdn_mismatch", "clock_skew", NULL
};
static const char *const reject_reasons[] = {
	"malformed", "unknown_device", "bad_signature", "revoked", "replay",
	"not_txlog", "incomplete", NULL
};

static bool in_list(const char *const *list, const char *s)
{
	if (!s)
		return false;
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/* A device or peer id: 16 lower-case hex digits (bus.md). */
static void jw_kid64(struct jw *w, const char *k, uint64_t id)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(id >> (56 - 8 * i));
	jw_khex(w, k, b, sizeof(b));
}

int bus_msg_head(struct jw *w, uint64_t seq, const char *gw, const char *bearer)
{
	if (!gw || !bearer || (strcmp(bearer, "sms") && strcmp(bearer, "smtp")))
		return -EINVAL;
	jw_obj_open(w);
	jw_kint(w, "v", BUS_SCHEMA_VERSION);
	jw_kuint(w, "seq", seq);
	jw_kstr(w, "gw", gw);
	jw_kstr(w, "bearer", bearer);
	return 0;
}

/* Open the object and write the common fields of bus.md's first table. */
static int put_common(struct jw *w, const struct bus_common *c)
{
	char rx[BUS_TIME_MS_LEN];
	int rc;

	if (!c || !c->src)
		return -EINVAL;
	rc = bus_fmt_time_ms(rx, c->rx_ms);
	if (rc)
		return rc;
	rc = bus_msg_head(w, c->seq, c->gw, c->bearer);
	if (rc)
		return rc;
	jw_kstr(w, "src", c->src);
	jw_kstr(w, "rx", rx);
	return w->err;
}

static int put_end(struct jw *w)
{
	jw_obj_close(w);
	return jw_finish(w);
}

int bus_msg_record(struct jw *w, const struct bus_common *c, const struct txl_frame *f,
		   unsigned rec_idx, const uint8_t digest[32], bool late)
{
	char tbuf[BUS_TIME_S_LEN], cur[8];
	const struct txl_record *r;
	const char *tname;
	int rc;

	if (!f || !digest || rec_idx >= f->n_records || rec_idx >= TXL_MAX_RECORDS)
		return -EINVAL;
	r = &f->rec[rec_idx];
	tname = bus_type_name(r->type);
	if (!tname || r->item_len > TXL_MAX_ITEM)
		return -EINVAL;
	rc = bus_fmt_time_s(tbuf, r->time);
	if (rc)
		return rc;
	bus_currency_str(cur, sizeof(cur), r->currency);
	rc = put_common(w, c);
	if (rc)
		return rc;
	jw_kid64(w, "device", f->device_id);
	jw_kuint(w, "key", f->key_id);
	jw_kuint(w, "upload", f->upload_seq);
	jw_khex(w, "frame", digest, 32);
	jw_kuint(w, "counter", r->counter);
	jw_kstr(w, "type", tname);
	jw_kstr(w, "time", tbuf);
	jw_kstr(w, "currency", cur);
	jw_kuint(w, "amount", r->amount);
	jw_kuint(w, "balance", r->balance);
	jw_kid64(w, "peer", r->peer);
	jw_khex(w, "item", r->item, r->item_len);
	jw_kbool(w, "late", late);
	return put_end(w);
}

static int put_detail(struct jw *w, const struct bus_detail *d)
{
	unsigned n = d ? d->n : 0;

	if (n > 2)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!d->kv[i].key)
			return -EINVAL;
	jw_key(w, "detail");
	jw_obj_open(w);
	for (unsigned i = 0; i < n; i++) {
		if (d->kv[i].str)
			jw_kstr(w, d->kv[i].key, d->kv[i].str);
		else
			jw_kint(w, d->kv[i].key, d->kv[i].ival);
	}
	jw_obj_close(w);
	return w->err;
}

int bus_msg_alert(struct jw *w, const struct bus_common *c, const char *kind, uint64_t device,
		  const uint8_t digest[32], bool has_counter, uint32_t counter,
		  const struct bus_detail *d)
{
	int rc;

	if (!in_list(alert_kinds, kind) || !digest || (d && d->n > 2))
		return -EINVAL;
	rc = put_common(w, c);
	if (rc)
		return rc;
	jw_kstr(w, "kind", kind);
	jw_kid64(w, "device", device);
	jw_khex(w, "frame", digest, 32);
	if (has_counter)
		jw_kuint(w, "counter", counter);
	rc = put_detail(w, d);
	if (rc)
		return rc;
	return put_end(w);
}

int bus_msg_reject(struct jw *w, const struct bus_common *c, const char *reason,
		   bool has_device, uint64_t device, const uint8_t *digest,
		   const uint8_t *raw, size_t raw_len, const char *error)
{
	int rc;

	if (!in_list(reject_reasons, reason) || !error || (raw_len && !raw))
		return -EINVAL;
	rc = put_common(w, c);
	if (rc)
		return rc;
	jw_kstr(w, "reason", reason);
	if (has_device)
		jw_kid64(w, "device", device);
	if (digest)
		jw_khex(w, "frame", digest, 32);
	jw_key(w, "raw");
	jw_base64(w, raw, raw_len < BUS_RAW_MAX ? raw_len : BUS_RAW_MAX);
	jw_kstr(w, "error", error);
	return put_end(w);
}
