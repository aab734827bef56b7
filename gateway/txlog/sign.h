/*
 * sign.h — signing TXLOG frames (txlog-v1.md "Signature"), for the
 * simulators, the test-vector tools and the tests.  The gateway itself
 * never signs.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "gateway/txlog/frame.h"

struct txl_signer;

/* Load a PKCS#8 private key (PEM, unencrypted): Ed25519 or EC P-256.
 * 0 and *out (under talloc ctx), -ENOENT (cannot open), -EINVAL (not such
 * a key). */
int txl_signer_load(void *ctx, const char *pem_path, struct txl_signer **out);

/* Generate a fresh key pair for alg.  0, -EINVAL (alg), -ENOMEM. */
int txl_signer_generate(void *ctx, enum txl_alg alg, struct txl_signer **out);

/* An Ed25519 signer from its 32-byte private key (the RFC 8032 §5.1.5
 * seed): simulators derive many device keys from one secret this way
 * instead of storing them.  0, -EINVAL, -ENOMEM. */
int txl_signer_from_seed(void *ctx, const uint8_t seed[32], struct txl_signer **out);

void txl_signer_free(struct txl_signer *s);

enum txl_alg txl_signer_alg(const struct txl_signer *s);

/* Sign msg[len] into sig[64]: ECDSA over SHA-256 as r||s (P1363), or pure
 * Ed25519.  0, or -EIO when OpenSSL fails. */
int txl_sign(struct txl_signer *s, const uint8_t *msg, size_t len, uint8_t sig[TXL_SIG_LEN]);

/* Encode f (its alg should be the signer's), sign it, and write the whole
 * frame into out[cap].  Returns the frame length, or a negative errno. */
int txl_frame_sign(struct txl_signer *s, const struct txl_frame *f, uint8_t *out, size_t cap);

/* The raw public key (32 bytes Ed25519, or 65 bytes 04||x||y) into
 * out[cap].  Returns its length, or -ENOSPC / -EIO. */
int txl_signer_public_raw(const struct txl_signer *s, uint8_t *out, size_t cap);

/* Write the private key (PKCS#8 PEM) and/or the public key (SubjectPublic-
 * KeyInfo PEM) to files; either path may be NULL.  0 or -EIO. */
int txl_signer_write_pem(const struct txl_signer *s, const char *priv_path, const char *pub_path);

/* "hex:" and the raw public key in lower-case hex, NUL-terminated, into
 * out[cap] (140 bytes suffice): the registry's inline key field.
 * Returns its length, or -ENOSPC / -EIO. */
int txl_signer_public_hex(const struct txl_signer *s, char *out, size_t cap);
