/*
 * tpdu_gen — random, reproducible TPDUs built with txgw's own encoder, for
 * comparing txgw-tpdu with another decoder (tests/tools/tshark_compare.py).
 *
 *   tpdu_gen --seed N --count N
 *
 * prints N MO and N MT TPDUs, interleaved, one per line: "mo HEX" (MS to
 * SC) or "mt HEX" (SC to MS).  Mostly SMS-SUBMIT and SMS-DELIVER with text
 * (3GPP TS 23.040 §9.2.2.1, §9.2.2.2), some SMS-STATUS-REPORT,
 * SMS-COMMAND and the two reports.  Texts are drawn from the whole GSM
 * 7-bit default and extension tables (3GPP TS 23.038 §6.2.1, §6.2.1.1)
 * and, for UCS-2, from Latin, Greek, CJK and emoji beyond the BMP.  Every
 * TPDU is decoded back with sms_tpdu_decode(); a failure exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sms/charset.h"
#include "gateway/sms/tpdu.h"

/* splitmix64: small, seedable and the same on every platform. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static unsigned below(uint64_t *s, unsigned n)
{
	return (unsigned)(rnd(s) % n);
}

/* Uniform in [lo, hi]. */
static unsigned between(uint64_t *s, unsigned lo, unsigned hi)
{
	return lo + below(s, hi - lo + 1);
}

/*
 * Character pools as UTF-8 strings, one character after the other.  The
 * GSM 7-bit default alphabet is 3GPP TS 23.038 §6.2.1 in code order,
 * written out here from the spec rather than taken from charset.c so that
 * the generator shares no table with the code under test; 0x1B (escape)
 * is left out, the extension characters carry it.
 */
static const char gsm_default[] =
	"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/* The extension table (§6.2.1.1): two septets each, ESC and the code. */
static const char gsm_ext[] = "\f^{}\\[~]|€";

/* Outside the GSM alphabet: UCS-2 only.  The emoji and U+1D11E are beyond
 * the BMP (UTF-16 surrogate pairs, 23.038 §6.2.3). */
static const char other_chars[] =
	"áâãçêíóôõúÿŒœŠžαβγδλμπσωΑΒЖя交易紀錄中文漢字日本語한국。😀🎉👍🚀𝄞🇹❤";

/* Bytes of the UTF-8 character starting with lead byte c. */
static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Characters in a pool. */
static unsigned pool_size(const char *pool)
{
	unsigned n = 0;

	for (const char *p = pool; *p; p += utf8_len((unsigned char)*p))
		n++;
	return n;
}

/* A random character of a pool, as (start, *len). */
static const char *pool_pick(uint64_t *s, const char *pool, size_t *len)
{
	unsigned k = below(s, pool_size(pool));
	const char *p = pool;

	while (k--)
		p += utf8_len((unsigned char)*p);
	*len = utf8_len((unsigned char)*p);
	return p;
}

/* A random character (*len bytes); gsm_only limits it to the GSM tables.
 * *septets is what it costs in GSM 7-bit (1 or 2). */
static const char *pick_char(uint64_t *s, bool gsm_only, size_t *len, unsigned *septets)
{
	unsigned r = below(s, 100);

	*septets = 1;
	if (r < 12) {
		*septets = 2;
		return pool_pick(s, gsm_ext, len);
	}
	if (!gsm_only && r < 45)
		return pool_pick(s, other_chars, len);
	return pool_pick(s, gsm_default, len);
}


/*
 * A random UTF-8 text costing at most budget septets (GSM7) or octets
 * (UCS-2) into text (NUL-terminated).  Returns its length in bytes.
 */
static size_t random_text(uint64_t *s, char *text, size_t cap, bool ucs2, unsigned budget)
{
	unsigned want = below(s, 4) == 0 ? budget : below(s, budget + 1), used = 0;
	size_t len = 0;

	while (used < want) {
		unsigned sep;
		size_t cl;
		const char *c = pick_char(s, !ucs2, &cl, &sep);
		/* UTF-16: a 4-byte UTF-8 sequence is a surrogate pair */
		unsigned cost = ucs2 ? (cl == 4 ? 4 : 2) : sep;
		if (used + cost > budget || len + cl + 1 > cap)
			break;
		memcpy(text + len, c, cl);
		len += cl;
		used += cost;
	}
	text[len] = '\0';
	return len;
}

/* TP-DCS values: 23.038 §4 general group (GSM7/8-bit/UCS2, with or without
 * class), the auto-deletion group, class group 1111 0xxx and MWI groups. */
static uint8_t random_dcs(uint64_t *s, bool text_only)
{
	unsigned r = below(s, 100);
	unsigned alpha = text_only ? (below(s, 2) ? 2 : 0) : below(s, 3);

	if (r < 55)
		return (uint8_t)(alpha << 2);
	if (r < 70)
		return (uint8_t)(0x10 | alpha << 2 | below(s, 4));
	if (r < 75)
		return (uint8_t)(0x40 | (below(s, 2) << 4) | alpha << 2 | below(s, 4));
	if (r < 88)
		return (uint8_t)(0xf0 | (text_only ? 0 : below(s, 2) << 2) | below(s, 4));
	/* MWI: discard (GSM7), store (GSM7), store (UCS2); bit 2 reserved. */
	return (uint8_t)((0xc0 + (below(s, 3) << 4)) | (below(s, 2) << 3) | below(s, 4));
}

/* A BCD address: 1-20 digits, now and then '*', '#' or a-c. */
static void random_digits_addr(uint64_t *s, struct sms_addr *a)
{
	static const uint8_t tons[] = { SMS_TON_INTERNATIONAL, SMS_TON_INTERNATIONAL,
					SMS_TON_NATIONAL, SMS_TON_UNKNOWN };
	static const uint8_t npis[] = { SMS_NPI_ISDN, SMS_NPI_ISDN, SMS_NPI_UNKNOWN,
					SMS_NPI_NATIONAL, SMS_NPI_PRIVATE };
	char d[SMS_ADDR_MAX_DIGITS + 1];
	unsigned n = below(s, 4) ? between(s, 3, 15) : between(s, 1, SMS_ADDR_MAX_DIGITS);

	for (unsigned i = 0; i < n; i++)
		d[i] = below(s, 40) ? (char)('0' + below(s, 10)) : "*#abc"[below(s, 5)];
	d[n] = '\0';
	if (sms_addr_set_digits(a, d, tons[below(s, 4)], npis[below(s, 5)]) < 0)
		exit(1);
}

/* An alphanumeric TP-OA (TON 5): up to 11 septets of GSM text. */
static void random_alnum_addr(uint64_t *s, struct sms_addr *a)
{
	char text[64];
	uint8_t sept[SMS_ADDR_MAX_SEPTETS];
	size_t len = random_text(s, text, sizeof(text), false, between(s, 1, SMS_ADDR_MAX_SEPTETS));
	int n = charset_utf8_to_gsm7(sept, sizeof(sept), text, len, CHARSET_STRICT, NULL);

	if (n < 0 || sms_addr_set_alnum(a, sept, (size_t)n) < 0)
		exit(1);
}

static void random_time(uint64_t *s, struct sms_time *t)
{
	static const uint8_t mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	t->year = (uint8_t)below(s, 100);
	t->month = (uint8_t)between(s, 1, 12);
	t->day = (uint8_t)between(s, 1, mdays[t->month - 1]);
	t->hour = (uint8_t)below(s, 24);
	t->minute = (uint8_t)below(s, 60);
	t->second = (uint8_t)below(s, 60);
	t->tz = (int8_t)((int)below(s, 159) - 79);
}

/* TP-VP in one of the four TP-VPF forms (§9.2.3.12). */
static void random_vp(uint64_t *s, struct sms_vp *vp)
{
	memset(vp, 0, sizeof(*vp));
	vp->format = (enum sms_vpf)below(s, 4);
	switch (vp->format) {
	case SMS_VPF_RELATIVE:
		vp->relative = (uint8_t)below(s, 256);
		break;
	case SMS_VPF_ABSOLUTE:
		random_time(s, &vp->absolute);
		break;
	case SMS_VPF_ENHANCED:
		vp->enhanced.single_shot = below(s, 2);
		vp->enhanced.format = (uint8_t)below(s, 4);
		if (vp->enhanced.format == SMS_VP_ENH_RELATIVE ||
		    vp->enhanced.format == SMS_VP_ENH_SECONDS)
			vp->enhanced.value = (uint8_t)below(s, 256);
		if (vp->enhanced.format == SMS_VP_ENH_HHMMSS) {
			vp->enhanced.hh = (uint8_t)below(s, 100);
			vp->enhanced.mm = (uint8_t)below(s, 60);
			vp->enhanced.ss = (uint8_t)below(s, 60);
		}
		break;
	default:
		break;
	}
}

/* An IEI no release assigns (23.040 §9.2.3.24: 0x26-0x6F reserved) or one
 * for SME-to-SME (0x80-0x9F) or SC-specific use (0xC0-0xDF). */
static void add_unknown_ie(uint64_t *s, struct udh *h)
{
	static const uint8_t base[3] = { 0x26, 0x80, 0xc0 }, span[3] = { 0x4a, 0x20, 0x20 };
	uint8_t data[6];
	unsigned k = below(s, 3), len = below(s, sizeof(data) + 1);

	for (unsigned i = 0; i < len; i++)
		data[i] = (uint8_t)below(s, 256);
	udh_add(h, (uint8_t)(base[k] + below(s, span[k])), data, (uint8_t)len);
}

/* A random mix of concatenation (8/16-bit reference), port (8/16-bit) and
 * unknown IEs, each kind at most once, in random order. */
static void random_udh(uint64_t *s, struct udh *h)
{
	unsigned kinds[5] = { 0, 1, 2, 3, 4 }, n = between(s, 1, 3);

	udh_init(h);
	for (unsigned i = 4; i > 0; i--) {
		unsigned j = below(s, i + 1), k = kinds[i];
		kinds[i] = kinds[j];
		kinds[j] = k;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned k = kinds[i];
		if (k <= 1) {
			struct udh_concat c = { .ref_bits = k ? 16 : 8, .total = (uint8_t)between(s, 1, 255) };
			c.ref = (uint16_t)below(s, k ? 65536 : 256);
			c.seq = (uint8_t)between(s, 1, c.total);
			udh_add_concat(h, &c);
		} else if (k == 2) {
			udh_add_ports(h, (uint16_t)below(s, 256), (uint16_t)below(s, 256), 8);
		} else if (k == 3) {
			udh_add_ports(h, (uint16_t)below(s, 65536), (uint16_t)below(s, 65536), 16);
		} else {
			add_unknown_ie(s, h);
		}
	}
}

/* Septets or octets left for the payload after a UDH of udhl octets
 * (+1 for the UDHL octet; a 7-bit header is padded to a septet boundary,
 * §9.2.3.24). */
static unsigned ud_budget(bool septets, unsigned udh_octets, unsigned max_octets)
{
	if (septets)
		return SMS_UD_MAX_SEPTETS - (udh_octets * 8 + 6) / 7;
	return max_octets - udh_octets;
}

/*
 * User data for *t, whose TP-DCS is set: an optional UDH, then text in
 * the DCS's alphabet (GSM7 or UCS-2) or random octets.
 */
static void random_ud(uint64_t *s, struct sms_tpdu *t, bool want_udh)
{
	char text[4 * SMS_UD_MAX_SEPTETS + 1];
	uint8_t data[SMS_UD_MAX_SEPTETS];	/* >= SMS_CD_MAX_OCTETS */
	bool septets = t->type != SMS_COMMAND && sms_dcs_ud_septets(&t->dcs);
	bool ucs2 = !septets && t->type != SMS_COMMAND && t->dcs.alphabet == SMS_ALPHABET_UCS2;
	unsigned max = t->type == SMS_COMMAND ? SMS_CD_MAX_OCTETS : SMS_UD_MAX_OCTETS;
	int n;

	t->udhi = want_udh;
	if (want_udh)
		random_udh(s, &t->ud.udh);
	unsigned budget = ud_budget(septets, want_udh ? (unsigned)udh_size(&t->ud.udh) : 0, max);
	if (ucs2)
		budget &= ~1u;
	if (septets || ucs2) {
		size_t len = random_text(s, text, sizeof(text), ucs2, budget);
		n = septets ? charset_utf8_to_gsm7(data, sizeof(data), text, len, CHARSET_STRICT, NULL)
			    : charset_utf8_to_ucs2(data, sizeof(data), text, len, CHARSET_STRICT, NULL);
	} else {
		n = (int)below(s, budget + 1);
		for (int i = 0; i < n; i++)
			data[i] = (uint8_t)below(s, 256);
	}
	if (n < 0 || (unsigned)n > budget || sms_tpdu_set_ud(t, data, (size_t)n) < 0) {
		fprintf(stderr, "tpdu_gen: user data of %d units for a budget of %u\n", n, budget);
		exit(1);
	}
}

/* TP-PI and what it announces, for the reports and STATUS-REPORT. */
static void random_pi_fields(uint64_t *s, struct sms_tpdu *t)
{
	t->has_pi = true;
	t->pi = (uint8_t)below(s, 8);
	if (t->pi & SMS_PI_PID)
		sms_pid_decode(&t->pid, (uint8_t)below(s, 256));
	if (t->pi & SMS_PI_DCS)
		sms_dcs_decode(&t->dcs, random_dcs(s, false));
	if (t->pi & SMS_PI_UDL)
		random_ud(s, t, below(s, 3) == 0);
}

/* The text-bearing types: SMS-SUBMIT (MO) and SMS-DELIVER (MT). */
static void random_text_tpdu(uint64_t *s, struct sms_tpdu *t, bool mo)
{
	sms_tpdu_init(t, mo ? SMS_SUBMIT : SMS_DELIVER);
	if (mo) {
		t->rd = below(s, 2);
		t->srr = below(s, 2);
		t->mr = (uint8_t)below(s, 256);
		random_vp(s, &t->vp);
	} else {
		t->mms = below(s, 2);
		t->lp = below(s, 4) == 0;
		t->sri = below(s, 2);
		random_time(s, &t->scts);
	}
	t->rp = below(s, 8) == 0;
	if (!mo && below(s, 4) == 0)
		random_alnum_addr(s, &t->addr);
	else
		random_digits_addr(s, &t->addr);
	sms_pid_decode(&t->pid, below(s, 5) ? 0x00 : (uint8_t)below(s, 256));
	sms_dcs_decode(&t->dcs, random_dcs(s, below(s, 5) != 0));
	random_ud(s, t, below(s, 2) == 0);
}

/* One of the other types of the direction. */
static void random_other_tpdu(uint64_t *s, struct sms_tpdu *t, bool mo)
{
	bool report = below(s, 2);

	if (report) {
		sms_tpdu_init(t, mo ? SMS_DELIVER_REPORT : SMS_SUBMIT_REPORT);
		t->has_fcs = below(s, 2);
		if (t->has_fcs)
			t->fcs = (uint8_t)between(s, 0x80, 0xff);
		if (!mo)
			random_time(s, &t->scts);
		random_pi_fields(s, t);
	} else if (mo) {
		sms_tpdu_init(t, SMS_COMMAND);
		t->srr = below(s, 2);
		t->mr = (uint8_t)below(s, 256);
		sms_pid_decode(&t->pid, (uint8_t)below(s, 256));
		t->ct = (uint8_t)below(s, 256);
		t->mn = (uint8_t)below(s, 256);
		random_digits_addr(s, &t->addr);
		random_ud(s, t, below(s, 4) == 0);
	} else {
		sms_tpdu_init(t, SMS_STATUS_REPORT);
		t->mms = below(s, 2);
		t->lp = below(s, 4) == 0;
		t->srq = below(s, 2);
		t->mr = (uint8_t)below(s, 256);
		random_digits_addr(s, &t->addr);
		random_time(s, &t->scts);
		random_time(s, &t->dt);
		t->st = (uint8_t)below(s, 256);
		if (below(s, 2))
			random_pi_fields(s, t);
	}
}

/* Build, encode, check that it decodes, print.  Returns 0 or -1. */
static int one(uint64_t *s, bool mo, unsigned i)
{
	struct sms_tpdu t, back;
	uint8_t out[SMS_TPDU_MAX_LEN];
	enum sms_dir dir = mo ? SMS_MS_TO_SC : SMS_SC_TO_MS;

	if (below(s, 100) < 80)
		random_text_tpdu(s, &t, mo);
	else
		random_other_tpdu(s, &t, mo);
	int n = sms_tpdu_encode(out, sizeof(out), &t, dir);
	if (n < 0) {
		fprintf(stderr, "tpdu_gen: TPDU %u (%s) does not encode: %s\n", i,
			sms_tpdu_type_name(t.type), strerror(-n));
		return -1;
	}
	printf("%s ", mo ? "mo" : "mt");
	for (int k = 0; k < n; k++)
		printf("%02x", out[k]);
	printf("\n");
	int rc = sms_tpdu_decode(&back, out, (size_t)n, dir);
	if (rc != 0) {
		fprintf(stderr, "tpdu_gen: TPDU %u above does not decode: %s\n", i, strerror(-rc));
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: tpdu_gen [--seed N] [--count N]\n"
"Print N random MO and N random MT TPDUs (default 1000 each), interleaved,\n"
"one a line as \"mo HEX\" or \"mt HEX\", built with txgw's TPDU encoder from\n"
"seed N (default 1).  Exit 1 if a TPDU fails to encode or decode back.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 1;
	unsigned long count = 1000;
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, &end, 0);
			if (*end || !*optarg)
				goto bad;
			break;
		case 'c':
			count = strtoul(optarg, &end, 0);
			if (*end || !*optarg || count > 10000000)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	uint64_t s = seed;
	for (unsigned long i = 0; i < 2 * count; i++)
		if (one(&s, i % 2 == 0, (unsigned)i) < 0)
			return 1;
	return fflush(stdout) == 0 ? 0 : 1;
bad:
	usage(stderr);
	return 2;
}
