/*
 * outbox_req.c — reading a SEND request; see outbox_req.h.
 */
#include <errno.h>
#include <string.h>

#include "gateway/bus/bus_msg_downlink.h"
#include "gateway/engine/outbox_req.h"
#include "gateway/lib/json_read.h"
#include "gateway/txlog/armour.h"

#define SMS_MAX		1000
#define MAIL_MAX	65536
#define MSISDN_DIGITS	15	/* ITU-T E.164 §6 */

enum field { F_ID, F_DEVICE, F_MSISDN, F_MAIL, F_PAYLOAD, F_RECEIPT, F_EXPIRES, F_N };

static const char *const field_names[F_N] = {
	"id", "device", "msisdn", "mail", "payload", "receipt", "expires",
};

/* What the members said, before they are checked together. */
struct seen {
	unsigned count[F_N];
	bool unknown;
	enum sj_type type[F_N];
	char str[F_N][SJ_STR_MAX + 1];
	size_t str_len[F_N];
	bool cut[F_N];
	const char *raw;		/* payload: the undecoded text */
	size_t raw_len;
	bool b;				/* receipt */
};

static void on_member(void *data, const char *key, const struct sj_val *v)
{
	struct seen *s = data;

	for (int f = 0; key && f < F_N; f++) {
		if (strcmp(key, field_names[f]))
			continue;
		s->count[f]++;
		s->type[f] = v->type;
		if (v->type == SJ_STR) {
			memcpy(s->str[f], v->s, v->s_len + 1);
			s->str_len[f] = v->s_len;
			s->cut[f] = v->truncated;
			if (f == F_PAYLOAD) {
				s->raw = v->raw;
				s->raw_len = v->raw_len;
			}
		}
		if (f == F_RECEIPT && v->type == SJ_BOOL)
			s->b = v->b;	/* v->b means nothing for another type */
		return;
	}
	s->unknown = true;
}

bool ob_req_id_ok(const char *s, size_t len)
{
	if (len < 1 || len > OB_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return false;
	}
	return true;
}

bool ob_req_msisdn_ok(const char *s, size_t len)
{
	size_t i = len && s[0] == '+';

	if (len - i < 1 || len - i > MSISDN_DIGITS)
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* RFC 5322 atext */
static bool atext(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool let_dig(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 5321 §4.1.2 Dot-string "@" Domain; §4.5.3.1 sizes: local part 64,
 * a label 63, the path 256 with its brackets. */
bool ob_req_mail_ok(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);
	size_t local = at ? (size_t)(at - s) : 0, label = 0;

	if (!at || local < 1 || local > 64 || len > OB_TO_MAX || len - local - 1 < 1)
		return false;
	for (size_t i = 0; i < local; i++)
		if (!(atext(s[i]) || (s[i] == '.' && i && i + 1 < local && s[i + 1] != '.')))
			return false;
	for (size_t i = local + 1; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (let_dig(c) || (c == '-' && label)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label && s[len - 1] != '-';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool device_of(const char *s, size_t len, uint64_t *dev)
{
	*dev = 0;
	if (len != 16)
		return false;
	for (size_t i = 0; i < 16; i++) {
		int v = hexval(s[i]);
		if (v < 0)
			return false;
		*dev = *dev << 4 | (uint64_t)v;
	}
	return true;
}

/* The payload: a JSON string of base64 with its padding, nothing else. */
static const char *payload_of(const struct seen *s, const struct ob_req_buf *b, size_t max,
			      struct ob_req *r)
{
	size_t n;
	const char *why;
	int rc = sj_str_decode(s->raw, s->raw_len, b->text, b->text_cap, &n);

	if (rc == -ENOSPC)
		return "too_large";
	if (rc < 0 || !n || n % 4)
		return "bad_request";
	for (size_t i = 0; i < n; i++) {
		char c = b->text[i];
		if (!(let_dig(c) || c == '+' || c == '/' || (c == '=' && i + 2 >= n)))
			return "bad_request";
	}
	if (n / 4 * 3 - (b->text[n - 1] == '=') - (b->text[n - 2] == '=') > max)
		return "too_large";
	rc = b64_decode(b->payload, b->payload_cap, b->text, n, &why);
	if (rc <= 0)
		return rc == -ENOSPC ? "too_large" : "bad_request";
	r->payload = b->payload;
	r->len = (size_t)rc;
	return NULL;
}

/* Each field present at most once and of its type. */
static bool shapes_ok(const struct seen *s)
{
	for (int f = 0; f < F_N; f++) {
		if (s->count[f] > 1)
			return false;
		if (s->count[f] && s->type[f] != (f == F_RECEIPT ? SJ_BOOL : SJ_STR))
			return false;
	}
	return !s->unknown && s->count[F_ID] && s->count[F_PAYLOAD] &&
	       s->count[F_DEVICE] + s->count[F_MSISDN] + s->count[F_MAIL] == 1;
}

/* The address, one of the three. */
static bool address_of(const struct seen *s, struct ob_req *r)
{
	int f = s->count[F_DEVICE] ? F_DEVICE : s->count[F_MSISDN] ? F_MSISDN : F_MAIL;
	const char *v = s->str[f];
	size_t n = s->str_len[f];

	if (s->cut[f])
		return false;
	switch (f) {
	case F_DEVICE:
		r->kind = OB_TO_DEVICE;
		return device_of(v, n, &r->device);
	case F_MSISDN:
		r->kind = OB_TO_MSISDN;
		break;
	default:
		r->kind = OB_TO_MAIL;
		break;
	}
	if (!(f == F_MSISDN ? ob_req_msisdn_ok(v, n) : ob_req_mail_ok(v, n)))
		return false;
	memcpy(r->to, v, n + 1);
	return true;
}

int ob_req_parse(const char *json, size_t len, const struct ob_req_buf *buf, struct ob_req *r,
		 const char **reason)
{
	struct seen s = { 0 };
	const char *why;

	memset(r, 0, sizeof(*r));
	*reason = "bad_request";
	if (sj_object_every(json, len, on_member, &s) < 0)
		return -EINVAL;
	if (s.count[F_ID] == 1 && s.type[F_ID] == SJ_STR && !s.cut[F_ID] &&
	    ob_req_id_ok(s.str[F_ID], s.str_len[F_ID]))
		memcpy(r->id, s.str[F_ID], s.str_len[F_ID] + 1);
	if (!r->id[0] || !shapes_ok(&s) || !address_of(&s, r))
		return -EINVAL;
	r->receipt = s.count[F_RECEIPT] && s.b;
	if (s.count[F_EXPIRES]) {
		if (s.cut[F_EXPIRES] ||
		    bus_parse_time_ms(s.str[F_EXPIRES], s.str_len[F_EXPIRES], &r->expires_ms) < 0)
			return -EINVAL;
		r->has_expires = true;
	}
	why = payload_of(&s, buf, r->kind == OB_TO_MAIL ? MAIL_MAX : SMS_MAX, r);
	if (why) {
		*reason = why;
		return -EINVAL;
	}
	return 0;
}
