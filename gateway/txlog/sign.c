/*
 * sign.c — signing with OpenSSL 3 EVP (see sign.h).
 *
 * OpenSSL produces a DER ECDSA-Sig-Value; the frame carries r||s (IEEE
 * P1363), so the DER is taken apart with d2i_ECDSA_SIG().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <talloc.h>

#include "gateway/txlog/sign.h"

struct txl_signer {
	EVP_PKEY *pk;
	enum txl_alg alg;
	EVP_MD_CTX *mctx;
};

static int signer_destroy(struct txl_signer *s)
{
	EVP_MD_CTX_free(s->mctx);
	EVP_PKEY_free(s->pk);
	return 0;
}

/* Wrap pk (taking it) into a signer. */
static int signer_wrap(void *ctx, EVP_PKEY *pk, struct txl_signer **out)
{
	struct txl_signer *s;
	char group[32];

	if (EVP_PKEY_is_a(pk, "ED25519")) {
		s = talloc_zero(ctx, struct txl_signer);
		if (s)
			s->alg = TXL_ALG_ED25519;
	} else if (EVP_PKEY_is_a(pk, "EC") && EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) == 1
		   && !strcmp(group, "prime256v1")) {
		s = talloc_zero(ctx, struct txl_signer);
		if (s)
			s->alg = TXL_ALG_ECDSA_P256;
	} else {
		EVP_PKEY_free(pk);
		return -EINVAL;
	}
	if (!s) {
		EVP_PKEY_free(pk);
		return -ENOMEM;
	}
	s->pk = pk;
	talloc_set_destructor(s, signer_destroy);
	s->mctx = EVP_MD_CTX_new();
	if (!s->mctx) {
		talloc_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

int txl_signer_load(void *ctx, const char *pem_path, struct txl_signer **out)
{
	FILE *fp = fopen(pem_path, "r");
	EVP_PKEY *pk;

	if (!fp)
		return -ENOENT;
	pk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (!pk) {
		ERR_clear_error();
		return -EINVAL;
	}
	return signer_wrap(ctx, pk, out);
}

int txl_signer_generate(void *ctx, enum txl_alg alg, struct txl_signer **out)
{
	EVP_PKEY *pk;

	if (alg == TXL_ALG_ED25519)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (alg == TXL_ALG_ECDSA_P256)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	else
		return -EINVAL;
	if (!pk)
		return -ENOMEM;
	return signer_wrap(ctx, pk, out);
}

int txl_signer_from_seed(void *ctx, const uint8_t seed[32], struct txl_signer **out)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, seed, 32);

	if (!pk) {
		ERR_clear_error();
		return -EINVAL;
	}
	return signer_wrap(ctx, pk, out);
}

void txl_signer_free(struct txl_signer *s)
{
	talloc_free(s);
}

enum txl_alg txl_signer_alg(const struct txl_signer *s)
{
	return s->alg;
}

/* DER ECDSA-Sig-Value -> r||s, each left-padded to 32 bytes. */
static int der_to_p1363(const uint8_t *der, size_t len, uint8_t sig[TXL_SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	int ok;

	if (!es)
		return -EIO;
	ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32
	     && BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
	ECDSA_SIG_free(es);
	return ok ? 0 : -EIO;
}

int txl_sign(struct txl_signer *s, const uint8_t *msg, size_t len, uint8_t sig[TXL_SIG_LEN])
{
	uint8_t der[80];
	size_t der_len = sizeof(der);
	size_t sig_len = TXL_SIG_LEN;

	if (s->alg == TXL_ALG_ED25519) {
		if (EVP_DigestSignInit_ex(s->mctx, NULL, NULL, NULL, NULL, s->pk, NULL) != 1
		    || EVP_DigestSign(s->mctx, sig, &sig_len, msg, len) != 1 || sig_len != TXL_SIG_LEN)
			goto fail;
		return 0;
	}
	if (EVP_DigestSignInit_ex(s->mctx, NULL, "SHA256", NULL, NULL, s->pk, NULL) != 1
	    || EVP_DigestSign(s->mctx, der, &der_len, msg, len) != 1)
		goto fail;
	return der_to_p1363(der, der_len, sig);
fail:
	ERR_clear_error();
	return -EIO;
}

int txl_frame_sign(struct txl_signer *s, const struct txl_frame *f, uint8_t *out, size_t cap)
{
	int n = txl_frame_encode(out, cap, f);
	int rc;

	if (n < 0)
		return n;
	if (cap - (size_t)n < TXL_SIG_LEN)
		return -ENOSPC;
	rc = txl_sign(s, out, (size_t)n, out + n);
	return rc ? rc : n + TXL_SIG_LEN;
}

int txl_signer_public_raw(const struct txl_signer *s, uint8_t *out, size_t cap)
{
	size_t len = cap;
	int ok;

	if (s->alg == TXL_ALG_ED25519)
		ok = EVP_PKEY_get_raw_public_key(s->pk, out, &len);
	else
		ok = EVP_PKEY_get_octet_string_param(s->pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, cap, &len);
	if (ok != 1) {
		ERR_clear_error();
		return cap < 65 ? -ENOSPC : -EIO;
	}
	return (int)len;
}

int txl_signer_public_hex(const struct txl_signer *s, char *out, size_t cap)
{
	uint8_t raw[65];
	int n = txl_signer_public_raw(s, raw, sizeof(raw)), i;

	if (n < 0)
		return n;
	if (cap < 4 + 2 * (size_t)n + 1)
		return -ENOSPC;
	memcpy(out, "hex:", 4);
	for (i = 0; i < n; i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", raw[i]);
	return 4 + 2 * n;
}

static int write_pem(const char *path, const EVP_PKEY *pk, int private)
{
	FILE *fp = fopen(path, "w");
	int ok;

	if (!fp)
		return -EIO;
	if (private)
		ok = PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_PUBKEY(fp, pk);
	if (fclose(fp) != 0)
		ok = 0;
	return ok == 1 ? 0 : -EIO;
}

int txl_signer_write_pem(const struct txl_signer *s, const char *priv_path, const char *pub_path)
{
	if (priv_path && write_pem(priv_path, s->pk, 1))
		return -EIO;
	if (pub_path && write_pem(pub_path, s->pk, 0))
		return -EIO;
	return 0;
}
