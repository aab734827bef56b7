/*
 * test_judge.c — checks 1-7 of doc/txlog-v1.md in their order, on the
 * vectors' frames and on frames signed here with the vectors' keys:
 * malformed, unknown device, algorithm mismatch, bad signature, revoked
 * (reject and alert), then the ledger: records, duplicate, replay,
 * msisdn_mismatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/talloc.h>

#include "gateway/txlog/judge.h"
#include "gateway/txlog/ledger.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/sign.h"
#include "gateway/txlog/verify.h"
#include "tests/unit/txlog_vectors.h"

#define DEV_ED 0x00112233aabbccddULL
#define DEV_EC 0x0a0b0c0d0e0f1011ULL

struct fx {
	void *ctx;
	struct tv_set tv;
	struct registry *reg;
	struct verifier *v;
	struct ledger *l;
	struct txl_signer *ed;	/* DEV_ED's key 1 */
	struct reg_entry entry;
	struct judge_result r;
};

/* text as a registry file in a directory of its own, where "keys" links
 * to the vectors' keys: the key paths of a registry are relative to it. */
static struct registry *load_registry(void *ctx, const char *text)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	test_mkdtemp(dir, sizeof(dir), "registry");
	snprintf(path, sizeof(path), "%s/keys", dir);
	assert_int_equal(symlink(TESTDATA_DIR "/vectors/keys", path), 0);
	snprintf(path, sizeof(path), "%s/devices.txt", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct registry *reg = NULL;
	struct reg_report rep = { 0 };
	int rc = registry_load(ctx, path, NULL, &reg, &rep);
	test_rmtree(dir);
	for (unsigned i = 0; i < rep.n_msgs; i++)
		print_message("%s\n", rep.msgs[i]);
	assert_int_equal(rc, 0);
	reg_report_clear(&rep);
	return reg;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	x->ctx = talloc_named_const(NULL, 0, "test_judge");
	assert_true(tv_load(&x->tv) > 0);
	x->reg = load_registry(x->ctx,
		"00112233aabbccdd 1 ed25519 886912345678 active keys/00112233aabbccdd-1.pem\n"
		"0a0b0c0d0e0f1011 3 ecdsa-p256 - active keys/0a0b0c0d0e0f1011-3.pem\n"
		"0a0b0c0d0e0f1011 4 ed25519 - active keys/00112233aabbccdd-1.pem\n"
		"00112233aabbccdd 2 ed25519 - revoked keys/00112233aabbccdd-1.pem\n");
	x->v = verifier_alloc(x->ctx, 64);
	x->l = ledger_alloc(x->ctx);
	assert_int_equal(txl_signer_load(x->ctx, TESTDATA_DIR "/vectors/keys/00112233aabbccdd-1.key", &x->ed), 0);
	x->r.entry = &x->entry;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	tv_free(&x->tv);
	txl_signer_free(x->ed);
	verifier_free(x->v);
	ledger_free(x->l);
	registry_free(x->reg);
	talloc_free(x->ctx);
	free(x);
	return 0;
}

static size_t vector_frame(struct fx *x, const char *name, uint8_t *buf)
{
	const struct tv *v = tv_find(&x->tv, name);
	assert_non_null(v);
	int n = tv_hex(v->frame, buf, TXL_MAX_LEN);
	assert_true(n > 0);
	return (size_t)n;
}

static void assert_reject(const struct judge_result *r, enum txl_reject reason, unsigned n_ev)
{
	assert_int_equal(r->out.n, n_ev);
	assert_int_equal(r->out.ev[0].type, TXL_EV_REJECT);
	assert_int_equal(r->out.ev[0].reason, reason);
	assert_non_null(r->out.ev[0].error);
	assert_false(r->passed);
}

static void valid_vector_passes(void **state)
{
	struct fx *x = *state;
	uint8_t buf[TXL_MAX_LEN];
	size_t n = vector_frame(x, "frame-ed25519-1", buf);
	char hex[65];

	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 1);
	assert_true(x->r.passed);
	assert_true(x->r.decoded);
	tv_sha256_hex(buf, n, hex);
	assert_string_equal(hex, tv_find(&x->tv, "frame-ed25519-1")->sha256);
	assert_int_equal(x->entry.device_id, DEV_ED);

	assert_int_equal(judge_ledger(x->l, &x->r, "+886912345678", (int64_t)x->r.f.created + 60, 86400), 0);
	assert_int_equal(x->r.out.n, 1);
	assert_int_equal(x->r.out.ev[0].type, TXL_EV_RECORD);
	assert_true(x->r.out.upload_accepted);

	/* the carrier delivers it again: a duplicate, nothing published */
	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 1);
	assert_int_equal(judge_ledger(x->l, &x->r, "886912345678", (int64_t)x->r.f.created + 60, 86400), 0);
	assert_true(x->r.out.duplicate);
	assert_int_equal(x->r.out.n, 0);
}

static void ecdsa_vector_passes(void **state)
{
	struct fx *x = *state;
	uint8_t buf[TXL_MAX_LEN];
	size_t n = vector_frame(x, "frame-ecdsa-3", buf);

	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 1);
	assert_int_equal(judge_ledger(x->l, &x->r, NULL, (int64_t)x->r.f.created + 60, 86400), 0);
	unsigned records = 0;
	for (unsigned i = 0; i < x->r.out.n; i++)
		records += x->r.out.ev[i].type == TXL_EV_RECORD;
	assert_int_equal(records, x->r.f.n_records);
	assert_int_equal(records, 3);
}

static void bad_signature(void **state)
{
	struct fx *x = *state;
	uint8_t buf[TXL_MAX_LEN];
	size_t n = vector_frame(x, "frame-bad-signature", buf);

	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 0);
	assert_reject(&x->r, TXL_REJ_BAD_SIGNATURE, 1);
	assert_true(x->r.has_device);
	assert_int_equal(x->r.f.device_id, DEV_ED);
}

static void malformed_names_device(void **state)
{
	struct fx *x = *state;
	uint8_t buf[TXL_MAX_LEN];
	size_t n = vector_frame(x, "frame-malformed-n0", buf);

	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 0);
	assert_reject(&x->r, TXL_REJ_MALFORMED, 1);
	assert_true(x->r.has_device);
	assert_false(x->r.decoded);
	assert_string_equal(x->r.out.ev[0].error, "n_records is 0");

	/* too short even for a header: no device */
	assert_int_equal(judge_check(x->reg, x->v, buf, 10, &x->r), 0);
	assert_reject(&x->r, TXL_REJ_MALFORMED, 1);
	assert_false(x->r.has_device);
}

/* Sign frame-ed25519-1's content again with changes, with DEV_ED's key. */
static size_t resign(struct fx *x, uint64_t dev, uint8_t key_id, uint32_t upload, uint32_t amount,
		     uint8_t *out)
{
	uint8_t buf[TXL_MAX_LEN];
	struct txl_frame f;
	size_t n = vector_frame(x, "frame-ed25519-1", buf);
	assert_int_equal(txl_frame_decode(&f, buf, n, NULL), 0);
	f.device_id = dev;
	f.key_id = key_id;
	f.upload_seq = upload;
	f.rec[0].amount = amount;
	int len = txl_frame_sign(x->ed, &f, out, TXL_MAX_LEN);
	assert_true(len > 0);
	return (size_t)len;
}

static void unknown_device_and_alg(void **state)
{
	struct fx *x = *state;
	uint8_t buf[TXL_MAX_LEN];
	size_t n = resign(x, 0x1111111111111111ULL, 1, 1, 5, buf);

	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 0);
	assert_reject(&x->r, TXL_REJ_UNKNOWN_DEVICE, 1);

	/* known device, unknown key id */
	n = resign(x, DEV_ED, 9, 1, 5, buf);
	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 0);
	assert_reject(&x->r, TXL_REJ_UNKNOWN_DEVICE, 1);

	/* DEV_EC key 3 is ECDSA in the registry: an Ed25519 frame is refused
	 * before any verification */
	n = resign(x, DEV_EC, 3, 1, 5, buf);
	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 0);
	assert_reject(&x->r, TXL_REJ_UNKNOWN_DEVICE, 1);
	assert_string_equal(x->r.out.ev[0].error, "algorithm differs from the registry");

	/* DEV_EC key 4 is that Ed25519 key: it passes */
	n = resign(x, DEV_EC, 4, 1, 5, buf);
	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 1);
}

static void revoked_rejects_and_alerts(void **state)
{
	struct fx *x = *state;
	uint8_t buf[TXL_MAX_LEN];
	size_t n = resign(x, DEV_ED, 2, 1, 5, buf);

	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 0);
	assert_reject(&x->r, TXL_REJ_REVOKED, 2);
	assert_int_equal(x->r.out.ev[1].type, TXL_EV_ALERT);
	assert_int_equal(x->r.out.ev[1].alert, TXL_AL_REVOKED_DEVICE);
	assert_int_equal(x->r.out.ev[1].rec, -1);
	/* judge_ledger refuses a frame that did not pass */
	assert_int_equal(judge_ledger(x->l, &x->r, NULL, 0, 0), -EINVAL);
}

static void replay_and_msisdn(void **state)
{
	struct fx *x = *state;
	uint8_t buf[TXL_MAX_LEN];
	size_t n = resign(x, DEV_ED, 1, 500, 5, buf);

	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 1);
	assert_int_equal(judge_ledger(x->l, &x->r, "886900000000", (int64_t)x->r.f.created + 60, 86400), 0);
	/* record, then msisdn_mismatch for the frame */
	assert_int_equal(x->r.out.n, 2);
	assert_int_equal(x->r.out.ev[1].type, TXL_EV_ALERT);
	assert_int_equal(x->r.out.ev[1].alert, TXL_AL_MSISDN_MISMATCH);
	assert_string_equal(x->r.out.ev[1].registered, "886912345678");

	/* same upload_seq, other content: reject replay and alert replay */
	n = resign(x, DEV_ED, 1, 500, 6, buf);
	assert_int_equal(judge_check(x->reg, x->v, buf, n, &x->r), 1);
	assert_int_equal(judge_ledger(x->l, &x->r, "886912345678", (int64_t)x->r.f.created + 60, 86400), 0);
	bool rej = false, alert = false;
	for (unsigned i = 0; i < x->r.out.n; i++) {
		rej |= x->r.out.ev[i].type == TXL_EV_REJECT && x->r.out.ev[i].reason == TXL_REJ_REPLAY;
		alert |= x->r.out.ev[i].type == TXL_EV_ALERT && x->r.out.ev[i].alert == TXL_AL_REPLAY;
		assert_int_not_equal(x->r.out.ev[i].type, TXL_EV_RECORD);
	}
	assert_true(rej && alert);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(valid_vector_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(ecdsa_vector_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_names_device, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_device_and_alg, setup, teardown),
		cmocka_unit_test_setup_teardown(revoked_rejects_and_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(replay_and_msisdn, setup, teardown),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
