/*
 * test_verify.c — signature verification and signing (txlog-v1.md
 * "Signature"): the vectors against tests/vectors/devices.txt, signing
 * with the vector keys and with fresh ones, the key cache (a changed key
 * is never verified with the stale one), the verdict remembered for a
 * repeated frame, and the r||s -> DER conversion.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <talloc.h>

#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/sign.h"
#include "gateway/txlog/verify.h"
#include "tests/unit/txlog_vectors.h"

static struct tv_set vectors;
static void *ctx;
static struct registry *reg;

static int setup(void **state)
{
	struct reg_report rep;

	ctx = talloc_new(NULL);
	if (tv_load(&vectors) < 4)
		return -1;
	if (registry_load(ctx, TESTDATA_DIR "/vectors/devices.txt", NULL, &reg, &rep))
		return -1;
	return registry_count(reg) == 2 ? 0 : -1;
}

static int teardown(void **state)
{
	tv_free(&vectors);
	talloc_free(ctx);
	return 0;
}

/* Decode a vector's frame into buf/f; returns its length. */
static size_t vector_frame(const char *name, uint8_t *buf, struct txl_frame *f)
{
	const struct tv *v = tv_find(&vectors, name);
	int n;

	assert_non_null(v);
	n = tv_hex(v->frame, buf, TXL_MAX_LEN);
	assert_int_equal(txl_frame_decode(f, buf, (size_t)n, NULL), 0);
	return (size_t)n;
}

/* Every well-formed vector frame verifies, or not, as its "what" says;
 * three times each, so the cached key and reused contexts are exercised. */
static void test_vectors(void **state)
{
	struct verifier *v = verifier_alloc(ctx, 0);
	uint8_t buf[TXL_MAX_LEN + 8];
	uint64_t hits, misses;
	struct txl_frame f;
	int i, k, checked = 0;

	assert_non_null(v);
	for (i = 0; i < vectors.n; i++) {
		const struct tv *t = &vectors.v[i];
		const struct reg_entry *e;
		int n;

		if (!t->frame || tv_outcome(t) == TV_MALFORMED)
			continue;
		n = tv_hex(t->frame, buf, sizeof(buf));
		assert_int_equal(txl_frame_decode(&f, buf, (size_t)n, NULL), 0);
		e = registry_lookup(reg, f.device_id, f.key_id);
		assert_non_null(e);
		assert_int_equal(e->alg, f.alg);
		for (k = 0; k < 3; k++)
			assert_int_equal(txl_verify(v, e, buf, f.signed_len, f.sig),
					 tv_outcome(t) == TV_VALID ? 0 : -EBADMSG);
		checked++;
	}
	assert_int_equal(checked, 3);
	verifier_stats(v, &hits, &misses);
	assert_int_equal(misses, 2);	/* one per device */
	assert_int_equal(hits, 7);
	verifier_free(v);
}

/* Every single-bit change of the signed bytes or the signature fails. */
static void test_bit_flips(void **state)
{
	static const char *const names[] = { "frame-ed25519-1", "frame-ecdsa-3" };
	struct verifier *v = verifier_alloc(ctx, 16);
	uint8_t buf[TXL_MAX_LEN];
	struct txl_frame f;
	size_t i, n, bit;

	for (i = 0; i < 2; i++) {
		const struct reg_entry *e;

		n = vector_frame(names[i], buf, &f);
		e = registry_lookup(reg, f.device_id, f.key_id);
		/* ECDSA is slow under sanitizers: every 7th bit is plenty */
		for (bit = 0; bit < n * 8; bit += i ? 7 : 1) {
			buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
			assert_int_equal(txl_verify(v, e, buf, n - 64, buf + n - 64), -EBADMSG);
			buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
		}
		assert_int_equal(txl_verify(v, e, buf, n - 64, buf + n - 64), 0);
	}
	verifier_free(v);
}

/* ECDSA signatures out of range (r or s zero, all ones >= n) and a
 * verification with the other device's key fail cleanly. */
static void test_ecdsa_edge_signatures(void **state)
{
	struct verifier *v = verifier_alloc(ctx, 16);
	const struct reg_entry *e = registry_lookup(reg, 0x0a0b0c0d0e0f1011ULL, 3);
	const struct reg_entry *ed = registry_lookup(reg, 0x00112233aabbccddULL, 1);
	uint8_t buf[TXL_MAX_LEN], sig[64];
	struct txl_frame f;
	size_t n = vector_frame("frame-ecdsa-3", buf, &f);

	memset(sig, 0, 64);
	assert_int_equal(txl_verify(v, e, buf, n - 64, sig), -EBADMSG);
	memset(sig, 0xff, 64);
	assert_int_equal(txl_verify(v, e, buf, n - 64, sig), -EBADMSG);
	memcpy(sig, f.sig, 32);
	memset(sig + 32, 0, 32);
	assert_int_equal(txl_verify(v, e, buf, n - 64, sig), -EBADMSG);
	/* an Ed25519 frame checked against the ECDSA entry, and back */
	n = vector_frame("frame-ed25519-1", buf, &f);
	assert_int_equal(txl_verify(v, e, buf, n - 64, f.sig), -EBADMSG);
	assert_int_equal(txl_verify(v, ed, buf, n - 64, f.sig), 0);
	verifier_free(v);
}

/* Entries without a usable key are -EINVAL, not a crash. */
static void test_bad_entries(void **state)
{
	struct verifier *v = verifier_alloc(ctx, 4);
	struct reg_entry e;
	uint8_t sig[64] = { 0 };

	memset(&e, 0, sizeof(e));
	e.alg = TXL_ALG_ED25519;
	assert_int_equal(txl_verify(v, &e, (const uint8_t *)"x", 1, sig), -EINVAL);
	e.key_len = 65;
	assert_int_equal(txl_verify(v, &e, (const uint8_t *)"x", 1, sig), -EINVAL);
	e.alg = TXL_ALG_ECDSA_P256;
	e.key[0] = 4;		/* (0, 0) is not on the curve */
	assert_int_equal(txl_verify(v, &e, (const uint8_t *)"x", 1, sig), -EINVAL);
	e.alg = 9;
	assert_int_equal(txl_verify(v, &e, (const uint8_t *)"x", 1, sig), -EINVAL);
	verifier_free(v);
}

/* Signing with the vectors' private keys gives frames that verify; ECDSA
 * signatures are randomised (README), Ed25519 ones are deterministic. */
static void test_sign_with_vector_keys(void **state)
{
	static const struct {
		const char *frame, *key;
	} c[] = {
		{ "frame-ed25519-1", TESTDATA_DIR "/vectors/keys/00112233aabbccdd-1.key" },
		{ "frame-ecdsa-3", TESTDATA_DIR "/vectors/keys/0a0b0c0d0e0f1011-3.key" },
	};
	struct verifier *v = verifier_alloc(ctx, 0);
	uint8_t buf[TXL_MAX_LEN], out[TXL_MAX_LEN], raw[65];
	struct txl_signer *s;
	struct txl_frame f;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		const struct reg_entry *e;

		n = vector_frame(c[i].frame, buf, &f);
		e = registry_lookup(reg, f.device_id, f.key_id);
		assert_int_equal(txl_signer_load(ctx, c[i].key, &s), 0);
		assert_int_equal(txl_signer_alg(s), f.alg);
		assert_int_equal(txl_signer_public_raw(s, raw, sizeof(raw)), e->key_len);
		assert_memory_equal(raw, e->key, e->key_len);
		assert_int_equal(txl_frame_sign(s, &f, out, sizeof(out)), (int)n);
		assert_memory_equal(out, buf, n - 64);
		if (f.alg == TXL_ALG_ED25519)
			assert_memory_equal(out + n - 64, buf + n - 64, 64);
		else
			assert_memory_not_equal(out + n - 64, buf + n - 64, 64);
		assert_int_equal(txl_verify(v, e, out, n - 64, out + n - 64), 0);
		assert_int_equal(txl_frame_sign(s, &f, out, n - 1), -ENOSPC);
		txl_signer_free(s);
	}
	assert_int_equal(txl_signer_load(ctx, TESTDATA_DIR "/vectors/keys/none.key", &s), -ENOENT);
	assert_int_equal(txl_signer_load(ctx, TESTDATA_DIR "/vectors/keys/00112233aabbccdd-1.pem", &s),
			 -EINVAL);
	verifier_free(v);
}

/* An entry for a fresh key pair, as the registry would hold it. */
static void entry_of(struct txl_signer *s, uint64_t dev, uint8_t key_id, struct reg_entry *e)
{
	int n;

	memset(e, 0, sizeof(*e));
	e->device_id = dev;
	e->key_id = key_id;
	e->alg = txl_signer_alg(s);
	n = txl_signer_public_raw(s, e->key, sizeof(e->key));
	assert_int_equal(n, e->alg == TXL_ALG_ED25519 ? 32 : 65);
	e->key_len = (uint8_t)n;
}

/* A registry reload that gives (device, key_id) a new key: the cache must
 * not verify with the old one, and must verify with the new one. */
static void test_cache_key_change(void **state)
{
	struct verifier *v = verifier_alloc(ctx, 1);
	struct txl_signer *a, *b;
	struct reg_entry ea, eb;
	uint8_t sig[64];
	uint64_t hits, misses;
	const uint8_t msg[] = "a frame's signed bytes";
	int alg;

	for (alg = TXL_ALG_ECDSA_P256; alg <= TXL_ALG_ED25519; alg++) {
		assert_int_equal(txl_signer_generate(ctx, alg, &a), 0);
		assert_int_equal(txl_signer_generate(ctx, alg, &b), 0);
		entry_of(a, 42, 1, &ea);
		entry_of(b, 42, 1, &eb);
		assert_int_equal(txl_sign(a, msg, sizeof(msg), sig), 0);
		assert_int_equal(txl_verify(v, &ea, msg, sizeof(msg), sig), 0);
		assert_int_equal(txl_verify(v, &eb, msg, sizeof(msg), sig), -EBADMSG);
		assert_int_equal(txl_verify(v, &ea, msg, sizeof(msg), sig), 0);
		/* same key, other key_id / device: its own slot contents */
		ea.key_id = 2;
		assert_int_equal(txl_verify(v, &ea, msg, sizeof(msg), sig), 0);
		ea.device_id = 43;
		assert_int_equal(txl_verify(v, &ea, msg, sizeof(msg), sig), 0);
		txl_signer_free(a);
		txl_signer_free(b);
	}
	/* one slot: every change of entry was a miss */
	verifier_stats(v, &hits, &misses);
	assert_int_equal(hits, 0);
	assert_int_equal(misses, 10);
	verifier_free(v);
}

/* txl_verify_frame(): the last frame verified with a key gets its verdict
 * again without verifying; another frame, or another key under the same
 * (device, key_id), is verified. */
static void test_repeated_frame(void **state)
{
	struct verifier *v = verifier_alloc(ctx, 1);
	struct txl_signer *a, *b;
	struct reg_entry ea, eb;
	uint8_t sig[64], bad[64], d1[32], d2[32], d3[32];
	const uint8_t msg[] = "a frame's signed bytes", msg2[] = "another frame's";

	memset(d1, 1, 32);
	memset(d2, 2, 32);
	memset(d3, 3, 32);
	assert_int_equal(txl_signer_generate(ctx, TXL_ALG_ED25519, &a), 0);
	assert_int_equal(txl_signer_generate(ctx, TXL_ALG_ED25519, &b), 0);
	entry_of(a, 42, 1, &ea);
	entry_of(b, 42, 1, &eb);
	assert_int_equal(txl_sign(a, msg, sizeof(msg), sig), 0);
	memcpy(bad, sig, 64);
	bad[5] ^= 1;

	assert_int_equal(txl_verify_frame(v, &ea, d1, msg, sizeof(msg), sig), 0);
	assert_int_equal(verifier_repeats(v), 0);
	assert_int_equal(txl_verify_frame(v, &ea, d1, msg, sizeof(msg), sig), 0);
	assert_int_equal(verifier_repeats(v), 1);
	/* a bad signature's verdict is remembered too */
	assert_int_equal(txl_verify_frame(v, &ea, d2, msg, sizeof(msg), bad), -EBADMSG);
	assert_int_equal(txl_verify_frame(v, &ea, d2, msg, sizeof(msg), bad), -EBADMSG);
	assert_int_equal(verifier_repeats(v), 2);
	/* only the last frame: d1 is verified again, and is still good */
	assert_int_equal(txl_verify_frame(v, &ea, d1, msg, sizeof(msg), sig), 0);
	assert_int_equal(verifier_repeats(v), 2);
	/* a reload that changes the key: the same frame is verified with it */
	assert_int_equal(txl_verify_frame(v, &eb, d1, msg, sizeof(msg), sig), -EBADMSG);
	assert_int_equal(verifier_repeats(v), 2);
	/* txl_verify() remembers nothing; the slot refilled for ea knows no frame */
	assert_int_equal(txl_verify(v, &ea, msg2, sizeof(msg2), sig), -EBADMSG);
	assert_int_equal(txl_verify_frame(v, &ea, d3, msg, sizeof(msg), sig), 0);
	assert_int_equal(verifier_repeats(v), 2);
	txl_signer_free(a);
	txl_signer_free(b);
	verifier_free(v);
}

/* Seeded: frames of random content signed with fresh keys verify through
 * a small cache shared by several devices. */
static void test_random_frames(void **state)
{
	struct verifier *v = verifier_alloc(ctx, 4);
	struct txl_signer *s[6];
	struct reg_entry e[6];
	uint8_t out[TXL_MAX_LEN];
	struct txl_frame f;
	int i, iter, n;

	srand((unsigned)test_seed());
	for (i = 0; i < 6; i++) {
		assert_int_equal(txl_signer_generate(ctx, i % 2 ? TXL_ALG_ED25519 : TXL_ALG_ECDSA_P256, &s[i]), 0);
		entry_of(s[i], (uint64_t)i << 40 | 7, (uint8_t)i, &e[i]);
	}
	for (iter = 0; iter < 120; iter++) {
		int d = rand() % 6;

		memset(&f, 0, sizeof(f));
		f.version = 1;
		f.alg = e[d].alg;
		f.device_id = e[d].device_id;
		f.key_id = e[d].key_id;
		f.upload_seq = (uint32_t)iter;
		f.n_records = (uint8_t)(1 + rand() % 32);
		for (i = 0; i < f.n_records; i++) {
			f.rec[i].type = (uint8_t)(1 + rand() % 6);
			f.rec[i].amount = (uint32_t)rand();
			f.rec[i].item_len = (uint8_t)(rand() % 33);
		}
		n = txl_frame_sign(s[d], &f, out, sizeof(out));
		assert_true(n > 0);
		assert_int_equal(txl_frame_decode(&f, out, (size_t)n, NULL), 0);
		assert_int_equal(txl_verify(v, &e[d], out, f.signed_len, f.sig), 0);
		assert_int_equal(txl_verify(v, &e[(d + 2) % 6], out, f.signed_len, f.sig), -EBADMSG);
	}
	for (i = 0; i < 6; i++)
		txl_signer_free(s[i]);
	verifier_free(v);
}

/* ecdsa_p1363_to_der() agrees with OpenSSL's i2d_ECDSA_SIG() for values
 * with the top bit set, leading zero bytes, and zero. */
static void test_p1363_to_der(void **state)
{
	static const uint8_t firsts[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	uint8_t rs[64], der[72], *ref;
	size_t i, j, z;

	for (i = 0; i < sizeof(firsts); i++) {
		for (z = 0; z <= 32; z += 8) {
			ECDSA_SIG *es = ECDSA_SIG_new();
			BIGNUM *r, *s;
			int n, rn;

			for (j = 0; j < 64; j++)
				rs[j] = (uint8_t)(j * 37 + 11);
			rs[0] = firsts[i];
			memset(rs + 32, 0, z);	/* s with z leading zero bytes */
			if (z < 32)
				rs[32 + z] = firsts[(i + 2) % sizeof(firsts)];
			r = BN_bin2bn(rs, 32, NULL);
			s = BN_bin2bn(rs + 32, 32, NULL);
			ECDSA_SIG_set0(es, r, s);
			ref = NULL;
			rn = i2d_ECDSA_SIG(es, &ref);
			n = ecdsa_p1363_to_der(der, sizeof(der), rs);
			assert_int_equal(n, rn);
			assert_memory_equal(der, ref, (size_t)n);
			assert_int_equal(ecdsa_p1363_to_der(der, (size_t)n - 1, rs), -ENOSPC);
			OPENSSL_free(ref);
			ECDSA_SIG_free(es);
		}
	}
}

/* Key files written by the signer read back into a registry line. */
static void test_write_keys(void **state)
{
	char dir[128], path[256], hex[140], line[512];
	struct txl_signer *s, *t;
	struct reg_line l;
	const char *why;
	uint8_t raw[65];
	int n;

	test_mkdtemp(dir, sizeof(dir), "write_keys");
	assert_int_equal(txl_signer_generate(ctx, TXL_ALG_ECDSA_P256, &s), 0);
	snprintf(path, sizeof(path), "%s/k.key", dir);
	assert_int_equal(txl_signer_write_pem(s, path, NULL), 0);
	assert_int_equal(txl_signer_load(ctx, path, &t), 0);
	assert_int_equal(txl_signer_public_raw(t, raw, sizeof(raw)), 65);
	n = txl_signer_public_hex(s, hex, sizeof(hex));
	assert_int_equal(n, 4 + 130);
	snprintf(line, sizeof(line), "00000000000000aa 1 ecdsa-p256 - active %s", hex);
	assert_int_equal(registry_parse_line(line, strlen(line), &l, &why), 1);
	assert_memory_equal(l.e.key, raw, 65);
	assert_int_equal(txl_signer_public_hex(s, hex, 134), -ENOSPC);
	assert_int_equal(txl_signer_public_raw(s, raw, 64), -ENOSPC);
	snprintf(path, sizeof(path), "%s/none/k.key", dir);
	assert_int_equal(txl_signer_write_pem(s, path, NULL), -EIO);
	unlink(strcat(strcpy(line, dir), "/k.key"));
	rmdir(dir);
	assert_int_equal(txl_signer_generate(ctx, 7, &t), -EINVAL);
	txl_signer_free(s);
}

/* RFC 8032 §7.1 TEST 1: the seed's public key and the empty message's
 * signature. */
static void test_rfc8032_seed(void **state)
{
	static const uint8_t seed[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
		0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
	};
	static const uint8_t pub[32] = {
		0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
		0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
	};
	static const uint8_t sig0[8] = { 0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72 };
	static const uint8_t sig_end[8] = { 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b };
	struct verifier *v = verifier_alloc(ctx, 1);
	struct txl_signer *s;
	struct reg_entry e;
	uint8_t sig[64];

	assert_int_equal(txl_signer_from_seed(ctx, seed, &s), 0);
	assert_int_equal(txl_signer_alg(s), TXL_ALG_ED25519);
	entry_of(s, 1, 1, &e);
	assert_memory_equal(e.key, pub, 32);
	assert_int_equal(txl_sign(s, (const uint8_t *)"", 0, sig), 0);
	assert_memory_equal(sig, sig0, 8);
	assert_memory_equal(sig + 56, sig_end, 8);
	assert_int_equal(txl_verify(v, &e, (const uint8_t *)"", 0, sig), 0);
	txl_signer_free(s);
	verifier_free(v);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_ecdsa_edge_signatures),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_sign_with_vector_keys),
		cmocka_unit_test(test_cache_key_change),
		cmocka_unit_test(test_repeated_frame),
		cmocka_unit_test(test_random_frames),
		cmocka_unit_test(test_p1363_to_der),
		cmocka_unit_test(test_write_keys),
		cmocka_unit_test(test_rfc8032_seed),
	};

	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, setup, teardown));
}
