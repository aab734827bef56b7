/*
 * gw_vty_trust.c — what a VTY session may not do (doc/config.md, 3.8-3.9):
 * change what decides whom the gateway trusts, or write any file but the
 * one the gateway was started with.
 *
 * Both rules tell the file loader from a telnet session by the type of
 * their vty: the loader's is VTY_FILE (gw_config.c, and libosmovty's own
 * reader), a session's is VTY_TERM.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <osmocom/core/signal.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vector.h>
#include <osmocom/vty/vty.h>

#include "gateway/lib/logging.h"
#include "gateway/txgw_cfg.h"

/* ---- settings of trust -------------------------------------------------------- */

/* The file the gateway was started with (txgw -c), absolute: the one file
 * "write" may write, and the one the refusals name. */
static char *start_file;

/* The setting a command names: its words before the first argument, "no"
 * left out ("no ca-file" gives "ca-file"). */
static void cmd_words(const struct cmd_element *cmd, char *out, size_t cap)
{
	const char *s = cmd->string;
	size_t n = 0;

	if (!strncmp(s, "no ", 3))
		s += 3;
	for (const char *w = s; *w; ) {
		if (strchr("<([.", *w) || (*w >= 'A' && *w <= 'Z'))
			break;
		w += strcspn(w, " ");
		n = (size_t)(w - s);
		w += strspn(w, " ");
	}
	snprintf(out, cap, "%.*s", (int)n, s);
}

/*
 * config.md: what decides whom the gateway trusts (registry, ca-file,
 * state-dir, the bus keys) is read from the configuration file, at start-up
 * and on a reload, and a VTY session cannot change it.  Each such command
 * calls this first, with its own cmd_element (DEFUN's "self"):
 *
 *	if (cfg_trust_locked(vty, self))
 *		return CMD_WARNING;
 *
 * Only the file loader's vty is a VTY_FILE one (gw_config.c, and
 * libosmovty's own reader); a telnet session's is VTY_TERM, and is told
 * where the setting comes from.
 */
bool cfg_trust_locked(struct vty *vty, const struct cmd_element *cmd)
{
	char what[64];

	if (vty->type == VTY_FILE)
		return false;
	cmd_words(cmd, what, sizeof(what));
	vty_out(vty, "%% %s is read from %s at start-up and on a reload; edit the file%s", what,
		start_file ? start_file : "the configuration file", VTY_NEWLINE);
	return true;
}

/* ---- write ----------------------------------------------------------------- */

/* Is word a prefix of full (libosmovty accepts "wr f" for "write file")? */
static bool abbrev_of(const char *word, const char *full)
{
	return *word && !strncmp(word, full, strlen(word));
}

/* The PATH of a "write file PATH" line, or NULL for any other line. */
static char *write_path(const char *line)
{
	vector v = line ? cmd_make_strvec(line) : NULL;
	char *path = NULL;

	if (v && vector_active(v) >= 3 && abbrev_of(vector_slot(v, 0), "write") &&
	    abbrev_of(vector_slot(v, 1), "file"))
		path = talloc_strdup(NULL, vector_slot(v, 2));
	if (v)
		cmd_free_strvec(v);
	return path;
}

/*
 * libosmovty's write ends with chmod(FILE, 0644) (command.c,
 * write_config_file): the file, passwords and all, would become readable by
 * every local user.  The mode the file had is put back as soon as the
 * command has run: libosmovty signals S_VTY_EVENT at the end of each read
 * of a session, and when one closes, in the same turn of the loop.
 */
static mode_t start_mode;
static bool mode_pending;

static void note_mode(void)
{
	struct stat st;

	/* a file that is gone comes back private */
	start_mode = stat(start_file, &st) == 0 ? (st.st_mode & 07777) : 0600;
	mode_pending = true;
}

static int restore_mode(unsigned int subsys, unsigned int signal, void *handler_data, void *signal_data)
{
	struct stat st;

	if (subsys != SS_L_VTY || signal != S_VTY_EVENT || !mode_pending || !start_file)
		return 0;
	mode_pending = false;
	if (stat(start_file, &st) < 0 || (st.st_mode & 07777) == start_mode)
		return 0;
	if (chmod(start_file, start_mode) < 0)
		LOGP(DMAIN, LOGL_ERROR, "%s: cannot restore mode %04o after write: %s\n", start_file,
		     (unsigned)start_mode, strerror(errno));
	return 0;
}

static bool is_start_file(const char *path)
{
	char *real;
	bool same;

	if (!strcmp(path, start_file))
		return true;
	real = realpath(path, NULL);
	same = real && !strcmp(real, start_file);
	free(real);
	return same;
}

/*
 * config.md: "write" writes only the file the gateway was started with.
 * libosmovty's "write file [PATH]", and its aliases "write", "write
 * memory" and "copy running-config startup-config", call the application's
 * config_is_consistent() first, before they take PATH as the file to write
 * (libosmocore command.c, config_write_file); nothing later can stop them.
 * The callback is not given the arguments, so PATH is taken from the line
 * the session typed (vty->buf); a PATH naming any other file is refused.
 * Returns 1 to let the write go on, 0 to refuse it (libosmovty then adds
 * "Configuration is not consistent").
 */
int txgw_vty_write_allowed(struct vty *vty)
{
	char *path;

	if (!start_file) {
		vty_out(vty, "%% no configuration file to write: txgw was not started with one%s",
			VTY_NEWLINE);
		return 0;
	}
	if (!vty->buf) {
		vty_out(vty, "%% cannot tell which file this would write%s", VTY_NEWLINE);
		return 0;
	}
	path = write_path(vty->buf);
	if (path && !is_start_file(path)) {
		vty_out(vty, "%% write writes only %s, the file txgw was started with: '%s' refused%s",
			start_file, path, VTY_NEWLINE);
		talloc_free(path);
		return 0;
	}
	talloc_free(path);
	/* whatever set it before, a plain "write" writes the start file */
	if (!host_config_file() || strcmp(host_config_file(), start_file))
		host_config_set(start_file);
	note_mode();
	return 1;
}

void txgw_vty_set_start_file(const char *path)
{
	static bool registered;

	talloc_free(start_file);
	start_file = path ? talloc_strdup(NULL, path) : NULL;
	mode_pending = false;
	if (!registered)
		registered = osmo_signal_register_handler(SS_L_VTY, restore_mode, NULL) == 0;
}
