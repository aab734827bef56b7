/*
 * txgw-frame — decode and verify TXLOG v1 frames (txlog-v1.md) against a
 * device registry (registry.md), printing one JSON object per frame.
 * See usage() for the manual.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "gateway/lib/json.h"
#include "gateway/txlog/armour.h"
#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/verify.h"

#define INPUT_MAX	(1u << 20)	/* --file and HEX: 1 MiB at the most */

static void usage(FILE *out)
{
	fputs(
"NAME\n"
"    txgw-frame - decode and verify TXLOG v1 frames\n"
"\n"
"SYNOPSIS\n"
"    txgw-frame --registry FILE [--ca-file FILE] HEX\n"
"    txgw-frame --registry FILE [--ca-file FILE] --armour TEXT\n"
"    txgw-frame --registry FILE [--ca-file FILE] --file FILE\n"
"    txgw-frame --help\n"
"\n"
"DESCRIPTION\n"
"    Decodes a TXLOG v1 frame (the signed transaction log a handset uploads),\n"
"    verifies its signature against the device registry and prints one JSON\n"
"    object on one line: the header (device, key, upload, created, alg,\n"
"    n_records), the records (counter, type name, time, currency code,\n"
"    amount, balance, peer, item in hex), the frame's length and SHA-256\n"
"    (\"frame\", the digest the gateway's records carry), and\n"
"        \"signature\": {\"valid\": BOOL, \"reason\": REASON}\n"
"    where REASON is, in the order the gateway checks:\n"
"        malformed       the frame does not decode; \"error\" says why, and\n"
"                        the header fields are printed when they could be read\n"
"        unknown_device  no such (device_id, key_id) in the registry, or its\n"
"                        alg differs from the frame's\n"
"        bad_signature   the signature does not verify\n"
"        revoked         it verifies, but the key or device is revoked\n"
"        ok              it verifies against an active key\n"
"    Times are RFC 3339 UTC.  A currency without a known ISO 4217 code is\n"
"    printed as its number in a string.\n"
"\n"
"    The frame comes as:\n"
"    HEX             the frame in hexadecimal; white space and ':' are ignored\n"
"    --armour TEXT   a text: each \"TXL1:\" armour in it is one frame, and one\n"
"                    JSON object per armour is printed, one per line, with the\n"
"                    armour's byte \"offset\" in the text\n"
"    --file FILE     a file (\"-\" for standard input): a binary frame when the\n"
"                    whole file decodes as one, else text as for --armour when\n"
"                    it holds \"TXL1:\", else a (malformed) binary frame\n"
"\n"
"OPTIONS\n"
"    -r, --registry FILE  the device registry (required); it must load\n"
"                         cleanly: every bad line is printed on stderr\n"
"    -c, --ca-file FILE   CA certificates: the registry's certificates must\n"
"                         chain to them, bare keys are refused\n"
"    -a, --armour TEXT    see above\n"
"    -f, --file FILE      see above\n"
"    -h, --help           this manual\n"
"\n"
"EXIT STATUS\n"
"    0  every frame is well-formed and verifies against an active key\n"
"    1  invalid input: a frame is malformed, unknown, badly signed or\n"
"       revoked; bad hex; a text without \"TXL1:\"; an unreadable file\n"
"    2  usage: bad options, or a registry or ca-file that does not load\n"
"\n"
"EXAMPLE\n"
"    txgw-frame --registry tests/vectors/devices.txt \\\n"
"        --armour 'paid TXL1:AQIAESIzqrvM3QEAAAABaSYJ...'\n", out);
}

struct tool {
	struct registry *reg;
	struct verifier *ver;
	struct jw w;
};

/* RFC 3339 UTC of a u32 epoch time into out[21]. */
static void rfc3339(uint32_t t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void put_hex64(struct jw *w, const char *key, uint64_t v)
{
	char s[17];

	snprintf(s, sizeof(s), "%016llx", (unsigned long long)v);
	jw_kstr(w, key, s);
}

static void put_time(struct jw *w, const char *key, uint32_t t)
{
	char s[21];

	rfc3339(t, s);
	jw_kstr(w, key, s);
}

static void put_header(struct jw *w, const struct txl_frame *f)
{
	put_hex64(w, "device", f->device_id);
	jw_kuint(w, "key", f->key_id);
	jw_kuint(w, "upload", f->upload_seq);
	put_time(w, "created", f->created);
	jw_kuint(w, "version", f->version);
	if (txl_alg_name(f->alg))
		jw_kstr(w, "alg", txl_alg_name(f->alg));
	else
		jw_kuint(w, "alg", f->alg);
	jw_kuint(w, "n_records", f->n_records);
}

static void put_record(struct jw *w, const struct txl_record *r)
{
	const char *cur = txl_currency_code(r->currency);
	char num[8];

	jw_obj_open(w);
	jw_kuint(w, "counter", r->counter);
	jw_kstr(w, "type", txl_type_name(r->type));
	put_time(w, "time", r->time);
	snprintf(num, sizeof(num), "%u", r->currency);
	jw_kstr(w, "currency", cur ? cur : num);
	jw_kuint(w, "amount", r->amount);
	jw_kuint(w, "balance", r->balance);
	put_hex64(w, "peer", r->peer);
	jw_khex(w, "item", r->item, r->item_len);
	jw_obj_close(w);
}

/* Print one frame's object.  Returns 0 when it is well-formed and ok. */
static int report_frame(struct tool *t, const uint8_t *buf, size_t len, long offset, const char *armour_err)
{
	struct txl_frame f;
	const struct reg_entry *e = NULL;
	char why[TXL_WHY_LEN] = "";
	uint8_t md[32];
	int rc = -EINVAL, check = -1, i;

	jw_reset(&t->w);
	jw_obj_open(&t->w);
	if (offset >= 0)
		jw_kint(&t->w, "offset", offset);
	if (!armour_err) {
		rc = txl_frame_explain(&f, buf, len, why, sizeof(why));
		jw_kuint(&t->w, "length", len);
		EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL);
		jw_khex(&t->w, "frame", md, sizeof(md));
		if (len >= TXL_HDR_LEN)
			put_header(&t->w, &f);
	}
	if (rc == 0) {
		jw_key(&t->w, "records");
		jw_arr_open(&t->w);
		for (i = 0; i < f.n_records; i++)
			put_record(&t->w, &f.rec[i]);
		jw_arr_close(&t->w);
		check = txl_frame_check(t->ver, t->reg, &f, buf, &e);
		if (e && e->msisdn[0])
			jw_kstr(&t->w, "msisdn", e->msisdn);
	}
	jw_key(&t->w, "signature");
	jw_obj_open(&t->w);
	jw_kbool(&t->w, "valid", check == TXL_CHECK_OK);
	if (rc)
		jw_kstr(&t->w, "reason", "malformed");
	else
		jw_kstr(&t->w, "reason", check >= 0 ? txl_check_name(check) : "error");
	if (rc || check < 0)
		jw_kstr(&t->w, "error", armour_err ? armour_err : rc ? why : strerror(-check));
	jw_obj_close(&t->w);
	jw_obj_close(&t->w);
	if (jw_finish(&t->w) == 0)
		puts(t->w.buf);
	return check == TXL_CHECK_OK ? 0 : 1;
}

/* Every armour in text: one object each.  1 when there is none. */
static int report_text(struct tool *t, const char *text, size_t len)
{
	uint8_t frame[TXL_MAX_LEN];
	struct armour_scan s;
	struct armour_hit hit;
	int n = 0, bad = 0;

	armour_scan_init(&s);
	while (armour_next(&s, text, len, &hit, frame, sizeof(frame)) == 1) {
		n++;
		bad |= report_frame(t, frame, hit.len, (long)hit.offset, hit.err ? hit.why : NULL);
	}
	if (!n)
		fprintf(stderr, "txgw-frame: no \"TXL1:\" in the text\n");
	return n ? bad : 1;
}

static int report_hex(struct tool *t, const char *hex)
{
	size_t len = strlen(hex), cap = len / 2 + 1 < INPUT_MAX ? len / 2 + 1 : INPUT_MAX;
	char *digits = talloc_size(NULL, len + 1);
	uint8_t *buf = digits ? talloc_size(digits, cap) : NULL;
	size_t k = 0;
	int n = -1, rc;

	/* osmo_hexparse() skips white space between and inside bytes; the
	 * ':' of "aa:bb:cc" is ours to drop */
	for (size_t i = 0; digits && i < len; i++)
		if (hex[i] != ':')
			digits[k++] = hex[i];
	if (digits && buf) {
		digits[k] = '\0';
		n = osmo_hexparse(digits, buf, (unsigned)cap);
	}
	if (n < 0) {
		fprintf(stderr, "txgw-frame: the frame is not an even number of hex digits (or over 1 MiB)\n");
		talloc_free(digits);
		return 1;
	}
	rc = report_frame(t, buf, (size_t)n, -1, NULL);
	talloc_free(digits);
	return rc;
}

static int report_file(struct tool *t, const char *path)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = talloc_size(NULL, INPUT_MAX + 1);
	struct txl_frame f;
	size_t n;
	int rc;

	if (!fp || !buf) {
		fprintf(stderr, "txgw-frame: %s: %s\n", path, strerror(fp ? ENOMEM : errno));
		talloc_free(buf);
		return 1;
	}
	n = fread(buf, 1, INPUT_MAX + 1, fp);
	rc = ferror(fp) || n > INPUT_MAX;
	if (fp != stdin)
		fclose(fp);
	if (rc) {
		fprintf(stderr, "txgw-frame: %s: cannot read, or larger than 1 MiB\n", path);
	} else if (txl_frame_decode(&f, (uint8_t *)buf, n, NULL) != 0 && memmem(buf, n, "TXL1:", 5)) {
		rc = report_text(t, buf, n);
	} else {
		rc = report_frame(t, (uint8_t *)buf, n, -1, NULL);
	}
	talloc_free(buf);
	return rc;
}

static int load_registry(struct tool *t, void *ctx, const char *path, const char *ca)
{
	struct reg_report rep;
	unsigned i;
	int rc = registry_load(ctx, path, ca, &t->reg, &rep);

	for (i = 0; i < rep.n_msgs; i++)
		fprintf(stderr, "txgw-frame: %s\n", rep.msgs[i]);
	if (rep.n_errors > rep.n_msgs)
		fprintf(stderr, "txgw-frame: ... %u errors in all\n", rep.n_errors);
	reg_report_clear(&rep);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "registry", required_argument, NULL, 'r' },
		{ "ca-file", required_argument, NULL, 'c' },
		{ "armour", required_argument, NULL, 'a' },
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reg = NULL, *ca = NULL, *armour = NULL, *file = NULL;
	void *ctx = talloc_new(NULL);
	struct tool t = { 0 };
	int c, rc;

	while ((c = getopt_long(argc, argv, "r:c:a:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			reg = optarg;
			break;
		case 'c':
			ca = optarg;
			break;
		case 'a':
			armour = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'h':
			usage(stdout);
			talloc_free(ctx);
			return 0;
		default:
			goto bad_usage;
		}
	}
	/* exactly one input: HEX, --armour or --file */
	if (!reg || (argc - optind) + !!armour + !!file != 1)
		goto bad_usage;
	t.ver = verifier_alloc(ctx, 16);
	if (!t.ver || load_registry(&t, ctx, reg, ca)) {
		talloc_free(ctx);
		return 2;
	}
	jw_init(&t.w, 0);
	if (armour)
		rc = report_text(&t, armour, strlen(armour));
	else if (file)
		rc = report_file(&t, file);
	else
		rc = report_hex(&t, argv[optind]);
	jw_free(&t.w);
	talloc_free(ctx);
	return rc;

bad_usage:
	fprintf(stderr, "usage: txgw-frame --registry FILE [--ca-file FILE] (HEX | --armour TEXT | --file FILE)\n"
			"       txgw-frame --help\n");
	talloc_free(ctx);
	return 2;
}
