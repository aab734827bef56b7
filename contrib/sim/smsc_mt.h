/*
 * smsc_mt.h — txgw-smsc-sim taking the gateway's downlink as an SMSC does
 * (doc/downlink.md "SMS"): submit_sm answered with a message id, or with
 * the faults asked for; the short messages checked (esm_class 0x40,
 * data_coding 0x04, a UDH with the 16-bit port IE, source and destination
 * port the txlog port, the 8-bit concatenation IE over 133 octets: at
 * most 128 octets a part, 8 parts, a reference not reused while a message
 * to the same destination is incomplete, nor by the next message); the
 * messages reassembled and booked (destination, parts, SHA-256 of the
 * payload, copies received); delivery receipts sent back as deliver_sm
 * (esm_class 0x04) when registered_delivery asks for them, after a delay,
 * by TLV (receipted_message_id, message_state) or by SMPP 3.4 Appendix B
 * text, with the outcome asked for.
 *
 * Faults, each counted (0 = off):
 *   throttle_every N   every Nth submit_sm: ESME_RTHROTTLED
 *   fail_dest          destinations answered ESME_RINVDSTADR
 *   drop_every N       every Nth submit_sm taken, unanswered, and the
 *                      connection closed (the gateway must submit again:
 *                      the SMSC got it twice)
 *   silent_every N     every Nth submit_sm taken and never answered
 *   receipt_fail       destinations whose receipts say UNDELIV err:001
 *
 * The "mt" section of the summary (sim_summary.h) is written by
 * mt_summary(); its first_taken_us and last_taken_us (the wall clock, in
 * microseconds since the epoch, of the first and the last submit_sm
 * taken, 0 before any) give the rate an ESME submitted at, measured by
 * its peer (contrib/bench/downlink.sh).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contrib/sim/smsc.h"
#include "gateway/lib/json.h"
#include "smpp/smpp_pdu.h"

#define MT_RECEIPT_TAG	(1ull << 63)	/* smsc_queue() tags of receipts */

enum mt_receipts {
	MT_RECEIPTS_DELIVERED,		/* DELIVRD, for every part */
	MT_RECEIPTS_NONE,		/* none, whatever is asked */
};

enum mt_form {
	MT_FORM_TLV,
	MT_FORM_TEXT,
	MT_FORM_MIX,			/* alternately */
};

struct mt_cfg {
	uint16_t port;			/* the txlog port the UDH must carry */
	unsigned throttle_every, drop_every, silent_every;
	const char *fail_dest;		/* comma-separated MSISDNs, or NULL */
	const char *receipt_fail;	/* comma-separated MSISDNs, or NULL */
	enum mt_receipts receipts;
	enum mt_form form;
	unsigned receipt_delay_ms;
};

struct mt;

/* The MT side of smsc s (smsc_ops.submit is mt_submit with the mt). */
struct mt *mt_new(void *ctx, const struct mt_cfg *cfg, struct smsc *s);

/* smsc_ops.submit: the status to answer with (message_id filled for
 * ESME_ROK), SMSC_NO_ANSWER or SMSC_DROP. */
uint32_t mt_submit(void *data, unsigned conn, const struct smpp_pdu *p, char *message_id,
		   size_t cap);

/* Queue the receipts that are due (call each round of the loop). */
void mt_poll(struct mt *mt);

/* A receipt's deliver_sm ended (smsc_ops.done with MT_RECEIPT_TAG). */
void mt_receipt_done(struct mt *mt, uint64_t tag, uint32_t status);

/* Receipts still to send or unanswered. */
size_t mt_pending(const struct mt *mt);
/* submit_sm taken so far. */
uint64_t mt_taken(const struct mt *mt);

/* "mt": {...} into w (an object member), and a line for the log. */
void mt_summary(struct mt *mt, struct jw *w);
void mt_print(const struct mt *mt, FILE *out);
