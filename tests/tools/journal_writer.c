/*
 * journal_writer — the two halves of tests/tools/journal-crash.sh.
 *
 *   journal_writer write DIR SEED   append batches of entries (messages and
 *                                   others) forever; after each sync print
 *                                   "<synced seq>\n" on stdout, flushed.
 *                                   Now and then apply retention (keep 500).
 *   journal_writer check DIR SEQ    reopen DIR; every message from the oldest
 *                                   kept to the last must be there, gap-free
 *                                   and intact, and SEQ (the last seq the
 *                                   writer reported synced) must be among
 *                                   them.  Prints "<oldest> <last>".
 *
 * Payloads follow from the entry number, so the checker needs no record of
 * what was written.  Exit 0 on success, 1 with a message otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include "gateway/journal/journal.h"

#define SEGMENT_SIZE	(64u << 10)
#define KEEP_MSGS	500

/* The payload of entry e: "entry <e>" and filler, 40..339 bytes. */
static size_t payload_of(uint64_t e, uint8_t *buf)
{
	size_t len = 40 + (size_t)(e * 7919 % 300);
	int n = snprintf((char *)buf, len, "entry %" PRIu64 " ", e);

	for (size_t i = (size_t)n; i < len; i++)
		buf[i] = (uint8_t)(e + i);
	return len;
}

/* Write header and payload with two write(2) calls, so that a kill lands
 * between them now and then (it waits there a little) and leaves a torn entry for the reopen. */
static ssize_t split_writev(int fd, const struct iovec *iov, int cnt)
{
	ssize_t n = write(fd, iov[0].iov_base, iov[0].iov_len);

	if (n != (ssize_t)iov[0].iov_len || cnt < 2)
		return n;
	usleep(100);	/* widen the window */
	ssize_t m = write(fd, iov[1].iov_base, iov[1].iov_len);
	return m < 0 ? n : n + m;
}

static int do_write(void *ctx, const char *dir, unsigned seed)
{
	struct journal_opts o = { .segment_size = SEGMENT_SIZE, .writev_fn = split_writev };
	struct journal *j;
	uint8_t buf[400];
	int rc = journal_open(ctx, dir, &o, &j, NULL);

	if (rc) {
		fprintf(stderr, "open: %s\n", strerror(-rc));
		return 1;
	}
	srand(seed);
	for (unsigned round = 0;; round++) {
		int batch = 1 + rand() % 16;
		for (int i = 0; i < batch; i++) {
			uint64_t e = journal_last_entry(j) + 1;
			size_t len = payload_of(e, buf);
			rc = journal_append(j, (uint8_t)e, rand() % 4 != 0, buf, len, NULL, NULL);
			if (rc) {
				fprintf(stderr, "append: %s\n", strerror(-rc));
				return 1;
			}
		}
		rc = journal_sync(j);
		if (rc) {
			fprintf(stderr, "sync: %s\n", strerror(-rc));
			return 1;
		}
		printf("%" PRIu64 "\n", journal_synced_seq(j));
		fflush(stdout);
		if (round % 64 == 63 && journal_keep(j, KEEP_MSGS, JOURNAL_NEED_NONE) < 0)
			return 1;
	}
}

static int do_check(void *ctx, const char *dir, uint64_t reported)
{
	struct journal_recovery rec;
	struct journal_iter *it;
	struct journal_entry en;
	struct journal *j;
	uint8_t buf[400];
	uint64_t want;
	int rc = journal_open(ctx, dir, NULL, &j, &rec);

	if (rc) {
		fprintf(stderr, "open: %s\n", strerror(-rc));
		return 1;
	}
	if (rec.last_seq < reported || rec.oldest_seq > reported + 1) {
		fprintf(stderr, "reported seq %" PRIu64 " not kept: oldest %" PRIu64 ", last %" PRIu64 "\n",
			reported, rec.oldest_seq, rec.last_seq);
		return 1;
	}
	rc = journal_iter_seq(ctx, j, rec.oldest_seq, &it);
	for (want = rec.oldest_seq; !rc && (rc = journal_iter_next(it, &en)) == 1; want++) {
		if (en.seq != want || en.len != payload_of(en.entry, buf) ||
		    memcmp(en.payload, buf, en.len) || en.type != (uint8_t)en.entry) {
			fprintf(stderr, "seq %" PRIu64 " (entry %" PRIu64 ") wrong\n", want, en.entry);
			return 1;
		}
		rc = 0;
	}
	if (rc || want != rec.last_seq + 1) {
		fprintf(stderr, "iteration stopped at seq %" PRIu64 " of %" PRIu64 ": %d\n",
			want, rec.last_seq, rc);
		return 1;
	}
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", rec.oldest_seq, rec.last_seq, rec.dropped_bytes);
	journal_iter_free(it);
	journal_close(j);
	return 0;
}

int main(int argc, char **argv)
{
	void *ctx = talloc_named_const(NULL, 0, "journal_writer");
	int rc;

	if (argc == 4 && !strcmp(argv[1], "write"))
		rc = do_write(ctx, argv[2], (unsigned)strtoul(argv[3], NULL, 0));
	else if (argc == 4 && !strcmp(argv[1], "check"))
		rc = do_check(ctx, argv[2], strtoull(argv[3], NULL, 0));
	else {
		fprintf(stderr, "usage: journal_writer write DIR SEED | check DIR SEQ\n");
		rc = 2;
	}
	talloc_free(ctx);
	return rc;
}
