/*
 * registry.h — the device registry (registry.md): which devices exist and
 * which public key each (device_id, key_id) signs with.
 *
 * Built for a million devices: an entry keeps only the raw public key
 * (32-byte Ed25519, or the 65-byte uncompressed P-256 point 04||x||y) and
 * the small fields, about 96 bytes, in one array, with an open-addressing
 * hash on (device_id, key_id) for O(1) look-up.  Parsed OpenSSL keys are
 * made on demand and cached by the verifier (verify.h), not here.
 *
 * A loaded registry is read-only: look-ups from several threads are safe.
 * Atomic reload is the caller's job: load a new registry, swap the pointer
 * if it loaded cleanly, free the old one when no thread uses it.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REG_MSISDN_MAX		15	/* ITU-T E.164 §6: at most 15 digits */
#define REG_KEY_MAX		65	/* 04 || x || y */
#define REG_LINE_MAX		4096	/* longer lines are refused */
#define REG_MAX_MESSAGES	1000	/* messages kept in a reg_report */

struct reg_entry {
	uint64_t device_id;
	uint8_t key_id;
	uint8_t alg;				/* enum txl_alg */
	uint8_t revoked;			/* 0 active, 1 revoked */
	uint8_t key_len;			/* 32 or 65 */
	char msisdn[REG_MSISDN_MAX + 1];	/* "" when bound to none ("-") */
	uint8_t key[REG_KEY_MAX];
};

/* One parsed line.  With an inline key (hex:) e.key/e.key_len hold it and
 * path is NULL; otherwise path/path_len point into the line given to
 * registry_parse_line() and e.key_len is 0. */
struct reg_line {
	struct reg_entry e;
	const char *path;
	size_t path_len;
};

/*
 * Parse one registry line (without its line end; a trailing CR is white
 * space).  No I/O and no OpenSSL: a P-256 point is checked to be on the
 * curve by registry_load(), and a PEM key is read there.
 * Returns 1 and fills out for an entry, 0 for a blank or comment-only
 * line, -EINVAL with *why (static text) for a bad line.
 */
int registry_parse_line(const char *line, size_t len, struct reg_line *out, const char **why);

struct reg_report {
	unsigned n_lines;	/* lines read */
	unsigned n_loaded;	/* entries in the registry */
	unsigned n_errors;	/* bad lines (and file-level errors), all counted */
	unsigned n_msgs;	/* messages kept: min(n_errors, REG_MAX_MESSAGES) */
	char **msgs;		/* "FILE:LINE: what", talloc'd under the load's ctx */
};

struct registry;

/*
 * Load the registry file path.  Every line is checked; each bad line is
 * reported as "FILE:LINE: what" in rep and left out, the rest load: bad
 * syntax, a missing or unreadable PEM file, a key that is not the alg's
 * type, a P-256 point off the curve, a duplicate (device_id, key_id), and
 * with ca_file (may be NULL) a certificate that does not chain to it or is
 * not valid now, or a bare key (PEM public key or hex:), which is refused.
 * The registry, each PEM file and ca_file are read only when they are
 * regular files (symlinks followed; regfile.h): a FIFO, a device or a
 * directory is refused, "FILE: not a regular file (a FIFO)".
 *
 * Returns 0 (clean: *out set, no errors), -EINVAL (*out set and usable,
 * holding the good lines, but rep lists errors: a gateway at start-up
 * stops, a reload keeps the old registry), or a negative errno when the
 * file or ca_file cannot be read at all (*out NULL; rep says why).
 * Memory hangs under the talloc context ctx; rep may be NULL.  No global
 * state and no logging: it may run on any thread, given a ctx that no
 * other thread allocates under meanwhile (talloc is not thread-safe).
 */
int registry_load(void *ctx, const char *path, const char *ca_file, struct registry **out,
		  struct reg_report *rep);

/* The entry for (dev, key_id), or NULL.  O(1). */
const struct reg_entry *registry_lookup(const struct registry *r, uint64_t dev, uint8_t key_id);

size_t registry_count(const struct registry *r);

/* How many (device_id, key_id) of old are not in r: what a reload from old
 * to r would drop.  O(n) in old; only reads both (any thread). */
size_t registry_missing(const struct registry *old, const struct registry *r);

void registry_free(struct registry *r);

/* Free the messages of a report (talloc), and zero it. */
void reg_report_clear(struct reg_report *rep);

/* "active" or "revoked". */
const char *reg_status_name(const struct reg_entry *e);
