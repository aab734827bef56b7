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
