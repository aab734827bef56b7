/*
 * outbox_req.h — a SEND request's JSON read strictly (doc/downlink.md
 * "Socket"): exactly the fields of the table, each of its type; an id of
 * 1 to 64 characters of A-Za-z0-9._:- ; exactly one of device (16 hex
 * digits), msisdn (1 to 15 digits after an optional '+'), mail (an RFC
 * 5321 mailbox in its dot-string form: quoted local parts and address
 * literals are refused); payload in base64 (RFC 4648 with its padding,
 * no white space) of 1 to 1,000 bytes for SMS, 65,536 for mail; receipt a
 * bool; expires an RFC 3339 UTC time (bus_parse_time_ms()).
 *
 * Pure: no I/O; the payload is decoded into the caller's buffers.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OB_ID_MAX	64
#define OB_TO_MAX	254

enum ob_to_kind {
	OB_TO_DEVICE,
	OB_TO_MSISDN,
	OB_TO_MAIL,
};

struct ob_req {
	char id[OB_ID_MAX + 1];		/* "" unless a valid id was read (for ERROR) */
	enum ob_to_kind kind;
	uint64_t device;		/* OB_TO_DEVICE */
	char to[OB_TO_MAX + 1];		/* OB_TO_MSISDN, OB_TO_MAIL */
	uint8_t *payload;		/* the caller's buffer */
	size_t len;
	bool receipt;
	bool has_expires;
	int64_t expires_ms;
};

/* The caller's buffers: text holds the payload's JSON string decoded (its
 * base64), payload the bytes. */
struct ob_req_buf {
	char *text;
	size_t text_cap;		/* OB_REQ_TEXT_MAX */
	uint8_t *payload;
	size_t payload_cap;		/* OB_REQ_PAYLOAD_MAX */
};

/* base64 of 65,536 bytes is 87,384 characters; a request with more is
 * too large whatever its address. */
#define OB_REQ_TEXT_MAX		(87384 + 1)
#define OB_REQ_PAYLOAD_MAX	65536

/*
 * Read json[len] into *r.  Returns 0, or -EINVAL with *reason the ERROR
 * reason, "bad_request" or "too_large" (r->id is set when the id was
 * valid, so the answer can name it).
 */
int ob_req_parse(const char *json, size_t len, const struct ob_req_buf *buf, struct ob_req *r,
		 const char **reason);

/* Whether s is a valid id, msisdn or mailbox (for the tests and tools). */
bool ob_req_id_ok(const char *s, size_t len);
bool ob_req_msisdn_ok(const char *s, size_t len);
bool ob_req_mail_ok(const char *s, size_t len);
