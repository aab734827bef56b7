/*
 * fuzz_mail_reply.c — libFuzzer target for the mail bearer's reading of a
 * relay's replies (gateway/gw_dl_mail.h): dl_mail_reply_line(), which
 * keeps a cleaned copy of the last reply line out of what libcurl hands
 * its debug callback, and dl_mail_classify(), which turns the transfer's
 * end into submitted, temporary or permanent (doc/downlink.md 3.3).
 *
 * Input: octet 0 the kept line's size (1 to DL_MAIL_REPLY_MAX), octet 1
 * the error's (1 to 256), octet 2 libcurl's code, octets 3-4 its response
 * code, octet 5 the curl error text (none, empty, longer than any cap);
 * then the relay's bytes in chunks, each a length octet and that many
 * bytes (the last one what is left).  Besides not crashing:
 *   - after each chunk the kept line is what the header says (the last
 *     line of the chunk with a printable character, CR, LF and control
 *     characters dropped, non-ASCII as '?', cut to fit), NUL-terminated,
 *     printable ASCII only (it goes into JSON and logs);
 *   - classify says submitted exactly for curl code 0 (and no error),
 *     permanent only for a 5xx (the reply's own code, else libcurl's),
 *     and its error is NUL-terminated within its cap, printable ASCII,
 *     "smtp 5..." when permanent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw_dl_mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEAD 6

static bool printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n >= cap)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* The model of dl_mail_reply_line(): what reply must hold after a chunk. */
static void model(char *want, size_t cap, const uint8_t *d, size_t len)
{
	size_t end = len, start, o = 0;
	char line[DL_MAIL_REPLY_MAX];

	while (end && (d[end - 1] == '\r' || d[end - 1] == '\n'))
		end--;
	for (start = end; start && d[start - 1] != '\r' && d[start - 1] != '\n'; start--)
		;
	for (size_t i = start; i < end && o + 1 < cap; i++)
		if (d[i] >= 0x20 && d[i] != 0x7f)
			line[o++] = d[i] < 0x80 ? (char)d[i] : '?';
	if (!o)
		return;
	memcpy(want, line, o);
	want[o] = '\0';
}

/* A reply line's code, or -1 (RFC 5321 §4.2: three digits, then a space,
 * a '-' or the end). */
static int code_of(const char *r)
{
	if (!(r[0] >= '2' && r[0] <= '5' && r[1] >= '0' && r[1] <= '9' && r[2] >= '0' && r[2] <= '9') ||
	    (r[3] && r[3] != ' ' && r[3] != '-'))
		return -1;
	return (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
}

static void classify(const char *reply, int curl_code, long resp, const char *curl_err, size_t ecap)
{
	char *error = malloc(ecap);
	enum ob_result_kind kind = (enum ob_result_kind)-1;
	int code = code_of(reply);

	if (!error)
		abort();
	memset(error, 'X', ecap);
	dl_mail_classify(curl_code, reply, resp, curl_err, &kind, error, ecap);
	if (!printable(error, ecap))
		abort();
	if ((kind == OB_RES_SUBMITTED) != (curl_code == 0) || (kind == OB_RES_SUBMITTED && error[0]))
		abort();
	if (kind != OB_RES_SUBMITTED && kind != OB_RES_TEMPORARY && kind != OB_RES_PERMANENT)
		abort();
	if (kind == OB_RES_PERMANENT) {
		if (!(code >= 500 || (code < 0 && resp >= 500 && resp <= 599)))
			abort();
		if (ecap > 6 && strncmp(error, "smtp 5", 6))
			abort();
	}
	if (kind != OB_RES_SUBMITTED && ecap > 1 && !error[0])
		abort();
	free(error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char long_err[] =
		"a curl error text longer than any error cap: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char *const errs[] = { NULL, "", "Failure when receiving data from the peer",
					    long_err };
	size_t cap, ecap, off = HEAD;
	char *reply;
	char want[DL_MAIL_REPLY_MAX];

	if (size < HEAD)
		return 0;
	cap = data[0] < DL_MAIL_REPLY_MAX ? data[0] + 1u : DL_MAIL_REPLY_MAX;
	ecap = data[1] + 1u;
	reply = malloc(cap);
	if (!reply)
		abort();
	memset(reply, 0, cap);
	memset(want, 0, sizeof(want));
	while (off < size) {
		size_t n = data[off++];
		if (n > size - off)
			n = size - off;
		dl_mail_reply_line(reply, cap, (const char *)data + off, n);
		model(want, cap, data + off, n);
		off += n;
		if (!printable(reply, cap) || strcmp(reply, want))
			abort();
	}
	classify(reply, data[2], (long)(data[3] << 8 | data[4]), errs[data[5] % 4], ecap);
	free(reply);
	return 0;
}
