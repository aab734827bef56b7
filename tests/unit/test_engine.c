/*
 * test_engine.c — the processing core with a real journal in a temporary
 * state directory: the vectors' SMS in, acknowledgements only after the
 * sync, the bus messages read back through the replay callbacks exactly as
 * bus.md spells them, and restarts: duplicates stay duplicates, a part of
 * a concatenated SMS survives, an unfinished group is cut.  Incomplete
 * concatenations on fake clocks: a drop is a journaled incomplete reject
 * that a restart neither loses nor repeats, expiry follows the monotonic
 * clock, not the wall clock, and one sender's flood evicts only its own.
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
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "gateway/engine/engine.h"
#include "gateway/engine/jrec.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/crc32c.h"
#include "gateway/txlog/ledger.h"
#include "gateway/lib/counters.h"
#include "gateway/txlog/registry.h"
#include "tests/unit/engine_fixture.h"
#include "tests/unit/log_capture.h"
#include "tests/unit/sms_from_tpdu.h"
#include "tests/unit/tpdu_vectors.h"

/* 2026-11-25T22:00:00Z: the vectors' records are from just before. */
#define RX_MS 1795644000000LL

struct fx {
	struct efx f;		/* the engine, its journal, the bus read back */
	int acks, nacks;
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
/* checkpoint-every of the next engine opened (0: the default) */
static uint64_t ckpt_every;

/* The fake clocks of the tests that set use_fake (ms). */
static int64_t fake_wall, fake_mono;
static bool use_fake;
static size_t max_partial;		/* 0: the engine's default */

static int64_t fake_clock(clockid_t id)
{
	return id == CLOCK_MONOTONIC ? fake_mono : fake_wall;
}

static int try_open_engine(struct fx *x, struct engine **e)
{
	struct engine_cfg cfg;

	efx_cfg(&x->f, &cfg);
	cfg.threads = threads;
	cfg.concat_max_partial = max_partial;
	cfg.clock_ms = use_fake ? fake_clock : NULL;
	cfg.checkpoint_every = ckpt_every;
	log_capture_reset();
	return engine_open(x->f.ctx, &cfg, x->f.reg, x->f.ctrs, e);
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

	use_fake = false;
	max_partial = 0;
	fake_wall = RX_MS;
	fake_mono = 1000;
	efx_init(&x->f, "test_engine", TESTDATA_DIR "/vectors/devices.txt");
	test_mkdtemp(x->f.dir, sizeof(x->f.dir), "fx");
	x->f.e = open_engine(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	efx_fini(&x->f);
	assert_int_equal(test_rmtree(x->f.dir), 0);
	free(x);
	return 0;
}

static void send_vector(struct fx *x, size_t i, enum sms_form form)
{
	uint8_t sm[SMS_FROM_TPDU_BUF];
	struct sms_in in = { .bind = 0, .src = "+886912345678", .dst = "886900000001" };
	assert_int_equal(sms_from_tpdu(vectors[i].hex, form, &in, sm), 0);
	assert_int_equal(engine_sms(x->f.e, &in, RX_MS, on_ack, x), 0);
}

static unsigned count_topic(const struct fx *x, const char *topic)
{
	unsigned n = 0;
	for (unsigned i = 0; i < x->f.n; i++)
		n += !strcmp(x->f.topic[i], topic);
	return n;
}

static void acks_only_after_sync(void **state)
{
	struct fx *x = *state;
	uint64_t oldest, next;

	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(x->acks, 0);		/* not before the sync */
	engine_replay_ops.range(x->f.e, &oldest, &next);
	assert_int_equal(next, 1);		/* nothing synced: nothing to replay */
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal(x->acks, 1);
	engine_replay_ops.range(x->f.e, &oldest, &next);
	assert_int_equal(oldest, 1);
	assert_int_equal(next, 2);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	assert_string_equal(x->f.topic[0], "txlog.record");
	assert_non_null(strstr(x->f.payload[0], "{\"v\":1,\"seq\":1,\"gw\":\"gw-test\",\"bearer\":\"sms\","
					    "\"src\":\"+886912345678\",\"rx\":\"2026-11-25T22:00:00.000Z\","
					    "\"device\":\"00112233aabbccdd\",\"key\":1,"));
}

static void all_vectors_then_restart(void **state)
{
	struct fx *x = *state;
	size_t nv = sizeof(vectors) / sizeof(vectors[0]);

	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal((size_t)x->acks, nv);
	efx_read(&x->f, 1);
	/* frame-ed25519-1 comes three times (binary, 7-bit, UCS-2), frame-ecdsa-3
	 * twice (binary, 7-bit): 1 + 3 records, the rest duplicates */
	assert_int_equal(count_topic(x, "txlog.record"), 4);
	assert_int_equal(x->f.n, 4);
	unsigned before = x->f.n;

	/* restart: the same SMS again are duplicates, nothing new published */
	engine_close(x->f.e);
	x->f.e = open_engine(x);
	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_SAR);
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, before);
	for (unsigned i = 0; i < x->f.n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "\"seq\":%u,", i + 1);
		assert_non_null(strstr(x->f.payload[i], want));
	}
}

/* Part 1 of a two-part SMS in a process that then dies without closing
 * anything (no checkpoint, no clean close), part 2 after a restart. */
static void segment_survives_crash(void **state)
{
	struct fx *x = *state;
	int status;

	engine_close(x->f.e);
	x->f.e = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		x->f.e = open_engine(x);
		send_vector(x, 1, SMS_FORM_UDH);	/* tpdu-binary-concat part 1 */
		engine_settle(x->f.e);
		_exit(x->acks == 1 ? 0 : 1);		/* "kill -9": nothing closed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	x->f.e = open_engine(x);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 0);		/* incomplete: nothing yet */
	send_vector(x, 2, SMS_FORM_UDH);	/* part 2 */
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(count_topic(x, "txlog.record"), 3);
}

static void human_text_is_not_txlog(void **state)
{
	struct fx *x = *state;
	const char *text = "hello, what is my balance?";
	struct sms_in in = { .src = "886912345678", .dst = "1234", .data_coding = 1,
			     .sm = (const uint8_t *)text, .sm_len = strlen(text) };

	assert_int_equal(engine_sms(x->f.e, &in, RX_MS, on_ack, x), 0);
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	assert_string_equal(x->f.topic[0], "txlog.reject");
	assert_non_null(strstr(x->f.payload[0], "\"reason\":\"not_txlog\""));
	assert_null(strstr(x->f.payload[0], "\"device\""));
}

/* A crash in the middle of writing an input's group: entries without
 * their COMMIT are cut at the next start, and their seq is used again. */
static void unfinished_group_is_cut(void **state)
{
	struct fx *x = *state;
	char dir[144];
	struct journal *j;
	struct journal_recovery rec;
	const char msg[] = "\x0ctxlog.record{\"v\":1,\"seq\":2}";

	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->f.e), 0);
	engine_close(x->f.e);

	snprintf(dir, sizeof(dir), "%s/journal", x->f.dir);
	assert_int_equal(journal_open(x->f.ctx, dir, NULL, &j, &rec), 0);
	assert_int_equal(journal_append(j, JREC_MSG, true, msg, sizeof(msg) - 1, NULL, NULL), 0);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_last_seq(j), 2);
	journal_close(j);

	x->f.e = open_engine(x);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	const char *text = "no frame here";
	struct sms_in in = { .src = "1", .dst = "2", .data_coding = 1, .sm = (const uint8_t *)text,
			     .sm_len = strlen(text) };
	assert_int_equal(engine_sms(x->f.e, &in, RX_MS, on_ack, x), 0);
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 2);
	assert_non_null(strstr(x->f.payload[1], "\"seq\":2,"));
	assert_string_equal(x->f.topic[1], "txlog.reject");
}

static uint8_t *read_ckpt(struct fx *x, size_t *len)
{
	char path[256];
	static uint8_t buf[1 << 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ledger.ckpt", x->f.dir);
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
	char path[256];
	uint8_t *p;
	FILE *f;

	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->f.e), 0);
	engine_close(x->f.e);		/* writes the checkpoint */
	x->f.e = NULL;

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
	snprintf(path, sizeof(path), "%s/ledger.ckpt", x->f.dir);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);

	x->f.e = open_engine(x);
	assert_true(log_capture_has("ledger.ckpt: 2 devices"));
	/* the ledger came from it (the journal's entries up to its entry are
	 * not applied again): the same frames are duplicates */
	efx_read(&x->f, 1);
	unsigned before = x->f.n;
	for (size_t i = 0; i < nv; i++)
		send_vector(x, i, SMS_FORM_SAR);
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, before);

	/* and the next checkpoint is version 2 again */
	engine_close(x->f.e);
	x->f.e = NULL;
	p = read_ckpt(x, &len);
	assert_int_equal(p[16 + 9], 2);
	assert_int_equal(crc32c(0, p + 16, len - 20), get_u32(p + len - 4));
	x->f.e = open_engine(x);
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
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/other.txt", x->f.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("0000000000000001 1 ed25519 - active hex:"
	      "0000000000000000000000000000000000000000000000000000000000000000\n", f);
	fclose(f);
	assert_int_equal(registry_load(x->f.ctx, path, NULL, &nr, NULL), 0);

	send_vector(x, 0, SMS_FORM_UDH);	/* 00112233aabbccdd, checked now */
	send_vector(x, 1, SMS_FORM_UDH);	/* 0a0b0c0d0e0f1011, two parts */
	send_vector(x, 2, SMS_FORM_UDH);
	engine_set_registry(x->f.e, nr);
	registry_free(x->f.reg);
	x->f.reg = nr;
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_string_equal(x->f.topic[0], "txlog.record");
	if (threads) {
		assert_int_equal(x->f.n, 2);
		assert_string_equal(x->f.topic[1], "txlog.reject");
		assert_non_null(strstr(x->f.payload[1], "\"reason\":\"unknown_device\""));
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
	char path[256];
	FILE *f;

	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->f.e), 0);
	engine_close(x->f.e);
	x->f.e = NULL;

	snprintf(path, sizeof(path), "%s/ledger.ckpt", x->f.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("TXGWCKPT but not a checkpoint", f);
	fclose(f);
	assert_int_equal(try_open_engine(x, &e), -EIO);	/* too short for a ledger */
	assert_null(e);
	assert_true(log_capture_has("/ledger.ckpt: corrupt: refusing to start on a bad checkpoint"));
	assert_int_equal(unlink(path), 0);

	/* a file where the journal's directory should be */
	char jdir[256], moved[270];
	snprintf(jdir, sizeof(jdir), "%s/journal", x->f.dir);
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
	x->f.e = open_engine(x);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
}

/* ---- incomplete concatenations ---- */

/* A vector's part at the fake wall clock's time. */
static void send_vector_now(struct fx *x, size_t i, const char *src)
{
	uint8_t sm[SMS_FROM_TPDU_BUF];
	struct sms_in in = { .bind = 0, .src = src, .dst = "886900000001" };
	assert_int_equal(sms_from_tpdu(vectors[i].hex, SMS_FORM_UDH, &in, sm), 0);
	assert_int_equal(engine_sms(x->f.e, &in, fake_wall, on_ack, x), 0);
}

/* Advance both clocks by ms, as time passes. */
static void pass(int64_t ms)
{
	fake_wall += ms;
	fake_mono += ms;
}

static void tick(struct fx *x)
{
	engine_tick(x->f.e);
	assert_int_equal(engine_settle(x->f.e), 0);
}

static struct engine_info info(const struct fx *x)
{
	struct engine_info ei;
	engine_get_info(x->f.e, &ei);
	return ei;
}

/* The incomplete reject of part 1 of tpdu-binary-concat: its 128 bytes. */
static void assert_incomplete_part1(const struct fx *x, unsigned i, const char *why)
{
	assert_string_equal(x->f.topic[i], "txlog.reject");
	assert_non_null(strstr(x->f.payload[i], "\"bearer\":\"sms\",\"src\":\"+886912345678\","
					       "\"rx\":\"2026-11-25T22:00:00.000Z\",\"reason\":\"incomplete\","
					       "\"raw\":\"AQEKCwwNDg8QEQMAAAABaSYJ+AMAAAAIAmkmB6gDhQAATiAAARFw"));
	assert_non_null(strstr(x->f.payload[i], "\"error\":\"part 1 of 2 received; "));
	assert_non_null(strstr(x->f.payload[i], why));
	assert_null(strstr(x->f.payload[i], "\"device\""));
}

/* Part 1 is published as incomplete exactly ms from now: not a
 * millisecond before. */
static void dropped_after(struct fx *x, int64_t ms)
{
	pass(ms - 1);
	tick(x);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 0);
	pass(1);
	tick(x);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	assert_incomplete_part1(x, 0, "; concat-timeout 600 s passed\"");
}

/* The engine on the fake clocks (max_partial as set), part 1 of
 * tpdu-binary-concat acknowledged. */
static void reopen_part1(struct fx *x)
{
	engine_close(x->f.e);
	use_fake = true;
	x->f.e = open_engine(x);
	send_vector_now(x, 1, "+886912345678");
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal(x->acks, 1);
}

/* concat-timeout passes on the monotonic clock: part 1 is published as an
 * incomplete reject, journaled like any bus message; part 2 later is a new
 * partial message, not a completion. */
static void timeout_is_incomplete_reject(void **state)
{
	struct fx *x = *state;

	reopen_part1(x);
	dropped_after(x, 600000);
	assert_non_null(strstr(x->f.payload[0], "\"seq\":1,"));
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_SMS_CONCAT_TIMEOUTS), 1);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_TXLOG_REJECTS), 1);
	assert_int_equal(info(x).partial, 0);
	tick(x);			/* nothing more is due: no empty group */
	send_vector_now(x, 2, "+886912345678");
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	assert_int_equal(info(x).partial, 1);
}

/* The wall clock steps an hour ahead 2.5 s after part 1: nothing expires,
 * part 2 completes the message. */
static void wall_step_expires_nothing(void **state)
{
	struct fx *x = *state;

	reopen_part1(x);
	fake_mono += 2500;
	fake_wall += 3600000;
	tick(x);
	send_vector_now(x, 2, "+886912345678");
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(count_topic(x, "txlog.record"), 3);
	assert_int_equal(count_topic(x, "txlog.reject"), 0);
	assert_int_equal(x->acks, 2);
}

/* Child: part 1, then (drop) the timeout's reject, synced; then dies
 * without closing anything. */
static void crash_after(struct fx *x, bool drop)
{
	int status;

	engine_close(x->f.e);
	x->f.e = NULL;
	use_fake = true;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		x->f.e = open_engine(x);
		send_vector_now(x, 1, "+886912345678");
		engine_settle(x->f.e);
		if (drop) {
			pass(600000);
			engine_tick(x->f.e);
			engine_settle(x->f.e);
		}
		_exit(x->acks == 1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (drop)
		pass(600000);
}

/* The drop was journaled: a restart neither brings the message back nor
 * publishes its reject again. */
static void drop_survives_crash(void **state)
{
	struct fx *x = *state;

	crash_after(x, true);
	x->f.e = open_engine(x);
	assert_int_equal(info(x).partial, 0);
	pass(3600000);
	tick(x);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	assert_incomplete_part1(x, 0, "concat-timeout 600 s passed");
}

/* A crash with part 1 held: rebuilt, and though the wall clock says it
 * expired while the gateway was down, it keeps 60 s for its part 2. */
static void rebuilt_partial_keeps_a_minute(void **state)
{
	struct fx *x = *state;

	crash_after(x, false);
	fake_wall += 2 * 3600000;	/* down for two hours */
	fake_mono = 5;			/* and the machine rebooted */
	x->f.e = open_engine(x);
	assert_int_equal(info(x).partial, 1);
	dropped_after(x, 60000);
}

/* One part of a 2-part message under a 16-bit reference from src. */
static void send_part(struct fx *x, const char *src, uint16_t ref, const char *text)
{
	uint8_t sm[64] = { 6, 0x08, 4, (uint8_t)(ref >> 8), (uint8_t)ref, 2, 1 };
	size_t n = strlen(text);
	struct sms_in in = { .src = src, .dst = "886900000001", .esm_class = 0x40, .data_coding = 4,
			     .sm = sm, .sm_len = 7 + n };
	memcpy(sm + 7, text, n);
	assert_int_equal(engine_sms(x->f.e, &in, fake_wall, on_ack, x), 0);
}

static int count_cb(void *arg, const char *topic, const char *payload, size_t len)
{
	unsigned *n = arg;
	n[0]++;
	n[1] += strstr(payload, "\"reason\":\"incomplete\"") && strstr(payload, "sender over its budget of 16");
	n[2] += !strcmp(topic, "txlog.record");
	return 0;
}

/*
 * The audit's flood through the engine: part 1 of a legitimate upload is
 * acknowledged, then another sender opens 10,000 one-part messages, over
 * the global limit (1000 here).  The flooder's own messages are evicted
 * (16 kept), each published as an incomplete reject; the legitimate
 * message completes.
 */
static void flood_evicts_only_its_own(void **state)
{
	struct fx *x = *state;
	unsigned n[3] = { 0 };
	uint64_t from = 1;
	int rc;

	max_partial = 1000;
	reopen_part1(x);
	for (unsigned i = 0; i < 10000; i++) {
		send_part(x, "886955500001", (uint16_t)i, "flood");
		if (i % 500 == 499)
			assert_int_equal(engine_settle(x->f.e), 0);
	}
	send_vector_now(x, 2, "+886912345678");
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal(x->acks, 10002);
	while ((rc = engine_replay_ops.fetch(x->f.e, from, 1000, count_cb, n)) > 0)
		from += (uint64_t)rc;
	assert_int_equal(rc, 0);
	assert_int_equal(n[2], 3);		/* the legitimate upload's records */
	assert_int_equal(n[1], 10000 - 16);	/* one reject per evicted message */
	assert_int_equal(n[0], 3 + 10000 - 16);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_SMS_CONCAT_EVICTED), 10000 - 16);
	assert_int_equal(info(x).partial, 16);
}

/* The same concatenated upload delivered twice: its records once, the
 * second copy's parts counted as duplicate parts (and not journaled). */
static void duplicate_parts_counted(void **state)
{
	struct fx *x = *state;

	for (unsigned round = 0; round < 2; round++) {
		send_vector(x, 1, SMS_FORM_UDH);
		send_vector(x, 2, SMS_FORM_UDH);
	}
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal(x->acks, 4);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 3);
	assert_int_equal(count_topic(x, "txlog.record"), 3);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_SMS_DUPLICATE_PARTS), 2);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_TXLOG_DUPLICATES), 0);
}

/* Part 1 again with other bytes while its message is open: the first copy
 * stays, the second is published as incomplete (it was acknowledged). */
static void conflicting_part_is_rejected(void **state)
{
	struct fx *x = *state;

	send_part(x, "886955500001", 7, "one");
	send_part(x, "886955500001", 7, "two");
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	assert_non_null(strstr(x->f.payload[0], "\"src\":\"886955500001\""));
	assert_non_null(strstr(x->f.payload[0], "\"reason\":\"incomplete\",\"raw\":\"dHdv\","
					    "\"error\":\"part 1 of 2 received; came again with other "
					    "bytes while its message was open: the first copy kept\""));
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_SMS_DUPLICATE_PARTS), 0);
	assert_int_equal(info(x).partial, 1);
}

static int sms_of(size_t i, struct sms_in *in, uint8_t *sm)
{
	*in = (struct sms_in){ .bind = 0, .src = "+886912345678", .dst = "886900000001" };
	return sms_from_tpdu(vectors[i].hex, SMS_FORM_UDH, in, sm);
}

#define DEV_X 0x00112233aabbccddull	/* vector 0, one part */
#define DEV_Y 0x0a0b0c0d0e0f1011ull	/* vectors 1 and 2, two parts */

/* No room half-way through an input's group: that input and every one
 * after it get a temporary error, the engine checks until there is room,
 * then cuts what was not synced, rebuilds from the journal and goes on.
 * The upload refused half-way is not in the ledger (its retry is new, not
 * a duplicate), and the part of a concatenation taken before is kept. */
static void no_room_then_resume(void **state)
{
	struct fx *x = *state;
	uint8_t sm[SMS_FROM_TPDU_BUF];
	struct engine_info ei;
	struct sms_in in;

	send_vector(x, 1, SMS_FORM_UDH);	/* Y part 1: SEGMENT, COMMIT */
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal(x->acks, 1);

	efx_faults.err = ENOSPC;
	efx_faults.writes_left = 1;			/* X: its LEDGER entry, not its MSG */
	send_vector(x, 0, SMS_FORM_UDH);
	engine_settle(x->f.e);
	assert_int_equal(x->acks, 1);
	assert_int_equal(x->nacks, 1);
	engine_get_info(x->f.e, &ei);
	assert_string_equal(ei.state, "waiting");
	assert_int_equal(ei.failed, -ENOSPC);
	assert_true(log_capture_has("journal cannot take input: No space left on device"));
	assert_int_equal(sms_of(0, &in, sm), 0);
	assert_int_equal(engine_sms(x->f.e, &in, RX_MS, on_ack, x), -ENOSPC);	/* at the door */
	assert_int_equal(engine_probe(x->f.e), -ENOSPC);	/* still no room */
	engine_get_info(x->f.e, &ei);
	assert_int_equal(ei.refused, 1);

	efx_faults.writes_left = -1;			/* room again */
	assert_int_equal(engine_probe(x->f.e), 0);
	engine_get_info(x->f.e, &ei);
	assert_string_equal(ei.state, "ok");
	assert_int_equal(ei.failed, 0);
	assert_true(log_capture_has("journal takes input again"));
	assert_true(log_capture_has("1 incomplete messages"));

	send_vector(x, 0, SMS_FORM_UDH);	/* the retry: published now */
	send_vector(x, 2, SMS_FORM_UDH);	/* Y part 2 completes the message */
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal(x->acks, 3);
	efx_read(&x->f, 1);
	assert_int_equal(count_topic(x, "txlog.record"), 4);
	assert_int_equal(x->f.n, 4);
	assert_non_null(strstr(x->f.payload[0], "\"seq\":1,"));
	assert_non_null(strstr(x->f.payload[0], "\"device\":\"00112233aabbccdd\""));
	assert_non_null(strstr(x->f.payload[3], "\"seq\":4,"));
}

/* A failed fdatasync (EIO): down for good, nothing resumes it; at the
 * close, what was not synced is cut, so the next start opens what is
 * durable. */
static void io_error_stays_down(void **state)
{
	struct fx *x = *state;
	uint8_t sm[SMS_FROM_TPDU_BUF];
	struct engine_info ei;
	struct sms_in in;

	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_faults.sync_err = EIO;
	send_vector(x, 1, SMS_FORM_UDH);
	engine_settle(x->f.e);
	assert_int_equal(x->nacks, 1);
	efx_faults.sync_err = 0;
	engine_get_info(x->f.e, &ei);
	assert_string_equal(ei.state, "failed");
	assert_int_equal(ei.failed, -EIO);
	assert_true(log_capture_has("journal failed: Input/output error"));
	assert_true(log_capture_has("not resuming by itself"));
	assert_int_equal(engine_probe(x->f.e), -EIO);
	assert_int_equal(sms_of(0, &in, sm), 0);
	assert_int_equal(engine_sms(x->f.e, &in, RX_MS, on_ack, x), -EIO);

	engine_close(x->f.e);
	x->f.e = open_engine(x);
	engine_get_info(x->f.e, &ei);
	assert_string_equal(ei.state, "ok");
	send_vector(x, 2, SMS_FORM_UDH);	/* part 1 was cut: part 2 alone waits */
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
	engine_get_info(x->f.e, &ei);
	assert_int_equal(ei.partial, 1);
}

/* No room for even the first segment at start-up: the engine opens down,
 * refuses input, and opens the journal once there is room. */
static void opened_without_room(void **state)
{
	struct fx *x = *state;
	uint8_t sm[SMS_FROM_TPDU_BUF];
	struct engine_info ei;
	struct sms_in in;
	uint64_t oldest, next;
	char jdir[256];

	engine_close(x->f.e);
	snprintf(jdir, sizeof(jdir), "%s/journal", x->f.dir);
	test_rmtree(jdir);
	efx_faults.err = EDQUOT;
	efx_faults.writes_left = 0;
	x->f.e = open_engine(x);
	engine_get_info(x->f.e, &ei);
	assert_string_equal(ei.state, "waiting");
	assert_int_equal(ei.failed, -EDQUOT);
	assert_int_equal(ei.last_seq, 0);
	engine_replay_ops.range(x->f.e, &oldest, &next);
	assert_int_equal(oldest, 1);
	assert_int_equal(next, 1);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 0);
	assert_int_equal(sms_of(0, &in, sm), 0);
	assert_int_equal(engine_sms(x->f.e, &in, RX_MS, on_ack, x), -EDQUOT);
	assert_int_equal(engine_probe(x->f.e), -EDQUOT);

	efx_faults.writes_left = -1;
	assert_int_equal(engine_probe(x->f.e), 0);
	send_vector(x, 0, SMS_FORM_UDH);
	assert_int_equal(engine_settle(x->f.e), 0);
	efx_read(&x->f, 1);
	assert_int_equal(x->f.n, 1);
}

/* A checkpoint holds the ledger as of the sync it is written after, not
 * what was journaled while that sync ran (which a crash or a failed sync
 * may still lose). */
static void checkpoint_of_sync_point(void **state)
{
	struct fx *x = *state;
	struct ledger_dev_state st;
	struct ledger *l;
	size_t len;
	uint8_t *p;

	if (threads)
		skip();		/* the groups must be journaled on this thread, now */
	engine_close(x->f.e);
	ckpt_every = 1;
	x->f.e = open_engine(x);
	ckpt_every = 0;
	assert_int_equal(engine_async_sync(x->f.e), 0);
	send_vector(x, 0, SMS_FORM_UDH);	/* X: journaled */
	assert_int_equal(engine_flush(x->f.e), 0);	/* its sync runs in the background */
	send_vector(x, 1, SMS_FORM_UDH);	/* Y: journaled while it runs */
	send_vector(x, 2, SMS_FORM_UDH);
	for (int i = 0; i < 100 && x->acks < 1; i++)
		osmo_select_main(0);
	assert_int_equal(x->acks, 1);		/* X's sync is done, Y's not collected */

	p = read_ckpt(x, &len);
	assert_non_null(l = ledger_alloc(x->f.ctx));
	assert_int_equal(ledger_restore(l, p + 16, len - 16), 0);
	assert_int_equal(ledger_get(l, DEV_X, &st), 0);
	assert_int_equal(ledger_get(l, DEV_Y, &st), -ENOENT);
	ledger_free(l);
	assert_int_equal(engine_settle(x->f.e), 0);
	assert_int_equal(x->acks, 3);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(acks_only_after_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(all_vectors_then_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(segment_survives_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(human_text_is_not_txlog, setup, teardown),
		cmocka_unit_test_setup_teardown(unfinished_group_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(checkpoint_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(timeout_is_incomplete_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(wall_step_expires_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(drop_survives_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(rebuilt_partial_keeps_a_minute, setup, teardown),
		cmocka_unit_test_setup_teardown(flood_evicts_only_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(duplicate_parts_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(conflicting_part_is_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(no_room_then_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(io_error_stays_down, setup, teardown),
		cmocka_unit_test_setup_teardown(opened_without_room, setup, teardown),
		cmocka_unit_test_setup_teardown(checkpoint_of_sync_point, setup, teardown),
		cmocka_unit_test_setup_teardown(registry_swap_in_flight, setup, teardown),
	};
	log_capture_start(NULL);
	test_args(argc, argv);
	int failed = cmocka_run_group_tests_name("inline checks", tests, NULL, NULL);
	threads = 2;
	failed += cmocka_run_group_tests_name("2 worker threads", tests, NULL, NULL);
	return test_done(failed);
}
