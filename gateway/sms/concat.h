/*
 * concat.h — reassembly of concatenated SMS.
 *
 * Parts come from the UDH information elements 0x00 (8-bit reference) and
 * 0x08 (16-bit reference) of 3GPP TS 23.040 §9.2.3.24.1 and §9.2.3.24.8, or
 * from the SMPP 3.4 TLVs sar_msg_ref_num, sar_total_segments and
 * sar_segment_seqnum (§5.3.2.22-24).  A message is identified by its key:
 * (bearer, source address, destination address, reference kind, reference,
 * total).  Parts arrive in any order and interleaved across senders.
 *
 * Payloads are opaque bytes (unpacked septets for GSM 7-bit, octets for
 * 8-bit and UCS-2): text is decoded after reassembly, so a character split
 * across two segments (a UCS-2 surrogate pair, a GSM escape) joins up.
 *
 * There is no clock inside: every call that can expire state takes the
 * current time in milliseconds, from a clock that does not jump (the
 * engine's is CLOCK_MONOTONIC); the wall-clock reception time of each part
 * is only carried along (concat_part.rx_ms) and reported back.
 *
 * Memory is bounded per sender (source address) and in all: a sender holds
 * at most max_per_sender partial messages and max_bytes_per_sender payload
 * bytes, and when a new part would pass one of its own limits, that
 * sender's oldest partial messages are evicted; when it would pass the
 * global limits (max_partial, max_bytes), the oldest partial message of
 * the sender holding the most is evicted.  So one sender opening message
 * after message evicts only its own.  Expired and evicted messages are
 * reported through a callback with their key and their parts (seq, cookie,
 * bytes), so a caller can account for what it acknowledged.
 *
 * Durable callers (the engine journals every kept part and every drop)
 * split concat_add() in two: concat_prepare() does the expiry and eviction
 * a part causes and says whether it will be kept, the caller journals it,
 * then concat_add() keeps it.  At start-up the journal is replayed with
 * concat_restore() (keep, never drop) and concat_remove() (a journaled
 * drop), then concat_rebase() puts the rebuilt messages on the current
 * clock; concat_trim() later drops what is over the limits or too old.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest source or destination address kept, without its NUL. */
#define CONCAT_ADDR_MAX 64
/* Longest part payload (an SMPP message_payload TLV is at most 65535). */
#define CONCAT_PART_MAX 65535

enum concat_ref_kind {
	CONCAT_REF8 = 1,	/* 23.040 §9.2.3.24.1, IEI 0x00 */
	CONCAT_REF16 = 2,	/* 23.040 §9.2.3.24.8, IEI 0x08 */
	CONCAT_REF_SAR = 3,	/* SMPP 3.4 sar_msg_ref_num, 16-bit */
};

/*
 * What identifies one concatenated message.  Fill it with concat_key_set()
 * (or zero it and set the fields; src and dst must be NUL-terminated).
 * The same reference number under another kind is another message.
 */
struct concat_key {
	uint32_t bearer;		/* the caller's bearer / bind number */
	char src[CONCAT_ADDR_MAX + 1];
	char dst[CONCAT_ADDR_MAX + 1];
	uint16_t ref;
	uint8_t ref_kind;		/* enum concat_ref_kind */
	uint8_t total;			/* 2..255 parts */
};

/*
 * Fill *k.  src/dst may be NULL (empty).  Returns 0, or -EINVAL for an
 * address longer than CONCAT_ADDR_MAX, an unknown kind, or a CONCAT_REF8
 * reference above 255.  (total is checked by concat_add().)
 */
int concat_key_set(struct concat_key *k, uint32_t bearer, const char *src, const char *dst,
		   enum concat_ref_kind kind, uint16_t ref, uint8_t total);

/* One segment as received. */
struct concat_part {
	uint8_t seq;			/* 1..total */
	uint8_t coding;			/* the caller's coding value, e.g. enum charset_coding */
	const uint8_t *data;		/* payload (copied when stored) */
	size_t len;			/* 0..CONCAT_PART_MAX */
	uint64_t cookie;		/* opaque to concat, e.g. a journal sequence number */
	int64_t rx_ms;			/* wall-clock reception time: reported back, and what
					 * concat_rebase() ages restored messages by */
};

/*
 * A completed message, allocated as one talloc chunk (free it with
 * talloc_free()).  Parts with different codings: coding is part 1's and
 * mixed is set; the payload is still joined, and what to make of it is the
 * caller's decision (text decoding needs one coding).
 */
struct concat_msg {
	struct concat_key key;
	uint8_t coding;			/* coding of part 1 */
	bool mixed;			/* some part had another coding */
	uint64_t first_ms;		/* arrival time of the first part */
	size_t len;
	uint8_t *data;			/* the parts' payloads joined in seq order */
	unsigned n_cookies;		/* == key.total */
	uint64_t *cookies;		/* cookies[i] is the cookie of part seq i+1 */
};

/* A partial message as reported on expiry/eviction or by concat_walk(). */
struct concat_partial {
	const struct concat_key *key;
	uint64_t first_ms;		/* arrival time of its first part (expiry clock) */
	int64_t first_rx_ms;		/* the rx_ms of the part that opened it */
	size_t bytes;			/* payload bytes held */
	unsigned n_parts;		/* parts held */
	const uint8_t *seqs;		/* their seq numbers, ascending */
	const uint64_t *cookies;	/* their cookies, in the same order */
	const uint8_t *const *data;	/* their payloads, in the same order */
	const size_t *lens;		/* ... and lengths */
};

enum concat_drop_reason {
	CONCAT_EXPIRED,			/* older than the timeout */
	CONCAT_EVICTED,			/* the global count limit, max_partial */
	CONCAT_EVICTED_BYTES,		/* the global byte limit, max_bytes */
	CONCAT_EVICTED_SENDER,		/* its sender's count limit, max_per_sender */
	CONCAT_EVICTED_SENDER_BYTES,	/* its sender's byte limit, max_bytes_per_sender */
};

/*
 * Called for each partial message dropped.  *p is valid during the call
 * only.  The callback must not call back into the same struct concat.
 */
typedef void (*concat_drop_cb)(void *data, enum concat_drop_reason why,
			       const struct concat_partial *p);

struct concat_cfg {
	uint32_t timeout_s;		/* concat-timeout: >= 1 second */
	size_t max_partial;		/* partial messages kept at most, >= 1 */
	size_t max_bytes;		/* payload bytes kept at most, >= 1 */
	size_t max_per_sender;		/* partial messages of one source address; 0: max_partial */
	size_t max_bytes_per_sender;	/* payload bytes of one source address; 0: max_bytes */
	uint64_t hash_seed;		/* seed for the lookup hash (e.g. random) */
};

struct concat_stats {
	uint64_t parts;			/* parts accepted (stored, completing or duplicate) */
	uint64_t duplicates;		/* repeated parts (same key and seq) */
	uint64_t conflicts;		/* ... of which the bytes differed from the stored part */
	uint64_t completed;		/* messages completed */
	uint64_t expired;		/* partial messages dropped by the timeout */
	uint64_t evicted;		/* partial messages dropped by the limits */
	size_t partial_now;		/* partial messages held */
	size_t bytes_now;		/* payload bytes held */
	size_t senders_now;		/* source addresses holding them */
};

struct concat;

/*
 * A reassembly context, a talloc child of ctx (free with concat_free()).
 * cb (may be NULL) hears of expired and evicted messages.  Returns NULL
 * when cfg is invalid (a zero limit or timeout) or on allocation failure.
 */
struct concat *concat_new(void *ctx, const struct concat_cfg *cfg, concat_drop_cb cb,
			  void *cb_data);

/* Free c and every partial message it holds, without reporting them. */
void concat_free(struct concat *c);

enum concat_add_result {
	CONCAT_STORED = 0,		/* kept, waiting for more parts */
	CONCAT_COMPLETE = 1,		/* *done is the whole message */
	CONCAT_DUPLICATE = 2,		/* same seq seen before, same bytes: ignored */
	CONCAT_CONFLICT = 3,		/* same seq seen before, other bytes: first kept */
};

/*
 * Add part p of the message key, arriving at now_ms: concat_prepare(), then
 * the part is kept.  Returns an enum concat_add_result; on CONCAT_COMPLETE
 * *done is set to a new struct concat_msg allocated under msg_ctx (under c
 * if NULL) and the partial state is freed; otherwise *done is NULL.
 * Errors, with nothing changed but what concat_prepare() dropped: those of
 * concat_prepare(), and -ENOMEM.
 */
int concat_add(struct concat *c, const struct concat_key *key, const struct concat_part *p,
	       uint64_t now_ms, void *msg_ctx, struct concat_msg **done);

/*
 * What concat_add() does before it keeps a part: drops every partial
 * message whose first part arrived timeout_s or more before now_ms
 * (CONCAT_EXPIRED), then, when p is neither a repeat nor the part that
 * completes its message, evicts as the limits say (see the top of this
 * file; possibly p's own message, which p then opens afresh).  Returns 0
 * when concat_add() with the same arguments will keep p and drop nothing,
 * CONCAT_DUPLICATE or CONCAT_CONFLICT when p is a repeat (counted; it is
 * not kept), or, with nothing dropped but by expiry:
 *   -EINVAL  total < 2, seq 0 or above total, len above CONCAT_PART_MAX,
 *            an invalid key (see concat_key_set()), data NULL with len > 0;
 *   -ENOSPC  p would be stored (it does not complete its message) and is
 *            alone larger than max_bytes or max_bytes_per_sender.
 * now_ms should not go backwards; if it does, expiry just happens later.
 */
int concat_prepare(struct concat *c, const struct concat_key *key, const struct concat_part *p,
		   uint64_t now_ms);

/*
 * Rebuilding from a journal: keep p as it was kept when it arrived,
 * expiring and evicting nothing (the journal says what was dropped, see
 * concat_remove()), and without looking for repeats of completed messages.
 * A part that completes its message frees it (it was processed when it
 * arrived) and is remembered as recent, as concat_add() does.  Returns
 * CONCAT_STORED, CONCAT_COMPLETE, CONCAT_DUPLICATE (its seq is held
 * already), -EINVAL as concat_prepare(), or -ENOMEM.  Call concat_rebase()
 * after the last one.
 */
int concat_restore(struct concat *c, const struct concat_key *key, const struct concat_part *p);

/* Rebuilding: drop the partial message key without reporting it (the
 * journal holds its drop).  Returns 0, or -ENOENT when none is held. */
int concat_remove(struct concat *c, const struct concat_key *key);

/*
 * After concat_restore(): put the rebuilt messages on the expiry clock,
 * now_ms being its current time and wall_ms the wall clock's.  A message
 * is as old as wall_ms minus the rx_ms of its first part says, but at
 * least 0 (a first part from the future: the wall clock was set back) and
 * at most timeout_s less min_left_ms (it had expired by the wall clock:
 * it keeps min_left_ms for the parts a sender could not deliver while the
 * caller was down); never older than a message rebuilt before it.
 * Recently completed messages are aged the same way, without min_left_ms.
 */
void concat_rebase(struct concat *c, uint64_t now_ms, int64_t wall_ms, uint64_t min_left_ms);

/*
 * Expire as concat_expire(), then evict until every limit holds (after
 * concat_restore(), or smaller limits than when the journal was written).
 * Returns how many were dropped.
 */
unsigned concat_trim(struct concat *c, uint64_t now_ms);

/* Whether concat_trim(now_ms) would drop something (a timer's question). */
bool concat_due(const struct concat *c, uint64_t now_ms);

/*
 * Drop every partial message whose first part arrived timeout_s or more
 * before now_ms, reporting each.  Returns how many were dropped.  Calling
 * it is optional (concat_add() does the same); a timer uses it to report
 * timeouts on a quiet link.
 */
unsigned concat_expire(struct concat *c, uint64_t now_ms);

/* Counters and gauges (see struct concat_stats). */
const struct concat_stats *concat_get_stats(const struct concat *c);

/* Call fn for every partial message, oldest first.  fn must not modify c. */
void concat_walk(const struct concat *c,
		 void (*fn)(void *data, const struct concat_partial *p), void *data);
