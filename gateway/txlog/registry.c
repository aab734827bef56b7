/*
 * registry.c — the device registry (registry.md): line parser, loader
 * (PEM keys, X.509 certificates, optional CA), and the packed hash table.
 *
 * The file is read in 1 MiB blocks (no per-line I/O, no mmap of the whole
 * file, so a million-line registry does not count 100+ MB of file pages in
 * the RSS), each line parsed by hand: sscanf() is far too slow for a
 * million lines.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "gateway/lib/regfile.h"
#include "gateway/txlog/frame.h"
#include "gateway/txlog/registry.h"

#define READ_BLOCK	(1u << 20)
#define PEM_MAX		(64u << 10)	/* a key or certificate file, generously */
#define CA_MAX		(4u << 20)	/* a CA file: a system bundle is ~200 KiB */

struct registry {
	struct reg_entry *e;	/* n entries, talloc array of cap */
	size_t n, cap;
	uint32_t *slot;		/* open addressing: entry index + 1, 0 = empty */
	size_t mask;		/* slots - 1, slots a power of two */
};

/* ---- line parser (registry.md field table) ---- */

struct field {
	const char *s;
	size_t n;
};

enum { F_DEV, F_KEYID, F_ALG, F_MSISDN, F_STATUS, F_KEY, N_FIELDS };

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Split at spaces and tabs up to a '#'.  Returns the number of fields
 * (N_FIELDS + 1 means "more"), or -1 for a control character. */
static int split_fields(const char *line, size_t len, struct field *f)
{
	size_t i = 0;
	int n = 0;

	while (i < len && line[i] != '#') {
		if (is_sep(line[i])) {
			i++;
			continue;
		}
		if (n == N_FIELDS)
			return N_FIELDS + 1;
		f[n].s = line + i;
		while (i < len && !is_sep(line[i]) && line[i] != '#') {
			if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
				return -1;
			i++;
		}
		f[n].n = (size_t)(line + i - f[n].s);
		n++;
	}
	return n;
}

static bool field_is(const struct field *f, const char *word)
{
	return f->n == strlen(word) && !memcmp(f->s, word, f->n);
}

/* Decode field f, exactly 2*n hex digits, into out[n].  osmo_hexparse()
 * skips white space, but a field holds none (split_fields() cuts there),
 * and a count other than n is refused all the same. */
static bool hex_field(const struct field *f, size_t skip, uint8_t *out, size_t n)
{
	char z[2 * REG_KEY_MAX + 1];

	if (f->n < skip || f->n - skip != 2 * n || 2 * n >= sizeof(z))
		return false;
	size_t len = 2 * n;
	memcpy(z, f->s + skip, len);
	z[len] = '\0';
	return osmo_hexparse(z, out, (unsigned)n) == (int)n;
}

static bool parse_device(const struct field *f, uint64_t *dev)
{
	uint8_t b[8];
	int i;

	if (!hex_field(f, 0, b, 8))
		return false;
	*dev = 0;
	for (i = 0; i < 8; i++)
		*dev = *dev << 8 | b[i];
	return true;
}

static bool parse_key_id(const struct field *f, uint8_t *key_id)
{
	unsigned v = 0;
	size_t i;

	if (f->n == 0 || f->n > 3)
		return false;
	for (i = 0; i < f->n; i++) {
		if (f->s[i] < '0' || f->s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(f->s[i] - '0');
	}
	if (v > 255)
		return false;
	*key_id = (uint8_t)v;
	return true;
}

static bool parse_msisdn(const struct field *f, char *out)
{
	size_t i;

	if (field_is(f, "-")) {
		out[0] = '\0';
		return true;
	}
	if (f->n == 0 || f->n > REG_MSISDN_MAX)
		return false;
	for (i = 0; i < f->n; i++)
		if (f->s[i] < '0' || f->s[i] > '9')
			return false;
	memcpy(out, f->s, f->n);
	out[f->n] = '\0';
	return true;
}

/* The key field: "hex:" and the raw key (its size must fit the alg), or a
 * PEM path left for the loader. */
static int parse_key(const struct field *f, struct reg_line *out, const char **why)
{
	struct reg_entry *e = &out->e;
	size_t want = e->alg == TXL_ALG_ED25519 ? 32 : 65;

	out->path = NULL;
	out->path_len = 0;
	e->key_len = 0;
	if (f->n < 4 || memcmp(f->s, "hex:", 4)) {
		out->path = f->s;
		out->path_len = f->n;
		return 0;
	}
	if (f->n - 4 != 2 * want) {
		*why = e->alg == TXL_ALG_ED25519 ? "hex: key for ed25519 is not 32 bytes"
						 : "hex: key for ecdsa-p256 is not 65 bytes (04 x y)";
		return -EINVAL;
	}
	if (!hex_field(f, 4, e->key, want)) {
		*why = "hex: key has a character that is not a hex digit";
		return -EINVAL;
	}
	if (e->alg == TXL_ALG_ECDSA_P256 && e->key[0] != 0x04) {
		*why = "hex: key for ecdsa-p256 is not an uncompressed point (04 x y)";
		return -EINVAL;
	}
	e->key_len = (uint8_t)want;
	return 0;
}

static int bad_line(const char **why, const char *text)
{
	*why = text;
	return -EINVAL;
}

int registry_parse_line(const char *line, size_t len, struct reg_line *out, const char **why)
{
	struct field f[N_FIELDS];
	struct reg_entry *e = &out->e;
	int n = split_fields(line, len, f);

	*why = "";
	memset(e, 0, sizeof(*e));
	if (n == 0)
		return 0;
	if (n < 0)
		return bad_line(why, "control character in the line");
	if (n != N_FIELDS)
		return bad_line(why, n < N_FIELDS ? "too few fields (want 6: device_id key_id alg msisdn status key)"
						  : "too many fields (want 6: device_id key_id alg msisdn status key)");
	if (!parse_device(&f[F_DEV], &e->device_id))
		return bad_line(why, "device_id is not 16 hex digits");
	if (!parse_key_id(&f[F_KEYID], &e->key_id))
		return bad_line(why, "key_id is not a number 0..255");
	if (field_is(&f[F_ALG], "ecdsa-p256"))
		e->alg = TXL_ALG_ECDSA_P256;
	else if (field_is(&f[F_ALG], "ed25519"))
		e->alg = TXL_ALG_ED25519;
	else
		return bad_line(why, "alg is not ecdsa-p256 or ed25519");
	if (!parse_msisdn(&f[F_MSISDN], e->msisdn))
		return bad_line(why, "msisdn is not 1..15 digits or '-'");
	if (field_is(&f[F_STATUS], "active"))
		e->revoked = 0;
	else if (field_is(&f[F_STATUS], "revoked"))
		e->revoked = 1;
	else
		return bad_line(why, "status is not active or revoked");
	if (parse_key(&f[F_KEY], out, why))
		return -EINVAL;
	return 1;
}

/* ---- hash table on (device_id, key_id) ---- */

static size_t hash_key(uint64_t dev, uint8_t key_id)
{
	/* splitmix64 finaliser: device ids may be sequential */
	uint64_t x = dev ^ ((uint64_t)key_id << 56 | key_id);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (size_t)(x ^ (x >> 31));
}

/* The slot holding (dev, key_id), or the empty slot where it would go. */
static size_t probe(const struct registry *r, uint64_t dev, uint8_t key_id)
{
	size_t i = hash_key(dev, key_id) & r->mask;

	while (r->slot[i]) {
		const struct reg_entry *e = &r->e[r->slot[i] - 1];

		if (e->device_id == dev && e->key_id == key_id)
			break;
		i = (i + 1) & r->mask;
	}
	return i;
}

static int grow_slots(struct registry *r)
{
	size_t n = (r->mask + 1) * 2, i;
	uint32_t *slot = talloc_zero_array(r, uint32_t, n);

	if (!slot)
		return -ENOMEM;
	talloc_free(r->slot);
	r->slot = slot;
	r->mask = n - 1;
	for (i = 0; i < r->n; i++)
		r->slot[probe(r, r->e[i].device_id, r->e[i].key_id)] = (uint32_t)(i + 1);
	return 0;
}

const struct reg_entry *registry_lookup(const struct registry *r, uint64_t dev, uint8_t key_id)
{
	size_t i = probe(r, dev, key_id);

	return r->slot[i] ? &r->e[r->slot[i] - 1] : NULL;
}

size_t registry_count(const struct registry *r)
{
	return r ? r->n : 0;
}

size_t registry_missing(const struct registry *old, const struct registry *r)
{
	size_t i, n = 0;

	if (!old || !r)
		return old ? old->n : 0;
	for (i = 0; i < old->n; i++)
		n += !registry_lookup(r, old->e[i].device_id, old->e[i].key_id);
	return n;
}

void registry_free(struct registry *r)
{
	talloc_free(r);
}

const char *reg_status_name(const struct reg_entry *e)
{
	return e->revoked ? "revoked" : "active";
}

/* ---- loader ---- */

struct loader {
	void *ctx;		/* where the registry and the report's messages go */
	void *tmp;		/* scratch, freed at the end of the load */
	struct registry *r;
	struct reg_report *rep;
	const char *file;
	char dir[PATH_MAX];
	unsigned line;
	bool skipping;		/* in the rest of an over-long line */
	uint32_t *first_line;	/* line number of each entry, for duplicates */
	X509_STORE *store;	/* the CA, or NULL without ca_file */
	X509_STORE_CTX *sctx;
	EC_GROUP *p256;
	EC_POINT *pt;
	BN_CTX *bn;
};

__attribute__((format(printf, 4, 5)))
static void report(struct loader *ld, const char *file, unsigned line, const char *fmt, ...)
{
	struct reg_report *rep = ld->rep;
	char **msgs;
	char *what;
	va_list ap;

	rep->n_errors++;
	if (rep->n_msgs >= REG_MAX_MESSAGES)
		return;
	msgs = talloc_realloc(ld->ctx, rep->msgs, char *, rep->n_msgs + 1);
	if (!msgs)
		return;
	rep->msgs = msgs;
	va_start(ap, fmt);
	what = talloc_vasprintf(ld->tmp, fmt, ap);
	va_end(ap);
	if (line)
		msgs[rep->n_msgs] = talloc_asprintf(msgs, "%s:%u: %s", file, line, what);
	else
		msgs[rep->n_msgs] = talloc_asprintf(msgs, "%s: %s", file, what);
	if (msgs[rep->n_msgs])
		rep->n_msgs++;
	talloc_free(what);
}

void reg_report_clear(struct reg_report *rep)
{
	talloc_free(rep->msgs);
	memset(rep, 0, sizeof(*rep));
}

/* Check a P-256 point (any SEC 1 §2.3.3 encoding) is on the curve and write
 * it uncompressed into out[65]. */
static bool p256_point(struct loader *ld, const uint8_t *in, size_t len, uint8_t *out)
{
	if (EC_POINT_oct2point(ld->p256, ld->pt, in, len, ld->bn) != 1
	    || EC_POINT_is_on_curve(ld->p256, ld->pt, ld->bn) != 1
	    || EC_POINT_is_at_infinity(ld->p256, ld->pt))
		return false;
	return EC_POINT_point2oct(ld->p256, ld->pt, POINT_CONVERSION_UNCOMPRESSED, out, 65, ld->bn) == 65;
}

/* Raw key bytes of pk into e, checking the key type matches e->alg. */
static int key_from_pkey(struct loader *ld, EVP_PKEY *pk, struct reg_entry *e, const char **why)
{
	uint8_t buf[133];
	size_t len = sizeof(buf);
	char group[32];

	if (EVP_PKEY_is_a(pk, "ED25519")) {
		*why = "the key is Ed25519 but alg is ecdsa-p256";
		if (e->alg != TXL_ALG_ED25519)
			return -EINVAL;
		len = 32;
		*why = "cannot read the Ed25519 key";
		if (EVP_PKEY_get_raw_public_key(pk, e->key, &len) != 1 || len != 32)
			return -EINVAL;
		e->key_len = 32;
		return 0;
	}
	*why = "the key is neither Ed25519 nor ECDSA P-256";
	if (!EVP_PKEY_is_a(pk, "EC"))
		return -EINVAL;
	*why = "the key is ECDSA but alg is ed25519";
	if (e->alg != TXL_ALG_ECDSA_P256)
		return -EINVAL;
	*why = "the key is ECDSA on another curve than P-256";
	if (EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) != 1 || strcmp(group, "prime256v1"))
		return -EINVAL;
	*why = "the P-256 point is invalid";
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) != 1
	    || !p256_point(ld, buf, len, e->key))
		return -EINVAL;
	e->key_len = 65;
	return 0;
}

/* Read a whole (small) regular file into a NUL-terminated talloc buffer
 * of at most max bytes; NULL and *why when it cannot. */
static char *slurp(void *ctx, const char *path, size_t max, size_t *len, char *why, size_t cap)
{
	int fd = regfile_open(path, why, cap);
	char *buf;
	ssize_t got = 0;

	if (fd < 0)
		return NULL;
	buf = talloc_size(ctx, max + 1);
	*len = 0;
	while (buf && *len <= max) {
		got = read(fd, buf + *len, max + 1 - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		*len += (size_t)got;
	}
	close(fd);
	if (buf && got >= 0 && *len > 0 && *len <= max) {
		buf[*len] = '\0';
		return buf;
	}
	if (!buf)
		snprintf(why, cap, "out of memory");
	else if (got < 0)
		snprintf(why, cap, "cannot read");
	else if (*len)
		snprintf(why, cap, "larger than %zu KiB", max >> 10);
	else
		snprintf(why, cap, "empty file");
	talloc_free(buf);
	return NULL;
}

static int check_chain(struct loader *ld, X509 *x, const char *path)
{
	int ok, err;

	if (X509_STORE_CTX_init(ld->sctx, ld->store, x, NULL) != 1) {
		report(ld, ld->file, ld->line, "%s: cannot set up the certificate check", path);
		return -ENOMEM;
	}
	ok = X509_verify_cert(ld->sctx);
	err = X509_STORE_CTX_get_error(ld->sctx);
	X509_STORE_CTX_cleanup(ld->sctx);
	if (ok == 1)
		return 0;
	report(ld, ld->file, ld->line, "%s: certificate does not verify against the ca-file: %s", path,
	       X509_verify_cert_error_string(err));
	return -EINVAL;
}

/* Parse the PEM text: a certificate (checked against the CA when there is
 * one) or a bare public key (refused when there is a CA). */
static int pem_key(struct loader *ld, const char *text, size_t len, struct reg_entry *e, const char *path)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	const char *why = "no PUBLIC KEY or CERTIFICATE in the file";
	int rc = -EINVAL;

	if (!bio)
		return -ENOMEM;
	if (strstr(text, "-----BEGIN CERTIFICATE-----")) {
		why = "cannot parse the certificate";
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (x && ld->store && check_chain(ld, x, path))
			goto out_reported;
		pk = x ? X509_get_pubkey(x) : NULL;
	} else if (strstr(text, "-----BEGIN PUBLIC KEY-----")) {
		why = "a bare public key is refused: a ca-file is set";
		if (ld->store)
			goto out;
		why = "cannot parse the public key";
		pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	if (pk)
		rc = key_from_pkey(ld, pk, e, &why);
out:
	if (rc)
		report(ld, ld->file, ld->line, "%s: %s", path, why);
out_reported:
	EVP_PKEY_free(pk);
	X509_free(x);
	BIO_free(bio);
	return rc;
}

static int load_pem(struct loader *ld, const struct reg_line *l, struct reg_entry *e)
{
	char path[PATH_MAX];
	char why[64];
	char *text;
	size_t len;
	int n, rc;

	if (l->path[0] == '/')
		n = snprintf(path, sizeof(path), "%.*s", (int)l->path_len, l->path);
	else
		n = snprintf(path, sizeof(path), "%s/%.*s", ld->dir, (int)l->path_len, l->path);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		report(ld, ld->file, ld->line, "key path too long");
		return -ENAMETOOLONG;
	}
	text = slurp(ld->tmp, path, PEM_MAX, &len, why, sizeof(why));
	if (!text) {
		report(ld, ld->file, ld->line, "%s: %s", path, why);
		return -EINVAL;
	}
	rc = pem_key(ld, text, len, e, path);
	talloc_free(text);
	return rc;
}

static int add_entry(struct loader *ld, const struct reg_entry *e)
{
	struct registry *r = ld->r;
	size_t i;

	if ((r->n + 1) * 2 > r->mask + 1 && grow_slots(r))
		return -ENOMEM;
	i = probe(r, e->device_id, e->key_id);
	if (r->slot[i]) {
		report(ld, ld->file, ld->line, "duplicate (device_id, key_id) %016llx %u, first on line %u",
		       (unsigned long long)e->device_id, e->key_id, ld->first_line[r->slot[i] - 1]);
		return -EEXIST;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap * 2;
		struct reg_entry *ne = talloc_realloc(r, r->e, struct reg_entry, cap);
		uint32_t *nl = ne ? talloc_realloc(ld->tmp, ld->first_line, uint32_t, cap) : NULL;

		if (ne)
			r->e = ne;
		if (!nl)
			return -ENOMEM;
		ld->first_line = nl;
		r->cap = cap;
	}
	if (r->n >= UINT32_MAX - 1)
		return -ERANGE;
	r->e[r->n] = *e;
	ld->first_line[r->n] = ld->line;
	r->slot[i] = (uint32_t)++r->n;
	return 0;
}

static int handle_line(struct loader *ld, const char *s, size_t n)
{
	struct reg_line l;
	const char *why;
	int rc;

	ld->line++;
	if (n > REG_LINE_MAX) {
		report(ld, ld->file, ld->line, "line longer than %u bytes", REG_LINE_MAX);
		return 0;
	}
	rc = registry_parse_line(s, n, &l, &why);
	if (rc <= 0) {
		if (rc < 0)
			report(ld, ld->file, ld->line, "%s", why);
		return 0;
	}
	if (l.path) {
		if (load_pem(ld, &l, &l.e))
			return 0;
	} else if (ld->store) {
		report(ld, ld->file, ld->line, "a bare hex: key is refused: a ca-file is set");
		return 0;
	} else if (l.e.alg == TXL_ALG_ECDSA_P256 && !p256_point(ld, l.e.key, 65, l.e.key)) {
		report(ld, ld->file, ld->line, "hex: key is not a point on the P-256 curve");
		return 0;
	}
	rc = add_entry(ld, &l.e);
	return rc == -EEXIST ? 0 : rc;
}

/* One segment ending at a line end (or at the end of the file). */
static int segment(struct loader *ld, const char *s, size_t n)
{
	if (ld->skipping) {
		ld->skipping = false;	/* the tail of a line already reported */
		return 0;
	}
	return handle_line(ld, s, n);
}

static int read_lines(struct loader *ld, int fd)
{
	char *buf = talloc_size(ld->tmp, READ_BLOCK);
	size_t have = 0, start;
	ssize_t got;
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	do {
		do
			got = read(fd, buf + have, READ_BLOCK - have);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return -errno;
		have += (size_t)got;
		for (start = 0; rc == 0;) {
			char *nl = memchr(buf + start, '\n', have - start);

			if (!nl)
				break;
			rc = segment(ld, buf + start, (size_t)(nl - buf) - start);
			start = (size_t)(nl - buf) + 1;
		}
		if (rc)
			return rc;
		if (got == 0 && start < have)
			return segment(ld, buf + start, have - start);
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have > REG_LINE_MAX) {
			if (!ld->skipping)
				handle_line(ld, buf, have);	/* reports it too long */
			ld->skipping = true;
			have = 0;
		}
	} while (got > 0);
	return 0;
}

/* The certificates (and CRLs) of the PEM file ca_file into ld->store, as
 * X509_STORE_load_file() does, but read as a regular file like the
 * registry (X509_STORE_load_file() would wait on a FIFO for ever). */
static int load_ca(struct loader *ld, const char *ca_file)
{
	STACK_OF(X509_INFO) *infos = NULL;
	char why[64] = "no certificate in it";
	size_t len = 0, n = 0;
	char *text = slurp(ld->tmp, ca_file, CA_MAX, &len, why, sizeof(why));
	BIO *bio = text ? BIO_new_mem_buf(text, (int)len) : NULL;

	if (bio)
		infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);

		if (xi->x509 && X509_STORE_add_cert(ld->store, xi->x509) == 1)
			n++;
		if (xi->crl)
			X509_STORE_add_crl(ld->store, xi->crl);
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	talloc_free(text);
	ERR_clear_error();
	if (n)
		return 0;
	report(ld, ca_file, 0, "cannot load the CA certificates: %s", why);
	return -EINVAL;
}

static int loader_init(struct loader *ld, const char *path, const char *ca_file)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(ld->dir, sizeof(ld->dir), ".");
	else if (slash == path)
		snprintf(ld->dir, sizeof(ld->dir), "/");
	else if ((size_t)(slash - path) < sizeof(ld->dir))
		snprintf(ld->dir, sizeof(ld->dir), "%.*s", (int)(slash - path), path);
	else
		return -ENAMETOOLONG;

	ld->r->cap = 1024;
	ld->r->mask = 2047;
	ld->r->e = talloc_array(ld->r, struct reg_entry, ld->r->cap);
	ld->r->slot = talloc_zero_array(ld->r, uint32_t, ld->r->mask + 1);
	ld->first_line = talloc_array(ld->tmp, uint32_t, ld->r->cap);
	ld->p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	ld->pt = ld->p256 ? EC_POINT_new(ld->p256) : NULL;
	ld->bn = BN_CTX_new();
	if (!ld->r->e || !ld->r->slot || !ld->first_line || !ld->pt || !ld->bn)
		return -ENOMEM;
	if (!ca_file)
		return 0;
	ld->store = X509_STORE_new();
	ld->sctx = X509_STORE_CTX_new();
	if (!ld->store || !ld->sctx)
		return -ENOMEM;
	return load_ca(ld, ca_file);
}

static void loader_fini(struct loader *ld)
{
	X509_STORE_CTX_free(ld->sctx);
	X509_STORE_free(ld->store);
	EC_POINT_free(ld->pt);
	EC_GROUP_free(ld->p256);
	BN_CTX_free(ld->bn);
	talloc_free(ld->tmp);
}

int registry_load(void *ctx, const char *path, const char *ca_file, struct registry **out,
		  struct reg_report *rep)
{
	struct reg_report local;
	struct loader ld = { .ctx = ctx, .file = path };
	int fd = -1, rc;

	*out = NULL;
	ld.rep = rep ? rep : &local;
	memset(ld.rep, 0, sizeof(*ld.rep));
	ld.tmp = talloc_new(ctx);
	ld.r = talloc_zero(ctx, struct registry);
	rc = ld.tmp && ld.r ? loader_init(&ld, path, ca_file) : -ENOMEM;
	if (rc == 0) {
		char why[64];

		fd = regfile_open(path, why, sizeof(why));
		if (fd < 0) {
			rc = fd;
			report(&ld, path, 0, "%s", why);
		}
	}
	if (rc == 0) {
		rc = read_lines(&ld, fd);
		if (rc && rc != -ENOMEM)
			report(&ld, path, 0, "cannot read: %s", strerror(-rc));
	}
	if (fd >= 0)
		close(fd);
	if (rc == -ENOMEM && ld.rep->n_errors == 0)
		report(&ld, path, 0, "out of memory");
	ld.rep->n_lines = ld.line;
	loader_fini(&ld);
	if (rc) {
		talloc_free(ld.r);
	} else {
		/* give back the unused tail of the entry array */
		if (ld.r->n && ld.r->n < ld.r->cap) {
			struct reg_entry *e = talloc_realloc(ld.r, ld.r->e, struct reg_entry, ld.r->n);

			if (e) {
				ld.r->e = e;
				ld.r->cap = ld.r->n;
			}
		}
		ld.rep->n_loaded = (unsigned)ld.r->n;
		*out = ld.r;
		rc = ld.rep->n_errors ? -EINVAL : 0;
	}
	if (!rep)
		reg_report_clear(&local);
	return rc;
}
