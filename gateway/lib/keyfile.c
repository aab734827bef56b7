/*
 * keyfile.c — CURVE key files; the format is in keyfile.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "gateway/lib/keyfile.h"
#include "gateway/lib/regfile.h"

#define LINE_MAX_LEN	1024	/* a longer line is an error, not a key */

/* RFC 32 alphabet; zmq_z85_decode() does not check it. */
static const char z85_chars[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int key_z85_decode(const char *s, size_t len, uint8_t out[KEY_LEN])
{
	char buf[KEY_Z85_LEN + 1];

	if (!s || len != KEY_Z85_LEN)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(z85_chars, s[i]))
			return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* 40 characters of the alphabet can still overflow 32 bits per
	 * group of 5 ("#####" is 85^5 - 1 > 2^32 - 1): libzmq refuses those */
	return zmq_z85_decode(out, buf) ? 0 : -EINVAL;
}

void key_z85_encode(const uint8_t key[KEY_LEN], char out[KEY_Z85_LEN + 1])
{
	if (!zmq_z85_encode(out, key, KEY_LEN))
		out[0] = '\0';
}

/* Trim white space at both ends, in place; returns the start. */
static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
	return s + strspn(s, " \t");
}

/* A secret key must be the owner's alone (bus.md). */
static int check_private(int fd, const char *path, char *err, size_t cap)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, cap, "%s: a secret key must be readable by its owner only (mode %04o; "
			 "chmod 600 it)", path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int read_lines(FILE *f, const char *path, int (*add)(void *arg, const uint8_t key[KEY_LEN]),
		      void *arg, char *err, size_t cap)
{
	char line[LINE_MAX_LEN + 2];
	uint8_t key[KEY_LEN];
	unsigned lineno = 0;
	int n = 0, rc;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strlen(line) > LINE_MAX_LEN && !strchr(line, '\n')) {
			snprintf(err, cap, "%s:%u: line longer than %d characters", path, lineno, LINE_MAX_LEN);
			return -EINVAL;
		}
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (key_z85_decode(s, strlen(s), key) == 0) {
			if (n >= KEYFILE_MAX_KEYS) {
				snprintf(err, cap, "%s:%u: more than %d keys", path, lineno, KEYFILE_MAX_KEYS);
				return -E2BIG;
			}
			rc = add(arg, key);
			if (rc < 0) {
				snprintf(err, cap, "%s:%u: %s", path, lineno, strerror(-rc));
				return rc;
			}
			n++;
		} else {
			snprintf(err, cap, "%s:%u: not a 40-character Z85 key: '%.48s%s'", path, lineno, s,
				 strlen(s) > 48 ? "..." : "");
			return -EINVAL;
		}
	}
	if (ferror(f)) {
		snprintf(err, cap, "%s: %s", path, strerror(errno ? errno : EIO));
		return -EIO;
	}
	return n;
}

int keyfile_read(const char *path, bool secret, int (*add)(void *arg, const uint8_t key[KEY_LEN]),
		 void *arg, char *err, size_t cap)
{
	char why[64];
	/* a regular file only: a FIFO in its place would stall the reader
	 * (the reload's thread, or start-up) until a writer came (regfile.h) */
	int fd = regfile_open(path, why, sizeof(why)), rc;
	FILE *f;

	if (fd < 0) {
		/* "FILE: No such file or directory"; why for a file that is not
		 * a regular one */
		snprintf(err, cap, "%s: %s", path, fd == -ENXIO || fd == -EISDIR ? why : strerror(-fd));
		return fd;
	}
	if (secret && (rc = check_private(fd, path, err, cap)) < 0) {
		close(fd);
		return rc;
	}
	f = fdopen(fd, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	rc = read_lines(f, path, add, arg, err, cap);
	fclose(f);
	if (rc >= 0 && secret && rc != 1) {
		snprintf(err, cap, "%s: %d keys; a secret key file holds exactly one", path, rc);
		return -EINVAL;
	}
	return rc;
}

static int take_one(void *arg, const uint8_t key[KEY_LEN])
{
	memcpy(arg, key, KEY_LEN);
	return 0;
}

int keyfile_read_secret(const char *path, uint8_t key[KEY_LEN], char *err, size_t cap)
{
	int rc = keyfile_read(path, true, take_one, key, err, cap);
	return rc < 0 ? rc : 0;
}
