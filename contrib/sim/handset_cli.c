/*
 * handset_cli.c — txgw-handset-sim's command line; see handset_cli.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrib/sim/handset_cli.h"

#define PROG "txgw-handset-sim"

static void usage(FILE *out)
{
	fprintf(out,
"Usage: " PROG " [OPTIONS]\n"
"\n"
"Handsets sending TXLOG uploads as SMS through a real Osmocom core.  The\n"
"simulator is a BSC on the A interface (3GPP TS 48.008), an SCCP user over\n"
"M3UA through osmo-stp to osmo-msc, with one GSM handset per device of the\n"
"fleet behind it.  osmo-msc's SMSC hands each SMS to txgw over SMPP; the\n"
"handset gets its RP-ACK once txgw has answered the deliver_sm.\n"
"\n"
"Each handset registers first (LOCATION UPDATING REQUEST in a connection\n"
"of its own), then sends its uploads one after the other, as a phone does:\n"
"CM SERVICE REQUEST, CM SERVICE ACCEPT, then each SMS of the upload in\n"
"CP-DATA (RP-DATA carrying the SMS-SUBMIT), the network's CP-ACK, its\n"
"RP-ACK or RP-ERROR in CP-DATA, our CP-ACK (the next SMS goes before it,\n"
"TS 24.011 §5.4); then CLEAR COMMAND, CLEAR COMPLETE, and the MSC's\n"
"release, which a handset waits for before its next connection.  An SMS\n"
"with RP-ERROR or no answer within --guard is sent again later (1, 2, 4 ...\n"
"seconds, --tries times in all).  A handset answers PAGING with a PAGING\n"
"RESPONSE and takes SMS-DELIVERs (CP-ACK, RP-ACK), decoding and joining\n"
"them with txgw's decoder (\"mt\" in the summary).\n"
"\n"
"The uploads are txgw-smsc-sim's: each device's next 1..K transactions\n"
"in a TXLOG v1 frame signed with its key, sent as 8-bit data with the\n"
"txlog port (16354) or armoured text in GSM 7-bit or UCS-2, concatenated\n"
"with 8- or 16-bit references when one SMS is too short.\n"
"\n"
"SIMs: a device bound to MSISDN M has a handset whose IMSI is 00101 (MCC\n"
"001, MNC 01) then M's last ten digits, zero-padded; the HLR must know it\n"
"with MSISDN M (tests/osmocom/core.sh provisions it), or with the one\n"
"--hlr-msisdn says.  Devices bound to no MSISDN get no handset.\n"
"\n"
"Core:\n"
"  --stp-ip A          osmo-stp's M3UA address (127.0.0.1)\n"
"  --stp-port P        its port (2905)\n"
"  --local-ip A        our address (the STP's)\n"
"  --pc PC             our point code (0.23.3)\n"
"  --msc-pc PC         osmo-msc's point code (0.23.1)\n"
"  --cell MCC-MNC-LAC-CI  the one cell every handset is in (001-01-23-1)\n"
"  --smsc NUMBER       the service centre address handsets put in RP-DA\n"
"                      (886900000000)\n"
"  --wait-core S       give up when the AS is not active, the RESET not\n"
"                      acknowledged or a handset not registered within S\n"
"                      seconds (30)\n"
"\n"
FLEET_CLI_HELP
"  --hlr-msisdn M=X    the HLR knows the SIM of the handset registered as M\n"
"                      under X: every frame it sends is accepted with an\n"
"                      msisdn_mismatch alert (repeatable, 64 at most)\n"
"  --subscribers FILE  write the SIMs, \"IMSI MSISDN\" per line as the HLR\n"
"                      must know them (for core.sh provision)\n"
"  --prepare           write the registry, keys and subscribers, then exit\n"
"                      (the run itself then loads them: --load-registry)\n"
"\n"
"Traffic:\n"
"  --count N           make N uploads in all, then wait for them\n"
"  --per-handset K     each active device makes K uploads\n"
"  --duration S        make uploads for S seconds (with neither count: until\n"
"                      a signal)\n"
"  --drain S           after the last upload, wait at most S seconds for\n"
"                      the answers (60)\n"
"  --linger S          then stay S seconds more, for mobile-terminated SMS (0)\n"
"  --rate N            uploads made per second at most, over all handsets;\n"
"                      0: as fast as they go (0)\n"
"  --until-mt N        stop lingering once N mobile-terminated messages came\n"
"  --mt-only           send nothing: register, then take mobile-terminated SMS\n"
"                      (with --linger)\n"
"  --concurrency N     radio connections open at once (16)\n"
"  --per-conn N        uploads a handset may send in one connection (1)\n"
"  --guard S           an answer must come within S seconds, else the\n"
"                      connection is given up and its SMS sent again (30)\n"
"  --retry-ms MS       the first wait before sending again (1000); it doubles\n"
"  --retry-max-ms MS   up to this (16000)\n"
"  --tries N           sends of one SMS at most; then it fails (8)\n"
"  --service NUMBER    TP-DA of the uploads (886900000001)\n"
"  --form binary|gsm7|ucs2|mix    how handsets send (mix)\n"
"  --concat-ref 8|16|mix          concatenation reference width (mix)\n"
"  --tpdu-out FILE     write every SMS-SUBMIT TPDU in hex, one a line, then\n"
"                      a space and the MSISDN of the SIM that sends it\n"
"\n"
"Anomalies (RATE = fraction of uploads, 0..1; repeatable):\n"
"  --anomaly KIND:RATE   KIND is bad_signature, unknown_device, replay,\n"
"                      counter_gap, balance_mismatch, revoked or text, as\n"
"                      txgw-smsc-sim makes them; a revoked or unregistered\n"
"                      device's frame is sent by that device's own handset\n"
"                      (its SIM must be in the HLR: --subscribers lists it).\n"
"                      msisdn is --hlr-msisdn's\n"
"\n"
"Output:\n"
"  --ready FILE        write FILE (\"registered N\") once every handset has\n"
"                      registered, when the traffic starts\n"
"  --summary FILE      the JSON summary of txgw-smsc-sim (sim_summary.h):\n"
"                      per device the records, alerts and rejects the\n"
"                      gateway must have published for the uploads whose\n"
"                      every SMS got an RP-ACK; then \"handsets\", \"bsc\"\n"
"                      (counters), \"paged_msisdn\" (the pagings of each\n"
"                      handset paged, by MSISDN) and \"mt\" (what the\n"
"                      handsets received)\n"
"  -q, --quiet         no progress line (once a second on stderr)\n"
"  -v, --verbose       libosmocore's notices on stderr; twice: debug\n"
"  -h, --help          this help\n"
"\n"
"Example (tests/integration/osmocom_mo.sh does this):\n"
"  " PROG " --devices 20 --registry reg.txt --keys-dir keys \\\n"
"      --subscribers subs.txt --prepare\n"
"  tests/osmocom/core.sh provision WORK subs.txt\n"
"  " PROG " --load-registry reg.txt --keys-dir keys --stp-ip IP \\\n"
"      --stp-port PORT --per-handset 10 --summary sent.json\n"
"\n"
"Without SCTP in the kernel, run it (like osmo-stp and osmo-msc) with\n"
"tests/osmocom/sctp_shim.so in LD_PRELOAD.\n"
"\n"
"Exit status: 0 when every upload was acknowledged, 1 when some were not,\n"
"2 on bad usage, set-up errors, or a core that never came up.\n");
}

enum {
	O_STP_IP = 256, O_STP_PORT, O_LOCAL_IP, O_PC, O_MSC_PC, O_CELL, O_SMSC, O_WAIT_CORE,
	O_HLR_MSISDN, O_SUBS, O_PREPARE, O_COUNT, O_PER_HANDSET, O_DURATION, O_DRAIN, O_LINGER,
	O_UNTIL_MT, O_CONC, O_PER_CONN, O_GUARD, O_RETRY, O_RETRY_MAX, O_TRIES, O_SERVICE, O_FORM,
	O_CREF, O_TPDU_OUT, O_SUMMARY, O_RATE, O_READY, O_MT_ONLY,
};

static const struct option long_opts[] = {
	{ "stp-ip", 1, NULL, O_STP_IP }, { "stp-port", 1, NULL, O_STP_PORT },
	{ "local-ip", 1, NULL, O_LOCAL_IP }, { "pc", 1, NULL, O_PC }, { "msc-pc", 1, NULL, O_MSC_PC },
	{ "cell", 1, NULL, O_CELL }, { "smsc", 1, NULL, O_SMSC }, { "wait-core", 1, NULL, O_WAIT_CORE },
	FLEET_CLI_OPTIONS,
	{ "hlr-msisdn", 1, NULL, O_HLR_MSISDN }, { "subscribers", 1, NULL, O_SUBS },
	{ "prepare", 0, NULL, O_PREPARE }, { "count", 1, NULL, O_COUNT },
	{ "per-handset", 1, NULL, O_PER_HANDSET }, { "duration", 1, NULL, O_DURATION },
	{ "drain", 1, NULL, O_DRAIN }, { "linger", 1, NULL, O_LINGER },
	{ "until-mt", 1, NULL, O_UNTIL_MT }, { "concurrency", 1, NULL, O_CONC },
	{ "per-conn", 1, NULL, O_PER_CONN }, { "guard", 1, NULL, O_GUARD },
	{ "retry-ms", 1, NULL, O_RETRY }, { "retry-max-ms", 1, NULL, O_RETRY_MAX },
	{ "tries", 1, NULL, O_TRIES }, { "service", 1, NULL, O_SERVICE }, { "form", 1, NULL, O_FORM },
	{ "concat-ref", 1, NULL, O_CREF }, { "tpdu-out", 1, NULL, O_TPDU_OUT },
	{ "rate", 1, NULL, O_RATE }, { "ready", 1, NULL, O_READY }, { "mt-only", 0, NULL, O_MT_ONLY },
	{ "summary", 1, NULL, O_SUMMARY }, { "quiet", 0, NULL, 'q' }, { "verbose", 0, NULL, 'v' },
	{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
};

static void bad(const char *opt, const char *what, const char *arg)
{
	fprintf(stderr, PROG ": --%s: %s: %s\n", opt, what, arg);
	exit(2);
}

#define num(opt, s, lo, hi)	fleet_cli_num(PROG, opt, s, lo, hi)
#define real(opt, s, lo, hi)	fleet_cli_real(PROG, opt, s, lo, hi)

static bool digits(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n && n <= max && strspn(s, "0123456789") == n;
}

static void parse_cell(struct osmo_cell_global_id *cgi, const char *arg)
{
	unsigned mcc, mnc, lac, ci;
	char mncs[8];
	int end = 0;

	if (sscanf(arg, "%u-%7[0-9]-%u-%u%n", &mcc, mncs, &lac, &ci, &end) != 4 || arg[end] ||
	    mcc < 1 || mcc > 999 || strlen(mncs) < 2 || strlen(mncs) > 3 || lac > 65535 || ci > 65535)
		bad("cell", "want MCC-MNC-LAC-CI", arg);
	mnc = (unsigned)atoi(mncs);
	*cgi = (struct osmo_cell_global_id){
		.lai = { .plmn = { .mcc = (uint16_t)mcc, .mnc = (uint16_t)mnc,
				   .mnc_3_digits = strlen(mncs) == 3 },
			 .lac = (uint16_t)lac },
		.cell_identity = (uint16_t)ci,
	};
}

static void parse_swap(struct hsim_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct hsim_swap *w;

	if (o->n_swap == HSIM_MAX_SWAPS)
		bad("hlr-msisdn", "too many", arg);
	w = &o->swap[o->n_swap];
	if (!eq || (size_t)(eq - arg) > FLEET_MSISDN_LEN)
		bad("hlr-msisdn", "want M=X", arg);
	memcpy(w->reg, arg, (size_t)(eq - arg));
	w->reg[eq - arg] = 0;
	snprintf(w->hlr, sizeof(w->hlr), "%s", eq + 1);
	if (!digits(w->reg, FLEET_MSISDN_LEN) || !digits(eq + 1, FLEET_MSISDN_LEN))
		bad("hlr-msisdn", "want digits M=X", arg);
	o->n_swap++;
}

static int choice(const char *opt, const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (!strcmp(s, "mix"))
		return HSIM_MIX;
	bad(opt, "unknown value", s);
	return 0;
}

static void parse_traffic(struct hsim_opts *o, int c, const char *a)
{
	static const char *const forms[] = { "binary", "gsm7", "ucs2" };
	static const char *const refs[] = { "8", "16" };

	switch (c) {
	case O_COUNT: o->count = num("count", a, 1, UINT64_MAX); break;
	case O_PER_HANDSET: o->per_handset = num("per-handset", a, 1, UINT32_MAX); break;
	case O_DURATION: o->duration = real("duration", a, 0, 1e9); break;
	case O_DRAIN: o->drain = real("drain", a, 0, 1e9); break;
	case O_LINGER: o->linger = real("linger", a, 0, 1e9); break;
	case O_RATE: o->rate = real("rate", a, 0, 1e6); break;
	case O_READY: o->ready = a; break;
	case O_MT_ONLY: o->mt_only = true; break;
	case O_UNTIL_MT: o->until_mt = num("until-mt", a, 1, UINT32_MAX); break;
	case O_CONC: o->hs.concurrency = (unsigned)num("concurrency", a, 1, 100000); break;
	case O_PER_CONN: o->hs.per_conn = (unsigned)num("per-conn", a, 1, 1000000); break;
	case O_GUARD: o->hs.guard_ms = (unsigned)(1000 * real("guard", a, 0.1, 3600)); break;
	case O_RETRY: o->hs.retry_ms = (unsigned)num("retry-ms", a, 10, 3600000); break;
	case O_RETRY_MAX: o->hs.retry_max_ms = (unsigned)num("retry-max-ms", a, 10, 3600000); break;
	case O_TRIES: o->hs.tries = (unsigned)num("tries", a, 1, 1000); break;
	case O_SERVICE:
		if (!digits(a, 20))
			bad("service", "want digits", a);
		o->service = a;
		break;
	case O_FORM: o->form = choice("form", a, forms, 3); break;
	case O_CREF: o->concat_ref = choice("concat-ref", a, refs, 2); break;
	case O_TPDU_OUT: o->tpdu_out = a; break;
	case O_SUMMARY: o->summary = a; break;
	case 'q': o->quiet = true; break;
	case 'v': o->verbose++; break;
	case 'h': usage(stdout); exit(0);
	default: usage(stderr); exit(2);
	}
}

static void parse_opt(struct hsim_opts *o, int c, const char *a)
{
	if (fleet_cli_option(&o->fleet, PROG, c, a))
		return;
	switch (c) {
	case O_STP_IP: o->hs.bsc.stp_ip = a; break;
	case O_STP_PORT: o->hs.bsc.stp_port = (uint16_t)num("stp-port", a, 1, 65535); break;
	case O_LOCAL_IP: o->hs.bsc.local_ip = a; break;
	case O_PC: o->hs.bsc.pc = a; break;
	case O_MSC_PC: o->hs.bsc.msc_pc = a; break;
	case O_CELL: parse_cell(&o->hs.bsc.cgi, a); break;
	case O_SMSC:
		if (!digits(a, A_ADDR_MAX))
			bad("smsc", "want digits", a);
		o->hs.smsc = a;
		break;
	case O_WAIT_CORE: o->wait_core = real("wait-core", a, 1, 3600); break;
	case O_HLR_MSISDN: parse_swap(o, a); break;
	case O_SUBS: o->subscribers = a; break;
	case O_PREPARE: o->prepare = true; break;
	default: parse_traffic(o, c, a);
	}
}

static void defaults(struct hsim_opts *o)
{
	memset(o, 0, sizeof(*o));
	fleet_cli_default(&o->fleet);
	o->hs.bsc.stp_ip = "127.0.0.1";
	o->hs.bsc.stp_port = 2905;
	o->hs.bsc.pc = "0.23.3";
	o->hs.bsc.msc_pc = "0.23.1";
	parse_cell(&o->hs.bsc.cgi, "001-01-23-1");
	o->hs.smsc = "886900000000";
	o->hs.concurrency = 16;
	o->hs.per_conn = 1;
	o->hs.guard_ms = 30000;
	o->hs.retry_ms = 1000;
	o->hs.retry_max_ms = 16000;
	o->hs.tries = 8;
	o->service = "886900000001";
	o->form = HSIM_MIX;
	o->concat_ref = HSIM_MIX;
	o->drain = 60;
	o->wait_core = 30;
}

void hsim_parse_args(struct hsim_opts *o, int argc, char **argv)
{
	int c;

	defaults(o);
	while ((c = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1)
		parse_opt(o, c, optarg);
	fleet_cli_end(&o->fleet, PROG, argc, argv);
	if (!o->hs.bsc.local_ip)
		o->hs.bsc.local_ip = o->hs.bsc.stp_ip;
	if (o->fleet.anomaly[FA_MSISDN] > 0) {
		fprintf(stderr, PROG ": --anomaly msisdn: a SIM's MSISDN is the HLR's; use --hlr-msisdn\n");
		exit(2);
	}
	if (o->hs.retry_max_ms < o->hs.retry_ms)
		o->hs.retry_max_ms = o->hs.retry_ms;
}
