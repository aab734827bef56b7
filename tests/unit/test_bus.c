/*
 * test_bus.c — the bus over real sockets on 127.0.0.1 (ports picked by the
 * kernel): the bus runs in this process's osmo_select loop, and libzmq SUB
 * and DEALER sockets of the same process talk to it, with the loop driven
 * between steps (bounded by a deadline, no sleeps).  The replay store is a
 * fake journal: an array of messages, with optional holes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <zmq.h>

#include "gateway/bus/bus.h"
#include "gateway/lib/logging.h"
#include "tests/unit/log_capture.h"

#define STORE_MAX	20001
#define DEADLINE_S	10

/* ---- the request parser ---- */

static int parse3(const char *a, const char *b, const char *c, uint64_t *from, unsigned *max)
{
	struct bus_frame f[3] = {
		{ (const uint8_t *)a, strlen(a) }, { (const uint8_t *)b, strlen(b) },
		{ (const uint8_t *)c, strlen(c) },
	};
	return bus_parse_replay(f, 3, from, max);
}

static void test_parse(void **state)
{
	uint64_t from = 0;
	unsigned max = 0;

	assert_int_equal(parse3("REPLAY", "12", "5", &from, &max), 0);
	assert_int_equal(from, 12);
	assert_int_equal(max, 5);
	assert_int_equal(parse3("REPLAY", "0", "1", &from, &max), 0);
	assert_int_equal(from, 0);
	assert_int_equal(parse3("REPLAY", "18446744073709551615", "10000", &from, &max), 0);
	assert_true(from == UINT64_MAX);
	assert_int_equal(max, 10000);
	/* max is cut to BUS_REPLAY_MAX */
	assert_int_equal(parse3("REPLAY", "1", "10001", &from, &max), 0);
	assert_int_equal(max, BUS_REPLAY_MAX);
	assert_int_equal(parse3("REPLAY", "1", "18446744073709551615", &from, &max), 0);
	assert_int_equal(max, BUS_REPLAY_MAX);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[][3] = {
		{ "replay", "1", "1" }, { "REPLAYX", "1", "1" }, { "REPLA", "1", "1" },
		{ "", "1", "1" }, { "REPLAY", "", "1" }, { "REPLAY", "1", "" },
		{ "REPLAY", "+1", "1" }, { "REPLAY", "-1", "1" }, { "REPLAY", " 1", "1" },
		{ "REPLAY", "1 ", "1" }, { "REPLAY", "01", "1" }, { "REPLAY", "1", "01" },
		{ "REPLAY", "0x10", "1" }, { "REPLAY", "1e3", "1" }, { "REPLAY", "1", "0" },
		{ "REPLAY", "18446744073709551616", "1" }, { "REPLAY", "99999999999999999999", "1" },
		{ "REPLAY", "000000000000000000001", "1" }, { "REPLAY", "1", "1\n" },
		{ "END", "1", "1" }, { "REPLAY", "1.0", "1" },
	};
	uint64_t from = 0;
	unsigned max = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse3(bad[i][0], bad[i][1], bad[i][2], &from, &max) != -EINVAL)
			fail_msg("accepted %s %s %s", bad[i][0], bad[i][1], bad[i][2]);

	/* frame count, NUL inside a frame */
	struct bus_frame f[4] = {
		{ (const uint8_t *)"REPLAY", 6 }, { (const uint8_t *)"1", 1 },
		{ (const uint8_t *)"1", 1 }, { (const uint8_t *)"1", 1 },
	};
	for (unsigned n = 0; n <= 4; n++)
		assert_int_equal(bus_parse_replay(f, n, &from, &max), n == 3 ? 0 : -EINVAL);
	f[1] = (struct bus_frame){ (const uint8_t *)"1\0", 2 };
	assert_int_equal(bus_parse_replay(f, 3, &from, &max), -EINVAL);
	assert_int_equal(bus_parse_replay(NULL, 3, &from, &max), -EINVAL);
}

/* ---- the fake journal ---- */

struct store {
	uint64_t oldest, next;
	bool hole[STORE_MAX + 1];
	uint64_t fail_at;	/* reading from here on fails (0: never) */
	unsigned fetch_calls;
	unsigned pad;		/* payloads this long (more than socket buffers hold) */
};

static void st_range(void *data, uint64_t *oldest, uint64_t *next)
{
	struct store *s = data;

	*oldest = s->oldest;
	*next = s->next;
}

static int st_fetch(void *data, uint64_t from, unsigned max,
		    int (*emit)(void *arg, const char *topic, const char *payload, size_t len),
		    void *arg)
{
	struct store *s = data;
	static char p[4096];
	int n = 0, rc;

	s->fetch_calls++;
	if (s->fail_at && from >= s->fail_at)
		return -EIO;
	for (uint64_t q = from; q < from + max && q < s->next; q++) {
		if (q < s->oldest || q > STORE_MAX || s->hole[q])
			continue;
		int len = snprintf(p, sizeof(p), "{\"seq\":%llu}", (unsigned long long)q);
		if (s->pad > (unsigned)len && s->pad <= sizeof(p)) {
			memset(p + len, ' ', s->pad - len);
			len = (int)s->pad;
		}
		rc = emit(arg, q % 2 ? "txlog.record" : "txlog.alert", p, (size_t)len);
		if (rc)
			return rc;
		n++;
	}
	return n;
}

static const struct bus_replay_ops st_ops = { st_range, st_fetch };

/* ---- fixture: the bus, a SUB and a DEALER ---- */

struct fx {
	void *ctx;
	struct store *st;
	struct bus *bus;
	void *zctx, *sub, *dealer;
	void *extra[8];		/* more client sockets, closed by teardown */
	unsigned n_extra;
	char pub_ep[64], rep_ep[64];
};

static int setup(void **state)
{
	struct fx *f = talloc_zero(NULL, struct fx);

	f->ctx = f;
	f->st = talloc_zero(f, struct store);
	f->st->oldest = 5;
	f->st->next = 25;
	struct bus_cfg bc = { .publish = "tcp://127.0.0.1:*", .replay = "tcp://127.0.0.1:*" };

	assert_int_equal(bus_open(f, &bc, &st_ops, f->st, &f->bus), 0);
	assert_int_equal(bus_endpoint(f->bus, 0, f->pub_ep, sizeof(f->pub_ep)), 0);
	assert_int_equal(bus_endpoint(f->bus, 1, f->rep_ep, sizeof(f->rep_ep)), 0);
	f->zctx = zmq_ctx_new();
	f->sub = zmq_socket(f->zctx, ZMQ_SUB);
	f->dealer = zmq_socket(f->zctx, ZMQ_DEALER);
	assert_int_equal(zmq_setsockopt(f->sub, ZMQ_SUBSCRIBE, "", 0), 0);
	assert_int_equal(zmq_connect(f->sub, f->pub_ep), 0);
	assert_int_equal(zmq_connect(f->dealer, f->rep_ep), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int zero = 0;

	zmq_setsockopt(f->sub, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(f->dealer, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(f->sub);
	zmq_close(f->dealer);
	for (unsigned i = 0; i < f->n_extra; i++) {
		zmq_setsockopt(f->extra[i], ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(f->extra[i]);
	}
	zmq_ctx_term(f->zctx);
	bus_close(f->bus);
	talloc_free(f);
	return 0;
}

/* Receive one message of up to 3 frames from a client socket, driving the
 * select loop meanwhile.  Returns the frame count, 0 at the deadline. */
static int recv_msg(void *sock, char fr[3][64])
{
	time_t end = time(NULL) + DEADLINE_S;
	zmq_pollitem_t pi = { sock, 0, ZMQ_POLLIN, 0 };

	while (time(NULL) < end) {
		osmo_select_main(1);
		if (zmq_poll(&pi, 1, 1) <= 0)
			continue;
		int n = 0, more = 1;
		while (more) {
			char tmp[64];
			int len = zmq_recv(sock, tmp, sizeof(tmp) - 1, 0);
			assert_true(len >= 0);
			if (len > (int)sizeof(tmp) - 1)
				len = sizeof(tmp) - 1;
			if (n < 3) {
				memcpy(fr[n], tmp, (size_t)len);
				fr[n][len] = '\0';
			}
			n++;
			size_t sz = sizeof(more);
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		}
		return n;
	}
	return 0;
}

static void expect2(void *sock, const char *a, const char *b)
{
	char fr[3][64];

	assert_int_equal(recv_msg(sock, fr), 2);
	assert_string_equal(fr[0], a);
	assert_string_equal(fr[1], b);
}

/* Send a request of n frames. */
static void request(struct fx *f, unsigned n, const char *const *frames)
{
	for (unsigned i = 0; i < n; i++)
		assert_true(zmq_send(f->dealer, frames[i], strlen(frames[i]),
				     i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

static void replay(struct fx *f, const char *from, const char *max)
{
	const char *r[3] = { "REPLAY", from, max };
	request(f, 3, r);
}

/* Expect the stored messages first..last (skipping holes), then END next. */
static void expect_range(struct fx *f, uint64_t first, uint64_t last, const char *next)
{
	char p[64];

	for (uint64_t q = first; q <= last; q++) {
		if (f->st->hole[q])
			continue;
		snprintf(p, sizeof(p), "{\"seq\":%llu}", (unsigned long long)q);
		expect2(f->dealer, q % 2 ? "txlog.record" : "txlog.alert", p);
	}
	expect2(f->dealer, "END", next);
}

/* The subscription takes a moment to reach the PUB socket: publish probes
 * until one arrives (later probes may still be queued: callers skip them). */
static void sub_sync(struct fx *f)
{
	zmq_pollitem_t pi = { f->sub, 0, ZMQ_POLLIN, 0 };

	for (int i = 0; i < 2000; i++) {
		assert_int_equal(bus_publish(f->bus, "probe", "{}", 2), 0);
		osmo_select_main(1);
		if (zmq_poll(&pi, 1, 5) > 0)
			return;
	}
	fail_msg("the subscriber never got a probe");
}

/* PUB -> SUB, exact frames. */
static void test_publish(void **state)
{
	struct fx *f = *state;
	char fr[3][64];

	sub_sync(f);
	assert_int_equal(bus_publish(f->bus, "txlog.record", "{\"seq\":1}", 9), 0);
	assert_int_equal(bus_publish(f->bus, "txlog.alert", "{\"seq\":2}", 9), 0);
	for (;;) {
		assert_int_equal(recv_msg(f->sub, fr), 2);
		if (strcmp(fr[0], "probe"))
			break;
	}
	assert_string_equal(fr[0], "txlog.record");
	assert_string_equal(fr[1], "{\"seq\":1}");
	expect2(f->sub, "txlog.alert", "{\"seq\":2}");

	assert_int_equal(bus_publish(f->bus, "", "{}", 2), -EINVAL);
	assert_int_equal(bus_publish(f->bus, NULL, "{}", 2), -EINVAL);
}

/* 10,000 messages published in one burst all arrive, in order. */
static void test_publish_burst(void **state)
{
	struct fx *f = *state;
	char fr[3][64], p[64];

	sub_sync(f);
	for (int i = 1; i <= 10000; i++) {
		int len = snprintf(p, sizeof(p), "{\"seq\":%d}", i);
		assert_int_equal(bus_publish(f->bus, "txlog.record", p, (size_t)len), 0);
	}
	int want = 1;
	while (want <= 10000) {
		assert_int_equal(recv_msg(f->sub, fr), 2);
		if (!strcmp(fr[0], "probe"))
			continue;
		snprintf(p, sizeof(p), "{\"seq\":%d}", want);
		assert_string_equal(fr[1], p);
		want++;
	}
}

static void test_replay_ranges(void **state)
{
	struct fx *f = *state;
	struct bus_stats st;

	replay(f, "10", "3");		/* inside */
	expect_range(f, 10, 12, "13");
	replay(f, "5", "1");		/* the oldest */
	expect_range(f, 5, 5, "6");
	replay(f, "20", "10");		/* reaching the end */
	expect_range(f, 20, 24, "25");
	replay(f, "25", "10");		/* at the end */
	expect2(f->dealer, "END", "25");
	replay(f, "1000", "10");	/* past the end: the gateway's next */
	expect2(f->dealer, "END", "25");
	replay(f, "4", "10");		/* older than kept */
	expect2(f->dealer, "ERROR", "5");
	replay(f, "0", "10");		/* seq 0 never exists: older than kept */
	expect2(f->dealer, "ERROR", "5");

	/* holes in the journal: skipped, END after the range */
	f->st->hole[12] = f->st->hole[13] = true;
	replay(f, "10", "5");
	expect_range(f, 10, 14, "15");
	replay(f, "12", "2");
	expect2(f->dealer, "END", "14");

	bus_get_stats(f->bus, &st);
	assert_int_equal(st.requests, 9);
	assert_int_equal(st.too_old, 2);
	assert_int_equal(st.bad_requests, 0);
	assert_int_equal(st.replayed, 3 + 1 + 5 + 3);
}

static void test_replay_bad(void **state)
{
	struct fx *f = *state;
	static const char *const r1[] = { "REPLAY" };
	static const char *const r2[] = { "REPLAY", "1" };
	static const char *const r4[] = { "REPLAY", "5", "1", "1" };
	static const char *const rlow[] = { "replay", "5", "1" };
	static const char *const rneg[] = { "REPLAY", "-5", "1" };
	static const char *const rsp[] = { "REPLAY", "5 ", "1" };
	static const char *const rzero[] = { "REPLAY", "5", "0" };
	static const char *const rovf[] = { "REPLAY", "18446744073709551616", "1" };
	static const char *const rlong[] = { "REPLAY", "5", "1111111111111111111111111111111111111111" };
	static const char *const rempty[] = { "" };
	static const struct { unsigned n; const char *const *r; } tab[] = {
		{ 1, r1 }, { 2, r2 }, { 4, r4 }, { 3, rlow }, { 3, rneg }, { 3, rsp },
		{ 3, rzero }, { 3, rovf }, { 3, rlong }, { 1, rempty },
	};
	struct bus_stats st;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		request(f, tab[i].n, tab[i].r);
		expect2(f->dealer, "ERROR", "bad request");
	}
	/* a frame far bigger than any request, but within BUS_REPLAY_MAXMSG */
	static char big[BUS_REPLAY_MAXMSG - 100];
	memset(big, '1', sizeof(big));
	assert_true(zmq_send(f->dealer, "REPLAY", 6, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(f->dealer, big, sizeof(big), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(f->dealer, "1", 1, 0) >= 0);
	expect2(f->dealer, "ERROR", "bad request");
	/* still serving */
	replay(f, "7", "1");
	expect_range(f, 7, 7, "8");
	bus_get_stats(f->bus, &st);
	assert_int_equal(st.bad_requests, 11);
	assert_int_equal(st.requests, 1);
}

/* A replay far bigger than one burst and than the client's queue: continued
 * from the zero timer, and after EAGAIN from the retry timer. */
static void test_replay_big(void **state)
{
	struct fx *f = *state;

	f->st->oldest = 1;
	f->st->next = STORE_MAX;
	f->st->fetch_calls = 0;
	/* both at once: the second waits behind the first (same client) */
	replay(f, "1", "20000");	/* cut to 10000 */
	replay(f, "10001", "10000");
	expect_range(f, 1, 10000, "10001");
	expect_range(f, 10001, 20000, "20001");
	/* one fetch per seq, plus one per retry when the DEALER's queue was
	 * full (ZMQ_ROUTER_MANDATORY: EAGAIN, the job waits) */
	assert_in_range(f->st->fetch_calls, 20000, 20000 + 400);
}

/* A client that leaves in the middle of a big replay: its job is dropped
 * (EHOSTUNREACH), and the others are still served. */
static void test_replay_client_gone(void **state)
{
	struct fx *f = *state;
	void *d2 = zmq_socket(f->zctx, ZMQ_DEALER);
	struct bus_stats st;
	int zero = 0;
	time_t end = time(NULL) + DEADLINE_S;

	f->st->oldest = 1;
	f->st->next = STORE_MAX;
	assert_int_equal(zmq_connect(d2, f->rep_ep), 0);
	assert_true(zmq_send(d2, "REPLAY", 6, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(d2, "1", 1, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(d2, "10000", 5, 0) >= 0);
	do {		/* until the bus has started the answer */
		osmo_select_main(1);
		bus_get_stats(f->bus, &st);
	} while (st.replayed == 0 && time(NULL) < end);
	assert_true(st.replayed > 0);
	zmq_setsockopt(d2, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(d2);
	do {
		osmo_select_main(1);
		bus_get_stats(f->bus, &st);
	} while (st.lost_clients == 0 && time(NULL) < end);
	assert_int_equal(st.lost_clients, 1);
	assert_true(st.replayed < 10000);
	replay(f, "3", "2");
	expect_range(f, 3, 4, "5");
}

/* Many requests in one burst: every one is read (the edge-triggered fd is
 * drained), more than the job queue holds, answered in order. */
static void test_replay_pipelined(void **state)
{
	struct fx *f = *state;
	char from[24], next[24];

	for (int i = 0; i < 3 * BUS_MAX_JOBS; i++) {
		snprintf(from, sizeof(from), "%d", 5 + i % 20);
		replay(f, from, "1");
	}
	for (int i = 0; i < 3 * BUS_MAX_JOBS; i++) {
		snprintf(next, sizeof(next), "%d", 6 + i % 20);
		expect_range(f, 5 + i % 20, 5 + i % 20, next);
	}
}

/* Receive ZeroMQ monitor events of sock until one of want comes (1) or
 * the deadline (0), driving the select loop. */
static int wait_event(void *mon, int want)
{
	time_t end = time(NULL) + DEADLINE_S;
	zmq_pollitem_t pi = { mon, 0, ZMQ_POLLIN, 0 };
	uint8_t ev[6];
	char ep[256];

	while (time(NULL) < end) {
		osmo_select_main(1);
		if (zmq_poll(&pi, 1, 1) <= 0)
			continue;
		int n = zmq_recv(mon, ev, sizeof(ev), 0);
		zmq_recv(mon, ep, sizeof(ep), 0);
		uint16_t e;
		memcpy(&e, ev, 2);
		if (n == (int)sizeof(ev) && (e & want))
			return 1;
	}
	return 0;
}

/* A client socket of the fixture's context, closed by teardown. */
static void *extra(struct fx *f, int type)
{
	void *s = zmq_socket(f->zctx, type);

	assert_non_null(s);
	assert_true(f->n_extra < sizeof(f->extra) / sizeof(f->extra[0]));
	f->extra[f->n_extra++] = s;
	return s;
}

/* A client socket connected to ep, with a monitor of its connection. */
static void *monitored(struct fx *f, int type, const char *ep, const char *mon_ep, void **mon)
{
	void *s = extra(f, type);

	assert_int_equal(zmq_socket_monitor(s, mon_ep, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED), 0);
	*mon = extra(f, ZMQ_PAIR);
	assert_int_equal(zmq_connect(*mon, mon_ep), 0);
	assert_int_equal(zmq_connect(s, ep), 0);
	assert_int_equal(wait_event(*mon, ZMQ_EVENT_CONNECTED), 1);
	return s;
}


/* ZMQ_MAXMSGSIZE: a subscription or a request frame over the limit gets
 * its connection dropped by ZeroMQ (bus.md "Limits"); the bus serves on. */
static void test_maxmsgsize(void **state)
{
	struct fx *f = *state;
	static char big[BUS_REPLAY_MAXMSG + 1];
	void *mon, *s;

	/* a subscription of BUS_PUB_MAXMSG bytes ("\x01" + topic) */
	s = monitored(f, ZMQ_XSUB, f->pub_ep, "inproc://t-mon-sub", &mon);
	memset(big, 't', sizeof(big));
	big[0] = 1;
	assert_true(zmq_send(s, big, BUS_PUB_MAXMSG + 1, 0) >= 0);
	assert_int_equal(wait_event(mon, ZMQ_EVENT_DISCONNECTED), 1);

	/* a request frame of BUS_REPLAY_MAXMSG + 1 bytes */
	s = monitored(f, ZMQ_DEALER, f->rep_ep, "inproc://t-mon-dealer", &mon);
	assert_true(zmq_send(s, "REPLAY", 6, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(s, big, sizeof(big), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(s, "1", 1, 0) >= 0);
	assert_int_equal(wait_event(mon, ZMQ_EVENT_DISCONNECTED), 1);

	/* at the limit: answered */
	s = monitored(f, ZMQ_SUB, f->pub_ep, "inproc://t-mon-sub2", &mon);
	memset(big, 'x', BUS_PUB_MAXMSG);
	assert_int_equal(zmq_setsockopt(s, ZMQ_SUBSCRIBE, big, 64), 0);
	replay(f, "7", "1");
	expect_range(f, 7, 7, "8");
}

/* A DEALER that does not read: small queues, so that the bus blocks on it
 * soon (ROUTER_MANDATORY: EAGAIN). */
static void *lazy_dealer(struct fx *f)
{
	void *d = extra(f, ZMQ_DEALER);
	int one = 1, small = 4096;

	assert_int_equal(zmq_setsockopt(d, ZMQ_RCVHWM, &one, sizeof(one)), 0);
	assert_int_equal(zmq_setsockopt(d, ZMQ_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(zmq_connect(d, f->rep_ep), 0);
	return d;
}

static void send3(void *d, const char *a, const char *b, const char *c)
{
	assert_true(zmq_send(d, a, strlen(a), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(d, b, strlen(b), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(d, c, strlen(c), 0) >= 0);
}

/* Drive the loop for ms milliseconds. */
static void run_for(int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		osmo_select_main(1);
		zmq_poll(NULL, 0, 1);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

/* At most BUS_CLIENT_JOBS requests of a client in progress; the next is
 * answered ["ERROR", "busy"] after the answers before it. */
static void test_replay_busy(void **state)
{
	struct fx *f = *state;
	void *d = lazy_dealer(f);
	struct bus_stats st;
	char fr[3][64];

	f->st->oldest = 1;
	f->st->next = STORE_MAX;
	for (int i = 0; i <= BUS_CLIENT_JOBS; i++)
		send3(d, "REPLAY", "1", "10000");
	run_for(300);		/* the bus reads them all, and blocks on d */
	bus_get_stats(f->bus, &st);
	assert_int_equal(st.requests, BUS_CLIENT_JOBS);
	assert_int_equal(st.busy, 1);
	assert_int_equal(st.refused, 1);
	/* now read: four whole answers, then busy */
	for (int i = 0; i < BUS_CLIENT_JOBS; i++) {
		for (int q = 1; q <= 10000; q++) {
			assert_int_equal(recv_msg(d, fr), 2);
			assert_string_not_equal(fr[0], "ERROR");
			assert_string_not_equal(fr[0], "END");
		}
		assert_int_equal(recv_msg(d, fr), 2);
		assert_string_equal(fr[0], "END");
		assert_string_equal(fr[1], "10001");
	}
	assert_int_equal(recv_msg(d, fr), 2);
	assert_string_equal(fr[0], "ERROR");
	assert_string_equal(fr[1], "busy");
}

/* A client that stops reading loses its jobs after stall_ms, and the bus
 * does not spin meanwhile: a blocked answer is tried again from a backing
 * off timer (or when ZeroMQ says its queue drained), not every few ms. */
static void test_replay_stall(void **state)
{
	struct fx *f = *state;
	void *d = lazy_dealer(f);
	struct bus_stats st;
	time_t end = time(NULL) + DEADLINE_S;

	f->st->oldest = 1;
	f->st->next = STORE_MAX;
	f->st->pad = 4000;	/* 80 MB asked for */
	send3(d, "REPLAY", "1", "10000");
	send3(d, "REPLAY", "1", "10000");
	do {		/* until the bus is blocked on d */
		unsigned before = f->st->fetch_calls;
		run_for(50);
		if (before == f->st->fetch_calls && f->st->fetch_calls > 0)
			break;
	} while (time(NULL) < end);
	unsigned calls = f->st->fetch_calls;
	run_for(1000);
	/* 100, 200, 400 ms back-off: 3 tries, 4 with a wake-up */
	assert_in_range(f->st->fetch_calls - calls, 1, 5);
	bus_get_stats(f->bus, &st);
	assert_int_equal(st.stalled, 0);
	do {
		run_for(50);
		bus_get_stats(f->bus, &st);
	} while (st.stalled == 0 && time(NULL) < end);
	assert_int_equal(st.stalled, 1);	/* one client, both its jobs */
	calls = f->st->fetch_calls;
	run_for(1500);
	assert_int_equal(f->st->fetch_calls, calls);	/* nothing left to try */
	/* the others are served */
	f->st->pad = 0;
	replay(f, "3", "2");
	expect_range(f, 3, 4, "5");
}

static int setup_stall(void **state)
{
	struct fx *f;
	struct bus_cfg cfg = { .publish = "tcp://127.0.0.1:*", .replay = "tcp://127.0.0.1:*",
			       .stall_ms = 2000 };

	setup(state);
	f = *state;
	bus_close(f->bus);
	assert_int_equal(bus_open(f, &cfg, &st_ops, f->st, &f->bus), 0);
	assert_int_equal(bus_endpoint(f->bus, 1, f->rep_ep, sizeof(f->rep_ep)), 0);
	/* a DEALER still connecting to the old endpoint would send there
	 * every other time */
	int zero = 0;
	zmq_setsockopt(f->dealer, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(f->dealer);
	f->dealer = zmq_socket(f->zctx, ZMQ_DEALER);
	assert_int_equal(zmq_connect(f->dealer, f->rep_ep), 0);
	return 0;
}

static void test_endpoint_is_local(void **state)
{
	static const char *const yes[] = { "tcp://127.0.0.1:5560", "tcp://127.0.0.1:*",
					   "tcp://[::1]:5561", "ipc:///run/txgw/bus" };
	static const char *const no[] = { "tcp://0.0.0.0:5560", "tcp://*:5560", "tcp://192.0.2.1:1",
					  "tcp://localhost:5560", "tcp://127.0.0.1:", "ipc://",
					  "tcp://127.0.0.10:1", "tcp://[::]:1", "tcp://eth0:1",
					  "udp://127.0.0.1:1", "", NULL };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!bus_endpoint_is_local(yes[i]))
			fail_msg("%s is local", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (bus_endpoint_is_local(no[i]))
			fail_msg("%s is not local", no[i]);
}

/* Occurrences of text logged since the last reset. */
static unsigned logged(const char *text)
{
	unsigned n = 0;

	for (const char *p = log_captured; (p = strstr(p, text)); p += strlen(text))
		n++;
	return n;
}

/*
 * A journal that fails to read: each request is answered END at the seq
 * that failed (the client asks again from there), and the log gets a line
 * a second, not one per request (a client can ask at will); the next line
 * says how many were held back.
 */
static void test_replay_read_fails(void **state)
{
	struct fx *f = *state;
	const char *line = "replay: journal read of seq 10 failed: Input/output error";
	char want[128];
	time_t t0 = time(NULL);
	struct timespec end, now;
	unsigned n;

	f->st->fail_at = 10;
	log_capture_reset();
	for (int i = 0; i < 200; i++) {
		replay(f, "10", "5");
		expect2(f->dealer, "END", "10");
	}
	n = logged(line);
	assert_in_range(n, 1, 2 + (unsigned)(time(NULL) - t0));
	/* past the second: one more line, with the count held back */
	clock_gettime(CLOCK_MONOTONIC, &end);
	do {
		usleep(10000);
		osmo_select_main(1);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - end.tv_sec) * 1000 + (now.tv_nsec - end.tv_nsec) / 1000000 < 1100);
	log_capture_reset();
	replay(f, "10", "5");
	expect2(f->dealer, "END", "10");
	assert_int_equal(logged(line), 1);
	if (n == 1)	/* the usual case: the 200 took less than a second */
		snprintf(want, sizeof(want), "%s, 199 more like it suppressed\n", line);
	else
		snprintf(want, sizeof(want), " more like it suppressed\n");
	assert_true(log_capture_has(want));
	/* reads before the failing seq still work */
	replay(f, "7", "5");
	expect_range(f, 7, 9, "10");
}

/* A bus that cannot bind says which endpoint and why, in the log. */
static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct bus *b = NULL;
	struct bus_cfg used_pub = { .publish = f->pub_ep };
	struct bus_cfg used_rep = { .publish = "tcp://127.0.0.1:*", .replay = f->rep_ep };
	struct bus_cfg bad = { .publish = "nosuch://x" };
	struct bus_cfg no_ops = { .publish = "tcp://127.0.0.1:*", .replay = "tcp://127.0.0.1:*" };
	char want[128];

	log_capture_reset();
	assert_int_equal(bus_open(f, &used_pub, NULL, NULL, &b), -EADDRINUSE);
	assert_null(b);
	snprintf(want, sizeof(want), "cannot bind the publish socket to %s: Address already in use",
		 f->pub_ep);
	assert_true(log_capture_has(want));
	log_capture_reset();
	assert_int_equal(bus_open(f, &used_rep, &st_ops, f->st, &b), -EADDRINUSE);
	assert_null(b);
	snprintf(want, sizeof(want), "cannot bind the replay socket to %s: ", f->rep_ep);
	assert_true(log_capture_has(want));
	log_capture_reset();
	assert_int_equal(bus_open(f, &bad, NULL, NULL, &b), -EPROTONOSUPPORT);
	assert_true(log_capture_has("cannot bind the publish socket to nosuch://x: "));
	assert_int_equal(bus_open(f, &no_ops, NULL, NULL, &b), -EINVAL);
	assert_null(b);
	assert_int_equal(bus_open(f, NULL, NULL, NULL, &b), -EINVAL);
	assert_null(b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_client_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maxmsgsize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_stall, setup_stall, teardown),
		cmocka_unit_test(test_endpoint_is_local),
		cmocka_unit_test_setup_teardown(test_replay_read_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};
	void *lctx = talloc_named_const(NULL, 0, "test_bus log");

	osmo_init_logging2(lctx, &txgw_log_info);
	log_set_print_category(osmo_stderr_target, 1);
	log_set_category_filter(osmo_stderr_target, DBUS, 1, LOGL_ERROR);
	log_capture_start(lctx);
	test_args(argc, argv);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	log_fini();
	talloc_free(lctx);
	return test_done(rc);
}
