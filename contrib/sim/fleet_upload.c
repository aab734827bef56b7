/*
 * fleet_upload.c — a simulated handset's uploads: honest transactions,
 * TXLOG v1 frames signed with its key, the anomalies, and the bus
 * messages each upload must produce (txlog-v1.md "What the gateway
 * checks", bus.md); see fleet.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "contrib/sim/fleet.h"
#include "gateway/txlog/sign.h"

/* A person texting the service number: no "TXL1:" in any of them, and
 * all in the GSM 7-bit default alphabet. */
static const char *const human_texts[] = {
	"Hello, how do I top up my wallet?",
	"STOP",
	"Why was I charged twice yesterday at the station?",
	"balance please",
	"Thanks! The voucher worked fine.",
	"Call me back at 5pm, my card does not work (again).",
};

/* Relative weights of the record types 1..9 (txlog-v1.md record table):
 * mostly purchases, some top-ups, the rest now and then. */
static const uint8_t type_weight[10] = { 0, 40, 10, 10, 8, 8, 8, 5, 5, 6 };

/* A stored value stays well inside u32 (txlog-v1.md: balance is a u32). */
#define BALANCE_CEILING		2000000000u

static uint32_t rand_range(struct fleet *fl, uint32_t lo, uint32_t hi)
{
	return lo + fleet_rand(fl, hi - lo + 1);
}

static uint8_t pick_type(struct fleet *fl)
{
	unsigned sum = 0, r;

	for (unsigned t = 1; t <= 9; t++)
		sum += type_weight[t];
	r = fleet_rand(fl, sum);
	for (uint8_t t = 1; t <= 9; t++) {
		if (r < type_weight[t])
			return t;
		r -= type_weight[t];
	}
	return TXL_T_PURCHASE;
}

/* Another device of the fleet, for transfers and vouchers. */
static uint64_t peer_device(struct fleet *fl)
{
	return fl->dev[fleet_rand(fl, fl->n_active)].id;
}

static uint32_t amount_of(struct fleet *fl, uint8_t type)
{
	switch (type) {
	case TXL_T_PURCHASE:	return rand_range(fl, 100, 20000);
	case TXL_T_TOPUP:	return rand_range(fl, 10000, 200000);
	case TXL_T_VOUCHER_BUY:	return rand_range(fl, 500, 5000);
	case TXL_T_TRANSFER_OUT:
	case TXL_T_TRANSFER_IN:	return rand_range(fl, 100, 10000);
	case TXL_T_REDEEM:	return rand_range(fl, 0, 5000);	/* may be 0 */
	case TXL_T_REFUND:	return rand_range(fl, 100, 5000);
	default:		return 0;	/* voucher_send / _recv: amount 0 */
	}
}

/*
 * One transaction of a device whose last counter and balance are *counter
 * and *balance (updated).  A debit the balance cannot cover becomes a
 * top-up, a credit past the ceiling a purchase: the secure element never
 * goes below zero.
 */
static void make_record(struct fleet *fl, struct txl_record *r, uint32_t now, uint32_t *counter,
			uint32_t *balance)
{
	memset(r, 0, sizeof(*r));
	r->type = pick_type(fl);
	r->amount = amount_of(fl, r->type);
	int eff = txl_type_effect(r->type);
	if (eff < 0 && r->amount > *balance) {
		r->type = TXL_T_TOPUP;
		r->amount = amount_of(fl, r->type);
		eff = 1;
	}
	if (eff > 0 && *balance > BALANCE_CEILING - r->amount) {
		r->type = TXL_T_PURCHASE;
		r->amount = amount_of(fl, r->type);
		eff = -1;
	}
	*balance = eff < 0 ? *balance - r->amount : eff > 0 ? *balance + r->amount : *balance;
	r->counter = ++*counter;
	r->time = now;
	r->currency = FLEET_CURRENCY;
	r->balance = *balance;
	switch (r->type) {
	case TXL_T_TRANSFER_OUT: case TXL_T_TRANSFER_IN:
	case TXL_T_VOUCHER_SEND: case TXL_T_VOUCHER_RECV:
		r->peer = peer_device(fl);
		break;
	default:
		r->peer = 0x5E0000000000ULL | fleet_rand(fl, 1u << 24);	/* a terminal */
	}
	if (r->type == TXL_T_VOUCHER_BUY || r->type == TXL_T_REDEEM || r->type == TXL_T_VOUCHER_SEND ||
	    r->type == TXL_T_VOUCHER_RECV) {
		r->item_len = (uint8_t)rand_range(fl, 8, 16);
		for (unsigned i = 0; i < r->item_len; i++)
			r->item[i] = (uint8_t)fleet_rand(fl, 256);
	}
}

static struct fleet_ev *ev_add(struct fleet_upload *up, enum txl_ev_type type, unsigned kind)
{
	struct fleet_ev *e = &up->ev[up->n_ev++];
	memset(e, 0, sizeof(*e));
	e->type = (uint8_t)type;
	e->kind = (uint8_t)kind;
	return e;
}

static void ev_record(struct fleet_upload *up, const struct txl_record *r)
{
	struct fleet_ev *e = ev_add(up, TXL_EV_RECORD, 0);
	e->rec_type = r->type;
	e->has_counter = true;
	e->counter = r->counter;
	e->amount = r->amount;
	e->balance = r->balance;
}

static struct fleet_ev *ev_alert(struct fleet_upload *up, enum txl_alert kind, const struct txl_record *r,
				 int64_t expected, int64_t got)
{
	struct fleet_ev *e = ev_add(up, TXL_EV_ALERT, kind);
	if (r) {
		e->has_counter = true;
		e->counter = r->counter;
	}
	e->expected = expected;
	e->got = got;
	return e;
}

static int sign_frame(struct fleet_dev *d, struct fleet_upload *up, bool flip, struct fleet *fl)
{
	unsigned md_len = 32;
	int n = txl_frame_sign(d->signer, &up->f, up->data, sizeof(up->data));

	if (n < 0)
		return -EIO;
	up->len = (size_t)n;
	if (flip)	/* one bit of the signature: it cannot verify */
		up->data[up->len - 1 - fleet_rand(fl, TXL_SIG_LEN)] ^= (uint8_t)(1u << fleet_rand(fl, 8));
	return EVP_Digest(up->data, up->len, up->digest, &md_len, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

/* The source address of a device's SMS: its MSISDN, or, for a device bound
 * to none, a number of its own. */
static void dev_src(const struct fleet_dev *d, char *out, size_t cap)
{
	if (d->msisdn[0])
		snprintf(out, cap, "%s", d->msisdn);
	else
		snprintf(out, cap, "8869%08" PRIu64, d->id % 100000000u);
}

static int text_upload(struct fleet *fl, struct fleet_dev *d, struct fleet_upload *up)
{
	const char *t = human_texts[fleet_rand(fl, sizeof(human_texts) / sizeof(human_texts[0]))];

	up->text = true;
	up->len = strlen(t);
	memcpy(up->data, t, up->len);
	dev_src(d, up->src, sizeof(up->src));
	ev_add(up, TXL_EV_REJECT, TXL_REJ_NOT_TXLOG);
	return 0;
}

/* The device an anomaly is sent from, or NULL when it does not apply. */
static struct fleet_dev *anomaly_dev(struct fleet *fl, struct fleet_dev *d, enum fleet_anomaly a)
{
	switch (a) {
	case FA_REVOKED:
		return fl->n_revoked ? &fl->dev[fl->n_active + fleet_rand(fl, fl->n_revoked)] : NULL;
	case FA_UNKNOWN_DEVICE:
		return fl->n_phantom ?
		       &fl->dev[fl->n_active + fl->n_revoked + fleet_rand(fl, fl->n_phantom)] : NULL;
	case FA_REPLAY:
	case FA_COUNTER_GAP:
	case FA_BALANCE_MISMATCH:
		return d->started ? d : NULL;	/* the first record is only a baseline */
	case FA_MSISDN:
		return d->msisdn[0] ? d : NULL;
	default:
		return d;
	}
}

/* Records of an accepted frame, with the alerts the anomaly brings. */
static void expect_records(struct fleet_upload *up, const struct fleet_dev *d, enum fleet_anomaly a,
			   int64_t good_balance)
{
	for (unsigned i = 0; i < up->f.n_records; i++) {
		const struct txl_record *r = &up->f.rec[i];
		ev_record(up, r);
		if (i == 0 && a == FA_COUNTER_GAP)
			ev_alert(up, TXL_AL_COUNTER_GAP, r, (int64_t)d->counter + 1, r->counter);
		if (i == 0 && a == FA_BALANCE_MISMATCH)
			ev_alert(up, TXL_AL_BALANCE_MISMATCH, r, good_balance, r->balance);
	}
	if (a == FA_MSISDN)
		ev_alert(up, TXL_AL_MSISDN_MISMATCH, NULL, 0, 0);
}

/* Fill the frame's records from *counter / *balance; for
 * balance_mismatch the first record's balance is off by 1..1000 and the
 * rest follow from it.  Returns the balance record 1 should have had. */
static int64_t fill_records(struct fleet *fl, struct txl_frame *f, enum fleet_anomaly a, uint32_t now,
			    uint32_t *counter, uint32_t *balance)
{
	int64_t good = 0;

	f->n_records = (uint8_t)rand_range(fl, 1, fl->max_records ? fl->max_records : 1);
	for (unsigned i = 0; i < f->n_records; i++) {
		make_record(fl, &f->rec[i], now, counter, balance);
		if (i == 0 && a == FA_BALANCE_MISMATCH) {
			uint32_t off = rand_range(fl, 1, 1000);
			good = f->rec[0].balance;
			f->rec[0].balance = f->rec[0].balance >= off ? f->rec[0].balance - off :
					    f->rec[0].balance + off;
			*balance = f->rec[0].balance;
		}
	}
	return good;
}

int fleet_upload(struct fleet *fl, unsigned dev, enum fleet_anomaly a, uint32_t now,
		 struct fleet_upload *up)
{
	struct fleet_dev *d;
	uint32_t counter, balance, seq;
	int64_t good;
	bool accepted;
	int rc;

	memset(up, 0, offsetof(struct fleet_upload, ev));
	if (dev >= fl->n_active || (unsigned)a >= FA_COUNT)
		return -EINVAL;
	up->anomaly = a;
	up->dev = dev;
	if (a == FA_TEXT)
		return text_upload(fl, &fl->dev[dev], up);
	d = anomaly_dev(fl, &fl->dev[dev], a);
	if (!d)
		return -EAGAIN;
	up->dev = (unsigned)(d - fl->dev);
	up->device_id = d->id;
	up->has_device = true;
	dev_src(d, up->src, sizeof(up->src));
	if (a == FA_MSISDN) {
		/* another subscriber's number: the first digit after 8869 flipped */
		up->src[4] = up->src[4] == '9' ? '0' : (char)(up->src[4] + 1);
		up->registered = d->msisdn;
	}
	counter = d->counter;
	balance = d->balance;
	seq = a == FA_REPLAY ? d->upload_seq : d->upload_seq + 1;
	if (a == FA_COUNTER_GAP)
		counter += rand_range(fl, 1, 5);
	up->upload_seq = seq;
	up->f.version = TXL_VERSION;
	up->f.alg = d->alg;
	up->f.device_id = d->id;
	up->f.key_id = d->key_id;
	up->f.upload_seq = seq;
	up->f.created = now;
	good = fill_records(fl, &up->f, a, now, &counter, &balance);
	rc = sign_frame(d, up, a == FA_BAD_SIGNATURE, fl);
	if (rc < 0)
		return rc;

	switch (a) {
	case FA_BAD_SIGNATURE:
		ev_add(up, TXL_EV_REJECT, TXL_REJ_BAD_SIGNATURE);
		break;
	case FA_UNKNOWN_DEVICE:
		ev_add(up, TXL_EV_REJECT, TXL_REJ_UNKNOWN_DEVICE);
		break;
	case FA_REVOKED:
		ev_add(up, TXL_EV_REJECT, TXL_REJ_REVOKED);
		ev_alert(up, TXL_AL_REVOKED_DEVICE, NULL, 0, 0);
		break;
	case FA_REPLAY:
		ev_add(up, TXL_EV_REJECT, TXL_REJ_REPLAY);
		ev_alert(up, TXL_AL_REPLAY, NULL, d->upload_seq, seq);
		break;
	default:
		expect_records(up, d, a, good);
	}
	/* Only an accepted frame moves the secure element's state as the
	 * gateway sees it; a rejected one is as if never sent. */
	accepted = a == FA_NONE || a == FA_COUNTER_GAP || a == FA_BALANCE_MISMATCH || a == FA_MSISDN;
	if (accepted) {
		d->counter = counter;
		d->balance = balance;
		d->upload_seq = seq;
		d->started = true;
	}
	return 0;
}
