/*
 * keyfile.h — CURVE key files (bus.md "Who may connect"): one 40-character
 * Z85 key (ZeroMQ RFC 32) on a line of its own, `#` comments, blank lines.
 *
 * A line is a key (white space around it ignored), a comment (it starts
 * with '#'), blank, or an error named "FILE:LINE: ...".  '#' is a Z85
 * character, but no key starts with it: the first digit of a 5-digit group
 * is at most the 83rd ('%'), since 85^5 > 2^32.  Used by the gateway (the bus) and by txgw-sub; needs
 * libzmq (zmq_z85_decode), no talloc and no libosmocore.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_LEN		32	/* a CURVE key (Curve25519) */
#define KEY_Z85_LEN	40	/* ... in Z85 */
#define KEYFILE_MAX_KEYS 100000	/* a longer file is refused */

/* Decode a Z85 key of exactly KEY_Z85_LEN characters: 0 or -EINVAL. */
int key_z85_decode(const char *s, size_t len, uint8_t out[KEY_LEN]);
/* Encode a key: out gets KEY_Z85_LEN characters and a NUL. */
void key_z85_encode(const uint8_t key[KEY_LEN], char out[KEY_Z85_LEN + 1]);

/*
 * Read a key file, calling add(arg, key) for each key in file order (add
 * returns 0, or a negative errno that stops the reading).  With secret, the
 * file must not be readable or writable by group or others, and must hold
 * exactly one key.  Only a regular file is read (regfile.h): a FIFO, a
 * device or a directory is -ENXIO or -EISDIR, "FILE: not a regular file
 * (a FIFO)".  Returns the number of keys, or a negative errno with
 * "FILE: ..." or "FILE:LINE: ..." in err.
 */
int keyfile_read(const char *path, bool secret, int (*add)(void *arg, const uint8_t key[KEY_LEN]),
		 void *arg, char *err, size_t cap);

/* The one key of a secret key file (keyfile_read with secret): 0 or a
 * negative errno with the reason in err. */
int keyfile_read_secret(const char *path, uint8_t key[KEY_LEN], char *err, size_t cap);
