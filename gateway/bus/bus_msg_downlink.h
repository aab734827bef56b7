/*
 * bus_msg_downlink.h — the payload of topic txlog.downlink (doc/downlink.md
 * "What is published"), and the RFC 3339 times a downlink request carries.
 * Pure functions, as bus_msg.h's.
 *
 * Fields, in this order: the common v, seq, gw, bearer (no src, no rx),
 * then id, queued, to, device (when the request named one), state, parts
 * (SMS), message_ids (once submitted), error (failed), at.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/lib/json.h"

#define BUS_TOPIC_DOWNLINK	"txlog.downlink"

struct bus_downlink {
	uint64_t seq;
	const char *gw;
	const char *bearer;		/* "sms" or "smtp" */
	const char *id;
	uint64_t queued;		/* the seq the QUEUED answer gave */
	const char *to;
	bool has_device;
	uint64_t device;
	const char *state;		/* "queued", "submitted", "delivered", "failed" */
	unsigned parts;			/* 0: not written */
	unsigned n_ids;
	const char *const *ids;		/* n_ids of them; none: no message_ids */
	const char *error;		/* NULL: none */
	int64_t at_ms;			/* Unix ms */
};

/* One txlog.downlink object into w (empty or reset): 0, -EINVAL (a field
 * outside its domain, a NULL string), -ERANGE (at_ms), or the writer's
 * error. */
int bus_msg_downlink(struct jw *w, const struct bus_downlink *d);

/*
 * RFC 3339 §5.6 date-time in UTC, "2026-11-25T22:00:00Z" or with a
 * fraction "...:00.123Z" (1 to 9 digits, cut to milliseconds), 'T' and
 * 'Z' in either case; "+00:00" is UTC too.  Other offsets, a leap second
 * (:60) and impossible dates are refused.  Returns 0 and *unix_ms, or
 * -EINVAL.
 */
int bus_parse_time_ms(const char *s, size_t len, int64_t *unix_ms);
