/*
 * journal_fail.c — after a failed write or sync: cutting what was appended
 * since the last good sync, so that the journal on disk holds exactly what
 * was made durable, and probing whether the file system has room again.
 * See journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <osmocom/core/logging.h>

#include "gateway/journal/journal.h"
#include "gateway/journal/journal_int.h"
#include "gateway/lib/logging.h"

#define PROBE_CHUNK	(64u << 10)

int journal_discard_unsynced(struct journal *j)
{
	const struct seg *s;
	struct stat st;
	int fd, rc = 0;

	/* a sync in flight ends first: its result moves synced_off, or fails
	 * the journal (then what it covered is cut too) */
	jnl_async_wait(j);
	/* every segment but the last was synced before the next was made
	 * (rotate()): only the last can hold what was not synced */
	s = &j->segs[j->nsegs - 1];
	fd = jnl_open_seg(j->dirfd, s->first, O_RDWR);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		rc = -errno;
	} else if ((uint64_t)st.st_size < j->synced_off) {
		LOGP(DJOURNAL, LOGL_ERROR, "%s/%016" PRIx64 ".jnl: %" PRIu64 " bytes, but %" PRIu64
		     " were synced: the file lost synced data\n", j->dir, s->first,
		     (uint64_t)st.st_size, j->synced_off);
		rc = -EBADMSG;
	} else if ((uint64_t)st.st_size > j->synced_off) {
		/* a new fd's fsync cannot tell whether earlier pages reached
		 * the disk; but the cut only drops pages, and the size is
		 * metadata the fsync does write */
		if (ftruncate(fd, (off_t)j->synced_off) || fsync(fd))
			rc = -errno;
		else
			LOGP(DJOURNAL, LOGL_NOTICE, "%s/%016" PRIx64 ".jnl: %" PRIu64 " bytes written after "
			     "the last good sync (entry %" PRIu64 ") cut; none was acknowledged\n", j->dir,
			     s->first, (uint64_t)st.st_size - j->synced_off, j->synced_entry);
	}
	close(fd);
	/* the tables describe what was cut: nothing more goes through them */
	jnl_fail(j, j->failed ? j->failed : -ESTALE);
	return rc;
}

int journal_probe(const char *dir, const struct journal_opts *opts, size_t bytes)
{
	static const uint8_t zeros[PROBE_CHUNK];
	ssize_t (*wv)(int, const struct iovec *, int) = opts && opts->writev_fn ? opts->writev_fn : writev;
	int (*sync_fn)(int) = opts && opts->fdatasync_fn ? opts->fdatasync_fn : fdatasync;
	char path[4096];
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, PROBE_NAME) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	while (!rc && bytes) {
		struct iovec iov = { (void *)zeros, bytes < PROBE_CHUNK ? bytes : PROBE_CHUNK };
		ssize_t n = wv(fd, &iov, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = n < 0 && errno ? -errno : -EIO;
		else
			bytes -= (size_t)n;
	}
	/* ENOSPC and EDQUOT may come only now, from delayed allocation */
	if (!rc && sync_fn(fd))
		rc = errno ? -errno : -EIO;
	close(fd);
	unlink(path);
	return rc;
}
