/*
 * test_bus_zap.c — CURVE on the bus (bus.md "Who may connect"): key files
 * (gateway/lib/keyfile.c), key sets, and the bus over real sockets on
 * 127.0.0.1 with a CURVE secret key: a listed client gets replay, an
 * unlisted one and a plain one are refused and counted, a new key set
 * takes effect for new connections.  Key files live in the program's
 * temporary directory (tests/unit/cmocka_main.h), removed at exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <zmq.h>

#include "gateway/bus/bus.h"
#include "gateway/lib/keyfile.h"
#include "gateway/lib/logging.h"

#define DEADLINE_S	10

static const char *dir;

static const char *path_of(const char *name)
{
	static char p[4][PATH_MAX];
	static unsigned i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static const char *write_file(const char *name, mode_t mode, const char *text)
{
	const char *p = path_of(name);
	FILE *f;

	unlink(p);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static int add_cb(void *arg, const uint8_t key[KEY_LEN])
{
	(*(int *)arg)++;
	return 0;
}

/* ---- key files ---- */

static void test_z85(void **state)
{
	uint8_t k[KEY_LEN], k2[KEY_LEN];
	char z[KEY_Z85_LEN + 1], pub[KEY_Z85_LEN + 1], sec[KEY_Z85_LEN + 1];

	assert_int_equal(zmq_curve_keypair(pub, sec), 0);
	assert_int_equal(key_z85_decode(pub, strlen(pub), k), 0);
	key_z85_encode(k, z);
	assert_string_equal(z, pub);
	assert_int_equal(key_z85_decode(z, strlen(z), k2), 0);
	assert_memory_equal(k, k2, KEY_LEN);
	/* length, alphabet, overflow of a group of 5 */
	assert_int_equal(key_z85_decode(pub, 39, k), -EINVAL);
	z[3] = ' ';
	assert_int_equal(key_z85_decode(z, 40, k), -EINVAL);
	z[3] = '"';
	assert_int_equal(key_z85_decode(z, 40, k), -EINVAL);
	memcpy(z, "#####", 5);
	assert_int_equal(key_z85_decode(z, 40, k), -EINVAL);
	assert_int_equal(key_z85_decode(NULL, 40, k), -EINVAL);
}

static void test_keyfile(void **state)
{
	char pub[KEY_Z85_LEN + 1], sec[KEY_Z85_LEN + 1], text[512], err[256];
	uint8_t key[KEY_LEN];
	int n = 0;

	assert_int_equal(zmq_curve_keypair(pub, sec), 0);
	/* comments, blank lines, white space around a key; a line of '#'
	 * and 39 Z85 characters is a comment: no key starts with '#' (a
	 * 32-bit group of 5 Z85 digits starts with at most the 83rd, '%') */
	snprintf(text, sizeof(text), "# comment\n\n  %s \t\n#%.39s\r\n", pub, sec);
	const char *p = write_file("clients", 0644, text);
	assert_int_equal(keyfile_read(p, false, add_cb, &n, err, sizeof(err)), 1);
	assert_int_equal(n, 1);

	/* errors name the file and the line */
	snprintf(text, sizeof(text), "# ok\n%s\n%.39s\n", pub, pub);
	p = write_file("short", 0644, text);
	assert_int_equal(keyfile_read(p, false, add_cb, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "short:3: not a 40-character Z85 key"));
	assert_int_equal(keyfile_read(path_of("missing"), false, add_cb, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "missing: No such file"));

	/* only a regular file is read: a FIFO in its place (open() would
	 * wait for a writer, on the reload's thread or at start-up) or a
	 * device is refused at once; alarm(): a hang fails the test */
	const char *fifo = path_of("fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);
	assert_int_equal(keyfile_read(fifo, false, add_cb, &n, err, sizeof(err)), -ENXIO);
	assert_non_null(strstr(err, "fifo: not a regular file (a FIFO)"));
	assert_int_equal(keyfile_read_secret(fifo, key, err, sizeof(err)), -ENXIO);
	assert_int_equal(keyfile_read("/dev/zero", false, add_cb, &n, err, sizeof(err)), -ENXIO);
	assert_non_null(strstr(err, "/dev/zero: not a regular file (a character device)"));
	assert_int_equal(keyfile_read(dir, false, add_cb, &n, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, ": not a regular file (a directory)"));
	alarm(0);

	/* a secret key: owner only, exactly one key */
	snprintf(text, sizeof(text), "# secret\n%s\n", sec);
	p = write_file("sec", 0640, text);
	assert_int_equal(keyfile_read_secret(p, key, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "sec: a secret key must be readable by its owner only (mode 0640"));
	chmod(p, 0604);
	assert_int_equal(keyfile_read_secret(p, key, err, sizeof(err)), -EPERM);
	chmod(p, 0600);
	assert_int_equal(keyfile_read_secret(p, key, err, sizeof(err)), 0);
	uint8_t want[KEY_LEN];
	assert_int_equal(key_z85_decode(sec, KEY_Z85_LEN, want), 0);
	assert_memory_equal(key, want, KEY_LEN);
	snprintf(text, sizeof(text), "%s\n%s\n", sec, pub);
	p = write_file("two", 0600, text);
	assert_int_equal(keyfile_read_secret(p, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "two: 2 keys"));
	p = write_file("none", 0600, "# nothing\n");
	assert_int_equal(keyfile_read_secret(p, key, err, sizeof(err)), -EINVAL);
}

static void test_keyset(void **state)
{
	char pub[3][KEY_Z85_LEN + 1], sec[KEY_Z85_LEN + 1], text[512], err[256];
	struct bus_keyset *ks = NULL;
	uint8_t k[KEY_LEN];

	for (int i = 0; i < 3; i++)
		assert_int_equal(zmq_curve_keypair(pub[i], sec), 0);
	snprintf(text, sizeof(text), "%s\n%s\n%s\n", pub[1], pub[0], pub[1]);
	const char *p = write_file("set", 0644, text);
	assert_int_equal(bus_keyset_load(NULL, p, &ks, err, sizeof(err)), 0);
	assert_int_equal(bus_keyset_count(ks), 2);	/* the duplicate counts once */
	for (int i = 0; i < 3; i++) {
		key_z85_decode(pub[i], KEY_Z85_LEN, k);
		assert_int_equal(bus_keyset_has(ks, k), i < 2);
	}
	talloc_free(ks);
	p = write_file("empty", 0644, "");
	assert_int_equal(bus_keyset_load(NULL, p, &ks, err, sizeof(err)), 0);
	assert_int_equal(bus_keyset_count(ks), 0);
	assert_false(bus_keyset_has(ks, k));
	talloc_free(ks);
}

/* ---- the bus with CURVE ---- */

static void st_range(void *data, uint64_t *oldest, uint64_t *next)
{
	*oldest = 1;
	*next = 3;
}

static int st_fetch(void *data, uint64_t from, unsigned max,
		    int (*emit)(void *arg, const char *topic, const char *payload, size_t len),
		    void *arg)
{
	int rc = emit(arg, "txlog.record", "{\"seq\":1}", 9);
	return rc ? rc : 1;
}

static const struct bus_replay_ops st_ops = { st_range, st_fetch };

struct fx {
	struct bus *bus;
	void *zctx;
	char rep_ep[64];
	char srv_pub[KEY_Z85_LEN + 1];
	char a_pub[KEY_Z85_LEN + 1], a_sec[KEY_Z85_LEN + 1];
	char b_pub[KEY_Z85_LEN + 1], b_sec[KEY_Z85_LEN + 1];
	void *socks[8];
	unsigned n;
};

static int setup(void **state)
{
	struct fx *f = talloc_zero(NULL, struct fx);
	char srv_sec[KEY_Z85_LEN + 1], err[256];
	uint8_t secret[KEY_LEN];
	struct bus_keyset *ks = NULL;

	assert_int_equal(zmq_curve_keypair(f->srv_pub, srv_sec), 0);
	assert_int_equal(zmq_curve_keypair(f->a_pub, f->a_sec), 0);
	assert_int_equal(zmq_curve_keypair(f->b_pub, f->b_sec), 0);
	assert_int_equal(key_z85_decode(srv_sec, KEY_Z85_LEN, secret), 0);
	char text[128];
	snprintf(text, sizeof(text), "# a only\n%s\n", f->a_pub);
	assert_int_equal(bus_keyset_load(f, write_file("clients", 0644, text), &ks, err, sizeof(err)), 0);
	struct bus_cfg cfg = { .publish = "tcp://127.0.0.1:*", .replay = "tcp://127.0.0.1:*",
			       .curve_secret = secret, .clients = ks };
	assert_int_equal(bus_open(f, &cfg, &st_ops, NULL, &f->bus), 0);
	assert_int_equal(bus_endpoint(f->bus, 1, f->rep_ep, sizeof(f->rep_ep)), 0);
	f->zctx = zmq_ctx_new();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int zero = 0;

	for (unsigned i = 0; i < f->n; i++) {
		zmq_setsockopt(f->socks[i], ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(f->socks[i]);
	}
	zmq_ctx_term(f->zctx);
	bus_close(f->bus);
	talloc_free(f);
	return 0;
}

/* A DEALER on the replay socket, CURVE with (pub, sec) unless NULL, that
 * has sent ["REPLAY", "1", "1"]. */
static void *client(struct fx *f, const char *pub, const char *sec)
{
	void *d = zmq_socket(f->zctx, ZMQ_DEALER);

	f->socks[f->n++] = d;
	if (pub) {
		assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, f->srv_pub, KEY_Z85_LEN), 0);
		assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pub, KEY_Z85_LEN), 0);
		assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sec, KEY_Z85_LEN), 0);
	}
	assert_int_equal(zmq_connect(d, f->rep_ep), 0);
	assert_true(zmq_send(d, "REPLAY", 6, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(d, "1", 1, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(d, "1", 1, 0) >= 0);
	return d;
}

/* Drive the loop until d has an answer (1) or ms pass (0). */
static int answered(void *d, int ms)
{
	zmq_pollitem_t pi = { d, 0, ZMQ_POLLIN, 0 };
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		osmo_select_main(1);
		if (zmq_poll(&pi, 1, 1) > 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
	return 0;
}

static uint64_t refused(struct fx *f)
{
	struct bus_stats st;

	bus_get_stats(f->bus, &st);
	return st.refused;
}

/* Drive the loop until bus.refused is above r (1) or the deadline (0). */
static int refused_above(struct fx *f, uint64_t r)
{
	time_t end = time(NULL) + DEADLINE_S;

	while (refused(f) <= r && time(NULL) < end) {
		osmo_select_main(1);
		zmq_poll(NULL, 0, 1);
	}
	return refused(f) > r;
}

static void test_curve(void **state)
{
	struct fx *f = *state;
	char err[256];
	struct bus_keyset *ks = NULL;

	assert_int_equal(answered(client(f, f->a_pub, f->a_sec), DEADLINE_S * 1000), 1);
	assert_int_equal(refused(f), 0);

	/* unlisted: refused by ZAP */
	assert_int_equal(answered(client(f, f->b_pub, f->b_sec), 1000), 0);
	assert_true(refused_above(f, 0));
	uint64_t r = refused(f);
	/* plain: fails the handshake (mechanism mismatch, or the client's
	 * reset ends it first) */
	assert_int_equal(answered(client(f, NULL, NULL), 1000), 0);
	assert_true(refused_above(f, r));

	/* b listed now: its new connections get in */
	char text[128];
	snprintf(text, sizeof(text), "%s\n", f->b_pub);
	assert_int_equal(bus_keyset_load(NULL, write_file("clients2", 0644, text), &ks, err, sizeof(err)), 0);
	bus_set_clients(f->bus, ks);
	assert_int_equal(answered(client(f, f->b_pub, f->b_sec), DEADLINE_S * 1000), 1);
	/* and a no more */
	assert_int_equal(answered(client(f, f->a_pub, f->a_sec), 1000), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_z85),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_keyset),
		cmocka_unit_test_setup_teardown(test_curve, setup, teardown),
	};
	void *lctx = talloc_named_const(NULL, 0, "test_bus_zap log");

	test_args(argc, argv);
	dir = test_tmpdir();
	osmo_init_logging2(lctx, &txgw_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_category_filter(osmo_stderr_target, DBUS, 1, LOGL_ERROR);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_fini();
	talloc_free(lctx);
	return test_done(rc);
}
