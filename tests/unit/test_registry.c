/*
 * test_registry.c — the device registry (registry.md): the line parser,
 * the vectors' devices.txt, every kind of bad line with its line number,
 * PEM keys, X.509 certificates with and without a CA (made at test time
 * with the OpenSSL API: a CA, a good device certificate, an expired one,
 * one from another CA), hex: keys including a point off the P-256 curve,
 * alg mismatches, duplicates, and a large registry for the hash table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include "tests/unit/cmocka_main.h"
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/sign.h"

static void *ctx;
static char dir[128];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *path_of(const char *name)
{
	return talloc_asprintf(ctx, "%s/%s", dir, name);
}

/* ---- certificates, made with the OpenSSL API ---- */

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
}

/* A certificate for key, issued by (issuer, issuer_key) or self-signed
 * when issuer is NULL, valid from now+from to now+to seconds. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long from,
		       long to, int is_ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	static long serial = 1;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	add_ext(x, issuer, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, issuer, NID_key_usage, is_ca ? "critical,keyCertSign" : "critical,digitalSignature");
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(name);
	return x;
}

static void write_cert(const char *name, X509 *x)
{
	char *path = path_of(name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	PEM_write_X509(fp, x);
	fclose(fp);
}

static void write_pubkey(const char *name, EVP_PKEY *k)
{
	char *path = path_of(name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	PEM_write_PUBKEY(fp, k);
	fclose(fp);
}

/* raw public key of k in lower-case hex, after "hex:" */
static char *hex_of(EVP_PKEY *k)
{
	uint8_t raw[65];
	size_t len = sizeof(raw), i;
	char *s;

	if (EVP_PKEY_is_a(k, "ED25519"))
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &len), 1);
	else
		assert_int_equal(EVP_PKEY_get_octet_string_param(k, "encoded-pub-key", raw, len, &len), 1);
	s = talloc_strdup(ctx, "hex:");
	for (i = 0; i < len; i++)
		s = talloc_asprintf_append(s, "%02x", raw[i]);
	return s;
}

static EVP_PKEY *ca_key, *ca2_key, *dev_ed, *dev_ec, *dev_p384;
static X509 *ca, *ca2;

static int setup(void **state)
{
	ctx = talloc_new(NULL);
	test_mkdtemp(dir, sizeof(dir), "fx");
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	ca2_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	dev_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	dev_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	dev_p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
	ca = make_cert(ca_key, "txgw test CA", NULL, NULL, -86400, 86400 * 365, 1);
	ca2 = make_cert(ca2_key, "another CA", NULL, NULL, -86400, 86400 * 365, 1);
	write_cert("ca.pem", ca);
	write_file("empty.pem", "");
	return 0;
}

static int teardown(void **state)
{
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(ca2_key);
	EVP_PKEY_free(dev_ed);
	EVP_PKEY_free(dev_ec);
	EVP_PKEY_free(dev_p384);
	X509_free(ca);
	X509_free(ca2);
	talloc_free(ctx);
	return test_rmtree(dir);
}

/* The report holds msg somewhere (a substring of one message). */
static bool has_msg(const struct reg_report *rep, const char *msg)
{
	unsigned i;

	for (i = 0; i < rep->n_msgs; i++)
		if (strstr(rep->msgs[i], msg))
			return true;
	return false;
}

static void dump(const struct reg_report *rep)
{
	unsigned i;

	for (i = 0; i < rep->n_msgs; i++)
		print_message("  %s\n", rep->msgs[i]);
}

/* ---- the line parser ---- */

static void test_parse_line(void **state)
{
	static const char *const blank[] = { "", "   \t ", "# comment", "  # device key", "\r" };
	const char *line = "00112233AABBccdd\t2  ed25519   886955500001 revoked "
			   "hex:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c # note\r";
	struct reg_line l;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++)
		assert_int_equal(registry_parse_line(blank[i], strlen(blank[i]), &l, &why), 0);
	assert_int_equal(registry_parse_line(line, strlen(line), &l, &why), 1);
	assert_true(l.e.device_id == 0x00112233aabbccddULL);
	assert_int_equal(l.e.key_id, 2);
	assert_int_equal(l.e.alg, TXL_ALG_ED25519);
	assert_string_equal(l.e.msisdn, "886955500001");
	assert_int_equal(l.e.revoked, 1);
	assert_string_equal(reg_status_name(&l.e), "revoked");
	assert_int_equal(l.e.key_len, 32);
	assert_int_equal(l.e.key[0], 0x3d);
	assert_int_equal(l.e.key[31], 0x0c);
	assert_null(l.path);

	line = "0a0b0c0d0e0f1011 255 ecdsa-p256 - active keys/a b.pem";
	assert_int_equal(registry_parse_line(line, strlen(line), &l, &why), -EINVAL);
	assert_string_equal(why, "too many fields (want 6: device_id key_id alg msisdn status key)");
	line = "0a0b0c0d0e0f1011 255 ecdsa-p256 - active keys/x.pem";
	assert_int_equal(registry_parse_line(line, strlen(line), &l, &why), 1);
	assert_int_equal(l.e.key_id, 255);
	assert_string_equal(l.e.msisdn, "");
	assert_int_equal(l.e.revoked, 0);
	assert_int_equal(l.e.key_len, 0);
	assert_int_equal(l.path_len, 10);
	assert_memory_equal(l.path, "keys/x.pem", 10);
	/* the length given counts, not a NUL */
	assert_int_equal(registry_parse_line(line, 20, &l, &why), -EINVAL);
	assert_string_equal(why, "too few fields (want 6: device_id key_id alg msisdn status key)");
}

struct bad_line {
	const char *line, *why;
};

/* registry.md field table: each field wrong in each way. */
static const struct bad_line bad_lines[] = {
	{ "0011223344556677", "too few fields" },
	{ "0011223344556677 1 ed25519 - active", "too few fields" },
	{ "0011223344556677 1 ed25519 - active k.pem extra", "too many fields" },
	{ "001122334455667 1 ed25519 - active k.pem", "device_id is not 16 hex digits" },
	{ "00112233445566778 1 ed25519 - active k.pem", "device_id is not 16 hex digits" },
	{ "001122334455667g 1 ed25519 - active k.pem", "device_id is not 16 hex digits" },
	{ "0x11223344556677 1 ed25519 - active k.pem", "device_id is not 16 hex digits" },
	{ "+011223344556677 1 ed25519 - active k.pem", "device_id is not 16 hex digits" },
	{ "-011223344556677 1 ed25519 - active k.pem", "device_id is not 16 hex digits" },
	{ "0011223344556677 256 ed25519 - active k.pem", "key_id is not a number 0..255" },
	{ "0011223344556677 -1 ed25519 - active k.pem", "key_id is not a number 0..255" },
	{ "0011223344556677 0x1 ed25519 - active k.pem", "key_id is not a number 0..255" },
	{ "0011223344556677 1000 ed25519 - active k.pem", "key_id is not a number 0..255" },
	{ "0011223344556677 1 rsa - active k.pem", "alg is not ecdsa-p256 or ed25519" },
	{ "0011223344556677 1 Ed25519 - active k.pem", "alg is not ecdsa-p256 or ed25519" },
	{ "0011223344556677 1 ed25519 +886912345678 active k.pem", "msisdn is not 1..15 digits or '-'" },
	{ "0011223344556677 1 ed25519 1234567890123456 active k.pem", "msisdn is not 1..15 digits or '-'" },
	{ "0011223344556677 1 ed25519 -- active k.pem", "msisdn is not 1..15 digits or '-'" },
	{ "0011223344556677 1 ed25519 - enabled k.pem", "status is not active or revoked" },
	{ "0011223344556677 1 ed25519 - Active k.pem", "status is not active or revoked" },
	{ "0011223344556677 1 ed25519 - active hex:00", "hex: key for ed25519 is not 32 bytes" },
	{ "0011223344556677 1 ed25519 - active hex:", "hex: key for ed25519 is not 32 bytes" },
	{ "0011223344556677 1 ed25519 - active "
	  "hex:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660z",
	  "hex: key has a character that is not a hex digit" },
	{ "0011223344556677 1 ed25519 - active "
	  "hex:0x4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "hex: key has a character that is not a hex digit" },
	{ "0011223344556677 1 ed25519 - active "
	  "hex:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660",
	  "hex: key for ed25519 is not 32 bytes" },
	{ "0011223344556677 1 ecdsa-p256 - active "
	  "hex:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "hex: key for ecdsa-p256 is not 65 bytes (04 x y)" },
	{ "0011223344556677 1 ecdsa-p256 - active "
	  "hex:023d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "hex: key for ecdsa-p256 is not an uncompressed point (04 x y)" },
	{ "0011223344556677 1 ed25519 - active k\x01.pem", "control character in the line" },
};

static void test_parse_bad_lines(void **state)
{
	struct reg_line l;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		print_message("line \"%s\"\n", bad_lines[i].line);
		assert_int_equal(registry_parse_line(bad_lines[i].line, strlen(bad_lines[i].line), &l, &why),
				 -EINVAL);
		assert_memory_equal(why, bad_lines[i].why, strlen(bad_lines[i].why));
	}
}

/* ---- loading ---- */

/* The vectors' registry: PEM public keys, relative to the file's folder. */
static void test_vectors_registry(void **state)
{
	struct reg_report rep;
	struct registry *r;
	const struct reg_entry *e;
	struct txl_signer *s;
	uint8_t raw[65];

	assert_int_equal(registry_load(ctx, TESTDATA_DIR "/vectors/devices.txt", NULL, &r, &rep), 0);
	assert_int_equal(rep.n_lines, 3);
	assert_int_equal(rep.n_loaded, 2);
	assert_int_equal(rep.n_errors, 0);
	assert_int_equal(registry_count(r), 2);
	e = registry_lookup(r, 0x00112233aabbccddULL, 1);
	assert_non_null(e);
	assert_int_equal(e->alg, TXL_ALG_ED25519);
	assert_string_equal(e->msisdn, "886912345678");
	assert_int_equal(e->revoked, 0);
	assert_int_equal(txl_signer_load(ctx, TESTDATA_DIR "/vectors/keys/00112233aabbccdd-1.key", &s), 0);
	assert_int_equal(txl_signer_public_raw(s, raw, sizeof(raw)), 32);
	assert_memory_equal(e->key, raw, 32);
	e = registry_lookup(r, 0x0a0b0c0d0e0f1011ULL, 3);
	assert_non_null(e);
	assert_int_equal(e->alg, TXL_ALG_ECDSA_P256);
	assert_int_equal(e->key_len, 65);
	assert_int_equal(e->key[0], 4);
	assert_string_equal(e->msisdn, "");
	assert_int_equal(txl_signer_load(ctx, TESTDATA_DIR "/vectors/keys/0a0b0c0d0e0f1011-3.key", &s), 0);
	assert_int_equal(txl_signer_public_raw(s, raw, sizeof(raw)), 65);
	assert_memory_equal(e->key, raw, 65);
	assert_null(registry_lookup(r, 0x0a0b0c0d0e0f1011ULL, 1));
	assert_null(registry_lookup(r, 0x00112233aabbccdcULL, 1));
	registry_free(r);
	reg_report_clear(&rep);
}

/* A file with every kind of bad line: all reported with their numbers,
 * the good lines load. */
static void test_bad_file(void **state)
{
	const char *bad_point = "hex:04" "0000000000000000000000000000000000000000000000000000000000000001"
				"0000000000000000000000000000000000000000000000000000000000000002";
	struct reg_report rep;
	struct registry *r;
	char *text;

	write_pubkey("ed.pem", dev_ed);
	write_pubkey("ec.pem", dev_ec);
	write_pubkey("p384.pem", dev_p384);
	write_file("junk.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
	write_file("text.pem", "hello\n");
	text = talloc_asprintf(ctx,
		"# test registry\n"						/* 1 */
		"1111111111111111 1 ed25519 - active ed.pem\n"			/* 2 good */
		"2222222222222222 1 ecdsa-p256 886900000001 active ec.pem\n"	/* 3 good */
		"3333333333333333 1 ecdsa-p256 - active ed.pem\n"		/* 4 mismatch */
		"4444444444444444 1 ed25519 - active ec.pem\n"			/* 5 mismatch */
		"5555555555555555 1 ecdsa-p256 - active p384.pem\n"		/* 6 curve */
		"6666666666666666 1 ed25519 - active missing.pem\n"		/* 7 */
		"7777777777777777 1 ed25519 - active junk.pem\n"		/* 8 */
		"8888888888888888 1 ed25519 - active text.pem\n"		/* 9 */
		"1111111111111111 1 ed25519 - revoked %s\n"			/* 10 duplicate */
		"9999999999999999 1 ecdsa-p256 - active %s\n"			/* 11 off curve */
		"aaaaaaaaaaaaaaaa 1 ecdsa-p256 - active %s\n"			/* 12 good hex */
		"bbbbbbbbbbbbbbbb 1 ed25519 - active\n"				/* 13 */
		"cccccccccccccccc 1 ed25519 - active empty.pem\n"		/* 14 */
		"\n"								/* 15 */
		"1111111111111111 2 ed25519 - revoked %s",			/* 16 good, no LF */
		hex_of(dev_ed), bad_point, hex_of(dev_ec), hex_of(dev_ed));
	write_file("bad.txt", text);
	assert_int_equal(registry_load(ctx, path_of("bad.txt"), NULL, &r, &rep), -EINVAL);
	dump(&rep);
	assert_non_null(r);
	assert_int_equal(rep.n_lines, 16);
	assert_int_equal(rep.n_errors, 10);
	assert_int_equal(rep.n_msgs, 10);
	assert_int_equal(rep.n_loaded, 4);
	assert_int_equal(registry_count(r), 4);
	assert_true(has_msg(&rep, "bad.txt:4: ") && has_msg(&rep, "the key is Ed25519 but alg is ecdsa-p256"));
	assert_true(has_msg(&rep, "bad.txt:5: ") && has_msg(&rep, "the key is ECDSA but alg is ed25519"));
	assert_true(has_msg(&rep, "bad.txt:6: ") && has_msg(&rep, "another curve than P-256"));
	assert_true(has_msg(&rep, "bad.txt:7: ") && has_msg(&rep, "missing.pem: cannot open"));
	assert_true(has_msg(&rep, "bad.txt:8: ") && has_msg(&rep, "junk.pem: cannot parse the public key"));
	assert_true(has_msg(&rep, "bad.txt:9: ") && has_msg(&rep, "no PUBLIC KEY or CERTIFICATE"));
	assert_true(has_msg(&rep, "bad.txt:10: duplicate (device_id, key_id) 1111111111111111 1, first on line 2"));
	assert_true(has_msg(&rep, "bad.txt:11: hex: key is not a point on the P-256 curve"));
	assert_true(has_msg(&rep, "bad.txt:13: too few fields"));
	assert_true(has_msg(&rep, "bad.txt:14: ") && has_msg(&rep, "empty.pem: empty file"));
	/* the first of a duplicate stays */
	assert_int_equal(registry_lookup(r, 0x1111111111111111ULL, 1)->revoked, 0);
	assert_int_equal(registry_lookup(r, 0x1111111111111111ULL, 2)->revoked, 1);
	assert_string_equal(registry_lookup(r, 0x2222222222222222ULL, 1)->msisdn, "886900000001");
	assert_int_equal(registry_lookup(r, 0xaaaaaaaaaaaaaaaaULL, 1)->key_len, 65);
	assert_null(registry_lookup(r, 0x3333333333333333ULL, 1));
	registry_free(r);
	reg_report_clear(&rep);
	/* no report asked for: still the same outcome */
	assert_int_equal(registry_load(ctx, path_of("bad.txt"), NULL, &r, NULL), -EINVAL);
	registry_free(r);
}

/* Certificates: without a CA any parsable one gives its key; with a CA a
 * certificate must chain to it and be valid now, bare keys are refused. */
static void test_certificates(void **state)
{
	X509 *good = make_cert(dev_ec, "dev good", ca, ca_key, -3600, 86400, 0);
	X509 *good_ed = make_cert(dev_ed, "dev ed", ca, ca_key, -3600, 86400, 0);
	X509 *expired = make_cert(dev_ec, "dev expired", ca, ca_key, -86400 * 2, -86400, 0);
	X509 *future = make_cert(dev_ec, "dev future", ca, ca_key, 86400, 86400 * 2, 0);
	X509 *other = make_cert(dev_ec, "dev other", ca2, ca2_key, -3600, 86400, 0);
	struct reg_report rep;
	struct registry *r;

	write_cert("good.crt", good);
	write_cert("good_ed.crt", good_ed);
	write_cert("expired.crt", expired);
	write_cert("future.crt", future);
	write_cert("other.crt", other);
	write_pubkey("ec.pem", dev_ec);
	write_file("certs.txt", talloc_asprintf(ctx,
		"0000000000000001 1 ecdsa-p256 - active good.crt\n"
		"0000000000000002 1 ed25519 - active good_ed.crt\n"
		"0000000000000003 1 ecdsa-p256 - active expired.crt\n"
		"0000000000000004 1 ecdsa-p256 - active future.crt\n"
		"0000000000000005 1 ecdsa-p256 - active other.crt\n"
		"0000000000000006 1 ecdsa-p256 - active ec.pem\n"
		"0000000000000007 1 ecdsa-p256 - active %s\n"
		"0000000000000008 1 ed25519 - active good.crt\n", hex_of(dev_ec)));

	/* without a CA: all but the alg mismatch on line 8 */
	assert_int_equal(registry_load(ctx, path_of("certs.txt"), NULL, &r, &rep), -EINVAL);
	dump(&rep);
	assert_int_equal(registry_count(r), 7);
	assert_int_equal(rep.n_errors, 1);
	assert_true(has_msg(&rep, "certs.txt:8: ") && has_msg(&rep, "the key is ECDSA but alg is ed25519"));
	assert_memory_equal(registry_lookup(r, 1, 1)->key, registry_lookup(r, 6, 1)->key, 65);
	assert_memory_equal(registry_lookup(r, 1, 1)->key, registry_lookup(r, 7, 1)->key, 65);
	assert_int_equal(registry_lookup(r, 2, 1)->key_len, 32);
	registry_free(r);
	reg_report_clear(&rep);

	/* with the CA */
	assert_int_equal(registry_load(ctx, path_of("certs.txt"), path_of("ca.pem"), &r, &rep), -EINVAL);
	dump(&rep);
	assert_int_equal(registry_count(r), 2);
	assert_non_null(registry_lookup(r, 1, 1));
	assert_non_null(registry_lookup(r, 2, 1));
	assert_int_equal(rep.n_errors, 6);
	assert_true(has_msg(&rep, "certs.txt:3: ") && has_msg(&rep, "certificate has expired"));
	assert_true(has_msg(&rep, "certs.txt:4: ") && has_msg(&rep, "certificate is not yet valid"));
	assert_true(has_msg(&rep, "certs.txt:5: ") && has_msg(&rep, "does not verify against the ca-file"));
	assert_true(has_msg(&rep, "certs.txt:6: ") && has_msg(&rep, "a bare public key is refused"));
	assert_true(has_msg(&rep, "certs.txt:7: a bare hex: key is refused"));
	assert_true(has_msg(&rep, "certs.txt:8: "));
	registry_free(r);
	reg_report_clear(&rep);

	/* only the good lines: a clean load with the CA */
	write_file("certs-ok.txt", "0000000000000001 1 ecdsa-p256 - active good.crt\n"
				   "0000000000000002 1 ed25519 886911111111 revoked good_ed.crt\n");
	assert_int_equal(registry_load(ctx, path_of("certs-ok.txt"), path_of("ca.pem"), &r, &rep), 0);
	assert_int_equal(registry_count(r), 2);
	assert_int_equal(registry_lookup(r, 2, 1)->revoked, 1);
	registry_free(r);
	reg_report_clear(&rep);

	/* another CA file: none of the certificates chain */
	write_cert("ca2.pem", ca2);
	assert_int_equal(registry_load(ctx, path_of("certs-ok.txt"), path_of("ca2.pem"), &r, &rep), -EINVAL);
	assert_int_equal(registry_count(r), 0);
	assert_int_equal(rep.n_errors, 2);
	registry_free(r);
	reg_report_clear(&rep);

	X509_free(good);
	X509_free(good_ed);
	X509_free(expired);
	X509_free(future);
	X509_free(other);
}

/* Files that cannot be read at all: no registry. */
static void test_unreadable(void **state)
{
	struct reg_report rep;
	struct registry *r = (struct registry *)&rep;

	assert_int_equal(registry_load(ctx, path_of("nothing.txt"), NULL, &r, &rep), -ENOENT);
	assert_null(r);
	assert_int_equal(rep.n_errors, 1);
	assert_true(has_msg(&rep, "nothing.txt: cannot open"));
	reg_report_clear(&rep);
	assert_int_equal(registry_load(ctx, TESTDATA_DIR "/vectors/devices.txt", path_of("no-ca.pem"), &r, &rep),
			 -EINVAL);
	assert_null(r);
	assert_true(has_msg(&rep, "no-ca.pem: cannot load the CA certificates"));
	reg_report_clear(&rep);
	assert_int_equal(registry_count(NULL), 0);
}

/*
 * What stands in the place of a file and is not a regular file is refused
 * at once: a FIFO (which would wait for a writer, for ever), a device
 * (/dev/zero never ends), a directory; a symlink to a regular file is
 * followed.  Also for a PEM key and the CA file.  alarm(): a FIFO that
 * blocks fails the test instead of hanging it.
 */
static void test_not_regular(void **state)
{
	char *line = talloc_asprintf(ctx, "0000000000000001 1 ed25519 - active %s\n", hex_of(dev_ed));
	struct reg_report rep;
	struct registry *r;

	alarm(10);
	assert_int_equal(mkfifo(path_of("fifo.txt"), 0600), 0);
	assert_int_equal(registry_load(ctx, path_of("fifo.txt"), NULL, &r, &rep), -ENXIO);
	assert_null(r);
	assert_true(has_msg(&rep, "fifo.txt: not a regular file (a FIFO)"));
	reg_report_clear(&rep);

	assert_int_equal(symlink("/dev/zero", path_of("zero.txt")), 0);
	assert_int_equal(registry_load(ctx, path_of("zero.txt"), NULL, &r, &rep), -ENXIO);
	assert_true(has_msg(&rep, "zero.txt: not a regular file (a character device)"));
	reg_report_clear(&rep);

	assert_int_equal(mkdir(path_of("dir.txt"), 0700), 0);
	assert_int_equal(registry_load(ctx, path_of("dir.txt"), NULL, &r, &rep), -EISDIR);
	assert_true(has_msg(&rep, "dir.txt: not a regular file (a directory)"));
	reg_report_clear(&rep);

	/* a symlink to a regular file is read */
	write_file("real.txt", line);
	assert_int_equal(symlink("real.txt", path_of("link.txt")), 0);
	assert_int_equal(registry_load(ctx, path_of("link.txt"), NULL, &r, &rep), 0);
	assert_int_equal(registry_count(r), 1);
	registry_free(r);
	reg_report_clear(&rep);

	/* a key file that is a FIFO: that line is bad, the rest loads */
	write_file("fifokey.txt", talloc_asprintf(ctx, "%s0000000000000002 1 ed25519 - active fifo.txt\n", line));
	assert_int_equal(registry_load(ctx, path_of("fifokey.txt"), NULL, &r, &rep), -EINVAL);
	assert_int_equal(registry_count(r), 1);
	assert_true(has_msg(&rep, "fifokey.txt:2: ") && has_msg(&rep, "fifo.txt: not a regular file (a FIFO)"));
	registry_free(r);
	reg_report_clear(&rep);

	/* a CA file that is a FIFO */
	assert_int_equal(registry_load(ctx, path_of("real.txt"), path_of("fifo.txt"), &r, &rep), -EINVAL);
	assert_null(r);
	assert_true(has_msg(&rep, "fifo.txt: cannot load the CA certificates: not a regular file (a FIFO)"));
	reg_report_clear(&rep);
	alarm(0);
}

/* What a reload would drop: counted by (device_id, key_id), not by size. */
static void test_missing(void **state)
{
	const char *k = hex_of(dev_ed);
	struct registry *a, *b;

	write_file("a.txt", talloc_asprintf(ctx, "0000000000000001 1 ed25519 - active %s\n"
					    "0000000000000002 1 ed25519 - active %s\n"
					    "0000000000000003 1 ed25519 - active %s\n"
					    "0000000000000003 2 ed25519 - active %s\n", k, k, k, k));
	write_file("b.txt", talloc_asprintf(ctx, "0000000000000003 2 ed25519 - active %s\n"
					    "0000000000000004 1 ed25519 - active %s\n"
					    "0000000000000005 1 ed25519 - active %s\n"
					    "0000000000000006 1 ed25519 - active %s\n", k, k, k, k));
	assert_int_equal(registry_load(ctx, path_of("a.txt"), NULL, &a, NULL), 0);
	assert_int_equal(registry_load(ctx, path_of("b.txt"), NULL, &b, NULL), 0);
	assert_int_equal(registry_missing(a, b), 3);
	assert_int_equal(registry_missing(b, a), 3);
	assert_int_equal(registry_missing(a, a), 0);
	assert_int_equal(registry_missing(NULL, a), 0);
	assert_int_equal(registry_missing(a, NULL), 4);
	registry_free(a);
	registry_free(b);
}

/* An over-long line is one error with its number; counting goes on. */
static void test_long_line(void **state)
{
	char *text = talloc_asprintf(ctx, "# x\n0000000000000001 1 ed25519 - active %s\n", hex_of(dev_ed));
	struct reg_report rep;
	struct registry *r;
	size_t i;

	for (i = 0; i < 3 * REG_LINE_MAX; i++)
		text = talloc_asprintf_append(text, "#");
	text = talloc_asprintf_append(text, "\n0000000000000002 1 ed25519 - active %s\n0\n", hex_of(dev_ed));
	write_file("long.txt", text);
	assert_int_equal(registry_load(ctx, path_of("long.txt"), NULL, &r, &rep), -EINVAL);
	dump(&rep);
	assert_int_equal(rep.n_lines, 5);
	assert_int_equal(rep.n_errors, 2);
	assert_true(has_msg(&rep, "long.txt:3: line longer than 4096 bytes"));
	assert_true(has_msg(&rep, "long.txt:5: too few fields"));
	assert_int_equal(registry_count(r), 2);
	registry_free(r);
	reg_report_clear(&rep);
}

/* Many devices: the table grows, every entry is found, absent ones are
 * not; more errors than REG_MAX_MESSAGES are counted but not all kept. */
static void test_many(void **state)
{
	const unsigned n = 60000;
	struct reg_report rep;
	struct registry *r;
	char *path = path_of("many.txt");
	FILE *fp = fopen(path, "w");
	unsigned i;

	assert_non_null(fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%016llx %u ed25519 %s active hex:%064x\n", 0x1000000ULL * i + 7, i % 3,
			i % 2 ? "-" : "886900000000", i);
	for (i = 0; i < 1200; i++)
		fprintf(fp, "bad line %u\n", i);
	fclose(fp);
	assert_int_equal(registry_load(ctx, path, NULL, &r, &rep), -EINVAL);
	assert_int_equal(registry_count(r), n);
	assert_int_equal(rep.n_errors, 1200);
	assert_int_equal(rep.n_msgs, REG_MAX_MESSAGES);
	for (i = 0; i < n; i++) {
		const struct reg_entry *e = registry_lookup(r, 0x1000000ULL * i + 7, (uint8_t)(i % 3));

		assert_non_null(e);
		assert_int_equal(e->key[31], i & 0xff);
		assert_int_equal(e->key[30], i >> 8 & 0xff);
		assert_null(registry_lookup(r, 0x1000000ULL * i + 7, (uint8_t)(i % 3 + 1)));
		assert_null(registry_lookup(r, 0x1000000ULL * i + 8, (uint8_t)(i % 3)));
	}
	registry_free(r);
	reg_report_clear(&rep);
}

/*
 * What registry.c, txgw-frame and txgw-tpdu rely on in libosmocore's
 * osmo_hexparse(): the byte count back; -1 for a character that is not a
 * hex digit (a sign or "0x" included), an odd number of digits, or more
 * bytes than room; both cases; white space skipped, even inside a byte
 * (so the registry checks each field's length itself, and ':' is the
 * frame tool's to drop).
 */
static void test_hexparse(void **state)
{
	uint8_t b[4];

	assert_int_equal(osmo_hexparse("", b, sizeof(b)), 0);
	assert_int_equal(osmo_hexparse("0aB1", b, sizeof(b)), 2);
	assert_memory_equal(b, "\x0a\xb1\0\0", 4);
	assert_int_equal(osmo_hexparse("01020304", b, sizeof(b)), 4);
	assert_int_equal(osmo_hexparse("0102030405", b, sizeof(b)), -1);
	assert_int_equal(osmo_hexparse("abc", b, sizeof(b)), -1);
	assert_int_equal(osmo_hexparse("0g", b, sizeof(b)), -1);
	assert_int_equal(osmo_hexparse("0x01", b, sizeof(b)), -1);
	assert_int_equal(osmo_hexparse("+1", b, sizeof(b)), -1);
	assert_int_equal(osmo_hexparse("-1", b, sizeof(b)), -1);
	assert_int_equal(osmo_hexparse("01:02", b, sizeof(b)), -1);
	assert_int_equal(osmo_hexparse(" 0 1\t02\r\n", b, sizeof(b)), 2);
	assert_memory_equal(b, "\x01\x02", 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hexparse),
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_parse_bad_lines),
		cmocka_unit_test(test_vectors_registry),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_certificates),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_many),
	};

	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, setup, teardown));
}
