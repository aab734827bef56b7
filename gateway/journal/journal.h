/*
 * journal.h — the durable journal: the one write before an ack.
 *
 * Every bus message (record, alert, reject) and every state change the
 * gateway must remember is appended here and synced to disk BEFORE the
 * input that caused it is acknowledged to the carrier (bus.md, "Sequence
 * and durability").  After a crash the journal is reopened, a torn tail is
 * cut, and the caller rebuilds its state by iterating from an entry number;
 * bus subscribers replay what they missed by message seq (bus.md, "Replay").
 *
 * Two sequences, both assigned here:
 *   entry number  every entry, from 1, +1 per entry (internal);
 *   message seq   only entries the caller marks as messages: from 1, +1 per
 *                 message, gap-free across restarts — the bus seq.
 *
 * Group commit: journal_append() writes without syncing; journal_sync()
 * makes everything appended so far durable with one fdatasync.  Iterators
 * only return synced entries, so nothing that could still vanish in a crash
 * is ever published or replayed.
 *
 * After a failed write or fdatasync the journal refuses every further
 * append and sync with -EIO until it is closed and reopened (a failed fsync
 * cannot be retried safely on Linux); the caller answers the carrier with a
 * temporary error meanwhile.  Before reopening, journal_discard_unsynced()
 * cuts what was appended after the last good sync (never acknowledged, and
 * after a failed fsync possibly in the page cache only), and
 * journal_probe() tells whether the file system has room again.
 *
 * Not thread-safe: one journal object is used from one thread (the
 * background sync thread below is internal).  The on-disk
 * format is described at the top of journal.c.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Largest payload of one entry. */
#define JOURNAL_MAX_PAYLOAD	(1u << 20)
/* Default segment size at which a new segment file is started. */
#define JOURNAL_DEFAULT_SEGMENT	(64ull << 20)
/* journal_keep(): the caller needs no old entry for its state. */
#define JOURNAL_NEED_NONE	UINT64_MAX

struct journal;
struct journal_iter;

/* Options of journal_open(); a zeroed struct (or NULL) gives the defaults. */
struct journal_opts {
	/* Start a new segment when the current one would grow beyond this
	 * many bytes (0: JOURNAL_DEFAULT_SEGMENT).  A segment always holds at
	 * least one entry, so a single large entry may exceed it. */
	uint64_t segment_size;
	/* Test hooks for fault injection; NULL: the real writev(2) and
	 * fdatasync(2). */
	ssize_t (*writev_fn)(int fd, const struct iovec *iov, int iovcnt);
	int (*fdatasync_fn)(int fd);
};

/* What journal_open() found; filled on success and on failure. */
struct journal_recovery {
	unsigned segments;	/* segment files found */
	uint64_t entries;	/* valid entries found */
	uint64_t dropped_bytes;	/* torn tail cut from the last segment */
	unsigned intact_dropped; /* intact entries in it (not a plain torn write) */
	uint64_t last_entry;	/* 0 when the journal is empty */
	uint64_t last_seq;	/* 0 when no message was ever written */
	uint64_t oldest_seq;	/* first message seq kept (last_seq + 1 if none kept) */
};

/* One entry read back by an iterator.  payload stays valid until the next
 * journal_iter_next() or journal_iter_free() on the same iterator. */
struct journal_entry {
	uint64_t entry;		/* entry number */
	uint64_t seq;		/* message seq, 0 when the entry is not a message */
	uint8_t type;		/* the caller's type */
	uint32_t len;
	const uint8_t *payload;
};

/*
 * Open (creating it and its directory if missing; the parent must exist)
 * the journal in directory dir, verifying every entry of every segment.
 * A bad entry in the last segment is a torn tail: the file is cut there
 * (ftruncate + fsync) and rec->dropped_bytes says how much went.  A bad
 * entry or inconsistent numbering in an earlier segment is corruption:
 * the open is refused with -EBADMSG.  What was cut or refused, and where
 * (file, offset), is logged on DJOURNAL, as is the reason of any other
 * failure.  opts and rec may be NULL.  The journal is allocated under ctx.
 * Returns 0 and *out, or -EBADMSG, -ENOMEM, or the errno of a failed
 * system call (negative).
 */
int journal_open(void *ctx, const char *dir, const struct journal_opts *opts,
		 struct journal **out, struct journal_recovery *rec);

/* Close the files and free the journal (unsynced entries are not synced). */
void journal_close(struct journal *j);

/*
 * Append one entry of the caller's type with len bytes of payload, written
 * to the segment file but not synced.  is_msg: the entry is a bus message
 * and gets the next message seq.  *entry and *seq (either may be NULL) get
 * the numbers assigned (*seq = 0 for a non-message).
 * Errors: -ERANGE len > JOURNAL_MAX_PAYLOAD; -EIO the journal failed
 * earlier; the negative errno of a failed write (-ENOSPC, -EIO, ...), after
 * which the journal is failed.
 */
int journal_append(struct journal *j, uint8_t type, bool is_msg,
		   const void *payload, size_t len, uint64_t *entry, uint64_t *seq);

/*
 * Make every entry appended so far durable: one fdatasync of the current
 * segment (and an fsync of the directory after a new segment was made).
 * Does nothing (and counts no sync) when nothing was appended since the
 * last sync.  Errors: -EIO when failed earlier, or the negative errno of
 * the failed fdatasync, after which the journal is failed.
 */
int journal_sync(struct journal *j);

/*
 * Background sync, for a loop that must not block in fdatasync: the same
 * single fdatasync, run by a thread the journal starts on first use.
 *
 * journal_sync_fd: an eventfd that becomes readable when a background sync
 * has finished (poll it for reading); or a negative errno.
 * journal_sync_async: start syncing everything appended so far.  0 started,
 * 1 nothing to sync, -EBUSY one is still in flight (collect it first),
 * -EIO failed earlier, or a negative errno.  Appends may go on meanwhile;
 * they are covered by the next sync.
 * journal_sync_complete: collect a finished sync (call when the fd is
 * readable): 1 done and journal_synced_*() advanced (ack those inputs now),
 * 0 none finished yet, or the sync's negative errno (the journal is failed).
 * journal_sync(), a rotation and journal_close() wait for one in flight;
 * one a rotation (inside journal_append) took is still reported this way,
 * and until it is, journal_sync_async() says -EBUSY.
 */
int journal_sync_fd(struct journal *j);
int journal_sync_async(struct journal *j);
int journal_sync_complete(struct journal *j);

/* Numbers: the last entry/message appended, the last entry/message synced,
 * the oldest message seq kept (journal_last_seq() + 1 when none is kept),
 * the oldest entry number kept, and how many syncs were done. */
uint64_t journal_last_entry(const struct journal *j);
uint64_t journal_last_seq(const struct journal *j);
uint64_t journal_synced_entry(const struct journal *j);
uint64_t journal_synced_seq(const struct journal *j);
uint64_t journal_oldest_seq(const struct journal *j);
uint64_t journal_oldest_entry(const struct journal *j);
uint64_t journal_syncs(const struct journal *j);
/* The error that failed the journal (negative errno), or 0. */
int journal_failed(const struct journal *j);

/*
 * Retention: delete whole old segments, oldest first, while at least
 * min_msgs message entries remain after the deletion.  Never deletes the
 * current segment, nor a segment holding an entry numbered needed_from or
 * higher (the first entry the caller still needs to rebuild its state,
 * e.g. the one after its checkpoint; JOURNAL_NEED_NONE when none).
 * Returns the number of segments deleted, or a negative errno.
 */
int journal_keep(struct journal *j, uint64_t min_msgs, uint64_t needed_from);

/*
 * Iterators over synced entries, allocated under ctx.  They must be freed
 * before the journal is closed; they keep working while entries are
 * appended (they see new ones once synced) and while old segments are
 * deleted.
 *
 * journal_iter_entry: from entry number `from` (the oldest kept entry if
 * older).  journal_iter_seq: the message entries from message seq `from`
 * (non-message entries are skipped); -ERANGE if `from` is older than
 * journal_oldest_seq().  A seq beyond the last gives an iterator at the end.
 * Both: 0 and *out, -ENOMEM, or a negative errno of open(2).
 */
int journal_iter_entry(void *ctx, struct journal *j, uint64_t from,
		       struct journal_iter **out);
int journal_iter_seq(void *ctx, struct journal *j, uint64_t from,
		     struct journal_iter **out);

/*
 * The next entry: 1 and *e, 0 at the end (every synced entry read; more may
 * come later), -EBADMSG when an entry read back does not verify (CRC,
 * numbering), -EIO / -ENOENT when a segment cannot be read.
 */
int journal_iter_next(struct journal_iter *it, struct journal_entry *e);
void journal_iter_free(struct journal_iter *it);

/*
 * Write a file atomically in directory dir (for state-dir/ledger.ckpt):
 * write name.tmp, fdatasync, rename over name, fsync the directory.  After
 * a crash, name holds either the old or the new content, whole.
 * Returns 0 or a negative errno.
 */
/*
 * Cut every entry after `entry` (start-up only: nothing appended since the
 * open).  The caller uses it for an input whose entries a crash left
 * unfinished; they were never synced on purpose and never acknowledged.
 * The journal's tables are stale afterwards: close it and open it again.
 * Returns 0, -EINVAL (appended since the open, or entry older than kept),
 * -EBADMSG, or a negative errno of the file system.
 */
int journal_cut_after(struct journal *j, uint64_t entry);

int journal_write_file_atomic(const char *dir, const char *name,
			      const void *buf, size_t len);

/*
 * After a failure (or to drop a half-written group): cut the last segment
 * back to its size at the last successful sync, and fsync it, so that the
 * files hold exactly what was made durable (journal_synced_entry()).  A
 * background sync in flight is waited for first.  The journal is failed
 * afterwards (its tables describe what was cut): close it and open it
 * again.  Returns 0, -EBADMSG when the file is shorter than what was
 * synced (logged), or the negative errno of the file system.
 */
int journal_discard_unsynced(struct journal *j);

/*
 * Whether the file system holding directory dir has room for `bytes`
 * more: a file dir/.space-probe is written with them through opts' hooks
 * (NULL: the real calls), fdatasync'd and removed.  Returns 0, or the
 * negative errno of the write or sync (-ENOSPC, -EDQUOT, -EIO, ...).
 */
int journal_probe(const char *dir, const struct journal_opts *opts, size_t bytes);
