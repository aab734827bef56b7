/*
 * outbox.h — the downlink's durable outbox (doc/downlink.md): messages
 * from the operation server for handsets, from the SEND request to their
 * end on the bus.
 *
 *   SEND ──► queued ──► submitted ──► delivered     (receipts asked, all came)
 *              │            └──────► failed         (a receipt said so)
 *              └──────────────────► failed          (permanent error, expired)
 *
 * Every state change is a journal group written through the engine's
 * input FIFO (jrec.h, DL_*), with its txlog.downlink bus message, and
 * acted upon only once synced: QUEUED is answered, a submission starts,
 * a receipt's deliver_sm_resp goes, after the sync.  At start-up the
 * engine replays the DL_* records (outbox_apply()), so every queued
 * message is taken up again and the id -> seq map (SEND is idempotent by
 * id) and the SMSC message id -> message map (receipts) are rebuilt, for
 * as long as the journal keeps their records.  A message not yet
 * submitted or failed holds the journal's retention back.
 *
 * Bearers plug in with struct outbox_bearer_ops: the SMS one (the daemon's
 * gw_dl_sms.c: submit_sm over the binds) and, later, mail.  The outbox
 * hands a bearer one message at a time while it has room; the bearer
 * answers each with outbox_result(), never from inside submit().  A
 * temporary failure is tried again, backing off from OB_BACKOFF_MIN_S to
 * OB_BACKOFF_MAX_S, within the message's expiry (expires, else max-age).
 *
 * Single-threaded, on the engine's loop.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/engine/engine.h"

#define OB_BACKOFF_MIN_S	5
#define OB_BACKOFF_MAX_S	600
#define OB_MAX_PENDING		100000	/* messages not ended; more SEND: unavailable */
#define OB_MAX_JOURNALING	10000	/* SEND waiting for their sync; more: unavailable */
/* The payloads held in memory (a message's until it is submitted or
 * ends): 100,000 pending mails of 65,536 bytes would be 6.5 GB; past
 * this, SEND: unavailable.  100,000 SMS of 1,000 bytes stay under it. */
#define OB_MAX_PAYLOAD_BYTES	((size_t)256 << 20)
#define OB_SMS_PAYLOAD_MAX	1000	/* downlink.md: 1 to 1,000 bytes by SMS */
#define OB_MAIL_PAYLOAD_MAX	65536	/* ... 65,536 by mail */

enum ob_bearer {
	OB_SMS = 0,
	OB_SMTP = 1,
	OB_N_BEARERS
};

struct outbox;
struct ob_msg;

/* A message as a bearer sees it (valid until its outbox_result()). */
struct ob_item {
	const char *id;
	uint64_t queued;		/* the seq of its queued message */
	const char *to;			/* MSISDN (digits, maybe '+') or mailbox */
	bool from_device;		/* the address came from the registry */
	const uint8_t *payload;
	size_t len;
	bool receipt;
	unsigned attempt;		/* 1 for the first submission */
	uint8_t ref;			/* a counter per destination, one step per
					 * submission, kept across restarts (the journal's
					 * DL_ATTEMPT): SMS, the concatenation reference */
};

struct outbox_bearer_ops {
	/* Can it carry messages at all (SMS: a bind that can transmit is
	 * configured)?  If not, SEND for it answers no_bearer. */
	bool (*available)(void *data);
	/* How many more messages it can take now (0: none). */
	unsigned (*room)(void *data);
	/* Take m: 0, then outbox_result() later; negative: not now. */
	int (*submit)(void *data, struct ob_msg *m, const struct ob_item *it);
	/* Forget m without a result (the outbox is closing). */
	void (*cancel)(void *data, struct ob_msg *m);
	/* How many parts a payload of len octets makes (SMS), 1 for mail;
	 * more than the bearer's maximum: too_large. */
	unsigned (*parts)(void *data, size_t len);
};

enum ob_result_kind {
	OB_RES_SUBMITTED,	/* every part taken: ids */
	OB_RES_TEMPORARY,	/* try again later */
	OB_RES_PERMANENT,	/* failed: error */
};

struct ob_result {
	enum ob_result_kind kind;
	unsigned n_ids;			/* OB_RES_SUBMITTED: one per part */
	const char *const *ids;
	const char *error;		/* permanent: for the bus; temporary: for the log */
	bool answer_lost;		/* temporary: a submit_sm went out and its answer did
					 * not come (timeout, bind lost): the SMSC may have it */
};

struct outbox_cfg {
	uint32_t max_age_s;		/* 0: 86400 */
	size_t max_payload_bytes;	/* 0: OB_MAX_PAYLOAD_BYTES */
	/* the wall clock, Unix ms (tests); NULL: CLOCK_REALTIME */
	int64_t (*now_ms)(void);
};

/* The engine's outbox (engine_open() makes it). */
struct outbox *engine_outbox(struct engine *e);

void outbox_configure(struct outbox *ob, const struct outbox_cfg *cfg);
void outbox_set_bearer(struct outbox *ob, enum ob_bearer b, const struct outbox_bearer_ops *ops,
		       void *data);

/*
 * A SEND request's JSON.  answer(data, verb, id, detail) is called exactly
 * once: ERROR at once (perhaps from inside this call), QUEUED once the
 * request is journaled and synced, or at once for an id already queued.
 */
typedef void (*outbox_answer_cb)(void *data, const char *verb, const char *id, const char *detail);
void outbox_request(struct outbox *ob, const char *json, size_t len, outbox_answer_cb answer,
		    void *data);

/* A bearer's answer for m (see struct ob_result). */
void outbox_result(struct outbox *ob, struct ob_msg *m, const struct ob_result *r);
/* A bearer can take messages again. */
void outbox_kick(struct outbox *ob);

enum ob_receipt_kind {
	OB_RCPT_DELIVERED,
	OB_RCPT_FAILED,		/* UNDELIV, REJECTD, EXPIRED, DELETED */
	OB_RCPT_OTHER,		/* any other state: nothing changes */
};

struct ob_receipt {
	const char *message_id;
	enum ob_receipt_kind kind;
	const char *stat;	/* the state's word, "UNDELIV" */
	const char *err;	/* "001", or "" */
	/* when the id matches nothing: the user_message_reference it carried
	 * and its source address (the handset's MSISDN) */
	bool has_umr;
	uint16_t umr;
	const char *from;
};

/*
 * The user_message_reference (SMPP 3.4 §5.3.2.17) of part `part` (0..7)
 * of an SMS submitted with the destination counter ref: an SMSC whose
 * message ids name nothing (OsmoMSC answers every submit_sm with
 * "msg_id_not_implemented") returns it in its receipts (§4.6.1), which
 * then match by it and the handset's number (downlink.md 2.5).  One
 * octet: OsmoMSC keeps no more (it is TP-MR's width); so it repeats after
 * 32 submissions to one number.
 */
static inline uint8_t ob_umr(uint8_t ref, unsigned part)
{
	return (uint8_t)((unsigned)ref << 3 | (part & 7));
}

/*
 * A delivery receipt.  Returns 0 when it is being journaled (cb runs after
 * the sync: answer the SMSC then), 1 when there is nothing to journal
 * (unmatched: counted and logged; or a state that changes nothing): answer
 * now; or a negative errno when the journal cannot take it: answer with a
 * temporary error.
 */
int outbox_receipt(struct outbox *ob, const struct ob_receipt *r, engine_ack_cb cb, void *cb_data);

/* Once a second: expiry, receipt waits that ended. */
void outbox_tick(struct outbox *ob);

struct outbox_info {
	unsigned pending;		/* downlink.pending: queued, not submitted nor failed */
	unsigned in_flight;		/* ... of them with a bearer now */
	unsigned awaiting_receipts;
	unsigned journaling;		/* SEND waiting for their sync */
	size_t ids;			/* ids known (idempotence) */
	size_t payload_bytes;		/* payloads held in memory */
};
void outbox_get_info(const struct outbox *ob, struct outbox_info *info);

/* The wall clock of the outbox (outbox_cfg.now_ms). */
int64_t outbox_now_ms(const struct outbox *ob);
