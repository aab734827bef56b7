/*
 * bus_msg.h — the JSON payloads of the bus (doc bus.md, "Topics and
 * payloads"): pure functions, no I/O.
 *
 * Each bus_msg_*() writes ONE JSON object into a struct jw (json.h) that the
 * caller has initialised (jw_init) or emptied (jw_reset), in the field order
 * of bus.md's tables: the common fields v, seq, gw, bearer, src, rx first,
 * then the topic's own.  The object is compact, on one line, without a
 * trailing newline, and valid UTF-8 whatever src holds (json.h escapes
 * control characters and replaces invalid UTF-8 with U+FFFD).  On success
 * w->buf holds the NUL-terminated payload of w->len bytes.
 *
 * Errors (nothing useful in w then):
 *   -EINVAL  a field outside its domain: bearer not "sms"/"smtp", unknown
 *            alert kind or reject reason, record index past n_records,
 *            unknown record type, NULL where a string is required
 *   -ERANGE  rx_ms outside years 0000..9999
 *   -ENOMEM, -ENOSPC  from the JSON writer (w->max_len)
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/lib/json.h"
#include "gateway/txlog/frame.h"

#define BUS_TOPIC_RECORD	"txlog.record"
#define BUS_TOPIC_ALERT		"txlog.alert"
#define BUS_TOPIC_REJECT	"txlog.reject"

#define BUS_SCHEMA_VERSION	1
/* bus.md: "raw ... in base64, at most 512 bytes of them"; more is cut. */
#define BUS_RAW_MAX		512

/* Buffer sizes of the time formats, NUL included. */
#define BUS_TIME_MS_LEN		25	/* "2026-11-25T22:00:00.123Z" */
#define BUS_TIME_S_LEN		21	/* "2026-11-25T21:59:58Z" */

/* The fields every payload starts with. */
struct bus_common {
	uint64_t seq;		/* journal sequence, from 1 */
	const char *gw;		/* the gateway's configured name */
	const char *bearer;	/* "sms" or "smtp" */
	const char *src;	/* source_addr or MAIL FROM, as received */
	int64_t rx_ms;		/* reception time, Unix milliseconds UTC */
};

/* One member of an alert's "detail" object: an integer or a string. */
struct bus_detail_kv {
	const char *key;
	const char *str;	/* non-NULL: a string value; NULL: ival */
	int64_t ival;
};

/* An alert's "detail": up to two members; n == 0 (or no detail) is {}. */
struct bus_detail {
	unsigned n;
	struct bus_detail_kv kv[2];
};

/*
 * RFC 3339 UTC with milliseconds, "2026-11-25T22:00:00.123Z", from Unix ms
 * (negative values are before 1970).  out has BUS_TIME_MS_LEN bytes.
 * Returns 0, or -ERANGE outside the years 0000..9999.
 */
int bus_fmt_time_ms(char *out, int64_t unix_ms);

/*
 * Open the payload object with the fields every topic starts with: v, seq,
 * gw, bearer ("sms" or "smtp", else -EINVAL and nothing written).
 */
int bus_msg_head(struct jw *w, uint64_t seq, const char *gw, const char *bearer);

/* RFC 3339 UTC without fraction, "2026-11-25T21:59:58Z"; out has
 * BUS_TIME_S_LEN bytes.  Returns 0 or -ERANGE as above. */
int bus_fmt_time_s(char *out, int64_t unix_s);

/* ISO 4217 alphabetic code of a numeric one ("TWD" for 901), or NULL when
 * it is not in the table (999, "no currency", is deliberately absent). */
const char *bus_currency_alpha(uint16_t num);

/* The record's currency as bus.md prints it: the alphabetic code when known,
 * else the number in decimal ("999").  out has at least 6 bytes. */
void bus_currency_str(char *out, size_t cap, uint16_t num);

/* txlog-v1.md type name ("purchase", ...) or NULL for an unknown type. */
const char *bus_type_name(uint8_t type);

/*
 * txlog.record: record rec_idx of frame f; digest is the SHA-256 of the whole
 * frame; late as the ledger decided (txlog-v1.md, checks).
 */
int bus_msg_record(struct jw *w, const struct bus_common *c, const struct txl_frame *f,
		   unsigned rec_idx, const uint8_t digest[32], bool late);

/*
 * txlog.alert: kind is one of bus.md's kinds; "counter" is written only when
 * has_counter (record-level alerts); d may be NULL for an empty detail {}.
 */
int bus_msg_alert(struct jw *w, const struct bus_common *c, const char *kind, uint64_t device,
		  const uint8_t digest[32], bool has_counter, uint32_t counter,
		  const struct bus_detail *d);

/*
 * txlog.reject: reason is one of bus.md's reasons; "device" only when
 * has_device, "frame" only when digest is non-NULL; raw is base64-encoded,
 * cut to its first BUS_RAW_MAX bytes; error is a short explanation.
 */
int bus_msg_reject(struct jw *w, const struct bus_common *c, const char *reason,
		   bool has_device, uint64_t device, const uint8_t *digest,
		   const uint8_t *raw, size_t raw_len, const char *error);
