/*
 * ledger.h — the per-device ledger: TXLOG checks 4 to 7 (txlog-v1.md,
 * "What the gateway checks, per device").
 *
 * The caller has already decoded the frame, found (device_id, key_id) in
 * the registry, verified the signature and refused revoked keys (checks
 * 1-3).  The ledger then judges upload_seq (4), each record's counter and
 * balance (5), the SMS source address (6) and the clocks (7), and turns
 * the frame into the list of events to publish (outcome.h).
 *
 * Per device it keeps max_upload with a 64-wide window of accepted
 * upload_seqs and their frame digests, and max_counter with its balance and
 * a 64-wide window of seen counters (RFC 4303 §3.4.3 style).  A device
 * costs nothing until its first frame.
 *
 * Durability: the ledger lives in memory.  ledger_process() is exactly
 * "judge, then apply", and the applies are public, so the state can be
 * rebuilt from the journal (written before anything is acknowledged) by
 * replaying, for every frame journaled:
 *
 *   if (out.upload_accepted)
 *           ledger_apply_upload(l, f->device_id, f->upload_seq, digest);
 *   for each TXL_EV_RECORD event e, in order:
 *           ledger_apply_record(l, f->device_id, f->rec[e.rec].counter,
 *                               f->rec[e.rec].balance);
 *
 * Applies are idempotent (applying what the state already holds changes
 * nothing), so a journal replayed over a snapshot that already covers part
 * of it gives the same state.  Checkpoints: ledger_snapshot() and
 * ledger_restore().
 *
 * The published txlog.record messages carry device, upload, frame digest,
 * counter and balance, so replaying apply_upload then apply_record for
 * each of them, in seq order, rebuilds the state (apply_upload of an
 * upload that was too old when judged is too old again: no change).  But
 * a frame can be accepted and publish no record (all its records
 * repeated): its upload_seq is still recorded, so that another frame with
 * it is a replay.  The journal must keep an entry for such a frame too
 * (device, upload_seq, digest), or after a restart that replay would pass.
 *
 * Frames of one device must be processed one at a time, in arrival order;
 * a ledger is not thread-safe.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/txlog/frame.h"
#include "gateway/txlog/outcome.h"

#define LEDGER_WINDOW		64	/* upload_seqs / counters remembered below the max */
#define LEDGER_DIGEST_LEN	16	/* bytes of the frame's SHA-256 kept per upload */

struct ledger;

/* A new, empty ledger under talloc_ctx; NULL on -ENOMEM. */
struct ledger *ledger_alloc(void *talloc_ctx);
/* Free the ledger and all its devices (NULL is fine). */
void ledger_free(struct ledger *l);
/* Devices with any state. */
size_t ledger_count(const struct ledger *l);
/* Bytes the ledger holds for its devices, tables and digests (not counting
 * the allocator's own overhead). */
size_t ledger_mem(const struct ledger *l);

struct ledger_input {
	const struct txl_frame *f;	/* decoded, verified, from an active key */
	const uint8_t *digest;		/* 32 bytes: SHA-256 of the whole frame */
	const char *registered_msisdn;	/* registry binding; NULL (or ""): none */
	const char *src_msisdn;		/* SMS source_addr; NULL for e-mail */
	int64_t now;			/* gateway clock, seconds since the epoch */
	uint32_t skew_s;		/* allowed clock skew (config clock-skew) */
};

/*
 * Judge one frame (checks 4-7) and apply the state change.
 * out: the events to publish in order, plus the frame's counts.  The
 * msisdn_mismatch event borrows in->registered_msisdn and in->src_msisdn.
 * Returns 0; -EINVAL when the frame breaks what the decoder guarantees
 * (n_records not 1..32, an unknown record type) or an argument is NULL;
 * -ENOMEM, -ENOSPC (too many devices).  On error the state is unchanged
 * and out->n is 0.
 */
int ledger_process(struct ledger *l, const struct ledger_input *in, struct txl_outcome *out);

/*
 * Record upload_seq of device dev as accepted with the frame's digest (32
 * bytes; the first LEDGER_DIGEST_LEN are kept).
 * Returns 1 when the state changed; 0 when it already held that upload
 * with that digest, or when upload_seq is too old to be held (at or below
 * max_upload - 64); -EEXIST when it holds that upload_seq with another
 * digest (state unchanged); -ENOMEM, -ENOSPC.
 */
int ledger_apply_upload(struct ledger *l, uint64_t dev, uint32_t upload_seq, const uint8_t *digest);

/*
 * Record that counter (with its balance) of device dev was published.
 * Returns 1 when the state changed; 0 when the counter was already seen or
 * is too old to be held; -ENOMEM, -ENOSPC.
 */
int ledger_apply_record(struct ledger *l, uint64_t dev, uint32_t counter, uint32_t balance);

/* Where ledger_snapshot() writes: 0, or a negative errno that stops it. */
typedef int (*ledger_write_fn)(void *arg, const uint8_t *buf, size_t len);

/*
 * Write the whole state through out(arg, ...) in chunks.  Format
 * (big-endian), version 2:
 *
 *   "TXLEDGER" u16 version=2 u16 flags=0 u32 n_devices
 *   n_devices x { u64 device_id, u8 has (1 upload, 2 counter),
 *                 [has&1: u32 max_upload, u64 window,
 *                         popcount(window) x 16-byte digest, oldest first]
 *                 [has&2: u32 max_counter, u32 balance, u64 window] }
 *   u32 CRC-32C (crc32c.h, the journal's) of every byte before it
 *
 * Version 1 is the same but for its last field, a CRC-32 (IEEE 802.3,
 * ledger_crc32_v1()); ledger_restore() still reads it.
 * Bit i of a window stands for max - i.  Devices come in the order they
 * first appeared, so equal histories give equal bytes.
 * Returns 0 or the first error out() returned.
 */
int ledger_snapshot(const struct ledger *l, ledger_write_fn out, void *arg);

/*
 * Replace the ledger's whole state by a snapshot of version 2 or 1.
 * Strict: a bad magic, version, CRC (the version's), flag, window (max
 * not set, bits below seq 0), a repeated device or bytes left over gives
 * -EINVAL (-EIO when too short), and the ledger is left as it was.
 * -ENOMEM.
 */
int ledger_restore(struct ledger *l, const uint8_t *buf, size_t len);

/* One device's state, for tests, tools and the stats socket. */
struct ledger_dev_state {
	bool has_upload;
	uint32_t max_upload;
	uint64_t upload_win;		/* bit i: max_upload - i accepted */
	unsigned n_digests;		/* popcount(upload_win) */
	uint8_t digest[LEDGER_WINDOW][LEDGER_DIGEST_LEN];	/* oldest first */
	bool has_counter;
	uint32_t max_counter;
	uint32_t balance;		/* of max_counter's record */
	uint64_t counter_win;		/* bit i: max_counter - i seen */
};

/* Copy device dev's state into *st.  Returns 0, or -ENOENT. */
int ledger_get(const struct ledger *l, uint64_t dev, struct ledger_dev_state *st);

/* LEGACY: CRC-32 (IEEE 802.3, as zlib's crc32()) of buf, the check of
 * version 1 snapshots (read, never written); for ledger_restore() and for
 * tests that write such a snapshot. */
uint32_t ledger_crc32_v1(const uint8_t *buf, size_t len);
