/*
 * test_tpdu — the SM-TL TPDU codec (3GPP TS 23.040 §9.2.2): the vectors'
 * TPDUs, one hand-checked example of every type and form, every malformed
 * case we refuse, truncation at every offset, and the encoder's refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "gateway/sms/tpdu.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		char b[3] = { s[0], s[1], 0 };
		assert_true(n < cap);
		v = (unsigned)strtoul(b, NULL, 16);
		out[n++] = (uint8_t)v;
	}
	return n;
}

#include "tests/unit/tpdu_vectors.h"

/*
 * Hand-made TPDUs of every type and form, checked field by field below
 * or by re-encoding.  The DELIVER carries the "hellohello" packing of
 * 3GPP TS 23.038 §6.1.2.1.1 and the address of +46708251358.
 */
static const struct {
	const char *what;
	enum sms_dir dir;
	enum sms_tpdu_type type;
	const char *hex;
} examples[] = {
	{ "deliver hellohello", SMS_SC_TO_MS, SMS_DELIVER,
	  "04" "0b916407281553f8" "0000" "99309251619580" "0ae8329bfd4697d9ec37" },
	{ "deliver alnum OA, class 1 8-bit", SMS_SC_TO_MS, SMS_DELIVER,
	  "24" "0ad0cd72da5d06" "00f5" "62115221000040" "03010203" },
	{ "deliver 7-bit with UDH and fill bits", SMS_SC_TO_MS, SMS_DELIVER,
	  "44" "03a121f3" "0000" "6211522100004a" "0a050003aa0201" "d06536" },
	{ "submit relative VP", SMS_MS_TO_SC, SMS_SUBMIT,
	  "1105" "0b916407281553f8" "0000" "a7" "0ae8329bfd4697d9ec37" },
	{ "submit absolute VP, SRR, RD", SMS_MS_TO_SC, SMS_SUBMIT,
	  "3d06" "0b916407281553f8" "0008" "62115221000089" "0400480069" },
	{ "submit enhanced VP hh:mm:ss", SMS_MS_TO_SC, SMS_SUBMIT,
	  "0907" "04e921ba" "0000" "43103050000000" "00" },
	{ "status report without TP-PI", SMS_SC_TO_MS, SMS_STATUS_REPORT,
	  "0608" "0b916407281553f8" "62115221000040" "6211522110004a" "00" },
	{ "status report with TP-PI and UD", SMS_SC_TO_MS, SMS_STATUS_REPORT,
	  "2609" "0b916407281553f8" "62115221000040" "62115221100040" "46" "07" "0000" "02" "c834" },
	{ "command delete", SMS_MS_TO_SC, SMS_COMMAND,
	  "220a" "00" "02" "05" "0b916407281553f8" "03" "616263" },
	{ "deliver report RP-ACK", SMS_MS_TO_SC, SMS_DELIVER_REPORT, "0000" },
	{ "deliver report RP-ERROR with PID DCS UD", SMS_MS_TO_SC, SMS_DELIVER_REPORT,
	  "00d3077ff602aabb" },
	{ "submit report RP-ACK", SMS_SC_TO_MS, SMS_SUBMIT_REPORT, "010062115221000040" },
	{ "submit report RP-ERROR", SMS_SC_TO_MS, SMS_SUBMIT_REPORT, "01c50062115221000040" },
};

static const uint8_t hellohello[10] = { 'h', 'e', 'l', 'l', 'o', 'h', 'e', 'l', 'l', 'o' };

/* Decode hex, check rc; for rc 0 also re-encode and compare the bytes. */
static void decode_hex(struct sms_tpdu *t, const char *hex, enum sms_dir dir, int want)
{
	uint8_t buf[400], out[SMS_TPDU_MAX_LEN];
	size_t n = unhex(hex, buf, sizeof(buf));
	/* An exact-size heap copy, so ASan catches a read past the end. */
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, buf, n);
	int rc = sms_tpdu_decode(t, exact, n, dir);
	free(exact);
	if (rc != want)
		fail_msg("%s: rc %d, want %d", hex, rc, want);
	if (rc)
		return;
	rc = sms_tpdu_encode(out, sizeof(out), t, dir);
	if (rc != (int)n || memcmp(out, buf, n))
		fail_msg("%s: re-encode gives %d octets, not the same", hex, rc);
}

static void test_vectors(void **state)
{
	struct sms_tpdu t;
	struct udh_concat c;
	uint16_t dst, src;

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		decode_hex(&t, vectors[i].hex, SMS_MS_TO_SC, 0);
		assert_int_equal(t.type, SMS_SUBMIT);
		assert_int_equal(t.addr.ton, SMS_TON_INTERNATIONAL);
		assert_int_equal(t.addr.npi, SMS_NPI_ISDN);
		assert_string_equal(t.addr.digits, "886900000001");
		/* The same bytes towards the MS would be a SUBMIT-REPORT: refused. */
		uint8_t buf[200];
		size_t n = unhex(vectors[i].hex, buf, sizeof(buf));
		assert_int_not_equal(sms_tpdu_decode(&t, buf, n, SMS_SC_TO_MS), 0);
	}

	/* tpdu-binary-concat#0: 8-bit, concat 8-bit ref 0x5A 1/2, port 16354. */
	decode_hex(&t, vectors[1].hex, SMS_MS_TO_SC, 0);
	assert_true(t.udhi);
	assert_int_equal(t.dcs.alphabet, SMS_ALPHABET_8BIT);
	assert_false(t.ud.septets);
	assert_int_equal(t.ud.udh.len, 11);
	assert_int_equal(t.ud.udh.n_ies, 2);
	assert_int_equal(udh_concat(&t.ud.udh, &c), 0);
	assert_int_equal(c.ref, 0x5a);
	assert_int_equal(c.ref_bits, 8);
	assert_int_equal(c.total, 2);
	assert_int_equal(c.seq, 1);
	assert_int_equal(udh_ports(&t.ud.udh, &dst, &src), 16);
	assert_int_equal(dst, 16354);
	assert_int_equal(t.ud.n, 0x8c - 12);

	/* tpdu-gsm7-concat#0: 16-bit ref 0x1234, 160 septets with fill bits. */
	decode_hex(&t, vectors[4].hex, SMS_MS_TO_SC, 0);
	assert_true(t.ud.septets);
	assert_int_equal(udh_concat(&t.ud.udh, &c), 0);
	assert_int_equal(c.ref, 0x1234);
	assert_int_equal(c.ref_bits, 16);
	/* UDH of 7 octets = 56 bits = 8 septets, no fill bits. */
	assert_int_equal(t.ud.n, 0xa0 - 8);

	/* tpdu-ucs2-concat#2: UCS2, 0x44 octets with a 6-octet UDH. */
	decode_hex(&t, vectors[8].hex, SMS_MS_TO_SC, 0);
	assert_int_equal(t.dcs.alphabet, SMS_ALPHABET_UCS2);
	assert_int_equal(t.ud.n, 0x44 - 6);
	assert_int_equal(t.ud.data[0], 0x00);
	assert_int_equal(t.ud.data[1], 'o');
}

static void test_examples_roundtrip(void **state)
{
	struct sms_tpdu t;
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		decode_hex(&t, examples[i].hex, examples[i].dir, 0);
		if (t.type != examples[i].type)
			fail_msg("%s: type %s", examples[i].what, sms_tpdu_type_name(t.type));
		assert_int_equal(sms_tpdu_dir(t.type), examples[i].dir);
	}
}

static void test_deliver_fields(void **state)
{
	struct sms_tpdu t;
	char iso[32];

	decode_hex(&t, examples[0].hex, SMS_SC_TO_MS, 0);
	assert_true(t.mms);
	assert_false(t.rp || t.udhi || t.sri || t.lp);
	assert_string_equal(t.addr.digits, "46708251358");
	assert_int_equal(t.addr.len, 11);
	/* 23.038 §6.1.2.1.1: "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37. */
	assert_true(t.ud.septets);
	assert_int_equal(t.ud.n, 10);
	assert_memory_equal(t.ud.data, hellohello, 10);
	/* §9.2.3.11: 99-03-29 15:16:59, TZ octet 0x80 = +8 quarters. */
	assert_int_equal(sms_time_format(iso, sizeof(iso), &t.scts), 25);
	assert_string_equal(iso, "2099-03-29T15:16:59+02:00");

	/* Alphanumeric originator "Meine": 10 semi-octets = 5 septets. */
	decode_hex(&t, examples[1].hex, SMS_SC_TO_MS, 0);
	assert_true(t.sri);
	assert_int_equal(t.addr.ton, SMS_TON_ALPHANUMERIC);
	assert_int_equal(t.addr.n_septets, 5);
	assert_memory_equal(t.addr.septets, "Meine", 5);
	assert_int_equal(t.dcs.group, SMS_DCS_CLASS);
	assert_int_equal(t.dcs.msg_class, 1);
	assert_int_equal(t.dcs.alphabet, SMS_ALPHABET_8BIT);
	/* TZ 0x40: units 4, tens 0 → +1 hour. */
	assert_int_equal(t.scts.tz, 4);
	assert_int_equal(t.ud.n, 3);

	/* 7-bit after a 6-octet UDH: 48 bits → 7 septets, 1 fill bit. */
	decode_hex(&t, examples[2].hex, SMS_SC_TO_MS, 0);
	assert_true(t.udhi && t.mms);
	assert_string_equal(t.addr.digits, "123");
	assert_int_equal(t.addr.ton, SMS_TON_NATIONAL);
	/* TZ 0x4a: tens 2 with the sign bit 3, units 4 → -24 quarters. */
	assert_int_equal(t.scts.tz, -24);
	assert_int_equal(t.ud.n, 3);
	assert_memory_equal(t.ud.data, "hel", 3);
}

static void test_submit_fields(void **state)
{
	struct sms_tpdu t;

	decode_hex(&t, examples[3].hex, SMS_MS_TO_SC, 0);
	assert_int_equal(t.mr, 5);
	assert_int_equal(t.vp.format, SMS_VPF_RELATIVE);
	/* §9.2.3.12.1: 0xA7 = 167 → 12 h + (167 - 143) × 30 min = 24 h. */
	assert_int_equal(sms_vp_seconds(&t.vp), 86400);

	decode_hex(&t, examples[4].hex, SMS_MS_TO_SC, 0);
	assert_true(t.rd && t.srr);
	assert_int_equal(t.vp.format, SMS_VPF_ABSOLUTE);
	assert_int_equal(t.vp.absolute.tz, -18);
	assert_int_equal(t.dcs.alphabet, SMS_ALPHABET_UCS2);
	assert_int_equal(t.ud.n, 4);

	decode_hex(&t, examples[5].hex, SMS_MS_TO_SC, 0);
	assert_int_equal(t.vp.format, SMS_VPF_ENHANCED);
	assert_true(t.vp.enhanced.single_shot);
	assert_int_equal(t.vp.enhanced.format, SMS_VP_ENH_HHMMSS);
	assert_int_equal(sms_vp_seconds(&t.vp), 1 * 3600 + 3 * 60 + 5);
	assert_string_equal(t.addr.digits, "12*#");
	assert_int_equal(t.addr.ton, SMS_TON_ABBREVIATED);
	assert_int_equal(t.ud.n, 0);
}

static void test_status_command_reports(void **state)
{
	struct sms_tpdu t;

	decode_hex(&t, examples[6].hex, SMS_SC_TO_MS, 0);
	assert_int_equal(t.mr, 8);
	assert_true(t.mms);
	assert_false(t.has_pi);
	assert_int_equal(t.st, 0);
	assert_string_equal(sms_st_name(t.st), "received");
	assert_int_equal(t.dt.tz, -24);
	assert_false(sms_tpdu_has_ud(&t));

	decode_hex(&t, examples[7].hex, SMS_SC_TO_MS, 0);
	assert_true(t.srq);
	assert_int_equal(t.st, 0x46);
	assert_string_equal(sms_st_name(t.st), "validity-period-expired");
	assert_string_equal(sms_st_class_name(t.st), "permanent-error");
	assert_true(t.has_pi && sms_tpdu_has_pid(&t) && sms_tpdu_has_dcs(&t) && sms_tpdu_has_ud(&t));
	assert_int_equal(t.ud.n, 2);
	assert_memory_equal(t.ud.data, "Hi", 2);

	decode_hex(&t, examples[8].hex, SMS_MS_TO_SC, 0);
	assert_int_equal(t.type, SMS_COMMAND);
	assert_true(t.srr);
	assert_int_equal(t.mr, 10);
	assert_int_equal(t.ct, 2);
	assert_string_equal(sms_ct_name(t.ct), "delete-sm");
	assert_int_equal(t.mn, 5);
	assert_false(t.ud.septets);
	assert_memory_equal(t.ud.data, "abc", 3);
	assert_false(sms_tpdu_has_dcs(&t));

	decode_hex(&t, examples[9].hex, SMS_MS_TO_SC, 0);
	assert_false(t.has_fcs);
	assert_true(t.has_pi);
	assert_false(sms_tpdu_has_pid(&t) || sms_tpdu_has_dcs(&t) || sms_tpdu_has_ud(&t));

	decode_hex(&t, examples[10].hex, SMS_MS_TO_SC, 0);
	assert_true(t.has_fcs);
	assert_int_equal(t.fcs, 0xd3);
	assert_string_equal(sms_fcs_name(t.fcs), "memory-capacity-exceeded");
	assert_int_equal(t.pid.raw, 0x7f);
	assert_string_equal(sms_pid_name(&t.pid), "sim-data-download");
	assert_int_equal(t.dcs.raw, 0xf6);
	assert_int_equal(t.ud.n, 2);

	decode_hex(&t, examples[11].hex, SMS_SC_TO_MS, 0);
	assert_false(t.has_fcs);
	assert_int_equal(t.scts.day, 25);
	decode_hex(&t, examples[12].hex, SMS_SC_TO_MS, 0);
	assert_true(t.has_fcs);
	assert_string_equal(sms_fcs_name(t.fcs), "sm-rejected-duplicate");
}

/* Every prefix of every valid TPDU is refused with -EIO or -EINVAL. */
static void test_truncation(void **state)
{
	struct sms_tpdu t;
	uint8_t buf[400];

	for (size_t k = 0; k < sizeof(vectors) / sizeof(vectors[0]) + sizeof(examples) / sizeof(examples[0]); k++) {
		bool vec = k < sizeof(vectors) / sizeof(vectors[0]);
		size_t e = k - sizeof(vectors) / sizeof(vectors[0]);
		const char *hex = vec ? vectors[k].hex : examples[e].hex;
		enum sms_dir dir = vec ? SMS_MS_TO_SC : examples[e].dir;
		size_t n = unhex(hex, buf, sizeof(buf));
		for (size_t len = 0; len < n; len++) {
			uint8_t *p = malloc(len ? len : 1);
			memcpy(p, buf, len);
			int rc = sms_tpdu_decode(&t, p, len, dir);
			free(p);
			/* A status report without its optional tail is still
			 * valid when cut right after TP-ST. */
			if (rc == 0 && t.type == SMS_STATUS_REPORT && len == 1 + 1 + 8 + 14 + 1)
				continue;
			if (rc != -EIO && rc != -EINVAL)
				fail_msg("%s cut at %zu: rc %d", hex, len, rc);
		}
		/* And one octet more is refused, except after a status report
		 * without TP-PI, where it is an (empty) TP-PI. */
		buf[n] = 0;
		int rc = sms_tpdu_decode(&t, buf, n + 1, dir);
		if (!vec && examples[e].type == SMS_STATUS_REPORT && n == 25)
			assert_true(rc == 0 && t.has_pi && t.pi == 0);
		else
			assert_int_equal(rc, -EINVAL);
	}
}

static void test_malformed(void **state)
{
	static const struct {
		const char *what;
		enum sms_dir dir;
		const char *hex;
		int rc;
	} bad[] = {
		{ "empty", SMS_MS_TO_SC, "", -EIO },
		{ "MTI 11 reserved", SMS_MS_TO_SC, "03", -EINVAL },
		{ "MTI 11 reserved, SC to MS", SMS_SC_TO_MS, "03", -EINVAL },
		{ "GSM7 UDL 161", SMS_MS_TO_SC, "0100" "028121" "0000" "a1", -EINVAL },
		{ "8-bit UDL 141", SMS_MS_TO_SC, "0100" "028121" "0004" "8d", -EINVAL },
		{ "TP-CDL 157", SMS_MS_TO_SC, "0200000000" "028121" "9d", -EINVAL },
		{ "UD shorter than UDL", SMS_MS_TO_SC, "0100" "028121" "0004" "03" "0102", -EIO },
		{ "UDHL past UDL (8-bit)", SMS_MS_TO_SC, "4100" "028121" "0004" "03" "050003", -EINVAL },
		{ "IE past UDHL", SMS_MS_TO_SC, "4100" "028121" "0004" "06" "040003aa02" "01", -EINVAL },
		{ "UDHI with UDL 0", SMS_MS_TO_SC, "4100" "028121" "0004" "00", -EINVAL },
		{ "UDH septets past UDL (GSM7)", SMS_MS_TO_SC, "4100" "028121" "0000" "05" "0500030102", -EINVAL },
		{ "non-zero fill bit", SMS_MS_TO_SC, "4100" "028121" "0000" "08" "050003010201" "03", -EINVAL },
		{ "non-zero spare bits", SMS_MS_TO_SC, "0100" "028121" "0000" "01" "c1", -EINVAL },
		{ "address filler not F", SMS_MS_TO_SC, "0100" "0381" "2101" "0000" "00", -EINVAL },
		{ "address F inside", SMS_MS_TO_SC, "0100" "0481" "2f43" "0000" "00", -EINVAL },
		{ "address TOA bit 7 clear", SMS_MS_TO_SC, "0100" "0201" "21" "0000" "00", -EINVAL },
		{ "address length 21", SMS_MS_TO_SC, "0100" "1591" "11111111111111111111f1" "0000" "00", -EINVAL },
		{ "SCTS month 13", SMS_SC_TO_MS, "00" "028121" "0000" "62315221000040" "00", -EINVAL },
		{ "SCTS 30 February", SMS_SC_TO_MS, "00" "028121" "0000" "62200321000040" "00", -EINVAL },
		{ "SCTS non-decimal nibble", SMS_SC_TO_MS, "00" "028121" "0000" "6a115221000040" "00", -EINVAL },
		{ "SCTS hour 24", SMS_SC_TO_MS, "00" "028121" "0000" "62115242000040" "00", -EINVAL },
		{ "SCTS TZ minus zero", SMS_SC_TO_MS, "00" "028121" "0000" "62115221000008" "00", -EINVAL },
		{ "enhanced VP format 5", SMS_MS_TO_SC, "0900" "028121" "0000" "05000000000000" "00", -EINVAL },
		{ "enhanced VP extension bit", SMS_MS_TO_SC, "0900" "028121" "0000" "81aa0000000000" "00", -EINVAL },
		{ "enhanced VP unused octet", SMS_MS_TO_SC, "0900" "028121" "0000" "01aa0000000001" "00", -EINVAL },
		{ "TP-PI extension bit", SMS_MS_TO_SC, "00ff80", -EINVAL },
		{ "report: PI missing", SMS_MS_TO_SC, "00", -EIO },
		{ "RP-ERROR: PI missing", SMS_MS_TO_SC, "00c0", -EIO },
		{ "report: UDHI without UD", SMS_MS_TO_SC, "4000", -EINVAL },
		{ "status report: UDHI without PI", SMS_SC_TO_MS,
		  "4600" "028121" "62115221000040" "62115221000040" "00", -EINVAL },
		{ "submit report: SCTS missing", SMS_SC_TO_MS, "0100", -EIO },
		{ "alnum address with spare bits set", SMS_SC_TO_MS, "00" "03d0" "c301" "0000" "62115221000040" "00", -EINVAL },
	};
	struct sms_tpdu t;
	uint8_t buf[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = unhex(bad[i].hex, buf, sizeof(buf));
		int rc = sms_tpdu_decode(&t, buf, n, bad[i].dir);
		if (rc != bad[i].rc)
			fail_msg("%s: rc %d, want %d", bad[i].what, rc, bad[i].rc);
	}
}

/* An invalid concatenation IE is flagged and ignored, not fatal (§9.2.3.24.1). */
static void test_bad_ie_values(void **state)
{
	struct sms_tpdu t;
	struct udh_concat c;

	/* concat8 with seq 3 > total 2, and a port8 IE of the wrong length. */
	decode_hex(&t, "4100" "028121" "0004" "0c" "0a" "0003aa0203" "0403010203" "ff", SMS_MS_TO_SC, 0);
	assert_int_equal(t.ud.udh.n_ies, 2);
	assert_int_equal(t.ud.udh.ies[0].flags, UDH_IE_BAD_VALUE);
	assert_int_equal(t.ud.udh.ies[1].flags, UDH_IE_BAD_LEN);
	assert_int_equal(udh_concat(&t.ud.udh, &c), -ENOENT);
	assert_int_equal(t.ud.n, 1);
}

static void test_encode_refusals(void **state)
{
	struct sms_tpdu t, ok;
	uint8_t out[SMS_TPDU_MAX_LEN], buf[64];
	size_t n = unhex(examples[3].hex, buf, sizeof(buf));

	assert_int_equal(sms_tpdu_decode(&ok, buf, n, SMS_MS_TO_SC), 0);
	/* Every capacity below the size: -ENOSPC. */
	for (size_t cap = 0; cap < n; cap++)
		assert_int_equal(sms_tpdu_encode(out, cap, &ok, SMS_MS_TO_SC), -ENOSPC);
	assert_int_equal(sms_tpdu_encode(out, n, &ok, SMS_MS_TO_SC), (int)n);
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &ok, SMS_SC_TO_MS), -EINVAL);

	t = ok;
	t.sri = true;		/* not a SUBMIT flag */
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t = ok;
	t.spare = 0x10;		/* SUBMIT has no unused bits */
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t = ok;
	t.dcs.raw = 0x08;	/* UCS2 but the parts say GSM7 */
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	sms_dcs_decode(&t.dcs, 0x08);	/* consistent, but ud.septets is wrong */
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t = ok;
	t.ud.data[0] = 0x80;
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t = ok;
	t.ud.n = 160;		/* 160 septets fit */
	assert_true(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC) > 0);
	t.udhi = true;		/* not with a header in front */
	udh_add_ports(&t.ud.udh, 1, 2, 8);
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t = ok;
	t.ud.udh.len = 3;	/* raw bytes without their IE table */
	t.udhi = true;
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t = ok;
	t.vp.relative = 0;
	t.vp.format = SMS_VPF_ABSOLUTE;	/* an all-zero time: month 0 */
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);

	sms_tpdu_init(&t, SMS_DELIVER_REPORT);
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), 2);
	t.has_fcs = true;
	t.fcs = 0x7f;		/* would read back as TP-PI */
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t.fcs = 0xff;
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), 3);
	t.pi = SMS_PI_EXT;
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t.pi = 0;
	t.pid.raw = 1;		/* PID not announced by TP-PI */
	sms_pid_decode(&t.pid, 1);
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
	t.type = 9;
	assert_int_equal(sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC), -EINVAL);
}

/* Build a TPDU of each type with the builders and decode it back. */
static void test_build(void **state)
{
	struct sms_tpdu t, back;
	uint8_t out[SMS_TPDU_MAX_LEN];
	struct udh_concat c = { .ref = 0x4242, .ref_bits = 16, .total = 3, .seq = 2 };
	int n;

	sms_tpdu_init(&t, SMS_SUBMIT);
	assert_int_equal(sms_addr_set_digits(&t.addr, "+4915123456789", 0, 0), 0);
	sms_dcs_decode(&t.dcs, 0x00);
	t.udhi = true;
	udh_init(&t.ud.udh);
	assert_int_equal(udh_add_concat(&t.ud.udh, &c), 0);
	assert_int_equal(sms_tpdu_set_ud(&t, hellohello, 10), 0);
	t.vp.format = SMS_VPF_RELATIVE;
	t.vp.relative = 0xff;
	n = sms_tpdu_encode(out, sizeof(out), &t, SMS_MS_TO_SC);
	assert_true(n > 0);
	/* UDL: a 7-octet header is 8 septets, then 10. */
	assert_int_equal(out[1 + 1 + 2 + 7 + 2 + 1], 18);
	assert_int_equal(sms_tpdu_decode(&back, out, (size_t)n, SMS_MS_TO_SC), 0);
	assert_string_equal(back.addr.digits, "4915123456789");
	assert_int_equal(back.addr.ton, SMS_TON_INTERNATIONAL);
	assert_int_equal(udh_concat(&back.ud.udh, &c), 0);
	assert_int_equal(c.seq, 2);
	assert_memory_equal(back.ud.data, hellohello, 10);
	assert_int_equal(sms_vp_seconds(&back.vp), 63 * 7 * 86400);

	/* A set_ud above the limits, or with a septet > 0x7f. */
	uint8_t big[200] = { 0 };
	assert_int_equal(sms_tpdu_set_ud(&t, big, 161), -EINVAL);
	big[0] = 0x80;
	assert_int_equal(sms_tpdu_set_ud(&t, big, 1), -EINVAL);
	sms_dcs_decode(&t.dcs, 0x04);
	assert_int_equal(sms_tpdu_set_ud(&t, big, 1), 0);
	assert_false(t.ud.septets);

	sms_tpdu_init(&t, SMS_SUBMIT_REPORT);
	t.scts = (struct sms_time){ 26, 11, 25, 23, 59, 59, -79 };
	t.pi = SMS_PI_UDL | SMS_PI_DCS;
	sms_dcs_decode(&t.dcs, 0x08);
	assert_int_equal(sms_tpdu_set_ud(&t, (const uint8_t *)"\0h\0i", 4), 0);
	n = sms_tpdu_encode(out, sizeof(out), &t, SMS_SC_TO_MS);
	assert_int_equal(n, 1 + 1 + 7 + 1 + 1 + 4);
	assert_int_equal(sms_tpdu_decode(&back, out, (size_t)n, SMS_SC_TO_MS), 0);
	assert_int_equal(back.scts.tz, -79);
	assert_int_equal(back.ud.n, 4);
}

static void test_names(void **state)
{
	assert_string_equal(sms_tpdu_type_name(SMS_DELIVER), "sms-deliver");
	assert_string_equal(sms_tpdu_type_name(SMS_COMMAND), "sms-command");
	assert_string_equal(sms_tpdu_type_name((enum sms_tpdu_type)42), "invalid");
	assert_string_equal(sms_dir_name(SMS_MS_TO_SC), "ms-to-sc");
	assert_string_equal(sms_st_name(0x02), "replaced");
	assert_string_equal(sms_st_name(0x03), "reserved");
	assert_string_equal(sms_st_name(0x15), "sc-specific");
	assert_string_equal(sms_st_name(0x21), "sme-busy");
	assert_string_equal(sms_st_name(0x65), "error-in-sme");
	assert_string_equal(sms_st_name(0x80), "reserved");
	assert_string_equal(sms_st_class_name(0x61), "temporary-error-stopped");
	assert_string_equal(sms_fcs_name(0xc7), "tp-vp-not-supported");
	assert_string_equal(sms_fcs_name(0xe5), "application-specific");
	assert_string_equal(sms_fcs_name(0xff), "unspecified-error");
	assert_string_equal(sms_fcs_name(0x83), "reserved");
	assert_string_equal(sms_ct_name(0), "enquiry");
	assert_string_equal(sms_ct_name(0x10), "reserved");
	assert_string_equal(sms_ct_name(0xe0), "sc-specific");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_examples_roundtrip),
		cmocka_unit_test(test_deliver_fields),
		cmocka_unit_test(test_submit_fields),
		cmocka_unit_test(test_status_command_reports),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_ie_values),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_names),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("tpdu", tests, NULL, NULL));
}
