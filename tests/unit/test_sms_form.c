/*
 * test_sms_form — contrib/sim/sms_form.c: an upload as SMS-SUBMIT TPDUs (3GPP
 * TS 23.040 §9.2.2.2) and as an SMSC's deliver_sm (SMPP 3.4 §4.6.1).
 *
 * Every form goes back through the project's own receive path: the TPDUs
 * through sms_tpdu_decode() and concat.h, the deliver_sm PDUs through
 * smpp_pdu_unpack(), sms_in_parse(), concat.h and sms_extract(), and must
 * give back the frame (or the armoured text).  The handsets of
 * tests/vectors are matched byte for byte.  A seeded random run covers
 * frame lengths 112..2004 in every coding, reference width and SMPP form.
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

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <talloc.h>

#include "contrib/sim/sms_form.h"
#include "gateway/engine/sms_frames.h"
#include "gateway/sms/charset.h"
#include "gateway/sms/concat.h"
#include "gateway/sms/sms_in.h"
#include "gateway/txlog/armour.h"
#include "smpp/smpp_pdu.h"
#include "tests/unit/txlog_vectors.h"

#define DA "886900000001"
#define SRC "886912345678"

static const struct sf_opts base_opts = {
	.coding = SF_BINARY, .ref_bits = 8, .ref = 0, .mr = 0, .port = true,
	.dst_port = SF_TXLOG_PORT, .src_port = 0, .da = DA,
};

static uint64_t rng;

static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

static void *ctx;

/* ---- the receive side: TPDUs ---- */

/* Decode the TPDUs of one message and join their user data (unpacked
 * septets or octets) as a receiver does.  Returns its length. */
static size_t tpdus_join(const struct sf_sms *s, uint8_t *out, size_t cap, enum sms_alphabet *alph)
{
	struct concat_cfg cfg = { .timeout_s = 60, .max_partial = 10, .max_bytes = 100000 };
	struct concat *c = concat_new(ctx, &cfg, NULL, NULL);
	struct concat_msg *m = NULL;
	struct sms_tpdu t;
	size_t len = 0;

	assert_non_null(c);
	for (unsigned i = 0; i < s->n; i++) {
		assert_int_equal(sms_tpdu_decode(&t, s->tpdu[i], s->len[i], SMS_MS_TO_SC), 0);
		assert_int_equal(t.type, SMS_SUBMIT);
		*alph = t.dcs.alphabet;
		if (s->n == 1) {
			assert_true(t.ud.n <= cap);
			memcpy(out, t.ud.data, t.ud.n);
			len = t.ud.n;
			break;
		}
		struct udh_concat uc;
		struct concat_key k;
		assert_true(t.udhi);
		assert_int_equal(udh_concat(&t.ud.udh, &uc), 0);
		assert_int_equal(uc.total, s->n);
		assert_int_equal(concat_key_set(&k, 0, SRC, DA, uc.ref_bits == 8 ? CONCAT_REF8 : CONCAT_REF16,
						uc.ref, uc.total), 0);
		struct concat_part p = { .seq = uc.seq, .data = t.ud.data, .len = t.ud.n };
		int rc = concat_add(c, &k, &p, 1000, ctx, &m);
		assert_int_equal(rc, i + 1 == s->n ? CONCAT_COMPLETE : CONCAT_STORED);
	}
	if (m) {
		assert_true(m->len <= cap);
		memcpy(out, m->data, m->len);
		len = m->len;
		talloc_free(m);
	}
	concat_free(c);
	return len;
}

/* The text the TPDUs of s carry, NUL-terminated in out. */
static void tpdus_text(const struct sf_sms *s, char *out, size_t cap)
{
	uint8_t ud[SF_MAX_PARTS * 160];
	enum sms_alphabet a;
	size_t n = tpdus_join(s, ud, sizeof(ud), &a);
	int k = a == SMS_ALPHABET_UCS2 ? charset_ucs2_to_utf8(out, cap - 1, ud, n, 0, NULL)
				       : charset_gsm7_to_utf8(out, cap - 1, ud, n, 0, NULL);
	assert_true(k >= 0);
	out[k] = 0;
}

/* ---- the receive side: deliver_sm ---- */

/* Unpack the deliver_sm PDUs, run them through sms_in, concat and
 * sms_extract as the gateway does, and return the one frame found. */
static size_t deliver_frame(const struct sf_deliver *d, bool dc1, uint8_t *frame, size_t cap)
{
	struct concat_cfg cfg = { .timeout_s = 60, .max_partial = 10, .max_bytes = 100000 };
	struct concat *c = concat_new(ctx, &cfg, NULL, NULL);
	struct extract_result *r = talloc_zero(ctx, struct extract_result);
	size_t len = 0;
	bool done = false;

	for (unsigned i = 0; i < d->n; i++) {
		struct smpp_pdu p;
		uint32_t st, v;
		struct sms_in in = { .bind = 1, .dc1_gsm7 = dc1 };
		struct sms_seg seg;

		assert_int_equal(smpp_pdu_unpack(&p, d->pdu[i], d->len[i], &st), 0);
		assert_int_equal(st, ESME_ROK);
		assert_int_equal(p.command_id, SMPP_DELIVER_SM);
		in.src = p.source_addr;
		in.dst = p.destination_addr;
		in.esm_class = p.esm_class;
		in.data_coding = p.data_coding;
		smpp_pdu_user_data(&p, &in.sm, &in.sm_len);
		if (smpp_tlv_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, &v) == 0) {
			in.has_sar = true;
			in.sar_ref = (uint16_t)v;
			assert_int_equal(smpp_tlv_uint(&p, SMPP_TLV_SAR_TOTAL_SEGMENTS, &v), 0);
			in.sar_total = (uint8_t)v;
			assert_int_equal(smpp_tlv_uint(&p, SMPP_TLV_SAR_SEGMENT_SEQNUM, &v), 0);
			in.sar_seq = (uint8_t)v;
		}
		if (smpp_tlv_uint(&p, SMPP_TLV_DESTINATION_PORT, &v) == 0) {
			in.has_port = true;
			in.port = (uint16_t)v;
		}
		assert_int_equal(sms_in_parse(&in, &seg), 0);
		if (!seg.concat) {
			assert_int_equal(d->n, 1);
			sms_extract(r, seg.coding, seg.payload, seg.len, seg.has_port, seg.port, SF_TXLOG_PORT);
			done = true;
			break;
		}
		struct concat_msg *m = NULL;
		struct concat_part part = { .seq = seg.seq, .coding = seg.coding, .data = seg.payload,
					    .len = seg.len };
		int rc = concat_add(c, &seg.key, &part, 1000, ctx, &m);
		assert_true(rc == CONCAT_STORED || rc == CONCAT_COMPLETE);
		if (m) {
			assert_int_equal(i + 1, d->n);
			/* the port: from part 1's header or TLV, as the
			 * gateway keeps it with the message */
			sms_extract(r, m->coding, m->data, m->len, true, SF_TXLOG_PORT, SF_TXLOG_PORT);
			talloc_free(m);
			done = true;
		}
	}
	assert_true(done);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->item[0].kind, EXTRACT_FRAME);
	assert_true(r->item[0].len <= cap);
	memcpy(frame, r->item[0].data, r->item[0].len);
	len = r->item[0].len;
	talloc_free(r);
	concat_free(c);
	return len;
}

/* ---- helpers ---- */

static void hex_to(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
	*len = n;
}

/* The "tpdus" array of vector name in tests/vectors/vectors.json (which
 * txlog_vectors.h skips): the hex strings into tp[], returns the count. */
static unsigned vector_tpdus(const char *name, char tp[][400], unsigned max)
{
	char *json = tv_read_file(TESTDATA_DIR "/vectors/vectors.json");
	char key[80];
	unsigned n = 0;

	assert_non_null(json);
	snprintf(key, sizeof(key), "\"%s\"", name);
	char *p = strstr(json, key);
	assert_non_null(p);
	p = strstr(p, "\"tpdus\"");
	assert_non_null(p);
	char *end = strchr(p, ']');
	for (p = strchr(p, '['); p && n < max; n++) {
		char *q = strchr(p, '"');
		if (!q || q > end)
			break;
		char *e = strchr(q + 1, '"');
		assert_true(e - q - 1 < 400);
		memcpy(tp[n], q + 1, (size_t)(e - q - 1));
		tp[n][e - q - 1] = 0;
		p = e + 1;
	}
	free(json);
	return n;
}

static size_t vector_frame(const char *name, uint8_t *frame)
{
	struct tv_set set;
	size_t len;

	assert_true(tv_load(&set) > 0);
	const struct tv *v = tv_find(&set, name);
	assert_non_null(v);
	hex_to(v->frame, frame, &len);
	tv_free(&set);
	return len;
}

/* Our TPDUs must be the vector's, TP-MR aside (the vectors' handset sends
 * every part with TP-MR 0; ours counts, as 23.040 §9.2.3.6 has it). */
static void assert_same_tpdus(const struct sf_sms *s, const char *name)
{
	static char tp[8][400];
	unsigned n = vector_tpdus(name, tp, 8);
	uint8_t want[SMS_TPDU_MAX_LEN];
	size_t wlen;

	assert_int_equal(s->n, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t got[SMS_TPDU_MAX_LEN];
		hex_to(tp[i], want, &wlen);
		assert_int_equal(s->len[i], wlen);
		memcpy(got, s->tpdu[i], wlen);
		got[1] = want[1];
		assert_memory_equal(got, want, wlen);
	}
}

/* ---- tests ---- */

/* txlog-v1.md "Bearers": a 112-byte frame in one 8-bit SMS with the port
 * header; the vector tpdu-binary-port exactly. */
static void test_binary_single_vector(void **state)
{
	uint8_t frame[TXL_MAX_LEN], back[TXL_MAX_LEN];
	size_t len = vector_frame("frame-ed25519-1", frame);
	struct sf_sms s;
	struct sms_tpdu t;
	uint16_t dp, sp;
	enum sms_alphabet a;

	assert_int_equal(len, 112);
	assert_int_equal(sf_tpdus(&s, &base_opts, frame, len), 1);
	assert_same_tpdus(&s, "tpdu-binary-port");
	assert_int_equal(sms_tpdu_decode(&t, s.tpdu[0], s.len[0], SMS_MS_TO_SC), 0);
	assert_int_equal(t.dcs.raw, 0x04);
	assert_int_equal(udh_ports(&t.ud.udh, &dp, &sp), 16);
	assert_int_equal(dp, 16354);
	assert_int_equal(tpdus_join(&s, back, sizeof(back), &a), len);
	assert_memory_equal(back, frame, len);
}

/* 23.040 §9.2.3.24.1: a longer frame in two parts, 8-bit reference 0x5A;
 * the vector tpdu-binary-concat exactly (140 - 12 octets of header = 128
 * octets in part 1). */
static void test_binary_concat_vector(void **state)
{
	uint8_t frame[TXL_MAX_LEN], back[TXL_MAX_LEN];
	size_t len = vector_frame("frame-ecdsa-3", frame);
	struct sf_opts o = base_opts;
	struct sf_sms s;
	struct sms_tpdu t;
	enum sms_alphabet a;

	o.ref = 0x5A;
	assert_true(len > 133);
	assert_int_equal(sf_tpdus(&s, &o, frame, len), 2);
	assert_same_tpdus(&s, "tpdu-binary-concat");
	assert_int_equal(sms_tpdu_decode(&t, s.tpdu[0], s.len[0], SMS_MS_TO_SC), 0);
	assert_int_equal(t.ud.n, 128);
	assert_int_equal(tpdus_join(&s, back, sizeof(back), &a), len);
	assert_memory_equal(back, frame, len);
}

/* txlog-v1.md "Armoured text form": a 112-byte frame is 157 characters,
 * one 7-bit SMS; the vector tpdu-gsm7-single exactly. */
static void test_gsm7_single_vector(void **state)
{
	uint8_t frame[TXL_MAX_LEN];
	char arm[4096], back[4096];
	size_t len = vector_frame("frame-ed25519-1", frame);
	struct sf_opts o = base_opts;
	struct sf_sms s;

	o.coding = SF_GSM7;
	int n = armour_encode(arm, sizeof(arm), frame, len);
	assert_int_equal(n, 157);
	assert_int_equal(sf_tpdus(&s, &o, (uint8_t *)arm, (size_t)n), 1);
	assert_same_tpdus(&s, "tpdu-gsm7-single");
	tpdus_text(&s, back, sizeof(back));
	assert_string_equal(back, arm);
}

/* Re-encode the text of a vector's TPDUs with the vector's options: the
 * same TPDUs (cuts, fill bits, escapes and surrogates where the vector's
 * handset put them). */
static void reencode_vector(const char *name, enum sf_coding coding, unsigned ref_bits, uint16_t ref)
{
	static char tp[8][400];
	unsigned n = vector_tpdus(name, tp, 8);
	struct sf_sms in = { .n = n }, s;
	struct sf_opts o = base_opts;
	char text[4096];
	size_t l;

	for (unsigned i = 0; i < n; i++) {
		hex_to(tp[i], in.tpdu[i], &l);
		in.len[i] = (uint8_t)l;
	}
	tpdus_text(&in, text, sizeof(text));
	o.coding = coding;
	o.ref_bits = ref_bits;
	o.ref = ref;
	assert_int_equal(sf_tpdus(&s, &o, (uint8_t *)text, strlen(text)), n);
	assert_same_tpdus(&s, name);
}

static void test_text_concat_vectors(void **state)
{
	/* 7-bit, 16-bit reference: 160 - 8 = 152 septets a part, fill bits */
	reencode_vector("tpdu-gsm7-concat", SF_GSM7, 16, 0x1234);
	/* UCS-2, 8-bit reference: 134 octets a part */
	reencode_vector("tpdu-ucs2-concat", SF_UCS2, 8, 0x21);
}

/* Encode text; check the part count and the units in part 1. */
static void assert_cut(const struct sf_opts *o, const char *text, unsigned parts, unsigned first)
{
	struct sf_sms s;
	struct sms_tpdu t;
	char back[1024];

	assert_int_equal(sf_tpdus(&s, o, (const uint8_t *)text, strlen(text)), parts);
	assert_int_equal(sms_tpdu_decode(&t, s.tpdu[0], s.len[0], SMS_MS_TO_SC), 0);
	assert_int_equal(t.ud.n, first);
	tpdus_text(&s, back, sizeof(back));
	assert_string_equal(back, text);
}

/* 23.038 §6.2.1.1: an escape sequence is never cut in two; UTF-16
 * surrogate pairs neither. */
static void test_cut_boundaries(void **state)
{
	struct sf_opts o = base_opts;
	char text[512];

	/* 152 'a', then '{' (ESC 0x28) would straddle septets 153 and 154 */
	memset(text, 'a', 152);
	strcpy(text + 152, "{bcdefghij");
	o.coding = SF_GSM7;
	assert_cut(&o, text, 2, 152);
	/* with one 'a' less the escape fits: 153 septets */
	assert_cut(&o, text + 1, 2, 153);
	/* UCS-2: 66 characters (132 octets), then U+1F600 (4 octets) */
	memset(text, 'a', 66);
	strcpy(text + 66, "\xF0\x9F\x98\x80xyz");
	o.coding = SF_UCS2;
	assert_cut(&o, text, 2, 132);
	/* 67 characters fit: 134 octets */
	strcpy(text + 66, "b\xF0\x9F\x98\x80xyz");
	assert_cut(&o, text, 2, 134);
}

static void test_refusals(void **state)
{
	struct sf_opts o = base_opts;
	struct sf_sms s;
	static uint8_t big[SF_MAX_PARTS * 128 + 1];
	struct sf_deliver d;
	struct sf_smpp_opts so = { .form = SF_SMPP_UDH, .src = SRC, .dst = DA };

	assert_int_equal(sf_tpdus(&s, &o, big, 0), -EINVAL);
	assert_int_equal(sf_tpdus(&s, &o, big, sizeof(big)), -ENOSPC);
	assert_int_equal(sf_tpdus(&s, &o, big, SF_MAX_PARTS * 128), SF_MAX_PARTS);
	o.ref_bits = 12;
	assert_int_equal(sf_tpdus(&s, &o, big, 10), -EINVAL);
	o = base_opts;
	o.coding = SF_GSM7;
	assert_int_equal(sf_tpdus(&s, &o, (const uint8_t *)"\xE6\xBC\xA2", 3), -EINVAL);
	assert_int_equal(sf_tpdus(&s, &o, (const uint8_t *)"\xC0\x80", 2), -EINVAL);
	/* an SMS-DELIVER is not what a handset sends */
	assert_int_equal(sf_tpdus(&s, &o, (const uint8_t *)"hi", 2), 1);
	s.tpdu[0][0] &= 0xFC;
	assert_int_equal(sf_deliver_sm(ctx, &d, &so, &s), -EINVAL);
	assert_int_equal(d.n, 0);
	so.src = "123456789012345678901";
	s.tpdu[0][0] |= 0x01;
	assert_int_equal(sf_deliver_sm(ctx, &d, &so, &s), -EINVAL);
}

/* One frame through every coding, SMPP form and data_coding variant. */
static void roundtrip(const uint8_t *frame, size_t len, enum sf_coding coding, unsigned ref_bits,
		      enum sf_smpp_form form, bool dc1)
{
	struct sf_opts o = base_opts;
	struct sf_smpp_opts so = { .form = form, .dc1 = dc1, .src = SRC, .dst = DA };
	static char arm[4096], text[8192];
	uint8_t back[TXL_MAX_LEN + 1];
	struct sf_sms s;
	struct sf_deliver d;
	const uint8_t *data = frame;
	size_t dlen = len;

	o.coding = coding;
	o.ref_bits = ref_bits;
	o.ref = (uint16_t)(ref_bits == 8 ? rnd() & 0xff : rnd() & 0xffff);
	o.mr = (uint8_t)rnd();
	if (coding != SF_BINARY) {
		int n = armour_encode(arm, sizeof(arm), frame, len);
		assert_true(n > 0);
		data = (const uint8_t *)arm;
		dlen = (size_t)n;
	}
	int parts = sf_tpdus(&s, &o, data, dlen);
	assert_true(parts >= 1);
	if (coding == SF_BINARY) {
		enum sms_alphabet a;
		assert_int_equal(tpdus_join(&s, back, sizeof(back), &a), len);
		assert_memory_equal(back, frame, len);
	} else {
		tpdus_text(&s, text, sizeof(text));
		assert_string_equal(text, arm);
	}
	int n = sf_deliver_sm(ctx, &d, &so, &s);
	assert_int_equal(n, form == SF_SMPP_PAYLOAD ? 1 : parts);
	assert_int_equal(deliver_frame(&d, dc1, back, sizeof(back)), len);
	assert_memory_equal(back, frame, len);
	sf_deliver_free(&d);
}

static void test_vector_all_forms(void **state)
{
	uint8_t frame[TXL_MAX_LEN];
	const char *names[] = { "frame-ed25519-1", "frame-ecdsa-3" };

	for (unsigned v = 0; v < 2; v++) {
		size_t len = vector_frame(names[v], frame);
		for (int c = SF_BINARY; c <= SF_UCS2; c++)
			for (int f = SF_SMPP_UDH; f <= SF_SMPP_PAYLOAD; f++)
				for (unsigned rb = 8; rb <= 16; rb += 8) {
					roundtrip(frame, len, c, rb, f, false);
					if (c == SF_GSM7)
						roundtrip(frame, len, c, rb, f, true);
				}
	}
}

/* What an SMSC puts in a deliver_sm, per form (SMPP 3.4 §5.2.12, §5.2.19,
 * §5.3.2.20-24, §5.3.2.32). */
static void test_deliver_fields(void **state)
{
	uint8_t frame[TXL_MAX_LEN];
	size_t len = vector_frame("frame-ecdsa-3", frame);
	struct sf_opts o = base_opts;
	struct sf_smpp_opts so = { .src = SRC, .dst = DA };
	struct sf_sms s;
	struct sf_deliver d;
	struct smpp_pdu p;
	uint32_t st, v;

	o.ref = 0x77;
	assert_int_equal(sf_tpdus(&s, &o, frame, len), 2);
	so.form = SF_SMPP_UDH;
	assert_int_equal(sf_deliver_sm(ctx, &d, &so, &s), 2);
	assert_int_equal(smpp_pdu_unpack(&p, d.pdu[1], d.len[1], &st), 0);
	assert_int_equal(p.esm_class, 0x40);
	assert_int_equal(p.data_coding, 4);
	assert_string_equal(p.source_addr, SRC);
	assert_int_equal(p.source_addr_ton, 1);
	assert_int_equal(p.short_message[0], 11);	/* UDHL: concat8 + port16 */
	assert_int_equal(p.sm_length, 12 + len - 128);
	assert_int_equal(p.n_tlv, 0);
	sf_deliver_free(&d);

	so.form = SF_SMPP_SAR;
	assert_int_equal(sf_deliver_sm(ctx, &d, &so, &s), 2);
	assert_int_equal(smpp_pdu_unpack(&p, d.pdu[1], d.len[1], &st), 0);
	assert_int_equal(p.esm_class, 0);
	assert_int_equal(p.sm_length, len - 128);
	assert_int_equal(smpp_tlv_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, &v), 0);
	assert_int_equal(v, 0x77);
	assert_int_equal(smpp_tlv_uint(&p, SMPP_TLV_SAR_SEGMENT_SEQNUM, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(smpp_tlv_uint(&p, SMPP_TLV_DESTINATION_PORT, &v), 0);
	assert_int_equal(v, SF_TXLOG_PORT);
	sf_deliver_free(&d);

	so.form = SF_SMPP_PAYLOAD;
	assert_int_equal(sf_deliver_sm(ctx, &d, &so, &s), 1);
	assert_int_equal(smpp_pdu_unpack(&p, d.pdu[0], d.len[0], &st), 0);
	assert_int_equal(p.sm_length, 0);
	const struct smpp_tlv *t = smpp_tlv_find(&p, SMPP_TLV_MESSAGE_PAYLOAD);
	assert_non_null(t);
	assert_int_equal(t->len, len);
	assert_memory_equal(smpp_tlv_data(t), frame, len);
	sf_deliver_free(&d);

	/* 7-bit with --dc1: data_coding 1, septets one per octet */
	char arm[512];
	int n = armour_encode(arm, sizeof(arm), frame, len);
	o.coding = SF_GSM7;
	assert_int_equal(sf_tpdus(&s, &o, (uint8_t *)arm, (size_t)n), 2);
	so.form = SF_SMPP_UDH;
	so.dc1 = true;
	assert_int_equal(sf_deliver_sm(ctx, &d, &so, &s), 2);
	assert_int_equal(smpp_pdu_unpack(&p, d.pdu[0], d.len[0], &st), 0);
	assert_int_equal(p.data_coding, 1);
	assert_int_equal(p.sm_length, 6 + 153);
	assert_memory_equal(p.short_message + 6, "TXL1:", 5);
	sf_deliver_free(&d);
}

/* Seeded random frames (any bytes: the transport does not look inside)
 * of every length class through every form. */
static void test_random(void **state)
{
	static uint8_t frame[TXL_MAX_LEN];

	rng = test_seed();
	for (int i = 0; i < 300; i++) {
		size_t len = TXL_MIN_LEN + rnd() % (TXL_MAX_LEN - TXL_MIN_LEN + 1);
		for (size_t k = 0; k < len; k++)
			frame[k] = (uint8_t)rnd();
		roundtrip(frame, len, (enum sf_coding)(rnd() % 3), rnd() % 2 ? 8 : 16,
			  (enum sf_smpp_form)(rnd() % 3), rnd() % 2);
	}
}

static int setup(void **state)
{
	ctx = talloc_new(NULL);
	return ctx ? 0 : -1;
}

static int teardown(void **state)
{
	talloc_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_single_vector),
		cmocka_unit_test(test_binary_concat_vector),
		cmocka_unit_test(test_gsm7_single_vector),
		cmocka_unit_test(test_text_concat_vectors),
		cmocka_unit_test(test_cut_boundaries),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_vector_all_forms),
		cmocka_unit_test(test_deliver_fields),
		cmocka_unit_test(test_random),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, setup, teardown));
}
