/*
 * bench_bus.c — how fast the bus publishes: N txlog.record payloads made by
 * bus_msg_record() and published with bus_publish(), with a SUB socket
 * connected (in a thread of its own, its own ZeroMQ context) that counts
 * what arrives.
 *
 *   bench_bus [N]          (default 100000, at most BUS_PUB_SNDHWM so that
 *                           the PUB socket drops nothing)
 *
 * Prints: formatting rate, publishing rate (the loop's side), and the
 * end-to-end rate until the subscriber has every message.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <zmq.h>

#include "gateway/bus/bus.h"
#include "gateway/bus/bus_msg.h"
#include "gateway/lib/logging.h"

struct subst {
	const char *ep;
	atomic_ulong got;
	atomic_int ready, stop;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *sub_main(void *arg)
{
	struct subst *s = arg;
	void *zctx = zmq_ctx_new(), *sub = zmq_socket(zctx, ZMQ_SUB);
	int zero = 0, hwm = 0, to = 100;
	char buf[1024];

	zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(sub, ZMQ_RCVTIMEO, &to, sizeof(to));
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
	zmq_connect(sub, s->ep);
	while (!atomic_load(&s->stop)) {
		int len = zmq_recv(sub, buf, sizeof(buf), 0);	/* the topic */
		if (len < 0)
			continue;
		bool probe = len == 5 && !memcmp(buf, "probe", 5);
		zmq_recv(sub, buf, sizeof(buf), 0);		/* the payload */
		if (probe) {
			atomic_store(&s->ready, 1);
			continue;
		}
		atomic_fetch_add(&s->got, 1);
	}
	zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(sub);
	zmq_ctx_term(zctx);
	return NULL;
}

static void no_range(void *data, uint64_t *oldest, uint64_t *next)
{
	*oldest = *next = 1;
}

static int no_fetch(void *data, uint64_t from, unsigned max,
		    int (*emit)(void *, const char *, const char *, size_t), void *arg)
{
	return 0;
}

static const struct bus_replay_ops no_ops = { no_range, no_fetch };

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	void *ctx = talloc_named_const(NULL, 0, "bench_bus");
	struct txl_frame f = { .version = 1, .alg = TXL_ALG_ED25519, .device_id = 0x00112233aabbccddULL,
			       .key_id = 1, .upload_seq = 42, .n_records = 1 };
	static const uint8_t digest[32] = { 0x9f, 0x86 };
	struct bus_common c = { .gw = "gw1", .bearer = "sms", .src = "886912345678",
				.rx_ms = 1795644000123LL };
	struct subst s = { 0 };
	char ep[128];
	pthread_t th;
	struct jw w;
	double t0, t1, t2, t3;

	if (n == 0 || n > BUS_PUB_SNDHWM)
		n = 100000;
	osmo_init_logging2(ctx, &txgw_log_info);
	f.rec[0] = (struct txl_record){ .counter = 1001, .type = TXL_T_PURCHASE, .time = 1795643998,
					.currency = 901, .amount = 12500, .balance = 87500, .peer = 0xabcdef };
	struct bus_cfg bc = { .publish = "tcp://127.0.0.1:*" };
	struct bus *b = NULL;
	if (bus_open(ctx, &bc, &no_ops, NULL, &b) < 0 ||
	    bus_endpoint(b, 0, ep, sizeof(ep)))
		return 1;
	s.ep = ep;
	pthread_create(&th, NULL, sub_main, &s);
	while (!atomic_load(&s.ready)) {	/* until the subscription is in */
		bus_publish(b, "probe", "probe", 5);
		osmo_select_main(1);
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
	/* drain probes still in flight before counting */
	for (double end = now_s() + 0.2; now_s() < end;)
		osmo_select_main(1);
	atomic_store(&s.got, 0);

	jw_init(&w, 0);
	t0 = now_s();
	for (unsigned long i = 1; i <= n; i++) {
		c.seq = i;
		jw_reset(&w);
		if (bus_msg_record(&w, &c, &f, 0, digest, false))
			return 1;
	}
	t1 = now_s();
	unsigned long refused = 0;
	for (unsigned long i = 1; i <= n; i++) {
		c.seq = i;
		jw_reset(&w);
		bus_msg_record(&w, &c, &f, 0, digest, false);
		if (bus_publish(b, BUS_TOPIC_RECORD, w.buf, w.len))
			refused++;
		if (i % 1000 == 0)
			osmo_select_main(1);
	}
	t2 = now_s();
	while (atomic_load(&s.got) < n - refused && now_s() < t2 + 30)
		osmo_select_main(1);
	t3 = now_s();
	printf("bench_bus: %lu messages of %zu bytes\n", n, w.len);
	printf("  format (bus_msg_record)     %10.0f msg/s\n", n / (t1 - t0));
	printf("  format + publish            %10.0f msg/s  (%lu refused)\n", n / (t2 - t1), refused);
	printf("  end to end (SUB has all)    %10.0f msg/s  (%lu of %lu received)\n",
	       atomic_load(&s.got) / (t3 - t1), (unsigned long)atomic_load(&s.got), n);
	atomic_store(&s.stop, 1);
	pthread_join(th, NULL);
	jw_free(&w);
	bus_close(b);
	log_fini();
	talloc_free(ctx);
	return atomic_load(&s.got) == n ? 0 : 1;
}
