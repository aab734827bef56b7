/*
 * gw_dl_mail_msg.c — the mail bearer's message and outcome, as pure
 * functions (gw_dl_mail.h); the transfer is gw_dl_mail.c's.
 *
 * The spec asks for "one MIME part application/vnd.txlog-downlink,
 * base64": a single-part message whose own Content-Type is that type is
 * such a part (RFC 2045 §5, RFC 2046 §3: the body of a message that is not
 * multipart is its one entity), with no multipart wrapper a handset would
 * have to open first.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <osmocom/core/talloc.h>

#include "gateway/engine/outbox_req.h"
#include "gateway/gw_dl_mail.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 5322 §3.2.3 atext */
static bool atext(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* dot-atom-text: 1*atext *("." 1*atext) */
static bool dot_atom(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || s[0] == '.' || s[n - 1] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '.' && !atext(s[i]))
			return false;
	return true;
}

const char *dl_mail_msgid_domain(const char *gw_name, const char *from)
{
	const char *at = from ? strrchr(from, '@') : NULL;

	if (dot_atom(gw_name))
		return gw_name;
	return at ? at + 1 : "txgw.invalid";
}

/* RFC 5322 §3.3 date-time in UTC: "Mon, 07 Dec 2026 14:00:00 +0000",
 * the names in English whatever the locale. */
static void rfc5322_date(char *out, size_t cap, int64_t unix_s)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
		 mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The id as the left side of a Message-ID (dot-atom-text): the id's ':'
 * is not atext and its '.' may come twice, so they become '=' and '_'; the
 * queued seq after it keeps the Message-ID unique anyway. */
static void msgid_left(char *out, size_t cap, const char *id)
{
	size_t i;

	for (i = 0; id[i] && i + 1 < cap; i++)
		out[i] = id[i] == ':' ? '=' : id[i] == '.' ? '_' : id[i];
	out[i] = '\0';
}

/* base64 of len octets, a CRLF after each 76 characters and at the end;
 * returns the characters written (out holds b64_lines_len()). */
static size_t b64_lines(char *out, const uint8_t *p, size_t len)
{
	size_t o = 0, col = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t n = len - i < 3 ? len - i : 3;
		if (n > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (n > 2)
			v |= p[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = n > 1 ? b64[v >> 6 & 63] : '=';
		out[o++] = n > 2 ? b64[v & 63] : '=';
		col += 4;
		if (col == DL_MAIL_B64_LINE || i + 3 >= len) {
			out[o++] = '\r';
			out[o++] = '\n';
			col = 0;
		}
	}
	return o;
}

static size_t b64_lines_len(size_t len)
{
	size_t chars = (len + 2) / 3 * 4;

	return chars + 2 * ((chars + DL_MAIL_B64_LINE - 1) / DL_MAIL_B64_LINE);
}

char *dl_mail_build(void *ctx, const struct dl_mail_head *h, const uint8_t *payload, size_t len,
		    size_t *out_len)
{
	char date[40], left[OB_ID_MAX + 1];
	char *head, *msg;
	size_t hl;

	rfc5322_date(date, sizeof(date), h->date_s);
	msgid_left(left, sizeof(left), h->id);
	head = talloc_asprintf(ctx,
		"From: <%s>\r\n"
		"To: <%s>\r\n"
		"Date: %s\r\n"
		"Message-ID: <%s.%llu@%s>\r\n"
		"Subject: txlog downlink %s\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: application/vnd.txlog-downlink\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n",
		h->from, h->to, date, left, (unsigned long long)h->queued,
		dl_mail_msgid_domain(h->gw_name, h->from), h->id);
	if (!head)
		return NULL;
	hl = strlen(head);
	msg = talloc_realloc_size(ctx, head, hl + b64_lines_len(len) + 1);
	if (!msg) {
		talloc_free(head);
		return NULL;
	}
	*out_len = hl + b64_lines(msg + hl, payload, len);
	msg[*out_len] = '\0';
	return msg;
}

void dl_mail_reply_line(char *reply, size_t cap, const char *data, size_t len)
{
	size_t end = len, start, o = 0;

	/* the last line with something in it */
	while (end && (data[end - 1] == '\r' || data[end - 1] == '\n'))
		end--;
	if (!end || !cap)
		return;
	start = end;
	while (start && data[start - 1] != '\n' && data[start - 1] != '\r')
		start--;
	for (size_t i = start; i < end && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		/* the error goes into JSON on the bus: ASCII only */
		reply[o++] = c < 0x80 ? (char)c : '?';
	}
	if (o)
		reply[o] = '\0';
}

/* The reply code of a reply line, or -1. */
static int reply_code(const char *r)
{
	if (!(r[0] >= '2' && r[0] <= '5' && r[1] >= '0' && r[1] <= '9' && r[2] >= '0' && r[2] <= '9'))
		return -1;
	if (r[3] && r[3] != ' ' && r[3] != '-')
		return -1;
	return (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
}

/* Failures of the transport, whatever the relay said before: temporary
 * (doc/downlink.md 3.3), and a 5xx to STARTTLS with relay-tls required is
 * no reason to give the message up. */
static bool transport_failure(int c)
{
	return c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_CONNECT ||
	       c == CURLE_OPERATION_TIMEDOUT || c == CURLE_USE_SSL_FAILED ||
	       c == CURLE_SSL_CONNECT_ERROR || c == CURLE_PEER_FAILED_VERIFICATION ||
	       c == CURLE_SSL_CACERT_BADFILE || c == CURLE_SSL_CERTPROBLEM ||
	       c == CURLE_GOT_NOTHING;
}

void dl_mail_classify(int curl_code, const char *reply, long resp_code, const char *curl_err,
		      enum ob_result_kind *kind, char *error, size_t cap)
{
	int code = reply ? reply_code(reply) : -1;

	error[0] = '\0';
	if (curl_code == CURLE_OK) {
		*kind = OB_RES_SUBMITTED;
		return;
	}
	if (code < 0 && resp_code >= 400 && resp_code <= 599)
		code = (int)resp_code;
	if (!transport_failure(curl_code) && code >= 400 && code <= 599) {
		*kind = code >= 500 ? OB_RES_PERMANENT : OB_RES_TEMPORARY;
		if (reply_code(reply ? reply : "") == code)
			snprintf(error, cap, "smtp %s", reply);
		else
			snprintf(error, cap, "smtp %d", code);
		return;
	}
	*kind = OB_RES_TEMPORARY;
	snprintf(error, cap, "%s (curl %d)", curl_err && curl_err[0] ? curl_err : "transfer failed",
		 curl_code);
}
