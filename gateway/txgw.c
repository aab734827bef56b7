/*
 * txgw.c — the txgw daemon: option parsing, start-up, signals, the loop.
 *
 * One libosmocore event loop (osmo_select_main) serves the VTY, the stats
 * socket, the SMPP binds, the SMTP service and the bus.  Signals are read
 * from a signalfd in that loop (osmo_signalfd), so no handler runs gateway
 * code.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <curl/curl.h>
#include <osmocom/core/application.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/rate_ctr.h>
#include <osmocom/core/select.h>
#include <osmocom/core/stats.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/stats.h>
#include <osmocom/vty/telnet_interface.h>
#include <osmocom/vty/vty.h>

#include "gateway/gw.h"
#include "gateway/lib/accept_guard.h"
#include "gateway/lib/counters.h"
#include "gateway/lib/logging.h"
#include "gateway/txgw_cfg.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

struct opts {
	const char *config;
	bool check_only;
};

/* main()'s state: the gateway and its signalfd. */
struct daemon {
	struct gw gw;
	struct osmo_signalfd *sigfd;
};

static void usage(FILE *out)
{
	fprintf(out,
"Usage: txgw -c FILE [-V]\n"
"       txgw --help | --version\n"
"\n"
"txgw is a carrier-facing gateway for signed mobile transaction logs.  It\n"
"binds to SMSCs as an SMPP 3.4 ESME and runs an SMTP service, finds the\n"
"TXLOG frames in the short messages and mails it receives, verifies each\n"
"device's signature and its counters and balances, journals everything to\n"
"disk and publishes records, alerts and rejects as JSON on a ZeroMQ bus.\n"
"\n"
"Options:\n"
"  -c, --config FILE  the configuration file (Osmocom VTY syntax, see\n"
"                     doc/config.md); required\n"
"  -V, --check        load and check the configuration, print what is\n"
"                     wrong with file, line and reason, and exit\n"
"  -h, --help         show this help and exit\n"
"  -v, --version      show the version and exit\n"
"\n"
"Signals:\n"
"  SIGHUP             read registry, ca-file and curve-clients from FILE again\n"
"                     and reload the device registry and the bus's client keys\n"
"                     (each old one stays on any error; the registry also when\n"
"                     the new one is empty or lacks more than half the keys in\n"
"                     force: \"reload registry force\" takes that)\n"
"  SIGTERM, SIGINT    unbind, finish what is in flight, sync, exit 0\n"
"  SIGUSR1            print a talloc memory report to stderr\n"
"\n"
"Operation:\n"
"  The VTY (telnet, 127.0.0.1:4290 by default, behind the file's password)\n"
"  shows the running configuration and writes it back to FILE, and only\n"
"  there; registry, ca-file, state-dir and the bus keys come from FILE only.\n"
"  The stats socket (\"stats\" node) answers \"show info\",\n"
"  \"show stats\", \"show metrics\", \"show binds\" and \"reload registry\n"
"  [force]\".\n"
"\n"
"Exit status: 0 on a clean stop or a good configuration, 1 on a bad\n"
"configuration or a start-up failure, 2 on bad usage.\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:Vhv", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'V':
			o->check_only = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'v':
			printf("txgw %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc || !o->config) {
		fprintf(stderr, "txgw: %s\n", o->config ? "unexpected argument" : "-c FILE is required");
		usage(stderr);
		exit(2);
	}
	return 0;
}

/* ---- signals ---------------------------------------------------------------- */

static void on_signal(struct osmo_signalfd *osfd, const struct signalfd_siginfo *si)
{
	struct daemon *d = osfd->data;
	char msg[512];

	switch (si->ssi_signo) {
	case SIGTERM:
	case SIGINT:
		LOGP(DMAIN, LOGL_NOTICE, "%s: unbinding, finishing what is in flight\n",
		     si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		gw_stop(&d->gw);
		break;
	case SIGHUP:
		LOGP(DMAIN, LOGL_NOTICE, "SIGHUP: reloading the device registry and the bus "
		     "client keys\n");
		/* never forced; its end is logged (gw_reload.c) */
		gw_reload_start(&d->gw, false, false, msg, sizeof(msg));
		break;
	case SIGUSR1:
		talloc_report_full(d->gw.ctx, stderr);
		break;
	}
}

static int signals_init(struct daemon *d)
{
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* blocked before gw_start() starts any thread (journal sync, signature
	 * workers, ZeroMQ): they inherit the mask, so that these signals are
	 * only ever read from the signalfd, never delivered to a thread */
	rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc) {
		LOGP(DMAIN, LOGL_ERROR, "cannot block the signals: %s\n", strerror(rc));
		return -rc;
	}
	d->sigfd = osmo_signalfd_setup(d->gw.ctx, set, on_signal, d);
	if (!d->sigfd) {
		rc = errno ? -errno : -EIO;
		LOGP(DMAIN, LOGL_ERROR, "cannot read signals from a signalfd: %s\n", strerror(-rc));
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- start-up ------------------------------------------------------------ */

static struct vty_app_info vty_info = {
	.name = "txgw",
	.version = PACKAGE_VERSION,
	.copyright =
	"Copyright (C) 2026 the txgw authors\r\n"
	"License AGPLv3+: GNU AGPL version 3 or later <http://gnu.org/licenses/agpl-3.0.html>\r\n"
	"This is free software: you are free to change and redistribute it.\r\n"
	"There is NO WARRANTY, to the extent permitted by law.\r\n",
	.config_is_consistent = txgw_vty_write_allowed,
};

static int load_config(struct gw *g, const char *path)
{
	char err[512];

	vty_info.tall_ctx = g->ctx;
	vty_init(&vty_info);
	logging_vty_add_cmds();
	osmo_stats_vty_add_cmds();
	osmo_talloc_vty_add_cmds();
	osmo_fsm_vty_add_cmds();
	osmo_fsm_log_addr(false);	/* "ESME(smsc1){BOUND}: ...", not a pointer */
	g->cfg = txgw_cfg_alloc(g->ctx);
	if (!g->cfg) {
		/* as txgw_config_load() says it: the operator's "FILE: reason" */
		fprintf(stderr, "txgw: %s: out of memory\n", path);
		return -ENOMEM;
	}
	txgw_vty_init(g->cfg);
	if (txgw_config_load(g->cfg, path, err, sizeof(err)) < 0 ||
	    gw_check_bus_keys(g->ctx, g->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "txgw: %s\n", err);
		return -EINVAL;
	}
	/* "write" on the VTY writes this file back, and only this one; a
	 * reload reads it again (config.md) */
	char *abs = realpath(path, NULL);
	g->cfg_file = talloc_strdup(g->ctx, abs ? abs : path);
	free(abs);
	host_config_set(g->cfg_file);
	txgw_vty_set_start_file(g->cfg_file);
	return 0;
}

/* config.md: the VTY asks for a password; say so when it does not, or
 * when it cannot (no password set: every session is refused). */
static void log_vty_login(void)
{
	const char *addr = vty_get_bind_addr();
	int port = vty_get_bind_port(TXGW_DEFAULT_VTY_PORT);

	switch (txgw_vty_login()) {
	case TXGW_VTY_OPEN:
		LOGP(DMAIN, LOGL_NOTICE, "VTY %s:%d asks no password ('no login' under 'line vty'): "
		     "whoever connects can configure the gateway\n", addr, port);
		break;
	case TXGW_VTY_NO_PASSWORD:
		LOGP(DMAIN, LOGL_NOTICE, "VTY %s:%d refuses every session: it asks for a password and "
		     "the file sets none ('password' at the top level)\n", addr, port);
		break;
	case TXGW_VTY_LOGIN:
		break;
	}
}

static int start(struct daemon *d)
{
	struct gw *g = &d->gw;
	int rc = telnet_init_default(g->ctx, g->cfg, TXGW_DEFAULT_VTY_PORT);
	if (rc < 0) {
		LOGP(DMAIN, LOGL_ERROR, "cannot start the VTY telnet service: %s\n", strerror(-rc));
		return rc;
	}
	log_vty_login();
	rc = signals_init(d);
	if (rc < 0)
		return rc;
	rc = gw_start(g);
	if (rc < 0)
		return rc;
	/* the VTY's telnet server (libosmovty accepts on it) must not spin
	 * either when descriptors run out: ours guard themselves */
	rc = accept_guard_adopt_listeners(g->ctx, DMAIN);
	return rc < 0 ? rc : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct daemon d = { 0 };
	struct gw *g = &d.gw;

	parse_opts(argc, argv, &o);
	/* before any thread: curl_global_init() is not thread-safe (the mail
	 * downlink, gw_dl_mail.c) */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "txgw: libcurl does not initialise\n");
		return 1;
	}
	g->ctx = talloc_named_const(NULL, 0, "txgw");
	msgb_talloc_ctx_init(g->ctx, 0);
	osmo_init_logging2(g->ctx, &txgw_log_info);
	osmo_stats_init(g->ctx);

	if (load_config(g, o.config) < 0)
		return 1;
	if (o.check_only) {
		printf("%s: configuration OK\n", o.config);
		return 0;
	}
	if (start(&d) < 0) {
		LOGP(DMAIN, LOGL_ERROR, "start-up failed; see the messages above\n");
		gw_close(g);
		return 1;
	}
	LOGP(DMAIN, LOGL_NOTICE, "txgw %s '%s' running (config %s)\n", PACKAGE_VERSION, g->cfg->name,
	     o.config);
	/* Once the gateway has stopped (gw_stop(): binds unbound, what was in
	 * flight synced and answered), the last answers (deliver_sm_resp, 250)
	 * may still sit in write queues.  libosmocore's shutdown mode then
	 * serves the loop without timers until no fd waiting to write is
	 * writable; the turns do not block, so a peer that stopped reading
	 * cannot hold the exit up. */
	while (!osmo_select_shutdown_done()) {
		if (g->stopped && !osmo_select_shutdown_requested())
			osmo_select_shutdown_request();
		osmo_select_main(osmo_select_shutdown_requested() ? 1 : 0);
	}
	gw_close(g);
	if (g->exit_code)
		LOGP(DMAIN, LOGL_ERROR, "stopped after a failure (exit %d)\n", g->exit_code);
	else
		LOGP(DMAIN, LOGL_NOTICE, "stopped cleanly\n");
	curl_global_cleanup();
	return g->exit_code;
}
