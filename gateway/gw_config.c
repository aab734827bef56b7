/*
 * gw_config.c — loading the configuration file (doc/config.md).
 *
 * libosmovty's own reader (vty_read_config_file) stops at the first bad
 * line but does not say which line it was, and it ignores what a command
 * printed when it refused a value.  An operator needs "FILE:LINE: what":
 * so the file is fed to the same VTY parser one line at a time, on a
 * VTY_FILE vty that lives for the whole file (the implicit parent-node
 * tracking keeps its state between lines), and any output a command
 * produced is treated as the error of that line.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "gateway/bus/bus.h"
#include "gateway/lib/regfile.h"
#include "gateway/txgw_cfg.h"

static const char *cmd_err_str(int ret)
{
	switch (ret) {
	case CMD_ERR_NO_MATCH:
		return "unknown command or invalid value";
	case CMD_ERR_AMBIGUOUS:
		return "ambiguous command";
	case CMD_ERR_INCOMPLETE:
		return "incomplete command";
	case CMD_ERR_EXEED_ARGC_MAX:
		return "too many arguments";
	case CMD_ERR_INVALID_INDENT:
		return "invalid indentation";
	case CMD_WARNING:
		return "value refused";
	default:
		return "command failed";
	}
}

/* Strip the trailing newline and surrounding white space of a message. */
static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

/*
 * The file reaches config_from_file() through a stream that hands out one
 * line per read.  libosmovty's reader calls fgets() per line, so when the
 * next read comes, the previous line has been fully executed: that is the
 * moment to look at what it printed, and to stop (end of file) if it
 * refused something.  A parse error ends config_from_file() with the line
 * it failed on being the last one handed out.
 */
struct line_feed {
	struct vty *vty;
	FILE *in;
	const char *path;
	unsigned lineno;
	char *line;
	size_t linecap;
	ssize_t linelen;
	char *err;
	size_t cap;
	bool failed;
};

static void feed_error(struct line_feed *lf, const char *what)
{
	char shown[160];
	snprintf(shown, sizeof(shown), "%.*s", (int)(lf->linelen > 0 ? lf->linelen : 0), lf->line ? lf->line : "");
	trim(shown);
	const char *p = shown + strspn(shown, " \t");
	snprintf(lf->err, lf->cap, "%s:%u: %s: '%s'", lf->path, lf->lineno, what, p);
	lf->failed = true;
}

/* Did the line just executed print anything?  Then it refused a value. */
static void check_said(struct line_feed *lf)
{
	char *said = buffer_getstr(lf->vty->obuf);
	buffer_reset(lf->vty->obuf);
	if (said && said[0] && !lf->failed) {
		trim(said);
		feed_error(lf, said[0] == '%' ? said + 1 + (said[1] == ' ') : said);
	}
	talloc_free(said);	/* buffer_getstr() allocates with talloc */
}

/* The header libosmovty's "show running-config" prints before the
 * configuration: read as a comment, so that the output, saved as a file,
 * loads again (config.md). */
static bool is_show_header(const char *line)
{
	static const char hdr[] = "Current configuration:";
	const char *rest = line + sizeof(hdr) - 1;

	if (strncmp(line, hdr, sizeof(hdr) - 1))
		return false;
	return rest[strspn(rest, " \r\n")] == '\0';
}

static ssize_t feed_read(void *cookie, char *buf, size_t size)
{
	struct line_feed *lf = cookie;

	if (lf->lineno)
		check_said(lf);
	if (lf->failed)
		return 0;
	lf->linelen = getline(&lf->line, &lf->linecap, lf->in);
	if (lf->linelen <= 0)
		return 0;
	lf->lineno++;
	((struct txgw_cfg *)lf->vty->priv)->loading_line = lf->lineno;
	if ((size_t)lf->linelen >= VTY_BUFSIZ || (size_t)lf->linelen > size) {
		feed_error(lf, "line too long");
		return 0;
	}
	if (is_show_header(lf->line))
		return snprintf(buf, size, "!\n");
	memcpy(buf, lf->line, lf->linelen);
	return lf->linelen;
}

static int feed_file(struct line_feed *lf)
{
	cookie_io_functions_t io = { .read = feed_read };
	FILE *f = fopencookie(lf, "r", io);
	int ret;

	if (!f) {
		snprintf(lf->err, lf->cap, "%s: %s", lf->path, strerror(errno));
		return -ENOMEM;
	}
	ret = config_from_file(lf->vty, f);
	fclose(f);
	if (!lf->failed)
		check_said(lf);
	if (!lf->failed && ret != CMD_SUCCESS && ret != CMD_ERR_NOTHING_TODO)
		feed_error(lf, cmd_err_str(ret));
	return lf->failed ? -EINVAL : 0;
}

static int check_required(const struct txgw_cfg *cfg, const char *path, char *err, size_t cap)
{
	if (!cfg->state_dir) {
		snprintf(err, cap, "%s: 'state-dir' is required in the 'gateway' node", path);
		return -EINVAL;
	}
	if (!cfg->registry) {
		snprintf(err, cap, "%s: 'registry' is required in the 'devices' node", path);
		return -EINVAL;
	}
	if (cfg->downlink.enabled && cfg->downlink.relay && !cfg->downlink.mail_from) {
		snprintf(err, cap, "%s: 'relay' needs 'mail-from' in the 'downlink' node", path);
		return -EINVAL;
	}
	if (cfg->smtp.enabled && cfg->smtp.require_tls && !cfg->smtp.tls_cert) {
		snprintf(err, cap, "%s: 'smtp-require-tls' needs 'smtp-tls certificate FILE key FILE' "
			 "in the 'mail' node", path);
		return -EINVAL;
	}
	return 0;
}

/*
 * Who may connect to the bus (bus.md): without CURVE, only loopback
 * endpoints, unless allow-plaintext; CURVE needs both of its files.
 */
static int check_bus(const struct txgw_cfg *cfg, const char *path, char *err, size_t cap)
{
	const struct {
		const char *cmd, *ep;
		unsigned line;
	} eps[] = {
		{ "publish", cfg->bus_publish, cfg->bus_publish_line },
		{ "replay", cfg->bus_replay, cfg->bus_replay_line },
		/* the downlink's, bound only with a downlink node */
		{ "send", cfg->downlink.enabled ? cfg->bus_send : NULL, cfg->bus_send_line },
	};

	if (cfg->bus_curve_secret && !cfg->bus_curve_clients) {
		snprintf(err, cap, "%s:%u: curve-secret-key needs curve-clients, the client keys to let in, "
			 "in the 'bus' node", path, cfg->bus_curve_secret_line);
		return -EINVAL;
	}
	if (cfg->bus_curve_clients && !cfg->bus_curve_secret) {
		snprintf(err, cap, "%s:%u: curve-clients without curve-secret-key: the bus would not use "
			 "CURVE", path, cfg->bus_curve_clients_line);
		return -EINVAL;
	}
	if (cfg->bus_curve_secret || cfg->bus_allow_plaintext)
		return 0;
	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		if (!eps[i].ep || bus_endpoint_is_local(eps[i].ep))
			continue;
		snprintf(err, cap, "%s:%u: '%s %s' is reachable from other hosts: without CURVE "
			 "(curve-secret-key, curve-clients) the bus binds to tcp://127.0.0.1, "
			 "tcp://[::1] or ipc:// only, unless the 'bus' node says allow-plaintext "
			 "(doc/bus.md)", path, eps[i].line, eps[i].cmd, eps[i].ep);
		return -EINVAL;
	}
	return 0;
}

/* Run one line on a VTY_FILE vty of its own, from node; 0 or -EINVAL. */
static int run_line(int node, const char *line, char **said)
{
	struct vty *v = vty_new();
	vector vl;
	int rc;

	if (!v)
		return -ENOMEM;
	v->type = VTY_FILE;
	v->fd = -1;
	v->node = node;
	vl = cmd_make_strvec(line);
	rc = vl ? cmd_execute_command(vl, v, NULL, 0) : CMD_ERR_NO_MATCH;
	if (vl)
		cmd_free_strvec(vl);
	if (said)
		*said = buffer_getstr(v->obuf);
	buffer_reset(v->obuf);
	vty_close(v);
	return rc == CMD_SUCCESS ? 0 : -EINVAL;
}

/*
 * config.md: the VTY asks for the password of "password" ("login" under
 * "line vty").  libosmovty's own default is not to ask, which leaves the
 * gateway to anyone who can connect to the port; so before each read of
 * the file the VTY is set to ask, and only a file saying "no login" opens
 * it.
 */
static void vty_login_default(void)
{
	run_line(VTY_NODE, "login", NULL);
}

/* The password of a VTY that asks for one when the file sets none. */
static char nobodys_password[2 * 16 + 1];

enum txgw_vty_login txgw_vty_login(void)
{
	static const char pw_cmd[] = "\npassword ";
	char *conf = NULL, *pw;
	enum txgw_vty_login l = TXGW_VTY_OPEN;

	/* libosmovty keeps both settings to itself; its "write terminal"
	 * shows them ("password ..." at the top, " login" under "line vty") */
	if (run_line(ENABLE_NODE, "write terminal", &conf) == 0 && conf && strstr(conf, "\n login")) {
		pw = strstr(conf, pw_cmd);
		if (pw && nobodys_password[0] &&
		    !strncmp(pw + strlen(pw_cmd), nobodys_password, strlen(nobodys_password)))
			pw = NULL;
		l = pw ? TXGW_VTY_LOGIN : TXGW_VTY_NO_PASSWORD;
	}
	talloc_free(conf);
	return l;
}

/*
 * libosmovty (1.7) cannot refuse a session for want of a password: the
 * connection is freed twice and the process aborts at the first connect.
 * A VTY that asks for a password the file does not set asks for one
 * nobody knows instead, and refuses every session (txgw.c logs it).
 */
static void vty_password_guard(void)
{
	uint8_t r[16];
	char line[64];

	if (txgw_vty_login() != TXGW_VTY_NO_PASSWORD || nobodys_password[0])
		return;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return;
	snprintf(nobodys_password, sizeof(nobodys_password), "%s", osmo_hexdump_nospc(r, sizeof(r)));
	snprintf(line, sizeof(line), "password %s", nobodys_password);
	run_line(CONFIG_NODE, line, NULL);
}

int txgw_config_load(struct txgw_cfg *cfg, const char *path, char *err, size_t cap)
{
	struct line_feed lf = { .path = path, .err = err, .cap = cap };
	char why[64];
	int fd, rc;

	vty_login_default();
	/* read on the event loop by a reload: a FIFO in its place must not
	 * block it (regfile.h) */
	fd = regfile_open(path, why, sizeof(why));
	lf.in = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!lf.in) {
		rc = fd < 0 ? fd : -errno;
		if (fd >= 0)
			close(fd);
		/* "FILE: No such file or directory", as before; why for a
		 * file that is not a regular one */
		snprintf(err, cap, "%s: %s", path, rc == -ENXIO || rc == -EISDIR ? why : strerror(-rc));
		return rc;
	}
	lf.vty = vty_new();
	if (!lf.vty) {
		fclose(lf.in);
		snprintf(err, cap, "%s: out of memory", path);
		return -ENOMEM;
	}
	lf.vty->type = VTY_FILE;
	lf.vty->node = CONFIG_NODE;
	lf.vty->priv = cfg;

	rc = feed_file(&lf);
	free(lf.line);
	fclose(lf.in);
	lf.vty->fd = -1;	/* nothing to close: the file is ours */
	vty_close(lf.vty);
	cfg->loading_line = 0;
	vty_password_guard();
	if (rc == 0)
		rc = check_required(cfg, path, err, cap);
	if (rc == 0)
		rc = check_bus(cfg, path, err, cap);
	return rc;
}
