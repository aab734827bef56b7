/*
 * test_accept_guard — gateway/lib/accept_guard.c: accept() out of
 * descriptors (RLIMIT_NOFILE lowered, the rest filled) refuses the waiting
 * connection through the spare descriptor, leaves the select loop for a
 * second with one log line, and comes back; a library's listener adopted
 * the same way.  Time is libosmocore's fake clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "gateway/lib/accept_guard.h"
#include "tests/unit/log_ring.h"

static const struct log_info_cat cats[] = {
	[0] = { .name = "DTEST", .description = "test", .enabled = 1, .loglevel = LOGL_DEBUG },
};
static const struct log_info log_info = { .cat = cats, .num_cat = ARRAY_SIZE(cats) };

/* ---- accept out of descriptors ---- */

struct lis {
	struct osmo_fd ofd;
	struct accept_guard g;
	uint16_t port;
	unsigned accepted, called;
};

static int guarded_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct lis *l = ofd->data;
	int fd = accept_guard_accept(&l->g, NULL, NULL);

	if (fd >= 0) {
		l->accepted++;
		close(fd);
	}
	return 0;
}

/* A library's own handler (libosmovty's telnet_new_connection). */
static int library_cb(struct osmo_fd *ofd, unsigned int what)
{
	struct lis *l = ofd->data;
	int fd = accept(ofd->fd, NULL, NULL);

	l->called++;
	if (fd >= 0) {
		l->accepted++;
		close(fd);
	}
	return 0;
}

static void lis_open(struct lis *l, int (*cb)(struct osmo_fd *, unsigned int))
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	memset(l, 0, sizeof(*l));
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	l->port = ntohs(sa.sin_port);
	osmo_fd_setup(&l->ofd, fd, OSMO_FD_READ, cb, l, 0);
	assert_int_equal(osmo_fd_register(&l->ofd), 0);
}

static void lis_close(struct lis *l)
{
	if (osmo_fd_is_registered(&l->ofd))
		osmo_fd_unregister(&l->ofd);
	close(l->ofd.fd);
}

static int client(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Whether the server closed the connection (EOF or reset), after the
 * refusal line if any: what it sent goes to buf. */
static bool closed_by_server(int fd, char *buf, size_t cap)
{
	struct timeval tv = { 1, 0 };
	size_t len = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0)
			return false;	/* still open: timed out */
		len += (size_t)n;
	}
	buf[len] = '\0';
	return true;
}

/* Fill the descriptor table: the limit 8 above the highest open one. */
static int fill_fds(int *fills, int cap, struct rlimit *old)
{
	struct rlimit rl;
	int n = 0, top = dup(0);

	getrlimit(RLIMIT_NOFILE, old);
	close(top);
	rl = *old;
	rl.rlim_cur = (rlim_t)top + 8;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (n < cap && (fills[n] = dup(0)) >= 0)
		n++;
	assert_int_equal(errno, EMFILE);
	return n;
}

static void unfill_fds(int *fills, int n, const struct rlimit *old)
{
	while (n)
		close(fills[--n]);
	setrlimit(RLIMIT_NOFILE, old);
}

static void test_emfile(void **state)
{
	struct lis l;
	struct rlimit old;
	int fills[64], n, c1, c2;
	char buf[256];

	lis_open(&l, guarded_cb);
	assert_int_equal(accept_guard_init(&l.g, &l.ofd, 0, "test listener",
					   "421 4.3.2 out of resources\r\n"), 0);
	assert_true(accept_guard_spare_fd() >= 0);
	c1 = client(l.port);
	c2 = socket(AF_INET, SOCK_STREAM, 0);	/* its descriptor, for later */
	n = fill_fds(fills, 64, &old);

	/* the waiting connection is refused through the spare, and the
	 * listener leaves the loop: no spinning */
	osmo_select_main(1);
	assert_int_equal(l.accepted, 0);
	assert_true(closed_by_server(c1, buf, sizeof(buf)));
	assert_string_equal(buf, "421 4.3.2 out of resources\r\n");
	assert_false(osmo_fd_is_registered(&l.ofd));
	assert_true(accept_guard_spare_fd() >= 0);	/* taken back */
	assert_int_equal(logged("test listener: accept: Too many open files; 1 waiting connection(s) "
				"refused, accepting nothing for 1000 ms"), 1);

	/* meanwhile nothing is accepted, and nothing more logged */
	unfill_fds(fills, n, &old);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(l.port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(connect(c2, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (int i = 0; i < 10; i++)
		osmo_select_main(1);
	assert_int_equal(l.accepted, 0);
	assert_int_equal(logged("test listener"), 1);

	/* a second on: listening again, the waiting connection is served */
	advance_ms(1000);
	assert_true(osmo_fd_is_registered(&l.ofd));
	osmo_select_main(1);
	assert_int_equal(l.accepted, 1);
	assert_int_equal(logged("test listener: accepting connections again (1 refused meanwhile)"), 1);

	close(c1);
	close(c2);
	accept_guard_stop(&l.g);
	accept_guard_stop(&l.g);	/* twice is harmless */
	lis_close(&l);
}

static void test_adopted(void **state)
{
	void *ctx = talloc_named_const(NULL, 0, "test");
	struct lis l;
	struct rlimit old;
	int fills[64], n, c1;
	char buf[64];

	lis_open(&l, library_cb);
	assert_int_equal(accept_guard_adopt_listeners(ctx, 0), 1);
	assert_int_equal(accept_guard_adopt_listeners(ctx, 0), 0);	/* once */
	c1 = client(l.port);
	n = fill_fds(fills, 64, &old);
	osmo_select_main(1);
	assert_int_equal(l.called, 0);	/* the library's accept() would have failed */
	assert_true(closed_by_server(c1, buf, sizeof(buf)));
	assert_false(osmo_fd_is_registered(&l.ofd));
	assert_int_equal(logged("waiting connection(s) refused"), 2);
	unfill_fds(fills, n, &old);
	close(c1);

	advance_ms(1000);
	c1 = client(l.port);
	osmo_select_main(1);
	assert_int_equal(l.called, 1);
	assert_int_equal(l.accepted, 1);
	close(c1);
	talloc_free(ctx);	/* the library's callback is put back */
	assert_ptr_equal(l.ofd.cb, library_cb);
	lis_close(&l);
}

int main(void)
{
	void *ctx = talloc_named_const(NULL, 0, "test_accept_guard");

	log_capture_init(ctx, &log_info, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emfile),
		cmocka_unit_test(test_adopted),
	};
	return cmocka_run_group_tests_name("accept_guard", tests, NULL, NULL);
}
