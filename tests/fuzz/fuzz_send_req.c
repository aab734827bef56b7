/*
 * fuzz_send_req.c — libFuzzer target for ob_req_parse(), the reader of the
 * downlink's SEND requests (gateway/engine/outbox_req.h, doc/downlink.md
 * 1.1 and 1.2), which reads whatever a client of the send socket sends.
 *
 * Input: the request's JSON, as the second frame of a SEND.  Besides not
 * crashing, against a second reading of the same JSON (sj_object()):
 *   - a refusal is "bad_request" or "too_large" (the only reasons the
 *     JSON alone can give), "too_large" only for a payload string longer
 *     than the base64 of 1,000 bytes, and its id is "" or the request's
 *     valid id;
 *   - an accepted request has the request's id (1 to 64 characters of
 *     A-Za-z0-9._:-), exactly one address member, read back as it was sent
 *     (device: its 16 hex digits; msisdn: '+'? 1 to 15 digits; mail: a
 *     mailbox with nothing a header could choke on), a payload of 1 to
 *     1,000 bytes (65,536 for mail) whose base64 is the payload string,
 *     receipt as sent, and expires (when sent) the instant its first 19
 *     characters name.
 * And the raw input, as a string, is a mailbox, an msisdn or an id for
 * ob_req_*_ok() exactly when it is for the grammars written again here.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/engine/outbox_req.h"
#include "gateway/lib/json_read.h"
#include "gateway/txlog/armour.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMS_MAX		1000
#define MAIL_MAX	65536

static char text[OB_REQ_TEXT_MAX];
static uint8_t payload[OB_REQ_PAYLOAD_MAX];
static char text2[OB_REQ_TEXT_MAX];
static char b64[OB_REQ_TEXT_MAX + 4];

/* What the second reading saw: the last of each member. */
struct view {
	char id[SJ_STR_MAX + 1];
	size_t id_len;
	unsigned n_addr;
	char addr[SJ_STR_MAX + 1];
	size_t addr_len;
	const char *addr_key;
	bool has_receipt, receipt;
	char expires[SJ_STR_MAX + 1];
	size_t expires_len;
	const char *raw;
	size_t raw_len;
	bool has_payload;
};

static void on_member(void *data, const char *key, const struct sj_val *v)
{
	struct view *w = data;

	if (!key)
		return;
	if (!strcmp(key, "id") && v->type == SJ_STR) {
		memcpy(w->id, v->s, v->s_len + 1);
		w->id_len = v->s_len;
	} else if (!strcmp(key, "device") || !strcmp(key, "msisdn") || !strcmp(key, "mail")) {
		w->n_addr++;
		w->addr_key = !strcmp(key, "device") ? "device" : !strcmp(key, "msisdn") ? "msisdn" : "mail";
		if (v->type == SJ_STR) {
			memcpy(w->addr, v->s, v->s_len + 1);
			w->addr_len = v->s_len;
		}
	} else if (!strcmp(key, "receipt") && v->type == SJ_BOOL) {
		w->has_receipt = true;
		w->receipt = v->b;
	} else if (!strcmp(key, "expires") && v->type == SJ_STR) {
		memcpy(w->expires, v->s, v->s_len + 1);
		w->expires_len = v->s_len;
	} else if (!strcmp(key, "payload") && v->type == SJ_STR) {
		w->raw = v->raw;
		w->raw_len = v->raw_len;
		w->has_payload = true;
	}
}

static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

static void check_address(const struct ob_req *r, const struct view *w)
{
	size_t n = strlen(r->to);

	if (w->n_addr != 1 || n > OB_TO_MAX)
		abort();
	switch (r->kind) {
	case OB_TO_DEVICE: {
		char hex[17];
		if (strcmp(w->addr_key, "device") || r->to[0] || w->addr_len != 16)
			abort();
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)r->device);
		if (strcasecmp(hex, w->addr))
			abort();
		break;
	}
	case OB_TO_MSISDN: {
		size_t plus = r->to[0] == '+';
		if (strcmp(w->addr_key, "msisdn") || strcmp(r->to, w->addr) || n - plus < 1 ||
		    n - plus > 15 || strspn(r->to + plus, "0123456789") != n - plus)
			abort();
		break;
	}
	case OB_TO_MAIL: {
		const char *at = strchr(r->to, '@');
		if (strcmp(w->addr_key, "mail") || strcmp(r->to, w->addr) || !at || at == r->to ||
		    !at[1] || strchr(at + 1, '@'))
			abort();
		/* it goes into From/To headers and the RCPT TO command */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)r->to[i] <= ' ' || (unsigned char)r->to[i] >= 0x7f ||
			    strchr("<>()[]\\,;:\"", r->to[i]))
				abort();
		break;
	}
	default:
		abort();
	}
}

static void check_payload(const struct ob_req *r, const struct view *w)
{
	size_t n;
	int e;

	if (!w->has_payload || r->payload != payload || r->len < 1 ||
	    r->len > (r->kind == OB_TO_MAIL ? MAIL_MAX : SMS_MAX))
		abort();
	if (sj_str_decode(w->raw, w->raw_len, text2, sizeof(text2), &n) < 0)
		abort();
	e = b64_encode(b64, sizeof(b64), r->payload, r->len);
	if (e < 0 || (size_t)e != n || memcmp(b64, text2, n))
		abort();
}

static void check_expires(const struct ob_req *r, const struct view *w)
{
	char s[32];
	time_t t;
	struct tm tm;
	int64_t ms = r->expires_ms, sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);

	if (!r->has_expires) {
		if (w->expires_len)
			abort();
		return;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		abort();
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (w->expires_len < 20 || strncasecmp(s, w->expires, 19))
		abort();
	/* the fraction, cut to milliseconds */
	if (w->expires[19] == '.') {
		unsigned f = 0;
		for (int i = 20; i < 23; i++)
			f = f * 10 + (w->expires[i] >= '0' && w->expires[i] <= '9' ? (unsigned)(w->expires[i] - '0') : 0);
		if (ms - sec * 1000 != f)
			abort();
	} else if (ms - sec * 1000 != 0) {
		abort();
	}
}

/* RFC 5321 §4.1.2 Dot-string: atoms of atext (RFC 5322 §3.2.3) joined by
 * single dots. */
static bool dot_string_ok(const char *s, size_t n)
{
	static const char specials[] = "!#$%&'*+-/=?^_`{|}~";
	size_t atom = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (!atom)
				return false;
			atom = 0;
		} else if (isalnum(c) || (c && memchr(specials, c, sizeof(specials) - 1))) {
			atom++;
		} else {
			return false;
		}
	}
	return atom > 0;
}

/* RFC 5321 §4.1.2 Domain: sub-domains of let-dig, '-' inside only, each at
 * most 63 characters (RFC 1035 §2.3.4). */
static bool domain_ok(const char *s, size_t n)
{
	size_t b = 0;

	for (size_t e = 0; e <= n; e++) {
		if (e < n && s[e] != '.')
			continue;
		if (e == b || e - b > 63 || s[b] == '-' || s[e - 1] == '-')
			return false;
		for (size_t i = b; i < e; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return false;
		b = e + 1;
	}
	return true;
}

/* The grammars of doc/downlink.md 1.1 written again, differently, to check
 * ob_req_*_ok() both ways on the raw input. */
static void check_grammars(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t plus = n && s[0] == '+', local = at ? (size_t)(at - s) : 0;
	bool mail = at && n <= OB_TO_MAX && local >= 1 && local <= 64 && dot_string_ok(s, local) &&
		    domain_ok(at + 1, n - local - 1);
	bool msisdn = n - plus >= 1 && n - plus <= 15;
	bool id = n >= 1 && n <= 64;

	for (size_t i = plus; i < n; i++)
		msisdn = msisdn && isdigit((unsigned char)s[i]);
	for (size_t i = 0; i < n; i++)
		id = id && s[i] && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-", s[i]);
	if (ob_req_mail_ok(s, n) != mail || ob_req_msisdn_ok(s, n) != msisdn || ob_req_id_ok(s, n) != id)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ob_req_buf buf = { text, sizeof(text), payload, sizeof(payload) };
	struct view w = { 0 };
	struct ob_req r;
	const char *reason = NULL;
	int rc = ob_req_parse((const char *)data, size, &buf, &r, &reason);
	bool json_ok = sj_object_every((const char *)data, size, on_member, &w) == 0;

	check_grammars((const char *)data, size);

	if (memchr(r.id, '\0', sizeof(r.id)) == NULL || (r.id[0] && (!id_ok(r.id) || strcmp(r.id, w.id))))
		abort();
	if (rc) {
		if (rc != -EINVAL || !reason)
			abort();
		if (!strcmp(reason, "too_large")) {
			/* the base64 of 1,001 bytes is 1,336 characters */
			if (!json_ok || w.raw_len < 1336)
				abort();
		} else if (strcmp(reason, "bad_request")) {
			abort();
		}
		return 0;
	}
	if (!json_ok || !r.id[0])
		abort();
	check_address(&r, &w);
	check_payload(&r, &w);
	if (r.receipt != (w.has_receipt && w.receipt))
		abort();
	check_expires(&r, &w);
	return 0;
}
