/*
 * txgw-tpdu — decode 3GPP TS 23.040 TPDUs and print each as one JSON line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "gateway/lib/json.h"
#include "gateway/sms/charset.h"
#include "gateway/sms/concat.h"
#include "gateway/sms/tpdu.h"
#include "gateway/sms/tpdu_json.h"

static void usage(FILE *out)
{
	fprintf(out,
"Usage: txgw-tpdu [--mo | --mt] [--reassemble] [HEX...]\n"
"\n"
"Decode GSM 03.40 / 3GPP TS 23.040 TPDUs given in hex, as arguments or on\n"
"standard input (one TPDU a line; blank lines and lines starting with '#'\n"
"are skipped), and print each as one JSON object on one line: the TPDU\n"
"type, every field it carries (addresses with TON/NPI, TP-PID, TP-DCS\n"
"with its coding group, TP-VP, time stamps with time zone), the user data\n"
"header's information elements (concatenation and port addressing decoded,\n"
"others as raw data) and the text (GSM 7-bit with the extension table, or\n"
"UCS-2 with surrogate pairs) in UTF-8.  doc/tools.md lists the fields.\n"
"\n"
"Options:\n"
"  --mo            the TPDUs go from the mobile to the service centre\n"
"                  (SMS-SUBMIT, SMS-DELIVER-REPORT, SMS-COMMAND); default\n"
"  --mt            the TPDUs go from the service centre to the mobile\n"
"                  (SMS-DELIVER, SMS-SUBMIT-REPORT, SMS-STATUS-REPORT)\n"
"  --reassemble    also join concatenated parts (UDH IEI 0x00 / 0x08): after\n"
"                  the part that completes a message, print one more object\n"
"                  {\"reassembled\": {...}} with the joined user data and text\n"
"  -h, --help      show this help\n"
"\n"
"Examples:\n"
"  txgw-tpdu 0100048121430000046176590c\n"
"  txgw-tpdu --mt --reassemble < parts.txt\n"
"\n"
"Exit status: 0 when every TPDU decoded (and, with --reassemble, every\n"
"message was complete), 1 on invalid input, 2 on bad usage.\n");
}

struct tool {
	enum sms_dir dir;
	bool reassemble;
	struct concat *concat;
	struct jw w;
	int status;
};

static void print_line(struct tool *t)
{
	if (jw_finish(&t->w) == 0)
		printf("%.*s\n", (int)t->w.len, t->w.buf);
	jw_reset(&t->w);
}

static void print_reassembled(struct tool *t, const struct concat_msg *m)
{
	struct jw *w = &t->w;
	size_t cap = 4 * m->len + 8;
	char *text = malloc(cap);
	int n = -1;

	if (text && m->coding != CHARSET_8BIT)
		n = charset_to_utf8(m->coding, text, cap, m->data, m->len, CHARSET_LENIENT, NULL);
	jw_obj_open(w);
	jw_key(w, "reassembled");
	jw_obj_open(w);
	jw_kuint(w, "parts", m->key.total);
	jw_kuint(w, "ref", m->key.ref);
	jw_kuint(w, "ref_bits", m->key.ref_kind == CONCAT_REF8 ? 8 : 16);
	jw_kstr(w, "ud_unit", m->coding == CHARSET_GSM7 ? "septets" : "octets");
	if (m->mixed)
		jw_kbool(w, "mixed_coding", true);
	jw_kuint(w, "ud_len", m->len);
	jw_khex(w, "ud", m->data, m->len);
	if (n >= 0)
		jw_kstrn(w, "text", text, (size_t)n);
	jw_obj_close(w);
	jw_obj_close(w);
	print_line(t);
	free(text);
}

static void feed_concat(struct tool *t, const struct sms_tpdu *p)
{
	struct udh_concat uc;
	struct concat_key key;
	char src[CONCAT_ADDR_MAX + 1] = "", dst[CONCAT_ADDR_MAX + 1] = "";
	struct concat_msg *done = NULL;

	if (!p->udhi || udh_concat(&p->ud.udh, &uc) < 0 || uc.total < 2)
		return;
	if (p->type == SMS_DELIVER)
		tpdu_addr_text(src, sizeof(src), &p->addr);
	else
		tpdu_addr_text(dst, sizeof(dst), &p->addr);
	if (concat_key_set(&key, 0, src, dst, uc.ref_bits == 16 ? CONCAT_REF16 : CONCAT_REF8, uc.ref,
			   uc.total) < 0)
		return;
	struct concat_part part = {
		.seq = uc.seq,
		.coding = p->ud.septets ? CHARSET_GSM7 :
			  p->dcs.alphabet == SMS_ALPHABET_UCS2 ? CHARSET_UCS2 : CHARSET_8BIT,
		.data = p->ud.data,
		.len = p->ud.n,
	};
	int rc = concat_add(t->concat, &key, &part, 0, NULL, &done);
	if (rc == CONCAT_COMPLETE && done) {
		print_reassembled(t, done);
		talloc_free(done);
	}
}

static void one(struct tool *t, const char *hex)
{
	uint8_t buf[SMS_TPDU_MAX_LEN + 1];	/* one more: too long is the decoder's to say */
	struct sms_tpdu p;
	/* -1: not hex, an odd number of digits, or more than buf (white space,
	 * the line end of stdin included, is skipped) */
	int n = osmo_hexparse(hex, buf, sizeof(buf));

	if (n < 0) {
		fprintf(stderr, "txgw-tpdu: not a TPDU in hex (at most %d octets): %s\n",
			SMS_TPDU_MAX_LEN, hex);
		t->status = 1;
		return;
	}
	int rc = sms_tpdu_decode(&p, buf, (size_t)n, t->dir);
	if (rc < 0) {
		tpdu_json_error(&t->w, t->dir, buf, (size_t)n, rc);
		t->status = 1;
	} else {
		tpdu_json(&t->w, &p, t->dir, buf, (size_t)n);
	}
	print_line(t);
	if (rc == 0 && t->reassemble)
		feed_concat(t, &p);
}

static void report_incomplete(void *data, const struct concat_partial *p)
{
	struct tool *t = data;
	fprintf(stderr, "txgw-tpdu: incomplete message: ref %u, %u of %u parts\n", p->key->ref,
		p->n_parts, p->key->total);
	t->status = 1;
}

static void parse_opts(int argc, char **argv, struct tool *t)
{
	static const struct option lo[] = {
		{ "mo", no_argument, NULL, 'o' },
		{ "mt", no_argument, NULL, 't' },
		{ "reassemble", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': t->dir = SMS_MS_TO_SC; break;
		case 't': t->dir = SMS_SC_TO_MS; break;
		case 'r': t->reassemble = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	struct tool t = { .dir = SMS_MS_TO_SC };
	const struct concat_cfg ccfg = { .timeout_s = 3600, .max_partial = 10000,
					 .max_bytes = 16 << 20, .hash_seed = 1 };

	parse_opts(argc, argv, &t);	/* may exit: nothing allocated before it */
	void *ctx = talloc_named_const(NULL, 0, "txgw-tpdu");
	jw_init(&t.w, 0);
	t.concat = concat_new(ctx, &ccfg, NULL, NULL);
	if (!t.concat)
		return 1;
	if (optind < argc) {
		for (int i = optind; i < argc; i++)
			one(&t, argv[i]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, stdin) > 0) {
			char *s = line + strspn(line, " \t");
			if (*s == '#' || *s == '\n' || *s == '\r' || !*s)
				continue;
			one(&t, s);
		}
		free(line);
	}
	if (t.reassemble)
		concat_walk(t.concat, report_incomplete, &t);
	concat_free(t.concat);
	jw_free(&t.w);
	talloc_free(ctx);
	return t.status;
}
