/*
 * journal_int.h — what journal.c, journal_iter.c and journal_async.c share:
 * the on-disk constants (format in journal.c), the journal object and the
 * segment reader.  Not for use outside the journal.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gateway/journal/journal.h"

#define SEG_MAGIC	0x54584a4cu
#define SEG_VERSION	1
#define SEG_HDR_LEN	32
#define ENT_MAGIC	0x4a45u
#define ENT_HDR_LEN	28
#define ENT_F_MSG	0x01
#define IX_STEP		1024
/* Reads are done through a window of this size (larger for big entries). */
#define RD_WINDOW	(256u << 10)
#define SEG_NAME_LEN	20	/* 16 hex digits + ".jnl" */
#define PROBE_NAME	".space-probe"	/* journal_probe()'s file */

struct seg {
	uint64_t first;		/* first entry number */
	uint64_t prev_seq;	/* last message seq before the segment */
	uint64_t last_entry;	/* first - 1 while empty */
	uint64_t last_seq;	/* prev_seq while it has no message */
	uint64_t size;		/* bytes */
};

/* A sparse index point: entry `entry` starts at `off` in its segment. */
struct ixpt {
	uint64_t entry;
	uint64_t prev_seq;	/* last message seq before this entry */
	uint64_t off;
};

struct journal {
	char *dir;
	int dirfd;
	int fd;			/* the current (last) segment, for appending */
	struct journal_opts o;
	struct seg *segs;
	size_t nsegs;
	struct ixpt *ix;
	size_t nix;
	uint64_t next_entry;
	uint64_t last_seq;
	uint64_t synced_entry;
	uint64_t synced_seq;
	uint64_t synced_off;	/* the last segment's size as of the last good sync */
	uint64_t syncs;
	bool dirty;		/* appended since the last sync */
	int failed;		/* negative errno once a write or sync failed */
	struct async *as;	/* the background sync thread, once asked for */
};

/* A buffered reader of one segment file. */
struct segrd {
	int fd;
	uint8_t *buf;
	size_t cap;
	uint64_t boff;		/* file offset of buf[0] */
	size_t blen;		/* valid bytes in buf */
};

struct ent_hdr {
	uint8_t type;
	uint8_t flags;
	uint32_t len;
	uint64_t entry;
	uint64_t seq;
	uint32_t crc;
};

/* Read and check the segment header of r: 0, -EBADMSG (*why), or -errno. */
int jnl_segrd_header(void *ctx, struct segrd *r, uint64_t *first, uint64_t *prev_seq,
		     const char **why);
/* Read the entry at off, which must be number `entry` and follow message
 * seq prev_seq: 1 with *h and *payload, 0 when the file ends exactly at
 * off, -EBADMSG (*why) for a bad, short or misnumbered entry, or -errno. */
int jnl_segrd_entry(void *ctx, struct segrd *r, uint64_t off, uint64_t entry,
		    uint64_t prev_seq, struct ent_hdr *h, const uint8_t **payload,
		    const char **why);
/* Open the segment starting at entry `first`: an fd or -errno. */
int jnl_open_seg(int dirfd, uint64_t first, int flags);
/* The last index point whose entry is <= key (by_seq: whose prev_seq is
 * < key); the first point if none. */
const struct ixpt *jnl_ix_find(const struct journal *j, uint64_t key, bool by_seq);
/* The first entry number of the segment holding entry e. */
uint64_t jnl_seg_of(const struct journal *j, uint64_t e);
/* Fail the journal with err (negative errno) and return err. */
int jnl_fail(struct journal *j, int err);
/* Wait for a background sync in flight and take its result: 0 or -errno. */
int jnl_async_wait(struct journal *j);
void jnl_async_reported(struct journal *j);
/* Decode an entry header (not its CRC, which covers the payload too):
 * 0, or -EBADMSG with *why. */
int jnl_ent_hdr_decode(const uint8_t *b, struct ent_hdr *h, const char **why);
/* Write name in dirfd atomically and durably (a .tmp, then rename), through
 * o's writev and fdatasync (NULL: the real ones). */
int jnl_write_file_at(int dirfd, const char *name, const void *buf, size_t len,
		      const struct journal_opts *o);
/* How many intact entries (magic, header, CRC) lie in b[1..len), the bytes
 * after a bad entry at b[0]. */
unsigned jnl_intact_entries(const uint8_t *b, size_t len);
/* Keep the bytes [off, size) of the segment file fd, named seg, that
 * recovery is about to cut: written to "<seg>.torn-<off>" (its name into
 * kept) with the count of intact entries among them in *intact.  0 or
 * -errno (kept is then ""). */
int jnl_keep_tail(struct journal *j, int fd, const char *seg, uint64_t off, uint64_t size,
		  char *kept, size_t cap, unsigned *intact);
/* Stop the background sync thread, if any (the journal is closing). */
void jnl_async_stop(struct journal *j);
