/*
 * bench_charset.c — text decoding and encoding throughput on full-size
 * single SMS: 160 GSM 7-bit septets (some Greek and extension characters)
 * and 70 UCS-2 units (CJK and an emoji), to UTF-8 and back.
 *
 * Usage: bench_charset [messages]   (default 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/sms/charset.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The texts, in each coding, and the output buffers. */
struct texts {
	const char *gsm_u8, *ucs_u8;
	size_t gsm_u8_len, ucs_u8_len;
	uint8_t sep[400], be[400], bin[400];
	size_t n_sep, n_be;
	char u8[800];
};

static int gsm7_dec(struct texts *t)
{
	return charset_gsm7_to_utf8(t->u8, sizeof(t->u8), t->sep, t->n_sep, 0, NULL);
}

static int gsm7_enc(struct texts *t)
{
	return charset_utf8_to_gsm7(t->bin, sizeof(t->bin), t->gsm_u8, t->gsm_u8_len, 0, NULL);
}

static int ucs2_dec(struct texts *t)
{
	return charset_ucs2_to_utf8(t->u8, sizeof(t->u8), t->be, t->n_be, 0, NULL);
}

static int ucs2_enc(struct texts *t)
{
	return charset_utf8_to_ucs2(t->bin, sizeof(t->bin), t->ucs_u8, t->ucs_u8_len, 0, NULL);
}

static const struct {
	const char *name;
	int (*fn)(struct texts *t);
} jobs[] = {
	{ "gsm7 -> utf8", gsm7_dec }, { "utf8 -> gsm7", gsm7_enc },
	{ "ucs2 -> utf8", ucs2_dec }, { "utf8 -> ucs2", ucs2_enc },
};

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000, i;
	static struct texts t = {
		.gsm_u8 = "Receipt {shop #12} €5 ok, ΔΩ café à Zürich: total 12.50 "
			  "paid [card] ~ thanks! Ref ABCDEFGHIJ 0123456789 see you soon "
			  "at the café ~ Ørsted Åse",
		.ucs_u8 = "交易紀錄 😀 收據 12.50 元 已付款 謝謝光臨 下次再見 "
			  "交易紀錄 收據 元 已付款 謝謝光臨 下次再見 交易 紀錄",
	};
	int ns, nb;

	t.gsm_u8_len = strlen(t.gsm_u8);
	t.ucs_u8_len = strlen(t.ucs_u8);
	ns = charset_utf8_to_gsm7(t.sep, sizeof(t.sep), t.gsm_u8, t.gsm_u8_len, 0, NULL);
	nb = charset_utf8_to_ucs2(t.be, sizeof(t.be), t.ucs_u8, t.ucs_u8_len, 0, NULL);
	if (ns < 0 || nb < 0)
		return 1;
	t.n_sep = (size_t)ns;
	t.n_be = (size_t)nb;
	printf("bench_charset: %lu messages each (%d septets, %d UCS-2 octets)\n", n, ns, nb);
	for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
		long sink = 0;
		double t0 = now_s(), dt;

		for (i = 0; i < n; i++)
			sink += jobs[j].fn(&t);
		dt = now_s() - t0;
		printf("  %-14s %10.0f msg/s  (%.3f s, check %ld)\n", jobs[j].name, n / dt, dt,
		       sink);
	}
	return 0;
}
