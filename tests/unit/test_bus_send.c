/*
 * test_bus_send.c — the send socket (gateway/bus/bus_send.h) over real
 * sockets on 127.0.0.1: a DEALER of this process sends requests, the
 * select loop is driven between steps (bounded by a deadline, no sleeps).
 * The owner here answers what it is handed as the daemon would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <zmq.h>

#include "gateway/bus/bus.h"
#include "gateway/bus/bus_send.h"
#include "gateway/lib/logging.h"

#define DEADLINE_S	10

struct fx {
	struct bus *bus;
	struct bus_send *snd;
	void *zctx, *dealer;
	char ep[64];
	/* what the owner was handed */
	unsigned n_req;
	char last_json[256];
	struct bus_send_peer last_peer;
	bool answer_at_once;
};

static void on_request(void *data, const struct bus_send_peer *peer, const char *json, size_t len)
{
	struct fx *f = data;

	f->n_req++;
	snprintf(f->last_json, sizeof(f->last_json), "%.*s", (int)len, json);
	f->last_peer = *peer;
	if (f->answer_at_once)
		assert_int_equal(bus_send_answer(f->snd, peer, "QUEUED", "id-1", "7"), 0);
}

static const struct bus_send_ops ops = { .request = on_request };

static int setup(void **state)
{
	struct fx *f = talloc_zero(NULL, struct fx);
	const struct bus_cfg cfg = { .publish = "tcp://127.0.0.1:*" };

	assert_int_equal(bus_open(f, &cfg, NULL, NULL, &f->bus), 0);
	assert_int_equal(bus_send_open(f, f->bus, "tcp://127.0.0.1:*", &ops, f, &f->snd), 0);
	assert_int_equal(bus_send_endpoint(f->snd, f->ep, sizeof(f->ep)), 0);
	f->zctx = zmq_ctx_new();
	f->dealer = zmq_socket(f->zctx, ZMQ_DEALER);
	assert_int_equal(zmq_connect(f->dealer, f->ep), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int zero = 0;

	zmq_setsockopt(f->dealer, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(f->dealer);
	zmq_ctx_term(f->zctx);
	bus_send_close(f->snd);
	bus_close(f->bus);
	talloc_free(f);
	return 0;
}

static void send_frames(void *sock, unsigned n, const char *const *fr)
{
	for (unsigned i = 0; i < n; i++)
		assert_true(zmq_send(sock, fr[i], strlen(fr[i]), i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

/* One answer of three frames, driving the loop meanwhile; false at the deadline. */
static bool recv3(void *sock, char fr[3][64])
{
	time_t end = time(NULL) + DEADLINE_S;
	zmq_pollitem_t pi = { sock, 0, ZMQ_POLLIN, 0 };

	while (time(NULL) < end) {
		osmo_select_main(1);
		if (zmq_poll(&pi, 1, 1) <= 0)
			continue;
		for (int i = 0, more = 1; more; i++) {
			size_t sz = sizeof(more);
			int len = zmq_recv(sock, fr[i < 3 ? i : 2], 63, 0);
			assert_true(len >= 0 && len < 64 && i < 3);
			fr[i][len] = '\0';
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		}
		return true;
	}
	return false;
}

/* Drive the loop until the owner has been handed n requests. */
static void wait_requests(struct fx *f, unsigned n)
{
	time_t end = time(NULL) + DEADLINE_S;

	while (f->n_req < n && time(NULL) < end)
		osmo_select_main(1);
	assert_int_equal(f->n_req, n);
}

/* ["SEND", json] reaches the owner; its later answer reaches the client. */
static void test_request_answer(void **state)
{
	struct fx *f = *state;
	const char *req[] = { "SEND", "{\"id\":\"a\"}" };
	char fr[3][64];
	struct bus_send_stats st;

	send_frames(f->dealer, 2, req);
	wait_requests(f, 1);
	assert_string_equal(f->last_json, "{\"id\":\"a\"}");
	assert_int_equal(bus_send_answer(f->snd, &f->last_peer, "QUEUED", "a", "42"), 0);
	assert_true(recv3(f->dealer, fr));
	assert_string_equal(fr[0], "QUEUED");
	assert_string_equal(fr[1], "a");
	assert_string_equal(fr[2], "42");
	bus_send_get_stats(f->snd, &st);
	assert_int_equal(st.requests, 1);
	assert_int_equal(st.answers, 1);
}

/* Other shapes are answered here, ERROR "" bad_request, the owner not asked. */
static void test_bad_frames(void **state)
{
	struct fx *f = *state;
	static const char *const one[] = { "SEND" };
	static const char *const three[] = { "SEND", "{}", "{}" };
	static const char *const verb[] = { "send", "{}" };
	static const char *const replay[] = { "REPLAY", "1", "1" };
	const char *const *shapes[] = { one, three, verb, replay };
	const unsigned n[] = { 1, 3, 2, 3 };
	char fr[3][64];
	struct bus_send_stats st;

	for (unsigned i = 0; i < 4; i++) {
		send_frames(f->dealer, n[i], shapes[i]);
		assert_true(recv3(f->dealer, fr));
		assert_string_equal(fr[0], "ERROR");
		assert_string_equal(fr[1], "");
		assert_string_equal(fr[2], "bad_request");
	}
	assert_int_equal(f->n_req, 0);
	bus_send_get_stats(f->snd, &st);
	assert_int_equal(st.bad_frames, 4);
}

/* An answer sent while a request waits unread: zmq_send() may take the
 * edge ZMQ_FD would have signalled it with, so after the answer the
 * request must still be read (from the loop, without a new wake-up). */
static void test_answer_then_read(void **state)
{
	struct fx *f = *state;
	const char *a[] = { "SEND", "{\"id\":\"a\"}" }, *b[] = { "SEND", "{\"id\":\"b\"}" };
	char fr[3][64];
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	for (int round = 0; round < 20; round++) {
		unsigned n = f->n_req;
		send_frames(f->dealer, 2, a);
		wait_requests(f, n + 1);
		send_frames(f->dealer, 2, b);
		nanosleep(&pause, NULL);	/* b is in the pipe, not read */
		assert_int_equal(bus_send_answer(f->snd, &f->last_peer, "QUEUED", "a", "1"), 0);
		wait_requests(f, n + 2);
		assert_string_equal(f->last_json, "{\"id\":\"b\"}");
		assert_int_equal(bus_send_answer(f->snd, &f->last_peer, "QUEUED", "b", "2"), 0);
		assert_true(recv3(f->dealer, fr));
		assert_true(recv3(f->dealer, fr));
	}
}

/* A frame over BUS_SEND_MAXMSG: ZeroMQ drops the connection, nothing is
 * handed over; a new connection is served. */
static void test_too_big(void **state)
{
	struct fx *f = *state;
	size_t big = BUS_SEND_MAXMSG + 1;
	char *json = calloc(1, big);
	const char *req[] = { "SEND", "{\"id\":\"b\"}" };
	char fr[3][64];

	memset(json, ' ', big);
	assert_true(zmq_send(f->dealer, "SEND", 4, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(f->dealer, json, big, 0) >= 0);
	free(json);
	for (int i = 0; i < 200; i++)
		osmo_select_main(1);
	assert_int_equal(f->n_req, 0);
	/* another client is served (what the dropped connection had queued
	 * behind the big frame went with it) */
	void *d2 = zmq_socket(f->zctx, ZMQ_DEALER);
	int zero = 0;
	assert_int_equal(zmq_connect(d2, f->ep), 0);
	f->answer_at_once = true;
	send_frames(d2, 2, req);
	assert_true(recv3(d2, fr));
	assert_string_equal(fr[0], "QUEUED");
	assert_int_equal(f->n_req, 1);
	zmq_setsockopt(d2, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(d2);
}

/* While paused nothing is read; resumed, what waited is read. */
static void test_pause(void **state)
{
	struct fx *f = *state;
	const char *req[] = { "SEND", "{}" };

	bus_send_pause(f->snd, true);
	for (int i = 0; i < 5; i++)
		send_frames(f->dealer, 2, req);
	for (int i = 0; i < 300; i++)
		osmo_select_main(1);
	assert_int_equal(f->n_req, 0);
	bus_send_pause(f->snd, false);
	wait_requests(f, 5);
}

/* An answer to a client that is not there is dropped and counted. */
static void test_lost_answer(void **state)
{
	struct fx *f = *state;
	struct bus_send_peer nobody = { .len = 5, .id = { 0, 1, 2, 3, 4 } };
	struct bus_send_stats st;

	assert_int_equal(bus_send_answer(f->snd, &nobody, "QUEUED", "x", "1"), -EHOSTUNREACH);
	bus_send_get_stats(f->snd, &st);
	assert_int_equal(st.lost_answers, 1);
}

/* A busy endpoint is refused with the bind's errno. */
static void test_bind_busy(void **state)
{
	struct fx *f = *state;
	struct bus_send *again = NULL;

	assert_int_equal(bus_send_open(f, f->bus, f->ep, &ops, f, &again), -EADDRINUSE);
	assert_null(again);
	assert_int_equal(bus_send_open(f, f->bus, "nonsense", &ops, f, &again), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_then_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_busy, setup, teardown),
	};
	log_init(&txgw_log_info, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
