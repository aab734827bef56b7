/*
 * judge.h — what one TXLOG frame comes to: the checks of doc/txlog-v1.md
 * ("What the gateway checks, per device") in their order.
 *
 * Two halves, so that signatures can be verified on worker threads while
 * the ledger stays on one:
 *
 *   judge_check()   decoding and checks 1-3 (registry, signature,
 *                   revocation): needs only a registry and a verifier, no
 *                   per-device state, so any thread with its own verifier
 *                   may run it;
 *   judge_ledger()  checks 4-7 on the per-device ledger: one thread, frames
 *                   of a device in arrival order.
 *
 * Both fill a struct judge_result whose outcome lists the events to
 * publish, in order (outcome.h).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/txlog/frame.h"
#include "gateway/txlog/outcome.h"

struct registry;
struct reg_entry;
struct verifier;
struct ledger;

struct judge_result {
	struct txl_frame f;		/* decoded frame; header only when malformed */
	bool decoded;			/* f holds the whole frame */
	bool has_device;		/* the header could be read: f.device_id is known */
	uint8_t digest[32];		/* SHA-256 of the whole frame */
	struct reg_entry *entry;	/* registry entry (copied: a reload may free the registry) */
	bool passed;			/* checks 1-3 passed: go on to judge_ledger() */
	char why[TXL_WHY_LEN];		/* the malformed explanation, for the reject */
	struct txl_outcome out;
};

/*
 * Decode buf/len as a frame and run checks 1-3.  r->entry must point to
 * storage for a copy of the registry entry (or be NULL: then the entry is
 * not copied).  Returns 1 when the frame passed (go on to judge_ledger()),
 * 0 when it was rejected (r->out holds the reject, and for a revoked key
 * the revoked_device alert), or a negative errno on an internal failure
 * (-ENOMEM from OpenSSL), in which case nothing was decided.
 */
int judge_check(const struct registry *reg, struct verifier *v, const uint8_t *buf, size_t len,
		struct judge_result *r);

/*
 * Checks 4-7 for a frame judge_check() passed.  src_msisdn: the SMS source
 * address, NULL for mail; now: the gateway clock (s); skew_s: clock-skew.
 * Returns 0, or a negative errno from ledger_process().
 */
int judge_ledger(struct ledger *l, struct judge_result *r, const char *src_msisdn, int64_t now,
		 uint32_t skew_s);
