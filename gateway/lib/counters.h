/*
 * counters.h — the gateway's counters: one enum-indexed table of
 * {name, description}, kept as a libosmocore rate counter group so they also
 * show on the VTY ("show rate-counters") and reach statsd through a
 * "stats reporter".
 *
 * libosmocore counter names may not contain '.', so the table spells them
 * with ':' ("smpp:pdus_rx"); the stats socket shows them as stats.md names
 * them ("smpp.pdus_rx").  Every counter of stats.md is here; more follow.
 */
#pragma once
#include <osmocom/core/rate_ctr.h>

#define TXGW_COUNTERS(X) \
	X(SMPP_PDUS_RX,		"smpp:pdus_rx",		"SMPP PDUs received") \
	X(SMPP_PDUS_TX,		"smpp:pdus_tx",		"SMPP PDUs sent") \
	X(SMPP_DELIVER_SM,	"smpp:deliver_sm",	"deliver_sm received") \
	X(SMPP_DATA_SM,		"smpp:data_sm",		"data_sm received") \
	X(SMPP_RECEIPTS,	"smpp:delivery_receipts", "delivery receipts received (ignored)") \
	X(SMPP_GENERIC_NACK_TX,	"smpp:generic_nack_tx",	"generic_nack sent for bad PDUs") \
	X(SMPP_ERROR_RESP_TX,	"smpp:error_resp_tx",	"responses sent with an error status") \
	X(SMPP_TEMP_ERRORS,	"smpp:temp_errors",	"deliver_sm answered ESME_RX_T_APPN (journal unavailable)") \
	X(SMPP_RECONNECTS,	"smpp:reconnects",	"SMPP connections re-established") \
	X(SMS_SEGMENTS,		"sms:segments",		"SMS segments received") \
	X(SMS_MESSAGES,		"sms:messages",		"whole SMS after reassembly") \
	X(SMS_CONCAT_TIMEOUTS,	"sms:concat_timeouts",	"incomplete concatenations dropped") \
	X(SMS_CONCAT_EVICTED,	"sms:concat_evicted",	"incomplete concatenations evicted by a limit") \
	X(SMS_DUPLICATE_PARTS,	"sms:duplicate_parts",	"SMS parts delivered again, dropped by reassembly") \
	X(SMTP_SESSIONS,	"smtp:sessions",	"SMTP connections") \
	X(SMTP_MESSAGES,	"smtp:messages",	"messages accepted with 250") \
	X(SMTP_REJECTED,	"smtp:rejected",	"messages refused") \
	X(SMTP_TEMP_ERRORS,	"smtp:temp_errors",	"messages answered 451 (journal unavailable, stopping)") \
	X(TXLOG_FRAMES,		"txlog:frames",		"frames found") \
	X(TXLOG_RECORDS,	"txlog:records",	"records published") \
	X(TXLOG_DUPLICATES,	"txlog:duplicates",	"duplicate frames dropped") \
	X(TXLOG_REPEATED,	"txlog:repeated_records", "repeated records skipped") \
	X(TXLOG_LATE,		"txlog:late_records",	"late records published") \
	X(TXLOG_STALE,		"txlog:stale_records",	"records too old to tell, published as late") \
	X(TXLOG_REJECTS,	"txlog:rejects",	"rejects published") \
	X(TXLOG_ALERTS,		"txlog:alerts",		"alerts published") \
	X(BUS_PUBLISHED,	"bus:published",	"messages published") \
	X(BUS_REPLAY_REQUESTS,	"bus:replay_requests",	"replay requests served") \
	X(BUS_REFUSED,		"bus:refused",		"bus connections and requests refused (CURVE, busy)") \
	X(JOURNAL_SYNCS,	"journal:syncs",	"journal syncs to disk") \
	X(JOURNAL_ENTRIES,	"journal:entries",	"journal entries written") \
	X(JOURNAL_FAILURES,	"journal:failures",	"times the journal stopped taking input") \
	X(JOURNAL_RESUMES,	"journal:resumes",	"times it took input again, without a restart") \
	X(REGISTRY_RELOADS,	"registry:reloads",	"registry reloads that took effect") \
	X(REGISTRY_RELOAD_ERRORS, "registry:reload_errors", "registry reloads refused") \
	X(SMPP_SUBMIT_SM,	"smpp:submit_sm",	"submit_sm sent") \
	X(DOWNLINK_QUEUED,	"downlink:queued",	"downlink messages queued (answered QUEUED)") \
	X(DOWNLINK_SUBMITTED,	"downlink:submitted",	"downlink messages submitted (every part ESME_ROK)") \
	X(DOWNLINK_DELIVERED,	"downlink:delivered",	"downlink messages delivered (receipts for every part)") \
	X(DOWNLINK_FAILED,	"downlink:failed",	"downlink messages failed") \
	X(DOWNLINK_RETRIES,	"downlink:retries",	"downlink submissions retried after a temporary failure") \
	X(DOWNLINK_RECEIPTS_UNMATCHED, "downlink:receipts_unmatched", "delivery receipts that match no message") \
	X(DOWNLINK_RESUBMITTED,	"downlink:resubmitted",	"messages submitted again after a restart that may have reached the SMSC before it") \
	X(DOWNLINK_REFUSED,	"downlink:refused",	"SEND requests answered ERROR")

enum txgw_ctr {
#define X(id, name, desc) TXGW_CTR_##id,
	TXGW_COUNTERS(X)
#undef X
	TXGW_CTR_COUNT
};

/* The group description (static const data). */
extern const struct rate_ctr_group_desc txgw_ctrg_desc;

/* "smpp:pdus_rx" -> "smpp.pdus_rx" into out (cap bytes). */
void txgw_ctr_stats_name(char *out, size_t cap, const char *name);
