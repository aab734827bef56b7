/*
 * smtp_srv.c — the SMTP service (mail/smtp.c) with a fake gateway, for
 * tests/tools/smtp.sh.
 *
 *   smtp_srv --out DIR --ready FILE [--listen ADDR] [--port N] [--domain D]
 *            [--max-size N] [--max-sessions N] [--tls-cert F --tls-key F]
 *            [--delay-ms N] [--cmd-timeout-ms N] [--data-timeout-ms N]
 *            [--final-timeout-ms N] [--seconds S]
 *
 * Each mail handed over is written to DIR/NNNN.eml (the bytes exactly)
 * and DIR/NNNN.env ("from <x>", "rcpt <y>" lines, then "answer CODE"),
 * and answered after --delay-ms: 451 4.3.0 when its Subject holds "[451]",
 * 554 5.6.0 for "[554]", no answer at all for "[hang]", else 250 2.0.0.
 * Once listening it writes the port to FILE (the readiness signal); it
 * runs until SIGTERM or S seconds.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/lib/logging.h"
#include "gateway/txgw_cfg.h"
#include "mail/smtp.h"

struct fake_gw {
	void *ctx;
	const char *out;
	unsigned delay_ms;
	unsigned n;
	struct llist_head pending;
};

struct answer {
	struct llist_head list;
	struct fake_gw *gw;
	struct smtp_deliver *d;
	struct osmo_timer_list t;
	int code;
};

static volatile sig_atomic_t stop;

/* A wake-up each second, so that --seconds ends an idle server too. */
static void tick_cb(void *data)
{
	osmo_timer_schedule(data, 1, 0);
}

static void on_signal(int sig)
{
	stop = 1;
}

/* The Subject header's value in the header block, or NULL. */
static const char *subject(const uint8_t *msg, size_t len, char *buf, size_t cap)
{
	size_t i = 0;

	while (i < len) {
		size_t e = i;
		while (e < len && msg[e] != '\n')
			e++;
		if (e == i || (e == i + 1 && msg[i] == '\r'))
			break;	/* the end of the header block */
		if (e - i > 8 && !strncasecmp((const char *)msg + i, "Subject:", 8)) {
			snprintf(buf, cap, "%.*s", (int)(e - i - 8), (const char *)msg + i + 8);
			return buf;
		}
		i = e + 1;
	}
	return NULL;
}

static void answer_cb(void *data)
{
	struct answer *a = data;

	if (a->code == 250)
		smtp_deliver_done(a->d, 250, "2.0.0", "Ok: journalled");
	else if (a->code == 451)
		smtp_deliver_done(a->d, 451, "4.3.0", "Journal unavailable, try again later");
	else
		smtp_deliver_done(a->d, 554, "5.6.0", "No TXLOG frame in this mail");
	llist_del(&a->list);
	talloc_free(a);
}

static int write_mail(struct fake_gw *gw, unsigned n, const char *from, const char *const *rcpts,
		      unsigned n_rcpts, const uint8_t *msg, size_t len, int code)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%04u.eml", gw->out, n);
	f = fopen(path, "wb");
	if (!f || fwrite(msg, 1, len, f) != len || fclose(f))
		return -EIO;
	snprintf(path, sizeof(path), "%s/%04u.env", gw->out, n);
	f = fopen(path, "w");
	if (!f)
		return -EIO;
	fprintf(f, "from <%s>\n", from);
	for (unsigned i = 0; i < n_rcpts; i++)
		fprintf(f, "rcpt <%s>\n", rcpts[i]);
	fprintf(f, "answer %d\n", code);
	return fclose(f) ? -EIO : 0;
}

static void deliver(void *data, const char *from, const char *const *rcpts, unsigned n_rcpts,
		    const uint8_t *msg, size_t len, struct smtp_deliver *d)
{
	struct fake_gw *gw = data;
	struct answer *a;
	char sbuf[256];
	const char *subj = subject(msg, len, sbuf, sizeof(sbuf));
	int code = 250;

	if (subj && strstr(subj, "[451]"))
		code = 451;
	else if (subj && strstr(subj, "[554]"))
		code = 554;
	else if (subj && strstr(subj, "[hang]"))
		code = 0;
	if (write_mail(gw, ++gw->n, from, rcpts, n_rcpts, msg, len, code))
		code = 451;
	if (!code)
		return;	/* never answered: the session's final timeout */
	a = talloc_zero(gw->ctx, struct answer);
	a->gw = gw;
	a->d = d;
	a->code = code;
	llist_add_tail(&a->list, &gw->pending);
	osmo_timer_setup(&a->t, answer_cb, a);
	osmo_timer_schedule(&a->t, gw->delay_ms / 1000, (gw->delay_ms % 1000) * 1000);
}

static const struct smtp_ops ops = { deliver };

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s --out DIR --ready FILE [--listen ADDR] [--port N] [--domain D] "
		"[--max-size N] [--max-sessions N] [--tls-cert F --tls-key F] [--delay-ms N] "
		"[--cmd-timeout-ms N] [--data-timeout-ms N] [--final-timeout-ms N] [--seconds S]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "out", 1, NULL, 'o' }, { "ready", 1, NULL, 'r' }, { "listen", 1, NULL, 'l' },
		{ "port", 1, NULL, 'p' }, { "domain", 1, NULL, 'd' }, { "max-size", 1, NULL, 'm' },
		{ "max-sessions", 1, NULL, 'n' }, { "tls-cert", 1, NULL, 'c' },
		{ "tls-key", 1, NULL, 'k' }, { "delay-ms", 1, NULL, 'w' },
		{ "cmd-timeout-ms", 1, NULL, 'C' }, { "data-timeout-ms", 1, NULL, 'D' },
		{ "final-timeout-ms", 1, NULL, 'F' }, { "seconds", 1, NULL, 's' }, { 0 }
	};
	struct smtp_timeouts to = { SMTP_TIMEOUT_CMD_MS, SMTP_TIMEOUT_DATA_MS, SMTP_TIMEOUT_FINAL_MS,
				    SMTP_SESSION_MS, SMTP_RATE_WINDOW_MS, SMTP_MIN_RATE };
	void *ctx = talloc_named_const(NULL, 0, "smtp_srv");
	struct txgw_cfg *cfg = txgw_cfg_alloc(ctx);
	struct fake_gw gw = { .ctx = ctx, .delay_ms = 20 };
	struct answer *a, *tmp;
	const char *ready = NULL;
	unsigned seconds = 600;
	struct smtp_srv *srv;
	struct sigaction sa = { .sa_handler = on_signal };
	struct osmo_timer_list tick;
	FILE *f;
	int c;

	cfg->smtp.enabled = true;
	cfg->smtp.addr = talloc_strdup(cfg, "127.0.0.1");
	cfg->smtp.domain = talloc_strdup(cfg, "txlog.example");
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'o': gw.out = optarg; break;
		case 'r': ready = optarg; break;
		case 'l': cfg->smtp.addr = talloc_strdup(cfg, optarg); break;
		case 'p': cfg->smtp.port = (uint16_t)atoi(optarg); break;
		case 'd': cfg->smtp.domain = talloc_strdup(cfg, optarg); break;
		case 'm': cfg->smtp.max_size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'n': cfg->smtp.max_sessions = (unsigned)atoi(optarg); break;
		case 'c': cfg->smtp.tls_cert = talloc_strdup(cfg, optarg); break;
		case 'k': cfg->smtp.tls_key = talloc_strdup(cfg, optarg); break;
		case 'w': gw.delay_ms = (unsigned)atoi(optarg); break;
		case 'C': to.cmd_ms = (unsigned)atoi(optarg); break;
		case 'D': to.data_ms = (unsigned)atoi(optarg); break;
		case 'F': to.final_ms = (unsigned)atoi(optarg); break;
		case 's': seconds = (unsigned)atoi(optarg); break;
		default: return usage(argv[0]);
		}
	}
	if (!gw.out || !ready)
		return usage(argv[0]);
	INIT_LLIST_HEAD(&gw.pending);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	osmo_init_logging2(ctx, &txgw_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	log_set_category_filter(osmo_stderr_target, DSMTP, 1, LOGL_DEBUG);

	/* the reason is on stderr already (DSMTP) */
	if (smtp_srv_open(ctx, &cfg->smtp, &ops, &gw, NULL, &srv) < 0)
		return 1;
	smtp_srv_set_timeouts(srv, &to);
	f = fopen(ready, "w");
	if (!f || fprintf(f, "%u\n", smtp_srv_port(srv)) < 0 || fclose(f))
		return 1;
	osmo_timer_setup(&tick, tick_cb, &tick);
	osmo_timer_schedule(&tick, 1, 0);
	for (time_t end = time(NULL) + seconds; !stop && time(NULL) < end;)
		osmo_select_main(0);
	osmo_timer_del(&tick);

	smtp_srv_close(srv);
	llist_for_each_entry_safe(a, tmp, &gw.pending, list) {
		osmo_timer_del(&a->t);
		smtp_deliver_done(a->d, 451, "4.3.0", "shutting down");	/* goes nowhere */
		llist_del(&a->list);
	}
	fprintf(stderr, "smtp_srv: %u mails, exiting\n", gw.n);
	log_fini();
	talloc_free(ctx);
	return 0;
}
