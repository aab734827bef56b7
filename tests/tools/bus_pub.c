/*
 * bus_pub.c — a test publisher for tests/tools/bus.sh: the real bus (bus.c)
 * with a replay store in memory, publishing N synthetic messages made by
 * bus_msg.c, and deliberately NOT publishing every SKIP-th seq (they are in
 * the store, as in a journal, so a subscriber must replay them).
 *
 *   bus_pub --ready FILE [--pub EP] [--replay EP] [-n N] [--skip K]
 *           [--rate PER_MS] [--seconds S]
 *
 * Once bound, it writes "PUB_EP REPLAY_EP\n" to FILE (the readiness signal),
 * publishes PER_MS messages per millisecond, then keeps serving replay until
 * S seconds have passed or it is killed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/application.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "gateway/bus/bus.h"
#include "gateway/bus/bus_msg.h"
#include "gateway/lib/logging.h"

struct pub {
	struct bus *bus;
	char **payload;		/* [seq - 1] */
	const char **topic;
	unsigned n, skip, rate;
	unsigned next;		/* next seq to publish (1-based) */
	unsigned dropped;
	struct osmo_timer_list timer;
};

static void st_range(void *data, uint64_t *oldest, uint64_t *next)
{
	struct pub *p = data;

	*oldest = 1;
	*next = p->next;	/* only what has been "journalled" */
}

static int st_fetch(void *data, uint64_t from, unsigned max,
		    int (*emit)(void *arg, const char *topic, const char *payload, size_t len),
		    void *arg)
{
	struct pub *p = data;
	int n = 0;

	for (uint64_t q = from; q < from + max && q < p->next; q++) {
		int rc = emit(arg, p->topic[q - 1], p->payload[q - 1], strlen(p->payload[q - 1]));
		if (rc)
			return rc;
		n++;
	}
	return n;
}

static const struct bus_replay_ops st_ops = { st_range, st_fetch };

/* Message seq: a record of a synthetic frame, every 10th an alert. */
static int make_msg(struct pub *p, void *ctx, unsigned seq)
{
	static const uint8_t digest[32] = { 0x5e, 0x9 };
	struct bus_common c = { .seq = seq, .gw = "gw-test", .bearer = seq % 3 ? "sms" : "smtp",
				.src = "+886912345678", .rx_ms = 1795644000000LL + seq };
	struct txl_frame f = { .version = 1, .alg = TXL_ALG_ED25519,
			       .device_id = 0x00112233aabbccddULL, .key_id = 1,
			       .upload_seq = seq, .n_records = 1 };
	struct bus_detail d = { 2, { { "expected", NULL, seq }, { "got", NULL, seq + 2 } } };
	struct jw w;
	int rc;

	f.rec[0] = (struct txl_record){ .counter = seq, .type = TXL_T_PURCHASE,
					.time = 1795643998, .currency = 901, .amount = seq,
					.balance = 100000 - seq, .peer = 0xabcdef };
	jw_init(&w, 0);
	if (seq % 10 == 0) {
		p->topic[seq - 1] = BUS_TOPIC_ALERT;
		rc = bus_msg_alert(&w, &c, "counter_gap", f.device_id, digest, true, seq, &d);
	} else {
		p->topic[seq - 1] = BUS_TOPIC_RECORD;
		rc = bus_msg_record(&w, &c, &f, 0, digest, false);
	}
	if (rc == 0)
		p->payload[seq - 1] = talloc_strdup(ctx, w.buf);
	jw_free(&w);
	return rc;
}

static void tick(void *data)
{
	struct pub *p = data;

	for (unsigned i = 0; i < p->rate && p->next <= p->n; i++, p->next++) {
		unsigned s = p->next;
		if (p->skip && s % p->skip == 0)
			continue;	/* journalled, not published */
		if (bus_publish(p->bus, p->topic[s - 1], p->payload[s - 1],
				strlen(p->payload[s - 1])))
			p->dropped++;
	}
	/* once done, still wake up now and then so main() sees the time */
	osmo_timer_schedule(&p->timer, 0, p->next <= p->n ? 1000 : 200000);
}

static int write_ready(struct pub *p, const char *file)
{
	char pe[128], re[128];
	FILE *fp;

	if (bus_endpoint(p->bus, 0, pe, sizeof(pe)) || bus_endpoint(p->bus, 1, re, sizeof(re)))
		return -EIO;
	fp = fopen(file, "w");
	if (!fp)
		return -errno;
	fprintf(fp, "%s %s\n", pe, re);
	return fclose(fp) ? -EIO : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pub", 1, NULL, 'p' }, { "replay", 1, NULL, 'r' }, { "ready", 1, NULL, 'R' },
		{ "skip", 1, NULL, 'k' }, { "rate", 1, NULL, 'a' }, { "seconds", 1, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pub_ep = "tcp://127.0.0.1:*", *rep_ep = "tcp://127.0.0.1:*", *ready = NULL;
	void *ctx = talloc_named_const(NULL, 0, "bus_pub");
	struct pub p = { .n = 1000, .skip = 7, .rate = 5, .next = 1 };
	unsigned seconds = 60;
	int c;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pub_ep = optarg; break;
		case 'r': rep_ep = optarg; break;
		case 'R': ready = optarg; break;
		case 'n': p.n = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'k': p.skip = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'a': p.rate = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: %s --ready FILE [--pub EP] [--replay EP] [-n N] "
				"[--skip K] [--rate PER_MS] [--seconds S]\n", argv[0]);
			return 2;
		}
	}
	if (!ready || p.n == 0 || p.rate == 0)
		return 2;
	osmo_init_logging2(ctx, &txgw_log_info);
	p.payload = talloc_zero_array(ctx, char *, p.n);
	p.topic = talloc_zero_array(ctx, const char *, p.n);
	for (unsigned s = 1; s <= p.n; s++)
		if (make_msg(&p, ctx, s) || !p.payload[s - 1])
			return 1;
	struct bus_cfg bc = { .publish = pub_ep, .replay = rep_ep };
	if (bus_open(ctx, &bc, &st_ops, &p, &p.bus) < 0 || write_ready(&p, ready))
		return 1;
	osmo_timer_setup(&p.timer, tick, &p);
	osmo_timer_schedule(&p.timer, 0, 1000);
	for (time_t end = time(NULL) + seconds; time(NULL) < end;)
		osmo_select_main(0);
	fprintf(stderr, "bus_pub: published up to seq %u, %u refused\n", p.next - 1, p.dropped);
	osmo_timer_del(&p.timer);
	bus_close(p.bus);
	log_fini();
	talloc_free(ctx);
	return 0;
}
