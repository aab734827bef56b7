/*
 * gw_vty.c — the configuration commands of doc/config.md, with libosmovty.
 *
 * Nodes: gateway, devices, smpp (with one esme node per bind), mail, bus,
 * stats.  Every command writes into the struct txgw_cfg given as the vty's
 * priv (the file loader and the telnet VTY both set it), and every node
 * writes itself back for "show running-config" / "write", so that a file
 * written by the gateway loads again unchanged.
 *
 * A command that refuses a value says why with vty_out(); the file loader
 * (txgw_config_load) treats any such output as an error of that line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/buffer.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "gateway/txgw_cfg.h"

enum txgw_vty_node {
	GATEWAY_NODE = _LAST_OSMOVTY_NODE + 1,
	DEVICES_NODE,
	SMPP_NODE,
	ESME_NODE,
	MAIL_NODE,
	BUS_NODE,
	STATS_NODE,
	DOWNLINK_NODE,
};

/*
 * libosmovty calls a node's config_write function with a vty of its own
 * ("write file" makes one without priv), and a telnet session's vty has
 * its telnet connection as priv: so the configuration the daemon runs with
 * is kept here, set once by txgw_vty_init().  Only the file loader
 * (gw_config.c) hands its vty a struct txgw_cfg of its own, on a VTY_FILE
 * vty, so that a file can be loaded into a fresh struct for "txgw -V" or a
 * check.
 */
static struct txgw_cfg *vty_cfg;

static struct txgw_cfg *cfg_of(struct vty *vty)
{
	return vty->type == VTY_FILE && vty->priv ? vty->priv : vty_cfg;
}

#define CFG(vty) cfg_of(vty)

/* SMPP 3.4 §5.2: system_id ≤ 15, password ≤ 8, system_type ≤ 12 octets. */
#define SMPP_SYSTEM_ID_MAX	15
#define SMPP_PASSWORD_MAX	8
#define SMPP_SYSTEM_TYPE_MAX	12

struct txgw_cfg *txgw_cfg_alloc(void *ctx)
{
	struct txgw_cfg *c = talloc_zero(ctx, struct txgw_cfg);
	if (!c)
		return NULL;
	c->name = talloc_strdup(c, TXGW_DEFAULT_NAME);
	c->clock_skew = TXGW_DEFAULT_CLOCK_SKEW;
	c->txlog_port = TXGW_DEFAULT_TXLOG_PORT;
	c->concat_timeout = TXGW_DEFAULT_CONCAT_TIMEOUT;
	c->concat_max_partial = TXGW_DEFAULT_CONCAT_MAX_PARTIAL;
	c->concat_max_per_sender = TXGW_DEFAULT_CONCAT_MAX_PER_SENDER;
	c->journal_keep = TXGW_DEFAULT_JOURNAL_KEEP;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->verify_threads = ncpu > 0 && ncpu <= 64 ? (unsigned)ncpu : 2;
	INIT_LLIST_HEAD(&c->esmes);
	c->smtp.max_size = TXGW_DEFAULT_SMTP_MAX_SIZE;
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	c->smtp.domain = talloc_strdup(c, host);	/* config.md: the host name */
	c->smtp.max_sessions = TXGW_DEFAULT_SMTP_MAX_SESS;
	c->smtp.timeout_cmd = TXGW_DEFAULT_SMTP_T_CMD;
	c->smtp.timeout_data = TXGW_DEFAULT_SMTP_T_DATA;
	c->smtp.timeout_final = TXGW_DEFAULT_SMTP_T_FINAL;
	c->smtp.max_sessions_per_ip = TXGW_DEFAULT_SMTP_PER_IP;
	c->smtp.max_commands = TXGW_DEFAULT_SMTP_MAX_CMDS;
	c->smtp.max_session_time = TXGW_DEFAULT_SMTP_SESSION_TIME;
	c->smtp.min_data_rate = TXGW_DEFAULT_SMTP_MIN_RATE;
	c->smtp.min_data_window = TXGW_DEFAULT_SMTP_RATE_WINDOW;
	c->bus_publish = talloc_strdup(c, TXGW_DEFAULT_BUS_PUBLISH);
	c->bus_replay = talloc_strdup(c, TXGW_DEFAULT_BUS_REPLAY);
	txgw_cfg_downlink_defaults(c);
	return c;
}

struct esme_cfg *txgw_cfg_esme_find(struct txgw_cfg *cfg, const char *name)
{
	struct esme_cfg *e;
	llist_for_each_entry(e, &cfg->esmes, list)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

static void set_str(void *ctx, char **dst, const char *val)
{
	talloc_free(*dst);
	*dst = val ? talloc_strdup(ctx, val) : NULL;
}

/* ---- gateway ---------------------------------------------------------- */

static struct cmd_node gateway_node = { .node = GATEWAY_NODE, .prompt = "%s(config-gateway)# ", .vtysh = 1 };

DEFUN(cfg_gateway, cfg_gateway_cmd, "gateway", "Gateway identity, state and TXLOG settings\n")
{
	vty->node = GATEWAY_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_name, cfg_gw_name_cmd, "name NAME",
      "The gateway's name, the \"gw\" field of every bus message\n" "Name\n")
{
	set_str(CFG(vty), &CFG(vty)->name, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_state_dir, cfg_gw_state_dir_cmd, "state-dir PATH",
      "Directory of the journal and the per-device state\n" "Path\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(CFG(vty), &CFG(vty)->state_dir, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_clock_skew, cfg_gw_clock_skew_cmd, "clock-skew <0-31536000>",
      "How far ahead of the gateway clock a record time may be before a clock_skew alert\n"
      "Seconds\n")
{
	CFG(vty)->clock_skew = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_txlog_port, cfg_gw_txlog_port_cmd, "txlog-port <0-65535>",
      "SMS application port (3GPP TS 23.040 §9.2.3.24.4) of binary frames\n" "Port\n")
{
	CFG(vty)->txlog_port = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_concat_timeout, cfg_gw_concat_timeout_cmd, "concat-timeout <1-604800>",
      "How long an incomplete concatenated SMS is kept\n" "Seconds\n")
{
	CFG(vty)->concat_timeout = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_concat_max_partial, cfg_gw_concat_max_partial_cmd, "concat-max-partial <1-10000000>",
      "Incomplete concatenated SMS held at most; past it the sender holding the most loses its oldest\n"
      "Messages\n")
{
	CFG(vty)->concat_max_partial = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_concat_max_per_sender, cfg_gw_concat_max_per_sender_cmd,
      "concat-max-per-sender <1-10000000>",
      "Incomplete concatenated SMS one source address may hold; past it its oldest goes\n"
      "Messages\n")
{
	CFG(vty)->concat_max_per_sender = (uint32_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_journal_keep, cfg_gw_journal_keep_cmd, "journal-keep <1-2000000000>",
      "Bus messages the journal keeps for replay, at least\n" "Messages\n")
{
	CFG(vty)->journal_keep = strtoull(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_gw_verify_threads, cfg_gw_verify_threads_cmd, "verify-threads <0-64>",
      "Threads that verify signatures (0: the event loop itself; default: one per CPU)\n"
      "Threads\n")
{
	CFG(vty)->verify_threads = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

static int config_write_gateway(struct vty *vty)
{
	struct txgw_cfg *c = CFG(vty);
	vty_out(vty, "gateway%s", VTY_NEWLINE);
	vty_out(vty, " name %s%s", c->name, VTY_NEWLINE);
	if (c->state_dir)
		vty_out(vty, " state-dir %s%s", c->state_dir, VTY_NEWLINE);
	vty_out(vty, " clock-skew %" PRIu32 "%s", c->clock_skew, VTY_NEWLINE);
	vty_out(vty, " txlog-port %u%s", c->txlog_port, VTY_NEWLINE);
	vty_out(vty, " concat-timeout %" PRIu32 "%s", c->concat_timeout, VTY_NEWLINE);
	vty_out(vty, " concat-max-partial %" PRIu32 "%s", c->concat_max_partial, VTY_NEWLINE);
	vty_out(vty, " concat-max-per-sender %" PRIu32 "%s", c->concat_max_per_sender, VTY_NEWLINE);
	vty_out(vty, " journal-keep %" PRIu64 "%s", c->journal_keep, VTY_NEWLINE);
	vty_out(vty, " verify-threads %u%s", c->verify_threads, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- devices ---------------------------------------------------------- */

static struct cmd_node devices_node = { .node = DEVICES_NODE, .prompt = "%s(config-devices)# ", .vtysh = 1 };

DEFUN(cfg_devices, cfg_devices_cmd, "devices", "The device registry\n")
{
	vty->node = DEVICES_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_dev_registry, cfg_dev_registry_cmd, "registry PATH",
      "The registry file (doc/registry.md)\n" "Path\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(CFG(vty), &CFG(vty)->registry, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_dev_ca_file, cfg_dev_ca_file_cmd, "ca-file PATH",
      "CA certificates every device certificate must chain to; bare keys are then refused\n"
      "Path of a PEM file\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(CFG(vty), &CFG(vty)->ca_file, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_dev_no_ca_file, cfg_dev_no_ca_file_cmd, "no ca-file",
      NO_STR "Accept bare public keys; do not check certificates against a CA\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(CFG(vty), &CFG(vty)->ca_file, NULL);
	return CMD_SUCCESS;
}

static int config_write_devices(struct vty *vty)
{
	struct txgw_cfg *c = CFG(vty);
	vty_out(vty, "devices%s", VTY_NEWLINE);
	if (c->registry)
		vty_out(vty, " registry %s%s", c->registry, VTY_NEWLINE);
	if (c->ca_file)
		vty_out(vty, " ca-file %s%s", c->ca_file, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- smpp / esme ------------------------------------------------------ */

static struct cmd_node smpp_node = { .node = SMPP_NODE, .prompt = "%s(config-smpp)# ", .vtysh = 1 };
static struct cmd_node esme_node = { .node = ESME_NODE, .prompt = "%s(config-smpp-esme)# ", .vtysh = 1 };

DEFUN(cfg_smpp, cfg_smpp_cmd, "smpp", "SMPP 3.4 binds to SMSCs\n")
{
	vty->node = SMPP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_esme, cfg_esme_cmd, "esme NAME",
      "One bind to an SMSC (created if new)\n" "Name of the bind\n")
{
	struct txgw_cfg *c = CFG(vty);
	struct esme_cfg *e = txgw_cfg_esme_find(c, argv[0]);
	if (!e) {
		e = talloc_zero(c, struct esme_cfg);
		e->name = talloc_strdup(e, argv[0]);
		e->remote_ip = talloc_strdup(e, "127.0.0.1");
		e->remote_port = 2775;
		e->system_id = talloc_strdup(e, "txgw");
		e->password = talloc_strdup(e, "");
		e->system_type = talloc_strdup(e, "");
		e->bind_mode = ESME_BIND_TRANSCEIVER;
		e->window = TXGW_DEFAULT_WINDOW;
		e->enquire_link_interval = TXGW_DEFAULT_ENQUIRE_LINK;
		e->reconnect_interval = TXGW_DEFAULT_RECONNECT;
		e->data_coding_1 = ESME_DC1_ASCII;
		e->response_timeout = ESME_RESPONSE_TIMEOUT_S;
		llist_add_tail(&e->list, &c->esmes);
	}
	vty->index = e;
	vty->node = ESME_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_esme, cfg_no_esme_cmd, "no esme NAME", NO_STR "Remove a bind\n" "Name of the bind\n")
{
	struct esme_cfg *e = txgw_cfg_esme_find(CFG(vty), argv[0]);
	if (!e) {
		vty_out(vty, "%% no esme named '%s'%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	llist_del(&e->list);
	talloc_free(e);
	return CMD_SUCCESS;
}

#define ESME(vty) ((struct esme_cfg *)(vty)->index)

DEFUN(cfg_esme_remote_ip, cfg_esme_remote_ip_cmd, "remote-ip A.B.C.D",
      "The SMSC's address\n" "IPv4 address\n")
{
	set_str(ESME(vty), &ESME(vty)->remote_ip, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_esme_remote_port, cfg_esme_remote_port_cmd, "remote-port <1-65535>",
      "The SMSC's TCP port\n" "Port\n")
{
	ESME(vty)->remote_port = (uint16_t)atoi(argv[0]);
	return CMD_SUCCESS;
}

/* A C-octet string field of bind: refuse what the PDU cannot carry. */
static int set_smpp_str(struct vty *vty, char **dst, const char *val, size_t max, const char *what)
{
	if (strlen(val) > max) {
		vty_out(vty, "%% %s '%s' is longer than %zu characters (SMPP 3.4 §4.1.1)%s",
			what, val, max, VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(ESME(vty), dst, val);
	return CMD_SUCCESS;
}

DEFUN(cfg_esme_system_id, cfg_esme_system_id_cmd, "system-id WORD",
      "system_id sent in bind\n" "Up to 15 characters\n")
{
	return set_smpp_str(vty, &ESME(vty)->system_id, argv[0], SMPP_SYSTEM_ID_MAX, "system-id");
}

DEFUN(cfg_esme_password, cfg_esme_password_cmd, "password WORD",
      "password sent in bind\n" "Up to 8 characters\n")
{
	return set_smpp_str(vty, &ESME(vty)->password, argv[0], SMPP_PASSWORD_MAX, "password");
}

DEFUN(cfg_esme_system_type, cfg_esme_system_type_cmd, "system-type [WORD]",
      "system_type sent in bind (empty when omitted)\n" "Up to 12 characters\n")
{
	return set_smpp_str(vty, &ESME(vty)->system_type, argc ? argv[0] : "", SMPP_SYSTEM_TYPE_MAX,
			    "system-type");
}

DEFUN(cfg_esme_bind_mode, cfg_esme_bind_mode_cmd, "bind-mode (transceiver|receiver|transmitter)",
      "Which bind to ask for\n" "bind_transceiver: uploads in, downlink out\n"
      "bind_receiver: uploads in only\n" "bind_transmitter: downlink out only\n")
{
	ESME(vty)->bind_mode = !strcmp(argv[0], "transceiver") ? ESME_BIND_TRANSCEIVER :
			       !strcmp(argv[0], "receiver") ? ESME_BIND_RECEIVER : ESME_BIND_TRANSMITTER;
	return CMD_SUCCESS;
}

DEFUN(cfg_esme_response_timeout, cfg_esme_response_timeout_cmd, "response-timeout <1-600>",
      "How long a submit_sm may wait for its answer before it is tried again\n" "Seconds\n")
{
	ESME(vty)->response_timeout = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_esme_window, cfg_esme_window_cmd, "window <1-1024>",
      "Unacknowledged PDUs we may have outstanding\n" "PDUs\n")
{
	ESME(vty)->window = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_esme_enquire, cfg_esme_enquire_cmd, "enquire-link-interval <1-3600>",
      "How often to send enquire_link\n" "Seconds\n")
{
	ESME(vty)->enquire_link_interval = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_esme_reconnect, cfg_esme_reconnect_cmd, "reconnect-interval <1-60>",
      "First retry after a lost connection; doubles up to 60 s\n" "Seconds\n")
{
	ESME(vty)->reconnect_interval = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_esme_dc1, cfg_esme_dc1_cmd, "data-coding-1 (ascii|gsm7)",
      "How to read data_coding 1\n" "IA5/ASCII, as SMPP 3.4 says\n"
      "Unpacked GSM 7-bit septets, as OsmoMSC sends\n")
{
	ESME(vty)->data_coding_1 = argv[0][0] == 'g' ? ESME_DC1_GSM7 : ESME_DC1_ASCII;
	return CMD_SUCCESS;
}

static int config_write_smpp(struct vty *vty)
{
	struct esme_cfg *e;
	vty_out(vty, "smpp%s", VTY_NEWLINE);
	llist_for_each_entry(e, &CFG(vty)->esmes, list) {
		vty_out(vty, " esme %s%s", e->name, VTY_NEWLINE);
		vty_out(vty, "  remote-ip %s%s", e->remote_ip, VTY_NEWLINE);
		vty_out(vty, "  remote-port %u%s", e->remote_port, VTY_NEWLINE);
		vty_out(vty, "  system-id %s%s", e->system_id, VTY_NEWLINE);
		if (e->password[0])
			vty_out(vty, "  password %s%s", e->password, VTY_NEWLINE);
		if (e->system_type[0])
			vty_out(vty, "  system-type %s%s", e->system_type, VTY_NEWLINE);
		vty_out(vty, "  bind-mode %s%s", e->bind_mode == ESME_BIND_TRANSCEIVER ? "transceiver" :
			e->bind_mode == ESME_BIND_RECEIVER ? "receiver" : "transmitter", VTY_NEWLINE);
		vty_out(vty, "  response-timeout %u%s", e->response_timeout, VTY_NEWLINE);
		vty_out(vty, "  window %u%s", e->window, VTY_NEWLINE);
		vty_out(vty, "  enquire-link-interval %u%s", e->enquire_link_interval, VTY_NEWLINE);
		vty_out(vty, "  reconnect-interval %u%s", e->reconnect_interval, VTY_NEWLINE);
		vty_out(vty, "  data-coding-1 %s%s", e->data_coding_1 == ESME_DC1_GSM7 ? "gsm7" : "ascii",
			VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

/* ---- mail --------------------------------------------------------------- */

static struct cmd_node mail_node = { .node = MAIL_NODE, .prompt = "%s(config-mail)# ", .vtysh = 1 };

DEFUN(cfg_mail, cfg_mail_cmd, "mail", "The SMTP service for mailed transaction logs\n")
{
	vty->node = MAIL_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_listen, cfg_mail_listen_cmd, "smtp-listen A.B.C.D <1-65535>",
      "Offer SMTP on this address and port\n" "IPv4 address\n" "TCP port\n")
{
	struct txgw_cfg *c = CFG(vty);
	set_str(c, &c->smtp.addr, argv[0]);
	c->smtp.port = (uint16_t)atoi(argv[1]);
	c->smtp.enabled = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_no_listen, cfg_mail_no_listen_cmd, "no smtp-listen", NO_STR "No SMTP service\n")
{
	CFG(vty)->smtp.enabled = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_domain, cfg_mail_domain_cmd, "smtp-domain NAME",
      "The mail domain we are the final destination for, and the greeting's name\n" "Domain\n")
{
	set_str(CFG(vty), &CFG(vty)->smtp.domain, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_max_size, cfg_mail_max_size_cmd, "smtp-max-size <1024-1073741824>",
      "Largest message accepted (RFC 1870 SIZE)\n" "Bytes\n")
{
	CFG(vty)->smtp.max_size = (uint32_t)strtoul(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_tls, cfg_mail_tls_cmd, "smtp-tls certificate PATH key PATH",
      "Offer STARTTLS (RFC 3207)\n" "Certificate chain\n" "PEM file\n" "Private key\n" "PEM file\n")
{
	struct txgw_cfg *c = CFG(vty);
	set_str(c, &c->smtp.tls_cert, argv[0]);
	set_str(c, &c->smtp.tls_key, argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_no_tls, cfg_mail_no_tls_cmd, "no smtp-tls", NO_STR "Do not offer STARTTLS\n")
{
	struct txgw_cfg *c = CFG(vty);
	set_str(c, &c->smtp.tls_cert, NULL);
	set_str(c, &c->smtp.tls_key, NULL);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_max_sessions, cfg_mail_max_sessions_cmd, "smtp-max-sessions <1-100000>",
      "Concurrent SMTP connections\n" "Sessions\n")
{
	CFG(vty)->smtp.max_sessions = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_timeout, cfg_mail_timeout_cmd, "smtp-timeout (command|data|final) <1-86400>",
      "How long an SMTP session may stay silent (RFC 5321 section 4.5.3.2)\n"
      "Waiting for a command (default 300)\n"
      "Between blocks of DATA or BDAT (default 180)\n"
      "After the final dot, for the gateway's answer (default 600)\n" "Seconds\n")
{
	unsigned v = (unsigned)atoi(argv[1]);
	if (argv[0][0] == 'c')
		CFG(vty)->smtp.timeout_cmd = v;
	else if (argv[0][0] == 'd')
		CFG(vty)->smtp.timeout_data = v;
	else
		CFG(vty)->smtp.timeout_final = v;
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_max_per_ip, cfg_mail_max_per_ip_cmd, "smtp-max-sessions-per-ip <0-100000>",
      "Concurrent SMTP connections from one address (IPv6: from one /64)\n"
      "Sessions; 0: no cap but smtp-max-sessions\n")
{
	CFG(vty)->smtp.max_sessions_per_ip = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_require_tls, cfg_mail_require_tls_cmd, "smtp-require-tls",
      "Refuse MAIL (and all but EHLO, STARTTLS, NOOP, QUIT) before STARTTLS, with 530 (RFC 3207)\n")
{
	CFG(vty)->smtp.require_tls = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_no_require_tls, cfg_mail_no_require_tls_cmd, "no smtp-require-tls",
      NO_STR "Take mail without STARTTLS too\n")
{
	CFG(vty)->smtp.require_tls = false;
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_max_cmds, cfg_mail_max_cmds_cmd, "smtp-max-commands <0-1000000>",
      "Command lines in one SMTP session; the next gets 421 4.7.0\n" "Commands; 0: no cap\n")
{
	CFG(vty)->smtp.max_commands = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_session_time, cfg_mail_session_time_cmd, "smtp-max-session-time <0-86400>",
      "How long one SMTP session may last; then 421 4.4.2\n" "Seconds; 0: no cap\n")
{
	CFG(vty)->smtp.max_session_time = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_mail_min_rate, cfg_mail_min_rate_cmd, "smtp-min-data-rate <0-1048576> window <1-3600>",
      "The least rate of DATA and BDAT octets, over each window of the data; slower gets 421 4.4.2\n"
      "Octets per second; 0: no check\n" "The window the rate is averaged over\n" "Seconds\n")
{
	CFG(vty)->smtp.min_data_rate = (uint32_t)strtoul(argv[0], NULL, 10);
	CFG(vty)->smtp.min_data_window = argc > 1 ? (unsigned)atoi(argv[1]) : TXGW_DEFAULT_SMTP_RATE_WINDOW;
	return CMD_SUCCESS;
}

ALIAS(cfg_mail_min_rate, cfg_mail_min_rate_def_cmd, "smtp-min-data-rate <0-1048576>",
      "The least rate of DATA and BDAT octets, over each window of the data; slower gets 421 4.4.2\n"
      "Octets per second (window 30 s); 0: no check\n")

static int config_write_mail(struct vty *vty)
{
	struct txgw_cfg *c = CFG(vty);
	vty_out(vty, "mail%s", VTY_NEWLINE);
	if (c->smtp.enabled)
		vty_out(vty, " smtp-listen %s %u%s", c->smtp.addr, c->smtp.port, VTY_NEWLINE);
	if (c->smtp.domain)
		vty_out(vty, " smtp-domain %s%s", c->smtp.domain, VTY_NEWLINE);
	vty_out(vty, " smtp-max-size %" PRIu32 "%s", c->smtp.max_size, VTY_NEWLINE);
	if (c->smtp.tls_cert)
		vty_out(vty, " smtp-tls certificate %s key %s%s", c->smtp.tls_cert, c->smtp.tls_key,
			VTY_NEWLINE);
	vty_out(vty, " smtp-max-sessions %u%s", c->smtp.max_sessions, VTY_NEWLINE);
	vty_out(vty, " smtp-max-sessions-per-ip %u%s", c->smtp.max_sessions_per_ip, VTY_NEWLINE);
	if (c->smtp.require_tls)
		vty_out(vty, " smtp-require-tls%s", VTY_NEWLINE);
	if (c->smtp.max_commands != TXGW_DEFAULT_SMTP_MAX_CMDS)
		vty_out(vty, " smtp-max-commands %u%s", c->smtp.max_commands, VTY_NEWLINE);
	if (c->smtp.max_session_time != TXGW_DEFAULT_SMTP_SESSION_TIME)
		vty_out(vty, " smtp-max-session-time %u%s", c->smtp.max_session_time, VTY_NEWLINE);
	if (c->smtp.min_data_rate != TXGW_DEFAULT_SMTP_MIN_RATE ||
	    c->smtp.min_data_window != TXGW_DEFAULT_SMTP_RATE_WINDOW)
		vty_out(vty, " smtp-min-data-rate %" PRIu32 " window %u%s", c->smtp.min_data_rate,
			c->smtp.min_data_window, VTY_NEWLINE);
	if (c->smtp.timeout_cmd != TXGW_DEFAULT_SMTP_T_CMD)
		vty_out(vty, " smtp-timeout command %u%s", c->smtp.timeout_cmd, VTY_NEWLINE);
	if (c->smtp.timeout_data != TXGW_DEFAULT_SMTP_T_DATA)
		vty_out(vty, " smtp-timeout data %u%s", c->smtp.timeout_data, VTY_NEWLINE);
	if (c->smtp.timeout_final != TXGW_DEFAULT_SMTP_T_FINAL)
		vty_out(vty, " smtp-timeout final %u%s", c->smtp.timeout_final, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* ---- bus, stats --------------------------------------------------------- */

static struct cmd_node bus_node = { .node = BUS_NODE, .prompt = "%s(config-bus)# ", .vtysh = 1 };
static struct cmd_node stats_node = { .node = STATS_NODE, .prompt = "%s(config-stats)# ", .vtysh = 1 };

DEFUN(cfg_bus, cfg_bus_cmd, "bus", "The ZeroMQ bus (doc/bus.md)\n")
{
	vty->node = BUS_NODE;
	return CMD_SUCCESS;
}

/* Accept only what zmq_bind() takes: a transport, "://" and an address. */
static int set_endpoint(struct vty *vty, char **dst, const char *val)
{
	if (!strstr(val, "://") || strstr(val, "://") == val) {
		vty_out(vty, "%% '%s' is not a ZeroMQ endpoint (tcp://ADDR:PORT, ipc://PATH)%s", val,
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(CFG(vty), dst, val);
	return CMD_SUCCESS;
}

DEFUN(cfg_bus_publish, cfg_bus_publish_cmd, "publish ENDPOINT",
      "Where the PUB socket binds\n" "ZeroMQ endpoint, tcp://127.0.0.1:5560\n")
{
	CFG(vty)->bus_publish_line = CFG(vty)->loading_line;
	return set_endpoint(vty, &CFG(vty)->bus_publish, argv[0]);
}

DEFUN(cfg_bus_replay, cfg_bus_replay_cmd, "replay ENDPOINT",
      "Where the ROUTER replay socket binds\n" "ZeroMQ endpoint, tcp://127.0.0.1:5561\n")
{
	CFG(vty)->bus_replay_line = CFG(vty)->loading_line;
	return set_endpoint(vty, &CFG(vty)->bus_replay, argv[0]);
}

DEFUN(cfg_bus_curve_secret, cfg_bus_curve_secret_cmd, "curve-secret-key PATH",
      "CURVE on every bus socket, with this server secret key (txgw-keygen makes one)\n"
      "Key file, readable by its owner only\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	CFG(vty)->bus_curve_secret_line = CFG(vty)->loading_line;
	set_str(CFG(vty), &CFG(vty)->bus_curve_secret, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_bus_no_curve_secret, cfg_bus_no_curve_secret_cmd, "no curve-secret-key",
      NO_STR "No CURVE: the bus endpoints must then be loopback (or allow-plaintext)\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(CFG(vty), &CFG(vty)->bus_curve_secret, NULL);
	return CMD_SUCCESS;
}

DEFUN(cfg_bus_curve_clients, cfg_bus_curve_clients_cmd, "curve-clients PATH",
      "The client public keys CURVE lets in (read again on reload registry and SIGHUP)\n"
      "Key file, one key a line\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	CFG(vty)->bus_curve_clients_line = CFG(vty)->loading_line;
	set_str(CFG(vty), &CFG(vty)->bus_curve_clients, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_bus_no_curve_clients, cfg_bus_no_curve_clients_cmd, "no curve-clients",
      NO_STR "No client keys\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(CFG(vty), &CFG(vty)->bus_curve_clients, NULL);
	return CMD_SUCCESS;
}

DEFUN(cfg_bus_allow_plaintext, cfg_bus_allow_plaintext_cmd, "allow-plaintext",
      "Let the bus bind to an endpoint reachable from other hosts without CURVE\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	CFG(vty)->bus_allow_plaintext = true;
	return CMD_SUCCESS;
}

DEFUN(cfg_bus_no_allow_plaintext, cfg_bus_no_allow_plaintext_cmd, "no allow-plaintext",
      NO_STR "Without CURVE, bind the bus to loopback endpoints only (the default)\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	CFG(vty)->bus_allow_plaintext = false;
	return CMD_SUCCESS;
}

static int config_write_bus(struct vty *vty)
{
	struct txgw_cfg *c = CFG(vty);
	vty_out(vty, "bus%s", VTY_NEWLINE);
	vty_out(vty, " publish %s%s", c->bus_publish, VTY_NEWLINE);
	vty_out(vty, " replay %s%s", c->bus_replay, VTY_NEWLINE);
	if (c->bus_curve_secret)
		vty_out(vty, " curve-secret-key %s%s", c->bus_curve_secret, VTY_NEWLINE);
	if (c->bus_curve_clients)
		vty_out(vty, " curve-clients %s%s", c->bus_curve_clients, VTY_NEWLINE);
	if (c->bus_allow_plaintext)
		vty_out(vty, " allow-plaintext%s", VTY_NEWLINE);
	txgw_vty_bus_send_write(vty);
	return CMD_SUCCESS;
}

DEFUN(cfg_stats, cfg_stats_cmd, "stats", "The stats socket (doc/stats.md)\n")
{
	vty->node = STATS_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_stats_socket, cfg_stats_socket_cmd, "socket PATH",
      "Path of the UNIX stats socket\n" "Path\n")
{
	set_str(CFG(vty), &CFG(vty)->stats_socket, argv[0]);
	return CMD_SUCCESS;
}

static int config_write_stats(struct vty *vty)
{
	vty_out(vty, "stats%s", VTY_NEWLINE);
	if (CFG(vty)->stats_socket)
		vty_out(vty, " socket %s%s", CFG(vty)->stats_socket, VTY_NEWLINE);
	return CMD_SUCCESS;
}

struct txgw_cfg *txgw_vty_cfg(struct vty *vty)
{
	return cfg_of(vty);
}

int txgw_vty_endpoint(struct vty *vty, char **dst, const char *val)
{
	return set_endpoint(vty, dst, val);
}

void txgw_vty_set_cfg(struct txgw_cfg *cfg)
{
	vty_cfg = cfg;
}

void txgw_vty_init(struct txgw_cfg *cfg)
{
	vty_cfg = cfg;
	install_element(CONFIG_NODE, &cfg_gateway_cmd);
	install_node(&gateway_node, config_write_gateway);
	install_element(GATEWAY_NODE, &cfg_gw_name_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_state_dir_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_clock_skew_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_txlog_port_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_concat_timeout_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_concat_max_partial_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_concat_max_per_sender_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_journal_keep_cmd);
	install_element(GATEWAY_NODE, &cfg_gw_verify_threads_cmd);

	install_element(CONFIG_NODE, &cfg_devices_cmd);
	install_node(&devices_node, config_write_devices);
	install_element(DEVICES_NODE, &cfg_dev_registry_cmd);
	install_element(DEVICES_NODE, &cfg_dev_ca_file_cmd);
	install_element(DEVICES_NODE, &cfg_dev_no_ca_file_cmd);

	install_element(CONFIG_NODE, &cfg_smpp_cmd);
	install_node(&smpp_node, config_write_smpp);
	install_element(SMPP_NODE, &cfg_esme_cmd);
	install_element(SMPP_NODE, &cfg_no_esme_cmd);
	install_node(&esme_node, NULL);
	install_element(ESME_NODE, &cfg_esme_remote_ip_cmd);
	install_element(ESME_NODE, &cfg_esme_remote_port_cmd);
	install_element(ESME_NODE, &cfg_esme_system_id_cmd);
	install_element(ESME_NODE, &cfg_esme_password_cmd);
	install_element(ESME_NODE, &cfg_esme_system_type_cmd);
	install_element(ESME_NODE, &cfg_esme_bind_mode_cmd);
	install_element(ESME_NODE, &cfg_esme_window_cmd);
	install_element(ESME_NODE, &cfg_esme_enquire_cmd);
	install_element(ESME_NODE, &cfg_esme_reconnect_cmd);
	install_element(ESME_NODE, &cfg_esme_dc1_cmd);
	install_element(ESME_NODE, &cfg_esme_response_timeout_cmd);

	install_element(CONFIG_NODE, &cfg_mail_cmd);
	install_node(&mail_node, config_write_mail);
	install_element(MAIL_NODE, &cfg_mail_listen_cmd);
	install_element(MAIL_NODE, &cfg_mail_no_listen_cmd);
	install_element(MAIL_NODE, &cfg_mail_domain_cmd);
	install_element(MAIL_NODE, &cfg_mail_max_size_cmd);
	install_element(MAIL_NODE, &cfg_mail_tls_cmd);
	install_element(MAIL_NODE, &cfg_mail_no_tls_cmd);
	install_element(MAIL_NODE, &cfg_mail_max_sessions_cmd);
	install_element(MAIL_NODE, &cfg_mail_timeout_cmd);
	install_element(MAIL_NODE, &cfg_mail_max_per_ip_cmd);
	install_element(MAIL_NODE, &cfg_mail_require_tls_cmd);
	install_element(MAIL_NODE, &cfg_mail_no_require_tls_cmd);
	install_element(MAIL_NODE, &cfg_mail_max_cmds_cmd);
	install_element(MAIL_NODE, &cfg_mail_session_time_cmd);
	install_element(MAIL_NODE, &cfg_mail_min_rate_cmd);
	install_element(MAIL_NODE, &cfg_mail_min_rate_def_cmd);

	install_element(CONFIG_NODE, &cfg_bus_cmd);
	install_node(&bus_node, config_write_bus);
	install_element(BUS_NODE, &cfg_bus_publish_cmd);
	install_element(BUS_NODE, &cfg_bus_replay_cmd);
	install_element(BUS_NODE, &cfg_bus_curve_secret_cmd);
	install_element(BUS_NODE, &cfg_bus_no_curve_secret_cmd);
	install_element(BUS_NODE, &cfg_bus_curve_clients_cmd);
	install_element(BUS_NODE, &cfg_bus_no_curve_clients_cmd);
	install_element(BUS_NODE, &cfg_bus_allow_plaintext_cmd);
	install_element(BUS_NODE, &cfg_bus_no_allow_plaintext_cmd);
	txgw_vty_downlink_init(DOWNLINK_NODE, BUS_NODE);

	install_element(CONFIG_NODE, &cfg_stats_cmd);
	install_node(&stats_node, config_write_stats);
	install_element(STATS_NODE, &cfg_stats_socket_cmd);
}
