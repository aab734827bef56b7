/*
 * test_sms_fields — the TPDU fields: addresses (3GPP TS 23.040 §9.1.2.5),
 * time stamps and validity periods (§9.2.3.11, §9.2.3.12), TP-DCS
 * (3GPP TS 23.038 §4) and TP-PID (§9.2.3.9).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include "gateway/sms/sms_addr.h"
#include "gateway/sms/sms_dcs.h"
#include "gateway/sms/sms_time.h"

/* Read an address from b and write it back: the same bytes. */
static int addr_rt(const uint8_t *b, size_t n, struct sms_addr *a)
{
	struct rd r;
	struct wr w;
	uint8_t out[16];

	rd_init(&r, b, n);
	int rc = sms_addr_read(&r, a);
	if (rc)
		return rc;
	if (rd_end(&r))
		return -EINVAL;
	wr_init(&w, out, sizeof(out));
	assert_int_equal(sms_addr_write(&w, a), 0);
	assert_int_equal(w.off, n);
	assert_memory_equal(out, b, n);
	return 0;
}

/* §9.1.2.5: +46708251358, 11 digits, international ISDN, F filler. */
static void test_addr_bcd(void **state)
{
	static const uint8_t b[] = { 0x0b, 0x91, 0x64, 0x07, 0x28, 0x15, 0x53, 0xf8 };
	static const uint8_t special[] = { 0x05, 0x81, 0xba, 0xdc, 0xfe };	/* "*#abc" */
	static const uint8_t empty[] = { 0x00, 0x80 };
	struct sms_addr a;

	assert_int_equal(addr_rt(b, sizeof(b), &a), 0);
	assert_string_equal(a.digits, "46708251358");
	assert_int_equal(a.n_digits, 11);
	assert_int_equal(a.ton, SMS_TON_INTERNATIONAL);
	assert_int_equal(a.npi, SMS_NPI_ISDN);
	assert_string_equal(sms_ton_name(a.ton), "international");
	assert_string_equal(sms_npi_name(a.npi), "isdn");
	/* 3GPP TS 24.008 Table 10.5.118: 0xA-0xE are '*', '#', 'a', 'b', 'c'. */
	assert_int_equal(addr_rt(special, sizeof(special), &a), 0);
	assert_string_equal(a.digits, "*#abc");
	assert_int_equal(addr_rt(empty, sizeof(empty), &a), 0);
	assert_int_equal(a.n_digits, 0);

	assert_int_equal(sms_addr_set_digits(&a, "+46708251358", 0, 0), 0);
	assert_int_equal(a.ton, SMS_TON_INTERNATIONAL);
	assert_string_equal(a.digits, "46708251358");
	assert_int_equal(sms_addr_set_digits(&a, "12AB", SMS_TON_NATIONAL, SMS_NPI_ISDN), 0);
	assert_string_equal(a.digits, "12ab");
	assert_int_equal(sms_addr_set_digits(&a, "+", 0, 0), -EINVAL);
	assert_int_equal(sms_addr_set_digits(&a, "12x", 0, 0), -EINVAL);
	assert_int_equal(sms_addr_set_digits(&a, "123456789012345678901", 0, 0), -EINVAL);
	assert_int_equal(sms_addr_set_digits(&a, "1", SMS_TON_ALPHANUMERIC, 0), -EINVAL);
}

static void test_addr_refused(void **state)
{
	static const struct {
		const char *what;
		uint8_t b[14];
		size_t n;
		int rc;
	} bad[] = {
		{ "filler not F", { 0x03, 0x81, 0x21, 0x03 }, 4, -EINVAL },
		{ "F inside", { 0x02, 0x81, 0xf1 }, 3, -EINVAL },
		{ "TOA bit 7 clear", { 0x02, 0x11, 0x21 }, 3, -EINVAL },
		{ "length 21", { 0x15, 0x91 }, 2, -EINVAL },
		{ "value cut", { 0x04, 0x91, 0x21 }, 3, -EIO },
		{ "no TOA", { 0x04 }, 1, -EIO },
		{ "nothing", { 0 }, 0, -EIO },
		{ "alnum spare bits", { 0x03, 0xd0, 0x41, 0x80 }, 4, -EINVAL },
	};
	struct sms_addr a;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = addr_rt(bad[i].b, bad[i].n, &a);
		if (rc != bad[i].rc)
			fail_msg("%s: rc %d", bad[i].what, rc);
	}
	/* The writer refuses an inconsistent struct. */
	struct wr w;
	uint8_t out[16];
	sms_addr_set_digits(&a, "123", 1, 1);
	a.n_digits = 2;
	wr_init(&w, out, sizeof(out));
	assert_int_equal(sms_addr_write(&w, &a), -EINVAL);
	sms_addr_set_digits(&a, "123", 1, 1);
	a.digits[1] = 'z';
	wr_init(&w, out, sizeof(out));
	assert_int_equal(sms_addr_write(&w, &a), -EINVAL);
	sms_addr_set_digits(&a, "123", 1, 1);
	wr_init(&w, out, 3);
	assert_int_equal(sms_addr_write(&w, &a), -ENOSPC);
}

/* TON 5: GSM 7-bit packed, the length in semi-octets (§9.1.2.5). */
static void test_addr_alnum(void **state)
{
	/* "Meine": 5 septets = 35 bits = 5 octets = 10 semi-octets. */
	static const uint8_t b[] = { 0x0a, 0xd0, 0xcd, 0x72, 0xda, 0x5d, 0x06 };
	/* 11 septets in 10 octets (the longest value). */
	static const uint8_t s11[11] = "Hello World";
	struct sms_addr a, back;
	struct wr w;
	struct rd r;
	uint8_t out[16];

	assert_int_equal(addr_rt(b, sizeof(b), &a), 0);
	assert_int_equal(a.ton, SMS_TON_ALPHANUMERIC);
	assert_int_equal(a.n_septets, 5);
	assert_memory_equal(a.septets, "Meine", 5);
	assert_string_equal(sms_ton_name(a.ton), "alphanumeric");

	assert_int_equal(sms_addr_set_alnum(&a, s11, 11), 0);
	assert_int_equal(a.len, 20);
	wr_init(&w, out, sizeof(out));
	assert_int_equal(sms_addr_write(&w, &a), 0);
	assert_int_equal(w.off, 12);
	rd_init(&r, out, w.off);
	assert_int_equal(sms_addr_read(&r, &back), 0);
	assert_int_equal(back.n_septets, 11);
	assert_memory_equal(back.septets, s11, 11);
	assert_int_equal(sms_addr_set_alnum(&a, s11, 12), -EINVAL);
	out[0] = 0x80;
	assert_int_equal(sms_addr_set_alnum(&a, out, 1), -EINVAL);
}

static int time_read(const uint8_t *b, struct sms_time *t)
{
	struct rd r;
	rd_init(&r, b, SMS_TIME_LEN);
	return sms_time_read(&r, t);
}

/* §9.2.3.11: semi-octets, tens in the low nibble; TZ in quarter hours with
 * its sign in bit 3. */
static void test_time(void **state)
{
	static const uint8_t east[7] = { 0x62, 0x11, 0x52, 0x21, 0x00, 0x00, 0x40 };
	static const uint8_t west[7] = { 0x99, 0x21, 0x13, 0x32, 0x95, 0x95, 0x4a };
	static const uint8_t leap[7] = { 0x42, 0x20, 0x92, 0x00, 0x00, 0x00, 0x00 };
	struct sms_time t;
	char iso[32];
	uint8_t out[7];
	struct wr w;

	assert_int_equal(time_read(east, &t), 0);
	assert_int_equal(t.year, 26);
	assert_int_equal(t.month, 11);
	assert_int_equal(t.day, 25);
	assert_int_equal(t.hour, 12);
	assert_int_equal(t.tz, 4);
	assert_int_equal(sms_time_to_unix(&t), 1795604400);
	assert_int_equal(sms_time_format(iso, sizeof(iso), &t), 25);
	assert_string_equal(iso, "2026-11-25T12:00:00+01:00");
	assert_int_equal(sms_time_format(iso, 25, &t), -ENOSPC);

	assert_int_equal(time_read(west, &t), 0);
	assert_int_equal(t.tz, -24);
	assert_int_equal(sms_time_to_unix(&t), 4102466399LL);
	sms_time_format(iso, sizeof(iso), &t);
	assert_string_equal(iso, "2099-12-31T23:59:59-06:00");
	wr_init(&w, out, sizeof(out));
	assert_int_equal(sms_time_write(&w, &t), 0);
	assert_memory_equal(out, west, 7);

	assert_int_equal(time_read(leap, &t), 0);
	assert_int_equal(sms_time_to_unix(&t), 1709164800);

	/* Refusals: each octet made invalid in turn. */
	static const struct {
		int at;
		uint8_t v;
	} bad[] = {
		{ 0, 0xa0 }, { 1, 0x00 }, { 1, 0x31 }, { 2, 0x00 }, { 2, 0x23 },
		{ 3, 0x42 }, { 4, 0x06 }, { 5, 0x06 }, { 5, 0x0f }, { 6, 0xa0 },
		{ 6, 0x08 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[7];
		memcpy(b, east, 7);
		b[bad[i].at] = bad[i].v;
		if (time_read(b, &t) != -EINVAL)
			fail_msg("octet %d = %02x accepted", bad[i].at, bad[i].v);
	}
	/* 29 February only in a leap year. */
	uint8_t b[7];
	memcpy(b, leap, 7);
	b[0] = 0x52;	/* 2025 */
	assert_int_equal(time_read(b, &t), -EINVAL);
	struct rd r;
	rd_init(&r, east, 6);
	assert_int_equal(sms_time_read(&r, &t), -EIO);
	t = (struct sms_time){ 26, 13, 1, 0, 0, 0, 0 };
	wr_init(&w, out, sizeof(out));
	assert_int_equal(sms_time_write(&w, &t), -EINVAL);
}

/* §9.2.3.12.1: the four ranges of the relative TP-VP. */
static void test_vp_relative(void **state)
{
	static const struct {
		uint8_t v;
		int64_t s;
	} table[] = {
		{ 0, 300 }, { 143, 12 * 3600 }, { 144, 12 * 3600 + 1800 }, { 167, 86400 },
		{ 168, 2 * 86400 }, { 196, 30 * 86400 }, { 197, 5 * 7 * 86400 },
		{ 255, 63 * 7 * 86400 },
	};
	struct sms_vp vp = { .format = SMS_VPF_RELATIVE };
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		vp.relative = table[i].v;
		assert_int_equal(sms_vp_seconds(&vp), table[i].s);
	}
	vp.format = SMS_VPF_ABSOLUTE;
	assert_int_equal(sms_vp_seconds(&vp), -1);
	assert_string_equal(sms_vpf_name(SMS_VPF_ENHANCED), "enhanced");
}

static int vp_rt(enum sms_vpf vpf, const uint8_t *b, size_t n, struct sms_vp *vp)
{
	struct rd r;
	struct wr w;
	uint8_t out[8];
	rd_init(&r, b, n);
	int rc = sms_vp_read(&r, vpf, vp);
	if (rc)
		return rc;
	assert_int_equal(r.off, n);
	wr_init(&w, out, sizeof(out));
	assert_int_equal(sms_vp_write(&w, vp), 0);
	assert_int_equal(w.off, n);
	assert_memory_equal(out, b, n);
	return 0;
}

/* §9.2.3.12.3: enhanced TP-VP, 7 octets. */
static void test_vp_enhanced(void **state)
{
	static const uint8_t rel[7] = { 0x01, 0xa7, 0, 0, 0, 0, 0 };
	static const uint8_t secs[7] = { 0x42, 0x3c, 0, 0, 0, 0, 0 };
	static const uint8_t hms[7] = { 0x03, 0x21, 0x43, 0x65, 0, 0, 0 };
	static const uint8_t none[7] = { 0x00, 0, 0, 0, 0, 0, 0 };
	static const uint8_t absolute[7] = { 0x62, 0x11, 0x52, 0x21, 0x00, 0x00, 0x40 };
	struct sms_vp vp;

	assert_int_equal(vp_rt(SMS_VPF_ENHANCED, rel, 7, &vp), 0);
	assert_int_equal(vp.enhanced.format, SMS_VP_ENH_RELATIVE);
	assert_int_equal(sms_vp_seconds(&vp), 86400);
	assert_int_equal(vp_rt(SMS_VPF_ENHANCED, secs, 7, &vp), 0);
	assert_true(vp.enhanced.single_shot);
	assert_int_equal(sms_vp_seconds(&vp), 60);
	assert_string_equal(sms_vp_enh_format_name(vp.enhanced.format), "seconds");
	assert_int_equal(vp_rt(SMS_VPF_ENHANCED, hms, 7, &vp), 0);
	assert_int_equal(sms_vp_seconds(&vp), 12 * 3600 + 34 * 60 + 56);
	assert_int_equal(vp_rt(SMS_VPF_ENHANCED, none, 7, &vp), 0);
	assert_int_equal(sms_vp_seconds(&vp), -1);
	assert_int_equal(vp_rt(SMS_VPF_ABSOLUTE, absolute, 7, &vp), 0);
	assert_int_equal(vp.absolute.day, 25);
	assert_int_equal(vp_rt(SMS_VPF_RELATIVE, rel + 1, 1, &vp), 0);
	assert_int_equal(vp_rt(SMS_VPF_NONE, rel, 0, &vp), 0);

	static const uint8_t bad[][7] = {
		{ 0x81, 0xa7 },			/* extension bit */
		{ 0x09, 0xa7 },			/* reserved bit 3 */
		{ 0x04 },			/* format 4 */
		{ 0x01, 0xa7, 0x01 },		/* unused octet not zero */
		{ 0x00, 0x01 },			/* no VP, octet not zero */
		{ 0x03, 0x21, 0x06 },		/* 60 minutes */
		{ 0x03, 0x2a },			/* non-decimal */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vp_rt(SMS_VPF_ENHANCED, bad[i], 7, &vp), -EINVAL);
	assert_int_equal(vp_rt(SMS_VPF_ENHANCED, rel, 6, &vp), -EIO);
}

/* 23.038 §4: every coding group. */
static void test_dcs(void **state)
{
	struct sms_dcs d;

	sms_dcs_decode(&d, 0x00);
	assert_int_equal(d.group, SMS_DCS_GENERAL);
	assert_int_equal(d.alphabet, SMS_ALPHABET_GSM7);
	assert_false(d.has_class || d.compressed);
	assert_true(sms_dcs_ud_septets(&d));
	sms_dcs_decode(&d, 0x08);
	assert_int_equal(d.alphabet, SMS_ALPHABET_UCS2);
	assert_false(sms_dcs_ud_septets(&d));
	sms_dcs_decode(&d, 0x15);	/* general, class 1, 8-bit */
	assert_int_equal(d.alphabet, SMS_ALPHABET_8BIT);
	assert_true(d.has_class);
	assert_int_equal(d.msg_class, 1);
	sms_dcs_decode(&d, 0x0c);	/* reserved alphabet: read as GSM7 */
	assert_int_equal(d.alphabet, SMS_ALPHABET_RESERVED);
	assert_true(sms_dcs_ud_septets(&d));
	sms_dcs_decode(&d, 0x20);	/* compressed GSM7: UDL in octets */
	assert_true(d.compressed);
	assert_false(sms_dcs_ud_septets(&d));
	sms_dcs_decode(&d, 0x52);	/* marked for automatic deletion, class 2 */
	assert_int_equal(d.group, SMS_DCS_AUTO_DELETE);
	assert_int_equal(d.msg_class, 2);
	sms_dcs_decode(&d, 0x9f);	/* reserved group: GSM7 */
	assert_int_equal(d.group, SMS_DCS_RESERVED);
	assert_int_equal(d.alphabet, SMS_ALPHABET_GSM7);
	sms_dcs_decode(&d, 0xc8);	/* MWI discard, active, voicemail */
	assert_int_equal(d.group, SMS_DCS_MWI_DISCARD);
	assert_true(d.mwi_active);
	assert_int_equal(d.mwi_type, SMS_MWI_VOICEMAIL);
	sms_dcs_decode(&d, 0xd1);	/* MWI store, inactive, fax */
	assert_int_equal(d.group, SMS_DCS_MWI_STORE);
	assert_false(d.mwi_active);
	assert_string_equal(sms_mwi_type_name(d.mwi_type), "fax");
	sms_dcs_decode(&d, 0xee);	/* MWI store UCS2, active, email, reserved bit 2 */
	assert_int_equal(d.alphabet, SMS_ALPHABET_UCS2);
	assert_true(d.reserved_bits);
	assert_int_equal(d.mwi_type, SMS_MWI_EMAIL);
	sms_dcs_decode(&d, 0xf6);	/* class group, 8-bit, class 2 */
	assert_int_equal(d.group, SMS_DCS_CLASS);
	assert_int_equal(d.alphabet, SMS_ALPHABET_8BIT);
	assert_int_equal(d.msg_class, 2);
	assert_string_equal(sms_dcs_group_name(d.group), "class");
	assert_string_equal(sms_alphabet_name(d.alphabet), "8bit");

	/* encode(decode(o)) == o for every octet without reserved bits or a
	 * reserved group. */
	for (unsigned o = 0; o < 256; o++) {
		sms_dcs_decode(&d, (uint8_t)o);
		int e = sms_dcs_encode(&d);
		if (d.group == SMS_DCS_RESERVED) {
			assert_int_equal(e, -EINVAL);
			continue;
		}
		if (d.reserved_bits)
			continue;
		if (e != (int)o)
			fail_msg("dcs %02x encodes to %d", o, e);
	}
	d.group = SMS_DCS_CLASS;
	d.alphabet = SMS_ALPHABET_UCS2;
	assert_int_equal(sms_dcs_encode(&d), -EINVAL);
}

/* §9.2.3.9. */
static void test_pid(void **state)
{
	static const struct {
		uint8_t o;
		enum sms_pid_kind kind;
		const char *name;
	} table[] = {
		{ 0x00, SMS_PID_SM_AL, "sm-al" },
		{ 0x21, SMS_PID_TELEMATIC, "telex" },
		{ 0x32, SMS_PID_TELEMATIC, "internet-email" },
		{ 0x3f, SMS_PID_TELEMATIC, "gsm-umts-ms" },
		{ 0x40, SMS_PID_MSG_TYPE, "sm-type-0" },
		{ 0x47, SMS_PID_MSG_TYPE, "replace-type-7" },
		{ 0x5f, SMS_PID_MSG_TYPE, "return-call" },
		{ 0x7f, SMS_PID_MSG_TYPE, "sim-data-download" },
		{ 0x50, SMS_PID_MSG_TYPE, "reserved" },
		{ 0x80, SMS_PID_RESERVED, "reserved" },
		{ 0xc5, SMS_PID_SC_SPECIFIC, "sc-specific" },
	};
	struct sms_pid p;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		sms_pid_decode(&p, table[i].o);
		assert_int_equal(p.raw, table[i].o);
		assert_int_equal(p.kind, table[i].kind);
		assert_string_equal(sms_pid_name(&p), table[i].name);
	}
	sms_pid_decode(&p, 0x32);
	assert_int_equal(p.value, 0x12);
	assert_string_equal(sms_pid_kind_name(p.kind), "telematic");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_bcd),
		cmocka_unit_test(test_addr_refused),
		cmocka_unit_test(test_addr_alnum),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_vp_relative),
		cmocka_unit_test(test_vp_enhanced),
		cmocka_unit_test(test_dcs),
		cmocka_unit_test(test_pid),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("sms_fields", tests, NULL, NULL));
}
