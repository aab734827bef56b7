/*
 * handset.h — txgw-handset-sim's handsets: GSM phones behind its BSC
 * (bsc.h), each with one SIM (an IMSI the HLR knows), sending their
 * uploads as mobile-originated SMS and taking mobile-terminated ones.
 *
 * A handset, as a phone does (3GPP TS 24.008 §4.4, §4.5; TS 24.011 §5):
 *
 *   - registers first: LOCATION UPDATING REQUEST in its own connection,
 *     LOCATION UPDATING ACCEPT, then the MSC clears the connection; a
 *     reject is tried again later;
 *   - sends an upload's SMS in one connection opened with CM SERVICE
 *     REQUEST: after CM SERVICE ACCEPT, each part in CP-DATA (RP-DATA with
 *     the SMS-SUBMIT), each in a transaction of its own; the network's
 *     CP-ACK, then its RP-ACK or RP-ERROR in CP-DATA, which the handset
 *     acknowledges with CP-ACK.  The next part goes before that CP-ACK
 *     (§5.4: concatenated messages), so the MSC keeps the connection;
 *   - answers PAGING with a PAGING RESPONSE, takes each SMS-DELIVER in
 *     CP-DATA (CP-ACK, then RP-ACK in CP-DATA) and hands its TPDU up;
 *   - waits, after CLEAR COMMAND, until the MSC has released the
 *     connection before it opens another: the MSC discards a second
 *     connection of a subscriber while the first is still going;
 *   - retries what went wrong later (RP-ERROR, no answer within the guard
 *     time, the connection lost, CM SERVICE REJECT), after 1, 2, 4 ...
 *     seconds; a part still unacknowledged after the last try fails for
 *     good.  CM SERVICE REJECT "IMSI unknown in VLR" (an MSC that lost
 *     its subscribers) makes the handset register again first.
 *
 * At most cfg.concurrency connections are open at once; handsets that
 * want one wait their turn, in order.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>

#include "contrib/sim/bsc.h"
#include "contrib/sim/sms_form.h"

struct hs_world;
struct handset;

/* One upload waiting in a handset's outbox: its SMS and how each went. */
struct hs_upload {
	struct llist_head list;
	size_t book;			/* the caller's tag (its book index) */
	struct sf_sms sms;
	uint8_t part[SF_MAX_PARTS];	/* enum hs_part_state */
	unsigned tries;
};

struct hs_ops {
	/*
	 * An idle handset of an active device may send: put its next
	 * upload in its outbox (hs_enqueue()), on this one's or another
	 * handset's, and return 0; -EAGAIN for none now (ask again later),
	 * -ENOENT for none ever.
	 */
	int (*next)(void *data, struct handset *h);
	/* Part part of the upload tagged book ended: RP-ACK (ok) or failed
	 * for good (cause: the last RP-Cause, or 0 for no answer). */
	void (*part_done)(void *data, struct handset *h, size_t book, unsigned part, bool ok,
			  uint8_t cause);
	/* An upload left the outbox (every part ended). */
	void (*upload_done)(void *data, struct handset *h, size_t book);
	/* An SMS-DELIVER TPDU from service centre smsc. */
	void (*mt)(void *data, struct handset *h, const uint8_t *tpdu, size_t len, const char *smsc);
};

struct hs_cfg {
	struct bsc_cfg bsc;
	const char *smsc;		/* RP-DA of the handsets' RP-DATA */
	unsigned concurrency;		/* connections open at once */
	unsigned guard_ms;		/* an answer must come within this */
	unsigned retry_ms, retry_max_ms;	/* first wait before a retry; the longest */
	unsigned tries;			/* sends of a part at most */
	unsigned per_conn;		/* uploads sent in one connection at most */
};

struct hs_stats {
	uint64_t lu, lu_accept, lu_reject, cm_req, cm_accept, cm_reject, sms_sent, rp_ack, rp_error,
		 guard_timeouts, lost, retries, failed, paged, mt_sms, waits;
	unsigned registered, busy, waiting;
};

/* The world: the BSC and the handsets behind it.  Returns 0 or a
 * negative errno (bsc_open()'s). */
int hs_world_open(void *ctx, const struct hs_cfg *cfg, const struct hs_ops *ops, void *data,
		  struct hs_world **out);

/* A handset with SIM imsi, its MSISDN in the HLR msisdn, the fleet's
 * device dev; active: it makes uploads of its own (hs_ops.next). */
struct handset *hs_add(struct hs_world *w, const char *imsi, const char *msisdn, unsigned dev,
		       bool active);

/* Put up in h's outbox (up is now the world's); h sends it in turn. */
void hs_enqueue(struct hs_world *w, struct handset *h, struct hs_upload *up);

/* Idle handsets of active devices ask hs_ops.next again (new work). */
void hs_kick(struct hs_world *w);

/* Whether the core took the BSC (RESET ACKNOWLEDGE) and every handset
 * registered once; whether any handset still has something to send. */
bool hs_world_ready(const struct hs_world *w);
bool hs_world_busy(const struct hs_world *w);

/* The handset's identity, for the caller. */
const char *hs_imsi(const struct handset *h);
const char *hs_msisdn(const struct handset *h);
unsigned hs_dev(const struct handset *h);
/* The PAGING messages the MSC sent for it so far. */
unsigned hs_paged(const struct handset *h);

const struct hs_stats *hs_get_stats(const struct hs_world *w);

/* The SMS's CP-DATA -> RP-ACK times so far: their count, or -ENOENT. */
int hs_latency(struct hs_world *w, double *p50_ms, double *p99_ms, double *max_ms);
struct bsc *hs_bsc(const struct hs_world *w);
