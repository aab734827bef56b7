/*
 * outbox_int.h — what the outbox's files share: outbox.c (requests,
 * queues, bearers, results, expiry), outbox_jrn.c (its journal groups and
 * their answers, and the rebuild at start-up).  Not for other modules.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/utils.h>	/* ARRAY_SIZE, for hashtable.h */
#include <osmocom/core/hashtable.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/linuxrbtree.h>
#include <osmocom/core/timer.h>

#include "gateway/engine/engine_int.h"
#include "gateway/engine/jrec.h"
#include "gateway/engine/outbox.h"
#include "gateway/engine/outbox_req.h"
#include "gateway/lib/log_ratelimit.h"

#define OB_HASH_BITS	16
#define OB_REFS		4096	/* per-destination counters, chosen by a hash */
#define OB_DEFAULT_MAX_AGE_S	86400

/* An id known for SEND's idempotence: while its DL_QUEUED record is in the
 * journal.  m is the message while it is not over, NULL after. */
struct ob_key {
	struct hlist_node node;		/* by id */
	struct hlist_node seq_node;	/* by seq, once it has one */
	uint64_t seq;			/* of its queued message; 0 while journaling */
	uint64_t entry;			/* the journal entry of its DL_QUEUED record */
	struct ob_msg *m;
	char id[];
};

/* A key a part awaiting its receipt is found by: the SMSC's message id,
 * or (umr) "MSISDN/user_message_reference" (ob_umr()). */
struct ob_mid {
	struct hlist_node node;
	struct ob_msg *m;
	uint8_t part;
	bool umr;
	char id[];
};

typedef char ob_msgid_t[JREC_DL_MSGID_MAX + 1];

enum ob_st {
	OB_ST_JOURNALING,		/* its DL_QUEUED group is not synced yet */
	OB_ST_QUEUED,			/* waiting: in its bearer's due tree */
	OB_ST_ATTEMPT,			/* its DL_ATTEMPT group is being synced */
	OB_ST_FLIGHT,			/* with its bearer */
	OB_ST_SUBMITTED,		/* submitted, awaiting receipts */
	OB_ST_OVER,			/* submitted (no receipts), delivered or failed */
};

/* An answer to a SEND waiting for the DL_QUEUED sync. */
struct ob_waiter {
	struct llist_head list;
	outbox_answer_cb answer;
	void *data;
};

struct ob_msg {
	struct llist_head list;		/* ob->msgs: every message not forgotten */
	struct ob_key *key;		/* id, seq, entry */
	enum ob_st st;
	uint8_t bearer;			/* enum ob_bearer */
	char to[OB_TO_MAX + 1];
	bool has_device;
	uint64_t device;
	uint8_t *payload;		/* NULL once submitted or over */
	size_t len;
	bool receipt;
	int64_t queued_ms, expires_ms;
	unsigned parts;
	unsigned attempts;		/* DL_ATTEMPT records */
	uint8_t ref;			/* its destination's counter at the last attempt */
	bool maybe_sent;		/* an answer was lost: the SMSC may have it */
	int64_t due_ms;			/* next try */
	unsigned backoff_s;
	struct rb_node due_node;	/* in ob->due[bearer] while OB_ST_QUEUED */
	struct rb_node exp_node;	/* in ob->exp until it ends or is submitted */
	bool in_due, in_exp;
	ob_msgid_t *ids;		/* the SMSC's, once submitted */
	unsigned n_ids;
	struct ob_mid **mids;		/* its keys in ob->by_mid while awaiting receipts */
	unsigned n_mids;
	uint8_t delivered;		/* parts a receipt said delivered */
	int64_t submitted_ms;
	unsigned ops;			/* groups under way that point at it */
	struct llist_head waiters;	/* struct ob_waiter */
};

struct ob_bearer_slot {
	const struct outbox_bearer_ops *ops;
	void *data;
};

struct outbox {
	struct engine *e;
	struct outbox_cfg cfg;
	struct ob_bearer_slot bearer[OB_N_BEARERS];
	DECLARE_HASHTABLE(by_id, OB_HASH_BITS);
	DECLARE_HASHTABLE(by_mid, OB_HASH_BITS);
	DECLARE_HASHTABLE(by_seq, OB_HASH_BITS);
	struct llist_head msgs;		/* struct ob_msg */
	struct rb_root due[OB_N_BEARERS];
	struct rb_root exp;
	struct osmo_timer_list timer;	/* the earliest due, or a kick */
	unsigned n_pending, n_flight, n_awaiting, n_journaling;
	unsigned n_attempting[OB_N_BEARERS];	/* DL_ATTEMPT groups being synced */
	size_t n_ids;
	size_t payload_bytes;		/* sum of the m->len of messages with a payload */
	struct ob_req_buf buf;		/* request scratch */
	struct ob_req req;
	struct log_ratelimit rl_unmatched, rl_refused;
	struct log_ratelimit rl_failed;	/* expired, failed: a client can make them at will */
	uint8_t refs[OB_REFS];		/* the next counter of each destination (hashed) */
	/* rebuild */
	uint64_t rb_resubmit;		/* messages that may have reached the SMSC */
};

static inline void ob_ctr(struct outbox *ob, unsigned idx, uint64_t n)
{
	engine_ctr(ob->e, idx, n);
}

/* outbox.c */
int outbox_reset(struct outbox *ob);
struct ob_key *ob_key_find(struct outbox *ob, const char *id);
struct ob_key *ob_key_add(struct outbox *ob, const char *id);
void ob_key_set_seq(struct outbox *ob, struct ob_key *k, uint64_t seq);
struct ob_msg *ob_msg_of_seq(struct outbox *ob, uint64_t seq);
void ob_key_del(struct outbox *ob, struct ob_key *k);
struct ob_msg *ob_msg_new(struct outbox *ob, struct ob_key *k);
/* A message's payload, counted in ob->payload_bytes: 0 or -ENOMEM. */
int ob_payload_set(struct outbox *ob, struct ob_msg *m, const uint8_t *p, size_t len);
void ob_payload_drop(struct outbox *ob, struct ob_msg *m);
void ob_mids_drop(struct outbox *ob, struct ob_msg *m);
/* A message that has ended: counters, maps; freed once no group points at it. */
void ob_msg_over(struct outbox *ob, struct ob_msg *m);
void ob_msg_release(struct outbox *ob, struct ob_msg *m);
/* Submitted with the n ids in m->ids (ob_msg_ids()): awaiting receipts, or over. */
int ob_msg_ids(struct ob_msg *m, unsigned n);
void ob_msg_submitted(struct outbox *ob, struct ob_msg *m, int64_t at_ms);
/* Into its bearer's due tree for due_ms, and the expiry tree. */
void ob_queue(struct outbox *ob, struct ob_msg *m, int64_t due_ms);
void ob_unqueue(struct outbox *ob, struct ob_msg *m);
void ob_exp_del(struct outbox *ob, struct ob_msg *m);
const char *ob_bearer_name(uint8_t b);
void ob_schedule(struct outbox *ob);
void ob_submit_now(struct outbox *ob, struct ob_msg *m);
/* The counter slot of a destination. */
uint8_t *ob_ref_of(struct outbox *ob, const char *to);

/* outbox_jrn.c: the groups; each returns 0 or a negative errno (nothing
 * happens then: the journal refuses input until a restart). */
int ob_jrn_queued(struct outbox *ob, struct ob_msg *m);
int ob_jrn_attempt(struct outbox *ob, struct ob_msg *m);
int ob_jrn_state(struct outbox *ob, struct ob_msg *m, enum jrec_dl_st st, const char *error,
		 engine_ack_cb cb, void *cb_data);
int ob_jrn_receipt(struct outbox *ob, struct ob_msg *m, unsigned part, engine_ack_cb cb,
		   void *cb_data);

/* The outbox of an engine being opened, its records applied, and what
 * is left to do after the rebuild (engine_recover.c). */
struct outbox *outbox_new(struct engine *e);
int outbox_apply(struct outbox *ob, uint8_t type, const uint8_t *buf, size_t len, uint64_t entry);
void outbox_rebuilt(struct outbox *ob);
/* Retention: the oldest journal entry the outbox still needs
 * (JOURNAL_NEED_NONE when none), and forget what the journal dropped. */
uint64_t outbox_needed_entry(const struct outbox *ob);
void outbox_forget_before(struct outbox *ob, uint64_t oldest_entry);
void outbox_free(struct outbox *ob);
