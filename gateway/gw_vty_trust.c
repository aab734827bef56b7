/*
 * gw_vty_trust.c — what a VTY session may not do (doc/config.md, 3.9):
 * change what decides whom the gateway trusts.
 *
 * The rule tells the file loader from a telnet session by the type of
 * their vty: the loader's is VTY_FILE (gw_config.c, and libosmovty's own
 * reader), a session's is VTY_TERM.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "gateway/txgw_cfg.h"

/* ---- settings of trust -------------------------------------------------------- */

/* The file the gateway was started with (txgw -c), absolute: the one the
 * refusals name. */
static char *start_file;

void txgw_vty_set_start_file(const char *path)
{
	talloc_free(start_file);
	start_file = path ? talloc_strdup(NULL, path) : NULL;
}

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
