/*
 * fuzz_journal — the journal's recovery scanner and reader over arbitrary
 * segment bytes: journal_open() must cut or refuse, never crash or read out
 * of bounds; what it accepts must iterate cleanly and take an append.
 *
 * Input: one mode byte, then segment bytes.
 *   mode bit 0: two segments; the next two bytes (little-endian) say where
 *               the rest splits.
 *   mode bit 1: repair the CRCs first (segment header and every entry whose
 *               length fits), so that mutations reach the numbering checks
 *               instead of all dying at the CRC.
 * Each segment file is named after its header's `first` field (bytes 8..15)
 * so that the name check passes as often as the content allows.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "gateway/journal/journal.h"
#include "gateway/lib/crc32c.h"
#include "gateway/lib/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX];

static void clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

/* At exit (libFuzzer's, after -max_total_time or -runs) the directory goes
 * too; after a crash it stays, under run-one.sh's TMPDIR, which goes. */
static void remove_dir(void)
{
	clean_dir();
	rmdir(dir);
}

static uint64_t be64(const uint8_t *p)
{
	struct rd r;
	uint64_t v;

	rd_init(&r, p, 8);
	rd_u64(&r, &v);
	return v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	struct wr w;

	wr_init(&w, p, 4);
	wr_u32(&w, v);
}

/* Recompute the CRCs of a segment image in place (formats in journal.c). */
static void repair(uint8_t *b, size_t len)
{
	size_t off = 32;

	if (len < 32)
		return;
	put_be32(b + 28, crc32c(0, b, 28));
	while (len - off >= 28) {
		uint8_t *h = b + off;
		uint32_t plen = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
		if (plen > len - off - 28)
			break;
		put_be32(h + 24, crc32c(crc32c(0, h, 24), h + 28, plen));
		off += 28 + (size_t)plen;
	}
}

static void write_seg(uint8_t *b, size_t len, bool fix)
{
	char path[128];
	uint64_t first = len >= 16 ? be64(b + 8) : 1;
	int fd;

	if (fix)
		repair(b, len);
	snprintf(path, sizeof(path), "%s/%016" PRIx64 ".jnl", dir, first ? first : 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (len && write(fd, b, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void drain(void *ctx, struct journal *j, bool by_seq)
{
	struct journal_iter *it;
	struct journal_entry e;
	uint64_t sum = 0;
	int rc = by_seq ? journal_iter_seq(ctx, j, journal_oldest_seq(j), &it)
			: journal_iter_entry(ctx, j, 0, &it);

	if (rc)
		return;
	while (journal_iter_next(it, &e) == 1)
		for (uint32_t i = 0; i < e.len; i++)
			sum += e.payload[i];	/* touch every byte */
	journal_iter_free(it);
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_opts o = { .segment_size = 4096 };
	struct journal *j;
	uint8_t *copy;
	void *ctx;

	if (!dir[0]) {
		static const struct log_info no_cats = { 0 };
		/* Torn tails are logged; keep the fuzzer's output readable. */
		osmo_init_logging2(NULL, &no_cats);
		log_set_all_filter(osmo_stderr_target, 0);
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/fuzz_journal.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
	}
	if (size < 1)
		return 0;
	clean_dir();
	uint8_t mode = data[0];
	size--;
	copy = malloc(size + 1);
	memcpy(copy, data + 1, size);
	if ((mode & 1) && size >= 2) {
		size_t cut = ((size_t)copy[0] | (size_t)copy[1] << 8) % (size - 1);
		write_seg(copy + 2, cut, mode & 2);
		write_seg(copy + 2 + cut, size - 2 - cut, mode & 2);
	} else {
		write_seg(copy, size, mode & 2);
	}
	free(copy);

	ctx = talloc_named_const(NULL, 0, "fuzz");
	if (journal_open(ctx, dir, &o, &j, NULL) == 0) {
		drain(ctx, j, false);
		drain(ctx, j, true);
		if (journal_append(j, 1, true, "x", 1, NULL, NULL) == 0 && journal_sync(j) == 0)
			drain(ctx, j, true);
		journal_close(j);
	}
	talloc_free(ctx);
	return 0;
}
