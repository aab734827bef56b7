/*
 * test_fleet — contrib/sim/fleet.c: the simulated handsets of txgw-smsc-sim.
 *
 * The fleet's claims are held to the gateway's own checks: every frame
 * goes through judge_check() (registry, signature, revocation) against the
 * registry the fleet wrote and registry_load() read back, then
 * judge_ledger() (txlog-v1.md checks 4-7), and the events must be the
 * ones the upload claims, in order, with the same details.  Honest uploads
 * must chain: each device's counters +1, balances by the type table.
 * A seeded random run mixes every anomaly.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <talloc.h>

#include "contrib/sim/fleet.h"
#include "gateway/txlog/extract.h"
#include "gateway/txlog/judge.h"
#include "gateway/txlog/ledger.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/sign.h"
#include "gateway/txlog/verify.h"

#define NOW	1795000000u
#define SKEW	86400u

struct world {
	void *ctx;
	char dir[128];
	char reg_path[160];
	char keys[160];
	struct fleet *fl;
	struct registry *reg;
	struct verifier *v;
	struct ledger *l;
};

/* A fleet written to a temporary directory and read back as the gateway
 * reads its registry. */
static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct reg_report rep = { 0 };

	w->ctx = talloc_new(NULL);
	test_mkdtemp(w->dir, sizeof(w->dir), "fx");
	snprintf(w->reg_path, sizeof(w->reg_path), "%s/registry.txt", w->dir);
	snprintf(w->keys, sizeof(w->keys), "%s/keys", w->dir);
	if (mkdir(w->keys, 0700) < 0)
		return -1;
	if (fleet_generate(w->ctx, 12, 2, 2, FLEET_MIX, test_seed(), &w->fl) < 0)
		return -1;
	w->fl->max_records = 4;
	if (fleet_write_registry(w->fl, w->reg_path, w->keys) < 0)
		return -1;
	if (registry_load(w->ctx, w->reg_path, NULL, &w->reg, &rep) != 0) {
		for (unsigned i = 0; i < rep.n_msgs; i++)
			fprintf(stderr, "%s\n", rep.msgs[i]);
		return -1;
	}
	w->v = verifier_alloc(w->ctx, 0);
	w->l = ledger_alloc(w->ctx);
	*state = w;
	return w->v && w->l ? 0 : -1;
}

static int teardown(void **state)
{
	struct world *w = *state;

	if (test_rmtree(w->dir) != 0)
		return -1;
	talloc_free(w->ctx);
	free(w);
	return 0;
}

/* The gateway's verdict on one upload must be exactly its claim. */
static void assert_claims(struct world *w, const struct fleet_upload *up)
{
	struct reg_entry entry;
	struct judge_result *r = talloc_zero(w->ctx, struct judge_result);

	r->entry = &entry;
	int rc = judge_check(w->reg, w->v, up->data, up->len, r);
	assert_true(rc >= 0);
	if (rc == 1)
		assert_int_equal(judge_ledger(w->l, r, up->src, NOW, SKEW), 0);
	assert_memory_equal(r->digest, up->digest, 32);
	assert_false(r->out.duplicate);
	assert_int_equal(r->out.n, up->n_ev);
	for (unsigned i = 0; i < up->n_ev; i++) {
		const struct txl_event *e = &r->out.ev[i];
		const struct fleet_ev *c = &up->ev[i];
		assert_int_equal(e->type, c->type);
		assert_int_equal(e->rec >= 0, c->has_counter);
		if (e->rec >= 0)
			assert_int_equal(r->f.rec[e->rec].counter, c->counter);
		switch (e->type) {
		case TXL_EV_RECORD:
			assert_false(e->late);
			assert_int_equal(r->f.rec[e->rec].type, c->rec_type);
			assert_int_equal(r->f.rec[e->rec].amount, c->amount);
			assert_int_equal(r->f.rec[e->rec].balance, c->balance);
			break;
		case TXL_EV_REJECT:
			assert_int_equal(e->reason, c->kind);
			break;
		case TXL_EV_ALERT:
			assert_int_equal(e->alert, c->kind);
			if (e->alert == TXL_AL_REPLAY) {
				assert_int_equal(e->last_upload, c->expected);
				assert_int_equal(e->got, c->got);
			} else if (e->alert == TXL_AL_MSISDN_MISMATCH) {
				assert_string_equal(e->registered, up->registered);
				assert_string_equal(e->src, up->src);
			} else if (e->alert != TXL_AL_REVOKED_DEVICE) {
				assert_int_equal(e->expected, c->expected);
				assert_int_equal(e->got, c->got);
			}
			break;
		}
	}
	talloc_free(r);
}

/* What the registry says of the fleet: ids, algs, MSISDNs, status. */
static void test_registry_written(void **state)
{
	struct world *w = *state;
	struct fleet *fl = w->fl;

	assert_int_equal(registry_count(w->reg), 14);
	for (unsigned i = 0; i < fleet_count(fl); i++) {
		const struct fleet_dev *d = &fl->dev[i];
		const struct reg_entry *e = registry_lookup(w->reg, d->id, d->key_id);
		if (d->phantom) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_int_equal(e->alg, d->alg);
		assert_int_equal(e->alg, i % 2 ? TXL_ALG_ECDSA_P256 : TXL_ALG_ED25519);
		assert_int_equal(e->revoked, d->revoked);
		assert_int_equal(d->revoked, i >= 12);
		assert_string_equal(e->msisdn, d->msisdn);
		assert_int_equal(strlen(d->msisdn), 12);
		assert_memory_equal(d->msisdn, "8869", 4);
	}
}

/* Honest uploads: every record published, none late, no alert; each
 * device's counters go up by one and its balance by the type table. */
static void test_honest_chain(void **state)
{
	struct world *w = *state;
	struct fleet *fl = w->fl;
	struct fleet_upload *up = talloc(w->ctx, struct fleet_upload);
	uint32_t last_counter[12] = { 0 }, last_balance[12], last_seq[12] = { 0 };

	for (unsigned i = 0; i < 12; i++)
		last_balance[i] = FLEET_START_BALANCE;
	for (unsigned k = 0; k < 240; k++) {
		unsigned dev = fleet_rand(fl, 12);
		assert_int_equal(fleet_upload(fl, dev, FA_NONE, NOW, up), 0);
		assert_int_equal(up->dev, dev);
		assert_true(up->f.n_records >= 1 && up->f.n_records <= 4);
		assert_int_equal(up->upload_seq, ++last_seq[dev]);
		assert_string_equal(up->src, fl->dev[dev].msisdn);
		for (unsigned i = 0; i < up->f.n_records; i++) {
			const struct txl_record *r = &up->f.rec[i];
			int eff = txl_type_effect(r->type);
			assert_int_equal(r->counter, ++last_counter[dev]);
			assert_int_equal(r->balance, (uint32_t)((int64_t)last_balance[dev] + eff * (int64_t)r->amount));
			assert_int_equal(r->currency, FLEET_CURRENCY);
			assert_int_equal(r->time, NOW);
			if (r->type == TXL_T_VOUCHER_SEND || r->type == TXL_T_VOUCHER_RECV)
				assert_int_equal(r->amount, 0);
			last_balance[dev] = r->balance;
		}
		assert_claims(w, up);
	}
	talloc_free(up);
}

/* Each anomaly, on a device the gateway already knows. */
static void test_each_anomaly(void **state)
{
	struct world *w = *state;
	struct fleet *fl = w->fl;
	struct fleet_upload *up = talloc(w->ctx, struct fleet_upload);
	const enum txl_ev_type first[FA_COUNT] = {
		[FA_MSISDN] = TXL_EV_RECORD, [FA_COUNTER_GAP] = TXL_EV_RECORD,
		[FA_BALANCE_MISMATCH] = TXL_EV_RECORD, [FA_NONE] = TXL_EV_RECORD,
		[FA_BAD_SIGNATURE] = TXL_EV_REJECT, [FA_UNKNOWN_DEVICE] = TXL_EV_REJECT,
		[FA_REPLAY] = TXL_EV_REJECT, [FA_REVOKED] = TXL_EV_REJECT,
	};

	/* a fresh device: no baseline yet for the ledger-level anomalies */
	struct fleet_dev *d0 = &fl->dev[0];
	d0->started = false;
	assert_int_equal(fleet_upload(fl, 0, FA_COUNTER_GAP, NOW, up), -EAGAIN);
	assert_int_equal(fleet_upload(fl, 0, FA_REPLAY, NOW, up), -EAGAIN);
	assert_int_equal(fleet_upload(fl, 0, FA_BALANCE_MISMATCH, NOW, up), -EAGAIN);
	assert_int_equal(fleet_upload(fl, 12, FA_NONE, NOW, up), -EINVAL);
	assert_int_equal(fleet_upload(fl, 0, FA_NONE, NOW, up), 0);
	assert_claims(w, up);
	assert_true(d0->started);

	for (unsigned a = FA_NONE; a < FA_TEXT; a++) {
		uint32_t seq = d0->upload_seq, counter = d0->counter;
		assert_int_equal(fleet_upload(fl, 0, (enum fleet_anomaly)a, NOW, up), 0);
		assert_claims(w, up);
		assert_int_equal(up->ev[0].type, first[a]);
		bool moved = a == FA_NONE || a == FA_COUNTER_GAP || a == FA_BALANCE_MISMATCH ||
			     a == FA_MSISDN;
		if (a == FA_REVOKED || a == FA_UNKNOWN_DEVICE) {
			assert_int_not_equal(up->dev, 0);
			assert_true(fl->dev[up->dev].revoked || fl->dev[up->dev].phantom);
		}
		assert_int_equal(d0->upload_seq, moved ? seq + 1 : seq);
		if (!moved)
			assert_int_equal(d0->counter, counter);
	}
	/* text: no frame, not_txlog */
	assert_int_equal(fleet_upload(fl, 3, FA_TEXT, NOW, up), 0);
	assert_true(up->text && !up->has_device);
	assert_int_equal(up->n_ev, 1);
	assert_int_equal(up->ev[0].kind, TXL_REJ_NOT_TXLOG);
	struct extract_result *xr = talloc(w->ctx, struct extract_result);
	xr->n = 0;
	extract_text(xr, (const char *)up->data, up->len);
	extract_none_is_not_txlog(xr, up->data, up->len, "none");
	assert_int_equal(xr->n, 1);
	assert_int_equal(xr->item[0].kind, EXTRACT_NOT_TXLOG);
	talloc_free(xr);
	talloc_free(up);
}

/* A seeded random stream of uploads and anomalies, claims checked. */
static void test_random_mix(void **state)
{
	struct world *w = *state;
	struct fleet *fl = w->fl;
	struct fleet_upload *up = talloc(w->ctx, struct fleet_upload);
	unsigned seen[FA_COUNT] = { 0 };

	for (unsigned k = 0; k < 600; k++) {
		enum fleet_anomaly a = fleet_rand(fl, 3) ? FA_NONE : (enum fleet_anomaly)(1 + fleet_rand(fl, FA_COUNT - 2));
		int rc = fleet_upload(fl, fleet_rand(fl, 12), a, NOW, up);
		if (rc == -EAGAIN)
			continue;
		assert_int_equal(rc, 0);
		seen[a]++;
		assert_claims(w, up);
	}
	for (unsigned a = FA_NONE; a < FA_TEXT; a++)
		assert_true(seen[a] > 0);
	talloc_free(up);
}

/* The registry the fleet wrote, loaded back with its private keys: the
 * same devices, keys that still sign what the registry verifies. */
static void test_load_written(void **state)
{
	struct world *w = *state;
	struct fleet *fl2;
	struct fleet_upload *up = talloc(w->ctx, struct fleet_upload);
	char err[256];

	assert_int_equal(fleet_load(w->ctx, w->reg_path, w->keys, 1, 7, &fl2, err, sizeof(err)), 0);
	assert_int_equal(fl2->n_active, 12);
	assert_int_equal(fl2->n_revoked, 2);
	assert_int_equal(fl2->n_phantom, 1);
	for (unsigned i = 0; i < 14; i++) {
		unsigned j;
		for (j = 0; j < 14 && w->fl->dev[j].id != fl2->dev[i].id; j++)
			;
		assert_true(j < 14);
		assert_int_equal(fl2->dev[i].revoked, w->fl->dev[j].revoked);
		assert_string_equal(fl2->dev[i].msisdn, w->fl->dev[j].msisdn);
		assert_int_equal(fl2->dev[i].alg, w->fl->dev[j].alg);
	}
	/* sign with the loaded keys: the verifier accepts (a fresh ledger) */
	ledger_free(w->l);
	w->l = ledger_alloc(w->ctx);
	for (unsigned i = 0; i < 12; i++) {
		assert_int_equal(fleet_upload(fl2, i, FA_NONE, NOW, up), 0);
		assert_claims(w, up);
	}
	/* a key file that is another device's key */
	char a[300], b[300];
	snprintf(a, sizeof(a), "%s/%016" PRIx64 "-1.key", w->keys, fl2->dev[0].id);
	snprintf(b, sizeof(b), "%s/%016" PRIx64 "-1.key", w->keys, fl2->dev[1].id);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(fleet_load(w->ctx, w->reg_path, w->keys, 0, 7, &fl2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not the key the registry lists"));
	assert_int_equal(fleet_load(w->ctx, "/nonexistent/reg", w->keys, 0, 7, &fl2, err, sizeof(err)), -ENOENT);
	talloc_free(up);
}

/* Phantoms loaded with the seed the registry was made with draw from the
 * same random stream, yet take no id and no MSISDN the registry lists (a
 * registry of 13 devices put the first phantom on the 7th device's id). */
static void test_load_phantoms_unlisted(void **state)
{
	struct world *w = *state;
	struct fleet *fl, *fl2;
	char path[300], err[256];

	snprintf(path, sizeof(path), "%s/reg13.txt", w->dir);
	assert_int_equal(fleet_generate(w->ctx, 12, 1, 0, FLEET_ED25519, 7, &fl), 0);
	assert_int_equal(fleet_write_registry(fl, path, w->keys), 0);
	assert_int_equal(fleet_load(w->ctx, path, w->keys, 3, 7, &fl2, err, sizeof(err)), 0);
	assert_int_equal(fl2->n_phantom, 3);
	for (unsigned p = 13; p < 16; p++) {
		assert_true(fl2->dev[p].phantom);
		for (unsigned i = 0; i < 13; i++) {
			assert_true(fl2->dev[p].id != fl2->dev[i].id);
			assert_string_not_equal(fl2->dev[p].msisdn, fl2->dev[i].msisdn);
		}
	}
	unlink(path);
}

/* tests/vectors/devices.txt with the keys/ folder's private keys */
static void test_load_vectors(void **state)
{
	struct world *w = *state;
	struct fleet *fl;
	char err[256];

	assert_int_equal(fleet_load(w->ctx, TESTDATA_DIR "/vectors/devices.txt", TESTDATA_DIR "/vectors/keys",
				    0, 1, &fl, err, sizeof(err)), 0);
	assert_int_equal(fl->n_active, 2);
	assert_int_equal(fl->n_revoked, 0);
	assert_int_equal(fl->dev[0].id, 0x00112233aabbccddULL);
	assert_int_equal(fl->dev[0].alg, TXL_ALG_ED25519);
	assert_string_equal(fl->dev[0].msisdn, "886912345678");
	assert_int_equal(fl->dev[1].id, 0x0a0b0c0d0e0f1011ULL);
	assert_int_equal(fl->dev[1].key_id, 3);
	assert_int_equal(fl->dev[1].alg, TXL_ALG_ECDSA_P256);
	assert_string_equal(fl->dev[1].msisdn, "");
	/* no MSISDN bound: the msisdn anomaly does not apply */
	struct fleet_upload *up = talloc(w->ctx, struct fleet_upload);
	assert_int_equal(fleet_upload(fl, 1, FA_MSISDN, NOW, up), -EAGAIN);
	assert_int_equal(fleet_upload(fl, 1, FA_NONE, NOW, up), 0);
	assert_int_equal(strlen(up->src), 12);
	fleet_free(fl);
	talloc_free(up);
}

static void test_names(void **state)
{
	for (unsigned a = 0; a < FA_COUNT; a++)
		assert_int_equal(fleet_anomaly_parse(fleet_anomaly_name((enum fleet_anomaly)a)), a);
	assert_int_equal(fleet_anomaly_parse("gap"), FA_COUNT);
	assert_string_equal(fleet_anomaly_name(FA_MSISDN), "msisdn");
}

/* The anomaly picks depend on the seed alone: draws from the fleet's
 * other generator (timing-dependent in the simulators) do not move them,
 * and an owed anomaly comes back at the next honest pick. */
static void test_pick_anomaly(void **state)
{
	double rate[FA_COUNT] = { [FA_REPLAY] = 0.25, [FA_TEXT] = 0.1 };
	enum fleet_anomaly seq[200];
	struct fleet *a, *b;
	unsigned made[FA_COUNT] = { 0 };

	assert_int_equal(fleet_generate(NULL, 1, 0, 0, FLEET_ED25519, 7, &a), 0);
	assert_int_equal(fleet_generate(NULL, 1, 0, 0, FLEET_ED25519, 7, &b), 0);
	for (unsigned i = 0; i < 200; i++) {
		seq[i] = fleet_pick_anomaly(a, rate);
		made[seq[i]]++;
		for (unsigned k = 0; k < i % 5; k++)
			fleet_rand(b, 1000);
		assert_int_equal(fleet_pick_anomaly(b, rate), seq[i]);
	}
	assert_in_range(made[FA_REPLAY], 30, 70);
	assert_in_range(made[FA_TEXT], 8, 32);
	assert_int_equal(made[FA_BAD_SIGNATURE], 0);

	/* owed: the next honest pick pays it back, and only once */
	fleet_owe(a, FA_COUNTER_GAP);
	fleet_owe(a, FA_NONE);
	unsigned got = 0;
	for (unsigned i = 0; i < 50; i++)
		got += fleet_pick_anomaly(a, rate) == FA_COUNTER_GAP;
	assert_int_equal(got, 1);
	fleet_free(a);
	fleet_free(b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_pick_anomaly),
		cmocka_unit_test_setup_teardown(test_registry_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_honest_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_anomaly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_mix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_phantoms_unlisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_vectors, setup, teardown),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
