/*
 * outcome.h — what one TXLOG frame produced, in publication order.
 *
 * The per-device checks (txlog-v1.md, "What the gateway checks, per
 * device") turn one frame into a list of events: records to publish on
 * txlog.record, alerts for txlog.alert and rejects for txlog.reject
 * (bus.md).  The list is in the order the bus must publish it: an alert
 * about a record follows that record; frame-level alerts follow the
 * frame's records.  The names below are spelt exactly as bus.md spells
 * them on the wire.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/txlog/frame.h"

/* txlog.reject "reason" (bus.md). */
enum txl_reject {
	TXL_REJ_MALFORMED,
	TXL_REJ_UNKNOWN_DEVICE,
	TXL_REJ_BAD_SIGNATURE,
	TXL_REJ_REVOKED,
	TXL_REJ_REPLAY,
	TXL_REJ_NOT_TXLOG,
};

/* txlog.alert "kind" (bus.md). */
enum txl_alert {
	TXL_AL_COUNTER_GAP,
	TXL_AL_BALANCE_MISMATCH,
	TXL_AL_REPLAY,
	TXL_AL_REVOKED_DEVICE,
	TXL_AL_MSISDN_MISMATCH,
	TXL_AL_CLOCK_SKEW,
};

enum txl_ev_type {
	TXL_EV_RECORD,
	TXL_EV_ALERT,
	TXL_EV_REJECT,
};

/*
 * One thing to publish.  Which fields mean something depends on type and,
 * for alerts, on kind:
 *
 *   RECORD            rec, late, stale
 *   counter_gap       rec, expected (max_counter + 1), got (the counter)
 *   balance_mismatch  rec, expected (previous balance +/- amount), got
 *   replay            last_upload (max_upload), got (the upload_seq)
 *   msisdn_mismatch   registered, src (both borrowed from the caller)
 *   clock_skew        rec (or -1 for the frame), skew_s
 *   revoked_device    nothing more
 *   REJECT            reason, error
 *
 * Numbers are signed 64-bit so that a balance expected below 0 or above
 * 2^32 - 1 is reported as computed rather than wrapped (see ledger.c).
 */
struct txl_event {
	enum txl_ev_type type;
	int rec;		/* index into the frame's records; -1: the frame */
	bool late;		/* RECORD: arrived after a higher counter */
	bool stale;		/* RECORD: too old to tell whether it was seen */
	enum txl_alert alert;
	int64_t expected;
	int64_t got;
	int64_t last_upload;
	int64_t skew_s;
	const char *registered;
	const char *src;
	enum txl_reject reason;
	const char *error;	/* REJECT: static text for the "error" field */
};

/*
 * At most, per record: the record, one counter_gap or balance_mismatch,
 * one clock_skew; per frame: msisdn_mismatch and clock_skew, or a reject
 * and its alert.
 */
#define TXL_OUTCOME_MAX (TXL_MAX_RECORDS * 3 + 4)

struct txl_outcome {
	unsigned n;
	struct txl_event ev[TXL_OUTCOME_MAX];
	bool duplicate;		/* the frame was a duplicate: nothing published */
	bool upload_accepted;	/* the upload_seq was recorded (journal it) */
	unsigned repeated;	/* records skipped as already seen */
	unsigned late;		/* records published as late (stale ones too) */
	unsigned stale;		/* records too old to tell, published as late */
};

static inline void txl_outcome_init(struct txl_outcome *o)
{
	o->n = 0;
	o->duplicate = false;
	o->upload_accepted = false;
	o->repeated = 0;
	o->late = 0;
	o->stale = 0;
}

/*
 * Append a zeroed event of the given type about record rec (-1: the
 * frame).  Returns NULL when the outcome is full, which the bound above
 * rules out for one frame.
 */
static inline struct txl_event *txl_outcome_add(struct txl_outcome *o, enum txl_ev_type type, int rec)
{
	if (o->n >= TXL_OUTCOME_MAX)
		return NULL;
	struct txl_event *e = &o->ev[o->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->rec = rec;
	return e;
}

/* Append a reject; for the caller's steps 1-3 as for the ledger's replay. */
static inline struct txl_event *txl_outcome_reject(struct txl_outcome *o, enum txl_reject reason,
						   const char *error)
{
	struct txl_event *e = txl_outcome_add(o, TXL_EV_REJECT, -1);
	if (e) {
		e->reason = reason;
		e->error = error;
	}
	return e;
}

/* Append an alert of the given kind; the caller fills its detail. */
static inline struct txl_event *txl_outcome_alert(struct txl_outcome *o, enum txl_alert kind, int rec)
{
	struct txl_event *e = txl_outcome_add(o, TXL_EV_ALERT, rec);
	if (e)
		e->alert = kind;
	return e;
}

/* The bus.md spelling of a reject reason; NULL for a value out of range. */
static inline const char *txl_reject_name(enum txl_reject r)
{
	static const char *const names[] = {
		[TXL_REJ_MALFORMED] = "malformed",
		[TXL_REJ_UNKNOWN_DEVICE] = "unknown_device",
		[TXL_REJ_BAD_SIGNATURE] = "bad_signature",
		[TXL_REJ_REVOKED] = "revoked",
		[TXL_REJ_REPLAY] = "replay",
		[TXL_REJ_NOT_TXLOG] = "not_txlog",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : NULL;
}

/* The bus.md spelling of an alert kind; NULL for a value out of range. */
static inline const char *txl_alert_name(enum txl_alert a)
{
	static const char *const names[] = {
		[TXL_AL_COUNTER_GAP] = "counter_gap",
		[TXL_AL_BALANCE_MISMATCH] = "balance_mismatch",
		[TXL_AL_REPLAY] = "replay",
		[TXL_AL_REVOKED_DEVICE] = "revoked_device",
		[TXL_AL_MSISDN_MISMATCH] = "msisdn_mismatch",
		[TXL_AL_CLOCK_SKEW] = "clock_skew",
	};
	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : NULL;
}
