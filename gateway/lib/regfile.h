/*
 * regfile.h — opening a file that txgw reads whole (the configuration, the
 * device registry, its keys and CA) so that what stands in its place
 * cannot stall the reader: only a regular file is read.
 */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/*
 * Open path read-only if it is a regular file.  Symlinks are followed (an
 * operator's link to the current version of a file is legitimate); the
 * type is that of what was opened.  open() is non-blocking, so a FIFO put
 * in the file's place does not wait for a writer there; fstat() on the
 * opened descriptor then refuses it, as well as a device (which may never
 * end: /dev/zero), a directory or a socket, and a name swapped in between
 * cannot slip through.  Returns the descriptor (O_CLOEXEC), or a negative
 * errno with the reason in why: "cannot open: ..." or "not a regular file
 * (a FIFO)" (-ENXIO; -EISDIR for a directory).
 */
int regfile_open(const char *path, char *why, size_t cap);

/* "a FIFO", "a character device", "a block device", "a directory",
 * "a socket", "a regular file" for a st_mode. */
const char *regfile_kind(mode_t mode);
