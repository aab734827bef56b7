/*
 * test_engine.c — the processing core with a real journal in a temporary
 * state directory: the vectors' SMS in, acknowledgements only after the
 * sync, the bus messages read back through the replay callbacks exactly as
 * bus.md spells them, and restarts: duplicates stay duplicates, a part of
 * a concatenated SMS survives, an unfinished group is cut.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <osmocom/core/talloc.h>

#include "gateway/engine/engine.h"
#include "gateway/engine/jrec.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/crc32c.h"
#include "gateway/txlog/ledger.h"
#include "gateway/txlog/registry.h"
#include "tests/unit/log_capture.h"
#include "tests/unit/sms_from_tpdu.h"
#include "tests/unit/tpdu_vectors.h"

/* 2026-11-25T22:00:00Z: the vectors' records are from just before. */
#define RX_MS 1795644000000LL

struct fx {
	void *ctx;
	char dir[64];
	struct registry *reg;
	struct engine *e;
	int acks, nacks;
	/* messages read back by replay */
	unsigned n;
	char topic[64][32];
	char payload[64][2048];
};

static void on_ack(void *data, int status)
{
	struct fx *x = data;
	if (status == 0)
		x->acks++;
	else
		x->nacks++;
}

/* 0: signatures checked on the calling thread; 2: on worker threads */
static unsigned threads;

static int try_open_engine(struct fx *x, struct engine **e)
{
	struct engine_cfg cfg = { .gw_name = "gw-test", .state_dir = x->dir, .txlog_port = 16354,
				  .skew_s = 86400, .concat_timeout_s = 600, .journal_keep = 1000,
				  .threads = threads };
	log_capture_reset();
	return engine_open(x->ctx, &cfg, x->reg, NULL, e);
}

static struct engine *open_engine(struct fx *x)
{
	struct engine *e = NULL;
	int rc = try_open_engine(x, &e);
	if (rc < 0)
		fail_msg("engine_open: %s; logged: %s", strerror(-rc), log_captured);
	return e;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct reg_report rep = { 0 };

	x->ctx = talloc_named_const(NULL, 0, "test_engine");
	strcpy(x->dir, "/tmp/txgw-test-engine-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	assert_int_equal(registry_load(x->ctx, TESTDATA_DIR "/vectors/devices.txt", NULL, &x->reg, &rep), 0);
	x->e = open_engine(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char cmd[128];
	engine_close(x->e);
	registry_free(x->reg);
	talloc_free(x->ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

static int collect(void *arg, const char *topic, const char *payload, size_t len)
{
	struct fx *x = arg;
	if (x->n >= 64 || len >= sizeof(x->payload[0]))
		return -ENOSPC;
	snprintf(x->topic[x->n], sizeof(x->topic[0]), "%s", topic);
	memcpy(x->payload[x->n], payload, len);
	x->payload[x->n][len] = '\0';
	x->n++;
	return 0;
}

static void read_all(struct fx *x, uint64_t from)
{
	x->n = 0;
	int rc = engine_replay_ops.fetch(x->e, from, 64, collect, x);
	assert_true(rc >= 0);
}

static void send_vector(struct fx *x, size_t i, enum sms_form form)
{
	uint8_t sm[SMS_FROM_TPDU_BUF];
	struct sms_in in = { .bind = 0, .src = "+886912345678", .dst = "886900000001" };
	assert_int_equal(sms_from_tpdu(vectors[i].hex, form, &in, sm), 0);
	assert_int_equal(engine_sms(x->e, &in, RX_MS, on_ack, x), 0);
}

static unsigned count_topic(const struct fx *x, const char *topic)
{
	unsigned n = 0;
	for (unsigned i = 0; i < x->n; i++)
		n += !strcmp(x->topic[i], topic);
	return n;
}

static void acks_only_after_sync(void **state)
{
	struct fx *x = *state;
	uint64_t oldest, next;

	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(x->acks, 0);		/* not before the sync */
	engine_replay_ops.range(x->e, &oldest, &next);
	assert_int_equal(next, 1);		/* nothing synced: nothing to replay */
	assert_int_equal(engine_settle(x->e), 0);
	assert_int_equal(x->acks, 1);
	engine_replay_ops.range(x->e, &oldest, &next);
	assert_int_equal(oldest, 1);
	assert_int_equal(next, 2);
	read_all(x, 1);
	assert_int_equal(x->n, 1);
	assert_string_equal(x->topic[0], "txlog.record");
	assert_non_null(strstr(x->payload[0], "{\"v\":1,\"seq\":1,\"gw\":\"gw-test\",\"bearer\":\"sms\","
					    "\"src\":\"+886912345678\",\"rx\":\"2026-11-25T22:00:00.000Z\","
					    "\"device\":\"00112233aabbccdd\",\"key\":1,"));
}

static void all_vectors_then_restart(void **state)
{
	struct fx *x = *state;
	size_t nv = sizeof(vectors) / sizeof(vectors[0]);

	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->e), 0);
	assert_int_equal((size_t)x->acks, nv);
	read_all(x, 1);
	/* frame-ed25519-1 comes three times (binary, 7-bit, UCS-2), frame-ecdsa-3
	 * twice (binary, 7-bit): 1 + 3 records, the rest duplicates */
	assert_int_equal(count_topic(x, "txlog.record"), 4);
	assert_int_equal(x->n, 4);
	unsigned before = x->n;

	/* restart: the same SMS again are duplicates, nothing new published */
	engine_close(x->e);
	x->e = open_engine(x);
	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_SAR);
	assert_int_equal(engine_settle(x->e), 0);
	read_all(x, 1);
	assert_int_equal(x->n, before);
	for (unsigned i = 0; i < x->n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "\"seq\":%u,", i + 1);
		assert_non_null(strstr(x->payload[i], want));
	}
}

/* Part 1 of a two-part SMS in a process that then dies without closing
 * anything (no checkpoint, no clean close), part 2 after a restart. */
static void segment_survives_crash(void **state)
{
	struct fx *x = *state;
	int status;

	engine_close(x->e);
	x->e = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		x->e = open_engine(x);
		send_vector(x, 1, SMS_FORM_UDH);	/* tpdu-binary-concat part 1 */
		engine_settle(x->e);
		_exit(x->acks == 1 ? 0 : 1);		/* "kill -9": nothing closed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	x->e = open_engine(x);
	read_all(x, 1);
	assert_int_equal(x->n, 0);		/* incomplete: nothing yet */
	send_vector(x, 2, SMS_FORM_UDH);	/* part 2 */
	assert_int_equal(engine_settle(x->e), 0);
	read_all(x, 1);
	assert_int_equal(count_topic(x, "txlog.record"), 3);
}

static void human_text_is_not_txlog(void **state)
{
	struct fx *x = *state;
	const char *text = "hello, what is my balance?";
	struct sms_in in = { .src = "886912345678", .dst = "1234", .data_coding = 1,
			     .sm = (const uint8_t *)text, .sm_len = strlen(text) };

	assert_int_equal(engine_sms(x->e, &in, RX_MS, on_ack, x), 0);
	assert_int_equal(engine_settle(x->e), 0);
	read_all(x, 1);
	assert_int_equal(x->n, 1);
	assert_string_equal(x->topic[0], "txlog.reject");
	assert_non_null(strstr(x->payload[0], "\"reason\":\"not_txlog\""));
	assert_null(strstr(x->payload[0], "\"device\""));
}

/* A crash in the middle of writing an input's group: entries without
 * their COMMIT are cut at the next start, and their seq is used again. */
static void unfinished_group_is_cut(void **state)
{
	struct fx *x = *state;
	char dir[128];
	struct journal *j;
	struct journal_recovery rec;
	const char msg[] = "\x0ctxlog.record{\"v\":1,\"seq\":2}";

	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->e), 0);
	engine_close(x->e);

	snprintf(dir, sizeof(dir), "%s/journal", x->dir);
	assert_int_equal(journal_open(x->ctx, dir, NULL, &j, &rec), 0);
	assert_int_equal(journal_append(j, JREC_MSG, true, msg, sizeof(msg) - 1, NULL, NULL), 0);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_last_seq(j), 2);
	journal_close(j);

	x->e = open_engine(x);
	read_all(x, 1);
	assert_int_equal(x->n, 1);
	const char *text = "no frame here";
	struct sms_in in = { .src = "1", .dst = "2", .data_coding = 1, .sm = (const uint8_t *)text,
			     .sm_len = strlen(text) };
	assert_int_equal(engine_sms(x->e, &in, RX_MS, on_ack, x), 0);
	assert_int_equal(engine_settle(x->e), 0);
	read_all(x, 1);
	assert_int_equal(x->n, 2);
	assert_non_null(strstr(x->payload[1], "\"seq\":2,"));
	assert_string_equal(x->topic[1], "txlog.reject");
}

static uint8_t *read_ckpt(struct fx *x, size_t *len)
{
	char path[128];
	static uint8_t buf[1 << 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ledger.ckpt", x->dir);
	assert_non_null(f = fopen(path, "rb"));
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(*len > 16 + 20 && *len < sizeof(buf));
	return buf;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ledger.ckpt is "TXGWCKPT", u64 entry, then a ledger snapshot: written as
 * version 2 (CRC-32C); a version 1 checkpoint (CRC-32 of IEEE 802.3), as
 * txgw wrote before, still starts the engine with its state. */
static void checkpoint_versions(void **state)
{
	struct fx *x = *state;
	size_t nv = sizeof(vectors) / sizeof(vectors[0]), len;
	char path[128];
	uint8_t *p;
	FILE *f;

	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->e), 0);
	engine_close(x->e);		/* writes the checkpoint */
	x->e = NULL;

	p = read_ckpt(x, &len);
	uint8_t *snap = p + 16;
	size_t slen = len - 16;
	assert_memory_equal(p, "TXGWCKPT", 8);
	assert_memory_equal(snap, "TXLEDGER\0\2", 10);
	assert_int_equal(crc32c(0, snap, slen - 4), get_u32(snap + slen - 4));

	/* the same checkpoint as the old code wrote it */
	snap[9] = 1;
	uint32_t c = ledger_crc32_v1(snap, slen - 4);
	uint8_t crc[4] = { c >> 24, c >> 16, c >> 8, c };
	memcpy(snap + slen - 4, crc, 4);
	snprintf(path, sizeof(path), "%s/ledger.ckpt", x->dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);

	x->e = open_engine(x);
	assert_true(log_capture_has("ledger.ckpt: 2 devices"));
	/* the ledger came from it (the journal's entries up to its entry are
	 * not applied again): the same frames are duplicates */
	read_all(x, 1);
	unsigned before = x->n;
	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_SAR);
	assert_int_equal(engine_settle(x->e), 0);
	read_all(x, 1);
	assert_int_equal(x->n, before);

	/* and the next checkpoint is version 2 again */
	engine_close(x->e);
	x->e = NULL;
	p = read_ckpt(x, &len);
	assert_int_equal(p[16 + 9], 2);
	assert_int_equal(crc32c(0, p + 16, len - 20), get_u32(p + len - 4));
	x->e = open_engine(x);
}

/*
 * A registry swapped while signature checks are in flight (gw.c's reload):
 * after engine_set_registry() returns the caller frees the old one, so no
 * task may be handed to a worker with it afterwards.  The two-part SMS
 * waits behind the single one; its frame is dispatched when the single
 * one's check is delivered, which engine_set_registry()'s drain does: with
 * the new registry (that lacks its device), so unknown_device.
 */
static void registry_swap_in_flight(void **state)
{
	struct fx *x = *state;
	struct registry *nr = NULL;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/other.txt", x->dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("0000000000000001 1 ed25519 - active hex:"
	      "0000000000000000000000000000000000000000000000000000000000000000\n", f);
	fclose(f);
	assert_int_equal(registry_load(x->ctx, path, NULL, &nr, NULL), 0);

	send_vector(x, 0, SMS_FORM_UDH);	/* 00112233aabbccdd, checked now */
	send_vector(x, 1, SMS_FORM_UDH);	/* 0a0b0c0d0e0f1011, two parts */
	send_vector(x, 2, SMS_FORM_UDH);
	engine_set_registry(x->e, nr);
	registry_free(x->reg);
	x->reg = nr;
	assert_int_equal(engine_settle(x->e), 0);
	read_all(x, 1);
	assert_string_equal(x->topic[0], "txlog.record");
	if (threads) {
		assert_int_equal(x->n, 2);
		assert_string_equal(x->topic[1], "txlog.reject");
		assert_non_null(strstr(x->payload[1], "\"reason\":\"unknown_device\""));
	} else {
		/* inline, the frame was checked inside engine_sms(): 3 records */
		assert_int_equal(count_topic(x, "txlog.record"), 4);
	}
}

/* A state the engine cannot start on: the errno comes back, the reason
 * is in the log (where the daemon's operator reads it), nothing is open. */
static void open_refused(void **state)
{
	struct fx *x = *state;
	struct engine *e = NULL;
	char path[128];
	FILE *f;

	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->e), 0);
	engine_close(x->e);
	x->e = NULL;

	snprintf(path, sizeof(path), "%s/ledger.ckpt", x->dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("TXGWCKPT but not a checkpoint", f);
	fclose(f);
	assert_int_equal(try_open_engine(x, &e), -EIO);	/* too short for a ledger */
	assert_null(e);
	assert_true(log_capture_has("/ledger.ckpt: corrupt: refusing to start on a bad checkpoint"));
	assert_int_equal(unlink(path), 0);

	/* a file where the journal's directory should be */
	char jdir[128], moved[140];
	snprintf(jdir, sizeof(jdir), "%s/journal", x->dir);
	snprintf(moved, sizeof(moved), "%s.away", jdir);
	assert_int_equal(rename(jdir, moved), 0);
	assert_non_null(f = fopen(jdir, "w"));
	fclose(f);
	assert_int_equal(try_open_engine(x, &e), -ENOTDIR);
	assert_null(e);
	assert_true(log_capture_has("/journal: cannot open the journal: Not a directory"));
	assert_int_equal(unlink(jdir), 0);
	assert_int_equal(rename(moved, jdir), 0);

	/* put right, it opens with what was there */
	x->e = open_engine(x);
	read_all(x, 1);
	assert_int_equal(x->n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(acks_only_after_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(all_vectors_then_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(segment_survives_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(human_text_is_not_txlog, setup, teardown),
		cmocka_unit_test_setup_teardown(unfinished_group_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(checkpoint_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(registry_swap_in_flight, setup, teardown),
	};
	log_capture_start(NULL);
	int failed = cmocka_run_group_tests_name("inline checks", tests, NULL, NULL);
	threads = 2;
	failed += cmocka_run_group_tests_name("2 worker threads", tests, NULL, NULL);
	return failed;
}
