/*
 * jrec.h — what the gateway writes into the journal (doc/journal.md): the
 * payload formats of its entry types.  The journal itself (journal.h)
 * only frames, numbers and checks entries; these say what is in them.
 *
 * Every input the carrier hands over (an SMS, a mail) becomes one GROUP of
 * entries, written together and closed by a COMMIT entry, then synced
 * before the input is acknowledged:
 *
 *   SEGMENT  a part of a concatenated SMS (so a crash loses no part of an
 *            incomplete message); on restart they are fed to reassembly
 *            again, in order, with their arrival times
 *   LEDGER   the state change one frame made to its device's ledger
 *            (upload accepted, records published): replayed on restart
 *   DROP     reassembly dropped an incomplete message (concat-timeout, or a
 *            limit): on restart the message is dropped again, so that it
 *            is neither resurrected nor published twice (its reject is
 *            the MSG after it)
 *   MSG      a bus message: topic and JSON payload, with its seq
 *   COMMIT   the group is whole.  Entries after the last COMMIT were never
 *            acknowledged and are cut at start-up, so a group is all or
 *            nothing.
 *
 * All integers big-endian.  Decoders are strict (buf, len) parsers.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sms/concat.h"
#include "gateway/txlog/frame.h"

enum jrec_type {
	JREC_SEGMENT = 1,
	JREC_LEDGER = 2,
	JREC_MSG = 3,
	JREC_COMMIT = 4,
	JREC_DROP = 5,
	/* the downlink outbox (doc/downlink.md), at the end of this file */
	JREC_DL_QUEUED = 6,
	JREC_DL_ATTEMPT = 7,
	JREC_DL_STATE = 8,
	JREC_DL_RECEIPT = 9,
};

#define JREC_TOPIC_MAX	32

struct jrec_segment {
	int64_t rx_ms;			/* arrival, Unix ms */
	uint8_t coding;			/* enum charset_coding */
	bool has_port;
	uint16_t port;
	struct concat_key key;		/* key.bearer is the bind */
	uint8_t seq;
	const uint8_t *data;		/* decode: points into the buffer */
	size_t len;
};

struct jrec_drop {
	uint8_t reason;			/* enum concat_drop_reason */
	struct concat_key key;
};

struct jrec_ledger {
	uint64_t device;
	uint32_t upload_seq;
	uint8_t digest[32];
	bool upload_accepted;
	uint8_t n;			/* records published */
	struct {
		uint32_t counter;
		uint32_t balance;
	} rec[TXL_MAX_RECORDS];
};

struct jrec_msg {
	const char *topic;		/* decode: points into the buffer, not NUL-terminated */
	size_t topic_len;
	const char *payload;
	size_t len;
};

/* Encoders return the length written into out[cap], or -ENOSPC / -EINVAL. */
int jrec_segment_encode(uint8_t *out, size_t cap, const struct jrec_segment *s);
int jrec_ledger_encode(uint8_t *out, size_t cap, const struct jrec_ledger *l);
int jrec_msg_encode(uint8_t *out, size_t cap, const struct jrec_msg *m);
int jrec_drop_encode(uint8_t *out, size_t cap, const struct jrec_drop *d);

/* Decoders: 0, -EIO (short), -EINVAL (bad value or bytes left over). */
int jrec_segment_decode(struct jrec_segment *s, const uint8_t *buf, size_t len);
int jrec_ledger_decode(struct jrec_ledger *l, const uint8_t *buf, size_t len);
int jrec_msg_decode(struct jrec_msg *m, const uint8_t *buf, size_t len);
int jrec_drop_decode(struct jrec_drop *d, const uint8_t *buf, size_t len);

/* ---- the downlink outbox (gateway/engine/outbox.h) -------------------------
 *
 * A message for a handset is known by the seq of its "queued" bus message
 * (its key, "queued" on the bus).  Each state change is a group of its own:
 *
 *   DL_QUEUED   the request, whole, payload included (then its MSG)
 *   DL_ATTEMPT  a submission is about to start: after a crash, a message
 *               with more attempts than answers may have reached the SMSC
 *               (downlink.resubmitted counts its next submission); with the
 *               per-destination counter it took
 *   DL_STATE    submitted (with the SMSC's message ids), delivered or
 *               failed (with the error); then its MSG
 *   DL_RECEIPT  a receipt said one part was delivered, the others not yet
 */
#define JREC_DL_ID_MAX		64	/* downlink.md: id of 1..64 characters */
#define JREC_DL_TO_MAX		254	/* an RFC 5321 mailbox, or an MSISDN */
#define JREC_DL_MSGID_MAX	64	/* an SMSC's message_id (65 with its NUL) */
#define JREC_DL_ERROR_MAX	200
#define JREC_DL_PARTS_MAX	8

enum jrec_dl_bearer {
	JREC_DL_SMS = 0,
	JREC_DL_SMTP = 1,
};

enum jrec_dl_st {
	JREC_DL_SUBMITTED = 1,
	JREC_DL_DELIVERED = 2,
	JREC_DL_FAILED = 3,
};

struct jrec_dl_queued {
	uint64_t seq;			/* of its queued message */
	int64_t queued_ms, expires_ms;
	uint8_t bearer;			/* enum jrec_dl_bearer */
	bool receipt;
	bool has_device;
	uint64_t device;
	char id[JREC_DL_ID_MAX + 1];
	char to[JREC_DL_TO_MAX + 1];
	const uint8_t *payload;		/* decode: points into the buffer */
	size_t len;			/* 1..65536 */
};

struct jrec_dl_attempt {
	uint64_t seq;
	uint32_t attempt;		/* 1, 2, ... */
	uint8_t ref;			/* its destination's counter (SMS: the concatenation
					 * reference), so that a restart goes on from it */
};

struct jrec_dl_state {
	uint64_t seq;
	uint8_t state;			/* enum jrec_dl_st */
	int64_t at_ms;
	uint8_t n_ids;			/* SMSC message ids (submitted), 0..8 */
	char ids[JREC_DL_PARTS_MAX][JREC_DL_MSGID_MAX + 1];
	char error[JREC_DL_ERROR_MAX + 1];	/* failed: why; else "" */
};

struct jrec_dl_receipt {
	uint64_t seq;
	uint8_t part;			/* 0-based, < JREC_DL_PARTS_MAX */
};

int jrec_dl_queued_encode(uint8_t *out, size_t cap, const struct jrec_dl_queued *q);
int jrec_dl_attempt_encode(uint8_t *out, size_t cap, const struct jrec_dl_attempt *a);
int jrec_dl_state_encode(uint8_t *out, size_t cap, const struct jrec_dl_state *s);
int jrec_dl_receipt_encode(uint8_t *out, size_t cap, const struct jrec_dl_receipt *r);
int jrec_dl_queued_decode(struct jrec_dl_queued *q, const uint8_t *buf, size_t len);
int jrec_dl_attempt_decode(struct jrec_dl_attempt *a, const uint8_t *buf, size_t len);
int jrec_dl_state_decode(struct jrec_dl_state *s, const uint8_t *buf, size_t len);
int jrec_dl_receipt_decode(struct jrec_dl_receipt *r, const uint8_t *buf, size_t len);
