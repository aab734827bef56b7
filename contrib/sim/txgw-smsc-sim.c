/*
 * txgw-smsc-sim — an SMSC simulator for testing txgw: an SMPP 3.4 server
 * (smsc.c) the gateway binds to, fed by a fleet of simulated handsets
 * (contrib/sim/fleet.c) whose uploads travel as the SMS-SUBMIT TPDUs a phone
 * sends and then as the deliver_sm an SMSC sends (contrib/sim/sms_form.c).
 * At the end it writes what the gateway must have published (bus.md):
 * per device, the records of the uploads that were wholly acknowledged,
 * and the alerts and rejects the anomalies must produce.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <talloc.h>

#include "contrib/sim/fleet.h"
#include "contrib/sim/fleet_cli.h"
#include "contrib/sim/sim_summary.h"
#include "contrib/sim/sms_form.h"
#include "contrib/sim/smsc.h"
#include "contrib/sim/smsc_mt.h"
#include "gateway/lib/json.h"
#include "gateway/txlog/armour.h"
#include "smpp/smpp_pdu.h"

#define REORDER_WINDOW	4	/* uploads shuffled together with --reorder */
#define MIX		-1	/* a form option chosen per upload */

struct opts {
	const char *addr;
	unsigned port;
	struct smsc_cfg smsc;
	unsigned devices, revoked, records;
	enum fleet_alg_mix alg;
	const char *registry, *keys_dir, *load_registry, *summary, *tpdu_out, *ready;
	const char *service;
	uint64_t seed;
	uint64_t count;
	double duration, drain, wait_bind;
	int form, concat_ref, smpp_form;
	bool dc1, reorder, quiet, presign;
	double anomaly[FA_COUNT];
	bool no_uploads;
	struct mt_cfg mt;
};

struct sim {
	struct opts o;
	void *ctx;
	struct fleet *fl;
	struct smsc *smsc;
	struct mt *mt;
	struct sim_book book;
	struct fleet_upload *fu;	/* scratch */
	FILE *tpdu_out;
	uint64_t made, sms_parts;
	unsigned batch_n;
	size_t batch[REORDER_WINDOW];
	struct sf_deliver batch_d[REORDER_WINDOW];
	uint64_t t0_ms, first_bind_ms, last_bound_ms, gen_end_ms, last_done_ms;
	unsigned next_dev;
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: txgw-smsc-sim [OPTIONS]\n"
"\n"
"An SMSC simulator for txgw.  It listens for SMPP 3.4 binds (the gateway\n"
"is the ESME: bind_receiver or bind_transceiver), and hands the bound\n"
"gateway deliver_sm PDUs carrying TXLOG uploads from a fleet of simulated\n"
"handsets, with store and forward: each deliver_sm is kept until its\n"
"deliver_sm_resp says ESME_ROK, and sent again after --resp-timeout with\n"
"no answer, after --retry-ms when the answer is a temporary error\n"
"(ESME_RX_T_APPN, ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR), and when\n"
"its bind is lost.  Any other error status fails the message for good.\n"
"\n"
"Each upload is built as a phone builds it: the device's next 1..K\n"
"transactions (counter, balance, upload_seq kept per device) in a TXLOG v1\n"
"frame signed with the device key, sent as real SMS-SUBMIT TPDUs (binary\n"
"with port 16354, or armoured text in GSM 7-bit or UCS-2, concatenated with\n"
"8- or 16-bit references), which the SMSC turns into deliver_sm the way an\n"
"SMSC does.  A device's next upload is sent only once its last one is\n"
"wholly acknowledged, so the outcome each upload must have is exact.\n"
"\n"
"Listening:\n"
"  --addr A            IPv4 address to listen on (127.0.0.1)\n"
"  --port P            TCP port; 0 picks a free one (default 2775); the port\n"
"                      is printed on standard output: \"listening on A:P\"\n"
"  --ready FILE        write the port to FILE once listening\n"
"  --system-id S       the system_id a bind must carry (txgw);\n"
"                      others are refused with ESME_RINVSYSID\n"
"  --password S        the password (secret); ESME_RINVPASWD otherwise\n"
"  --window N          unanswered deliver_sm per bind (64)\n"
"  --rate N            deliver_sm per second over all binds, retries\n"
"                      included (token bucket); 0: as fast as the window allows (0)\n"
"  --resp-timeout S    seconds to wait for a deliver_sm_resp (5)\n"
"  --retry-ms MS       wait after a temporary error (1000)\n"
"  --enquire S         our enquire_link period in seconds, 0 = never (30)\n"
"\n"
"Fleet:\n"
"  --devices N         generate N devices with fresh keys (10)\n"
"  --alg ecdsa|ed25519|mix   their algorithms (ed25519)\n"
"  --registry FILE     write the gateway's registry there (keys as hex:)\n"
"  --keys-dir DIR      write (with --devices) or read (with --load-registry)\n"
"                      private keys as DIR/<device_id>-<key_id>.key (PEM)\n"
"  --load-registry FILE   use the devices of an existing registry instead,\n"
"                      with their private keys from --keys-dir (for example\n"
"                      tests/vectors/devices.txt and tests/vectors/keys)\n"
"  --records-per-upload K   1..K records per upload (3), K <= 32\n"
"  --seed N            random seed for device ids and traffic (time)\n"
"  --service NUMBER    the service number handsets send to (886900000001)\n"
"\n"
"Traffic:\n"
"  --count N           make N uploads, then wait for them (no limit)\n"
"  --duration S        make uploads for S seconds from the first bind\n"
"  --presign           make and sign all --count uploads before listening,\n"
"                      so that the run itself spends no CPU on signing (for\n"
"                      benchmarks on the gateway's own machine); a device's\n"
"                      uploads are queued in the order made, so not with\n"
"                      --drop-every (what is sent again may overtake)\n"
"  --drain S           after the last upload, wait at most S seconds for\n"
"                      acknowledgements (30)\n"
"  --wait-bind S       give up when nobody binds within S seconds, or\n"
"                      when no bind takes deliver_sm for S seconds (60)\n"
"  --form binary|gsm7|ucs2|mix    how handsets send (binary)\n"
"  --concat-ref 8|16|mix          concatenation reference width (8)\n"
"  --smpp-form udh|sar|payload|mix  how the SMSC hands it over: the UDH in\n"
"                      short_message (esm_class 0x40), the SAR and port TLVs,\n"
"                      or one deliver_sm with message_payload (udh)\n"
"  --dc1               7-bit text as data_coding 1 (as OsmoMSC does), not 0\n"
"  --tpdu-out FILE     write every SMS-SUBMIT TPDU in hex, one a line\n"
"\n"
"Faults (0 = off):\n"
"  --drop-every N      close the connection 0.1 s after every N-th PDU sent\n"
"                      on it (answers arriving meanwhile count, later ones\n"
"                      are lost, and those deliver_sm go again after the\n"
"                      gateway binds again)\n"
"  --delay-ms D        delay every response we send by D ms\n"
"  --throttle-every N  answer every Nth bind, submit_sm or data_sm of the\n"
"                      gateway with ESME_RTHROTTLED (it must back off and\n"
"                      retry); the deliver_sm direction is the gateway's to\n"
"                      throttle, and we retry what it throttles\n"
"  --corrupt-every N   before every Nth deliver_sm send a malformed PDU (in\n"
"                      turn: unknown command_id, sm_length past the body, a\n"
"                      body cut inside a field), framed so that the stream\n"
"                      stays in step; the gateway answers each with a\n"
"                      generic_nack (unknown command) or an error response\n"
"  --duplicate-every N send every Nth deliver_sm twice\n"
"  --reorder           shuffle the segments of each message, and uploads of\n"
"                      different devices within windows of 4\n"
"\n"
"The downlink (submit_sm from the gateway, doc/downlink.md):\n"
"  --no-uploads        make no uploads: only take submit_sm, until --duration\n"
"                      (from the first bind) has passed and every receipt is\n"
"                      answered, or SIGTERM\n"
"  --mt-throttle-every N   answer every Nth submit_sm ESME_RTHROTTLED\n"
"  --mt-fail LIST      answer submit_sm to these MSISDNs (comma-separated)\n"
"                      ESME_RINVDSTADR, a permanent error\n"
"  --mt-drop-every N   take every Nth submit_sm, answer nothing and close the\n"
"                      connection 0.1 s later (the gateway submits it again)\n"
"  --mt-silent-every N take every Nth submit_sm and never answer it\n"
"  --receipts delivered|none   delivery receipts when registered_delivery\n"
"                      asks for them: DELIVRD for every part (delivered)\n"
"  --receipt-fail LIST receipts to these MSISDNs say UNDELIV err:001\n"
"  --receipt-delay MS  a receipt goes MS after its message is whole (200)\n"
"  --receipt-form tlv|text|mix   receipted_message_id and message_state\n"
"                      TLVs, SMPP 3.4 Appendix B text, or each in turn (mix)\n"
"  Each submit_sm is checked: esm_class 0x40, data_coding 0x04, a UDH with\n"
"  the 16-bit port IE (16354 both ways), an 8-bit concatenation IE over 133\n"
"  octets (at most 128 a part, 8 parts), a reference not reused while a\n"
"  message with it is incomplete nor by the next message to the same\n"
"  destination.  The summary's \"mt\" section lists what was taken: per\n"
"  message its destination, TON/NPI, parts, length, payload SHA-256, copies\n"
"  received and the message ids given; the errors found; the counters;\n"
"  the times of the first and the last submit_sm taken (first_taken_us,\n"
"  last_taken_us: microseconds since the epoch).\n"
"\n"
"Anomalies (RATE = fraction of uploads, 0..1; repeatable):\n"
"  --anomaly KIND:RATE   KIND is bad_signature, unknown_device, replay,\n"
"                      counter_gap, balance_mismatch, msisdn, revoked or\n"
"                      text; each expected alert or reject is listed in\n"
"                      the summary (revoked adds revoked devices to the\n"
"                      registry, unknown_device devices that are not in it).\n"
"                      Which anomalies are made depends on --seed alone; one\n"
"                      that needs an accepted device (replay, counter_gap,\n"
"                      balance_mismatch) is put off to a later upload when\n"
"                      nothing of the device at hand was accepted yet\n"
"                      (counted as anomalies_skipped)\n"
"\n"
"Output:\n"
"  --summary FILE      the JSON summary: per device the records the gateway\n"
"                      must have published (uploads wholly acknowledged),\n"
"                      the alerts and rejects due, and apart, the uploads\n"
"                      left unacknowledged or failed\n"
"  -q, --quiet         no progress line (once a second on stderr)\n"
"  -h, --help          this help\n"
"\n"
"Example:\n"
"  txgw-smsc-sim --port 0 --devices 100 --registry reg.txt --keys-dir keys \\\n"
"      --count 1000 --form mix --smpp-form mix --anomaly replay:0.01 \\\n"
"      --summary sent.json\n"
"\n"
"Exit status: 0 when every upload was acknowledged, 1 when some were not\n"
"(or failed, or nobody bound), 2 on bad usage or set-up errors.\n");
}

/* ---- options ---- */

enum {
	O_ADDR = 256, O_PORT, O_READY, O_SYSID, O_PASSWD, O_WINDOW, O_RATE, O_RESP_TO, O_RETRY,
	O_ENQUIRE, O_DEVICES, O_ALG, O_REGISTRY, O_KEYS, O_LOAD, O_RECORDS, O_SEED, O_SERVICE,
	O_COUNT, O_DURATION, O_DRAIN, O_WAIT_BIND, O_FORM, O_CREF, O_SFORM, O_DC1, O_TPDU_OUT,
	O_DROP, O_DELAY, O_THROTTLE, O_CORRUPT, O_DUP, O_REORDER, O_ANOMALY, O_SUMMARY, O_PRESIGN,
	O_NO_UPLOADS, O_MT_THROTTLE, O_MT_FAIL, O_MT_DROP, O_MT_SILENT, O_RECEIPTS, O_RCPT_FAIL,
	O_RCPT_DELAY, O_RCPT_FORM,
};

static const struct option long_opts[] = {
	{ "addr", 1, NULL, O_ADDR }, { "port", 1, NULL, O_PORT }, { "ready", 1, NULL, O_READY },
	{ "system-id", 1, NULL, O_SYSID }, { "password", 1, NULL, O_PASSWD },
	{ "window", 1, NULL, O_WINDOW }, { "rate", 1, NULL, O_RATE },
	{ "resp-timeout", 1, NULL, O_RESP_TO }, { "retry-ms", 1, NULL, O_RETRY },
	{ "enquire", 1, NULL, O_ENQUIRE }, { "devices", 1, NULL, O_DEVICES }, { "alg", 1, NULL, O_ALG },
	{ "registry", 1, NULL, O_REGISTRY }, { "keys-dir", 1, NULL, O_KEYS },
	{ "load-registry", 1, NULL, O_LOAD }, { "records-per-upload", 1, NULL, O_RECORDS },
	{ "seed", 1, NULL, O_SEED }, { "service", 1, NULL, O_SERVICE }, { "count", 1, NULL, O_COUNT },
	{ "duration", 1, NULL, O_DURATION }, { "drain", 1, NULL, O_DRAIN },
	{ "wait-bind", 1, NULL, O_WAIT_BIND }, { "form", 1, NULL, O_FORM },
	{ "concat-ref", 1, NULL, O_CREF }, { "smpp-form", 1, NULL, O_SFORM }, { "dc1", 0, NULL, O_DC1 },
	{ "tpdu-out", 1, NULL, O_TPDU_OUT }, { "drop-every", 1, NULL, O_DROP },
	{ "delay-ms", 1, NULL, O_DELAY }, { "throttle-every", 1, NULL, O_THROTTLE },
	{ "corrupt-every", 1, NULL, O_CORRUPT }, { "duplicate-every", 1, NULL, O_DUP },
	{ "reorder", 0, NULL, O_REORDER }, { "anomaly", 1, NULL, O_ANOMALY },
	{ "presign", 0, NULL, O_PRESIGN },
	{ "no-uploads", 0, NULL, O_NO_UPLOADS }, { "mt-throttle-every", 1, NULL, O_MT_THROTTLE },
	{ "mt-fail", 1, NULL, O_MT_FAIL }, { "mt-drop-every", 1, NULL, O_MT_DROP },
	{ "mt-silent-every", 1, NULL, O_MT_SILENT }, { "receipts", 1, NULL, O_RECEIPTS },
	{ "receipt-fail", 1, NULL, O_RCPT_FAIL }, { "receipt-delay", 1, NULL, O_RCPT_DELAY },
	{ "receipt-form", 1, NULL, O_RCPT_FORM },
	{ "summary", 1, NULL, O_SUMMARY }, { "quiet", 0, NULL, 'q' }, { "help", 0, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A whole number in [lo, hi], or exit 2. */
static uint64_t num(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || !*s || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "txgw-smsc-sim: --%s: %s is not a number in %" PRIu64 "..%" PRIu64 "\n",
			opt, s, lo, hi);
		exit(2);
	}
	return v;
}

static double real(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || !*s || !(v >= lo && v <= hi)) {
		fprintf(stderr, "txgw-smsc-sim: --%s: %s is not a number in %g..%g\n", opt, s, lo, hi);
		exit(2);
	}
	return v;
}

/* One of names[], MIX for "mix" when allowed, or exit 2. */
static int choice(const char *opt, const char *s, const char *const *names, int n, bool mix)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (mix && !strcmp(s, "mix"))
		return MIX;
	fprintf(stderr, "txgw-smsc-sim: --%s: unknown value %s\n", opt, s);
	exit(2);
}

static void parse_anomaly(struct opts *o, const char *arg)
{
	char kind[32];
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : 0;
	enum fleet_anomaly a = FA_COUNT;

	if (colon && n < sizeof(kind)) {
		memcpy(kind, arg, n);
		kind[n] = 0;
		a = fleet_anomaly_parse(kind);
	}
	if (a == FA_COUNT || a == FA_NONE) {
		fprintf(stderr, "txgw-smsc-sim: --anomaly: want KIND:RATE, got %s\n", arg);
		exit(2);
	}
	o->anomaly[a] = real("anomaly", colon + 1, 0, 1);
}

static void opts_default(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	smsc_cfg_default(&o->smsc);
	o->addr = "127.0.0.1";
	o->port = 2775;
	o->devices = 10;
	o->records = 3;
	o->alg = FLEET_ED25519;
	o->service = "886900000001";
	o->seed = (uint64_t)time(NULL);
	o->drain = 30;
	o->wait_bind = 60;
	o->concat_ref = 0;
	o->form = SF_BINARY;
	o->smpp_form = SF_SMPP_UDH;
	o->mt.port = SF_TXLOG_PORT;
	o->mt.receipt_delay_ms = 200;
	o->mt.form = MT_FORM_MIX;
}

/* The downlink's options (smsc_mt.h). */
static void parse_opt_mt(struct opts *o, int c, const char *a)
{
	static const char *const rcpts[] = { "delivered", "none" };
	static const char *const rforms[] = { "tlv", "text", "mix" };

	switch (c) {
	case O_NO_UPLOADS: o->no_uploads = true; break;
	case O_MT_THROTTLE: o->mt.throttle_every = (unsigned)num("mt-throttle-every", a, 0, UINT32_MAX); break;
	case O_MT_FAIL: o->mt.fail_dest = a; break;
	case O_MT_DROP: o->mt.drop_every = (unsigned)num("mt-drop-every", a, 0, UINT32_MAX); break;
	case O_MT_SILENT: o->mt.silent_every = (unsigned)num("mt-silent-every", a, 0, UINT32_MAX); break;
	case O_RECEIPTS: o->mt.receipts = (enum mt_receipts)choice("receipts", a, rcpts, 2, false); break;
	case O_RCPT_FAIL: o->mt.receipt_fail = a; break;
	case O_RCPT_DELAY: o->mt.receipt_delay_ms = (unsigned)num("receipt-delay", a, 0, 3600000); break;
	case O_RCPT_FORM: o->mt.form = (enum mt_form)choice("receipt-form", a, rforms, 3, false); break;
	default: usage(stderr); exit(2);
	}
}

static void parse_opt2(struct opts *o, int c, const char *a)
{
	static const char *const forms[] = { "binary", "gsm7", "ucs2" };
	static const char *const sforms[] = { "udh", "sar", "payload" };
	static const char *const refs[] = { "8", "16" };
	static const char *const algs[] = { "ed25519", "ecdsa" };

	switch (c) {
	case O_ALG: o->alg = (enum fleet_alg_mix)choice("alg", a, algs, 2, true);
		if ((int)o->alg == MIX)
			o->alg = FLEET_MIX;
		break;
	case O_FORM: o->form = choice("form", a, forms, 3, true); break;
	case O_CREF: o->concat_ref = choice("concat-ref", a, refs, 2, true); break;
	case O_SFORM: o->smpp_form = choice("smpp-form", a, sforms, 3, true); break;
	case O_DROP: o->smsc.drop_every = (unsigned)num("drop-every", a, 0, UINT32_MAX); break;
	case O_DELAY: o->smsc.delay_ms = (unsigned)num("delay-ms", a, 0, 3600000); break;
	case O_THROTTLE: o->smsc.throttle_every = (unsigned)num("throttle-every", a, 0, UINT32_MAX); break;
	case O_CORRUPT: o->smsc.corrupt_every = (unsigned)num("corrupt-every", a, 0, UINT32_MAX); break;
	case O_DUP: o->smsc.duplicate_every = (unsigned)num("duplicate-every", a, 0, UINT32_MAX); break;
	case O_ANOMALY: parse_anomaly(o, a); break;
	case O_SUMMARY: o->summary = a; break;
	case O_TPDU_OUT: o->tpdu_out = a; break;
	case O_DC1: o->dc1 = true; break;
	case O_REORDER: o->reorder = true; break;
	case O_PRESIGN: o->presign = true; break;
	case 'q': o->quiet = true; break;
	case 'h': usage(stdout); exit(0);
	default: parse_opt_mt(o, c, a);
	}
}

static void parse_opt(struct opts *o, int c, const char *a)
{
	switch (c) {
	case O_ADDR: o->addr = a; break;
	case O_PORT: o->port = (unsigned)num("port", a, 0, 65535); break;
	case O_READY: o->ready = a; break;
	case O_SYSID: o->smsc.system_id = a; break;
	case O_PASSWD: o->smsc.password = a; break;
	case O_WINDOW: o->smsc.window = (unsigned)num("window", a, 1, SMSC_MAX_WINDOW); break;
	case O_RATE: o->smsc.rate = real("rate", a, 0, 1e7); break;
	case O_RESP_TO: o->smsc.resp_timeout_ms = (unsigned)(1000 * real("resp-timeout", a, 0.01, 3600)); break;
	case O_RETRY: o->smsc.retry_ms = (unsigned)num("retry-ms", a, 0, 3600000); break;
	case O_ENQUIRE: o->smsc.enquire_ms = (unsigned)(1000 * real("enquire", a, 0, 86400)); break;
	case O_DEVICES: o->devices = (unsigned)num("devices", a, 1, 10000000); break;
	case O_REGISTRY: o->registry = a; break;
	case O_KEYS: o->keys_dir = a; break;
	case O_LOAD: o->load_registry = a; break;
	case O_RECORDS: o->records = (unsigned)num("records-per-upload", a, 1, TXL_MAX_RECORDS); break;
	case O_SEED: o->seed = num("seed", a, 0, UINT64_MAX); break;
	case O_SERVICE: o->service = a; break;
	case O_COUNT: o->count = num("count", a, 1, UINT64_MAX); break;
	case O_DURATION: o->duration = real("duration", a, 0, 1e9); break;
	case O_DRAIN: o->drain = real("drain", a, 0, 1e9); break;
	case O_WAIT_BIND: o->wait_bind = real("wait-bind", a, 0, 1e9); break;
	default: parse_opt2(o, c, a);
	}
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	int c;

	opts_default(o);
	while ((c = getopt_long(argc, argv, "qh", long_opts, NULL)) != -1)
		parse_opt(o, c, optarg);
	if (optind < argc) {
		fprintf(stderr, "txgw-smsc-sim: unexpected argument %s\n", argv[optind]);
		exit(2);
	}
	if (o->load_registry && !o->keys_dir) {
		fprintf(stderr, "txgw-smsc-sim: --load-registry needs --keys-dir\n");
		exit(2);
	}
	if (o->presign && (!o->count || o->smsc.drop_every)) {
		fprintf(stderr, "txgw-smsc-sim: --presign needs --count, and not --drop-every\n");
		exit(2);
	}
	if (o->anomaly[FA_REVOKED] > 0)
		o->revoked = o->devices / 50 + 1;
}

/* ---- the fleet ---- */

static int fleet_setup(struct sim *s)
{
	struct opts *o = &s->o;
	unsigned phantoms = o->anomaly[FA_UNKNOWN_DEVICE] > 0 ? 3 : 0;
	char err[512];
	int rc;

	if (o->load_registry) {
		rc = fleet_load(s->ctx, o->load_registry, o->keys_dir, phantoms, o->seed, &s->fl, err, sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "txgw-smsc-sim: %s\n", err);
			return rc;
		}
	} else {
		rc = fleet_generate(s->ctx, o->devices, o->revoked, phantoms, o->alg, o->seed, &s->fl);
		if (rc < 0) {
			fprintf(stderr, "txgw-smsc-sim: cannot make the fleet: %s\n", strerror(-rc));
			return rc;
		}
		if (o->keys_dir && mkdir(o->keys_dir, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "txgw-smsc-sim: %s: %s\n", o->keys_dir, strerror(errno));
			return -errno;
		}
		if (o->registry && fleet_write_registry(s->fl, o->registry, o->keys_dir) < 0) {
			fprintf(stderr, "txgw-smsc-sim: cannot write %s\n", o->registry);
			return -EIO;
		}
	}
	s->fl->max_records = o->records;
	return 0;
}

/* ---- making uploads ---- */

static int pick(struct sim *s, int opt, int n)
{
	return opt == MIX ? (int)fleet_rand(s->fl, (uint32_t)n) : opt;
}

static void write_tpdus(struct sim *s, const struct sf_sms *sms)
{
	for (unsigned i = 0; s->tpdu_out && i < sms->n; i++) {
		for (unsigned k = 0; k < sms->len[i]; k++)
			fprintf(s->tpdu_out, "%02x", sms->tpdu[i][k]);
		fputc('\n', s->tpdu_out);
	}
}

/* The upload in s->fu as TPDUs, then deliver_sm PDUs into d. */
static int encode_upload(struct sim *s, struct fleet_dev *dev, struct sf_deliver *d)
{
	const struct fleet_upload *u = s->fu;
	unsigned ref_bits = pick(s, s->o.concat_ref, 2) ? 16 : 8;
	struct sf_smpp_opts po = { .form = (enum sf_smpp_form)pick(s, s->o.smpp_form, 3),
				   .dc1 = s->o.dc1, .src = u->src, .dst = s->o.service };
	enum sf_coding coding;
	struct sf_sms sms;
	int rc;

	coding = (enum sf_coding)pick(s, s->o.form, 3);
	rc = sf_upload(&sms, dev, u, coding, ref_bits, s->o.service);
	if (rc < 0)
		return rc;
	write_tpdus(s, &sms);
	s->sms_parts += sms.n;
	return sf_deliver_sm(s->ctx, d, &po, &sms);
}

static void shuffle_pdus(struct sim *s, struct sf_deliver *d)
{
	for (unsigned i = d->n; i > 1; i--) {
		unsigned j = fleet_rand(s->fl, i);
		uint8_t *p = d->pdu[i - 1];
		size_t l = d->len[i - 1];
		d->pdu[i - 1] = d->pdu[j];
		d->len[i - 1] = d->len[j];
		d->pdu[j] = p;
		d->len[j] = l;
	}
}

/* Queue the batch (with --reorder: uploads and their segments shuffled). */
static void flush_batch(struct sim *s)
{
	for (unsigned i = s->batch_n; s->o.reorder && i > 1; i--) {
		unsigned j = fleet_rand(s->fl, i);
		size_t b = s->batch[i - 1];
		struct sf_deliver d = s->batch_d[i - 1];
		s->batch[i - 1] = s->batch[j];
		s->batch_d[i - 1] = s->batch_d[j];
		s->batch[j] = b;
		s->batch_d[j] = d;
	}
	for (unsigned i = 0; i < s->batch_n; i++) {
		struct sf_deliver *d = &s->batch_d[i];
		if (s->o.reorder)
			shuffle_pdus(s, d);
		for (unsigned k = 0; k < d->n; k++)
			if (smsc_queue(s->smsc, d->pdu[k], d->len[k], s->batch[i]) < 0)
				sim_book_part_done(&s->book, s->batch[i], ESME_RSYSERR);
		sf_deliver_free(d);
	}
	s->batch_n = 0;
}

/* Make one upload and put it in the batch.  0, -EAGAIN (no idle device),
 * or a negative errno (stop). */
static int make_one(struct sim *s)
{
	int dev = fleet_cli_idle_device(s->fl, &s->next_dev);
	enum fleet_anomaly a;
	int rc;

	if (dev < 0)
		return -EAGAIN;
	a = fleet_pick_anomaly(s->fl, s->o.anomaly);
	rc = fleet_upload(s->fl, (unsigned)dev, a, (uint32_t)time(NULL), s->fu);
	if (rc == -EAGAIN) {	/* not for this device: owed to a later upload */
		fleet_owe(s->fl, a);
		rc = fleet_upload(s->fl, (unsigned)dev, FA_NONE, (uint32_t)time(NULL), s->fu);
	}
	if (rc < 0)
		return rc;
	struct sf_deliver *d = &s->batch_d[s->batch_n];
	rc = encode_upload(s, &s->fl->dev[s->fu->dev], d);
	if (rc < 0) {
		fprintf(stderr, "txgw-smsc-sim: cannot encode an upload: %s\n", strerror(-rc));
		return rc;
	}
	/* An upload from an active device holds it until wholly answered
	 * (presigned ones are queued in the order made instead). */
	bool hold = !s->o.presign && s->fu->dev < s->fl->n_active;
	size_t idx;
	rc = sim_book_add(&s->book, s->fu, (unsigned)rc, hold, &idx);
	if (rc < 0)
		return rc;
	if (hold)
		s->fl->dev[s->fu->dev].busy = true;
	s->batch[s->batch_n++] = idx;
	s->made++;
	if (s->batch_n == (s->o.reorder ? REORDER_WINDOW : 1))
		flush_batch(s);
	return 0;
}

static bool generating(struct sim *s, uint64_t now)
{
	if (s->o.no_uploads)
		return false;
	if (s->o.count && s->made >= s->o.count)
		return false;
	if (!s->first_bind_ms)
		return s->made < s->o.smsc.window;	/* a head start, until a bind */
	return !s->o.duration || now < s->first_bind_ms + (uint64_t)(s->o.duration * 1000);
}

/* Keep about two windows' worth of messages waiting in the SMSC. */
static int generate(struct sim *s, uint64_t now)
{
	const struct smsc_stats *st = smsc_get_stats(s->smsc);
	size_t want = 2 * (size_t)s->o.smsc.window * (st->bound_rx ? st->bound_rx : 1);

	while (generating(s, now) && st->waiting < want) {
		int rc = make_one(s);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return rc;
	}
	if (s->batch_n && (!generating(s, now) || st->waiting < want / 2))
		flush_batch(s);
	return 0;
}

/* ---- the loop ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_done(void *data, uint64_t tag, uint32_t status)
{
	struct sim *s = data;

	if (tag & MT_RECEIPT_TAG) {
		mt_receipt_done(s->mt, tag, status);
		return;
	}
	int dev = sim_book_part_done(&s->book, (size_t)tag, status);

	s->last_done_ms = mono_ms();

	if (dev >= 0)
		s->fl->dev[dev].busy = false;
}

static void on_log(void *data, const char *line)
{
	fprintf(stderr, "txgw-smsc-sim: %s\n", line);
}

static uint32_t on_submit(void *data, unsigned conn, const struct smpp_pdu *p, char *message_id,
			  size_t cap)
{
	struct sim *s = data;

	return mt_submit(s->mt, conn, p, message_id, cap);
}

static void more_summary(void *arg, struct jw *w)
{
	mt_summary(arg, w);
}

/* --no-uploads: the traffic is the gateway's; done once --duration from the
 * first bind has passed and every receipt is answered. */
static bool mt_finished(struct sim *s, uint64_t now)
{
	const struct smsc_stats *st = smsc_get_stats(s->smsc);

	return s->o.duration && now > s->first_bind_ms + (uint64_t)(s->o.duration * 1000) &&
	       !mt_pending(s->mt) && !st->waiting && !st->in_flight;
}

static void progress(struct sim *s, uint64_t now, uint64_t *last_ms, uint64_t *last_sent)
{
	const struct smsc_stats *st = smsc_get_stats(s->smsc);

	if (now - *last_ms < 1000)
		return;
	if (!s->o.quiet)
		fprintf(stderr, "t=%.0fs uploads %" PRIu64 " acked %zu sms sent %" PRIu64 " acked %" PRIu64
			" in flight %zu waiting %zu rate %.0f/s retries %" PRIu64 " binds %u\n",
			(double)(now - s->t0_ms) / 1000, s->made, s->book.n_acked, st->sent, st->acked,
			st->in_flight, st->waiting, (double)(st->sent - *last_sent) * 1000 / (double)(now - *last_ms),
			st->retries, st->bound_rx);
	*last_ms = now;
	*last_sent = st->sent;
}

/* Whether to stop: a signal, everything done, or a time limit. */
static bool finished(struct sim *s, uint64_t now, const sigset_t *sigs)
{
	struct timespec zero = { 0, 0 };
	const struct smsc_stats *st = smsc_get_stats(s->smsc);
	siginfo_t si;

	if (sigtimedwait(sigs, &si, &zero) > 0) {
		/* who stopped us: a test that ends early says so */
		fprintf(stderr, "txgw-smsc-sim: signal %d from pid %d: stopping\n", si.si_signo, (int)si.si_pid);
		return true;
	}
	if (!s->first_bind_ms) {
		if (st->binds)
			s->first_bind_ms = s->last_bound_ms = now;
		else if (s->o.wait_bind && now - s->t0_ms > (uint64_t)(s->o.wait_bind * 1000)) {
			fprintf(stderr, "txgw-smsc-sim: nobody bound in %.0f s\n", s->o.wait_bind);
			return true;
		}
		return false;
	}
	if (s->o.no_uploads)
		return mt_finished(s, now);
	if (st->bound_rx)
		s->last_bound_ms = now;
	else if (s->o.wait_bind && now - s->last_bound_ms > (uint64_t)(s->o.wait_bind * 1000)) {
		fprintf(stderr, "txgw-smsc-sim: no bind for %.0f s\n", s->o.wait_bind);
		return true;
	}
	if (generating(s, now))
		return false;
	if (!s->gen_end_ms)
		s->gen_end_ms = now;
	if (st->waiting == 0 && st->in_flight == 0 && !s->batch_n)
		return true;
	return now - s->gen_end_ms > (uint64_t)(s->o.drain * 1000);
}

static int run(struct sim *s)
{
	uint64_t last_ms = mono_ms(), last_sent = 0;
	sigset_t sigs;
	int rc = 0;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	s->t0_ms = mono_ms();
	for (;;) {
		uint64_t now = mono_ms();
		if (finished(s, now, &sigs))
			break;
		rc = generate(s, now);
		if (rc < 0)
			break;
		mt_poll(s->mt);
		rc = smsc_poll(s->smsc, 100);
		if (rc < 0)
			break;
		progress(s, mono_ms(), &last_ms, &last_sent);
	}
	/* goodbye: unbind, give the peers a moment to answer */
	smsc_unbind_all(s->smsc);
	for (uint64_t t = mono_ms(); mono_ms() - t < 300;)
		smsc_poll(s->smsc, 50);
	return rc;
}

/* ---- the summary ---- */

/* The SMSC's counters in the summary, by name (smsc.h). */
static const struct {
	const char *name;
	size_t off;
} smsc_fields[] = {
#define F(x) { #x, offsetof(struct smsc_stats, x) }
	F(queued), F(sent), F(acked), F(failed), F(retries), F(timeouts), F(temp_errors),
	F(requeued), F(late_resps), F(generic_nacks), F(dup_sent), F(corrupt_sent), F(drops),
	F(throttled), F(binds), F(bind_refused), F(unbinds), F(enquire_rx), F(enquire_tx),
	F(submits),
#undef F
};

static void write_stats(struct jw *w, void *data)
{
	const struct smsc_stats *st = data;

	jw_key(w, "smsc");
	jw_obj_open(w);
	for (size_t i = 0; i < sizeof(smsc_fields) / sizeof(smsc_fields[0]); i++) {
		uint64_t v;
		memcpy(&v, (const char *)st + smsc_fields[i].off, sizeof(v));
		jw_kuint(w, smsc_fields[i].name, v);
	}
	jw_obj_close(w);
	/* deliver_sm -> deliver_sm_resp, as the SMSC measured it */
	jw_key(w, "latency_ms");
	jw_obj_open(w);
	jw_kuint(w, "n", st->lat_n);
	char num[32];
	snprintf(num, sizeof(num), "%.3f", (double)smsc_latency_us(st, 50) / 1000);
	jw_key(w, "p50");
	jw_raw(w, num, strlen(num));
	snprintf(num, sizeof(num), "%.3f", (double)smsc_latency_us(st, 99) / 1000);
	jw_key(w, "p99");
	jw_raw(w, num, strlen(num));
	snprintf(num, sizeof(num), "%.3f", (double)st->lat_max_us / 1000);
	jw_key(w, "max");
	jw_raw(w, num, strlen(num));
	jw_obj_close(w);
}


/* The SMSC's lines of the human summary. */
static void print_stats(FILE *out, void *data)
{
	const struct smsc_stats *st = data;

	fprintf(out, "txgw-smsc-sim: deliver_sm sent %" PRIu64 ", acked %" PRIu64 ", failed %" PRIu64
		", retries %" PRIu64 " (timeouts %" PRIu64 ", temporary errors %" PRIu64 ", rebinds %" PRIu64
		")\n", st->sent, st->acked, st->failed, st->retries, st->timeouts, st->temp_errors, st->requeued);
	fprintf(out, "txgw-smsc-sim: faults: drops %" PRIu64 ", duplicates %" PRIu64 ", corrupt %" PRIu64
		", throttled %" PRIu64 "; generic_nack %" PRIu64 "; binds %" PRIu64 " (refused %" PRIu64 ")\n",
		st->drops, st->dup_sent, st->corrupt_sent, st->throttled, st->generic_nacks, st->binds,
		st->bind_refused);
	fprintf(out, "txgw-smsc-sim: deliver_sm -> resp: p50 %.2f ms, p99 %.2f ms, max %.2f ms over %" PRIu64
		"\n", (double)smsc_latency_us(st, 50) / 1000, (double)smsc_latency_us(st, 99) / 1000,
		(double)st->lat_max_us / 1000, st->lat_n);
}

/* --presign: make every upload now, before anyone binds. */
static int presign(struct sim *s)
{
	uint64_t t0 = mono_ms();

	while (s->made < s->o.count) {
		int rc = make_one(s);
		if (rc < 0)
			return rc;
	}
	flush_batch(s);
	if (!s->o.quiet)
		fprintf(stderr, "txgw-smsc-sim: %" PRIu64 " uploads (%" PRIu64 " sms) made and signed in %.1f s\n",
			s->made, s->sms_parts, (double)(mono_ms() - t0) / 1000);
	return 0;
}

static int announce(struct sim *s)
{
	printf("listening on %s:%u\n", s->o.addr, smsc_port(s->smsc));
	fflush(stdout);
	if (s->o.ready) {
		FILE *fp = fopen(s->o.ready, "w");
		if (!fp)
			return -errno;
		fprintf(fp, "%u\n", smsc_port(s->smsc));
		fclose(fp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct smsc_ops ops = { .done = on_done, .log = on_log, .submit = on_submit };
	struct sim *s;
	int rc;

	s = talloc_zero(NULL, struct sim);
	s->ctx = s;
	parse_args(&s->o, argc, argv);
	s->fu = talloc(s, struct fleet_upload);
	sim_book_init(&s->book, s);
	if (fleet_setup(s) < 0)
		return 2;
	if (s->o.tpdu_out && !(s->tpdu_out = fopen(s->o.tpdu_out, "w"))) {
		fprintf(stderr, "txgw-smsc-sim: %s: %s\n", s->o.tpdu_out, strerror(errno));
		return 2;
	}
	rc = smsc_new(s, &s->o.smsc, s->o.addr, (uint16_t)s->o.port, &ops, s, &s->smsc);
	if (rc >= 0 && !(s->mt = mt_new(s, &s->o.mt, s->smsc)))
		rc = -ENOMEM;
	if (rc >= 0 && s->o.presign && (rc = presign(s)) < 0) {
		fprintf(stderr, "txgw-smsc-sim: cannot make the uploads: %s\n", strerror(-rc));
		return 2;
	}
	if (rc < 0 || announce(s) < 0) {
		fprintf(stderr, "txgw-smsc-sim: cannot listen on %s:%u: %s\n", s->o.addr, s->o.port,
			strerror(-rc));
		return 2;
	}
	rc = run(s);
	if (s->tpdu_out)
		fclose(s->tpdu_out);
	struct sim_summary_info info = {
		.generator = "txgw-smsc-sim", .write_extra = write_stats, .print_extra = print_stats,
		.extra = (void *)smsc_get_stats(s->smsc), .fl = s->fl, .seed = s->o.seed, .made = s->made,
		.sms_parts = s->sms_parts, .anomaly_skipped = s->fl->n_owed,
		.seconds = (double)(mono_ms() - s->t0_ms) / 1000,
		.busy_seconds = s->first_bind_ms && s->last_done_ms > s->first_bind_ms ?
				(double)(s->last_done_ms - s->first_bind_ms) / 1000 : 0,
		.more = more_summary, .more_arg = s->mt,
	};
	sim_summary_print(stderr, &s->book, &info);
	mt_print(s->mt, stderr);
	if (s->o.summary && sim_summary_write(s->o.summary, &s->book, &info) < 0) {
		fprintf(stderr, "txgw-smsc-sim: cannot write %s\n", s->o.summary);
		rc = -EIO;
	}
	bool all = rc == 0 && s->first_bind_ms && s->book.n_acked == s->book.n;
	talloc_free(s);
	return all ? 0 : 1;
}
