/*
 * judge.c — checks 1-3 of doc/txlog-v1.md around the frame decoder, the
 * registry and the verifier, and the hand-over to the ledger (4-7).
 */
#include <errno.h>
#include <string.h>

#include <openssl/sha.h>

#include "gateway/txlog/judge.h"
#include "gateway/txlog/ledger.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/verify.h"

static int reject(struct judge_result *r, enum txl_reject reason, const char *error)
{
	return txl_outcome_reject(&r->out, reason, error) ? 0 : -ENOSPC;
}

int judge_check(const struct registry *reg, struct verifier *v, const uint8_t *buf, size_t len,
		struct judge_result *r)
{
	struct reg_entry *copy = r->entry;
	const struct reg_entry *e;
	int rc;

	/* reset what is read back: f is filled by the decoder (its header
	 * whenever has_device), out by txl_outcome_init() and its adds; the
	 * rest of the 11 KB result need not be cleared per frame */
	r->entry = copy;
	r->decoded = r->has_device = r->passed = false;
	r->why[0] = '\0';
	txl_outcome_init(&r->out);
	SHA256(buf, len, r->digest);

	rc = txl_frame_explain(&r->f, buf, len, r->why, sizeof(r->why));
	r->has_device = len >= TXL_HDR_LEN;
	if (rc < 0)
		return reject(r, TXL_REJ_MALFORMED, r->why);
	r->decoded = true;

	/* 1. unknown (device_id, key_id), or an algorithm the registry does not say */
	e = reg ? registry_lookup(reg, r->f.device_id, r->f.key_id) : NULL;
	if (!e)
		return reject(r, TXL_REJ_UNKNOWN_DEVICE, "device or key not in the registry");
	if (r->entry)
		*r->entry = *e;
	if (e->alg != r->f.alg)
		return reject(r, TXL_REJ_UNKNOWN_DEVICE, "algorithm differs from the registry");

	/* 2. the signature */
	rc = txl_verify_frame(v, e, r->digest, buf, r->f.signed_len, r->f.sig);
	if (rc == -EBADMSG)
		return reject(r, TXL_REJ_BAD_SIGNATURE, "signature does not verify");
	if (rc < 0)
		return rc;

	/* 3. revoked: a reject, and an alert, since a revoked element still signing
	 * is something the operation server must see */
	if (e->revoked) {
		rc = reject(r, TXL_REJ_REVOKED, "device key is revoked");
		if (rc == 0 && !txl_outcome_alert(&r->out, TXL_AL_REVOKED_DEVICE, -1))
			rc = -ENOSPC;
		return rc;
	}
	r->passed = true;
	return 1;
}

int judge_ledger(struct ledger *l, struct judge_result *r, const char *src_msisdn, int64_t now,
		 uint32_t skew_s)
{
	struct ledger_input in = {
		.f = &r->f,
		.digest = r->digest,
		.registered_msisdn = r->entry && r->entry->msisdn[0] ? r->entry->msisdn : NULL,
		.src_msisdn = src_msisdn,
		.now = now,
		.skew_s = skew_s,
	};

	if (!r->passed)
		return -EINVAL;
	return ledger_process(l, &in, &r->out);
}
