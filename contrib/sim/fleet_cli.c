/*
 * fleet_cli.c — the fleet part of a simulator's command line; see
 * fleet_cli.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "contrib/sim/fleet_cli.h"
#include "gateway/txlog/frame.h"

#define PHANTOMS	3	/* unregistered devices for unknown_device */

static void die(const char *prog, const char *opt, const char *what, const char *arg)
{
	fprintf(stderr, "%s: --%s: %s: %s\n", prog, opt, what, arg);
	exit(2);
}

uint64_t fleet_cli_num(const char *prog, const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s || s[0] == '-' || v < lo || v > hi)
		die(prog, opt, "not a whole number in range", s);
	return v;
}

double fleet_cli_real(const char *prog, const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || !*s || !(v >= lo && v <= hi))
		die(prog, opt, "not a number in range", s);
	return v;
}

void fleet_cli_default(struct fleet_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->devices = 10;
	c->records = 3;
	c->alg = FLEET_ED25519;
	c->seed = (uint64_t)time(NULL);
}

static void parse_anomaly(struct fleet_cli *c, const char *prog, const char *arg)
{
	const char *colon = strchr(arg, ':');
	enum fleet_anomaly a = FA_COUNT;
	char kind[32];

	if (colon && (size_t)(colon - arg) < sizeof(kind)) {
		memcpy(kind, arg, (size_t)(colon - arg));
		kind[colon - arg] = 0;
		a = fleet_anomaly_parse(kind);
	}
	if (a == FA_COUNT || a == FA_NONE)
		die(prog, "anomaly", "want KIND:RATE", arg);
	c->anomaly[a] = fleet_cli_real(prog, "anomaly", colon + 1, 0, 1);
}

int fleet_cli_option(struct fleet_cli *c, const char *prog, int opt, const char *arg)
{
	switch (opt) {
	case FLEET_CLI_DEVICES:
		c->devices = (unsigned)fleet_cli_num(prog, "devices", arg, 1, 10000000);
		return 1;
	case FLEET_CLI_ALG:
		if (!strcmp(arg, "ed25519"))
			c->alg = FLEET_ED25519;
		else if (!strcmp(arg, "ecdsa"))
			c->alg = FLEET_ECDSA;
		else if (!strcmp(arg, "mix"))
			c->alg = FLEET_MIX;
		else
			die(prog, "alg", "not ecdsa, ed25519 or mix", arg);
		return 1;
	case FLEET_CLI_REGISTRY: c->registry = arg; return 1;
	case FLEET_CLI_KEYS: c->keys_dir = arg; return 1;
	case FLEET_CLI_LOAD: c->load_registry = arg; return 1;
	case FLEET_CLI_RECORDS:
		c->records = (unsigned)fleet_cli_num(prog, "records-per-upload", arg, 1, TXL_MAX_RECORDS);
		return 1;
	case FLEET_CLI_SEED: c->seed = fleet_cli_num(prog, "seed", arg, 0, UINT64_MAX); return 1;
	case FLEET_CLI_ANOMALY: parse_anomaly(c, prog, arg); return 1;
	default: return 0;
	}
}

void fleet_cli_end(const struct fleet_cli *c, const char *prog, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument %s\n", prog, argv[optind]);
		exit(2);
	}
	fleet_cli_check(c, prog);
}

void fleet_cli_check(const struct fleet_cli *c, const char *prog)
{
	if (c->load_registry && !c->keys_dir) {
		fprintf(stderr, "%s: --load-registry needs --keys-dir\n", prog);
		exit(2);
	}
}

static int generate(void *ctx, const struct fleet_cli *c, const char *prog, unsigned phantoms,
		    struct fleet **out)
{
	/* revoked devices only when asked for: one in fifty, at least one */
	unsigned revoked = c->anomaly[FA_REVOKED] > 0 ? c->devices / 50 + 1 : 0;
	int rc = fleet_generate(ctx, c->devices, revoked, phantoms, c->alg, c->seed, out);

	if (rc < 0) {
		fprintf(stderr, "%s: cannot make the fleet: %s\n", prog, strerror(-rc));
		return rc;
	}
	if (c->keys_dir && mkdir(c->keys_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s: %s\n", prog, c->keys_dir, strerror(errno));
		return -EIO;
	}
	if (c->registry && fleet_write_registry(*out, c->registry, c->keys_dir) < 0) {
		fprintf(stderr, "%s: cannot write %s\n", prog, c->registry);
		return -EIO;
	}
	return 0;
}

int fleet_cli_setup(void *ctx, const struct fleet_cli *c, const char *prog, struct fleet **out)
{
	unsigned phantoms = c->anomaly[FA_UNKNOWN_DEVICE] > 0 ? PHANTOMS : 0;
	char err[512];
	int rc;

	if (c->load_registry) {
		rc = fleet_load(ctx, c->load_registry, c->keys_dir, phantoms, c->seed, out, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "%s: %s\n", prog, err);
	} else {
		rc = generate(ctx, c, prog, phantoms, out);
	}
	if (rc < 0)
		return rc;
	if (c->anomaly[FA_REVOKED] > 0 && !(*out)->n_revoked)
		fprintf(stderr, "%s: the registry has no revoked device: --anomaly revoked skipped\n", prog);
	(*out)->max_records = c->records;
	return 0;
}

int fleet_cli_idle_device(struct fleet *fl, unsigned *next)
{
	unsigned n = fl->n_active;

	for (unsigned tries = 0; tries < 8; tries++) {
		unsigned d = fleet_rand(fl, n);
		if (!fl->dev[d].busy)
			return (int)d;
	}
	for (unsigned k = 0; k < n; k++) {	/* most are busy: walk on from the last one */
		unsigned d = (*next + k) % n;
		if (!fl->dev[d].busy) {
			*next = d + 1;
			return (int)d;
		}
	}
	return -1;
}
