/*
 * ledger.c — per-device TXLOG state and checks 4-7 (txlog-v1.md, "What the
 * gateway checks, per device"; windows as in RFC 4303 §3.4.3).
 *
 * Memory.  A million devices must fit, so a device is one 48-byte slot in
 * a dense array (in order of first appearance), found through an open
 * addressing index of 32-bit slot numbers kept at most half full (about 8
 * bytes per device).  The upload digests, 16 bytes for each accepted
 * upload_seq in the window, live in a per-device array that grows by
 * powers of two up to 64 entries: a device that uploaded three times costs
 * 64 bytes of digests, one in steady state 1 KiB.  These arrays are plain
 * malloc()ed: a talloc chunk header per device would add about 100 bytes
 * to each; the talloc'ed struct ledger frees them in its destructor.
 *
 * The index hash needs no key: device_ids reach the ledger only after the
 * registry look-up and the signature check, so no outsider chooses them.
 *
 * Why 16 bytes of SHA-256 suffice for the digest.  The digest only tells a
 * duplicate (the same frame delivered twice) from a replay (another frame
 * signed with the same upload_seq).  To have a different frame pass as a
 * duplicate, it must match the digest already recorded for that
 * upload_seq: a second preimage against a fixed 128-bit target, about
 * 2^128 work.  A birthday collision (2^64) does not help: only someone
 * holding the device key can make frames, and all a colliding pair buys
 * them is that their own second frame is dropped unpublished, which not
 * sending it achieves as well.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "gateway/lib/crc32c.h"
#include "gateway/lib/cursor.h"
#include "gateway/txlog/ledger.h"

#define HAS_UPLOAD	0x01
#define HAS_COUNTER	0x02

/* Most devices a ledger holds: slot numbers are 32-bit, 0 meaning empty. */
#define MAX_DEVICES	(1u << 31)

struct dev {
	uint64_t id;
	uint64_t up_win;	/* bit i: upload max_upload - i accepted */
	uint64_t ctr_win;	/* bit i: counter max_counter - i seen */
	uint8_t (*dig)[LEDGER_DIGEST_LEN];	/* popcount(up_win) digests, oldest first */
	uint32_t max_upload;
	uint32_t max_counter;
	uint32_t balance;	/* of max_counter's record */
	uint8_t dig_cap;	/* entries allocated in dig */
	uint8_t has;		/* HAS_UPLOAD | HAS_COUNTER */
};

/* The device table: a dense array and its index. */
struct tab {
	struct dev *devs;
	uint32_t n, cap;
	uint32_t *idx;		/* slot number + 1; 0: empty */
	uint32_t idx_mask;	/* index size - 1; size is 0 or a power of two */
};

struct ledger {
	struct tab t;
};

/* ---- the device table ---- */

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static struct dev *tab_find(const struct tab *t, uint64_t id)
{
	if (!t->idx)
		return NULL;
	for (uint32_t i = (uint32_t)mix64(id) & t->idx_mask;; i = (i + 1) & t->idx_mask) {
		uint32_t s = t->idx[i];
		if (!s)
			return NULL;
		if (t->devs[s - 1].id == id)
			return &t->devs[s - 1];
	}
}

static void idx_put(uint32_t *idx, uint32_t mask, uint64_t id, uint32_t slot)
{
	uint32_t i = (uint32_t)mix64(id) & mask;
	while (idx[i])
		i = (i + 1) & mask;
	idx[i] = slot + 1;
}

/* Make room for one more device; the table is unchanged on error. */
static int tab_reserve(struct tab *t)
{
	if (t->n >= MAX_DEVICES - 1)
		return -ENOSPC;
	if (t->n == t->cap) {
		uint32_t ncap = t->cap ? t->cap * 2 : 16;
		struct dev *d = realloc(t->devs, (size_t)ncap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		t->devs = d;
		t->cap = ncap;
	}
	/* keep the index at most half full: short linear probes */
	size_t size = t->idx ? (size_t)t->idx_mask + 1 : 0;
	if ((size_t)(t->n + 1) * 2 <= size)
		return 0;
	size_t nsize = size ? size * 2 : 32;
	uint32_t *idx = calloc(nsize, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (uint32_t s = 0; s < t->n; s++)
		idx_put(idx, (uint32_t)(nsize - 1), t->devs[s].id, s);
	free(t->idx);
	t->idx = idx;
	t->idx_mask = (uint32_t)(nsize - 1);
	return 0;
}

/* Add a device after tab_reserve(): cannot fail. */
static struct dev *tab_insert(struct tab *t, const struct dev *d)
{
	uint32_t s = t->n++;
	t->devs[s] = *d;
	idx_put(t->idx, t->idx_mask, d->id, s);
	return &t->devs[s];
}

static void tab_free(struct tab *t)
{
	for (uint32_t s = 0; s < t->n; s++)
		free(t->devs[s].dig);
	free(t->devs);
	free(t->idx);
	memset(t, 0, sizeof(*t));
}

static int ledger_destroy(struct ledger *l)
{
	tab_free(&l->t);
	return 0;
}

struct ledger *ledger_alloc(void *talloc_ctx)
{
	struct ledger *l = talloc_zero(talloc_ctx, struct ledger);
	if (l)
		talloc_set_destructor(l, ledger_destroy);
	return l;
}

void ledger_free(struct ledger *l)
{
	talloc_free(l);
}

size_t ledger_count(const struct ledger *l)
{
	return l->t.n;
}

size_t ledger_mem(const struct ledger *l)
{
	const struct tab *t = &l->t;
	size_t m = sizeof(*l) + (size_t)t->cap * sizeof(struct dev);
	if (t->idx)
		m += ((size_t)t->idx_mask + 1) * sizeof(uint32_t);
	for (uint32_t s = 0; s < t->n; s++)
		m += (size_t)t->devs[s].dig_cap * LEDGER_DIGEST_LEN;
	return m;
}

/*
 * The device to change: the stored one, or, for a new device, a zeroed
 * one in *tmp that dev_commit() inserts once nothing can fail any more.
 */
static int dev_open(struct ledger *l, uint64_t id, struct dev *tmp, struct dev **d)
{
	*d = tab_find(&l->t, id);
	if (*d)
		return 0;
	int rc = tab_reserve(&l->t);
	if (rc)
		return rc;
	memset(tmp, 0, sizeof(*tmp));
	tmp->id = id;
	*d = tmp;
	return 0;
}

static void dev_commit(struct ledger *l, struct dev *d, const struct dev *tmp)
{
	if (d == tmp && d->has)
		tab_insert(&l->t, d);
}

/* ---- windows (RFC 4303 §3.4.3: bit i stands for max - i) ---- */

enum win_pos {
	WIN_NEW,	/* no baseline yet, or above the max: the window slides */
	WIN_FREE,	/* within the window, not set */
	WIN_SET,	/* within the window, set */
	WIN_OLD,	/* at or below max - 64: too old to tell */
};

/* Where v falls in a window; *bit is its bit for WIN_FREE and WIN_SET. */
static enum win_pos win_where(bool has, uint32_t max, uint64_t win, uint32_t v, unsigned *bit)
{
	if (!has || v > max)
		return WIN_NEW;
	uint32_t back = max - v;
	if (back >= LEDGER_WINDOW)
		return WIN_OLD;
	*bit = back;
	return (win >> back) & 1 ? WIN_SET : WIN_FREE;
}

/* The window after sliding up by `by` (1..2^32-1) and marking the new max. */
static uint64_t win_slide(uint64_t win, uint32_t by)
{
	return (by >= LEDGER_WINDOW ? 0 : win << by) | 1;
}

/* How many set bits of win stand for values older than bit `bit`. */
static unsigned win_older(uint64_t win, unsigned bit)
{
	return bit + 1 >= LEDGER_WINDOW ? 0 : (unsigned)__builtin_popcountll(win >> (bit + 1));
}

/* ---- applies: the state change alone ---- */

/* Let d->dig hold n digests; d is unchanged on error. */
static int dig_reserve(struct dev *d, unsigned n)
{
	if (n <= d->dig_cap)
		return 0;
	unsigned cap = d->dig_cap ? d->dig_cap : 1;
	while (cap < n)
		cap *= 2;
	void *p = realloc(d->dig, (size_t)cap * LEDGER_DIGEST_LEN);
	if (!p)
		return -ENOMEM;
	d->dig = p;
	d->dig_cap = (uint8_t)cap;
	return 0;
}

/* The upload slides the window to a new max_upload and is appended. */
static int up_apply_new(struct dev *d, uint32_t seq, const uint8_t *digest)
{
	uint32_t by = d->has & HAS_UPLOAD ? seq - d->max_upload : LEDGER_WINDOW;
	uint64_t kept = d->has & HAS_UPLOAD ? d->up_win : 0;
	if (by < LEDGER_WINDOW)
		kept &= ~0ULL >> by;	/* bits that stay in the window */
	else
		kept = 0;
	unsigned n_old = (unsigned)__builtin_popcountll(d->has & HAS_UPLOAD ? d->up_win : 0);
	unsigned n_kept = (unsigned)__builtin_popcountll(kept);
	int rc = dig_reserve(d, n_kept + 1);
	if (rc)
		return rc;
	/* the oldest digests are the ones that fell out */
	memmove(d->dig, d->dig + (n_old - n_kept), (size_t)n_kept * LEDGER_DIGEST_LEN);
	memcpy(d->dig[n_kept], digest, LEDGER_DIGEST_LEN);
	d->up_win = win_slide(kept, by);
	d->max_upload = seq;
	d->has |= HAS_UPLOAD;
	return 1;
}

/* The upload fills a free bit below max_upload: insert its digest in order. */
static int up_apply_free(struct dev *d, unsigned bit, const uint8_t *digest)
{
	unsigned n = (unsigned)__builtin_popcountll(d->up_win);
	int rc = dig_reserve(d, n + 1);
	if (rc)
		return rc;
	unsigned at = win_older(d->up_win, bit);
	memmove(d->dig + at + 1, d->dig + at, (size_t)(n - at) * LEDGER_DIGEST_LEN);
	memcpy(d->dig[at], digest, LEDGER_DIGEST_LEN);
	d->up_win |= 1ULL << bit;
	return 1;
}

static const uint8_t *up_digest(const struct dev *d, unsigned bit)
{
	return d->dig[win_older(d->up_win, bit)];
}

static int dev_apply_upload(struct dev *d, uint32_t seq, const uint8_t *digest)
{
	unsigned bit = 0;
	switch (win_where(d->has & HAS_UPLOAD, d->max_upload, d->up_win, seq, &bit)) {
	case WIN_NEW:
		return up_apply_new(d, seq, digest);
	case WIN_FREE:
		return up_apply_free(d, bit, digest);
	case WIN_SET:
		return memcmp(up_digest(d, bit), digest, LEDGER_DIGEST_LEN) ? -EEXIST : 0;
	case WIN_OLD:
	default:
		return 0;
	}
}

static int dev_apply_record(struct dev *d, uint32_t counter, uint32_t balance)
{
	unsigned bit = 0;
	switch (win_where(d->has & HAS_COUNTER, d->max_counter, d->ctr_win, counter, &bit)) {
	case WIN_NEW:
		d->ctr_win = win_slide(d->has & HAS_COUNTER ? d->ctr_win : 0,
				       d->has & HAS_COUNTER ? counter - d->max_counter : LEDGER_WINDOW);
		d->max_counter = counter;
		d->balance = balance;
		d->has |= HAS_COUNTER;
		return 1;
	case WIN_FREE:
		d->ctr_win |= 1ULL << bit;
		return 1;
	case WIN_SET:
	case WIN_OLD:
	default:
		return 0;
	}
}

int ledger_apply_upload(struct ledger *l, uint64_t id, uint32_t upload_seq, const uint8_t *digest)
{
	struct dev tmp, *d;
	if (!digest)
		return -EINVAL;
	int rc = dev_open(l, id, &tmp, &d);
	if (rc)
		return rc;
	rc = dev_apply_upload(d, upload_seq, digest);
	if (rc >= 0)
		dev_commit(l, d, &tmp);
	else if (d == &tmp)
		free(tmp.dig);
	return rc;
}

int ledger_apply_record(struct ledger *l, uint64_t id, uint32_t counter, uint32_t balance)
{
	struct dev tmp, *d;
	int rc = dev_open(l, id, &tmp, &d);
	if (rc)
		return rc;
	rc = dev_apply_record(d, counter, balance);
	dev_commit(l, d, &tmp);
	return rc;
}

/* ---- checks 4-7 ---- */

/*
 * A record's balance effect (txlog-v1.md, record type table): -1, +1 or 0
 * times amount; -2 for a type the format does not know.
 */
static int type_sign(uint8_t type)
{
	switch (type) {
	case TXL_T_PURCHASE:
	case TXL_T_VOUCHER_BUY:
	case TXL_T_TRANSFER_OUT:
		return -1;
	case TXL_T_TOPUP:
	case TXL_T_TRANSFER_IN:
	case TXL_T_REDEEM:
	case TXL_T_REFUND:
		return 1;
	case TXL_T_VOUCHER_SEND:
	case TXL_T_VOUCHER_RECV:
		return 0;
	default:
		return -2;
	}
}

/* What the frame decoder guarantees, and the ledger relies on. */
static bool frame_ok(const struct txl_frame *f)
{
	if (f->n_records < 1 || f->n_records > TXL_MAX_RECORDS)
		return false;
	for (unsigned i = 0; i < f->n_records; i++)
		if (type_sign(f->rec[i].type) == -2)
			return false;
	return true;
}

/*
 * Check 4.  Returns 1 when the frame goes on to its records, 0 when it
 * stops here (duplicate, or replay: reject then alert, in the order check
 * 3 reads "reject ... and raise alert"; both are about the frame, and the
 * reject says why nothing was published), or -ENOMEM.
 */
static int check_upload(struct dev *d, const struct ledger_input *in, struct txl_outcome *out)
{
	const struct txl_frame *f = in->f;
	unsigned bit = 0;
	int rc;

	switch (win_where(d->has & HAS_UPLOAD, d->max_upload, d->up_win, f->upload_seq, &bit)) {
	case WIN_SET:
		if (!memcmp(up_digest(d, bit), in->digest, LEDGER_DIGEST_LEN)) {
			out->duplicate = true;
			return 0;
		}
		txl_outcome_reject(out, TXL_REJ_REPLAY, "upload_seq already accepted with another frame");
		struct txl_event *e = txl_outcome_alert(out, TXL_AL_REPLAY, -1);
		e->last_upload = d->max_upload;
		e->got = f->upload_seq;
		return 0;
	case WIN_OLD:
		/* too old to tell: no judgement, nothing recorded */
		return 1;
	case WIN_NEW:
	case WIN_FREE:
	default:
		rc = dev_apply_upload(d, f->upload_seq, in->digest);
		if (rc < 0)
			return rc;
		out->upload_accepted = true;
		return 1;
	}
}

/*
 * A record's balance_mismatch or counter_gap, for a counter above
 * max_counter.  "expected" is computed in signed 64-bit: the previous
 * balance and the amount are both u32, so previous - amount may be below
 * 0 and previous + amount above 2^32 - 1.  It is reported as computed, not
 * wrapped or clamped: such a value can never equal the u32 balance
 * received, and the operator sees the true arithmetic.
 */
static void check_next(const struct dev *d, const struct txl_record *r, int i, struct txl_outcome *out)
{
	struct txl_event *e;
	int64_t next = (int64_t)d->max_counter + 1;

	if (!(d->has & HAS_COUNTER))
		return;		/* the first record ever is the baseline */
	if (r->counter == next) {
		int64_t expected = (int64_t)d->balance + type_sign(r->type) * (int64_t)r->amount;
		if (expected == r->balance)
			return;
		e = txl_outcome_alert(out, TXL_AL_BALANCE_MISMATCH, i);
		e->expected = expected;
		e->got = r->balance;
	} else {
		e = txl_outcome_alert(out, TXL_AL_COUNTER_GAP, i);
		e->expected = next;
		e->got = r->counter;
	}
}

/*
 * Check 5 for record i, then its clock_skew (check 7).  Order of one
 * record's events: the record, its counter_gap or balance_mismatch (at
 * most one of them), then its clock_skew: check 5's alerts before check
 * 7's, as the checks are numbered.  Sets *skewed when it raised clock_skew.
 */
static void check_record(struct dev *d, const struct ledger_input *in, int i, struct txl_outcome *out,
			 bool *skewed)
{
	const struct txl_record *r = &in->f->rec[i];
	struct txl_event *rec;
	unsigned bit = 0;

	switch (win_where(d->has & HAS_COUNTER, d->max_counter, d->ctr_win, r->counter, &bit)) {
	case WIN_SET:
		out->repeated++;
		return;
	case WIN_NEW:
		txl_outcome_add(out, TXL_EV_RECORD, i);
		check_next(d, r, i, out);
		break;
	case WIN_OLD:
		/* losing a signed record is worse than a repeat: publish */
		rec = txl_outcome_add(out, TXL_EV_RECORD, i);
		rec->late = rec->stale = true;
		out->late++;
		out->stale++;
		break;
	case WIN_FREE:
	default:
		rec = txl_outcome_add(out, TXL_EV_RECORD, i);
		rec->late = true;
		out->late++;
		break;
	}
	dev_apply_record(d, r->counter, r->balance);

	int64_t ahead = (int64_t)r->time - in->now;
	if (ahead > (int64_t)in->skew_s) {
		txl_outcome_alert(out, TXL_AL_CLOCK_SKEW, i)->skew_s = ahead;
		*skewed = true;
	}
}

/* "Another address": compared after dropping one leading '+' (registry.md). */
static bool msisdn_differs(const char *registered, const char *src)
{
	if (!registered || !*registered || !src)
		return false;	/* no binding, or e-mail: nothing to compare */
	if (*src == '+')
		src++;
	return strcmp(registered, src) != 0;
}

/*
 * Checks 6 and 7 for the frame, after its records, in the order the checks
 * are numbered: msisdn_mismatch, then the frame's clock_skew.  Both are
 * raised for any frame that got past check 4, even when all its records
 * were repeats: the address and the created time are facts about the
 * frame.  The frame's clock_skew is raised only when no record of it got
 * one ("if only the frame's created time is that far ahead").
 */
static void check_frame(const struct ledger_input *in, bool record_skewed, struct txl_outcome *out)
{
	struct txl_event *e;

	if (msisdn_differs(in->registered_msisdn, in->src_msisdn)) {
		e = txl_outcome_alert(out, TXL_AL_MSISDN_MISMATCH, -1);
		e->registered = in->registered_msisdn;
		e->src = in->src_msisdn;	/* as received, '+' and all */
	}
	int64_t ahead = (int64_t)in->f->created - in->now;
	if (!record_skewed && ahead > (int64_t)in->skew_s)
		txl_outcome_alert(out, TXL_AL_CLOCK_SKEW, -1)->skew_s = ahead;
}

int ledger_process(struct ledger *l, const struct ledger_input *in, struct txl_outcome *out)
{
	struct dev tmp, *d;
	bool record_skewed = false;

	txl_outcome_init(out);
	if (!in || !in->f || !in->digest || !frame_ok(in->f))
		return -EINVAL;
	int rc = dev_open(l, in->f->device_id, &tmp, &d);
	if (rc)
		return rc;
	/* check 4; the only step that may fail (allocating a digest) */
	rc = check_upload(d, in, out);
	if (rc <= 0) {
		if (d == &tmp)
			free(tmp.dig);
		return rc;
	}
	for (int i = 0; i < in->f->n_records; i++)
		check_record(d, in, i, out, &record_skewed);
	check_frame(in, record_skewed, out);
	dev_commit(l, d, &tmp);
	return 0;
}

/* ---- snapshot and restore ---- */

/*
 * LEGACY: the CRC-32 (IEEE 802.3, reflected 0xEDB88320, four bits a step)
 * of version 1 snapshots, which had their own CRC beside the journal's
 * CRC-32C.  Only read, so that a checkpoint written before version 2 still
 * loads; drop it once no state-dir can hold a version 1 checkpoint.
 */
uint32_t ledger_crc32_v1(const uint8_t *buf, size_t len)
{
	static const uint32_t t[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *buf++;
		crc = (crc >> 4) ^ t[crc & 15];
		crc = (crc >> 4) ^ t[crc & 15];
	}
	return ~crc;
}

#define SNAP_MAGIC	"TXLEDGER"
#define SNAP_VERSION	2	/* written; 1 is still read (LEGACY, ledger_crc32_v1()) */
#define SNAP_HDR_LEN	16	/* magic, version, flags, n_devices */
#define SNAP_CRC_LEN	4
/* The most one device takes in a snapshot. */
#define SNAP_DEV_MAX	(8 + 1 + 4 + 8 + LEDGER_WINDOW * LEDGER_DIGEST_LEN + 4 + 4 + 8)

struct snap_out {
	ledger_write_fn out;
	void *arg;
	uint32_t crc;
	struct wr w;
	uint8_t buf[16 * 1024];
};

static int snap_flush(struct snap_out *o)
{
	if (o->w.err)
		return o->w.err;
	o->crc = crc32c(o->crc, o->buf, o->w.off);
	int rc = o->w.off ? o->out(o->arg, o->buf, o->w.off) : 0;
	wr_init(&o->w, o->buf, sizeof(o->buf));
	return rc;
}

static void snap_dev(struct wr *w, const struct dev *d)
{
	wr_u64(w, d->id);
	wr_u8(w, d->has);
	if (d->has & HAS_UPLOAD) {
		wr_u32(w, d->max_upload);
		wr_u64(w, d->up_win);
		wr_bytes(w, d->dig, (size_t)__builtin_popcountll(d->up_win) * LEDGER_DIGEST_LEN);
	}
	if (d->has & HAS_COUNTER) {
		wr_u32(w, d->max_counter);
		wr_u32(w, d->balance);
		wr_u64(w, d->ctr_win);
	}
}

int ledger_snapshot(const struct ledger *l, ledger_write_fn out, void *arg)
{
	struct snap_out *o = malloc(sizeof(*o));	/* 16 KiB: not on the stack */
	int rc = 0;
	if (!o)
		return -ENOMEM;
	o->out = out;
	o->arg = arg;
	o->crc = 0;
	wr_init(&o->w, o->buf, sizeof(o->buf));
	wr_bytes(&o->w, SNAP_MAGIC, 8);
	wr_u16(&o->w, SNAP_VERSION);
	wr_u16(&o->w, 0);
	wr_u32(&o->w, l->t.n);
	for (uint32_t s = 0; s < l->t.n && !rc; s++) {
		if (sizeof(o->buf) - o->w.off < SNAP_DEV_MAX)
			rc = snap_flush(o);
		snap_dev(&o->w, &l->t.devs[s]);
	}
	if (!rc)
		rc = snap_flush(o);
	if (!rc) {
		uint32_t crc = o->crc;
		uint8_t b[SNAP_CRC_LEN] = { crc >> 24, crc >> 16, crc >> 8, crc };
		rc = out(arg, b, sizeof(b));
	}
	free(o);
	return rc;
}

/* A window as the ledger keeps it: its max set, no bit below value 0. */
static bool win_valid(uint32_t max, uint64_t win)
{
	if (!(win & 1))
		return false;
	return max >= LEDGER_WINDOW - 1 || !(win >> (max + 1));
}

/* One device of a snapshot into *d (d->dig malloc()ed when it has any). */
static int restore_dev(struct rd *r, struct dev *d)
{
	const uint8_t *dig = NULL;
	unsigned n = 0;

	memset(d, 0, sizeof(*d));
	rd_u64(r, &d->id);
	rd_u8(r, &d->has);
	if (r->err)
		return r->err;
	if (!d->has || (d->has & ~(HAS_UPLOAD | HAS_COUNTER)))
		return rd_fail(r, -EINVAL);
	if (d->has & HAS_UPLOAD) {
		rd_u32(r, &d->max_upload);
		rd_u64(r, &d->up_win);
		n = (unsigned)__builtin_popcountll(d->up_win);
		rd_bytes(r, (size_t)n * LEDGER_DIGEST_LEN, &dig);
		if (!r->err && !win_valid(d->max_upload, d->up_win))
			rd_fail(r, -EINVAL);
	}
	if (d->has & HAS_COUNTER) {
		rd_u32(r, &d->max_counter);
		rd_u32(r, &d->balance);
		rd_u64(r, &d->ctr_win);
		if (!r->err && !win_valid(d->max_counter, d->ctr_win))
			rd_fail(r, -EINVAL);
	}
	if (r->err)
		return r->err;
	if (n) {
		if (dig_reserve(d, n))
			return -ENOMEM;
		memcpy(d->dig, dig, (size_t)n * LEDGER_DIGEST_LEN);
	}
	return 0;
}

static int restore_tab(struct tab *t, const uint8_t *buf, size_t len)
{
	struct rd r;
	const uint8_t *magic = NULL;
	uint16_t version = 0, flags = 0;
	uint32_t n = 0;

	rd_init(&r, buf, len);
	rd_bytes(&r, 8, &magic);
	rd_u16(&r, &version);
	rd_u16(&r, &flags);
	rd_u32(&r, &n);
	if (r.err)
		return r.err;
	/* the version was checked with the CRC; the body is the same in both */
	if (memcmp(magic, SNAP_MAGIC, 8) || flags)
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		struct dev d;
		int rc = restore_dev(&r, &d);
		if (!rc && tab_find(t, d.id))
			rc = -EINVAL;	/* a device twice */
		if (!rc)
			rc = tab_reserve(t);
		if (rc) {
			free(d.dig);
			return rc;
		}
		tab_insert(t, &d);
	}
	return rd_end(&r);
}

int ledger_restore(struct ledger *l, const uint8_t *buf, size_t len)
{
	struct tab t = { 0 };
	int rc;

	if (!buf || len < SNAP_HDR_LEN + SNAP_CRC_LEN)
		return -EIO;
	/* the CRC first: nothing of a damaged file is believed.  The version
	 * says which CRC; it is covered by it, so a damaged version fails. */
	const uint8_t *c = buf + len - SNAP_CRC_LEN;
	uint32_t crc = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
	uint16_t version = (uint16_t)(buf[8] << 8 | buf[9]);
	if (version == SNAP_VERSION)
		rc = crc32c(0, buf, len - SNAP_CRC_LEN) == crc ? 0 : -EINVAL;
	else if (version == 1)
		rc = ledger_crc32_v1(buf, len - SNAP_CRC_LEN) == crc ? 0 : -EINVAL;
	else
		rc = -EINVAL;
	if (rc)
		return rc;
	rc = restore_tab(&t, buf, len - SNAP_CRC_LEN);
	if (rc) {
		tab_free(&t);
		return rc;
	}
	tab_free(&l->t);
	l->t = t;
	return 0;
}

int ledger_get(const struct ledger *l, uint64_t id, struct ledger_dev_state *st)
{
	const struct dev *d = tab_find(&l->t, id);
	if (!d)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->has_upload = d->has & HAS_UPLOAD;
	st->max_upload = d->max_upload;
	st->upload_win = d->up_win;
	st->n_digests = (unsigned)__builtin_popcountll(d->up_win);
	if (st->n_digests)
		memcpy(st->digest, d->dig, (size_t)st->n_digests * LEDGER_DIGEST_LEN);
	st->has_counter = d->has & HAS_COUNTER;
	st->max_counter = d->max_counter;
	st->balance = d->balance;
	st->counter_win = d->ctr_win;
	return 0;
}
