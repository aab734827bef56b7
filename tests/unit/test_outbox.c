/*
 * test_outbox.c — the downlink's outbox (gateway/engine/outbox.h) inside an
 * engine with a real journal in a temporary state directory, a fake bearer
 * and a fake wall clock: SEND answered QUEUED only after the sync, with the
 * seq of its queued message; idempotence by id; every ERROR reason of
 * downlink.md; the submission only after the DL_ATTEMPT sync; submitted,
 * delivered (receipts for every part), failed (permanent, receipt,
 * expired); retries backing off 5 s, 10 s ...; and restarts: what was
 * queued comes back, a submission whose answer was not journaled is
 * counted as resubmitted, receipts still match, an id still answers its
 * first seq, a destination's counter goes on.  Bus messages are read back
 * through the replay callbacks.  The request parser's rules and the DL_*
 * records alone are test_outbox_req.c.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <cmocka.h>

#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/bus/bus_msg_downlink.h"
#include "gateway/engine/engine.h"
#include "gateway/engine/outbox.h"
#include "gateway/journal/journal.h"
#include "gateway/lib/counters.h"
#include "gateway/txlog/registry.h"
#include "tests/unit/engine_fixture.h"
#include "tests/unit/log_capture.h"

#define T0 1795644000000LL	/* 2026-11-25T22:00:00.000Z */
#define KEY "hex:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"

static int64_t fake_now = T0;

static int64_t now_ms(void)
{
	return fake_now;
}

#define MAX_ANS 16
#define MAX_TAKEN 40

struct fx {
	struct efx f;		/* the engine, its journal, the bus read back */
	struct outbox *ob;
	/* answers */
	unsigned n_ans, n_queued;
	char ans[MAX_ANS][3][80];
	/* the fake bearer */
	bool available;
	unsigned room;			/* messages it holds at most */
	unsigned held;			/* taken, no result yet */
	unsigned n_taken;
	struct ob_msg *taken[MAX_TAKEN];
	struct ob_item item[MAX_TAKEN];
	int receipt_acks;
};

static bool b_available(void *data)
{
	return ((struct fx *)data)->available;
}

static unsigned b_room(void *data)
{
	struct fx *x = data;
	return x->room > x->held ? x->room - x->held : 0;
}

static int b_submit(void *data, struct ob_msg *m, const struct ob_item *it)
{
	struct fx *x = data;

	assert_true(x->n_taken < MAX_TAKEN);
	x->taken[x->n_taken] = m;
	x->item[x->n_taken] = *it;
	x->n_taken++;
	x->held++;
	return 0;
}

static unsigned b_parts(void *data, size_t len)
{
	return len <= 133 ? 1 : (unsigned)((len + 127) / 128);
}

static const struct outbox_bearer_ops bearer = {
	.available = b_available, .room = b_room, .submit = b_submit, .parts = b_parts,
};

static void on_answer(void *data, const char *verb, const char *id, const char *detail)
{
	struct fx *x = data;

	if (!strcmp(verb, "QUEUED"))
		x->n_queued++;
	if (x->n_ans >= MAX_ANS) {
		x->n_ans++;	/* counted, not kept */
		return;
	}
	snprintf(x->ans[x->n_ans][0], 80, "%s", verb);
	snprintf(x->ans[x->n_ans][1], 80, "%s", id);
	snprintf(x->ans[x->n_ans][2], 80, "%s", detail);
	x->n_ans++;
}

static void on_receipt_ack(void *data, int status)
{
	struct fx *x = data;
	assert_int_equal(status, 0);
	x->receipt_acks++;
}

/* Let the loop run: zero timers (flush, the outbox's pump) and syncs. */
static void spin(struct fx *x)
{
	for (int i = 0; i < 30; i++) {
		osmo_timers_prepare();
		osmo_timers_update();
		engine_flush(x->f.e);
	}
}

static void open_engine(struct fx *x)
{
	struct engine_cfg cfg;
	struct outbox_cfg oc = { .max_age_s = 3600, .now_ms = now_ms };

	efx_cfg(&x->f, &cfg);
	log_capture_reset();
	if (engine_open(x->f.ctx, &cfg, x->f.reg, x->f.ctrs, &x->f.e) < 0)
		fail_msg("engine_open: %s", log_captured);
	x->ob = engine_outbox(x->f.e);
	outbox_configure(x->ob, &oc);
	outbox_set_bearer(x->ob, OB_SMS, &bearer, x);
}

static void write_registry(struct fx *x, char *path, size_t cap)
{
	snprintf(path, cap, "%s/devices.txt", x->f.dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "1122334455667788 1 ed25519 886955500001 active %s\n"
		   "2222222222222222 1 ed25519 886955500002 revoked %s\n"
		   "3333333333333333 1 ed25519 - active %s\n"
		   "4444444444444444 1 ed25519 886955500004 revoked %s\n"
		   "4444444444444444 2 ed25519 886955500044 active %s\n", KEY, KEY, KEY, KEY, KEY);
	fclose(f);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char path[192];

	strcpy(x->f.dir, "/tmp/txgw-test-outbox-XXXXXX");
	assert_non_null(mkdtemp(x->f.dir));
	write_registry(x, path, sizeof(path));
	efx_init(&x->f, "test_outbox", path);
	x->available = true;
	x->room = 4;
	fake_now = T0;
	open_engine(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char cmd[192];

	efx_fini(&x->f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->f.dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

static void restart(struct fx *x)
{
	spin(x);
	engine_close(x->f.e);
	x->n_taken = 0;
	x->held = 0;
	open_engine(x);
}

static void send(struct fx *x, const char *json)
{
	outbox_request(x->ob, json, strlen(json), on_answer, x);
}

#define expect_answer(x, i, verb, id, detail) expect_answer_at(x, i, verb, id, detail, __LINE__)

static void expect_answer_at(struct fx *x, unsigned i, const char *verb, const char *id,
			     const char *detail, int line)
{
	if (i >= x->n_ans || strcmp(x->ans[i][0], verb) || strcmp(x->ans[i][1], id) ||
	    strcmp(x->ans[i][2], detail))
		fail_msg("line %d: answer %u: want %s %s %s, got %s %s %s (%u answers)", line, i, verb,
			 id, detail, i < x->n_ans ? x->ans[i][0] : "-", i < x->n_ans ? x->ans[i][1] : "-",
			 i < x->n_ans ? x->ans[i][2] : "-", x->n_ans);
}

/* The bus from seq 1 on: the downlink's messages only. */
static void read_bus(struct fx *x)
{
	efx_read(&x->f, 1);
	for (unsigned i = 0; i < x->f.n; i++)
		assert_string_equal(x->f.topic[i], BUS_TOPIC_DOWNLINK);
}

static void result(struct fx *x, unsigned i, enum ob_result_kind kind, const char *id0, const char *id1,
		   const char *error, bool lost)
{
	const char *ids[2] = { id0, id1 };
	struct ob_result r = { .kind = kind, .n_ids = id1 ? 2 : id0 ? 1 : 0, .ids = ids,
			       .error = error, .answer_lost = lost };
	x->held--;
	outbox_result(x->ob, x->taken[i], &r);
}

static const char *pl134(void)
{
	/* 134 bytes of 0x00 in base64: two parts */
	static char b[200];
	memset(b, 'A', 180);
	strcpy(b + 176, "AAA=");
	return b;
}

/* ---- the tests ---- */

/* QUEUED after the sync with the queued message's seq; the bearer gets it
 * after its DL_ATTEMPT sync; submitted, published with the message ids. */
static void test_queued_submitted(void **state)
{
	struct fx *x = *state;

	send(x, "{\"id\":\"a-1\",\"msisdn\":\"+886912345678\",\"payload\":\"3q2+7w==\"}");
	assert_int_equal(x->n_ans, 0);
	spin(x);
	expect_answer(x, 0, "QUEUED", "a-1", "1");
	assert_int_equal(x->n_taken, 1);
	assert_string_equal(x->item[0].id, "a-1");
	assert_int_equal(x->item[0].queued, 1);
	assert_string_equal(x->item[0].to, "+886912345678");
	assert_int_equal(x->item[0].len, 4);
	assert_memory_equal(x->item[0].payload, "\xde\xad\xbe\xef", 4);
	assert_false(x->item[0].receipt);
	assert_int_equal(x->item[0].attempt, 1);
	fake_now += 1500;
	result(x, 0, OB_RES_SUBMITTED, "smsc-7", NULL, NULL, false);
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 2);
	assert_string_equal(x->f.payload[0], "{\"v\":1,\"seq\":1,\"gw\":\"gw-test\",\"bearer\":\"sms\",\"id\":\"a-1\","
			    "\"queued\":1,\"to\":\"+886912345678\",\"state\":\"queued\",\"parts\":1,"
			    "\"at\":\"2026-11-25T22:00:00.000Z\"}");
	assert_string_equal(x->f.payload[1], "{\"v\":1,\"seq\":2,\"gw\":\"gw-test\",\"bearer\":\"sms\",\"id\":\"a-1\","
			    "\"queued\":1,\"to\":\"+886912345678\",\"state\":\"submitted\",\"parts\":1,"
			    "\"message_ids\":[\"smsc-7\"],\"at\":\"2026-11-25T22:00:01.500Z\"}");
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_QUEUED), 1);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_SUBMITTED), 1);
	struct outbox_info oi;
	outbox_get_info(x->ob, &oi);
	assert_int_equal(oi.pending, 0);
}

/* The same id again: before the sync it waits for it, after it answers at
 * once; never a second queued message. */
static void test_idempotent(void **state)
{
	struct fx *x = *state;
	const char *req = "{\"id\":\"dup\",\"device\":\"1122334455667788\",\"payload\":\"AAAA\"}";

	send(x, req);
	send(x, req);
	assert_int_equal(x->n_ans, 0);
	spin(x);
	expect_answer(x, 0, "QUEUED", "dup", "1");
	expect_answer(x, 1, "QUEUED", "dup", "1");
	/* another request under the same id, another address: still the first */
	send(x, "{\"id\":\"dup\",\"msisdn\":\"1\",\"payload\":\"AAAA\"}");
	expect_answer(x, 2, "QUEUED", "dup", "1");
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 1);
	assert_non_null(strstr(x->f.payload[0], "\"to\":\"886955500001\",\"device\":\"1122334455667788\""));
	assert_true(x->item[0].from_device);
}

/* Every ERROR reason, and nothing queued for any. */
static void test_refusals(void **state)
{
	struct fx *x = *state;
	static const struct {
		const char *json, *id, *reason;
	} cases[] = {
		{ "{", "", "bad_request" },
		{ "[]", "", "bad_request" },
		{ "{\"id\":\"r1\",\"msisdn\":\"1\",\"payload\":\"AAAA\",\"x\":1}", "r1", "bad_request" },
		{ "{\"id\":\"r2\",\"msisdn\":1,\"payload\":\"AAAA\"}", "r2", "bad_request" },
		{ "{\"id\":\"r3\",\"payload\":\"AAAA\"}", "r3", "bad_request" },
		{ "{\"id\":\"r4\",\"msisdn\":\"1\",\"mail\":\"a@b\",\"payload\":\"AAAA\"}", "r4", "bad_request" },
		{ "{\"id\":\"r 5\",\"msisdn\":\"1\",\"payload\":\"AAAA\"}", "", "bad_request" },
		{ "{\"id\":\"r6\",\"id\":\"r6\",\"msisdn\":\"1\",\"payload\":\"AAAA\"}", "", "bad_request" },
		{ "{\"id\":\"r7\",\"device\":\"11223344556677\",\"payload\":\"AAAA\"}", "r7", "bad_request" },
		{ "{\"id\":\"r8\",\"msisdn\":\"+12a\",\"payload\":\"AAAA\"}", "r8", "bad_request" },
		{ "{\"id\":\"r9\",\"mail\":\"no-at-sign\",\"payload\":\"AAAA\"}", "r9", "bad_request" },
		{ "{\"id\":\"r10\",\"msisdn\":\"1\",\"payload\":\"\"}", "r10", "bad_request" },
		{ "{\"id\":\"r11\",\"msisdn\":\"1\",\"payload\":\"AA A\"}", "r11", "bad_request" },
		{ "{\"id\":\"r12\",\"msisdn\":\"1\",\"payload\":\"AAAA\",\"receipt\":\"yes\"}", "r12", "bad_request" },
		{ "{\"id\":\"r13\",\"msisdn\":\"1\",\"payload\":\"AAAA\",\"expires\":\"2026-02-30T00:00:00Z\"}", "r13", "bad_request" },
		{ "{\"id\":\"r14\",\"msisdn\":\"1\",\"payload\":\"AAAA\",\"expires\":\"2026-11-25T22:00:00+01:00\"}", "r14", "bad_request" },
		{ "{\"id\":\"r15\",\"device\":\"9999999999999999\",\"payload\":\"AAAA\"}", "r15", "unknown_device" },
		{ "{\"id\":\"r16\",\"device\":\"2222222222222222\",\"payload\":\"AAAA\"}", "r16", "revoked" },
		{ "{\"id\":\"r17\",\"device\":\"3333333333333333\",\"payload\":\"AAAA\"}", "r17", "no_address" },
		{ "{\"id\":\"r18\",\"mail\":\"ops@txlog.example\",\"payload\":\"AAAA\"}", "r18", "no_bearer" },
		{ "{\"id\":\"r19\",\"msisdn\":\"1\",\"payload\":\"AAAAAAAAAAAAAAAA\",\"receipt\":1}", "r19", "bad_request" },
	};
	char big[1500];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x->n_ans = 0;
		send(x, cases[i].json);
		if (x->n_ans != 1 || strcmp(x->ans[0][0], "ERROR") || strcmp(x->ans[0][1], cases[i].id) ||
		    strcmp(x->ans[0][2], cases[i].reason))
			fail_msg("%s: got %s %s %s", cases[i].json, x->ans[0][0], x->ans[0][1], x->ans[0][2]);
	}
	/* 1,001 bytes by SMS: too_large */
	memset(big, 'A', 1336);
	big[1336] = '\0';
	memcpy(big + 1332, "AAA=", 4);	/* 333 x 3 + 2 = 1,001 bytes */
	char req[1600];
	snprintf(req, sizeof(req), "{\"id\":\"r20\",\"msisdn\":\"1\",\"payload\":\"%s\"}", big);
	x->n_ans = 0;
	send(x, req);
	expect_answer(x, 0, "ERROR", "r20", "too_large");
	/* no bind can transmit */
	x->available = false;
	x->n_ans = 0;
	send(x, "{\"id\":\"r21\",\"msisdn\":\"1\",\"payload\":\"AAAA\"}");
	expect_answer(x, 0, "ERROR", "r21", "no_bearer");
	/* the active line of a device whose other line is revoked */
	x->available = true;
	x->n_ans = 0;
	send(x, "{\"id\":\"r22\",\"device\":\"4444444444444444\",\"payload\":\"AAAA\"}");
	spin(x);
	expect_answer(x, 0, "QUEUED", "r22", "1");
	assert_string_equal(x->item[0].to, "886955500044");
	read_bus(x);
	assert_int_equal(x->f.n, 1);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_REFUSED), 23);
}

/* OB_MAX_JOURNALING requests waiting for their sync: the next one is
 * unavailable; once synced, all are queued. */
static void test_unavailable(void **state)
{
	struct fx *x = *state;
	char req[128];

	x->room = 0;
	for (unsigned i = 0; i <= OB_MAX_JOURNALING; i++) {
		snprintf(req, sizeof(req), "{\"id\":\"u%u\",\"msisdn\":\"1\",\"payload\":\"AAAA\"}", i);
		send(x, req);
	}
	assert_int_equal(x->n_ans, 1);
	expect_answer(x, 0, "ERROR", "u10000", "unavailable");
	spin(x);
	assert_int_equal(x->n_queued, OB_MAX_JOURNALING);
	struct outbox_info oi;
	outbox_get_info(x->ob, &oi);
	assert_int_equal(oi.pending, OB_MAX_JOURNALING);
	assert_int_equal(oi.journaling, 0);
}

static unsigned b_parts_mail(void *data, size_t len)
{
	return 1;
}

static const struct outbox_bearer_ops mail_bearer = {
	.available = b_available, .room = b_room, .submit = b_submit, .parts = b_parts_mail,
};

/* The payloads held in memory have a budget (outbox_cfg.max_payload_bytes,
 * OB_MAX_PAYLOAD_BYTES by default): 100,000 pending mails of 64 KiB would
 * have been 6.5 GB.  Past it SEND is unavailable; once messages end, it is
 * taken again. */
static void test_payload_budget(void **state)
{
	struct fx *x = *state;
	struct outbox_cfg oc = { .max_age_s = 3600, .now_ms = now_ms,
				 .max_payload_bytes = 4 * (OB_MAIL_PAYLOAD_MAX - 1) };
	size_t b64 = (OB_MAIL_PAYLOAD_MAX - 1) / 3 * 4;	/* 65,535 bytes, no padding */
	char *req = malloc(b64 + 128), id[16];
	struct outbox_info oi;

	assert_non_null(req);
	outbox_configure(x->ob, &oc);
	outbox_set_bearer(x->ob, OB_SMTP, &mail_bearer, x);
	x->room = 0;
	for (unsigned i = 0; i < 6; i++) {
		int n = snprintf(req, 128, "{\"id\":\"big%u\",\"mail\":\"a@b.example\",\"payload\":\"", i);
		memset(req + n, 'A', b64);
		strcpy(req + n + b64, "\"}");
		if (i == 5) {
			/* all of them expire: their payloads are dropped */
			fake_now += 3601 * 1000LL;
			outbox_tick(x->ob);
			spin(x);
			outbox_get_info(x->ob, &oi);
			assert_int_equal(oi.payload_bytes, 0);
		}
		send(x, req);
		spin(x);
		if (i == 3) {
			outbox_get_info(x->ob, &oi);
			assert_int_equal(oi.payload_bytes, 4 * (OB_MAIL_PAYLOAD_MAX - 1));
		}
	}
	free(req);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "big%u", i);
		expect_answer(x, i, "QUEUED", id, x->ans[i][2]);
	}
	expect_answer(x, 4, "ERROR", "big4", "unavailable");
	expect_answer(x, 5, "QUEUED", "big5", x->ans[5][2]);
}

/* 200 requests whose expires is past: each fails "expired" (on the bus,
 * counted), and the log gets one line for them, not 200. */
static void test_expired_log_rate(void **state)
{
	struct fx *x = *state;
	char req[160];
	unsigned lines = 0;

	x->room = 10;
	log_capture_reset();
	for (unsigned i = 0; i < 200; i++) {
		snprintf(req, sizeof(req), "{\"id\":\"e%u\",\"msisdn\":\"886912345678\","
			 "\"payload\":\"AAAA\",\"expires\":\"2020-01-01T00:00:00Z\"}", i);
		send(x, req);
		spin(x);
	}
	assert_int_equal(x->n_queued, 200);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_FAILED), 200);
	for (const char *p = log_captured; (p = strstr(p, "expired before it could be submitted")); p++)
		lines++;
	assert_int_equal(lines, 1);
}

/* Temporary failures back off 5 s, 10 s; a permanent one fails it. */
static void test_retry_then_fail(void **state)
{
	struct fx *x = *state;

	send(x, "{\"id\":\"t\",\"msisdn\":\"886912345678\",\"payload\":\"AAAA\"}");
	spin(x);
	assert_int_equal(x->n_taken, 1);
	result(x, 0, OB_RES_TEMPORARY, NULL, NULL, "ESME_RTHROTTLED", false);
	fake_now += 4900;
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 1);
	fake_now += 200;
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 2);
	assert_int_equal(x->item[1].attempt, 2);
	result(x, 1, OB_RES_TEMPORARY, NULL, NULL, "no answer", true);
	fake_now += 9900;
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 2);
	fake_now += 200;
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 3);
	/* the answer to the second was lost: the third may be a repeat */
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_RESUBMITTED), 1);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_RETRIES), 2);
	result(x, 2, OB_RES_PERMANENT, NULL, NULL, "ESME_RINVDSTADR (0x0000000b)", false);
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 2);
	assert_non_null(strstr(x->f.payload[1], "\"state\":\"failed\",\"parts\":1,"
				       "\"error\":\"ESME_RINVDSTADR (0x0000000b)\""));
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_FAILED), 1);
}

/* expires passed before the submission: failed "expired" (once the
 * bearer has room, or by the tick without it). */
static void test_expiry(void **state)
{
	struct fx *x = *state;

	send(x, "{\"id\":\"old\",\"msisdn\":\"1\",\"payload\":\"AAAA\",\"expires\":\"2026-11-25T21:59:59.999Z\"}");
	spin(x);
	expect_answer(x, 0, "QUEUED", "old", "1");
	assert_int_equal(x->n_taken, 0);
	x->room = 0;
	send(x, "{\"id\":\"later\",\"msisdn\":\"1\",\"payload\":\"AAAA\",\"expires\":\"2026-11-25T22:00:10Z\"}");
	/* max-age (3600 s) for one without expires */
	send(x, "{\"id\":\"aged\",\"msisdn\":\"1\",\"payload\":\"AAAA\"}");
	spin(x);
	fake_now += 10000;
	outbox_tick(x->ob);
	spin(x);
	fake_now += 3600 * 1000;
	outbox_tick(x->ob);
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 6);
	assert_non_null(strstr(x->f.payload[1], "\"id\":\"old\",\"queued\":1,\"to\":\"1\",\"state\":\"failed\""));
	assert_non_null(strstr(x->f.payload[1], "\"error\":\"expired\""));
	assert_non_null(strstr(x->f.payload[4], "\"id\":\"later\""));
	assert_non_null(strstr(x->f.payload[4], "\"error\":\"expired\",\"at\":\"2026-11-25T22:00:10.000Z\""));
	assert_non_null(strstr(x->f.payload[5], "\"id\":\"aged\""));
	assert_non_null(strstr(x->f.payload[5], "\"error\":\"expired\""));
	assert_int_equal(x->n_taken, 0);
}

/* Receipts: a part at a time, journaled (the SMSC answered after the
 * sync), delivered once both came; unmatched; UNDELIV fails it. */
static void test_receipts(void **state)
{
	struct fx *x = *state;
	struct ob_receipt r = { .message_id = "p1", .kind = OB_RCPT_DELIVERED, .stat = "DELIVRD", .err = "000" };

	send(x, "{\"id\":\"rc\",\"msisdn\":\"1\",\"payload\":\"AAAA\",\"receipt\":true}");
	spin(x);
	assert_true(x->item[0].receipt);
	result(x, 0, OB_RES_SUBMITTED, "p0", "p1", NULL, false);
	/* before its submitted group is synced, a receipt matches already */
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	assert_int_equal(x->receipt_acks, 0);
	spin(x);
	assert_int_equal(x->receipt_acks, 1);
	/* the same part again: nothing to journal */
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);
	r.message_id = "nope";
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED), 1);
	r.message_id = "p0";
	r.kind = OB_RCPT_OTHER;
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);
	r.kind = OB_RCPT_DELIVERED;
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	spin(x);
	/* a second message fails by receipt */
	send(x, "{\"id\":\"rf\",\"msisdn\":\"2\",\"payload\":\"AAAA\",\"receipt\":true}");
	spin(x);
	result(x, 1, OB_RES_SUBMITTED, "q0", NULL, NULL, false);
	struct ob_receipt u = { .message_id = "q0", .kind = OB_RCPT_FAILED, .stat = "UNDELIV", .err = "001" };
	assert_int_equal(outbox_receipt(x->ob, &u, on_receipt_ack, x), 0);
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 6);
	assert_non_null(strstr(x->f.payload[2], "\"state\":\"delivered\",\"parts\":1,\"message_ids\":[\"p0\",\"p1\"]"));
	assert_non_null(strstr(x->f.payload[5], "\"id\":\"rf\""));
	assert_non_null(strstr(x->f.payload[5], "\"state\":\"failed\",\"parts\":1,\"message_ids\":[\"q0\"],"
				       "\"error\":\"receipt UNDELIV err:001\""));
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_DELIVERED), 1);
	assert_int_equal(x->receipt_acks, 3);
}

/* An SMSC whose message ids name nothing (OsmoMSC answers every submit_sm
 * "msg_id_not_implemented", its receipts say "id:00000001", its row in
 * its database): a receipt matches by the part's user_message_reference
 * (ob_umr() of the destination's counter) from the handset's number (the
 * '+' aside); after a restart too.  Another number, another reference,
 * match nothing. */
static void test_receipts_umr(void **state)
{
	struct fx *x = *state;
	const char *nid = "msg_id_not_implemented";
	char req[400];

	snprintf(req, sizeof(req), "{\"id\":\"u1\",\"msisdn\":\"+886912345678\",\"payload\":\"%s\","
		 "\"receipt\":true}", pl134());
	send(x, req);
	send(x, "{\"id\":\"u2\",\"msisdn\":\"886912345678\",\"payload\":\"AAAA\",\"receipt\":true}");
	spin(x);
	assert_int_equal(x->n_taken, 2);
	uint8_t ref1 = x->item[0].ref, ref2 = x->item[1].ref;
	assert_int_equal(ref2, (uint8_t)(ref1 + 1));
	result(x, 0, OB_RES_SUBMITTED, nid, nid, NULL, false);
	result(x, 1, OB_RES_SUBMITTED, nid, NULL, NULL, false);
	spin(x);
	struct ob_receipt r = { .message_id = "00000001", .kind = OB_RCPT_DELIVERED, .stat = "DELIVRD",
				.err = "000", .has_umr = true, .umr = ob_umr(ref1, 1), .from = "886912345678" };
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);	/* u1 part 2 */
	spin(x);
	r.from = "886912345679";
	r.umr = ob_umr(ref1, 0);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);	/* another number */
	r.from = "886912345678";
	r.umr = ob_umr(ref2, 1);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);	/* u2 has one part */
	r.has_umr = false;
	r.umr = ob_umr(ref2, 0);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);	/* no TLV: the id alone */
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED), 3);
	restart(x);
	r.has_umr = true;
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);	/* u2 */
	r.umr = ob_umr(ref1, 0);
	r.from = "+886912345678";
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);	/* u1 part 1 */
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 6);
	assert_non_null(strstr(x->f.payload[4], "\"id\":\"u2\""));
	assert_non_null(strstr(x->f.payload[4], "\"state\":\"delivered\""));
	assert_non_null(strstr(x->f.payload[5], "\"id\":\"u1\""));
	assert_non_null(strstr(x->f.payload[5], "\"state\":\"delivered\",\"parts\":2"));
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_DELIVERED), 2);
}

/* 33 messages to one number: the first and the last share their
 * user_message_reference (one octet, 32 submissions); receipts by it go
 * to the oldest awaiting one first, as the SMSC delivers in order. */
static void test_receipts_umr_shared(void **state)
{
	struct fx *x = *state;
	char req[200];

	x->room = MAX_TAKEN;
	for (unsigned k = 0; k < 33; k++) {
		snprintf(req, sizeof(req), "{\"id\":\"v%02u\",\"msisdn\":\"55\",\"payload\":\"AAAA\","
			 "\"receipt\":true}", k);
		send(x, req);
	}
	spin(x);
	assert_int_equal(x->n_taken, 33);
	assert_int_equal(ob_umr(x->item[0].ref, 0), ob_umr(x->item[32].ref, 0));
	for (unsigned k = 0; k < 33; k++)
		result(x, k, OB_RES_SUBMITTED, "msg_id_not_implemented", NULL, NULL, false);
	spin(x);
	struct ob_receipt r = { .message_id = "00000001", .kind = OB_RCPT_DELIVERED, .stat = "DELIVRD",
				.err = "000", .has_umr = true, .umr = ob_umr(x->item[0].ref, 0), .from = "55" };
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	spin(x);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	spin(x);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);	/* both over */
	efx_read(&x->f, 67);		/* after the 33 queued and submitted */
	assert_int_equal(x->f.n, 2);
	assert_non_null(strstr(x->f.payload[0], "\"id\":\"v00\""));
	assert_non_null(strstr(x->f.payload[0], "\"state\":\"delivered\""));
	assert_non_null(strstr(x->f.payload[1], "\"id\":\"v32\""));
	assert_non_null(strstr(x->f.payload[1], "\"state\":\"delivered\""));
}

/* OsmoMSC delivers the first parts, and sends their receipts, before it
 * has answered the last submit_sm: a receipt by reference for a message
 * being submitted is journaled (and answered after the sync); the message
 * is delivered once submitted with every part's receipt, at once if all
 * came early.  After a restart the message is submitted again, with new
 * references, and what the earlier attempt's receipts said counts no
 * more. */
static void test_receipts_in_flight(void **state)
{
	struct fx *x = *state;
	const char *nid = "msg_id_not_implemented";
	char req[400];

	for (unsigned k = 0; k < 3; k++) {
		snprintf(req, sizeof(req), "{\"id\":\"f%u\",\"msisdn\":\"+88691234567%u\",\"payload\":"
			 "\"%s\",\"receipt\":true}", k, k, pl134());
		send(x, req);
	}
	spin(x);
	assert_int_equal(x->n_taken, 3);
	struct ob_receipt r = { .message_id = "00000007", .kind = OB_RCPT_DELIVERED, .stat = "DELIVRD",
				.err = "000", .has_umr = true, .umr = ob_umr(x->item[0].ref, 0), .from = "886912345670" };
	/* f0: part 1 early, part 2 after */
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	spin(x);
	assert_int_equal(x->receipt_acks, 1);
	result(x, 0, OB_RES_SUBMITTED, nid, nid, NULL, false);
	r.umr = ob_umr(x->item[0].ref, 1);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	/* f1: both early: delivered as soon as submitted */
	r.from = "886912345671";
	for (unsigned p = 0; p < 2; p++) {
		r.umr = ob_umr(x->item[1].ref, p);
		assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	}
	spin(x);
	result(x, 1, OB_RES_SUBMITTED, nid, nid, NULL, false);
	/* f2: part 2 early, then a restart before its end */
	r.from = "886912345672";
	r.umr = ob_umr(x->item[2].ref, 1);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	/* a failure that early is not taken, but counted */
	r.kind = OB_RCPT_FAILED;
	r.stat = "UNDELIV";
	r.umr = ob_umr(x->item[2].ref, 0);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 1);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED), 1);
	r.kind = OB_RCPT_DELIVERED;
	r.stat = "DELIVRD";
	uint8_t ref_before = x->item[2].ref;
	restart(x);
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 1);
	assert_int_not_equal(x->item[0].ref, ref_before);
	result(x, 0, OB_RES_SUBMITTED, nid, nid, NULL, false);
	r.umr = ob_umr(x->item[0].ref, 0);
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	spin(x);
	read_bus(x);
	assert_int_equal(x->receipt_acks, 6);
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_RECEIPTS_UNMATCHED), 1);
	assert_int_equal(x->f.n, 8);	/* 3 queued, f0 submitted delivered, f1 the same, f2 submitted */
	assert_non_null(strstr(x->f.payload[4], "\"id\":\"f0\""));
	assert_non_null(strstr(x->f.payload[4], "\"state\":\"delivered\""));
	assert_non_null(strstr(x->f.payload[5], "\"id\":\"f1\""));
	assert_non_null(strstr(x->f.payload[5], "\"state\":\"submitted\""));
	assert_non_null(strstr(x->f.payload[6], "\"id\":\"f1\""));
	assert_non_null(strstr(x->f.payload[6], "\"state\":\"delivered\""));
	assert_non_null(strstr(x->f.payload[7], "\"id\":\"f2\""));
	assert_non_null(strstr(x->f.payload[7], "\"state\":\"submitted\""));
}

/* A restart: queued ones come back (the one whose submission had started
 * counted as resubmitted when submitted again), an awaiting receipt still
 * matches, an id still answers its first seq. */
/* A full disk takes the engine down; once there is room it rebuilds its
 * state from the journal in-process (engine_reload()), the outbox with
 * it: what the journal does not hold did not happen.  r1's submission
 * result could not be journaled: r1 is queued again, as maybe sent, and
 * submitted again; r2 waits, queued, once (not twice, not lost), and its
 * id still answers its seq. */
static void test_reload(void **state)
{
	struct fx *x = *state;
	struct outbox_info oi;

	x->room = 1;
	send(x, "{\"id\":\"r1\",\"msisdn\":\"11\",\"payload\":\"AAAA\"}");
	send(x, "{\"id\":\"r2\",\"msisdn\":\"12\",\"payload\":\"AAAA\"}");
	spin(x);
	expect_answer(x, 0, "QUEUED", "r1", "1");
	expect_answer(x, 1, "QUEUED", "r2", "2");
	assert_int_equal(x->n_taken, 1);
	x->room = 0;
	efx_faults.err = ENOSPC;
	efx_faults.writes_left = 0;
	result(x, 0, OB_RES_SUBMITTED, "w1", NULL, NULL, false);	/* its DL_STATE: no room */
	spin(x);
	efx_faults.writes_left = -1;
	assert_int_equal(engine_probe(x->f.e), 0);
	outbox_get_info(x->ob, &oi);
	assert_int_equal(oi.pending, 2);
	assert_int_equal(oi.awaiting_receipts, 0);
	assert_int_equal(oi.ids, 2);
	assert_true(log_capture_has("2 messages to submit (1 of them may have reached the SMSC"));
	send(x, "{\"id\":\"r2\",\"msisdn\":\"12\",\"payload\":\"AAAA\"}");
	expect_answer(x, 2, "QUEUED", "r2", "2");
	x->room = 4;
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 3);
	assert_string_equal(x->item[1].id, "r1");
	assert_int_equal(x->item[1].attempt, 2);
	assert_string_equal(x->item[2].id, "r2");
}

/* Cut the last byte of the journal's newest segment (a write torn by a
 * power cut): the last group is lost, the ones before it are intact. */
static void tear_last_group(struct fx *x)
{
	char dir[200], path[300], best[300] = "";
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/journal", x->f.dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strlen(de->d_name) == 20 && !strcmp(de->d_name + 16, ".jnl") &&
		    (!best[0] || strcmp(de->d_name, best) > 0))	/* %016x.jnl */
			snprintf(best, sizeof(best), "%s", de->d_name);
	closedir(d);
	assert_true(best[0]);
	snprintf(path, sizeof(path), "%s/%s", dir, best);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 1), 0);
}

/* Every part's receipt came before the submission ended; the message's
 * submitted group is in the journal, its delivered group torn: once
 * rebuilt, the next tick journals and publishes delivered, once. */
static void test_receipts_early_then_torn(void **state)
{
	struct fx *x = *state;
	const char *nid = "msg_id_not_implemented";
	char req[400];

	snprintf(req, sizeof(req), "{\"id\":\"g0\",\"msisdn\":\"+886912345670\",\"payload\":"
		 "\"%s\",\"receipt\":true}", pl134());
	send(x, req);
	spin(x);
	assert_int_equal(x->n_taken, 1);
	struct ob_receipt r = { .message_id = "00000009", .kind = OB_RCPT_DELIVERED, .stat = "DELIVRD",
				.err = "000", .has_umr = true, .from = "886912345670" };
	for (unsigned p = 0; p < 2; p++) {
		r.umr = ob_umr(x->item[0].ref, p);
		assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	}
	spin(x);
	result(x, 0, OB_RES_SUBMITTED, nid, nid, NULL, false);
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 3);		/* queued, submitted, delivered */
	engine_close(x->f.e);
	x->f.e = NULL;
	tear_last_group(x);
	x->n_taken = 0;
	open_engine(x);
	read_bus(x);
	assert_int_equal(x->f.n, 2);		/* queued, submitted */
	assert_non_null(strstr(x->f.payload[1], "\"state\":\"submitted\""));
	outbox_tick(x->ob);
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 3);
	assert_non_null(strstr(x->f.payload[2], "\"id\":\"g0\""));
	assert_non_null(strstr(x->f.payload[2], "\"state\":\"delivered\""));
	outbox_tick(x->ob);			/* once only */
	spin(x);
	read_bus(x);
	assert_int_equal(x->f.n, 3);
}

static void test_restart(void **state)
{
	struct fx *x = *state;

	x->room = 1;
	send(x, "{\"id\":\"s1\",\"msisdn\":\"11\",\"payload\":\"AAAA\"}");
	send(x, "{\"id\":\"s2\",\"msisdn\":\"12\",\"payload\":\"AAAA\"}");
	send(x, "{\"id\":\"s3\",\"msisdn\":\"13\",\"payload\":\"AAAA\",\"receipt\":true}");
	spin(x);
	assert_int_equal(x->n_taken, 1);	/* room for one */
	x->room = 0;
	result(x, 0, OB_RES_SUBMITTED, "w0", NULL, NULL, false);
	spin(x);
	/* s2's DL_ATTEMPT is journaled, its answer never comes */
	x->room = 1;
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 2);
	assert_string_equal(x->item[1].id, "s2");
	uint8_t ref_before = x->item[1].ref;
	x->room = 0;
	restart(x);
	struct outbox_info oi;
	outbox_get_info(x->ob, &oi);
	assert_int_equal(oi.pending, 2);	/* s2, s3 */
	assert_true(log_capture_has("2 messages to submit (1 of them may have reached the SMSC"));
	x->room = 4;
	outbox_kick(x->ob);
	spin(x);
	assert_int_equal(x->n_taken, 2);
	assert_string_equal(x->item[0].id, "s2");
	assert_int_equal(x->item[0].attempt, 2);
	/* its destination's counter went on from the journal, not from scratch */
	assert_int_equal(x->item[0].ref, (uint8_t)(ref_before + 1));
	assert_string_equal(x->item[1].id, "s3");
	assert_int_equal(efx_ctr(&x->f, TXGW_CTR_DOWNLINK_RESUBMITTED), 1);
	result(x, 1, OB_RES_SUBMITTED, "w3", NULL, NULL, false);
	restart(x);
	struct ob_receipt r = { .message_id = "w3", .kind = OB_RCPT_DELIVERED, .stat = "DELIVRD", .err = "" };
	assert_int_equal(outbox_receipt(x->ob, &r, on_receipt_ack, x), 0);
	x->n_ans = 0;
	send(x, "{\"id\":\"s1\",\"msisdn\":\"11\",\"payload\":\"AAAA\"}");
	expect_answer(x, 0, "QUEUED", "s1", "1");
	spin(x);
	read_bus(x);
	/* queued x3, submitted s1, submitted s3, delivered s3; s2 goes on */
	assert_int_equal(x->f.n, 6);
	assert_non_null(strstr(x->f.payload[5], "\"id\":\"s3\",\"queued\":3"));
	assert_non_null(strstr(x->f.payload[5], "\"state\":\"delivered\""));
}

/* Two parts: the parts count is the bearer's, in every message. */
static void test_parts(void **state)
{
	struct fx *x = *state;
	char req[300];

	snprintf(req, sizeof(req), "{\"id\":\"two\",\"msisdn\":\"1\",\"payload\":\"%s\"}", pl134());
	send(x, req);
	spin(x);
	expect_answer(x, 0, "QUEUED", "two", "1");
	assert_int_equal(x->item[0].len, 134);
	read_bus(x);
	assert_non_null(strstr(x->f.payload[0], "\"parts\":2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queued_submitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_log_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_then_fail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts_umr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts_umr_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receipts_early_then_torn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parts, setup, teardown),
	};
	log_capture_start(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
