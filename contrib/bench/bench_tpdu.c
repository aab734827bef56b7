/*
 * bench_tpdu — single-segment TPDU decode rate on one core.
 *
 * The mix: the vectors' SMS-SUBMITs (8-bit, 7-bit and UCS2, with and
 * without UDH) and TPDUs built here with the encoder (a 160-septet
 * SMS-DELIVER, a status report, a submit report, a command).  Decodes the
 * mix round-robin for about a second (argv[1] seconds if given) and prints
 * TPDUs/s.  Exits 1 if any TPDU fails to decode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/sms/tpdu.h"

#define MAX_MIX 16

struct sample {
	uint8_t b[SMS_TPDU_MAX_LEN];
	size_t len;
	enum sms_dir dir;
};

static const char *const vector_hex[] = {
	/* tests/vectors/vectors.json: tpdu-gsm7-single#0 */
	"01000c9188960000001000009d542c33a60b4693c1e234a98fcbedcd59b4180c0683c2f034ab64078bc160100a0f5ed7ed216d4d444783c1a6331a0c5ab1cd6030180c0687727d1917acd3c8586358bf6eebf56da44cde54b6a7c2588d5eaf529f70a3756dac2fcf2bd8d0397e06e55729f19d53aba5eea21887afbdc365987a165fe5dc655b15d99cbd84cffb916d4fafefe960b4d703",
	/* tpdu-binary-concat#1 */
	"41000c9188960000001000044a0b00035a020205043fe20000fc3509b4bbebb8d7767b5f9da75f4d22a8ba4c9015539abeefd0dcd7f66065086ca43ef1be4531e7c7aafe6fcc4c2d510ddebad9c0cd62a8688a13857af7",
	/* tpdu-ucs2-concat#2 */
	"41000c91889600000010000844050003210303006f006100650030006a00330071002b0039006e0065003600550048004d0033002f0042004f00770047006c00760069006b0077006900410051003d003d",
	/* tpdu-gsm7-concat#1 */
	"41000c9188960000001000009106080412340202c1e1990c579ecbf120ad1a0c0683c160b0c8640783d2a4fa19afe3f4e4614caa8cc2e846eb10766f12a3f9b45d8e7346dbb0faaa4e8bcdb4376c4de6c6c260e93813de5c0badd4b6fc668739f5d85c5bc81e1ef36ba8fdb89252916ebc4dbe12e3f04da6b5e89cc9e5da7b33968e1fd3cb22cd6acbdd7b3d",
};

static int add_hex(struct sample *s, const char *hex)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n && i < sizeof(s->b); i++)
		sscanf(hex + 2 * i, "%2hhx", &s->b[i]);
	s->len = n;
	s->dir = SMS_MS_TO_SC;
	return 0;
}

static int add_encoded(struct sample *s, const struct sms_tpdu *t)
{
	s->dir = sms_tpdu_dir(t->type);
	int n = sms_tpdu_encode(s->b, sizeof(s->b), t, s->dir);
	if (n < 0)
		return n;
	s->len = (size_t)n;
	return 0;
}

static size_t build_mix(struct sample *mix)
{
	static const struct sms_time ts = { 26, 11, 25, 12, 0, 0, 4 };
	struct sms_tpdu t;
	uint8_t text[SMS_UD_MAX_SEPTETS];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(vector_hex) / sizeof(vector_hex[0]); i++)
		add_hex(&mix[n++], vector_hex[i]);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(0x20 + i % 0x5f);

	sms_tpdu_init(&t, SMS_DELIVER);
	sms_addr_set_digits(&t.addr, "+491701234567", 0, 0);
	t.scts = ts;
	sms_tpdu_set_ud(&t, text, SMS_UD_MAX_SEPTETS);
	if (add_encoded(&mix[n++], &t))
		return 0;

	sms_tpdu_init(&t, SMS_STATUS_REPORT);
	sms_addr_set_digits(&t.addr, "+491701234567", 0, 0);
	t.scts = ts;
	t.dt = ts;
	if (add_encoded(&mix[n++], &t))
		return 0;

	sms_tpdu_init(&t, SMS_SUBMIT_REPORT);
	t.scts = ts;
	if (add_encoded(&mix[n++], &t))
		return 0;

	sms_tpdu_init(&t, SMS_COMMAND);
	sms_addr_set_digits(&t.addr, "+491701234567", 0, 0);
	t.ct = 2;
	if (add_encoded(&mix[n++], &t))
		return 0;
	return n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sample mix[MAX_MIX];
	struct sms_tpdu t;
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	size_t n = build_mix(mix);
	unsigned long count = 0, septets = 0;

	if (!n) {
		fprintf(stderr, "bench_tpdu: building the mix failed\n");
		return 1;
	}
	double t0 = now(), t1;
	do {
		for (int rep = 0; rep < 1000; rep++) {
			const struct sample *s = &mix[count % n];
			if (sms_tpdu_decode(&t, s->b, s->len, s->dir)) {
				fprintf(stderr, "bench_tpdu: sample %lu does not decode\n", count % n);
				return 1;
			}
			septets += t.ud.n;	/* keep the decode observable */
			count++;
		}
		t1 = now();
	} while (t1 - t0 < secs);
	printf("bench_tpdu: %zu TPDUs in the mix, %lu decoded in %.2f s: %.0f TPDUs/s (%lu payload units)\n",
	       n, count, t1 - t0, (double)count / (t1 - t0), septets);
	return 0;
}
