/*
 * fleet_book.h — what the simulators (txgw-smsc-sim, txgw-mail-sim) keep
 * of each upload they send, and how their summaries write it: the bus
 * events it must produce, in bus.md's terms, which
 * tests/integration/sim_compare.py holds the bus to.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contrib/sim/fleet.h"

struct jw;

/* An upload as booked: who sent it, which it was, what it must produce. */
struct fleet_booked {
	uint64_t device_id;
	uint32_t upload_seq;
	unsigned dev;			/* fleet index */
	uint8_t anomaly;		/* enum fleet_anomaly */
	bool has_device, text;
	uint8_t digest[32];		/* SHA-256 of the frame */
	unsigned n_ev;
	struct fleet_ev *ev;		/* talloc'd copy of the upload's */
};

/* Totals over uploads the gateway accepted. */
struct fleet_tally {
	uint64_t records, alerts, rejects;
	uint64_t by_anomaly[FA_COUNT];
};

/* Book upload u into *k, its events copied under ctx: 0 or -ENOMEM. */
int fleet_book(void *ctx, struct fleet_booked *k, const struct fleet_upload *u);

/* Add k's events and anomaly to t. */
void fleet_tally_add(struct fleet_tally *t, const struct fleet_booked *k);

/* "records", "alerts", "rejects": the array key of events of a type. */
const char *fleet_ev_list_name(enum txl_ev_type type);

/*
 * The events of k of one type as objects (a record's counter, type,
 * currency, amount and balance; an alert's kind, counter and detail; a
 * reject's reason; then src for a text upload, upload and frame for a
 * frame).  src: the sender (text; msisdn_mismatch's got); registered:
 * msisdn_mismatch's registered MSISDN, or NULL.
 */
void fleet_booked_events(struct jw *w, const struct fleet_booked *k, enum txl_ev_type type,
			 const char *src, const char *registered);

/* "device" (when it has one) and "anomaly" of k, into an open object. */
void fleet_booked_head(struct jw *w, const struct fleet_booked *k);
