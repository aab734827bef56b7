/*
 * test_tpdu_roundtrip — seeded random TPDUs of every type, coding, UDH mix
 * and length (3GPP TS 23.040 §9.2.2): decode(encode(x)) == x, and for any
 * input the decoder accepts (random mutations of encoded TPDUs included),
 * encode(decode(b)) == b.  TXGW_TEST_SEED repeats a run.
 */
#include <errno.h>
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

#include "gateway/sms/tpdu.h"

#define ITERATIONS 30000

/* xorshift32: a small reproducible generator, independent of libc rand(). */
static unsigned rnd(uint32_t *s, unsigned n)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return n ? x % n : 0;
}

static void rnd_time(uint32_t *s, struct sms_time *t)
{
	t->year = (uint8_t)rnd(s, 100);
	t->month = (uint8_t)(1 + rnd(s, 12));
	t->day = (uint8_t)(1 + rnd(s, 28));
	t->hour = (uint8_t)rnd(s, 24);
	t->minute = (uint8_t)rnd(s, 60);
	t->second = (uint8_t)rnd(s, 60);
	t->tz = (int8_t)((int)rnd(s, 159) - 79);
	if (t->tz == 0 && rnd(s, 2))
		t->tz = 79;
}

static void rnd_addr(uint32_t *s, struct sms_addr *a)
{
	if (rnd(s, 5) == 0) {
		uint8_t sept[SMS_ADDR_MAX_SEPTETS];
		size_t n = rnd(s, SMS_ADDR_MAX_SEPTETS + 1);
		for (size_t i = 0; i < n; i++)
			sept[i] = (uint8_t)rnd(s, 128);
		assert_int_equal(sms_addr_set_alnum(a, sept, n), 0);
		return;
	}
	char d[SMS_ADDR_MAX_DIGITS + 1];
	size_t n = rnd(s, SMS_ADDR_MAX_DIGITS + 1);
	for (size_t i = 0; i < n; i++)
		d[i] = "0123456789*#abc"[rnd(s, 15)];
	d[n] = 0;
	unsigned ton = rnd(s, 8);
	if (ton == SMS_TON_ALPHANUMERIC)
		ton = SMS_TON_UNKNOWN;
	assert_int_equal(sms_addr_set_digits(a, d, (uint8_t)ton, (uint8_t)rnd(s, 16)), 0);
}

static void rnd_vp(uint32_t *s, struct sms_vp *vp)
{
	vp->format = (enum sms_vpf)rnd(s, 4);
	switch (vp->format) {
	case SMS_VPF_RELATIVE:
		vp->relative = (uint8_t)rnd(s, 256);
		break;
	case SMS_VPF_ABSOLUTE:
		rnd_time(s, &vp->absolute);
		break;
	case SMS_VPF_ENHANCED:
		vp->enhanced.single_shot = rnd(s, 2);
		vp->enhanced.format = (uint8_t)rnd(s, 4);
		if (vp->enhanced.format == SMS_VP_ENH_RELATIVE || vp->enhanced.format == SMS_VP_ENH_SECONDS)
			vp->enhanced.value = (uint8_t)rnd(s, 256);
		if (vp->enhanced.format == SMS_VP_ENH_HHMMSS) {
			vp->enhanced.hh = (uint8_t)rnd(s, 100);
			vp->enhanced.mm = (uint8_t)rnd(s, 60);
			vp->enhanced.ss = (uint8_t)rnd(s, 60);
		}
		break;
	default:
		break;
	}
}

/* A header of random IEs, known and unknown, valid and flagged. */
static void rnd_udh(uint32_t *s, struct udh *h, size_t max)
{
	udh_init(h);
	unsigned n = rnd(s, 5);
	for (unsigned i = 0; i < n; i++) {
		uint8_t data[24];
		struct udh_concat c = { (uint16_t)rnd(s, 65536), 16, (uint8_t)rnd(s, 256),
					(uint8_t)rnd(s, 256) };
		struct udh tmp = *h;
		int rc;
		switch (rnd(s, 5)) {
		case 0:
			c.ref_bits = 8;
			c.ref &= 0xff;
			/* fall through */
		case 1:
			rc = udh_add_concat(&tmp, &c);
			break;
		case 2:
			rc = udh_add_ports(&tmp, (uint16_t)rnd(s, 256), (uint16_t)rnd(s, 256), rnd(s, 2) ? 8 : 16);
			break;
		case 3:
			rc = udh_add(&tmp, rnd(s, 2) ? UDH_IEI_STK_COMMAND : UDH_IEI_STK_RESPONSE, data, 0);
			break;
		default: {
			uint8_t len = (uint8_t)rnd(s, sizeof(data));
			for (unsigned k = 0; k < len; k++)
				data[k] = (uint8_t)rnd(s, 256);
			rc = udh_add(&tmp, (uint8_t)rnd(s, 256), data, len);
		}
		}
		if (rc == 0 && udh_size(&tmp) <= max)
			*h = tmp;
	}
}

/* Payload of random length up to what TP-UDL leaves after the header. */
static void rnd_ud(uint32_t *s, struct sms_tpdu *t, bool with_udh)
{
	bool command = t->type == SMS_COMMAND;
	bool septets = !command && sms_dcs_ud_septets(&t->dcs);
	size_t limit = command ? SMS_CD_MAX_OCTETS : SMS_UD_MAX_OCTETS;
	uint8_t data[SMS_UD_MAX_SEPTETS];

	t->udhi = with_udh && rnd(s, 3) == 0;
	if (t->udhi)
		rnd_udh(s, &t->ud.udh, limit - (rnd(s, 2) ? 100 : 0));
	size_t hdr = t->udhi ? udh_size(&t->ud.udh) : 0;
	size_t max = septets ? SMS_UD_MAX_SEPTETS - (hdr * 8 + 6) / 7 : limit - hdr;
	size_t n = rnd(s, 4) == 0 ? max : rnd(s, (unsigned)max + 1);
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)rnd(s, septets ? 128 : 256);
	assert_int_equal(sms_tpdu_set_ud(t, data, n), 0);
}

/* TP-PI and what it announces (reports; a status report when has_pi). */
static void rnd_pi_fields(uint32_t *s, struct sms_tpdu *t)
{
	t->pi = (uint8_t)rnd(s, 128);
	if (rnd(s, 2))
		t->pi &= 0x07;	/* reserved bits mostly clear */
	if (t->pi & SMS_PI_PID)
		sms_pid_decode(&t->pid, (uint8_t)rnd(s, 256));
	if (t->pi & SMS_PI_DCS)
		sms_dcs_decode(&t->dcs, (uint8_t)rnd(s, 256));
	if (t->pi & SMS_PI_UDL)
		rnd_ud(s, t, true);
}

static void rnd_tpdu(uint32_t *s, struct sms_tpdu *t)
{
	static const uint8_t spare[] = {
		[SMS_DELIVER] = 0x10, [SMS_DELIVER_REPORT] = 0xbc, [SMS_SUBMIT] = 0,
		[SMS_SUBMIT_REPORT] = 0xbc, [SMS_STATUS_REPORT] = 0x90, [SMS_COMMAND] = 0x9c,
	};
	enum sms_tpdu_type type = (enum sms_tpdu_type)rnd(s, 6);

	sms_tpdu_init(t, type);
	if (rnd(s, 4) == 0)
		t->spare = (uint8_t)(rnd(s, 256) & spare[type]);
	t->mr = (uint8_t)rnd(s, 256);
	switch (type) {
	case SMS_DELIVER:
	case SMS_SUBMIT:
		rnd_addr(s, &t->addr);
		sms_pid_decode(&t->pid, (uint8_t)rnd(s, 256));
		sms_dcs_decode(&t->dcs, (uint8_t)rnd(s, 256));
		t->rp = rnd(s, 2);
		if (type == SMS_DELIVER) {
			t->mr = 0;
			t->mms = rnd(s, 2);
			t->lp = rnd(s, 2);
			t->sri = rnd(s, 2);
			rnd_time(s, &t->scts);
		} else {
			t->rd = rnd(s, 2);
			t->srr = rnd(s, 2);
			rnd_vp(s, &t->vp);
		}
		rnd_ud(s, t, true);
		break;
	case SMS_STATUS_REPORT:
		t->mms = rnd(s, 2);
		t->lp = rnd(s, 2);
		t->srq = rnd(s, 2);
		rnd_addr(s, &t->addr);
		rnd_time(s, &t->scts);
		rnd_time(s, &t->dt);
		t->st = (uint8_t)rnd(s, 256);
		t->has_pi = rnd(s, 2);
		if (t->has_pi)
			rnd_pi_fields(s, t);
		break;
	case SMS_COMMAND:
		t->srr = rnd(s, 2);
		sms_pid_decode(&t->pid, (uint8_t)rnd(s, 256));
		t->ct = (uint8_t)rnd(s, 256);
		t->mn = (uint8_t)rnd(s, 256);
		rnd_addr(s, &t->addr);
		rnd_ud(s, t, true);
		break;
	default:
		t->mr = 0;
		t->has_fcs = rnd(s, 2);
		if (t->has_fcs)
			t->fcs = (uint8_t)(0x80 + rnd(s, 128));
		if (type == SMS_SUBMIT_REPORT)
			rnd_time(s, &t->scts);
		rnd_pi_fields(s, t);
		break;
	}
}

/* The xorshift state: never 0, where it would stay. */
static uint32_t seed_from_env(void)
{
	uint32_t seed = (uint32_t)test_seed();
	return seed ? seed : 1;
}

static void test_roundtrip(void **state)
{
	uint32_t s = seed_from_env();
	struct sms_tpdu t, back;
	uint8_t out[SMS_TPDU_MAX_LEN], again[SMS_TPDU_MAX_LEN];
	unsigned per_type[6] = { 0 }, with_udh = 0;

	for (int i = 0; i < ITERATIONS; i++) {
		rnd_tpdu(&s, &t);
		enum sms_dir dir = sms_tpdu_dir(t.type);
		int n = sms_tpdu_encode(out, sizeof(out), &t, dir);
		if (n <= 0)
			fail_msg("iteration %d (%s): encode %d", i, sms_tpdu_type_name(t.type), n);
		int rc = sms_tpdu_decode(&back, out, (size_t)n, dir);
		if (rc)
			fail_msg("iteration %d (%s): decode %d", i, sms_tpdu_type_name(t.type), rc);
		if (memcmp(&t, &back, sizeof(t)))
			fail_msg("iteration %d (%s): decoded struct differs", i, sms_tpdu_type_name(t.type));
		assert_int_equal(sms_tpdu_encode(again, sizeof(again), &back, dir), n);
		assert_memory_equal(again, out, (size_t)n);
		per_type[t.type]++;
		with_udh += t.udhi;
	}
	for (int k = 0; k < 6; k++)
		assert_true(per_type[k] > ITERATIONS / 10);
	assert_true(with_udh > ITERATIONS / 20);
}

/* Mutated TPDUs: whatever the decoder accepts re-encodes to the same bytes. */
static void test_mutations(void **state)
{
	uint32_t s = seed_from_env();
	struct sms_tpdu t;
	uint8_t out[SMS_TPDU_MAX_LEN + 1], again[SMS_TPDU_MAX_LEN + 1];
	unsigned accepted = 0;

	for (int i = 0; i < ITERATIONS; i++) {
		rnd_tpdu(&s, &t);
		enum sms_dir dir = sms_tpdu_dir(t.type);
		int n = sms_tpdu_encode(out, sizeof(out), &t, dir);
		assert_true(n > 0);
		unsigned flips = 1 + rnd(&s, 3);
		for (unsigned k = 0; k < flips; k++)
			out[rnd(&s, (unsigned)n)] ^= (uint8_t)(1u << rnd(&s, 8));
		if (rnd(&s, 8) == 0)
			n += rnd(&s, 2) ? -1 : (out[n] = (uint8_t)rnd(&s, 256), 1);
		if (rnd(&s, 2))
			dir = dir == SMS_MS_TO_SC ? SMS_SC_TO_MS : SMS_MS_TO_SC;
		int rc = sms_tpdu_decode(&t, out, (size_t)n, dir);
		if (rc) {
			assert_true(rc == -EIO || rc == -EINVAL);
			continue;
		}
		accepted++;
		int m = sms_tpdu_encode(again, sizeof(again), &t, dir);
		if (m != n || memcmp(again, out, (size_t)n))
			fail_msg("iteration %d: accepted mutation re-encodes to %d octets, not %d", i, m, n);
	}
	printf("%u of %d mutations accepted\n", accepted, ITERATIONS);
	assert_true(accepted > 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_mutations),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("tpdu_roundtrip", tests, NULL, NULL));
}
