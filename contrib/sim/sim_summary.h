/*
 * sim_summary.h — the SMS simulators' book of uploads and the summary
 * they write at the end: what the gateway must have published (bus.md).
 * txgw-smsc-sim books deliver_sm, txgw-handset-sim the SMS its handsets
 * send through a real MSC; the summary is the same.
 *
 * Every upload the simulator makes is booked with the events it must
 * produce (fleet.h) and the number of parts it took (deliver_sm; SMS).
 * Each part ends acknowledged (ESME_ROK; RP-ACK) or failed (a permanent
 * error; no RP-ACK after the last try); an upload is "acked" when all of
 * its parts were, "failed" when all ended and one failed, and "unacked"
 * while any is still unanswered.
 *
 * The JSON summary (one object):
 *
 *   generator, seed, ms (the whole run), busy_ms (first bind to the last
 *             answer: the time the traffic took)
 *   totals   {uploads, acked, unacked, failed, sms, records, alerts,
 *             rejects, anomalies_skipped}: records/alerts/rejects count
 *             the expected bus messages of acked uploads
 *   ...      the simulator's own members (sim_summary_info.write_extra):
 *            smsc, latency_ms (txgw-smsc-sim: smsc.h struct smsc_stats),
 *            handsets, bsc, mt (txgw-handset-sim)
 *   anomalies {kind: acked uploads made with it}
 *   devices  {"<device_id>": {msisdn, uncertain?, records: [...],
 *             alerts: [...], rejects: [...]}}: acked uploads only, in
 *             the order they were made; uncertain is true when an
 *             upload of the device failed, so that the gateway never saw
 *             it and later claims about the device may not hold
 *   not_txlog [{src}]: acked text messages
 *   unacked  [{device?, upload?, anomaly, frame?, records, alerts,
 *             rejects}]: what the gateway may or may not have published
 *   failed   the same, for failed uploads, with "status"
 *
 * Records are {counter, type, currency, amount, balance, upload, frame};
 * alerts {kind, counter (record-level alerts only), upload, frame,
 * detail} with bus.md's detail members; rejects {reason, upload, frame}
 * (not_txlog: {reason, src}).  Names and fields as bus.md spells them.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "contrib/sim/fleet.h"
#include "contrib/sim/fleet_book.h"

struct smsc_stats;
struct jw;

struct sim_up {
	struct fleet_booked k;
	bool hold;
	uint16_t parts, answered, acked;
	uint32_t fail_status;		/* the first permanent error */
	char src[FLEET_MSISDN_LEN + 1];
	const char *registered;		/* the fleet's, for msisdn_mismatch */
};

struct sim_book {
	void *ctx;
	struct sim_up *up;
	size_t n, cap;
	size_t n_acked, n_failed;
};

void sim_book_init(struct sim_book *b, void *ctx);

/*
 * Book upload u, sent as parts deliver_sm; hold: it keeps its device busy
 * until it ends.  Out: *idx, the tag to give the SMSC.  0 or -ENOMEM.
 */
int sim_book_add(struct sim_book *b, const struct fleet_upload *u, unsigned parts, bool hold,
		 size_t *idx);

/*
 * One deliver_sm of upload idx ended with status.  Returns the fleet
 * index of the device to free when this ends an upload that held it,
 * else -1.
 */
int sim_book_part_done(struct sim_book *b, size_t idx, uint32_t status);

struct jw;

struct sim_summary_info {
	const char *generator;		/* the simulator's name */
	/* The bearer's own members after "totals" (the SMSC's counters, the
	 * handsets'), and its lines of the human summary; may be NULL. */
	void (*write_extra)(struct jw *w, void *extra);
	void (*print_extra)(FILE *out, void *extra);
	void *extra;
	/* A failed upload's "status": NULL for SMPP's command_status names */
	const char *(*status_name)(uint32_t status);
	const struct fleet *fl;
	uint64_t seed, made, sms_parts, anomaly_skipped;
	double seconds;
	double busy_seconds;		/* first bind to the last answer, or 0 */
	/* optional: more members of the summary object (the "mt" section) */
	void (*more)(void *arg, struct jw *w);
	void *more_arg;
};

/* A few human lines. */
void sim_summary_print(FILE *out, const struct sim_book *b, const struct sim_summary_info *i);

/* The JSON summary above into path.  0, -ENOMEM or -EIO. */
int sim_summary_write(const char *path, const struct sim_book *b, const struct sim_summary_info *i);
