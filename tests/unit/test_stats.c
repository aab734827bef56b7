/*
 * test_stats — the stats socket: every command of doc/stats.md, answered
 * over a real UNIX socket served by the osmo_select loop; the socket file
 * has mode 0660 from the moment bind() makes it (bind() is wrapped here to
 * look, under a umask of 0).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>

#include "gateway/lib/counters.h"
#include "gateway/lib/json.h"
#include "gateway/stats.h"
#include "tests/unit/log_capture.h"

/* The mode of the last UNIX socket file right after bind() made it: this
 * bind() takes the place of libc's for libosmocore's call too. */
static int bound_mode = -1;

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*real_bind)(int, const struct sockaddr *, socklen_t);
	struct stat st;
	int rc;

	if (!real_bind)
		real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	rc = real_bind(fd, sa, len);
	if (rc == 0 && sa->sa_family == AF_UNIX &&
	    stat(((const struct sockaddr_un *)sa)->sun_path, &st) == 0)
		bound_mode = (int)(st.st_mode & 0777);
	return rc;
}

struct fixture {
	void *ctx;
	char dir[96];
	char path[108];		/* sun_path's size */
	struct rate_ctr_group *ctrs;
	struct stats_sock *s;
	int reload_result;
	bool forced;
};

static void info_cb(void *data, struct jw *w)
{
	jw_kuint(w, "journal_seq", 41);
	jw_kuint(w, "journal_oldest", 1);
}

static void binds_cb(void *data, struct jw *w)
{
	jw_obj_open(w);
	jw_kstr(w, "name", "smsc1");
	jw_kstr(w, "state", "bound");
	jw_obj_close(w);
}

static long reload_cb(void *data, bool force, char *msg, size_t cap)
{
	struct fixture *f = data;
	f->forced = force;
	if (f->reload_result >= 0 || f->reload_result == -EINPROGRESS)
		return f->reload_result;
	snprintf(msg, cap, "devices.txt:3: bad device_id");
	return -EINVAL;
}

static unsigned gauges_cb(void *data, struct stats_gauge *g, unsigned max)
{
	assert_true(max >= 1);
	g[0] = (struct stats_gauge){ "downlink.pending", "messages waiting", 7 };
	return 1;
}

static const struct stats_ops ops = { info_cb, binds_cb, reload_cb, gauges_cb };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->ctx = talloc_named_const(NULL, 0, "test_stats");
	test_mkdtemp(f->dir, sizeof(f->dir), "fx");
	snprintf(f->path, sizeof(f->path), "%s/stats.sock", f->dir);
	f->ctrs = rate_ctr_group_alloc(f->ctx, &txgw_ctrg_desc, 0);
	assert_non_null(f->ctrs);
	assert_int_equal(stats_sock_open(f->ctx, f->path, "gw-test", "9.9", f->ctrs, &ops, f, &f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	stats_sock_close(f->s);
	rate_ctr_group_free(f->ctrs);
	assert_int_equal(access(f->path, F_OK), -1);	/* socket file removed */
	talloc_free(f->ctx);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Read the whole answer on fd, running the loop. */
static char *read_answer(int fd)
{
	static char buf[65536];
	size_t len = 0;

	for (int i = 0; i < 1000; i++) {
		osmo_select_main(1);
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* A connection that has sent cmd. */
static int connect_send(struct fixture *f, const char *cmd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	return fd;
}

/* Connect, send cmd, run the loop until the gateway closes; return the answer. */
static char *ask(struct fixture *f, const char *cmd)
{
	int fd = connect_send(f, cmd);

	if (!strchr(cmd, '\n'))
		shutdown(fd, SHUT_WR);	/* the end of input ends the command */
	return read_answer(fd);
}

static void test_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	/* and so it was when bind() made it: no chmod() after, no window
	 * with the mode the umask (0 here) gives */
	assert_int_equal(bound_mode, 0660);
	assert_int_equal(umask(0), 0);	/* the process's umask is back */
}

static void test_show_info(void **state)
{
	struct fixture *f = *state;
	char want[128];
	char *a = ask(f, "show info\n");
	snprintf(want, sizeof(want), "{\"name\":\"gw-test\",\"version\":\"9.9\",\"pid\":%d,\"uptime_s\":", getpid());
	assert_memory_equal(a, want, strlen(want));
	assert_non_null(strstr(a, ",\"journal_seq\":41,\"journal_oldest\":1}\n"));
}

static void test_show_stats(void **state)
{
	struct fixture *f = *state;
	rate_ctr_inc2(f->ctrs, TXGW_CTR_SMPP_PDUS_RX);
	rate_ctr_inc2(f->ctrs, TXGW_CTR_SMPP_PDUS_RX);
	rate_ctr_inc2(f->ctrs, TXGW_CTR_JOURNAL_SYNCS);
	char *a = ask(f, "show stats\r\n");
	assert_memory_equal(a, "{\"smpp.pdus_rx\":2,", 18);
	/* every counter stats.md requires is there */
	static const char *const required[] = {
		"smpp.pdus_rx", "smpp.deliver_sm", "smpp.generic_nack_tx", "smpp.reconnects",
		"sms.segments", "sms.messages", "sms.concat_timeouts", "sms.duplicate_parts", "smtp.sessions",
		"smtp.messages", "smtp.rejected", "txlog.frames", "txlog.records",
		"txlog.duplicates", "txlog.repeated_records", "txlog.late_records",
		"txlog.stale_records", "txlog.rejects", "txlog.alerts", "bus.published",
		"journal.syncs", "downlink.queued", "downlink.submitted", "downlink.delivered",
		"downlink.failed", "downlink.retries", "downlink.receipts_unmatched", "smpp.submit_sm",
		"downlink.pending",
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char key[64];
		snprintf(key, sizeof(key), "\"%s\":", required[i]);
		assert_non_null(strstr(a, key));
	}
	assert_non_null(strstr(a, "\"journal.syncs\":1"));
	assert_non_null(strstr(a, "\"downlink.pending\":7}"));
	assert_string_equal(a + strlen(a) - 2, "}\n");
}

static void test_show_metrics(void **state)
{
	struct fixture *f = *state;
	rate_ctr_inc2(f->ctrs, TXGW_CTR_TXLOG_RECORDS);
	char *a = ask(f, "show metrics\n");
	assert_non_null(strstr(a, "# TYPE txgw_txlog_records counter\ntxgw_txlog_records 1\n"));
	assert_non_null(strstr(a, "\ntxgw_smpp_generic_nack_tx 0\n"));
	assert_null(strstr(a, "txgw_smpp.pdus_rx"));
	assert_non_null(strstr(a, "# TYPE txgw_downlink_pending gauge\ntxgw_downlink_pending 7\n"));
}

static void test_show_binds(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(ask(f, "show binds\n"), "[{\"name\":\"smsc1\",\"state\":\"bound\"}]\n");
}

static void test_reload(void **state)
{
	struct fixture *f = *state;
	f->reload_result = 1234;
	assert_string_equal(ask(f, "reload registry\n"), "ok 1234\n");
	assert_false(f->forced);
	f->reload_result = -1;
	assert_string_equal(ask(f, "reload registry\n"), "error devices.txt:3: bad device_id\n");
	f->reload_result = 0;
	assert_string_equal(ask(f, "reload  registry force\n"), "ok 0\n");
	assert_true(f->forced);
	assert_string_equal(ask(f, "reload registry now\n"), "error unknown command\n");
}

/* Send cmd on a new connection; the loop runs a little: no answer yet. */
static int send_waiting(struct fixture *f, const char *cmd)
{
	int fd = connect_send(f, cmd);
	char b;

	for (int i = 0; i < 20; i++)
		osmo_select_main(1);
	assert_int_equal(read(fd, &b, 1), -1);
	assert_int_equal(errno, EAGAIN);
	return fd;
}

/* A reload that goes on (-EINPROGRESS): its connection is answered when
 * stats_reload_done() comes, and others are served meanwhile. */
static void test_reload_waits(void **state)
{
	struct fixture *f = *state;
	int a, b;

	f->reload_result = -EINPROGRESS;
	a = send_waiting(f, "reload registry\n");
	assert_memory_equal(ask(f, "show info\n"), "{\"name\":", 8);
	stats_reload_done(f->s, 1000050, NULL);
	assert_string_equal(read_answer(a), "ok 1000050\n");

	a = send_waiting(f, "reload registry force\n");
	assert_true(f->forced);
	stats_reload_done(f->s, -EINVAL, "devices.txt: no keys");
	assert_string_equal(read_answer(a), "error devices.txt: no keys\n");

	/* a client that went away while it waited; one still waiting when
	 * the socket closes (teardown) */
	a = send_waiting(f, "reload registry\n");
	close(a);
	stats_reload_done(f->s, 3, NULL);
	for (int i = 0; i < 20; i++)
		osmo_select_main(1);
	b = send_waiting(f, "reload registry\n");
	close(b);
}

static void test_unknown_and_odd_input(void **state)
{
	struct fixture *f = *state;
	assert_string_equal(ask(f, "show everything\n"), "error unknown command\n");
	assert_string_equal(ask(f, "\n"), "error unknown command\n");
	/* blanks folded; a client that closes its write side without a newline */
	assert_memory_equal(ask(f, "  show   binds  "), "[{", 2);
	/* over-long line: answered, not buffered without bound */
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(ask(f, big), "error unknown command\n");
	/* the socket still serves afterwards */
	assert_memory_equal(ask(f, "show info\n"), "{\"name\":", 8);
}

/* A socket that cannot be made says where and why, in the log. */
static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct stats_sock *s = NULL;
	char path[160];

	snprintf(path, sizeof(path), "%s/no/such/dir/stats.sock", f->dir);
	log_capture_reset();
	assert_int_equal(stats_sock_open(f->ctx, path, "gw-test", "9.9", f->ctrs, &ops, f, &s), -ENOENT);
	assert_null(s);
	assert_true(log_capture_has("/no/such/dir/stats.sock: No such file or directory"));
	assert_true(log_capture_has("cannot open the stats socket "));
}

int main(int argc, char **argv)
{
	umask(0);	/* the most open a daemon could be started with */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_binds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_odd_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};
	log_capture_start(NULL);
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("stats", tests, NULL, NULL));
}
