/*
 * verify.h — TXLOG frame signature verification (txlog-v1.md "Signature")
 * with OpenSSL 3 EVP.
 *
 *   alg 1: ECDSA P-256 over SHA-256, the signature as r||s (IEEE P1363);
 *   alg 2: pure Ed25519 (RFC 8032).
 *
 * A verifier keeps a bounded, direct-mapped cache of parsed keys and
 * ready-to-use OpenSSL contexts, keyed by (device_id, key_id) AND the key
 * bytes, so a registry reload that changes a device's key can never verify
 * with the old one.  With each key it remembers the verdict on the last
 * frame it verified (txl_verify_frame()).  A verifier is not thread-safe:
 * one per thread.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"

#define VERIFIER_DEFAULT_SLOTS	4096

struct verifier;

/* A verifier with cache_slots cached keys (rounded up to a power of two;
 * 0 for VERIFIER_DEFAULT_SLOTS), under the talloc context ctx.  NULL when
 * out of memory.  Free with verifier_free() (or by freeing ctx). */
struct verifier *verifier_alloc(void *ctx, size_t cache_slots);
void verifier_free(struct verifier *v);

/*
 * Verify sig over msg[len] (the frame's signed bytes) with the key of e,
 * by e->alg (the caller has checked that the frame's alg is e->alg).
 * Returns 0 when it verifies, -EBADMSG when it does not, -EINVAL for an
 * entry with no usable key, -ENOMEM.  e->revoked is not looked at.
 */
int txl_verify(struct verifier *v, const struct reg_entry *e, const uint8_t *msg, size_t len,
	       const uint8_t sig[TXL_SIG_LEN]);

/*
 * txl_verify() for a whole frame whose SHA-256 is digest (msg and sig are
 * in it): when it is the last frame verified with e's key, its verdict is
 * returned again without a public-key operation.
 */
int txl_verify_frame(struct verifier *v, const struct reg_entry *e, const uint8_t digest[32],
		     const uint8_t *msg, size_t len, const uint8_t sig[TXL_SIG_LEN]);

/* Verdicts txl_verify_frame() gave again without verifying. */
uint64_t verifier_repeats(const struct verifier *v);

/* Cache hits and misses since verifier_alloc() (for benchmarks, stats). */
void verifier_stats(const struct verifier *v, uint64_t *hits, uint64_t *misses);

/*
 * The DER ECDSA-Sig-Value (RFC 3279 §2.2.3, SEQUENCE of INTEGER r, s) of a
 * 64-byte r||s signature, into out[cap] (72 bytes always suffice).
 * Returns its length, or -ENOSPC.
 */
int ecdsa_p1363_to_der(uint8_t *out, size_t cap, const uint8_t rs[64]);

/* Steps 1 to 3 of txlog-v1.md "What the gateway checks, per device", in
 * that order. */
enum txl_check {
	TXL_CHECK_OK,			/* verifies against an active key */
	TXL_CHECK_UNKNOWN_DEVICE,	/* no (device_id, key_id), or another alg */
	TXL_CHECK_BAD_SIGNATURE,
	TXL_CHECK_REVOKED,		/* verifies, but the key is revoked */
};

/*
 * Check a decoded frame f (from txl_frame_decode() over frame[]) against
 * the registry r.  Returns an enum txl_check (>= 0), *entry the registry
 * entry when there is one (else NULL); or a negative errno (-ENOMEM, or
 * -EINVAL for a registry entry without a usable key).
 */
int txl_frame_check(struct verifier *v, const struct registry *r, const struct txl_frame *f,
		    const uint8_t *frame, const struct reg_entry **entry);

/* The reason names of the bus (bus.md txlog.reject "reason"): "ok",
 * "unknown_device", "bad_signature", "revoked"; NULL for another value. */
const char *txl_check_name(int check);
