/*
 * gw_dl_mail.h — the downlink's mail bearer (doc/downlink.md section 3):
 * the message it sends and how a relay's answer ends a message
 * (gw_dl_mail_msg.c, pure functions, unit-tested without a network), and
 * the bearer itself (gw_dl_mail.c: libcurl's multi interface on one
 * thread of its own).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "gateway/engine/outbox.h"

struct gw;
struct dl_mail;

#define DL_MAIL_B64_LINE	76	/* RFC 2045 §6.8: encoded lines at most 76 characters */
#define DL_MAIL_REPLY_MAX	160	/* the relay's reply line kept for the error */
#define DL_MAIL_ERROR_MAX	256

/* ---- gw_dl_mail_msg.c -------------------------------------------------------- */

/* What the message is made of; every string already checked (outbox_req.c:
 * the id's charset, the mailboxes' grammar), so none can carry a CR, an LF
 * or a '>' into a header. */
struct dl_mail_head {
	const char *from;		/* mail-from */
	const char *to;			/* the request's mailbox */
	const char *id;			/* the request's id */
	uint64_t queued;		/* the seq of its queued event */
	const char *gw_name;		/* the gateway's name, for the Message-ID */
	int64_t date_s;			/* Unix time of the Date: header */
};

/*
 * The message, RFC 5322 + RFC 2045: From, To, Date (UTC), Message-ID,
 * Subject, MIME-Version, Content-Type application/vnd.txlog-downlink,
 * Content-Transfer-Encoding base64, a blank line, the payload in base64
 * lines of 76 characters; every line ends CRLF.  A talloc string on ctx
 * (its length in *len), or NULL when out of memory.
 */
char *dl_mail_build(void *ctx, const struct dl_mail_head *h, const uint8_t *payload, size_t len,
		    size_t *out_len);

/* The right side of the Message-ID: the gateway's name when it is a
 * dot-atom (RFC 5322 §3.2.3), else the domain of mail-from. */
const char *dl_mail_msgid_domain(const char *gw_name, const char *from);

/*
 * Keep the last line of data (one or more lines the relay sent, as libcurl
 * hands them to its debug callback) in reply: at most cap - 1 bytes, CR,
 * LF and other control characters dropped.  A chunk with no printable
 * character leaves reply as it was.
 */
void dl_mail_reply_line(char *reply, size_t cap, const char *data, size_t len);

/*
 * How a transfer ended, into kind and error (cap bytes):
 *   curl_code 0 (CURLE_OK): submitted;
 *   the relay's last reply (before QUIT) a 5xx: permanent, "smtp <reply>";
 *   a 4xx: temporary, "smtp <reply>";
 *   anything else (no connection, a timeout, TLS refused or failed, the
 *   connection lost): temporary, "<curl_err> (curl N)".
 * reply is the line dl_mail_reply_line() kept ("" for none); resp_code
 * libcurl's CURLINFO_RESPONSE_CODE, used when reply has no code.
 */
void dl_mail_classify(int curl_code, const char *reply, long resp_code, const char *curl_err,
		      enum ob_result_kind *kind, char *error, size_t cap);

/* ---- gw_dl_mail.c -------------------------------------------------------------- */

/* With a relay: the bearer registered with the outbox as OB_SMTP.  0, or a
 * negative errno after logging why. */
int gw_dl_mail_start(struct gw *g, struct outbox *ob, struct dl_mail **out);
/* Every transfer ended within about a second and joined (its message is
 * submitted again on the next start, at least once); no word to the
 * outbox. */
void gw_dl_mail_stop(struct dl_mail *d);
