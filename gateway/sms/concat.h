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
 * current time in milliseconds.  Re-adding the same parts with the same
 * times, in the same order, rebuilds the same state (a restart replays its
 * journal this way): expiry is applied at the start of every concat_add(),
 * so the state never depends on when a caller's timer ran concat_expire().
 *
 * Memory is bounded by a number of partial messages and of payload bytes;
 * when a new part would pass either limit the oldest partial messages (by
 * first arrival) are evicted first.  Expired and evicted messages are
 * reported through a callback with their key and the cookies of the parts
 * they held, so a caller can account for its stored inputs.
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
	uint64_t first_ms;		/* arrival time of its first part */
	size_t bytes;			/* payload bytes held */
	unsigned n_parts;		/* parts held */
	const uint8_t *seqs;		/* their seq numbers, ascending */
	const uint64_t *cookies;	/* their cookies, in the same order */
};

enum concat_drop_reason {
	CONCAT_EXPIRED,			/* older than the timeout */
	CONCAT_EVICTED,			/* pushed out by the count or byte limit */
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
 * Add part p of the message key, arriving at now_ms.  First drops every
 * partial message whose first part arrived timeout_s or more before now_ms
 * (reported as CONCAT_EXPIRED).  Then, if storing p would pass a limit,
 * evicts the oldest partial messages (possibly p's own) until it fits.
 *
 * Returns an enum concat_add_result; on CONCAT_COMPLETE *done is set to a
 * new struct concat_msg allocated under msg_ctx (under c if NULL) and the
 * partial state is freed; otherwise *done is NULL.  Errors, with nothing
 * changed but expiry:
 *   -EINVAL  total < 2, seq 0 or above total, len above CONCAT_PART_MAX,
 *            an invalid key (see concat_key_set()), data NULL with len > 0;
 *   -ENOSPC  the part is to be stored (it does not complete its message)
 *            and alone is larger than max_bytes;
 *   -ENOMEM  allocation failed.
 * now_ms should not go backwards; if it does, expiry just happens later.
 */
int concat_add(struct concat *c, const struct concat_key *key, const struct concat_part *p,
	       uint64_t now_ms, void *msg_ctx, struct concat_msg **done);

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
