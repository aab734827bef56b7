/*
 * txgw-keygen — make a CURVE key pair for the txgw bus (bus.md "Who may
 * connect"): the secret key file (mode 0600) and the public key file, in
 * the key file format of gateway/lib/keyfile.h.  See usage() for the manual.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "gateway/lib/keyfile.h"

static void usage(FILE *out)
{
	fputs(
"NAME\n"
"    txgw-keygen - make a CURVE key pair for the txgw bus\n"
"\n"
"SYNOPSIS\n"
"    txgw-keygen [--force] SECRET-FILE PUBLIC-FILE\n"
"    txgw-keygen --help\n"
"\n"
"DESCRIPTION\n"
"    Makes a CURVE key pair (Curve25519, as ZeroMQ's CURVE security uses:\n"
"    RFC 26/CurveZMQ) with libzmq's random source, writes the secret key to\n"
"    SECRET-FILE, readable and writable by its owner only (mode 0600), and\n"
"    the public key to PUBLIC-FILE (mode 0644), and prints\n"
"    the public key on standard output.\n"
"\n"
"    Each file holds a comment line and the key: 40 characters of Z85\n"
"    (ZeroMQ RFC 32) on a line of its own.  That is the format txgw and\n"
"    txgw-sub read (doc/bus.md): lines beginning with '#', and blank lines,\n"
"    are comments; white space around a key is ignored; a curve-clients\n"
"    file holds any number of keys, one a line.\n"
"\n"
"    The gateway's pair: the secret file is curve-secret-key in the bus node\n"
"    of txgw's configuration (txgw refuses to start when group or others may\n"
"    read it); its public key is what every client needs\n"
"    (txgw-sub --curve-server-key).\n"
"\n"
"    A client's pair (the operation server, an operator's txgw-sub): the\n"
"    client keeps the secret file (txgw-sub --curve-key); its public key is\n"
"    added as a line to the gateway's curve-clients file, which txgw reads\n"
"    again on \"reload registry\" (stats socket) and on SIGHUP.\n"
"\n"
"    The files are created new; an existing file is an error, unless\n"
"    --force.  When a file cannot be written, none is left behind.\n"
"\n"
"OPTIONS\n"
"    -f, --force   replace SECRET-FILE and PUBLIC-FILE if they exist\n"
"    -h, --help    this manual\n"
"\n"
"EXIT STATUS\n"
"    0  both files written, the public key printed\n"
"    1  a file could not be written (it exists, a directory is missing, no\n"
"       permission, disk full), or libzmq has no CURVE\n"
"    2  usage: bad options, not two file names, or the same name twice\n"
"\n"
"EXAMPLES\n"
"    On the gateway:\n"
"        txgw-keygen /etc/txgw/bus.key /etc/txgw/bus.pub\n"
"    For a client, and letting it in:\n"
"        txgw-keygen ~/.txgw/sub.key ~/.txgw/sub.pub\n"
"        cat sub.pub >> /etc/txgw/bus-clients       (on the gateway)\n"
"        echo 'reload registry' | nc -U /run/txgw/stats.sock\n", out);
}

/* Write "# comment\nKEY\n" to a new file of mode; 0 or -1 with the reason
 * printed.  A file this call created is removed again on failure. */
static int write_key(const char *path, mode_t mode, bool force, const char *comment, const char *key)
{
	int fd, err = 0;
	char buf[256];
	int len = snprintf(buf, sizeof(buf), "# %s\n%s\n", comment, key);

	if (force && unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "txgw-keygen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		fprintf(stderr, "txgw-keygen: %s: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (--force replaces it)" : "");
		return -1;
	}
	/* the secret file's mode must not depend on the umask being sane */
	if (fchmod(fd, mode) < 0 || write(fd, buf, (size_t)len) != len || fsync(fd) < 0)
		err = errno ? errno : EIO;
	if (close(fd) < 0 && !err)
		err = errno;
	if (err) {
		fprintf(stderr, "txgw-keygen: %s: %s\n", path, strerror(err));
		unlink(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char pub[KEY_Z85_LEN + 1], sec[KEY_Z85_LEN + 1];
	bool force = false;
	int c;

	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'txgw-keygen --help'.\n");
			return 2;
		}
	}
	if (argc - optind != 2 || !strcmp(argv[optind], argv[optind + 1])) {
		fprintf(stderr, "txgw-keygen: %s\nTry 'txgw-keygen --help'.\n",
			argc - optind != 2 ? "two file names are needed: SECRET-FILE PUBLIC-FILE"
					   : "SECRET-FILE and PUBLIC-FILE must differ");
		return 2;
	}
	if (!zmq_has("curve") || zmq_curve_keypair(pub, sec) < 0) {
		fprintf(stderr, "txgw-keygen: libzmq cannot make CURVE keys: %s\n", zmq_strerror(zmq_errno()));
		return 1;
	}
	if (write_key(argv[optind], 0600, force, "txgw bus CURVE secret key (txgw-keygen): keep it private",
		      sec) < 0) {
		memset(sec, 0, sizeof(sec));
		return 1;
	}
	memset(sec, 0, sizeof(sec));
	if (write_key(argv[optind + 1], 0644, force, "txgw bus CURVE public key (txgw-keygen)", pub) < 0) {
		unlink(argv[optind]);
		return 1;
	}
	printf("%s\n", pub);
	return 0;
}
