/*
 * journal.c — the durable journal; see journal.h for the API.
 *
 * On-disk format (version 1)
 * ==========================
 *
 * A directory (state-dir/journal/) of append-only segment files.  A segment
 * is named after the number of its first entry, in 16 lower-case hex
 * digits: 0000000000000001.jnl, 00000000000a3f01.jnl, ...  Every integer is
 * big-endian (network order, as every codec of txgw).  CRCs are CRC-32C
 * (Castagnoli, crc32c.h).
 *
 * Segment header, 32 bytes, at offset 0:
 *
 *   off len  field
 *    0   4   magic     0x54584a4c ("TXJL")
 *    4   2   version   1
 *    6   2   flags     0
 *    8   8   first     number of the segment's first entry (= file name)
 *   16   8   prev_seq  last message seq written before this segment
 *                      (0 before the first message); keeps the message
 *                      seq gap-free when old segments are deleted
 *   24   4   reserved  0
 *   28   4   crc       CRC-32C of bytes 0..27
 *
 * A segment is created atomically (written as <name>.tmp, fdatasync'd,
 * renamed, directory fsync'd), after the previous segment was fdatasync'd:
 * a segment file always has a whole header, and every segment but the last
 * is whole.  A stray <name>.tmp is removed at open.
 *
 * Then entries, back to back, each a 28-byte header and its payload:
 *
 *   off len  field
 *    0   2   magic     0x4a45 ("JE")
 *    2   1   type      the caller's entry type
 *    3   1   flags     bit 0: the entry is a bus message; others 0
 *    4   4   len       payload length, at most 1 MiB (JOURNAL_MAX_PAYLOAD)
 *    8   8   entry     entry number: the previous entry's + 1
 *   16   8   seq       message seq: the previous message's + 1 when flag
 *                      bit 0 is set, else 0
 *   24   4   crc       CRC-32C of bytes 0..23 then the payload
 *   28 len   payload
 *
 * Recovery (journal_open) reads every segment in order and checks each
 * entry: magic, flags, length bound, the numbers consecutive, the CRC.  The
 * first bad or short entry of the last segment is a torn tail (a write cut
 * by a crash; never synced, so never acknowledged): the file is cut there,
 * the bytes cut kept beside it as <segment>.torn-<offset>, and intact
 * entries among them reported as an error (journal_torn.c).
 * A bad entry or a numbering break anywhere else is corruption and the
 * journal refuses to open, naming the file and offset.
 *
 * In memory: per segment its first/last entry and seq; a sparse index of
 * (entry, seq before it, offset) at each segment start and every
 * IX_STEP-th entry, so that an iterator finds any entry number or message
 * seq with a binary search and reads at most IX_STEP entries to reach it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "gateway/journal/journal.h"
#include "gateway/journal/journal_int.h"
#include "gateway/lib/crc32c.h"
#include "gateway/lib/cursor.h"
#include "gateway/lib/logging.h"

/* ---- encoding ---- */

static void seg_name(char out[SEG_NAME_LEN + 1], uint64_t first)
{
	snprintf(out, SEG_NAME_LEN + 1, "%016" PRIx64 ".jnl", first);
}

/* The first entry number named by a segment file name; 0 if it is not one. */
static uint64_t seg_name_parse(const char *name)
{
	uint64_t v = 0;

	if (strlen(name) != SEG_NAME_LEN || strcmp(name + 16, ".jnl"))
		return 0;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	return v;
}

static void seg_hdr_encode(uint8_t out[SEG_HDR_LEN], uint64_t first, uint64_t prev_seq)
{
	struct wr w;

	wr_init(&w, out, SEG_HDR_LEN);
	wr_u32(&w, SEG_MAGIC);
	wr_u16(&w, SEG_VERSION);
	wr_u16(&w, 0);
	wr_u64(&w, first);
	wr_u64(&w, prev_seq);
	wr_u32(&w, 0);
	wr_u32(&w, crc32c(0, out, SEG_HDR_LEN - 4));
}

/* Decode a segment header: 0, or -EBADMSG with *why set. */
static int seg_hdr_decode(const uint8_t *b, uint64_t *first, uint64_t *prev_seq,
			  const char **why)
{
	struct rd r;
	uint32_t magic, resv, crc;
	uint16_t ver, flags;

	rd_init(&r, b, SEG_HDR_LEN);
	rd_u32(&r, &magic);
	rd_u16(&r, &ver);
	rd_u16(&r, &flags);
	rd_u64(&r, first);
	rd_u64(&r, prev_seq);
	rd_u32(&r, &resv);
	rd_u32(&r, &crc);
	if (rd_end(&r) || magic != SEG_MAGIC)
		*why = "bad segment magic";
	else if (crc != crc32c(0, b, SEG_HDR_LEN - 4))
		*why = "segment header CRC mismatch";
	else if (ver != SEG_VERSION || flags || resv)
		*why = "unknown segment version or flags";
	else
		return 0;
	return -EBADMSG;
}

static void ent_hdr_encode(uint8_t out[ENT_HDR_LEN], const struct ent_hdr *h,
			   const void *payload)
{
	struct wr w;

	wr_init(&w, out, ENT_HDR_LEN);
	wr_u16(&w, ENT_MAGIC);
	wr_u8(&w, h->type);
	wr_u8(&w, h->flags);
	wr_u32(&w, h->len);
	wr_u64(&w, h->entry);
	wr_u64(&w, h->seq);
	wr_u32(&w, crc32c(crc32c(0, out, ENT_HDR_LEN - 4), payload, h->len));
}

int jnl_ent_hdr_decode(const uint8_t *b, struct ent_hdr *h, const char **why)
{
	struct rd r;
	uint16_t magic;

	rd_init(&r, b, ENT_HDR_LEN);
	rd_u16(&r, &magic);
	rd_u8(&r, &h->type);
	rd_u8(&r, &h->flags);
	rd_u32(&r, &h->len);
	rd_u64(&r, &h->entry);
	rd_u64(&r, &h->seq);
	rd_u32(&r, &h->crc);
	if (rd_end(&r) || magic != ENT_MAGIC)
		*why = "bad entry magic";
	else if (h->flags & ~ENT_F_MSG)
		*why = "unknown entry flags";
	else if (h->len > JOURNAL_MAX_PAYLOAD)
		*why = "entry length beyond 1 MiB";
	else
		return 0;
	return -EBADMSG;
}

/* ---- reading ---- */

/*
 * Make up to n bytes at file offset off available at *p.  Returns how many
 * are (fewer than n only where the file ends), or a negative errno.
 */
static ssize_t segrd_get(void *ctx, struct segrd *r, uint64_t off, size_t n,
			 const uint8_t **p)
{
	if (off >= r->boff && off - r->boff <= r->blen && r->blen - (off - r->boff) >= n) {
		*p = r->buf + (off - r->boff);
		return (ssize_t)n;
	}
	size_t want = n > RD_WINDOW ? n : RD_WINDOW;
	if (r->cap < want) {
		uint8_t *nb = talloc_realloc_size(ctx, r->buf, want);
		if (!nb)
			return -ENOMEM;
		r->buf = nb;
		r->cap = want;
	}
	r->boff = off;
	r->blen = 0;
	while (r->blen < r->cap) {
		ssize_t got = pread(r->fd, r->buf + r->blen, r->cap - r->blen,
				    (off_t)(off + r->blen));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		r->blen += (size_t)got;
	}
	*p = r->buf;
	return (ssize_t)(r->blen < n ? r->blen : n);
}

/* Read and check the segment header of r: 0, -EBADMSG (*why), or -errno. */
int jnl_segrd_header(void *ctx, struct segrd *r, uint64_t *first, uint64_t *prev_seq,
			const char **why)
{
	const uint8_t *p;
	ssize_t got = segrd_get(ctx, r, 0, SEG_HDR_LEN, &p);

	if (got < 0)
		return (int)got;
	if (got < SEG_HDR_LEN) {
		*why = "segment header cut short";
		return -EBADMSG;
	}
	return seg_hdr_decode(p, first, prev_seq, why);
}

/*
 * Read the entry at off, which must be number `entry` and follow message
 * seq prev_seq.  Returns 1 with *h and *payload, 0 when the file ends
 * exactly at off, -EBADMSG (*why) for a bad, short or misnumbered entry, or
 * a negative errno.
 */
int jnl_segrd_entry(void *ctx, struct segrd *r, uint64_t off, uint64_t entry,
		       uint64_t prev_seq, struct ent_hdr *h, const uint8_t **payload,
		       const char **why)
{
	const uint8_t *p;
	ssize_t got = segrd_get(ctx, r, off, ENT_HDR_LEN, &p);

	if (got <= 0)
		return (int)got;
	if (got < ENT_HDR_LEN) {
		*why = "entry header cut short";
		return -EBADMSG;
	}
	int rc = jnl_ent_hdr_decode(p, h, why);
	if (rc)
		return rc;
	got = segrd_get(ctx, r, off, ENT_HDR_LEN + (size_t)h->len, &p);
	if (got < 0)
		return (int)got;
	if ((size_t)got < ENT_HDR_LEN + (size_t)h->len) {
		*why = "entry payload cut short";
		return -EBADMSG;
	}
	if (h->crc != crc32c(crc32c(0, p, ENT_HDR_LEN - 4), p + ENT_HDR_LEN, h->len)) {
		*why = "entry CRC mismatch";
		return -EBADMSG;
	}
	if (h->entry != entry) {
		*why = "entry number out of sequence";
		return -EBADMSG;
	}
	if (h->seq != (h->flags & ENT_F_MSG ? prev_seq + 1 : 0)) {
		*why = "message seq out of sequence";
		return -EBADMSG;
	}
	*payload = p + ENT_HDR_LEN;
	return 1;
}

int jnl_open_seg(int dirfd, uint64_t first, int flags)
{
	char name[SEG_NAME_LEN + 1];

	seg_name(name, first);
	int fd = openat(dirfd, name, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* ---- in-memory tables ---- */

static int seg_push(struct journal *j, uint64_t first, uint64_t prev_seq)
{
	struct seg *s = talloc_realloc(j, j->segs, struct seg, j->nsegs + 1);

	if (!s)
		return -ENOMEM;
	j->segs = s;
	s[j->nsegs++] = (struct seg){ .first = first, .prev_seq = prev_seq,
		.last_entry = first - 1, .last_seq = prev_seq, .size = SEG_HDR_LEN };
	return 0;
}

static int ix_push(struct journal *j, uint64_t entry, uint64_t prev_seq, uint64_t off)
{
	/* Grow by doubling: one point per IX_STEP entries adds up. */
	if ((j->nix & (j->nix - 1)) == 0) {
		size_t cap = j->nix ? j->nix * 2 : 16;
		struct ixpt *x = talloc_realloc(j, j->ix, struct ixpt, cap);
		if (!x)
			return -ENOMEM;
		j->ix = x;
	}
	j->ix[j->nix++] = (struct ixpt){ entry, prev_seq, off };
	return 0;
}

/* Account for an entry just written or verified at off in the last segment. */
static int note_entry(struct journal *j, const struct ent_hdr *h, uint64_t off)
{
	struct seg *s = &j->segs[j->nsegs - 1];
	uint64_t prev_seq = j->last_seq;

	s->last_entry = h->entry;
	if (h->flags & ENT_F_MSG)
		j->last_seq = s->last_seq = h->seq;
	s->size = off + ENT_HDR_LEN + h->len;
	j->next_entry = h->entry + 1;
	if (h->entry % IX_STEP == 0 && off != SEG_HDR_LEN)
		return ix_push(j, h->entry, prev_seq, off);
	return 0;
}

/* The last index point whose entry is <= entry (by_seq: whose prev_seq is
 * < seq); the first point if none. */
const struct ixpt *jnl_ix_find(const struct journal *j, uint64_t key, bool by_seq)
{
	size_t lo = 0, hi = j->nix;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		bool before = by_seq ? j->ix[mid].prev_seq < key : j->ix[mid].entry <= key;
		if (before)
			lo = mid;
		else
			hi = mid;
	}
	return &j->ix[lo];
}

/* The first entry number of the segment holding entry e. */
uint64_t jnl_seg_of(const struct journal *j, uint64_t e)
{
	size_t lo = 0, hi = j->nsegs;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->segs[mid].first <= e)
			lo = mid;
		else
			hi = mid;
	}
	return j->segs[lo].first;
}

/* ---- files ---- */

/* Write every byte of iov through wv (writev or a test hook). */
static int writev_all(ssize_t (*wv)(int, const struct iovec *, int), int fd, struct iovec *iov,
		      int cnt)
{
	while (cnt) {
		ssize_t n = wv(fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno ? -errno : -EIO;
		if (n == 0)
			return -EIO;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int jnl_write_file_at(int dirfd, const char *name, const void *buf, size_t len,
		      const struct journal_opts *o)
{
	ssize_t (*wv)(int, const struct iovec *, int) = o && o->writev_fn ? o->writev_fn : writev;
	int (*sync_fn)(int) = o && o->fdatasync_fn ? o->fdatasync_fn : fdatasync;
	struct iovec iov = { (void *)buf, len };
	char tmp[512];
	int rc, fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	rc = len ? writev_all(wv, fd, &iov, 1) : 0;
	if (!rc && sync_fn(fd))
		rc = errno ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && renameat(dirfd, tmp, dirfd, name))
		rc = -errno;
	if (rc) {
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	return fsync(dirfd) ? -errno : 0;
}

int journal_write_file_atomic(const char *dir, const char *name, const void *buf, size_t len)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return -errno;
	int rc = jnl_write_file_at(dirfd, name, buf, len, NULL);
	close(dirfd);
	return rc;
}

/* Create the segment starting at entry `first` and make it current. */
static int seg_create(struct journal *j, uint64_t first, uint64_t prev_seq)
{
	char name[SEG_NAME_LEN + 1];
	uint8_t hdr[SEG_HDR_LEN];
	int rc;

	seg_name(name, first);
	seg_hdr_encode(hdr, first, prev_seq);
	rc = jnl_write_file_at(j->dirfd, name, hdr, sizeof(hdr), &j->o);
	if (rc)
		return rc;
	rc = seg_push(j, first, prev_seq);
	if (rc)
		return rc;
	j->synced_off = SEG_HDR_LEN;	/* the header is durable, nothing else yet */
	rc = ix_push(j, first, prev_seq, SEG_HDR_LEN);
	if (rc)
		return rc;
	j->fd = jnl_open_seg(j->dirfd, first, O_WRONLY | O_APPEND);
	return j->fd < 0 ? j->fd : 0;
}

/* ---- open and recovery ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The first entry numbers of the segments in the directory, sorted; removes
 * the .tmp left by a segment creation a crash interrupted. */
static int list_segs(struct journal *j, uint64_t **out, size_t *n)
{
	int fd = dup(j->dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	uint64_t *v = NULL;
	size_t cnt = 0;

	if (!d) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		char base[SEG_NAME_LEN + 1];
		uint64_t first;

		if (strlen(de->d_name) == SEG_NAME_LEN + 4 && !strcmp(de->d_name + SEG_NAME_LEN, ".tmp")) {
			memcpy(base, de->d_name, SEG_NAME_LEN);
			base[SEG_NAME_LEN] = 0;
			if (seg_name_parse(base))
				unlinkat(j->dirfd, de->d_name, 0);
			continue;
		}
		first = seg_name_parse(de->d_name);
		if (!first)
			continue;
		uint64_t *nv = talloc_realloc(j, v, uint64_t, cnt + 1);
		if (!nv) {
			closedir(d);
			talloc_free(v);
			return -ENOMEM;
		}
		v = nv;
		v[cnt++] = first;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*out = v;
	*n = cnt;
	return 0;
}

static int refuse(const struct journal *j, uint64_t first, uint64_t off, const char *why)
{
	char name[SEG_NAME_LEN + 1];

	seg_name(name, first);
	LOGP(DJOURNAL, LOGL_ERROR, "%s/%s: offset %" PRIu64 ": %s: journal corrupt, refusing to open\n",
	     j->dir, name, off, why);
	return -EBADMSG;
}

/* Cut the torn tail of the last segment at off, its bytes kept aside
 * (journal_torn.c).  Intact entries among them are reported as an error. */
static int cut_tail(struct journal *j, struct journal_recovery *rec, int fd, uint64_t first,
		    uint64_t off, const char *why)
{
	char name[SEG_NAME_LEN + 1], kept[SEG_NAME_LEN + 32], msg[512];
	struct stat st;
	int rc;

	if (fstat(fd, &st))
		return -errno;
	rec->dropped_bytes = (uint64_t)st.st_size - off;
	seg_name(name, first);
	rc = jnl_keep_tail(j, fd, name, off, (uint64_t)st.st_size, kept, sizeof(kept), &rec->intact_dropped);
	if (rc)
		LOGP(DJOURNAL, LOGL_ERROR, "%s/%s: cannot keep the torn tail aside: %s\n", j->dir, name,
		     strerror(-rc));
	snprintf(msg, sizeof(msg), "%s/%s: torn tail at offset %" PRIu64 " (%s): %" PRIu64
		 " bytes dropped%s%s%s", j->dir, name, off, why, rec->dropped_bytes,
		 kept[0] ? ", kept in " : "", kept, rec->intact_dropped ? "; intact entries follow" : "");
	if (rec->intact_dropped)
		LOGP(DJOURNAL, LOGL_ERROR, "%s: %u intact entries follow the bad one: the disk may have "
		     "damaged written data, or lost a power cut's last unsynced pages\n", msg,
		     rec->intact_dropped);
	else
		LOGP(DJOURNAL, LOGL_NOTICE, "%s\n", msg);
	if (ftruncate(fd, (off_t)off) || fsync(fd))
		return -errno;
	return 0;
}

/* Verify one segment and add it to the tables; the last one may be cut. */
static int recover_seg(struct journal *j, struct journal_recovery *rec, uint64_t first, bool last)
{
	struct segrd r = { .fd = jnl_open_seg(j->dirfd, first, last ? O_RDWR : O_RDONLY) };
	uint64_t hfirst, prev_seq, off = SEG_HDR_LEN;
	const char *why = NULL;
	int rc;

	if (r.fd < 0)
		return r.fd;
	rc = jnl_segrd_header(j, &r, &hfirst, &prev_seq, &why);
	if (!rc && hfirst != first)
		why = "segment header does not match its name", rc = -EBADMSG;
	if (!rc && j->nsegs && (first != j->next_entry || prev_seq != j->last_seq))
		why = "segment does not continue the previous one", rc = -EBADMSG;
	if (rc == -EBADMSG)
		rc = refuse(j, first, 0, why);
	if (!rc) {
		j->next_entry = first;
		j->last_seq = prev_seq;
		rc = seg_push(j, first, prev_seq);
	}
	if (!rc)
		rc = ix_push(j, first, prev_seq, SEG_HDR_LEN);
	while (!rc) {
		struct ent_hdr h;
		const uint8_t *payload;

		rc = jnl_segrd_entry(j, &r, off, j->next_entry, j->last_seq, &h, &payload, &why);
		if (rc == 1) {
			rc = note_entry(j, &h, off);
			off += ENT_HDR_LEN + h.len;
			rec->entries++;
			continue;
		}
		if (rc == -EBADMSG)
			rc = last ? cut_tail(j, rec, r.fd, first, off, why)
				  : refuse(j, first, off, why);
		break;
	}
	close(r.fd);
	talloc_free(r.buf);
	return rc;
}

static int recover(struct journal *j, struct journal_recovery *rec)
{
	uint64_t *firsts = NULL;
	size_t n = 0;
	int rc = list_segs(j, &firsts, &n);

	for (size_t i = 0; !rc && i < n; i++)
		rc = recover_seg(j, rec, firsts[i], i + 1 == n);
	talloc_free(firsts);
	if (rc)
		return rc;
	rec->segments = (unsigned)n;
	if (!n)
		return seg_create(j, 1, 0);
	j->fd = jnl_open_seg(j->dirfd, j->segs[n - 1].first, O_WRONLY | O_APPEND);
	if (j->fd < 0)
		return j->fd;
	/* What was read back may still sit in the page cache only (a restart
	 * without a crash): make it durable, so that all of it counts as synced. */
	return fdatasync(j->fd) ? -errno : 0;
}

static int journal_destructor(struct journal *j)
{
	jnl_async_stop(j);
	if (j->fd >= 0)
		close(j->fd);
	if (j->dirfd >= 0)
		close(j->dirfd);
	return 0;
}

int journal_open(void *ctx, const char *dir, const struct journal_opts *opts,
		 struct journal **out, struct journal_recovery *rec)
{
	struct journal_recovery dummy;
	struct journal *j;
	int rc;

	if (!rec)
		rec = &dummy;
	memset(rec, 0, sizeof(*rec));
	j = talloc_zero(ctx, struct journal);
	if (!j) {
		LOGP(DJOURNAL, LOGL_ERROR, "%s: cannot open the journal: %s\n", dir, strerror(ENOMEM));
		return -ENOMEM;
	}
	j->fd = j->dirfd = -1;
	talloc_set_destructor(j, journal_destructor);
	if (opts)
		j->o = *opts;
	if (!j->o.segment_size)
		j->o.segment_size = JOURNAL_DEFAULT_SEGMENT;
	if (!j->o.writev_fn)
		j->o.writev_fn = writev;
	if (!j->o.fdatasync_fn)
		j->o.fdatasync_fn = fdatasync;
	j->next_entry = 1;
	j->dir = talloc_strdup(j, dir);
	if (!j->dir) {
		rc = -ENOMEM;
		goto fail;
	}
	if (mkdir(dir, 0750) && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd < 0) {
		rc = -errno;
		goto fail;
	}
	/* a probe a crash left behind: up to 1 MiB of a disk that was full */
	unlinkat(j->dirfd, PROBE_NAME, 0);
	rc = recover(j, rec);
	if (rc)
		goto fail;
	j->synced_entry = j->next_entry - 1;
	j->synced_seq = j->last_seq;
	j->synced_off = j->segs[j->nsegs - 1].size;
	rec->last_entry = j->next_entry - 1;
	rec->last_seq = j->last_seq;
	rec->oldest_seq = journal_oldest_seq(j);
	*out = j;
	return 0;
fail:
	/* corruption was logged with its file and offset where it was found */
	if (rc != -EBADMSG)
		LOGP(DJOURNAL, LOGL_ERROR, "%s: cannot open the journal: %s\n", dir, strerror(-rc));
	talloc_free(j);
	return rc;
}

void journal_close(struct journal *j)
{
	talloc_free(j);
}

/* ---- appending ---- */

int jnl_fail(struct journal *j, int err)
{
	j->failed = err;
	return err;
}

static int do_sync(struct journal *j)
{
	int rc = jnl_async_wait(j);

	if (rc)
		return rc;
	if (j->o.fdatasync_fn(j->fd))
		return jnl_fail(j, errno ? -errno : -EIO);
	j->syncs++;
	j->dirty = false;
	j->synced_entry = j->next_entry - 1;
	j->synced_seq = j->last_seq;
	j->synced_off = j->segs[j->nsegs - 1].size;
	return 0;
}

/* Start a new segment: the current one is synced first, so that every
 * segment but the last is whole on disk. */
static int rotate(struct journal *j)
{
	int rc = do_sync(j);

	if (rc)
		return rc;
	close(j->fd);
	j->fd = -1;
	rc = seg_create(j, j->next_entry, j->last_seq);
	return rc ? jnl_fail(j, rc) : 0;
}

int journal_append(struct journal *j, uint8_t type, bool is_msg,
		   const void *payload, size_t len, uint64_t *entry, uint64_t *seq)
{
	uint8_t hb[ENT_HDR_LEN];
	struct ent_hdr h;
	struct seg *cur;
	int rc;

	if (j->failed)
		return -EIO;
	if (len > JOURNAL_MAX_PAYLOAD)
		return -ERANGE;
	cur = &j->segs[j->nsegs - 1];
	/* len <= 1 MiB and size < 2^63 in practice: no overflow here. */
	if (cur->last_entry >= cur->first && cur->size + ENT_HDR_LEN + len > j->o.segment_size) {
		rc = rotate(j);
		if (rc)
			return rc;
		cur = &j->segs[j->nsegs - 1];
	}
	h = (struct ent_hdr){ .type = type, .flags = is_msg ? ENT_F_MSG : 0,
		.len = (uint32_t)len, .entry = j->next_entry, .seq = is_msg ? j->last_seq + 1 : 0 };
	ent_hdr_encode(hb, &h, payload);
	struct iovec iov[2] = { { hb, sizeof(hb) }, { (void *)payload, len } };
	rc = writev_all(j->o.writev_fn, j->fd, iov, len ? 2 : 1);
	if (rc)
		return jnl_fail(j, rc);
	rc = note_entry(j, &h, cur->size);
	if (rc)
		return jnl_fail(j, rc);
	j->dirty = true;
	if (entry)
		*entry = h.entry;
	if (seq)
		*seq = h.seq;
	return 0;
}

int journal_sync(struct journal *j)
{
	int rc;

	if (j->failed)
		return -EIO;
	/* A background sync in flight may cover what the caller will ack. */
	rc = jnl_async_wait(j);
	if (!rc && j->dirty)
		rc = do_sync(j);
	jnl_async_reported(j);
	return rc;
}

uint64_t journal_last_entry(const struct journal *j)
{
	return j->next_entry - 1;
}

uint64_t journal_last_seq(const struct journal *j)
{
	return j->last_seq;
}

uint64_t journal_synced_entry(const struct journal *j)
{
	return j->synced_entry;
}

uint64_t journal_synced_seq(const struct journal *j)
{
	return j->synced_seq;
}

uint64_t journal_oldest_seq(const struct journal *j)
{
	return j->segs[0].prev_seq + 1;
}

uint64_t journal_oldest_entry(const struct journal *j)
{
	return j->segs[0].first;
}

uint64_t journal_syncs(const struct journal *j)
{
	return j->syncs;
}

int journal_failed(const struct journal *j)
{
	return j->failed;
}

/* ---- retention ---- */

int journal_keep(struct journal *j, uint64_t min_msgs, uint64_t needed_from)
{
	int deleted = 0;

	while (j->nsegs > 1) {
		const struct seg *s = &j->segs[0];
		char name[SEG_NAME_LEN + 1];

		if (s->last_entry >= needed_from || j->last_seq - j->segs[1].prev_seq < min_msgs)
			break;
		seg_name(name, s->first);
		if (unlinkat(j->dirfd, name, 0))
			return -errno;
		memmove(j->segs, j->segs + 1, (j->nsegs - 1) * sizeof(*j->segs));
		j->nsegs--;
		deleted++;
	}
	if (!deleted)
		return 0;
	size_t k = 0;
	while (k < j->nix && j->ix[k].entry < j->segs[0].first)
		k++;
	memmove(j->ix, j->ix + k, (j->nix - k) * sizeof(*j->ix));
	j->nix -= k;
	return fsync(j->dirfd) ? -errno : deleted;
}

/* ---- cutting an unfinished tail (start-up only) ---- */

/* The file offset of entry e in its segment (first entry `first`). */
static int entry_offset(struct journal *j, uint64_t first, uint64_t e, uint64_t *off)
{
	const struct ixpt *pt = jnl_ix_find(j, e, false);
	struct segrd r = { .fd = jnl_open_seg(j->dirfd, first, O_RDONLY) };
	uint64_t o = SEG_HDR_LEN, n = first, prev = 0;
	int rc = 0;

	if (r.fd < 0)
		return r.fd;
	for (size_t i = 0; i < j->nsegs; i++)
		if (j->segs[i].first == first)
			prev = j->segs[i].prev_seq;
	if (pt->entry >= first && pt->entry <= e) {
		o = pt->off;
		n = pt->entry;
		prev = pt->prev_seq;
	}
	while (n < e) {
		struct ent_hdr h;
		const uint8_t *payload;
		const char *why;
		rc = jnl_segrd_entry(j, &r, o, n, prev, &h, &payload, &why);
		if (rc != 1) {
			rc = rc < 0 ? rc : -EBADMSG;
			break;
		}
		if (h.flags & ENT_F_MSG)
			prev = h.seq;
		o += ENT_HDR_LEN + h.len;
		n++;
		rc = 0;
	}
	close(r.fd);
	talloc_free(r.buf);
	*off = o;
	return rc;
}

int journal_cut_after(struct journal *j, uint64_t entry)
{
	uint64_t last = j->next_entry - 1, first, off;
	char name[SEG_NAME_LEN + 1];
	int rc, fd;

	if (entry >= last)
		return 0;
	if (j->dirty || entry + 1 < journal_oldest_entry(j))
		return -EINVAL;
	first = jnl_seg_of(j, entry + 1);
	rc = entry_offset(j, first, entry + 1, &off);
	if (rc)
		return rc;
	/* later segments first, so that a crash in between leaves a journal
	 * that recovery reads (a shorter tail), never a hole */
	for (size_t i = j->nsegs; i-- > 0 && j->segs[i].first > first;) {
		seg_name(name, j->segs[i].first);
		if (unlinkat(j->dirfd, name, 0) && errno != ENOENT)
			return -errno;
	}
	if (fsync(j->dirfd))
		return -errno;
	fd = jnl_open_seg(j->dirfd, first, O_RDWR);
	if (fd < 0)
		return fd;
	rc = ftruncate(fd, (off_t)off) || fsync(fd) ? -errno : 0;
	close(fd);
	LOGP(DJOURNAL, LOGL_NOTICE, "%s: entries %" PRIu64 "..%" PRIu64 " cut\n", j->dir, entry + 1, last);
	return rc;
}
