/*
 * test_ledger_state.c — the per-device ledger's snapshot and restore, and
 * random sequences: re-applied and restored ledgers against the one that
 * judged, and the ledger against a reference model (txlog-v1.md).
 *
 * The random tests are seeded: TXGW_TEST_SEED=<n> in the environment
 * replays one.
 */
#include "gateway/lib/crc32c.h"
#include "tests/unit/test_ledger_fixture.h"
#include "tests/unit/cmocka_main.h"

static void assert_same_state(const struct ledger *x, const struct ledger *y)
{
	struct buf a = snap(x), b = snap(y);
	assert_int_equal(ledger_count(x), ledger_count(y));
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.p, b.p, a.len);
	free(a.p);
	free(b.p);
}

/* ---- snapshot and restore ---- */

static void test_crc32_v1(void **state)
{
	/* the CRC-32 check value (zlib's crc32 of "123456789") */
	assert_int_equal(ledger_crc32_v1((const uint8_t *)"123456789", 9), 0xcbf43926);
	assert_int_equal(ledger_crc32_v1(NULL, 0), 0);
}

static void fill_some(struct ledger *l)
{
	struct txl_outcome o;
	baseline(l, DEV_A, 1000, 100000);
	for (uint32_t up = 2; up < 80; up += 3)
		one(l, DEV_A, up, 1000 + up, TXL_T_TOPUP, 0, 100000, &o);
	assert_int_equal(ledger_apply_record(l, DEV_B, 7, 50000), 1);
	assert_int_equal(ledger_apply_upload(l, 3, 0, (uint8_t[32]){ 3 }), 1);
}

static void test_snapshot_roundtrip(void **state)
{
	struct ledger *l = *state, *m = ledger_alloc(NULL);
	fill_some(l);
	struct buf a = snap(l);
	assert_int_equal(ledger_restore(m, a.p, a.len), 0);
	assert_same_state(l, m);
	assert_int_equal(ledger_count(m), 3);
	struct ledger_dev_state x = get(l, DEV_A), y = get(m, DEV_A);
	assert_memory_equal(&x, &y, sizeof(x));
	/* restore replaces what was there */
	struct buf e = snap(*state = ledger_alloc(NULL));
	ledger_free(l);
	assert_int_equal(e.len, 20);
	assert_int_equal(ledger_restore(m, e.p, e.len), 0);
	assert_int_equal(ledger_count(m), 0);
	assert_int_equal(ledger_get(m, DEV_A, &x), -ENOENT);
	free(a.p);
	free(e.p);
	ledger_free(m);
}

/* The last 4 bytes of p[len]: the CRC its version calls for (any version
 * but 1 gets the CRC-32C of version 2). */
static void put_crc(uint8_t *p, size_t len)
{
	uint16_t version = (uint16_t)(p[8] << 8 | p[9]);
	uint32_t c = version == 1 ? ledger_crc32_v1(p, len - 4) : crc32c(0, p, len - 4);
	p[len - 4] = (uint8_t)(c >> 24);
	p[len - 3] = (uint8_t)(c >> 16);
	p[len - 2] = (uint8_t)(c >> 8);
	p[len - 1] = (uint8_t)c;
}

/* One device of a hand-written snapshot (the format in ledger.h). */
struct snapdev {
	uint64_t id;
	uint8_t has;
	uint32_t max_up;
	uint64_t up_win;
	unsigned n_dig;		/* digests written: normally popcount(up_win) */
	uint32_t max_ctr, balance;
	uint64_t ctr_win;
};

/* Write a snapshot of n devices, n_hdr of them announced, with its CRC,
 * into p; returns its length.  Digest k of a device is 16 bytes of k. */
static size_t mk_snap(uint8_t *p, size_t cap, uint16_t version, uint16_t flags, uint32_t n_hdr,
		      const struct snapdev *d, unsigned n)
{
	struct wr w;
	uint8_t dig[LEDGER_DIGEST_LEN];

	wr_init(&w, p, cap);
	wr_bytes(&w, "TXLEDGER", 8);
	wr_u16(&w, version);
	wr_u16(&w, flags);
	wr_u32(&w, n_hdr);
	for (unsigned i = 0; i < n; i++) {
		wr_u64(&w, d[i].id);
		wr_u8(&w, d[i].has);
		if (d[i].has & 1) {
			wr_u32(&w, d[i].max_up);
			wr_u64(&w, d[i].up_win);
			for (unsigned k = 0; k < d[i].n_dig; k++) {
				memset(dig, (int)k, sizeof(dig));
				wr_bytes(&w, dig, sizeof(dig));
			}
		}
		if (d[i].has & 2) {
			wr_u32(&w, d[i].max_ctr);
			wr_u32(&w, d[i].balance);
			wr_u64(&w, d[i].ctr_win);
		}
	}
	wr_u32(&w, 0);
	assert_int_equal(w.err, 0);
	put_crc(p, w.off);
	return w.off;
}

/* Restore into m gives err; on error m is left exactly as it was. */
static void restore_expect(struct ledger *m, const struct snapdev *d, unsigned n, uint32_t n_hdr, int err)
{
	uint8_t p[4096];
	size_t len = mk_snap(p, sizeof(p), 2, 0, n_hdr, d, n);
	struct buf before = snap(m);
	assert_int_equal(ledger_restore(m, p, len), err);
	if (!err) {
		assert_int_equal(ledger_count(m), n);
		free(before.p);
		return;
	}
	struct buf after = snap(m);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.p, after.p, before.len);
	free(before.p);
	free(after.p);
}

/* Each field a restore must refuse, one at a time. */
static void test_restore_strict(void **state)
{
	struct ledger *l = *state, *m = ledger_alloc(NULL);
	const struct snapdev good = { DEV_A, 3, 5, 1, 1, 3, 1, 1 };
	struct snapdev d[2] = { good, good };
	uint8_t p[4096], dig[32] = { 0 };

	/* the hand-written format is the one the ledger writes */
	assert_int_equal(ledger_apply_upload(l, DEV_A, 5, dig), 1);
	assert_int_equal(ledger_apply_record(l, DEV_A, 3, 1), 1);
	struct buf g = snap(l);
	size_t len = mk_snap(p, sizeof(p), 2, 0, 1, &good, 1);
	assert_int_equal(g.len, 16 + 9 + 12 + 16 + 16 + 4);
	assert_int_equal(len, g.len);
	assert_memory_equal(p, g.p, len);

	baseline(m, DEV_B, 1, 1);	/* what must survive the failures */
	len = mk_snap(p, sizeof(p), 3, 0, 1, &good, 1);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* version */
	len = mk_snap(p, sizeof(p), 0, 0, 1, &good, 1);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* version */
	len = mk_snap(p, sizeof(p), 2, 1, 1, &good, 1);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* flags */
	len = mk_snap(p, sizeof(p), 1, 1, 1, &good, 1);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* flags, version 1 */
	p[0] ^= 0x20;
	put_crc(p, len);
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);	/* magic */
	restore_expect(m, d, 1, 0, -EINVAL);	/* a device more than announced */
	restore_expect(m, d, 1, 2, -EIO);	/* one fewer */
	d[0].has = 0;
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].has = 7;
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0] = good;
	d[0].up_win = 2;		/* max_upload not set */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].up_win = 1ULL << 6 | 1;	/* upload_seq -1 */
	d[0].n_dig = 2;
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].max_up = 6;		/* upload_seq 0: fine */
	restore_expect(m, d, 1, 1, 0);
	d[0].max_up = 62;
	d[0].up_win = 1ULL << 63 | 1;	/* upload_seq -1 again */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].max_up = 63;
	restore_expect(m, d, 1, 1, 0);
	d[0].n_dig = 1;			/* a digest missing */
	restore_expect(m, d, 1, 1, -EIO);
	d[0].n_dig = 3;			/* one too many */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0] = good;
	d[0].ctr_win = 0;		/* max_counter not set */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].ctr_win = 1ULL << 4 | 1;	/* counter -1 */
	restore_expect(m, d, 1, 1, -EINVAL);
	d[0].ctr_win = 1ULL << 3 | 1;	/* counter 0 */
	restore_expect(m, d, 1, 1, 0);
	d[0] = good;
	d[0].has = 2;			/* counter only */
	restore_expect(m, d, 1, 1, 0);
	d[0].has = 1;			/* upload only */
	restore_expect(m, d, 1, 1, 0);
	d[0] = d[1] = good;		/* a device twice */
	restore_expect(m, d, 2, 2, -EINVAL);
	d[1].id = DEV_B;
	restore_expect(m, d, 2, 2, 0);
	struct ledger_dev_state st = get(m, DEV_B);
	assert_int_equal(st.max_upload, 5);
	assert_int_equal(st.max_counter, 3);

	/* CRC: any flipped bit, and every truncation */
	for (size_t i = 0; i < g.len * 8; i++) {
		g.p[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(ledger_restore(m, g.p, g.len), -EINVAL);
		g.p[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	for (size_t n = 0; n < g.len; n++) {
		int rc = ledger_restore(m, g.p, n);
		assert_true(rc == -EIO || rc == -EINVAL);
	}
	assert_int_equal(ledger_count(m), 2);
	assert_int_equal(ledger_restore(m, NULL, 0), -EIO);
	free(g.p);
	ledger_free(m);
}

/*
 * A checkpoint written before version 2 (the same body, a CRC-32 of IEEE
 * 802.3 at the end) still loads, and the next snapshot of it is version 2
 * with CRC-32C and the same body.  Each CRC belongs to its version only.
 */
static void test_restore_v1(void **state)
{
	struct ledger *l = *state, *m = ledger_alloc(NULL);
	struct buf b;
	uint8_t p[4096];
	size_t len;

	fill_some(l);
	b = snap(l);
	assert_int_equal(b.p[8] << 8 | b.p[9], 2);
	assert_int_equal(crc32c(0, b.p, b.len - 4),
			 (uint32_t)b.p[b.len - 4] << 24 | b.p[b.len - 3] << 16 | b.p[b.len - 2] << 8 |
			 b.p[b.len - 1]);
	/* the same state as version 1, as the old code wrote it */
	assert_true(b.len <= sizeof(p));
	memcpy(p, b.p, b.len);
	len = b.len;
	p[9] = 1;
	put_crc(p, len);
	assert_int_equal(ledger_restore(m, p, len), 0);
	assert_same_state(l, m);
	struct buf again = snap(m);
	assert_int_equal(again.len, b.len);
	assert_memory_equal(again.p, b.p, b.len);
	free(again.p);

	/* a version 1 snapshot with the CRC-32C, a version 2 one with the old CRC */
	uint32_t c = crc32c(0, p, len - 4);
	p[len - 4] = (uint8_t)(c >> 24), p[len - 3] = (uint8_t)(c >> 16);
	p[len - 2] = (uint8_t)(c >> 8), p[len - 1] = (uint8_t)c;
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);
	memcpy(p, b.p, b.len);
	c = ledger_crc32_v1(p, len - 4);
	p[len - 4] = (uint8_t)(c >> 24), p[len - 3] = (uint8_t)(c >> 16);
	p[len - 2] = (uint8_t)(c >> 8), p[len - 1] = (uint8_t)c;
	assert_int_equal(ledger_restore(m, p, len), -EINVAL);
	assert_same_state(l, m);
	free(b.p);
	ledger_free(m);
}

/* ---- random sequences ---- */

/* xorshift64*: small, reproducible everywhere */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

/* The type table of txlog-v1.md, written again here so the tests do not
 * take it from the code under test. */
static int type_sign_for_test(uint32_t type)
{
	static const int sign[10] = { 0, -1, 1, -1, -1, 1, 1, 0, 0, 1 };
	return type < 10 ? sign[type] : 0;
}

struct rand_dev {
	uint32_t up;		/* next upload_seq */
	uint32_t counter;	/* next counter */
	uint32_t balance;
};

/*
 * A random frame for one of few devices: mostly the next upload and
 * counters with the right balance, sometimes an old or repeated upload_seq
 * or a different frame for it, counters repeated, late, far back or ahead,
 * wrong balances, clocks ahead, wrong senders.  spread bounds how far back
 * upload_seqs and counters go.
 */
static void rand_frame(uint64_t *s, struct rand_dev *devs, unsigned n_devs, uint32_t spread, struct fb *b)
{
	unsigned di = rnd_below(s, n_devs);
	struct rand_dev *rd = &devs[di];
	uint32_t up = rd->up;

	if (rnd_below(s, 4) == 0 && up > 1)
		up -= 1 + rnd_below(s, up - 1 < spread ? up - 1 : spread);
	else
		rd->up++;
	fb_init(b, 0x1000 + di, up, (uint8_t)(rnd_below(s, 5) == 0));
	unsigned n = 1 + rnd_below(s, rnd_below(s, 8) == 0 ? TXL_MAX_RECORDS : 4);
	for (unsigned i = 0; i < n; i++) {
		uint32_t c = rd->counter, type = 1 + rnd_below(s, 9);
		uint32_t amount = type == TXL_T_VOUCHER_SEND || type == TXL_T_VOUCHER_RECV ? 0 : rnd_below(s, 1000);
		unsigned how = rnd_below(s, 10);
		if (how == 0 && c > 0)
			c -= 1 + rnd_below(s, c < spread ? c : spread);
		else if (how == 1)
			c += 1 + rnd_below(s, 3);
		if (c >= rd->counter) {
			int sign = type_sign_for_test(type);
			rd->balance = (uint32_t)(rd->balance + sign * (int64_t)amount);
			rd->counter = c + 1;
		}
		uint32_t bal = rnd_below(s, 8) == 0 ? rnd_below(s, 100000) : rd->balance;
		struct txl_record *r = fb_add(b, c, (uint8_t)type, amount, bal);
		if (rnd_below(s, 10) == 0)
			r->time = NOW + SKEW - 2 + rnd_below(s, 4);
	}
	if (rnd_below(s, 10) == 0)
		b->f.created = NOW + SKEW - 2 + rnd_below(s, 4);
	b->in.registered_msisdn = di % 2 ? "886912345678" : NULL;
	b->in.src_msisdn = rnd_below(s, 3) == 0 ? NULL : rnd_below(s, 6) ? "+886912345678" : "886900000000";
}

static void init_devs(struct rand_dev *devs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		devs[i].up = 1;
		devs[i].counter = 1000;
		devs[i].balance = 100000;
	}
}

static void assert_same_outcome(const struct txl_outcome *x, const struct txl_outcome *y)
{
	assert_int_equal(x->n, y->n);
	assert_int_equal(x->duplicate, y->duplicate);
	assert_int_equal(x->upload_accepted, y->upload_accepted);
	assert_int_equal(x->repeated, y->repeated);
	assert_int_equal(x->late, y->late);
	assert_int_equal(x->stale, y->stale);
	/* events are zeroed when added, padding and all */
	for (unsigned k = 0; k < x->n; k++)
		assert_memory_equal(&x->ev[k], &y->ev[k], sizeof(x->ev[k]));
}

/* What the journal keeps of one processed frame, applied to m. */
static void reapply(struct ledger *m, const struct fb *b, const struct txl_outcome *o)
{
	if (o->upload_accepted)
		assert_true(ledger_apply_upload(m, b->f.device_id, b->f.upload_seq, b->digest) >= 0);
	for (unsigned k = 0; k < o->n; k++) {
		if (o->ev[k].type != TXL_EV_RECORD)
			continue;
		const struct txl_record *r = &b->f.rec[o->ev[k].rec];
		assert_true(ledger_apply_record(m, b->f.device_id, r->counter, r->balance) >= 0);
	}
}

#define RAND_DEVS	6
#define RAND_FRAMES	3000

/*
 * ledger_process() is "judge, then apply": a ledger rebuilt from the
 * applies alone, one restored from a snapshot taken half-way plus the
 * applies after it, and one restored from that snapshot with the whole
 * journal re-applied over it (applies are idempotent) all hold the same
 * state as the original, and judge further frames alike.  spread 200:
 * the windows slide and old uploads and counters fall out of them.
 */
static void test_reapply_equivalence(void **state)
{
	struct ledger *l = *state;
	struct ledger *m = ledger_alloc(NULL), *r = ledger_alloc(NULL), *j = ledger_alloc(NULL);
	struct rand_dev devs[RAND_DEVS];
	uint64_t s = test_seed();
	struct fb *hist = calloc(RAND_FRAMES, sizeof(*hist));
	struct txl_outcome *ohist = calloc(RAND_FRAMES, sizeof(*ohist));
	struct txl_outcome o1, o2, o3, o4;
	struct buf mid = { 0 };

	assert_non_null(hist);
	assert_non_null(ohist);
	init_devs(devs, RAND_DEVS);
	for (unsigned i = 0; i < RAND_FRAMES; i++) {
		struct fb *b = &hist[i];
		rand_frame(&s, devs, RAND_DEVS, 200, b);
		b->in.f = &b->f;	/* the copy in hist moved */
		b->in.digest = b->digest;
		run(l, b, &ohist[i]);
		reapply(m, b, &ohist[i]);
		if (i == RAND_FRAMES / 2) {
			mid = snap(l);
			assert_int_equal(ledger_restore(r, mid.p, mid.len), 0);
			assert_int_equal(ledger_restore(j, mid.p, mid.len), 0);
		} else if (i > RAND_FRAMES / 2) {
			reapply(r, b, &ohist[i]);
		}
	}
	for (unsigned i = 0; i < RAND_FRAMES; i++)
		reapply(j, &hist[i], &ohist[i]);
	assert_same_state(l, m);
	assert_same_state(l, r);
	assert_same_state(l, j);
	for (unsigned i = 0; i < 500; i++) {
		struct fb b;
		rand_frame(&s, devs, RAND_DEVS, 200, &b);
		run(l, &b, &o1);
		run(m, &b, &o2);
		run(r, &b, &o3);
		run(j, &b, &o4);
		assert_same_outcome(&o1, &o2);
		assert_same_outcome(&o1, &o3);
		assert_same_outcome(&o1, &o4);
	}
	assert_same_state(l, m);
	free(mid.p);
	free(hist);
	free(ohist);
	ledger_free(m);
	ledger_free(r);
	ledger_free(j);
}

/* ---- a reference model: sets with unbounded memory ---- */

#define MODEL_SPAN	(1u << 16)	/* upload_seqs and counters the model can hold */

struct model_dev {
	bool has_up, has_ctr;
	uint32_t max_up, max_ctr, balance;
	uint8_t up_seen[MODEL_SPAN];
	uint8_t up_dig[MODEL_SPAN][LEDGER_DIGEST_LEN];
	uint8_t ctr_seen[MODEL_SPAN];
};

static void model_alert(struct txl_outcome *o, enum txl_alert a, int rec, int64_t x, int64_t y)
{
	struct txl_event *e = txl_outcome_alert(o, a, rec);
	assert_non_null(e);
	switch (a) {
	case TXL_AL_REPLAY:
		e->last_upload = x;
		e->got = y;
		break;
	case TXL_AL_CLOCK_SKEW:
		e->skew_s = x;
		break;
	default:
		e->expected = x;
		e->got = y;
		break;
	}
}

/* Check 5 and the record's clock_skew, straight from txlog-v1.md, for
 * inputs where every counter is within 64 of the max. */
static bool model_record(struct model_dev *md, const struct ledger_input *in, int i, struct txl_outcome *o)
{
	const struct txl_record *r = &in->f->rec[i];
	assert_true(r->counter < MODEL_SPAN);
	if (md->ctr_seen[r->counter]) {
		o->repeated++;
		return false;
	}
	md->ctr_seen[r->counter] = 1;
	struct txl_event *e = txl_outcome_add(o, TXL_EV_RECORD, i);
	if (md->has_ctr && r->counter < md->max_ctr) {
		e->late = true;
		o->late++;
	} else {
		if (md->has_ctr && r->counter == md->max_ctr + 1) {
			int64_t x = md->balance + (int64_t)type_sign_for_test(r->type) * r->amount;
			if (x != r->balance)
				model_alert(o, TXL_AL_BALANCE_MISMATCH, i, x, r->balance);
		} else if (md->has_ctr) {
			model_alert(o, TXL_AL_COUNTER_GAP, i, (int64_t)md->max_ctr + 1, r->counter);
		}
		md->has_ctr = true;
		md->max_ctr = r->counter;
		md->balance = r->balance;
	}
	if ((int64_t)r->time > in->now + in->skew_s) {
		model_alert(o, TXL_AL_CLOCK_SKEW, i, (int64_t)r->time - in->now, 0);
		return true;
	}
	return false;
}

static void model_process(struct model_dev *md, const struct ledger_input *in, struct txl_outcome *o)
{
	const struct txl_frame *f = in->f;
	bool skewed = false;

	txl_outcome_init(o);
	assert_true(f->upload_seq < MODEL_SPAN);
	if (md->up_seen[f->upload_seq]) {
		if (!memcmp(md->up_dig[f->upload_seq], in->digest, LEDGER_DIGEST_LEN)) {
			o->duplicate = true;
			return;
		}
		assert_non_null(txl_outcome_reject(o, TXL_REJ_REPLAY, "x"));
		model_alert(o, TXL_AL_REPLAY, -1, md->max_up, f->upload_seq);
		return;
	}
	md->up_seen[f->upload_seq] = 1;
	memcpy(md->up_dig[f->upload_seq], in->digest, LEDGER_DIGEST_LEN);
	if (!md->has_up || f->upload_seq > md->max_up)
		md->max_up = f->upload_seq;
	md->has_up = true;
	o->upload_accepted = true;
	for (int i = 0; i < f->n_records; i++)
		skewed |= model_record(md, in, i, o);
	const char *src = in->src_msisdn;
	if (src && *src == '+')
		src++;
	if (in->registered_msisdn && *in->registered_msisdn && src && strcmp(src, in->registered_msisdn)) {
		struct txl_event *e = txl_outcome_alert(o, TXL_AL_MSISDN_MISMATCH, -1);
		e->registered = in->registered_msisdn;
		e->src = in->src_msisdn;
	}
	if (!skewed && (int64_t)f->created > in->now + in->skew_s)
		model_alert(o, TXL_AL_CLOCK_SKEW, -1, (int64_t)f->created - in->now, 0);
}

/* The ledger against the model on random frames whose upload_seqs and
 * counters stay within 60 of their maxima, where the windows never lose
 * anything and the model's sets give the answer the spec asks for. */
static void test_model(void **state)
{
	struct ledger *l = *state;
	struct rand_dev devs[RAND_DEVS];
	struct model_dev *md = calloc(RAND_DEVS, sizeof(*md));
	uint64_t s = test_seed();
	struct txl_outcome o, mo;
	unsigned n_events = 0, n_dup = 0, n_replay = 0;

	assert_non_null(md);
	init_devs(devs, RAND_DEVS);
	for (unsigned i = 0; i < 20000; i++) {
		struct fb b;
		rand_frame(&s, devs, RAND_DEVS, 60, &b);
		run(l, &b, &o);
		model_process(&md[b.f.device_id - 0x1000], &b.in, &mo);
		/* the reject's error text is the ledger's own */
		if (mo.n && mo.ev[0].type == TXL_EV_REJECT) {
			assert_non_null(o.ev[0].error);
			mo.ev[0].error = o.ev[0].error;
			n_replay++;
		}
		assert_same_outcome(&o, &mo);
		n_events += o.n;
		n_dup += o.duplicate;
	}
	/* the inputs did reach every branch */
	assert_true(n_dup > 100);
	assert_true(n_replay > 100);
	assert_true(n_events > 20000);
	free(md);
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_v1),
		T(test_snapshot_roundtrip),
		T(test_restore_strict),
		T(test_restore_v1),
		T(test_reapply_equivalence),
		T(test_model),
	};
#undef T
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests_name("ledger_state", tests, NULL, NULL));
}
