/*
 * journal_iter.c — reading the journal back: from an entry number (state
 * rebuild) or a message seq (bus replay), verifying every entry again, and
 * only up to what is synced.  See journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include "gateway/journal/journal.h"
#include "gateway/journal/journal_int.h"

/* An iterator: a reader over one segment at a time. */
struct journal_iter {
	struct journal *j;
	struct segrd r;
	uint64_t off;		/* offset of the next entry in r.fd */
	uint64_t next_entry;	/* its number */
	uint64_t prev_seq;	/* the last message seq before it */
	uint64_t min_entry;	/* skip entries below */
	uint64_t min_seq;	/* seq mode: skip messages below */
	bool msgs_only;
};


static int iter_destructor(struct journal_iter *it)
{
	if (it->r.fd >= 0)
		close(it->r.fd);
	return 0;
}

static int iter_new(void *ctx, struct journal *j, const struct ixpt *pt,
		    struct journal_iter **out)
{
	struct journal_iter *it = talloc_zero(ctx, struct journal_iter);

	if (!it)
		return -ENOMEM;
	it->j = j;
	it->r.fd = jnl_open_seg(j->dirfd, jnl_seg_of(j, pt->entry), O_RDONLY);
	if (it->r.fd < 0) {
		int rc = it->r.fd;
		talloc_free(it);
		return rc;
	}
	talloc_set_destructor(it, iter_destructor);
	it->off = pt->off;
	it->next_entry = pt->entry;
	it->prev_seq = pt->prev_seq;
	*out = it;
	return 0;
}

int journal_iter_entry(void *ctx, struct journal *j, uint64_t from, struct journal_iter **out)
{
	int rc = iter_new(ctx, j, jnl_ix_find(j, from, false), out);

	if (!rc)
		(*out)->min_entry = from;
	return rc;
}

int journal_iter_seq(void *ctx, struct journal *j, uint64_t from, struct journal_iter **out)
{
	if (from < journal_oldest_seq(j))
		return -ERANGE;
	int rc = iter_new(ctx, j, jnl_ix_find(j, from, true), out);
	if (!rc) {
		(*out)->msgs_only = true;
		(*out)->min_seq = from;
	}
	return rc;
}

/* The segment read so far ended: go on in the next one, which must start
 * with the entry expected. */
static int iter_next_seg(struct journal_iter *it)
{
	uint64_t first, prev_seq;
	const char *why;
	int fd = jnl_open_seg(it->j->dirfd, it->next_entry, O_RDONLY);

	if (fd < 0)
		return fd;
	close(it->r.fd);
	it->r.fd = fd;
	it->r.blen = 0;
	int rc = jnl_segrd_header(it, &it->r, &first, &prev_seq, &why);
	if (rc)
		return rc;
	if (first != it->next_entry || prev_seq != it->prev_seq)
		return -EBADMSG;
	it->off = SEG_HDR_LEN;
	return 0;
}

int journal_iter_next(struct journal_iter *it, struct journal_entry *e)
{
	for (;;) {
		struct ent_hdr h;
		const uint8_t *payload;
		const char *why;
		int rc;

		if (it->next_entry > it->j->synced_entry)
			return 0;
		rc = jnl_segrd_entry(it, &it->r, it->off, it->next_entry, it->prev_seq, &h, &payload, &why);
		if (rc == 0) {
			rc = iter_next_seg(it);
			if (rc)
				return rc;
			continue;
		}
		if (rc < 0)
			return rc;
		it->off += ENT_HDR_LEN + h.len;
		it->next_entry++;
		if (h.flags & ENT_F_MSG)
			it->prev_seq = h.seq;
		if (h.entry < it->min_entry || (it->msgs_only && (h.seq < it->min_seq || !h.seq)))
			continue;
		*e = (struct journal_entry){ .entry = h.entry, .seq = h.seq, .type = h.type,
			.len = h.len, .payload = payload };
		return 1;
	}
}

void journal_iter_free(struct journal_iter *it)
{
	talloc_free(it);
}
