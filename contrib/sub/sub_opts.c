/*
 * sub_opts.c — txgw-sub's command line: --help (the manual page), the
 * options and their values.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrib/sub/sub.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

static void usage_rest(FILE *out);

/* The manual page: NAME to OPTIONS here, the rest in usage_rest(). */
static void usage(FILE *out)
{
	fprintf(out,
"NAME\n"
"    txgw-sub - follow the txgw bus: records, alerts and rejects, gaps filled\n"
"\n"
"SYNOPSIS\n"
"    txgw-sub [--pub EP] [--replay EP] [--from SEQ|live] [--until-seq N]\n"
"             [--count N] [--timeout S] [--json | --table] [--topics LIST]\n"
"             [--state FILE] [--curve-server-key KEY|FILE --curve-key FILE]\n"
"    txgw-sub --help | --version\n"
"\n"
"DESCRIPTION\n"
"    txgw-sub subscribes to the publish socket of a txgw gateway (topics\n"
"    \"txlog.\") and keeps a DEALER on its replay socket.  Every message\n"
"    carries the gateway's journal sequence \"seq\", which grows by one per\n"
"    message; txgw-sub prints each seq exactly once, in seq order.  What it\n"
"    missed (it started late, a live message was lost, the stream went\n"
"    quiet) it asks for with [\"REPLAY\", from, max].  Live messages that\n"
"    arrive ahead of a gap wait until the gap is filled (%u at most; more\n"
"    are fetched by replay later).  Seqs the gateway no longer keeps, or that\n"
"    replay could not supply, are reported on stderr and skipped.\n"
"\n"
"OPTIONS\n"
"    --pub EP        the publish endpoint [" BC_DEF_PUB "]\n"
"    --replay EP     the replay endpoint [" BC_DEF_REPLAY "]\n"
"    --from SEQ      the first seq to print [1, or what --state remembers];\n"
"                    \"live\" starts at the first live message, with no backfill\n"
"    --until-seq N   stop after seq N (exit 0)\n"
"    --count N       stop after printing N messages (exit 0)\n"
"    --timeout S     give up after S seconds (exit 1); may be fractional\n"
"    --json          one line per message: {\"topic\":T,\"payload\":P}, P as\n"
"                    received; the summary goes to stderr\n"
"    --table         aligned columns (the default when stdout is a terminal):\n"
"                    seq, time (record time, else reception), topic, device,\n"
"                    counter/kind/reason, type, amount and currency (minor\n"
"                    units), balance, flags (\"late\")\n"
"    --topics LIST   comma-separated topics to print: record,alert,reject or\n"
"                    full names (txlog.record); other messages are passed\n"
"                    over but still ordered and counted for --until-seq\n"
"    --state FILE    keep the next seq to ask for in FILE (written atomically\n"
"                    while running and at exit); --from overrides it\n"
"    --curve-server-key KEY|FILE\n"
"                    speak CURVE (RFC 26) to a gateway configured with\n"
"                    curve-secret-key: its public key, 40 characters of Z85,\n"
"                    or a key file holding it (txgw-keygen's PUBLIC-FILE)\n"
"    --curve-key FILE\n"
"                    with --curve-server-key: our secret key file (txgw-keygen's\n"
"                    SECRET-FILE, readable by its owner only); our public key\n"
"                    is derived from it and must be in the gateway's\n"
"                    curve-clients file.  A refused handshake is reported on\n"
"                    stderr (at most every 10 s) and tried again\n"
"    -h, --help      this text\n"
"    -v, --version   the version\n"
"\n", RING_SLOTS);
	usage_rest(out);
}

/* The manual page from OUTPUT on. */
static void usage_rest(FILE *out)
{
	fputs(
"OUTPUT\n"
"    At exit, a summary line: messages by topic, alerts by kind, rejects by\n"
"    reason, how many came by replay, and the gaps that could not be filled.\n"
"    Malformed messages (not [topic, JSON object with an integer seq]) are\n"
"    counted, reported on stderr and not printed.\n"
"\n"
"EXIT STATUS\n"
"    0  --until-seq or --count reached, or stopped by SIGINT/SIGTERM\n"
"    1  --timeout reached first, or a failure (socket, state file, a replay\n"
"       socket that refuses our requests)\n"
"    2  bad usage, or a key that cannot be read (a secret key file that group\n"
"       or others may read is refused)\n"
"\n"
"KEY FILES\n"
"    One 40-character Z85 key on a line of its own; lines starting with\n"
"    '#', and blank lines, are comments (doc/bus.md).  txgw-keygen makes\n"
"    them.\n"
"\n"
"EXAMPLES\n"
"    txgw-sub --state /var/lib/txgw-sub/next\n"
"    txgw-sub --json --from 1 --until-seq 5 --timeout 20 > first5.jsonl\n"
"    txgw-sub --topics alert,reject --from live\n"
"    txgw-sub --pub tcp://gw1.example:5560 --replay tcp://gw1.example:5561 \\\n"
"        --curve-server-key /etc/txgw-sub/gw1.pub --curve-key ~/.txgw/sub.key\n", out);
}

static int parse_topics(struct opts *o, const char *list)
{
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool full = memchr(p, '.', n) != NULL;
		size_t len = n + (full ? 0 : strlen(TOPIC_PREFIX));
		if (!n || len > TOPIC_MAX || o->n_topics == TOPICS_MAX)
			return -EINVAL;
		snprintf(o->topics[o->n_topics++], TOPIC_MAX + 1, "%s%.*s", full ? "" : TOPIC_PREFIX,
			 (int)n, p);
		p += n;
		if (*p == ',' && !*++p)
			return -EINVAL;
	}
	return o->n_topics ? 0 : -EINVAL;
}

static int parse_timeout(const char *s, int64_t *ms)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 1e9)
		return -EINVAL;
	*ms = (int64_t)(v * 1000 + 0.5);
	return 0;
}

static int opt_value(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case 'p':
		o->pub = arg;
		return 0;
	case 'r':
		o->replay = arg;
		return 0;
	case 'f':
		o->from_set = true;
		o->from_live = !strcmp(arg, "live");
		return o->from_live ? 0 : bc_parse_u64(arg, 1, &o->from);
	case 'u':
		o->has_until = true;
		return bc_parse_u64(arg, 1, &o->until);
	case 'n':
		return bc_parse_u64(arg, 1, &o->count);
	case 't':
		return parse_timeout(arg, &o->timeout_ms);
	case 'T':
		return parse_topics(o, arg);
	case 's':
		o->state = arg;
		return 0;
	case 'S':
		o->server_key = arg;
		return 0;
	case 'K':
		o->key_file = arg;
		return 0;
	}
	return -EINVAL;
}

/* Returns 0, or exits: 0 after --help/--version, 2 on bad usage. */
int sub_parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pub", required_argument, NULL, 'p' },
		{ "replay", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'f' },
		{ "until-seq", required_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "table", no_argument, NULL, 'b' },
		{ "topics", required_argument, NULL, 'T' },
		{ "state", required_argument, NULL, 's' },
		{ "curve-server-key", required_argument, NULL, 'S' },
		{ "curve-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx = 0;

	o->pub = BC_DEF_PUB;
	o->replay = BC_DEF_REPLAY;
	o->from = 1;
	while ((c = getopt_long(argc, argv, "hv", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		} else if (c == 'v') {
			printf("txgw-sub %s\n", PACKAGE_VERSION);
			exit(0);
		} else if (c == 'j' || c == 'b') {
			o->mode = c == 'j' ? OUT_JSON : OUT_TABLE;
		} else if (c == '?' || opt_value(o, c, optarg) < 0) {
			if (c != '?')
				fprintf(stderr, "txgw-sub: bad value for --%s: '%s'\n", longopts[idx].name,
					optarg);
			fprintf(stderr, "Try 'txgw-sub --help'.\n");
			exit(2);
		}
	}
	if (optind != argc || (o->has_until && !o->from_live && o->until < o->from)) {
		fprintf(stderr, "txgw-sub: %s\nTry 'txgw-sub --help'.\n",
			optind != argc ? "unexpected argument" : "--until-seq is below --from");
		exit(2);
	}
	if (bc_curve_load("txgw-sub", o->server_key, o->key_file, &o->curve) < 0) {
		fprintf(stderr, "Try 'txgw-sub --help'.\n");
		exit(2);
	}
	return 0;
}
