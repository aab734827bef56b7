/*
 * bench_mime.c — mail parsing and frame extraction throughput through the
 * streaming extractor (mail/mime_extract.c), fed in 64 KiB pieces as the
 * SMTP DATA path would:
 *   small: a text part and one base64 frame attachment (mails per second);
 *   skip:  a 1 MiB base64 image (not decoded) and a frame (MB/s);
 *   text:  a 1 MiB base64 text/plain part, decoded and scanned (MB/s).
 *
 * Usage: bench_mime [seconds per case]   (default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <talloc.h>

#include "gateway/txlog/armour.h"
#include "mail/mime_extract.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A part in base64 lines of 76, n bytes of filler. */
static char *b64_part(char *m, const char *type, size_t n)
{
	uint8_t *raw = talloc_size(NULL, n);
	char *b = talloc_size(NULL, n * 2 + 8);

	for (size_t i = 0; i < n; i++)
		raw[i] = (uint8_t)(i * 131 + (i >> 8));
	b64_encode(b, n * 2 + 8, raw, n);
	m = talloc_asprintf_append_buffer(m, "--b\r\nContent-Type: %s\r\n"
					     "Content-Transfer-Encoding: base64\r\n\r\n", type);
	for (size_t i = 0, len = strlen(b); i < len; i += 76)
		m = talloc_asprintf_append_buffer(m, "%.76s\r\n", b + i);
	talloc_free(raw);
	talloc_free(b);
	return m;
}

static char *mail(size_t big, const char *big_type)
{
	char *m = talloc_strdup(NULL, "From: h@example.net\r\nTo: t@txlog.example\r\n"
				      "Subject: upload\r\nMIME-Version: 1.0\r\n"
				      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
				      "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
				      "Upload from my handset.\r\n");
	if (big)
		m = b64_part(m, big_type, big);
	m = b64_part(m, "application/vnd.txlog", 112);
	return talloc_strdup_append_buffer(m, "--b--\r\n");
}

static void run(const char *name, const char *m, double secs)
{
	static struct extract_result r;
	size_t len = strlen(m), n = 0;
	double t0 = now_s(), dt;

	do {
		struct mime_extract *x = mime_extract_new(NULL, NULL, &r);
		char why[160];

		for (size_t i = 0; i < len; i += 65536)
			mime_extract_feed(x, (const uint8_t *)m + i, len - i < 65536 ? len - i : 65536);
		if (mime_extract_end(x, why, sizeof(why)) || r.n < 1) {
			fprintf(stderr, "%s: %s (%u items)\n", name, why, r.n);
			exit(1);
		}
		talloc_free(x);
		n++;
		dt = now_s() - t0;
	} while (dt < secs);
	printf("%-6s %8zu bytes  %10.0f mails/s  %8.1f MB/s\n", name, len, n / dt, n * len / dt / 1e6);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	char *small = mail(0, NULL), *skip = mail(1 << 20, "image/jpeg");
	char *text = mail(1000 * 1000, "text/plain");

	run("small", small, secs);
	run("skip", skip, secs);
	run("text", text, secs);
	talloc_free(small);
	talloc_free(skip);
	talloc_free(text);
	return 0;
}
