/*
 * fuzz_ledger.c — the ledger under a script of frames, applies, snapshots
 * and restores, and ledger_restore() of arbitrary bytes.
 *
 * Input starting with "TXLEDGER": the whole input is handed to
 * ledger_restore(); when it is accepted, snapshotting the result must give
 * back exactly those bytes (the format has one spelling per state), but
 * for a version 1 input, whose snapshot is version 2: the same body.
 * Input starting with "txledger": the same after the magic is upper-cased
 * and the CRC in the last 4 bytes made right for the version the input
 * names (CRC-32C, or the legacy CRC-32 of version 1), so that the fuzzer
 * reaches the parser behind the CRC check.
 *
 * Otherwise the input is a script, one op byte then its operands:
 *
 *   op % 4 == 0  frame:  u8 dev, i8 d_upload, u8 variant, u8 n, n x
 *                        { i8 d_counter, u8 type, u16 amount, u32 balance,
 *                          u8 flags }, u8 frame_flags
 *   op % 4 == 1  apply_upload:  u8 dev, i8 d_upload, u8 variant
 *   op % 4 == 2  apply_record:  u8 dev, i8 d_counter, u32 balance
 *   op % 4 == 3  snapshot, restore into a fresh ledger, compare
 *
 * Values are given relative to the highest the script has used for that
 * device, so that they land in and around the 64-wide windows.  Every
 * frame goes through ledger_process() on ledger L, and what it published
 * is re-applied to ledger M; applies go to both.  At the end L and M must
 * hold the same state (ledger.h: process is "judge, then apply").
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/lib/crc32c.h"
#include "gateway/lib/cursor.h"
#include "gateway/txlog/ledger.h"

#define N_DEVS	4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cur {
	uint32_t up, ctr;	/* highest upload_seq / counter the script used */
};

struct membuf {
	uint8_t *p;
	size_t len;
};

static int mem_write(void *arg, const uint8_t *buf, size_t len)
{
	struct membuf *b = arg;
	uint8_t *p = realloc(b->p, b->len + len);
	if (!p)
		return -ENOMEM;
	memcpy(p + b->len, buf, len);
	b->p = p;
	b->len += len;
	return 0;
}

static struct membuf snap(const struct ledger *l)
{
	struct membuf b = { 0 };
	if (ledger_snapshot(l, mem_write, &b))
		abort();
	return b;
}

static void same_state(const struct ledger *x, const struct ledger *y)
{
	struct membuf a = snap(x), b = snap(y);
	if (a.len != b.len || memcmp(a.p, b.p, a.len))
		abort();
	free(a.p);
	free(b.p);
}

/* v + delta, remembered in *hi when higher. */
static uint32_t rel(uint32_t *hi, uint8_t delta)
{
	uint32_t v = *hi + (uint32_t)(int32_t)(int8_t)delta;
	if ((int8_t)delta > 0 && v > *hi)
		*hi = v;
	return v;
}

static void make_digest(uint8_t *d, uint64_t dev, uint32_t up, uint8_t variant)
{
	memset(d, 0, 32);
	memcpy(d, &dev, sizeof(dev));
	memcpy(d + 8, &up, sizeof(up));
	d[12] = variant;
}

static void check_outcome(const struct txl_outcome *o, const struct txl_frame *f)
{
	unsigned recs = 0;
	if (o->n > TXL_OUTCOME_MAX || (o->duplicate && o->n))
		abort();
	for (unsigned k = 0; k < o->n; k++) {
		const struct txl_event *e = &o->ev[k];
		if (e->rec < -1 || e->rec >= f->n_records)
			abort();
		recs += e->type == TXL_EV_RECORD;
		if (e->type == TXL_EV_ALERT && !txl_alert_name(e->alert))
			abort();
	}
	if (recs + o->repeated > f->n_records || o->stale > o->late || o->late > recs)
		abort();
}

static void op_frame(struct rd *r, struct ledger *l, struct ledger *m, struct cur *cur)
{
	struct txl_frame f;
	struct txl_outcome o;
	uint8_t dev = 0, dup = 0, variant = 0, n = 0, ff = 0;
	uint8_t digest[32];

	memset(&f, 0, sizeof(f));
	rd_u8(r, &dev);
	rd_u8(r, &dup);
	rd_u8(r, &variant);
	rd_u8(r, &n);
	struct cur *c = &cur[dev % N_DEVS];
	f.version = TXL_VERSION;
	f.alg = TXL_ALG_ED25519;
	f.device_id = dev % N_DEVS;
	f.upload_seq = rel(&c->up, dup);
	f.n_records = (uint8_t)(1 + n % TXL_MAX_RECORDS);
	for (unsigned i = 0; i < f.n_records; i++) {
		struct txl_record *rec = &f.rec[i];
		uint8_t dc = 0, type = 0, fl = 0;
		rd_u8(r, &dc);
		rd_u8(r, &type);
		rd_u16(r, &rec->currency);
		rec->amount = rec->currency;
		rd_u32(r, &rec->balance);
		rd_u8(r, &fl);
		rec->counter = rel(&c->ctr, dc);
		rec->type = (uint8_t)(1 + type % 9);
		rec->time = 1000000 + (fl & 3) * 50000;
	}
	rd_u8(r, &ff);
	if (r->err)
		return;
	f.created = 1000000 + (ff & 3) * 50000;
	make_digest(digest, f.device_id, f.upload_seq, variant & 1);
	struct ledger_input in = {
		.f = &f, .digest = digest, .now = 1000000, .skew_s = 86400,
		.registered_msisdn = ff & 4 ? "886912345678" : NULL,
		.src_msisdn = ff & 8 ? (ff & 16 ? "+886912345678" : "886900000000") : NULL,
	};
	if (ledger_process(l, &in, &o))
		abort();	/* a valid frame and plenty of memory */
	check_outcome(&o, &f);
	if (o.upload_accepted && ledger_apply_upload(m, f.device_id, f.upload_seq, digest) != 1)
		abort();
	for (unsigned k = 0; k < o.n; k++) {
		if (o.ev[k].type != TXL_EV_RECORD)
			continue;	/* alerts and rejects may be about the frame: rec -1 */
		const struct txl_record *rec = &f.rec[o.ev[k].rec];
		if (ledger_apply_record(m, f.device_id, rec->counter, rec->balance) < 0)
			abort();
	}
}

static void op_snapshot(const struct ledger *l)
{
	struct ledger *x = ledger_alloc(NULL);
	struct membuf a = snap(l);
	if (!x || ledger_restore(x, a.p, a.len))
		abort();
	same_state(l, x);
	free(a.p);
	ledger_free(x);
}

static void run_script(struct rd *r)
{
	struct ledger *l = ledger_alloc(NULL), *m = ledger_alloc(NULL);
	struct cur cur[N_DEVS] = { { 0, 0 } };
	uint8_t op, dev, d, variant, digest[32];
	uint32_t bal;

	while (!r->err && rd_left(r)) {
		rd_u8(r, &op);
		switch (op % 4) {
		case 0:
			op_frame(r, l, m, cur);
			break;
		case 1: {
			rd_u8(r, &dev);
			rd_u8(r, &d);
			rd_u8(r, &variant);
			if (r->err)
				break;
			dev %= N_DEVS;
			uint32_t up = rel(&cur[dev].up, d);
			make_digest(digest, dev, up, variant & 1);
			if (ledger_apply_upload(l, dev, up, digest) != ledger_apply_upload(m, dev, up, digest))
				abort();
			break;
		}
		case 2: {
			rd_u8(r, &dev);
			rd_u8(r, &d);
			rd_u32(r, &bal);
			if (r->err)
				break;
			dev %= N_DEVS;
			uint32_t ctr = rel(&cur[dev].ctr, d);
			if (ledger_apply_record(l, dev, ctr, bal) != ledger_apply_record(m, dev, ctr, bal))
				abort();
			break;
		}
		default:
			op_snapshot(l);
			break;
		}
	}
	same_state(l, m);
	ledger_free(l);
	ledger_free(m);
}

static void run_restore(const uint8_t *data, size_t size)
{
	struct ledger *l = ledger_alloc(NULL);
	if (!l)
		abort();
	if (ledger_restore(l, data, size) == 0) {
		struct membuf b = snap(l);
		/* accepted: at least 20 bytes; version 1 comes back as 2, and
		 * with another CRC, over the same body */
		bool v1 = data[9] == 1;
		if (b.len != size || memcmp(b.p, data, 8) || b.p[8] != 0 || b.p[9] != 2 ||
		    (!v1 && memcmp(b.p, data, size)) ||
		    memcmp(b.p + 10, data + 10, size - 14))
			abort();
		free(b.p);
	}
	ledger_free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r;

	if (size >= 8 && !memcmp(data, "TXLEDGER", 8)) {
		run_restore(data, size);
		return 0;
	}
	if (size >= 12 && !memcmp(data, "txledger", 8)) {
		uint8_t *p = malloc(size);
		if (!p)
			abort();
		memcpy(p, data, size);
		memcpy(p, "TXLEDGER", 8);
		uint32_t crc = p[8] == 0 && p[9] == 1 ? ledger_crc32_v1(p, size - 4) : crc32c(0, p, size - 4);
		for (int i = 0; i < 4; i++)
			p[size - 4 + i] = (uint8_t)(crc >> (24 - 8 * i));
		run_restore(p, size);
		free(p);
		return 0;
	}
	rd_init(&r, data, size);
	run_script(&r);
	return 0;
}
