/*
 * gw_vty_downlink.c — the configuration of the downlink (doc/downlink.md
 * "Configuration", doc/config.md): the downlink node, and "send" in the
 * bus node (the socket the requests come to).  Without a downlink node
 * there is no downlink: no send socket, no submit_sm.
 */
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "gateway/engine/outbox_req.h"
#include "gateway/txgw_cfg.h"

#define DL(vty) (&txgw_vty_cfg(vty)->downlink)

/* SMPP 3.4 §4.4.1: source_addr is a C-octet string of 21 octets; GSM
 * alphanumeric senders (TS 23.040 §9.1.2.5, TON 5) hold 11 characters. */
#define SOURCE_MAX	20
#define ALNUM_MAX	11

static struct cmd_node downlink_node = { .prompt = "%s(config-downlink)# ", .vtysh = 1 };

static void set_str(void *ctx, char **dst, const char *val)
{
	talloc_free(*dst);
	*dst = val ? talloc_strdup(ctx, val) : NULL;
}

void txgw_cfg_downlink_defaults(struct txgw_cfg *c)
{
	c->downlink.source_addr = talloc_strdup(c, TXGW_DEFAULT_DL_SOURCE);
	c->downlink.rate = TXGW_DEFAULT_DL_RATE;
	c->downlink.max_age = TXGW_DEFAULT_DL_MAX_AGE;
	c->downlink.relay_tls = TXGW_RELAY_TLS_REQUIRED;
	c->downlink.plain_international = true;
	c->bus_send = talloc_strdup(c, TXGW_DEFAULT_BUS_SEND);
}

DEFUN(cfg_downlink, cfg_downlink_cmd, "downlink",
      "Messages from the operation server to the handsets (doc/downlink.md)\n")
{
	DL(vty)->enabled = true;
	vty->node = downlink_node.node;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_downlink, cfg_no_downlink_cmd, "no downlink", NO_STR "No downlink\n")
{
	DL(vty)->enabled = false;
	return CMD_SUCCESS;
}

/* '+' and digits, digits, or an alphanumeric sender. */
static bool source_ok(const char *s)
{
	size_t n = strlen(s), i = s[0] == '+', digits = 0;

	for (size_t k = i; k < n; k++)
		digits += s[k] >= '0' && s[k] <= '9';
	if (n > i && digits == n - i)
		return n <= SOURCE_MAX;
	for (size_t k = 0; k < n; k++)
		if (!((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z') ||
		      (s[k] >= '0' && s[k] <= '9')))
			return false;
	return n >= 1 && n <= ALNUM_MAX;
}

DEFUN(cfg_dl_source, cfg_dl_source_cmd, "source-addr ADDR",
      "The sender the handsets see (submit_sm source_addr)\n"
      "Digits (TON 0), +digits (international) or up to 11 letters and digits (alphanumeric)\n")
{
	if (!source_ok(argv[0])) {
		vty_out(vty, "%% source-addr '%s': digits (at most %u), '+' and digits, or 1 to %u "
			"letters and digits%s", argv[0], SOURCE_MAX, ALNUM_MAX, VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(txgw_vty_cfg(vty), &DL(vty)->source_addr, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_rate, cfg_dl_rate_cmd, "rate <1-100000>",
      "submit_sm a second, over all binds together\n" "submit_sm per second\n")
{
	DL(vty)->rate = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_max_age, cfg_dl_max_age_cmd, "max-age <1-31536000>",
      "How long a message may wait to be submitted (unless its request says expires)\n"
      "Seconds\n")
{
	DL(vty)->max_age = (uint32_t)strtoul(argv[0], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_relay, cfg_dl_relay_cmd, "relay URL",
      "The mail relay of the mail downlink\n" "smtp://HOST[:PORT] or smtps://HOST[:PORT]\n")
{
	if (strncmp(argv[0], "smtp://", 7) && strncmp(argv[0], "smtps://", 8)) {
		vty_out(vty, "%% relay '%s': smtp://HOST[:PORT] or smtps://HOST[:PORT]%s", argv[0],
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(txgw_vty_cfg(vty), &DL(vty)->relay, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_no_relay, cfg_dl_no_relay_cmd, "no relay", NO_STR "No mail downlink\n")
{
	set_str(txgw_vty_cfg(vty), &DL(vty)->relay, NULL);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_relay_tls, cfg_dl_relay_tls_cmd, "relay-tls (none|opportunistic|required)",
      "STARTTLS towards the relay\n" "Never\n" "When the relay offers it\n"
      "Always: no mail without it\n")
{
	DL(vty)->relay_tls = argv[0][0] == 'n' ? TXGW_RELAY_TLS_NONE :
			     argv[0][0] == 'o' ? TXGW_RELAY_TLS_OPPORTUNISTIC : TXGW_RELAY_TLS_REQUIRED;
	return CMD_SUCCESS;
}

/* A setting of trust (gw_vty_trust.c): which relay certificates are
 * believed decides who reads the mail downlink, so, like ca-file, it comes
 * from the file only. */
DEFUN(cfg_dl_relay_ca, cfg_dl_relay_ca_cmd, "relay-ca-file PATH",
      "CA certificates the relay's must chain to (relay-tls required)\n" "Path of a PEM file\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(txgw_vty_cfg(vty), &DL(vty)->relay_ca_file, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_no_relay_ca, cfg_dl_no_relay_ca_cmd, "no relay-ca-file",
      NO_STR "Check the relay's certificate against the system's CA store\n")
{
	if (cfg_trust_locked(vty, self))
		return CMD_WARNING;
	set_str(txgw_vty_cfg(vty), &DL(vty)->relay_ca_file, NULL);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_mail_from, cfg_dl_mail_from_cmd, "mail-from ADDR",
      "The From: and envelope sender of the mail downlink\n" "An RFC 5321 mailbox\n")
{
	if (!ob_req_mail_ok(argv[0], strlen(argv[0]))) {
		vty_out(vty, "%% mail-from '%s' is not a mailbox (local@domain)%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	set_str(txgw_vty_cfg(vty), &DL(vty)->mail_from, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_dl_plain, cfg_dl_plain_cmd, "plain-msisdn (international|unknown)",
      "How an msisdn without '+' is sent (destination TON/NPI)\n"
      "International, TON 1 NPI 1, as the registry's numbers are (default)\n"
      "Unknown, TON 0 NPI 1: the SMSC's numbering decides\n")
{
	DL(vty)->plain_international = argv[0][0] == 'i';
	return CMD_SUCCESS;
}

static int config_write_downlink(struct vty *vty)
{
	static const char *const tls[] = { "none", "opportunistic", "required" };
	const struct txgw_downlink_cfg *d = DL(vty);

	if (!d->enabled)
		return CMD_SUCCESS;
	vty_out(vty, "downlink%s", VTY_NEWLINE);
	vty_out(vty, " source-addr %s%s", d->source_addr, VTY_NEWLINE);
	vty_out(vty, " rate %u%s", d->rate, VTY_NEWLINE);
	vty_out(vty, " max-age %u%s", (unsigned)d->max_age, VTY_NEWLINE);
	if (d->relay)
		vty_out(vty, " relay %s%s", d->relay, VTY_NEWLINE);
	vty_out(vty, " relay-tls %s%s", tls[d->relay_tls], VTY_NEWLINE);
	if (d->relay_ca_file)
		vty_out(vty, " relay-ca-file %s%s", d->relay_ca_file, VTY_NEWLINE);
	if (d->mail_from)
		vty_out(vty, " mail-from %s%s", d->mail_from, VTY_NEWLINE);
	vty_out(vty, " plain-msisdn %s%s", d->plain_international ? "international" : "unknown",
		VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(cfg_bus_send, cfg_bus_send_cmd, "send ENDPOINT",
      "Where the ROUTER socket of downlink requests binds (with a downlink node)\n"
      "ZeroMQ endpoint, tcp://127.0.0.1:5562\n")
{
	txgw_vty_cfg(vty)->bus_send_line = txgw_vty_cfg(vty)->loading_line;
	return txgw_vty_endpoint(vty, &txgw_vty_cfg(vty)->bus_send, argv[0]);
}

void txgw_vty_bus_send_write(struct vty *vty)
{
	vty_out(vty, " send %s%s", txgw_vty_cfg(vty)->bus_send, VTY_NEWLINE);
}

void txgw_vty_downlink_init(int node, int bus_node)
{
	downlink_node.node = node;
	install_element(CONFIG_NODE, &cfg_downlink_cmd);
	install_element(CONFIG_NODE, &cfg_no_downlink_cmd);
	install_node(&downlink_node, config_write_downlink);
	install_element(node, &cfg_dl_source_cmd);
	install_element(node, &cfg_dl_rate_cmd);
	install_element(node, &cfg_dl_max_age_cmd);
	install_element(node, &cfg_dl_relay_cmd);
	install_element(node, &cfg_dl_no_relay_cmd);
	install_element(node, &cfg_dl_relay_tls_cmd);
	install_element(node, &cfg_dl_relay_ca_cmd);
	install_element(node, &cfg_dl_no_relay_ca_cmd);
	install_element(node, &cfg_dl_mail_from_cmd);
	install_element(node, &cfg_dl_plain_cmd);
	install_element(bus_node, &cfg_bus_send_cmd);
}
