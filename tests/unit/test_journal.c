/*
 * test_journal — the durable journal: CRC-32C, append/sync/reopen, the two
 * sequences, rotation, iteration by entry and by seq, retention, torn tails
 * at every byte, corruption refused, size limits, the fsync gate, and a
 * seeded random run against a model (TXGW_TEST_SEED repeats a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <osmocom/core/talloc.h>

#include "gateway/journal/journal.h"
#include "gateway/lib/crc32c.h"
#include "tests/unit/log_capture.h"

#define ENT_HDR 28
#define SEG_HDR 32

struct fx {
	void *ctx;
	char dir[64];		/* the state dir: $TMPDIR of 33 bytes at most */
	char jdir[80];		/* its journal/ */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->ctx = talloc_named_const(NULL, 0, "test_journal");
	test_mkdtemp(f->dir, sizeof(f->dir), "fx");
	snprintf(f->jdir, sizeof(f->jdir), "%s/journal", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(talloc_total_blocks(f->ctx), 1);	/* nothing leaked */
	talloc_free(f->ctx);
	assert_int_equal(test_rmtree(f->dir), 0);
	free(f);
	return 0;
}

/* The payload of entry e: its length and bytes follow from e alone. */
static size_t pl_len(uint64_t e)
{
	return (size_t)((e * 2654435761u) % 301);
}

static void pl_fill(uint64_t e, uint8_t *buf, size_t len)
{
	uint32_t x = (uint32_t)e * 2246822519u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

/* Append entry number `want`: payload from pl_*, message when is_msg. */
static void put(struct journal *j, uint64_t want, bool is_msg, uint64_t want_seq)
{
	uint8_t buf[400];
	uint64_t e = 0, s = 99;
	size_t len = pl_len(want);

	pl_fill(want, buf, len);
	assert_int_equal(journal_append(j, (uint8_t)want, is_msg, buf, len, &e, &s), 0);
	assert_int_equal(e, want);
	assert_int_equal(s, is_msg ? want_seq : 0);
}

static void check_entry(const struct journal_entry *en)
{
	uint8_t buf[400];

	assert_int_equal(en->type, (uint8_t)en->entry);
	assert_int_equal(en->len, pl_len(en->entry));
	pl_fill(en->entry, buf, en->len);
	assert_memory_equal(en->payload, buf, en->len);
}

static struct journal *jopen(struct fx *f, uint64_t segsize, struct journal_recovery *rec)
{
	struct journal_opts o = { .segment_size = segsize };
	struct journal *j = NULL;

	assert_int_equal(journal_open(f->ctx, f->jdir, &o, &j, rec), 0);
	return j;
}

/* Iterate every message from seq `from` (by_seq) or every entry from
 * number `from`: numbers consecutive, payloads intact; returns how many. */
static uint64_t count_from(struct fx *f, struct journal *j, uint64_t from, bool by_seq)
{
	struct journal_iter *it;
	struct journal_entry en;
	uint64_t n = 0;
	int rc;

	rc = by_seq ? journal_iter_seq(f->ctx, j, from, &it) : journal_iter_entry(f->ctx, j, from, &it);
	assert_int_equal(rc, 0);
	while ((rc = journal_iter_next(it, &en)) == 1) {
		assert_int_equal(by_seq ? en.seq : en.entry, from + n);
		check_entry(&en);
		n++;
	}
	assert_int_equal(rc, 0);
	journal_iter_free(it);
	return n;
}

static uint64_t count_seq(struct fx *f, struct journal *j, uint64_t from)
{
	return count_from(f, j, from, true);
}

static uint64_t count_entries(struct fx *f, struct journal *j, uint64_t from)
{
	return count_from(f, j, from, false);
}

static void seg_path(struct fx *f, uint64_t first, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%016" PRIx64 ".jnl", f->jdir, first);
}

static off_t file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

static unsigned count_files(struct fx *f)
{
	DIR *d = opendir(f->jdir);
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* RFC 3720 §B.4 and the usual check value; the table and the CPU path agree. */
static void test_crc32c(void **state)
{
	static const uint8_t zeros[32], ones[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t buf[1000];

	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(crc32c(0, zeros, 32), 0x8a9136aa);
	assert_int_equal(crc32c(0, ones, 32), 0x62a8ab43);
	pl_fill(7, buf, sizeof(buf));
	for (size_t n = 0; n < sizeof(buf); n += 37) {
		assert_int_equal(crc32c(0, buf, n), crc32c_sw(0, buf, n));
		assert_int_equal(crc32c(crc32c(0, buf, n / 3), buf + n / 3, n - n / 3), crc32c(0, buf, n));
	}
}

static void test_append_reopen(void **state)
{
	struct fx *f = *state;
	struct journal_recovery rec;
	struct journal *j = jopen(f, 0, &rec);

	assert_int_equal(rec.segments, 0);
	assert_int_equal(journal_last_entry(j), 0);
	assert_int_equal(journal_oldest_seq(j), 1);
	put(j, 1, true, 1);
	put(j, 2, false, 0);
	put(j, 3, true, 2);
	/* Not synced: not visible to iterators yet. */
	assert_int_equal(count_entries(f, j, 1), 0);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_syncs(j), 1);
	assert_int_equal(journal_sync(j), 0);	/* nothing new: no sync */
	assert_int_equal(journal_syncs(j), 1);
	assert_int_equal(count_entries(f, j, 1), 3);
	assert_int_equal(count_seq(f, j, 1), 2);
	assert_int_equal(count_seq(f, j, 2), 1);
	assert_int_equal(count_seq(f, j, 3), 0);
	journal_close(j);

	j = jopen(f, 0, &rec);
	assert_int_equal(rec.segments, 1);
	assert_int_equal(rec.entries, 3);
	assert_int_equal(rec.dropped_bytes, 0);
	assert_int_equal(rec.last_entry, 3);
	assert_int_equal(rec.last_seq, 2);
	assert_int_equal(rec.oldest_seq, 1);
	assert_int_equal(journal_synced_seq(j), 2);
	/* Numbers continue across the reopen. */
	put(j, 4, false, 0);
	put(j, 5, true, 3);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(count_entries(f, j, 1), 5);
	assert_int_equal(count_entries(f, j, 4), 2);
	assert_int_equal(count_seq(f, j, 1), 3);
	journal_close(j);
}

/* An iterator at the end sees what is appended later, once synced. */
static void test_iter_live(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f, 2000, NULL);
	struct journal_iter *it;
	struct journal_entry en;
	uint64_t seq = 0, rseq = 0;

	assert_int_equal(journal_iter_seq(f->ctx, j, 1, &it), 0);
	assert_int_equal(journal_iter_next(it, &en), 0);
	for (uint64_t e = 1; e <= 60; e++) {
		put(j, e, e % 3 != 0, seq + 1);
		seq += e % 3 != 0;
		if (e % 7 == 0) {
			assert_int_equal(journal_sync(j), 0);
			/* The reader drains exactly what was synced. */
			while (journal_iter_next(it, &en) == 1) {
				check_entry(&en);
				assert_int_equal(en.seq, ++rseq);
			}
			assert_int_equal(rseq, journal_synced_seq(j));
		}
	}
	journal_iter_free(it);
	assert_true(count_files(f) > 3);
	journal_close(j);
}

static void test_rotation_seek(void **state)
{
	struct fx *f = *state;
	struct journal_recovery rec;
	struct journal *j = jopen(f, 4096, NULL);
	uint64_t seq = 0;
	const uint64_t n = 3000;

	for (uint64_t e = 1; e <= n; e++) {
		put(j, e, e % 4 != 1, seq + 1);
		seq += e % 4 != 1;
	}
	assert_int_equal(journal_sync(j), 0);
	unsigned files = count_files(f);
	assert_true(files > 50);
	/* Every segment but a single-entry one stays within its size. */
	char p[128];
	seg_path(f, 1, p, sizeof(p));
	assert_true(file_size(p) <= 4096);
	for (uint64_t s = 1; s <= seq + 1; s += 97)
		assert_int_equal(count_seq(f, j, s), seq - s + 1);
	for (uint64_t e = 1; e <= n + 1; e += 89)
		assert_int_equal(count_entries(f, j, e), n - e + 1);
	assert_int_equal(count_seq(f, j, seq + 5), 0);
	journal_close(j);

	j = jopen(f, 4096, &rec);
	assert_int_equal(rec.segments, files);
	assert_int_equal(rec.last_entry, n);
	assert_int_equal(rec.last_seq, seq);
	assert_int_equal(count_seq(f, j, 1000), seq - 1000 + 1);
	journal_close(j);
}

static void test_retention(void **state)
{
	struct fx *f = *state;
	struct journal_recovery rec;
	struct journal *j = jopen(f, 2048, NULL);
	struct journal_iter *it;
	uint64_t seq = 0;
	int rc;

	for (uint64_t e = 1; e <= 500; e++) {
		put(j, e, e % 2, seq + 1);
		seq += e % 2;
	}
	assert_int_equal(journal_sync(j), 0);
	/* The caller still needs entry 100: nothing at or after it goes. */
	rc = journal_keep(j, 10, 100);
	assert_true(rc > 0);
	assert_true(journal_oldest_entry(j) <= 100);
	unsigned files = count_files(f);
	rc = journal_keep(j, 100, JOURNAL_NEED_NONE);
	assert_true(rc > 0);
	assert_int_equal(count_files(f), files - (unsigned)rc);
	uint64_t oldest = journal_oldest_seq(j);
	uint64_t kept = seq - oldest + 1;
	assert_true(kept >= 100);
	assert_true(kept < 100 + 2048 / ENT_HDR);	/* at most one segment more */
	assert_int_equal(count_seq(f, j, oldest), kept);
	assert_int_equal(journal_iter_seq(f->ctx, j, oldest - 1, &it), -ERANGE);
	assert_int_equal(count_entries(f, j, journal_oldest_entry(j)), 500 - journal_oldest_entry(j) + 1);
	/* Keeping 0 still keeps the current segment, and the seq survives. */
	assert_true(journal_keep(j, 0, JOURNAL_NEED_NONE) > 0);
	assert_int_equal(count_files(f), 1);
	journal_close(j);
	j = jopen(f, 2048, &rec);
	assert_int_equal(rec.last_seq, seq);
	assert_int_equal(rec.oldest_seq, journal_oldest_seq(j));
	put(j, 501, true, seq + 1);
	journal_close(j);
}

/* Three entries; returns the offset where the third starts. */
static off_t three_entries(struct fx *f, char *path, size_t cap)
{
	struct journal *j = jopen(f, 0, NULL);

	put(j, 1, true, 1);
	put(j, 2, false, 0);
	assert_int_equal(journal_sync(j), 0);
	seg_path(f, 1, path, cap);
	off_t third = file_size(path);
	put(j, 3, true, 2);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	return third;
}

static void test_torn_every_byte(void **state)
{
	struct fx *f = *state;
	char p[128];
	off_t third = three_entries(f, p, sizeof(p));
	off_t full = file_size(p);
	uint8_t *orig = malloc((size_t)full);
	int fd = open(p, O_RDONLY);

	assert_int_equal(read(fd, orig, (size_t)full), full);
	close(fd);
	for (off_t len = third; len <= full; len++) {
		struct journal_recovery rec;
		struct journal *j;

		fd = open(p, O_WRONLY | O_TRUNC);
		assert_int_equal(write(fd, orig, (size_t)len), len);
		close(fd);
		j = jopen(f, 0, &rec);
		assert_int_equal(rec.last_entry, len == full ? 3 : 2);
		assert_int_equal(rec.dropped_bytes, len == full ? 0 : len - third);
		assert_int_equal(file_size(p), len == full ? full : third);
		/* The journal goes on where the cut left it. */
		put(j, rec.last_entry + 1, true, rec.last_seq + 1);
		assert_int_equal(journal_sync(j), 0);
		journal_close(j);
	}
	free(orig);
}

static void flip(const char *p, off_t at)
{
	uint8_t b;
	int fd = open(p, O_RDWR);

	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0x20;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
}

static void test_flipped_last(void **state)
{
	struct fx *f = *state;
	char p[128];
	off_t third = three_entries(f, p, sizeof(p));
	off_t full = file_size(p);

	for (off_t at = third; at < full; at += 5) {
		struct journal_recovery rec;
		struct journal *j;

		if (at > third)
			three_entries(f, p, sizeof(p));
		flip(p, at);
		log_capture_reset();
		j = jopen(f, 0, &rec);
		assert_int_equal(rec.last_entry, 2);
		assert_int_equal(rec.dropped_bytes, full - third);
		assert_int_equal(rec.intact_dropped, 0);
		assert_true(log_capture_has("torn tail"));
		journal_close(j);
		assert_int_equal(unlink(p), 0);
	}
}

/* The bytes a cut drops are kept beside the segment, and intact entries
 * after the bad one (damaged written data, not a torn write) are said. */
static void test_cut_kept(void **state)
{
	struct fx *f = *state;
	struct journal_recovery rec;
	char p[128], kept[160];
	off_t third = three_entries(f, p, sizeof(p));
	struct journal *j = jopen(f, 0, NULL);
	off_t full;
	uint8_t *orig;
	int fd;

	put(j, 4, true, 3);
	put(j, 5, false, 0);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	full = file_size(p);
	orig = malloc((size_t)full);
	fd = open(p, O_RDONLY);
	assert_int_equal(read(fd, orig, (size_t)full), full);
	close(fd);

	flip(p, third + 40);		/* the third entry's payload */
	log_capture_reset();
	j = jopen(f, 0, &rec);
	assert_int_equal(rec.last_entry, 2);
	assert_int_equal(rec.dropped_bytes, full - third);
	assert_int_equal(rec.intact_dropped, 2);	/* entries 4 and 5 */
	assert_true(log_capture_has("intact entries follow"));
	journal_close(j);
	snprintf(kept, sizeof(kept), "%s.torn-%lld", p, (long long)third);
	assert_int_equal(file_size(kept), full - third);
	uint8_t *got = malloc((size_t)(full - third));
	fd = open(kept, O_RDONLY);
	assert_int_equal(read(fd, got, (size_t)(full - third)), full - third);
	close(fd);
	orig[third + 40] ^= 0x20;
	assert_memory_equal(got, orig + third, (size_t)(full - third));
	free(got);
	free(orig);

	/* the kept file is not a segment: the journal opens and goes on */
	j = jopen(f, 0, &rec);
	assert_int_equal(rec.dropped_bytes, 0);
	assert_int_equal(rec.segments, 1);
	put(j, 3, true, 2);
	journal_close(j);
}

static void test_corrupt_earlier(void **state)
{
	struct fx *f = *state;
	struct journal_recovery rec;
	struct journal *j = jopen(f, 1024, NULL), *j2 = NULL;
	char p[128];

	for (uint64_t e = 1; e <= 40; e++)
		put(j, e, true, e);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	seg_path(f, 1, p, sizeof(p));
	flip(p, SEG_HDR + ENT_HDR + 40);	/* somewhere in the first segment */
	log_capture_reset();
	assert_int_equal(journal_open(f->ctx, f->jdir, NULL, &j2, &rec), -EBADMSG);
	assert_null(j2);
	/* the reason is logged where it was found, naming file and offset */
	assert_true(log_capture_has("/0000000000000001.jnl: offset "));
	assert_true(log_capture_has("journal corrupt, refusing to open"));
	flip(p, SEG_HDR + ENT_HDR + 40);
	j = jopen(f, 1024, &rec);
	assert_int_equal(rec.last_entry, 40);
	journal_close(j);
	/* A segment header broken, or a whole segment missing, is refused too. */
	flip(p, 9);
	assert_int_equal(journal_open(f->ctx, f->jdir, NULL, &j2, &rec), -EBADMSG);
	flip(p, 9);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(journal_open(f->ctx, f->jdir, NULL, &j2, &rec), 0);	/* as if kept away */
	assert_int_equal(rec.last_entry, 40);
	assert_true(journal_oldest_seq(j2) > 1);
	journal_close(j2);
}

static void test_missing_middle(void **state)
{
	struct fx *f = *state;
	struct journal_recovery rec;
	struct journal *j = jopen(f, 1024, NULL), *j2 = NULL;
	char p[128];

	for (uint64_t e = 1; e <= 40; e++)
		put(j, e, true, e);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	j = jopen(f, 1024, &rec);
	/* Find the second segment by iterating its first entry number. */
	uint64_t second = 0;
	for (uint64_t e = 2; e <= 40 && !second; e++) {
		seg_path(f, e, p, sizeof(p));
		if (access(p, F_OK) == 0)
			second = e;
	}
	journal_close(j);
	assert_true(second > 1);
	assert_int_equal(unlink(p), 0);
	log_capture_reset();
	assert_int_equal(journal_open(f->ctx, f->jdir, NULL, &j2, &rec), -EBADMSG);
	assert_true(log_capture_has("does not continue"));
}

/* A journal that cannot be opened at all says why, where it found out. */
static void test_open_errors(void **state)
{
	struct fx *f = *state;
	struct journal *j = NULL;
	char p[160];

	log_capture_reset();
	assert_int_equal(journal_open(f->ctx, "/nonexistent/txgw/journal", NULL, &j, NULL), -ENOENT);
	assert_null(j);
	assert_true(log_capture_has("/nonexistent/txgw/journal: cannot open the journal: No such file"));
	/* a file where the directory should be */
	snprintf(p, sizeof(p), "%s/file", f->dir);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	log_capture_reset();
	assert_int_equal(journal_open(f->ctx, p, NULL, &j, NULL), -ENOTDIR);
	assert_null(j);
	assert_true(log_capture_has(": cannot open the journal: Not a directory"));
	unlink(p);
}

static void test_limits(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f, 4096, NULL);
	struct journal_iter *it;
	struct journal_entry en;
	uint8_t *big = calloc(1, JOURNAL_MAX_PAYLOAD + 1);
	uint64_t e, s;

	big[0] = 1;
	big[JOURNAL_MAX_PAYLOAD - 1] = 2;
	assert_int_equal(journal_append(j, 1, true, big, JOURNAL_MAX_PAYLOAD + 1, &e, &s), -ERANGE);
	assert_int_equal(journal_append(j, 1, true, big, JOURNAL_MAX_PAYLOAD, &e, &s), 0);
	assert_int_equal(e, 1);
	assert_int_equal(journal_append(j, 2, false, NULL, 0, &e, &s), 0);
	assert_int_equal(e, 2);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	j = jopen(f, 4096, NULL);
	assert_int_equal(journal_iter_entry(f->ctx, j, 1, &it), 0);
	assert_int_equal(journal_iter_next(it, &en), 1);
	assert_int_equal(en.len, JOURNAL_MAX_PAYLOAD);
	assert_memory_equal(en.payload, big, JOURNAL_MAX_PAYLOAD);
	assert_int_equal(journal_iter_next(it, &en), 1);
	assert_int_equal(en.len, 0);
	assert_int_equal(journal_iter_next(it, &en), 0);
	journal_iter_free(it);
	journal_close(j);
	free(big);
}

/* Fault injection: a failing fdatasync, a write cut short by ENOSPC. */
static int bad_sync(int fd)
{
	errno = EIO;
	return -1;
}

static ssize_t short_writev(int fd, const struct iovec *iov, int cnt)
{
	static const struct iovec *last;
	if (iov != last) {	/* first call of an append: half the header */
		last = iov;
		return write(fd, iov[0].iov_base, 10);
	}
	last = NULL;
	errno = ENOSPC;
	return -1;
}

static void test_fsync_gate(void **state)
{
	struct fx *f = *state;
	struct journal_opts o = { .fdatasync_fn = bad_sync };
	struct journal_recovery rec;
	struct journal *j = NULL;
	uint8_t b[8] = { 0 };

	/* made first: the hooks apply to a new segment's file too */
	journal_close(jopen(f, 0, NULL));
	assert_int_equal(journal_open(f->ctx, f->jdir, &o, &j, NULL), 0);
	put(j, 1, true, 1);
	assert_int_equal(journal_sync(j), -EIO);
	assert_int_equal(journal_failed(j), -EIO);
	assert_int_equal(journal_synced_seq(j), 0);
	assert_int_equal(journal_append(j, 1, true, b, sizeof(b), NULL, NULL), -EIO);
	assert_int_equal(journal_sync(j), -EIO);
	journal_close(j);

	j = jopen(f, 0, &rec);
	assert_int_equal(rec.last_entry, 1);	/* still in the page cache */
	journal_close(j);

	o = (struct journal_opts){ .writev_fn = short_writev };
	assert_int_equal(journal_open(f->ctx, f->jdir, &o, &j, NULL), 0);
	assert_int_equal(journal_append(j, 1, true, b, sizeof(b), NULL, NULL), -ENOSPC);
	assert_int_equal(journal_append(j, 1, true, b, sizeof(b), NULL, NULL), -EIO);
	assert_int_equal(journal_last_entry(j), 1);
	journal_close(j);
	j = jopen(f, 0, &rec);
	assert_int_equal(rec.dropped_bytes, 10);
	assert_int_equal(rec.last_entry, 1);
	put(j, 2, true, 2);
	journal_close(j);
}

/* Hooks failing on demand: writes with g_write_err after writing half of
 * the first buffer (a torn entry), writes to a .tmp file (a new segment)
 * with g_tmp_err, syncs with g_sync_err. */
static int g_write_err, g_tmp_err, g_sync_err;

static bool is_tmp(int fd)
{
	char link[64], name[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, name, sizeof(name) - 1);
	return n > 4 && !memcmp(name + n - 4, ".tmp", 4);
}

static ssize_t hook_writev(int fd, const struct iovec *iov, int cnt)
{
	if (g_tmp_err && is_tmp(fd)) {
		errno = g_tmp_err;
		return -1;
	}
	if (!g_write_err)
		return writev(fd, iov, cnt);
	if (iov[0].iov_len > 1 && write(fd, iov[0].iov_base, iov[0].iov_len / 2) < 0)
		return -1;
	errno = g_write_err;
	return -1;
}

static int hook_sync(int fd)
{
	if (!g_sync_err)
		return fdatasync(fd);
	errno = g_sync_err;
	return -1;
}

static uint64_t reopen_last(struct fx *f, struct journal **j, const struct journal_opts *o)
{
	struct journal_recovery rec;

	journal_close(*j);
	assert_int_equal(journal_open(f->ctx, f->jdir, o, j, &rec), 0);
	assert_int_equal(rec.dropped_bytes, 0);		/* nothing torn was left */
	assert_int_equal(count_entries(f, *j, 1), rec.last_entry);
	return rec.last_entry;
}

/* After a failed write, a failed sync or a failed rotation, what was
 * appended after the last good sync is cut, and only that; a sync in
 * flight counts when it succeeds.  The journal then opens as it was at
 * that sync, without a torn tail. */
static void test_discard_unsynced(void **state)
{
	struct fx *f = *state;
	struct journal_opts o = { .segment_size = 1500, .writev_fn = hook_writev,
				  .fdatasync_fn = hook_sync };
	struct journal *j = NULL;
	uint64_t e;

	assert_int_equal(journal_open(f->ctx, f->jdir, &o, &j, NULL), 0);
	for (e = 1; e <= 30; e++)
		put(j, e, true, e);
	assert_int_equal(journal_sync(j), 0);
	put(j, 31, true, 31);
	put(j, 32, true, 32);
	g_write_err = ENOSPC;
	assert_int_equal(journal_append(j, 1, true, "abcdefgh", 8, NULL, NULL), -ENOSPC);
	g_write_err = 0;
	assert_int_equal(journal_discard_unsynced(j), 0);
	assert_true(journal_failed(j) < 0);
	assert_int_equal(journal_append(j, 1, true, "x", 1, NULL, NULL), -EIO);
	assert_true(log_capture_has("written after the last good sync (entry 30) cut"));
	assert_int_equal(reopen_last(f, &j, &o), 30);

	/* a background sync in flight at the failure: what it covers stays */
	put(j, 31, true, 31);
	assert_int_equal(journal_sync_async(j), 0);
	put(j, 32, true, 32);
	g_write_err = EDQUOT;
	assert_int_equal(journal_append(j, 1, true, "abcdefgh", 8, NULL, NULL), -EDQUOT);
	g_write_err = 0;
	assert_int_equal(journal_discard_unsynced(j), 0);
	assert_int_equal(reopen_last(f, &j, &o), 31);

	/* a failed fdatasync: what it was to cover goes */
	put(j, 32, true, 32);
	g_sync_err = EIO;
	assert_int_equal(journal_sync(j), -EIO);
	g_sync_err = 0;
	assert_int_equal(journal_discard_unsynced(j), 0);
	assert_int_equal(reopen_last(f, &j, &o), 31);

	/* a rotation whose new segment cannot be made: the old one was synced
	 * whole first, so nothing is cut */
	g_tmp_err = ENOSPC;
	int rc = 0;
	for (uint64_t n = journal_last_entry(j) + 1; n < 80 && rc == 0; n++) {
		uint8_t buf[400];
		pl_fill(n, buf, pl_len(n));
		rc = journal_append(j, (uint8_t)n, true, buf, pl_len(n), NULL, NULL);
	}
	g_tmp_err = 0;
	assert_int_equal(rc, -ENOSPC);
	uint64_t last = journal_last_entry(j);
	assert_int_equal(journal_synced_entry(j), last);
	assert_int_equal(journal_discard_unsynced(j), 0);
	assert_int_equal(reopen_last(f, &j, &o), last);
	journal_close(j);
}

/* The probe: room, no room (at the write or only at the sync), and a
 * journal that cannot even be created for lack of room. */
static void test_probe(void **state)
{
	struct fx *f = *state;
	struct journal_opts o = { .writev_fn = hook_writev, .fdatasync_fn = hook_sync };
	struct journal *j = NULL;
	char p[128];

	assert_int_equal(mkdir(f->jdir, 0750), 0);
	snprintf(p, sizeof(p), "%s/.space-probe", f->jdir);
	assert_int_equal(journal_probe(f->jdir, &o, 300000), 0);
	assert_int_equal(access(p, F_OK), -1);
	g_write_err = ENOSPC;
	assert_int_equal(journal_probe(f->jdir, &o, 300000), -ENOSPC);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(journal_open(f->ctx, f->jdir, &o, &j, NULL), -ENOSPC);
	g_write_err = 0;
	g_sync_err = EDQUOT;
	assert_int_equal(journal_probe(f->jdir, &o, 1000), -EDQUOT);
	g_sync_err = 0;
	assert_int_equal(journal_probe("/nonexistent/x", NULL, 1), -ENOENT);
	/* one a crash left behind goes at the next open */
	int fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(journal_open(f->ctx, f->jdir, &o, &j, NULL), 0);
	assert_int_equal(access(p, F_OK), -1);
	journal_close(j);
}

static void test_atomic_file(void **state)
{
	struct fx *f = *state;
	char p[128], buf[16] = { 0 };
	int fd;

	assert_int_equal(journal_write_file_atomic(f->dir, "ledger.ckpt", "first", 5), 0);
	assert_int_equal(journal_write_file_atomic(f->dir, "ledger.ckpt", "second", 6), 0);
	snprintf(p, sizeof(p), "%s/ledger.ckpt", f->dir);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 6);
	close(fd);
	assert_string_equal(buf, "second");
	snprintf(p, sizeof(p), "%s/ledger.ckpt.tmp", f->dir);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(journal_write_file_atomic("/nonexistent/x", "a", "b", 1), -ENOENT);
	/* A segment .tmp a crash left behind is removed at open. */
	struct journal *j = jopen(f, 0, NULL);
	journal_close(j);
	snprintf(p, sizeof(p), "%s/0000000000000002.jnl.tmp", f->jdir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	j = jopen(f, 0, NULL);
	assert_int_equal(access(p, F_OK), -1);
	journal_close(j);
}

static void wait_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
}

/* The background sync: started, signalled on the eventfd, collected. */
static void test_async_sync(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f, 1500, NULL);
	int efd = journal_sync_fd(j);
	uint64_t seq = 0;

	assert_true(efd >= 0);
	assert_int_equal(journal_sync_async(j), 1);	/* nothing to sync */
	assert_int_equal(journal_sync_complete(j), 0);
	for (uint64_t e = 1; e <= 200; e++) {
		put(j, e, e % 5 != 0, seq + 1);
		seq += e % 5 != 0;
		if (e % 10)
			continue;
		int rc = journal_sync_async(j);
		if (rc == -EBUSY) {	/* the previous one still runs: collect it */
			wait_fd(efd);
			assert_int_equal(journal_sync_complete(j), 1);
			rc = journal_sync_async(j);
		}
		assert_int_equal(rc, 0);
		if (e % 30 == 0) {
			wait_fd(efd);
			assert_int_equal(journal_sync_complete(j), 1);
			assert_int_equal(journal_synced_entry(j), e);
			assert_int_equal(journal_synced_seq(j), seq);
			assert_int_equal(count_seq(f, j, 1), seq);
		}
	}
	/* The one started at 200 is not collected yet: busy.  journal_sync
	 * waits for it, takes it, and syncs 201 too. */
	put(j, 201, true, seq + 1);
	assert_int_equal(journal_sync_async(j), -EBUSY);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(journal_synced_seq(j), seq + 1);
	assert_int_equal(journal_sync_complete(j), 0);
	journal_close(j);

	/* A failed background sync fails the journal. */
	struct journal_opts o = { .fdatasync_fn = bad_sync };
	assert_int_equal(journal_open(f->ctx, f->jdir, &o, &j, NULL), 0);
	put(j, 202, true, seq + 2);
	assert_int_equal(journal_sync_async(j), 0);
	wait_fd(journal_sync_fd(j));
	assert_int_equal(journal_sync_complete(j), -EIO);
	assert_int_equal(journal_synced_seq(j), seq + 1);
	assert_int_equal(journal_append(j, 1, true, "x", 1, NULL, NULL), -EIO);
	assert_int_equal(journal_sync_async(j), -EIO);
	/* Closing with a sync in flight joins the thread (ASan/TSan: clean). */
	journal_close(j);
	j = jopen(f, 1500, NULL);
	put(j, 203, false, 0);
	assert_int_equal(journal_sync_async(j), 0);
	journal_close(j);
}

/*
 * A rotation while a background sync is in flight waits for that sync and
 * takes its result: the eventfd must still wake the loop and
 * journal_sync_complete() say 1, else the inputs that sync covered are
 * never acknowledged (txgw's downlink stalled at its first 64 MiB).
 */
static void test_async_rotation(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f, 1500, NULL);
	int efd = journal_sync_fd(j);
	uint64_t e = 1, covered;

	assert_true(efd >= 0);
	put(j, e, true, e);
	assert_int_equal(journal_sync_async(j), 0);
	covered = e;
	/* 1,500-octet segments: a few entries make a rotation */
	for (e = 2; e <= 20; e++)
		put(j, e, true, e);
	wait_fd(efd);
	assert_int_equal(journal_sync_complete(j), 1);
	assert_true(journal_synced_entry(j) >= covered);
	assert_int_equal(journal_sync_complete(j), 0);	/* reported once */
	/* and the next background sync goes as before */
	assert_int_equal(journal_sync_async(j), 0);
	wait_fd(efd);
	assert_int_equal(journal_sync_complete(j), 1);
	assert_int_equal(journal_synced_entry(j), 20);
	journal_close(j);
}

/* A seeded random run of appends, syncs, reopens, retention and reads. */
static void test_random_model(void **state)
{
	struct fx *f = *state;
	struct journal *j = jopen(f, 3000, NULL);
	uint64_t next = 1, seq = 0, synced_e = 0, oldest_seq = 1;
	time_t t0 = time(NULL);

	srand((unsigned)test_seed());
	for (int step = 0; step < 4000 && time(NULL) - t0 < 3; step++) {
		int op = rand() % 100;
		if (op < 70) {
			bool m = rand() % 3 != 0;
			put(j, next++, m, seq + 1);
			seq += m;
		} else if (op < 85) {
			assert_int_equal(journal_sync(j), 0);
			synced_e = next - 1;
		} else if (op < 90) {
			struct journal_recovery rec;
			journal_close(j);
			j = jopen(f, 3000, &rec);
			assert_int_equal(rec.last_entry, next - 1);
			assert_int_equal(rec.last_seq, seq);
			assert_int_equal(rec.oldest_seq, oldest_seq);
			synced_e = next - 1;
		} else if (op < 93) {
			assert_true(journal_keep(j, (uint64_t)(rand() % 200), JOURNAL_NEED_NONE) >= 0);
			assert_true(journal_oldest_seq(j) >= oldest_seq);
			oldest_seq = journal_oldest_seq(j);
		} else {
			uint64_t span = seq - oldest_seq + 1;
			uint64_t from = oldest_seq + (uint64_t)rand() % (span + 1);
			uint64_t want = journal_synced_seq(j) >= from ? journal_synced_seq(j) - from + 1 : 0;
			assert_int_equal(count_seq(f, j, from), want);
			/* A rotation syncs too: at least what the model synced. */
			uint64_t e0 = journal_oldest_entry(j), se = journal_synced_entry(j);
			assert_true(se >= synced_e && se < next);
			assert_int_equal(count_entries(f, j, e0), se - e0 + 1);
		}
	}
	journal_close(j);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(test_append_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iter_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_earlier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_unsynced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_model, setup, teardown),
	};
	log_capture_start(NULL);
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
