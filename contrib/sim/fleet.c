/*
 * fleet.c — simulated handsets: keys, registry, transactions, frames and
 * anomalies with the outcome each must produce; see fleet.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <talloc.h>

#include "contrib/sim/fleet.h"
#include "gateway/txlog/registry.h"
#include "gateway/txlog/sign.h"

static const char *const anomaly_names[FA_COUNT] = {
	[FA_NONE] = "none",
	[FA_BAD_SIGNATURE] = "bad_signature",
	[FA_UNKNOWN_DEVICE] = "unknown_device",
	[FA_REPLAY] = "replay",
	[FA_COUNTER_GAP] = "counter_gap",
	[FA_BALANCE_MISMATCH] = "balance_mismatch",
	[FA_MSISDN] = "msisdn",
	[FA_REVOKED] = "revoked",
	[FA_TEXT] = "text",
};

const char *fleet_anomaly_name(enum fleet_anomaly a)
{
	return (unsigned)a < FA_COUNT ? anomaly_names[a] : "invalid";
}

enum fleet_anomaly fleet_anomaly_parse(const char *name)
{
	for (unsigned i = 0; i < FA_COUNT; i++)
		if (!strcmp(name, anomaly_names[i]))
			return (enum fleet_anomaly)i;
	return FA_COUNT;
}

/* splitmix64: small, seedable, good enough for traffic. */
static uint64_t fleet_next64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint32_t fleet_rand(struct fleet *fl, uint32_t n)
{
	return n ? (uint32_t)(fleet_next64(&fl->rng) % n) : 0;
}

enum fleet_anomaly fleet_pick_anomaly(struct fleet *fl, const double rate[FA_COUNT])
{
	double u = (double)(fleet_next64(&fl->pick_rng) % 1000000) / 1e6, acc = 0;

	for (unsigned a = FA_NONE + 1; a < FA_COUNT; a++) {
		acc += rate[a];
		if (u < acc)
			return (enum fleet_anomaly)a;
	}
	for (unsigned a = FA_NONE + 1; a < FA_COUNT; a++)
		if (fl->owed[a]) {
			fl->owed[a]--;
			return (enum fleet_anomaly)a;
		}
	return FA_NONE;
}

void fleet_owe(struct fleet *fl, enum fleet_anomaly a)
{
	if (a > FA_NONE && a < FA_COUNT) {
		fl->owed[a]++;
		fl->n_owed++;
	}
}

static struct fleet *fleet_alloc(void *ctx, unsigned n, uint64_t seed)
{
	struct fleet *fl = talloc_zero(ctx, struct fleet);
	if (!fl)
		return NULL;
	fl->dev = talloc_zero_array(fl, struct fleet_dev, n ? n : 1);
	if (!fl->dev) {
		talloc_free(fl);
		return NULL;
	}
	fl->rng = seed;
	fl->pick_rng = seed ^ 0x616e6f6d616c79ULL;	/* "anomaly" */
	fl->max_records = 3;
	return fl;
}

void fleet_free(struct fleet *fl)
{
	talloc_free(fl);
}

/* A fresh device: random id, a new key, its MSISDN from msisdn_no. */
static int dev_new(struct fleet *fl, struct fleet_dev *d, enum txl_alg alg, uint32_t msisdn_no)
{
	do
		d->id = fleet_next64(&fl->rng);
	while (!d->id);
	d->key_id = 1;
	d->alg = (uint8_t)alg;
	d->balance = FLEET_START_BALANCE;
	d->ref = (uint16_t)fleet_next64(&fl->rng);
	snprintf(d->msisdn, sizeof(d->msisdn), "8869%08" PRIu32, msisdn_no % 100000000u);
	int rc = txl_signer_generate(fl, alg, &d->signer);
	return rc == -ENOMEM ? -ENOMEM : rc < 0 ? -EIO : 0;
}

int fleet_generate(void *ctx, unsigned n_active, unsigned n_revoked, unsigned n_phantom,
		   enum fleet_alg_mix mix, uint64_t seed, struct fleet **out)
{
	unsigned n = n_active + n_revoked + n_phantom;
	struct fleet *fl;
	uint32_t base;

	*out = NULL;
	if (!n_active || n > 100000000u || n < n_active)
		return -EINVAL;
	fl = fleet_alloc(ctx, n, seed);
	if (!fl)
		return -ENOMEM;
	fl->n_active = n_active;
	fl->n_revoked = n_revoked;
	fl->n_phantom = n_phantom;
	base = (uint32_t)fleet_next64(&fl->rng);
	for (unsigned i = 0; i < n; i++) {
		enum txl_alg alg = mix == FLEET_ECDSA || (mix == FLEET_MIX && i % 2) ?
				   TXL_ALG_ECDSA_P256 : TXL_ALG_ED25519;
		int rc = dev_new(fl, &fl->dev[i], alg, base + i);
		if (rc < 0) {
			talloc_free(fl);
			return rc;
		}
		fl->dev[i].revoked = i >= n_active && i < n_active + n_revoked;
		fl->dev[i].phantom = i >= n_active + n_revoked;
	}
	*out = fl;
	return 0;
}

static void key_path(char *out, size_t cap, const char *dir, const struct fleet_dev *d)
{
	snprintf(out, cap, "%s/%016" PRIx64 "-%u.key", dir, d->id, d->key_id);
}

int fleet_write_registry(const struct fleet *fl, const char *path, const char *keys_dir)
{
	char hex[160], kp[4096];
	FILE *fp = fopen(path, "w");
	int rc = 0;

	if (!fp)
		return -EIO;
	fprintf(fp, "# written by txgw-smsc-sim: %u active, %u revoked devices\n"
		"# device_id       key_id  alg         msisdn        status   key\n",
		fl->n_active, fl->n_revoked);
	for (unsigned i = 0; i < fl->n_active + fl->n_revoked && rc == 0; i++) {
		const struct fleet_dev *d = &fl->dev[i];
		if (txl_signer_public_hex(d->signer, hex, sizeof(hex)) < 0) {
			rc = -EIO;
			break;
		}
		fprintf(fp, "%016" PRIx64 "  %u  %-10s  %-12s  %-7s  %s\n", d->id, d->key_id,
			txl_alg_name(d->alg), d->msisdn[0] ? d->msisdn : "-",
			d->revoked ? "revoked" : "active", hex);
		if (keys_dir) {
			key_path(kp, sizeof(kp), keys_dir, d);
			rc = txl_signer_write_pem(d->signer, kp, NULL) < 0 ? -EIO : 0;
		}
	}
	if (ferror(fp))
		rc = -EIO;
	if (fclose(fp) != 0)
		rc = -EIO;
	return rc;
}

/* ---- loading a registry with private keys ---- */

static int line_cmp(const void *a, const void *b)
{
	const struct reg_entry *x = a, *y = b;
	if (x->device_id != y->device_id)
		return x->device_id < y->device_id ? -1 : 1;
	return (int)x->key_id - (int)y->key_id;
}

/* Every (device_id, key_id) line of the file, sorted. */
static int read_lines(void *ctx, const char *path, struct reg_entry **out, size_t *n,
		      char *err, size_t errcap)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, used = 0, alloc = 64;
	ssize_t len;
	struct reg_entry *v = talloc_array(ctx, struct reg_entry, alloc);

	if (!fp || !v) {
		snprintf(err, errcap, "%s: cannot read", path);
		if (fp)
			fclose(fp);
		return fp ? -ENOMEM : -ENOENT;
	}
	while ((len = getline(&line, &cap, fp)) >= 0) {
		struct reg_line rl;
		const char *why;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (registry_parse_line(line, (size_t)len, &rl, &why) != 1)
			continue;	/* registry_load() reports bad lines */
		if (used == alloc) {
			alloc *= 2;
			v = talloc_realloc(ctx, v, struct reg_entry, alloc);
			if (!v)
				break;
		}
		v[used++] = rl.e;
	}
	free(line);
	fclose(fp);
	if (!v)
		return -ENOMEM;
	qsort(v, used, sizeof(*v), line_cmp);
	*out = v;
	*n = used;
	return 0;
}

/* Load d's private key from keys_dir and check it against the registry. */
static int load_key(struct fleet *fl, struct fleet_dev *d, const struct registry *reg,
		    const char *keys_dir, char *err, size_t errcap)
{
	const struct reg_entry *e = registry_lookup(reg, d->id, d->key_id);
	uint8_t raw[REG_KEY_MAX];
	char kp[4096];
	int n;

	key_path(kp, sizeof(kp), keys_dir, d);
	if (txl_signer_load(fl, kp, &d->signer) < 0) {
		snprintf(err, errcap, "%s: no usable private key", kp);
		return -ENOENT;
	}
	n = txl_signer_public_raw(d->signer, raw, sizeof(raw));
	if (!e || n != e->key_len || memcmp(raw, e->key, (size_t)n) ||
	    txl_signer_alg(d->signer) != e->alg) {
		snprintf(err, errcap, "%s: not the key the registry lists", kp);
		return -EINVAL;
	}
	return 0;
}

/* Take the sorted lines into fl: one device per device_id (its highest
 * key_id), active ones first, then the revoked. */
static unsigned take_devices(struct fleet *fl, const struct reg_entry *v, size_t n, bool revoked)
{
	unsigned k = fl->n_active + fl->n_revoked;

	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && v[i + 1].device_id == v[i].device_id)
			continue;	/* a higher key_id follows */
		if ((bool)v[i].revoked != revoked)
			continue;
		struct fleet_dev *d = &fl->dev[k++];
		d->id = v[i].device_id;
		d->key_id = v[i].key_id;
		d->alg = v[i].alg;
		d->revoked = revoked;
		d->balance = FLEET_START_BALANCE;
		d->ref = (uint16_t)fleet_next64(&fl->rng);
		memcpy(d->msisdn, v[i].msisdn, sizeof(d->msisdn));
	}
	return k - fl->n_active - fl->n_revoked;
}

/* Whether a device before d has its id or MSISDN. */
static bool listed(const struct fleet *fl, const struct fleet_dev *d)
{
	for (const struct fleet_dev *o = fl->dev; o < d; o++)
		if (o->id == d->id || !strcmp(o->msisdn, d->msisdn))
			return true;
	return false;
}

/*
 * A device the registry does not list.  Its id and MSISDN come from the
 * fleet's random stream, which a registry made with the same seed drew
 * its own from: one it lists is drawn again, or the "unknown" device
 * would be a registered one (and its frames bad_signature).
 */
static int phantom_new(struct fleet *fl, struct fleet_dev *d)
{
	int rc;

	for (unsigned tries = 0; tries < 100; tries++) {
		rc = dev_new(fl, d, TXL_ALG_ED25519, (uint32_t)fleet_next64(&fl->rng));
		if (rc < 0 || !listed(fl, d))
			break;
		txl_signer_free(d->signer);
		d->signer = NULL;
		rc = -EEXIST;
	}
	d->phantom = true;
	return rc;
}

int fleet_load(void *ctx, const char *registry, const char *keys_dir, unsigned n_phantom,
	       uint64_t seed, struct fleet **out, char *err, size_t errcap)
{
	struct reg_report rep = { 0 };
	struct registry *reg = NULL;
	struct reg_entry *v = NULL;
	struct fleet *fl = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	rc = registry_load(ctx, registry, NULL, &reg, &rep);
	if (rc < 0) {
		snprintf(err, errcap, "%s", rep.n_msgs ? rep.msgs[0] : "registry does not load");
		reg_report_clear(&rep);
		if (reg)
			registry_free(reg);
		return rc == -EINVAL ? -EINVAL : -ENOENT;
	}
	rc = read_lines(ctx, registry, &v, &n, err, errcap);
	if (rc == 0)
		fl = fleet_alloc(ctx, (unsigned)n + n_phantom, seed);
	if (rc == 0 && !fl)
		rc = -ENOMEM;
	if (rc == 0) {
		fl->n_active = take_devices(fl, v, n, false);
		fl->n_revoked = take_devices(fl, v, n, true);
		if (!fl->n_active) {
			snprintf(err, errcap, "%s: no active device", registry);
			rc = -EINVAL;
		}
	}
	for (unsigned i = 0; rc == 0 && i < fl->n_active + fl->n_revoked; i++)
		rc = load_key(fl, &fl->dev[i], reg, keys_dir, err, errcap);
	for (unsigned i = 0; rc == 0 && i < n_phantom; i++) {
		struct fleet_dev *d = &fl->dev[fl->n_active + fl->n_revoked + i];
		rc = phantom_new(fl, d);
		fl->n_phantom++;
	}
	talloc_free(v);
	if (reg)
		registry_free(reg);
	reg_report_clear(&rep);
	if (rc < 0) {
		talloc_free(fl);
		return rc;
	}
	*out = fl;
	return 0;
}
