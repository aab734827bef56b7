/*
 * test_config.c — the configuration file of doc/config.md through libosmovty:
 * the example file loads, every value lands where it should, what the
 * gateway writes back loads again unchanged, and every kind of bad line
 * stops loading with "FILE:LINE: what".
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <sys/stat.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/signal.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/vty.h>

#include "gateway/txgw_cfg.h"

static void *ctx;
static struct txgw_cfg *live;	/* what txgw_vty_init() was given */

static const struct log_info_cat cats[] = {
	[0] = { .name = "DMAIN", .description = "main", .enabled = 1, .loglevel = LOGL_NOTICE },
};
static const struct log_info log_info = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };

static struct vty_app_info app = {
	.name = "txgw-test",
	.version = "0",
	.config_is_consistent = txgw_vty_write_allowed,	/* as txgw.c */
};

/* Write text to a fresh file in the test's directory; returns its malloc'd
 * path. */
static char *tmpfile_with(const char *text)
{
	char *path;
	assert_true(asprintf(&path, "%s/config-XXXXXX", test_tmpdir()) > 0);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int load_text(struct txgw_cfg *cfg, const char *text, char *err, size_t cap)
{
	char *path = tmpfile_with(text);
	int rc = txgw_config_load(cfg, path, err, cap);
	unlink(path);
	free(path);
	return rc;
}

static void example_loads(void **state)
{
	char err[512] = "";
	struct txgw_cfg *c = txgw_cfg_alloc(ctx);
	int rc = txgw_config_load(c, TESTDATA_DIR "/../config/txgw.cfg", err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_string_equal(c->name, "gw1");
	assert_string_equal(c->state_dir, "/var/lib/txgw");
	assert_int_equal(c->clock_skew, 86400);
	assert_int_equal(c->txlog_port, 16354);
	assert_int_equal(c->concat_timeout, 600);
	assert_int_equal(c->concat_max_partial, 100000);
	assert_int_equal(c->concat_max_per_sender, 16);
	assert_int_equal(c->journal_keep, 1000000);
	assert_string_equal(c->registry, "/etc/txgw/devices.txt");
	assert_null(c->ca_file);
	struct esme_cfg *e = txgw_cfg_esme_find(c, "smsc1");
	assert_non_null(e);
	assert_string_equal(e->remote_ip, "127.0.0.1");
	assert_int_equal(e->remote_port, 2775);
	assert_string_equal(e->system_id, "txgw");
	assert_string_equal(e->password, "secret");
	assert_string_equal(e->system_type, "TXGW");
	assert_int_equal(e->bind_mode, ESME_BIND_TRANSCEIVER);
	assert_int_equal(e->window, 64);
	assert_int_equal(e->data_coding_1, ESME_DC1_ASCII);
	assert_true(c->smtp.enabled);
	assert_string_equal(c->smtp.addr, "127.0.0.1");
	assert_int_equal(c->smtp.port, 2525);
	assert_string_equal(c->smtp.domain, "txlog.example");
	assert_string_equal(c->bus_publish, "tcp://127.0.0.1:5560");
	assert_string_equal(c->bus_replay, "tcp://127.0.0.1:5561");
	assert_string_equal(c->bus_send, "tcp://127.0.0.1:5562");
	assert_true(c->downlink.enabled);
	assert_string_equal(c->downlink.source_addr, "16354");
	assert_int_equal(c->downlink.rate, 50);
	assert_int_equal(c->downlink.max_age, 86400);
	assert_true(c->downlink.plain_international);
	assert_int_equal(e->response_timeout, 30);
	assert_string_equal(c->stats_socket, "/run/txgw/stats.sock");
	talloc_free(c);
}

static const char full_cfg[] =
	"gateway\n"
	" name gw-round\n"
	" state-dir /tmp/txgw-state\n"
	" clock-skew 120\n"
	" txlog-port 2948\n"
	" concat-timeout 30\n"
	" concat-max-partial 2000\n"
	" concat-max-per-sender 4\n"
	" journal-keep 5000\n"
	"devices\n"
	" registry /tmp/devices.txt\n"
	" ca-file /tmp/ca.pem\n"
	"smpp\n"
	" esme a\n"
	"  remote-ip 10.0.0.1\n"
	"  remote-port 2776\n"
	"  system-id sysa\n"
	"  password pw\n"
	"  bind-mode receiver\n"
	"  window 8\n"
	"  enquire-link-interval 10\n"
	"  reconnect-interval 2\n"
	"  data-coding-1 gsm7\n"
	" esme b\n"
	"  remote-port 2777\n"
	"  bind-mode transmitter\n"
	"  response-timeout 7\n"
	"mail\n"
	" smtp-listen 127.0.0.1 2526\n"
	" smtp-domain mail.example\n"
	" smtp-max-size 4096\n"
	" smtp-tls certificate /tmp/c.pem key /tmp/k.pem\n"
	" smtp-max-sessions 7\n"
	" smtp-timeout command 30\n"
	" smtp-timeout final 45\n"
	" smtp-max-sessions-per-ip 4\n"
	" smtp-require-tls\n"
	" smtp-max-commands 50\n"
	" smtp-max-session-time 120\n"
	" smtp-min-data-rate 512 window 10\n"
	"downlink\n"
	" source-addr TXLOG\n"
	" rate 200\n"
	" max-age 600\n"
	" relay smtp://127.0.0.1:25\n"
	" relay-tls opportunistic\n"
	" relay-ca-file /tmp/relay-ca.pem\n"
	" mail-from gw@txlog.example\n"
	" plain-msisdn unknown\n"
	"bus\n"
	" publish tcp://0.0.0.0:6000\n"
	" replay tcp://127.0.0.1:6001\n"
	" curve-secret-key /tmp/bus.key\n"
	" curve-clients /tmp/bus-clients\n"
	" allow-plaintext\n"
	" send ipc:///tmp/txgw-send\n"
	"stats\n"
	" socket /tmp/txgw-stats.sock\n";

/* Remove a file libosmovty wrote, and the FILE.sav it keeps next to it. */
static void unlink_written(const char *path)
{
	char sav[256];
	snprintf(sav, sizeof(sav), "%s.sav", path);
	unlink(sav);
	unlink(path);
}

/* Load into the live configuration, write it with libosmovty's own "write
 * file" path, load that into a fresh struct, write again: same bytes. */
static void round_trip(void **state)
{
	char err[512] = "";
	assert_int_equal(load_text(live, full_cfg, err, sizeof(err)), 0);
	/* a directory of its own: "write file" leaves a .sav copy beside */
	char dir[PATH_MAX], out1[PATH_MAX + 16], out2[PATH_MAX + 16];
	test_mkdtemp(dir, sizeof(dir), "round_trip");
	snprintf(out1, sizeof(out1), "%s/write1.cfg", dir);
	snprintf(out2, sizeof(out2), "%s/write2.cfg", dir);
	assert_int_equal(osmo_vty_write_config_file(out1), 0);
	char *text1 = slurp(out1);
	assert_non_null(strstr(text1, " name gw-round\n"));
	assert_non_null(strstr(text1, " relay-ca-file /tmp/relay-ca.pem\n"));
	assert_non_null(strstr(text1, "  data-coding-1 gsm7\n"));
	assert_non_null(strstr(text1, " smtp-tls certificate /tmp/c.pem key /tmp/k.pem\n"));
	assert_non_null(strstr(text1, " esme b\n"));
	assert_non_null(strstr(text1, "\nbus\n publish tcp://0.0.0.0:6000\n replay tcp://127.0.0.1:6001\n"
				  " curve-secret-key /tmp/bus.key\n curve-clients /tmp/bus-clients\n"
				  " allow-plaintext\n"));
	assert_non_null(strstr(text1, " smtp-max-sessions-per-ip 4\n smtp-require-tls\n"
				      " smtp-max-commands 50\n smtp-max-session-time 120\n"
				      " smtp-min-data-rate 512 window 10\n"));

	struct txgw_cfg *again = txgw_cfg_alloc(ctx);
	assert_int_equal(txgw_config_load(again, out1, err, sizeof(err)), 0);
	assert_string_equal(again->name, "gw-round");
	assert_int_equal(again->clock_skew, 120);
	assert_int_equal(again->concat_max_partial, 2000);
	assert_int_equal(again->concat_max_per_sender, 4);
	assert_string_equal(again->ca_file, "/tmp/ca.pem");
	struct esme_cfg *a = txgw_cfg_esme_find(again, "a");
	assert_non_null(a);
	assert_int_equal(a->bind_mode, ESME_BIND_RECEIVER);
	assert_int_equal(a->data_coding_1, ESME_DC1_GSM7);
	assert_int_equal(txgw_cfg_esme_find(again, "b")->remote_port, 2777);
	assert_int_equal(txgw_cfg_esme_find(again, "b")->bind_mode, ESME_BIND_TRANSMITTER);
	assert_int_equal(txgw_cfg_esme_find(again, "b")->response_timeout, 7);
	assert_true(again->downlink.enabled);
	assert_string_equal(again->downlink.source_addr, "TXLOG");
	assert_int_equal(again->downlink.rate, 200);
	assert_int_equal(again->downlink.max_age, 600);
	assert_string_equal(again->downlink.relay, "smtp://127.0.0.1:25");
	assert_int_equal(again->downlink.relay_tls, TXGW_RELAY_TLS_OPPORTUNISTIC);
	assert_string_equal(again->downlink.mail_from, "gw@txlog.example");
	assert_false(again->downlink.plain_international);
	assert_string_equal(again->bus_send, "ipc:///tmp/txgw-send");
	assert_int_equal(again->smtp.max_sessions, 7);
	assert_int_equal(again->smtp.timeout_cmd, 30);
	assert_int_equal(again->smtp.timeout_data, TXGW_DEFAULT_SMTP_T_DATA);
	assert_int_equal(again->smtp.timeout_final, 45);
	assert_string_equal(again->smtp.tls_key, "/tmp/k.pem");
	assert_string_equal(again->bus_curve_secret, "/tmp/bus.key");
	assert_string_equal(again->bus_curve_clients, "/tmp/bus-clients");
	assert_true(again->bus_allow_plaintext);
	assert_int_equal(again->smtp.max_sessions_per_ip, 4);
	assert_true(again->smtp.require_tls);
	assert_int_equal(again->smtp.max_commands, 50);
	assert_int_equal(again->smtp.max_session_time, 120);
	assert_int_equal(again->smtp.min_data_rate, 512);
	assert_int_equal(again->smtp.min_data_window, 10);

	/* Swap the reloaded struct in as the live one and write it again. */
	struct txgw_cfg *old = live;
	txgw_vty_set_cfg(again);
	assert_int_equal(osmo_vty_write_config_file(out2), 0);
	char *text2 = slurp(out2);
	assert_string_equal(text1, text2);
	txgw_vty_set_cfg(old);
	talloc_free(again);
	test_rmtree(dir);
	free(text1);
	free(text2);
}

struct bad_case {
	const char *text;
	const char *want;	/* substring of the error */
};

static const struct bad_case bad_cases[] = {
	{ "gateway\n state-dir /x\n frobnicate 1\n", ":3: unknown command or invalid value: 'frobnicate 1'" },
	{ "gateway\n clock-skew many\n", ":2: unknown command" },
	{ "gateway\n txlog-port 70000\n", ":2: " },
	{ "gateway\n concat-max-per-sender 0\n", ":2: " },
	{ "smpp\n esme x\n  password waytoolongpassword\n", ":3: " },
	{ "smpp\n esme x\n  remote-ip 300.1.1.1\n", ":3: " },
	{ "bus\n publish nonsense\n", ":2: " },
	{ "smpp\n no esme nothere\n", ":2: " },
	{ "gateway\n name\n", ":2: incomplete command" },
	{ "downlink\n rate 0\n", ":2: " },
	{ "downlink\n source-addr TOOLONGSENDER\n", ":2: source-addr 'TOOLONGSENDER'" },
	{ "downlink\n source-addr +12a\n", ":2: source-addr" },
	{ "downlink\n relay http://x\n", ":2: relay 'http://x'" },
	{ "downlink\n mail-from nobody\n", ":2: mail-from 'nobody' is not a mailbox" },
	{ "bus\n send nonsense\n", ":2: " },
	{ "smpp\n esme x\n  response-timeout 0\n", ":3: " },
	{ "devices\n registry /x\n", "'state-dir' is required" },
	{ "gateway\n state-dir /x\n", "'registry' is required" },
	/* bus.md "Who may connect": the line of the endpoint */
	{ "gateway\n state-dir /x\ndevices\n registry /r\nbus\n publish tcp://0.0.0.0:6000\n",
	  ":6: 'publish tcp://0.0.0.0:6000' is reachable from other hosts" },
	{ "gateway\n state-dir /x\ndevices\n registry /r\nbus\n replay tcp://*:6001\n",
	  ":6: 'replay tcp://*:6001' is reachable from other hosts: without CURVE (curve-secret-key, "
	  "curve-clients) the bus binds to tcp://127.0.0.1, tcp://[::1] or ipc:// only, unless the "
	  "'bus' node says allow-plaintext (doc/bus.md)" },
	{ "gateway\n state-dir /x\ndevices\n registry /r\nbus\n publish tcp://127.0.0.1:1\n"
	  " replay tcp://192.0.2.7:6001\n", ":7: 'replay tcp://192.0.2.7:6001' is reachable" },
	/* the downlink's send socket is a bus socket too (downlink.md 1) */
	{ "gateway\n state-dir /x\ndevices\n registry /r\ndownlink\nbus\n send tcp://0.0.0.0:6002\n",
	  ":7: 'send tcp://0.0.0.0:6002' is reachable from other hosts" },
	{ "gateway\n state-dir /x\ndevices\n registry /r\nbus\n curve-secret-key /k\n",
	  ":6: curve-secret-key needs curve-clients" },
	{ "gateway\n state-dir /x\ndevices\n registry /r\nbus\n curve-clients /c\n",
	  ":6: curve-clients without curve-secret-key" },
	{ "gateway\n state-dir /x\ndevices\n registry /x\nmail\n smtp-listen 127.0.0.1 25\n"
	  " smtp-require-tls\n", "'smtp-require-tls' needs 'smtp-tls certificate FILE key FILE'" },
	{ "gateway\n state-dir /x\ndevices\n registry /x\ndownlink\n relay smtp://127.0.0.1:25\n",
	  "'relay' needs 'mail-from' in the 'downlink' node" },
	{ "mail\n smtp-max-sessions-per-ip -1\n", ":2: " },
	{ "mail\n smtp-min-data-rate 100 window 0\n", ":2: " },
};

/* What bus.md allows: loopback and ipc without CURVE; anything with CURVE
 * or allow-plaintext. */
static void bus_exposure(void **state)
{
	static const char *const ok[] = {
		"bus\n publish tcp://[::1]:6000\n replay ipc:///run/txgw/replay\n",
		"bus\n publish tcp://0.0.0.0:6000\n allow-plaintext\n",
		"bus\n publish tcp://0.0.0.0:6000\n curve-secret-key /k\n curve-clients /c\n",
		"bus\n allow-plaintext\n no allow-plaintext\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char err[512] = "", text[256];
		struct txgw_cfg *c = txgw_cfg_alloc(ctx);
		snprintf(text, sizeof(text), "gateway\n state-dir /x\ndevices\n registry /r\n%s", ok[i]);
		if (load_text(c, text, err, sizeof(err)))
			fail_msg("case %zu: %s", i, err);
		talloc_free(c);
	}
}

/* The defaults of the SMTP limits (doc/config.md), and the rate without
 * a window keeps the default window. */
static void smtp_limit_defaults(void **state)
{
	char err[512] = "";
	struct txgw_cfg *c = txgw_cfg_alloc(ctx);
	assert_int_equal(c->smtp.max_sessions_per_ip, 10);
	assert_false(c->smtp.require_tls);
	assert_int_equal(c->smtp.max_commands, 1000);
	assert_int_equal(c->smtp.max_session_time, 600);
	assert_int_equal(c->smtp.min_data_rate, 1024);
	assert_int_equal(c->smtp.min_data_window, 30);
	assert_int_equal(load_text(c, "gateway\n state-dir /x\ndevices\n registry /x\nmail\n"
				  " smtp-min-data-rate 2048\n", err, sizeof(err)), 0);
	assert_int_equal(c->smtp.min_data_rate, 2048);
	assert_int_equal(c->smtp.min_data_window, 30);
	talloc_free(c);
}

static void bad_lines(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		char err[512] = "";
		struct txgw_cfg *c = txgw_cfg_alloc(ctx);
		int rc = load_text(c, bad_cases[i].text, err, sizeof(err));
		print_message("%s\n", err);
		if (rc == 0 || !strstr(err, bad_cases[i].want))
			fail_msg("case %zu: rc %d, error '%s', wanted '%s'", i, rc, err,
				 bad_cases[i].want);
		talloc_free(c);
	}
}

static void missing_file(void **state)
{
	char err[512] = "";
	struct txgw_cfg *c = txgw_cfg_alloc(ctx);
	assert_true(txgw_config_load(c, "/nonexistent/txgw.cfg", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/txgw.cfg: No such file"));
	talloc_free(c);
}

/* A reload reads the file on the event loop: a FIFO in its place (which
 * would block open() until a writer came) or a device is refused at once.
 * alarm(): blocking fails the test instead of hanging it. */
static void not_a_regular_file(void **state)
{
	char dir[] = "/tmp/txgw-test-config-XXXXXX", path[64], err[512] = "";
	struct txgw_cfg *c = txgw_cfg_alloc(ctx);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/txgw.cfg", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(txgw_config_load(c, path, err, sizeof(err)), -ENXIO);
	assert_non_null(strstr(err, "/txgw.cfg: not a regular file (a FIFO)"));
	assert_int_equal(txgw_config_load(c, "/dev/zero", err, sizeof(err)), -ENXIO);
	assert_non_null(strstr(err, "/dev/zero: not a regular file (a character device)"));
	alarm(0);
	unlink(path);
	rmdir(dir);
	talloc_free(c);
}

/* A bad line must not have closed stdin (the loader's vty has no fd). */
static void stdin_survives(void **state)
{
	char err[512];
	struct txgw_cfg *c = txgw_cfg_alloc(ctx);
	load_text(c, "gateway\n bogus\n", err, sizeof(err));
	assert_true(fcntl(0, F_GETFD) >= 0);
	talloc_free(c);
}


/* A vty as a telnet session has one (VTY_TERM), in node. */
static struct vty *session(int node)
{
	struct vty *v = vty_new();
	assert_non_null(v);
	assert_non_null(v->buf);
	v->type = VTY_TERM;
	v->node = node;
	return v;
}

static void session_close(struct vty *v)
{
	buffer_reset(v->obuf);
	v->type = VTY_FILE;
	v->fd = -1;
	vty_close(v);
}

/* One line on the session, as vty_read() runs it: its result, and what it
 * printed in said. */
static int session_cmd(struct vty *v, const char *line, char *said, size_t cap)
{
	snprintf(v->buf, VTY_BUFSIZ, "%s", line);
	vector vl = cmd_make_strvec(line);
	int rc = cmd_execute_command(vl, v, NULL, 0);
	cmd_free_strvec(vl);
	char *out = buffer_getstr(v->obuf);
	buffer_reset(v->obuf);
	snprintf(said, cap, "%s", out ? out : "");
	talloc_free(out);
	return rc;
}

/* config.md: registry, ca-file and state-dir come from the file only; on a
 * session the command says so and changes nothing, while the other
 * commands of the same nodes still work. */
static void trust_locked_on_session(void **state)
{
	static const char *const cases[][2] = {
		{ "gateway", "state-dir /tmp/evil-state" },
		{ "devices", "registry /tmp/evil-devices.txt" },
		{ "devices", "ca-file /tmp/evil-ca.pem" },
		{ "devices", "no ca-file" },
		{ "downlink", "relay-ca-file /tmp/evil-relay-ca.pem" },
		{ "downlink", "no relay-ca-file" },
		{ "bus", "curve-secret-key /tmp/evil.key" },
		{ "bus", "no curve-secret-key" },
		{ "bus", "curve-clients /tmp/evil-clients" },
		{ "bus", "no curve-clients" },
		{ "bus", "no allow-plaintext" },
	};
	char err[512] = "", said[512];
	assert_int_equal(load_text(live, full_cfg, err, sizeof(err)), 0);
	struct vty *v = session(CONFIG_NODE);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		v->node = CONFIG_NODE;
		assert_int_equal(session_cmd(v, cases[i][0], said, sizeof(said)), CMD_SUCCESS);
		assert_int_equal(session_cmd(v, cases[i][1], said, sizeof(said)), CMD_WARNING);
		print_message("%s: %s", cases[i][1], said);
		assert_non_null(strstr(said, "is read from"));
		/* one wording for every setting of trust (gw_vty_trust.c) */
		assert_non_null(strstr(said, "at start-up and on a reload; edit the file"));
	}
	assert_string_equal(live->state_dir, "/tmp/txgw-state");
	assert_string_equal(live->registry, "/tmp/devices.txt");
	assert_string_equal(live->ca_file, "/tmp/ca.pem");
	assert_string_equal(live->downlink.relay_ca_file, "/tmp/relay-ca.pem");
	assert_string_equal(live->bus_curve_secret, "/tmp/bus.key");
	assert_string_equal(live->bus_curve_clients, "/tmp/bus-clients");
	assert_true(live->bus_allow_plaintext);

	v->node = CONFIG_NODE;
	assert_int_equal(session_cmd(v, "gateway", said, sizeof(said)), CMD_SUCCESS);
	assert_int_equal(session_cmd(v, "clock-skew 77", said, sizeof(said)), CMD_SUCCESS);
	assert_int_equal(live->clock_skew, 77);
	session_close(v);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* The end of a session's read, where libosmovty signals S_VTY_EVENT. */
static void end_of_read(struct vty *v)
{
	struct vty_signal_data sd = { .event = VTY_READ, .sock = -1, .vty = v };
	osmo_signal_dispatch(SS_L_VTY, S_VTY_EVENT, &sd);
}

/* config.md: "write" writes only the file the gateway was started with,
 * in every spelling libosmovty offers, and leaves it as private as it was. */
static void write_only_start_file(void **state)
{
	char err[512] = "", said[512], line[PATH_MAX + 32], other[PATH_MAX + 8];
	char *start = tmpfile_with("! to be written\n");	/* mode 0600 */
	char dir[PATH_MAX];
	test_mkdtemp(dir, sizeof(dir), "other");
	snprintf(other, sizeof(other), "%s/x", dir);
	assert_int_equal(load_text(live, full_cfg, err, sizeof(err)), 0);
	txgw_vty_set_start_file(start);
	host_config_set(start);
	struct vty *v = session(ENABLE_NODE);

	static const char *const refused[] = { "write file %s", "wr f %s", "write   file %s" };
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		snprintf(line, sizeof(line), refused[i], other);
		assert_int_equal(session_cmd(v, line, said, sizeof(said)), CMD_WARNING);
		print_message("%s: %s", line, said);
		assert_non_null(strstr(said, "write writes only"));
		assert_int_not_equal(access(other, F_OK), 0);
	}
	assert_string_equal(host_config_file(), start);

	static const char *const allowed[] = { "write", "write memory", "write file",
		"copy running-config startup-config", "write file %s" };
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		snprintf(line, sizeof(line), allowed[i], start);
		assert_int_equal(session_cmd(v, line, said, sizeof(said)), CMD_SUCCESS);
		end_of_read(v);
		assert_int_equal(mode_of(start), 0600);
	}
	char *text = slurp(start);
	assert_non_null(strstr(text, " name gw-round\n"));
	assert_int_not_equal(access(other, F_OK), 0);

	session_close(v);
	txgw_vty_set_start_file(NULL);
	unlink_written(start);
	test_rmtree(dir);
	free(text);
	free(start);
}

int main(int argc, char **argv)
{
	ctx = talloc_named_const(NULL, 0, "test_config");
	osmo_init_logging2(ctx, &log_info);
	log_set_print_category(osmo_stderr_target, 0);
	vty_init(&app);
	logging_vty_add_cmds();
	live = txgw_cfg_alloc(ctx);
	txgw_vty_init(live);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(example_loads),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(bad_lines),
		cmocka_unit_test(bus_exposure),
		cmocka_unit_test(smtp_limit_defaults),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(not_a_regular_file),
		cmocka_unit_test(stdin_survives),
		cmocka_unit_test(trust_locked_on_session),
		cmocka_unit_test(write_only_start_file),
	};
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
