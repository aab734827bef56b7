/*
 * journal_torn.c — what recovery cuts from the last segment is kept, not
 * thrown away: the bytes go to "<segment>.torn-<offset>" beside it, and
 * are searched for intact entries.
 *
 * A write cut by a crash leaves a bad entry at the end and nothing intact
 * after it.  Intact entries after the bad one mean something else: a bad
 * sector or bit rot in data that was written, or pages of the last,
 * unsynced writes reaching the disk out of order before a power cut.  The
 * first may have been acknowledged, so recovery says so loudly (and the
 * operator has the bytes); the second is harmless.  Recovery cannot tell
 * the two apart, and going on is what keeps the gateway up after a power
 * cut.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include "gateway/journal/journal_int.h"
#include "gateway/lib/crc32c.h"
#include "gateway/lib/cursor.h"

/* Bytes [off, off + len) of fd into a new talloc buffer, or NULL. */
static uint8_t *read_tail(void *ctx, int fd, uint64_t off, size_t len)
{
	uint8_t *b = talloc_size(ctx, len ? len : 1);
	size_t got = 0;

	while (b && got < len) {
		ssize_t n = pread(fd, b + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			TALLOC_FREE(b);
			break;
		}
		got += (size_t)n;
	}
	return b;
}

unsigned jnl_intact_entries(const uint8_t *b, size_t len)
{
	uint8_t magic[2];
	unsigned n = 0;
	struct wr w;

	wr_init(&w, magic, sizeof(magic));
	wr_u16(&w, ENT_MAGIC);
	/* b[0] is the bad entry itself: look from the next byte on */
	for (size_t p = 1; p + ENT_HDR_LEN <= len; p++) {
		struct ent_hdr h;
		const char *why;

		if (memcmp(b + p, magic, sizeof(magic)) || jnl_ent_hdr_decode(b + p, &h, &why))
			continue;
		if (h.len > len - p - ENT_HDR_LEN)
			continue;
		if (h.crc != crc32c(crc32c(0, b + p, ENT_HDR_LEN - 4), b + p + ENT_HDR_LEN, h.len))
			continue;
		n++;
		p += ENT_HDR_LEN + h.len - 1;
	}
	return n;
}

int jnl_keep_tail(struct journal *j, int fd, const char *seg, uint64_t off, uint64_t size,
		  char *kept, size_t cap, unsigned *intact)
{
	uint8_t *b;
	int rc;

	*intact = 0;
	kept[0] = 0;
	if (size <= off)
		return 0;
	if (size - off > SIZE_MAX / 2)
		return -EFBIG;
	b = read_tail(j, fd, off, (size_t)(size - off));
	if (!b)
		return errno ? -errno : -EIO;
	*intact = jnl_intact_entries(b, (size_t)(size - off));
	if ((size_t)snprintf(kept, cap, "%s.torn-%" PRIu64, seg, off) >= cap)
		rc = -ENAMETOOLONG;
	else
		rc = jnl_write_file_at(j->dirfd, kept, b, (size_t)(size - off), &j->o);
	talloc_free(b);
	if (rc)
		kept[0] = 0;
	return rc;
}
