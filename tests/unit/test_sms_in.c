/*
 * test_sms_in.c — the SMS path of the library end to end, without sockets:
 * the vectors' SMS-SUBMIT TPDUs turned into what an SMSC hands over SMPP
 * (UDH or SAR TLVs, message_payload, data_coding 0/1/4/8), then
 * sms_in_parse -> reassembly -> sms_extract -> judge.  Every vector's
 * frame must come out valid; the port rule and not_txlog are checked too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/talloc.h>

#include "gateway/engine/sms_frames.h"
#include "gateway/sms/concat.h"
#include "gateway/sms/sms_in.h"
#include "gateway/sms/tpdu.h"
#include "gateway/txlog/judge.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/verify.h"
#include "tests/unit/sms_from_tpdu.h"
#include "tests/unit/tpdu_vectors.h"

#define TXLOG_PORT 16354


struct fx {
	void *ctx;
	struct registry *reg;
	struct verifier *v;
	struct concat *cc;
	unsigned valid, rejects, not_txlog;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct reg_report rep = { 0 };
	const struct concat_cfg cfg = { .timeout_s = 600, .max_partial = 100, .max_bytes = 1 << 20 };

	x->ctx = talloc_named_const(NULL, 0, "test_sms_in");
	assert_int_equal(registry_load(x->ctx, TESTDATA_DIR "/vectors/devices.txt", NULL, &x->reg, &rep), 0);
	x->v = verifier_alloc(x->ctx, 16);
	x->cc = concat_new(x->ctx, &cfg, NULL, NULL);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	concat_free(x->cc);
	verifier_free(x->v);
	registry_free(x->reg);
	talloc_free(x->ctx);
	free(x);
	return 0;
}

static void judge_all(struct fx *x, const struct extract_result *r)
{
	struct reg_entry e;
	struct judge_result *jr = calloc(1, sizeof(*jr));

	for (unsigned i = 0; i < r->n; i++) {
		const struct extract_item *it = &r->item[i];
		if (it->kind == EXTRACT_NOT_TXLOG) {
			x->not_txlog++;
			continue;
		}
		if (it->kind != EXTRACT_FRAME) {
			x->rejects++;
			continue;
		}
		jr->entry = &e;
		if (judge_check(x->reg, x->v, it->data, it->len, jr) == 1)
			x->valid++;
		else
			x->rejects++;
	}
	free(jr);
}

/* One vector TPDU as a deliver_sm's short_message with esm_class/data_coding. */
static void deliver(struct fx *x, const char *hex, enum sms_form form)
{
	uint8_t sm[SMS_FROM_TPDU_BUF];
	struct sms_in in = { .bind = 1, .src = "886912345678", .dst = "886900000001" };

	assert_int_equal(sms_from_tpdu(hex, form, &in, sm), 0);
	struct sms_seg seg;
	struct extract_result *r = calloc(1, sizeof(*r));
	assert_int_equal(sms_in_parse(&in, &seg), 0);
	if (!seg.concat) {
		sms_extract(r, seg.coding, seg.payload, seg.len, seg.has_port, seg.port, TXLOG_PORT);
		judge_all(x, r);
	} else {
		struct concat_msg *m = NULL;
		struct concat_part p = { .seq = seg.seq, .coding = seg.coding, .data = seg.payload,
					 .len = seg.len };
		int rc = concat_add(x->cc, &seg.key, &p, 1000, x->ctx, &m);
		assert_true(rc >= 0);
		if (rc == CONCAT_COMPLETE) {
			sms_extract(r, m->coding, m->data, m->len, seg.has_port, seg.port, TXLOG_PORT);
			judge_all(x, r);
			talloc_free(m);
		}
	}
	free(r);
}

static void vectors_in_form(void **state, enum sms_form form)
{
	struct fx *x = *state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		deliver(x, vectors[i].hex, form);
	/* five messages: binary-port, binary-concat, gsm7-single, gsm7-concat, ucs2-concat */
	assert_int_equal(x->valid, 5);
	assert_int_equal(x->rejects, 0);
	assert_int_equal(x->not_txlog, 0);
	assert_int_equal(concat_get_stats(x->cc)->partial_now, 0);
}

static void vectors_udh(void **state) { vectors_in_form(state, SMS_FORM_UDH); }
static void vectors_sar(void **state) { vectors_in_form(state, SMS_FORM_SAR); }
static void vectors_dc1_gsm7(void **state) { vectors_in_form(state, SMS_FORM_DC1_GSM7); }

static void port_rule(void **state)
{
	struct extract_result *r = calloc(1, sizeof(*r));
	const uint8_t junk[] = { 1, 2, 3 };

	/* binary for another port: not_txlog */
	sms_extract(r, CHARSET_8BIT, junk, sizeof(junk), true, 2948, TXLOG_PORT);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->item[0].kind, EXTRACT_NOT_TXLOG);
	/* binary without port addressing: a frame (malformed later) */
	sms_extract(r, CHARSET_8BIT, junk, sizeof(junk), false, 0, TXLOG_PORT);
	assert_int_equal(r->item[0].kind, EXTRACT_FRAME);
	assert_int_equal(r->item[0].len, 3);
	/* a person texting: not_txlog with the text as raw */
	const char *hi = "Hello, is this the top-up line?";
	uint8_t sept[64];
	int ns = charset_utf8_to_gsm7(sept, sizeof(sept), hi, strlen(hi), 0, NULL);
	sms_extract(r, CHARSET_GSM7, sept, (size_t)ns, false, 0, TXLOG_PORT);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->item[0].kind, EXTRACT_NOT_TXLOG);
	/* a broken armour: malformed */
	const char *bad = "see TXL1:AAA= thanks";
	sms_extract(r, CHARSET_ASCII, (const uint8_t *)bad, strlen(bad), false, 0, TXLOG_PORT);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->item[0].kind, EXTRACT_MALFORMED);
	free(r);
}

/* A port IE in the UDH (23.040 §9.2.3.24.3-4) sets the segment's port, in
 * both widths, alone or with a concatenation IE: a WAP push (port 2948,
 * 8-bit data) is for another application, never a frame. */
static void udh_port_ies(void **state)
{
	static const struct {
		uint8_t udh[16];
		bool concat;
		uint16_t port;
	} c[] = {
		{ { 6, 0x05, 4, 0x0b, 0x84, 0x23, 0xf0 }, false, 2948 },
		{ { 6, 0x05, 4, 0x3f, 0xe2, 0x3f, 0xe2 }, false, 16354 },
		{ { 4, 0x04, 2, 0x05, 0x05 }, false, 5 },
		{ { 11, 0x00, 3, 0x5a, 2, 1, 0x05, 4, 0x3f, 0xe2, 0x3f, 0xe2 }, true, 16354 },
		{ { 12, 0x08, 4, 0x12, 0x34, 2, 1, 0x05, 4, 0x0b, 0x84, 0x23, 0xf0 }, true, 2948 },
	};
	struct extract_result *r = calloc(1, sizeof(*r));

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t sm[32];
		size_t hl = 1 + (size_t)c[i].udh[0];
		memcpy(sm, c[i].udh, hl);
		memcpy(sm + hl, "\x01\x06\x04", 3);	/* the start of a WSP push */
		struct sms_in in = { .src = "886912345678", .dst = "886900000001", .esm_class = 0x40,
				     .data_coding = 4, .sm = sm, .sm_len = hl + 3 };
		struct sms_seg seg;
		assert_int_equal(sms_in_parse(&in, &seg), 0);
		assert_true(seg.has_port);
		assert_int_equal(seg.port, c[i].port);
		assert_int_equal(seg.concat, c[i].concat);
		assert_int_equal(seg.len, 3);
		sms_extract(r, seg.coding, seg.payload, seg.len, seg.has_port, seg.port, TXLOG_PORT);
		assert_int_equal(r->item[0].kind, c[i].port == TXLOG_PORT ? EXTRACT_FRAME : EXTRACT_NOT_TXLOG);
	}
	free(r);
}

static void bad_udh(void **state)
{
	const uint8_t sm[] = { 0x05, 0x00, 0x03, 0x01 };	/* UDHL 5, only 3 octets follow */
	struct sms_in in = { .src = "1", .dst = "2", .esm_class = 0x40, .sm = sm, .sm_len = sizeof(sm) };
	struct sms_seg seg;
	assert_true(sms_in_parse(&in, &seg) < 0);
	in.sm_len = 0;
	assert_int_equal(sms_in_parse(&in, &seg), -EIO);
}

static void codings(void **state)
{
	assert_int_equal(sms_in_coding(0, false), CHARSET_GSM7);
	assert_int_equal(sms_in_coding(1, false), CHARSET_ASCII);
	assert_int_equal(sms_in_coding(1, true), CHARSET_GSM7);
	assert_int_equal(sms_in_coding(2, false), CHARSET_8BIT);
	assert_int_equal(sms_in_coding(3, false), CHARSET_LATIN1);
	assert_int_equal(sms_in_coding(4, false), CHARSET_8BIT);
	assert_int_equal(sms_in_coding(8, false), CHARSET_UCS2);
	assert_int_equal(sms_in_coding(0xF4, false), CHARSET_8BIT);	/* class group, 8-bit */
	assert_int_equal(sms_in_coding(0xF0, false), CHARSET_GSM7);
	assert_int_equal(sms_in_coding(0xE0, false), CHARSET_UCS2);	/* MWI store, UCS2 */
	assert_int_equal(sms_in_coding(0x05, false), CHARSET_8BIT);	/* JIS: not text we read */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(vectors_udh, setup, teardown),
		cmocka_unit_test_setup_teardown(vectors_sar, setup, teardown),
		cmocka_unit_test_setup_teardown(vectors_dc1_gsm7, setup, teardown),
		cmocka_unit_test(port_rule),
		cmocka_unit_test(udh_port_ies),
		cmocka_unit_test(bad_udh),
		cmocka_unit_test(codings),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
