/*
 * mail_book.h — txgw-mail-sim's book: every mail it sent, the uploads
 * each carried with the bus events they must produce (fleet.h), the mail
 * latencies, and the summary written at the end.
 *
 * A mail is pending while in flight or waiting for a retry, accepted on a
 * 250 at the end of its data, failed when refused (5xx) or given up.
 * Its uploads share its fate.  The JSON summary follows txgw-smsc-sim's
 * (one object):
 *
 *   generator, bearer ("smtp"), seed, ms
 *   totals   {uploads, acked, unacked, failed, mails, records, alerts,
 *             rejects, anomalies_skipped}: records/alerts/rejects count
 *             the expected bus messages of accepted uploads
 *   smtp     {mails, accepted, failed, refused, transfers, retries,
 *             temp_errors, conn_errors, gave_up, starttls,
 *             shapes {attach, multi, qp, alternative, rfc822, utf16, text}}
 *   latency_ms {n, p50, p99, max}: "mail latency", libcurl's total
 *             transfer time of each accepted mail, to the 250
 *   anomalies {kind: accepted uploads made with it}
 *   devices  {"<device_id>": {msisdn, src, uncertain?, records: [...],
 *             alerts: [...], rejects: [...]}}: accepted uploads only, in
 *             the order they were made; src is the envelope MAIL FROM,
 *             the bus's src for bearer smtp; uncertain is true when a mail
 *             of the device failed (the gateway never took it, so later
 *             claims about the device may not hold)
 *   not_txlog [{reason, src}]: accepted mails without a frame
 *   unacked  [{device?, anomaly, src, records, alerts, rejects}]
 *   failed   the same with "status" (the last reply code and why)
 *
 * Records are {counter, type, currency, amount, balance, upload, frame};
 * alerts {kind, counter (record-level alerts only), detail, upload,
 * frame} with bus.md's detail members; rejects {reason, upload, frame}.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "contrib/sim/fleet.h"
#include "contrib/sim/fleet_book.h"
#include "contrib/sim/mail_form.h"

#define MAIL_BOOK_TEXT	MAIL_SHAPE_COUNT	/* the "shape" of a person's mail */

enum mail_book_state {
	MAIL_PENDING,
	MAIL_ACCEPTED,
	MAIL_FAILED,
};

struct book_mail {
	uint8_t state;			/* enum mail_book_state */
	uint8_t shape;			/* enum mail_shape, or MAIL_BOOK_TEXT */
	char from[MAIL_ADDR_MAX + 1];	/* the envelope MAIL FROM, without <> */
	char status[128];		/* the last failure */
};

struct book_up {
	struct fleet_booked k;
	size_t mail;			/* index of its mail */
};

/* The SMTP side's counters. */
struct mail_stats {
	uint64_t transfers;		/* transfers started, retries included */
	uint64_t accepted, refused;	/* 250; 5xx */
	uint64_t temp_errors;		/* 4xx */
	uint64_t conn_errors;		/* no reply: connection lost, time-out */
	uint64_t retries, gave_up;
};

struct mail_book {
	void *ctx;
	struct book_mail *mail;
	size_t n_mail, cap_mail;
	struct book_up *up;
	size_t n_up, cap_up;
	uint32_t *lat_us;
	size_t n_lat, cap_lat;
};

void mail_book_init(struct mail_book *b, void *ctx);

/* A new pending mail from address from: *idx.  0 or -ENOMEM. */
int mail_book_mail(struct mail_book *b, uint8_t shape, const char *from, size_t *idx);

/* Upload u travels in mail idx.  0 or -ENOMEM. */
int mail_book_upload(struct mail_book *b, const struct fleet_upload *u, size_t mail);

/* Mail idx accepted after us microseconds.  0 or -ENOMEM (the latency
 * is then not kept). */
int mail_book_accepted(struct mail_book *b, size_t mail, uint32_t us);

/* Mail idx failed for good; why goes into its status. */
void mail_book_failed(struct mail_book *b, size_t mail, const char *why);

struct mail_book_info {
	const struct fleet *fl;
	const struct mail_stats *st;
	uint64_t seed, anomaly_skipped;
	double seconds;
	bool starttls;
};

/* A few human lines; sorts the latencies. */
void mail_book_print(FILE *out, struct mail_book *b, const struct mail_book_info *i);

/* The JSON summary above into path; sorts the latencies.  0, -ENOMEM or
 * -EIO. */
int mail_book_write(const char *path, struct mail_book *b, const struct mail_book_info *i);
