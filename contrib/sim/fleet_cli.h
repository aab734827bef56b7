/*
 * fleet_cli.h — the fleet part of a simulator's command line, the same
 * for every bearer (txgw-mail-sim now; txgw-smsc-sim spells the same
 * options): --devices, --alg, --registry, --keys-dir, --load-registry,
 * --records-per-upload, --seed and --anomaly KIND:RATE; making or loading
 * the fleet from them (fleet.h); and the two choices every simulator makes
 * per upload: which anomaly, and which idle device.
 *
 * A bad value is a usage error: a message on stderr and exit(2), as the
 * rest of a command line does.
 */
#pragma once
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "contrib/sim/fleet.h"

struct fleet_cli {
	unsigned devices, records;
	enum fleet_alg_mix alg;
	const char *registry, *keys_dir, *load_registry;
	uint64_t seed;
	double anomaly[FA_COUNT];	/* rate of each, 0..1 */
};

/* getopt_long values of the fleet options: above any a caller uses. */
enum {
	FLEET_CLI_DEVICES = 0x4000, FLEET_CLI_ALG, FLEET_CLI_REGISTRY, FLEET_CLI_KEYS,
	FLEET_CLI_LOAD, FLEET_CLI_RECORDS, FLEET_CLI_SEED, FLEET_CLI_ANOMALY,
};

/* The fleet options' struct option rows, for a caller's table. */
#define FLEET_CLI_OPTIONS \
	{ "devices", 1, NULL, FLEET_CLI_DEVICES }, { "alg", 1, NULL, FLEET_CLI_ALG }, \
	{ "registry", 1, NULL, FLEET_CLI_REGISTRY }, { "keys-dir", 1, NULL, FLEET_CLI_KEYS }, \
	{ "load-registry", 1, NULL, FLEET_CLI_LOAD }, \
	{ "records-per-upload", 1, NULL, FLEET_CLI_RECORDS }, { "seed", 1, NULL, FLEET_CLI_SEED }, \
	{ "anomaly", 1, NULL, FLEET_CLI_ANOMALY }

/* Their --help lines (the anomaly list is the caller's: it depends on the bearer). */
#define FLEET_CLI_HELP \
"Fleet:\n" \
"  --devices N         generate N devices with fresh keys (10)\n" \
"  --alg ecdsa|ed25519|mix   their algorithms (ed25519)\n" \
"  --registry FILE     write the gateway's registry there (keys as hex:)\n" \
"  --keys-dir DIR      write (with --devices) or read (with --load-registry)\n" \
"                      private keys as DIR/<device_id>-<key_id>.key (PEM)\n" \
"  --load-registry FILE   use the devices of an existing registry instead,\n" \
"                      with their private keys from --keys-dir (for example\n" \
"                      tests/vectors/devices.txt and tests/vectors/keys)\n" \
"  --records-per-upload K   1..K records per upload (3), K <= 32\n" \
"  --seed N            random seed for device ids and traffic (time)\n"

/* Defaults: 10 Ed25519 devices, 3 records at most, seed from the clock. */
void fleet_cli_default(struct fleet_cli *c);

/* Handle getopt_long's opt with arg when it is a fleet option: 1; else 0. */
int fleet_cli_option(struct fleet_cli *c, const char *prog, int opt, const char *arg);

/* After the options: --load-registry needs --keys-dir (else exit 2). */
void fleet_cli_check(const struct fleet_cli *c, const char *prog);

/* After getopt_long(): no argument may be left (else exit 2), then
 * fleet_cli_check(). */
void fleet_cli_end(const struct fleet_cli *c, const char *prog, int argc, char **argv);

/*
 * Load the registry, or generate the devices (plus revoked ones when the
 * revoked anomaly is asked for) and write the registry and keys when
 * asked; three unregistered devices when unknown_device is asked for.
 * Under ctx.  Returns 0, or a negative errno after a message on stderr.
 */
int fleet_cli_setup(void *ctx, const struct fleet_cli *c, const char *prog, struct fleet **out);

/* An active device that is not busy, or -1: a few random draws, then a
 * walk on from *next (the caller's, starting at 0). */
int fleet_cli_idle_device(struct fleet *fl, unsigned *next);

/* A whole number in [lo, hi], a real number in [lo, hi]: else a message
 * naming --opt, and exit 2. */
uint64_t fleet_cli_num(const char *prog, const char *opt, const char *s, uint64_t lo, uint64_t hi);
double fleet_cli_real(const char *prog, const char *opt, const char *s, double lo, double hi);
