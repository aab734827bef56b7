/*
 * txgw_cfg.h — the gateway's configuration (doc/config.md), filled by the VTY
 * commands of gw_vty.c from the file given with -c, and shown back by
 * "show running-config".
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>

#include "mail/smtp.h"
#include "smpp/esme.h"

/* The downlink node (doc/downlink.md, config.md). */
enum txgw_relay_tls {
	TXGW_RELAY_TLS_NONE,
	TXGW_RELAY_TLS_OPPORTUNISTIC,
	TXGW_RELAY_TLS_REQUIRED,
};

struct txgw_downlink_cfg {
	bool enabled;			/* the node is there: no downlink without it */
	char *source_addr;
	unsigned rate;			/* submit_sm a second, all binds */
	uint32_t max_age;		/* s */
	char *relay;			/* mail downlink through it; NULL: none */
	enum txgw_relay_tls relay_tls;
	char *relay_ca_file;		/* CAs for relay-tls required; NULL: the system's */
	char *mail_from;
	bool plain_international;	/* an msisdn without '+' is international */
};

struct txgw_cfg {
	/* gateway */
	char *name;
	char *state_dir;
	uint32_t clock_skew;		/* s */
	uint16_t txlog_port;
	uint32_t concat_timeout;	/* s */
	uint32_t concat_max_partial;	/* incomplete concatenations held */
	uint32_t concat_max_per_sender;	/* ... of them from one source address */
	uint64_t journal_keep;
	unsigned verify_threads;	/* signature worker threads; 0: the loop thread */
	/* devices */
	char *registry;
	char *ca_file;
	/* smpp */
	struct llist_head esmes;	/* struct esme_cfg */
	/* mail */
	struct smtp_cfg smtp;
	/* downlink */
	struct txgw_downlink_cfg downlink;
	/* bus */
	char *bus_publish;
	char *bus_replay;
	char *bus_send;
	char *bus_curve_secret;		/* curve-secret-key FILE: CURVE on the bus */
	char *bus_curve_clients;	/* curve-clients FILE: who CURVE lets in */
	bool bus_allow_plaintext;	/* a non-loopback endpoint without CURVE */
	/* the file's line that set each (0: the default), for start-up errors */
	unsigned bus_publish_line, bus_replay_line, bus_send_line, bus_curve_secret_line, bus_curve_clients_line;
	/* the line of the file being loaded (gw_config.c); 0 otherwise */
	unsigned loading_line;
	/* stats */
	char *stats_socket;
};

#define TXGW_DEFAULT_NAME		"txgw"
#define TXGW_DEFAULT_CLOCK_SKEW		86400
#define TXGW_DEFAULT_TXLOG_PORT		16354
#define TXGW_DEFAULT_CONCAT_TIMEOUT	600
#define TXGW_DEFAULT_CONCAT_MAX_PARTIAL	100000
#define TXGW_DEFAULT_CONCAT_MAX_PER_SENDER	16
#define TXGW_DEFAULT_JOURNAL_KEEP	1000000
#define TXGW_DEFAULT_WINDOW		64
#define TXGW_DEFAULT_ENQUIRE_LINK	30
#define TXGW_DEFAULT_RECONNECT		5
#define TXGW_DEFAULT_SMTP_MAX_SIZE	1048576
#define TXGW_DEFAULT_SMTP_MAX_SESS	100
#define TXGW_DEFAULT_SMTP_T_CMD		300
#define TXGW_DEFAULT_SMTP_T_DATA	180
#define TXGW_DEFAULT_SMTP_T_FINAL	600
#define TXGW_DEFAULT_SMTP_PER_IP	10
#define TXGW_DEFAULT_SMTP_MAX_CMDS	1000
#define TXGW_DEFAULT_SMTP_SESSION_TIME	600	/* s */
#define TXGW_DEFAULT_SMTP_MIN_RATE	1024	/* octets/s */
#define TXGW_DEFAULT_SMTP_RATE_WINDOW	30	/* s */
#define TXGW_DEFAULT_BUS_PUBLISH	"tcp://127.0.0.1:5560"
#define TXGW_DEFAULT_BUS_REPLAY		"tcp://127.0.0.1:5561"
#define TXGW_DEFAULT_VTY_PORT		4290
#define TXGW_DEFAULT_BUS_SEND		"tcp://127.0.0.1:5562"
#define TXGW_DEFAULT_DL_SOURCE		"16354"
#define TXGW_DEFAULT_DL_RATE		50
#define TXGW_DEFAULT_DL_MAX_AGE		86400

/* A configuration with every default of doc/config.md. */
struct txgw_cfg *txgw_cfg_alloc(void *ctx);
struct esme_cfg *txgw_cfg_esme_find(struct txgw_cfg *cfg, const char *name);

/* Install the VTY nodes and commands; cfg is where they write. */
void txgw_vty_init(struct txgw_cfg *cfg);

/* gw_vty_downlink.c: the downlink node and "send" in the bus node.  The
 * configuration a command writes (the file loader's or the running one),
 * and an endpoint checked as "publish" checks it, from gw_vty.c. */
struct vty;
void txgw_cfg_downlink_defaults(struct txgw_cfg *c);
void txgw_vty_downlink_init(int downlink_node, int bus_node);
void txgw_vty_bus_send_write(struct vty *vty);
struct txgw_cfg *txgw_vty_cfg(struct vty *vty);
int txgw_vty_endpoint(struct vty *vty, char **dst, const char *val);
/* Make cfg the configuration "write" and "show running-config" show. */
void txgw_vty_set_cfg(struct txgw_cfg *cfg);
/* The file the gateway was started with, absolute: "write" writes only this
 * file, and the settings of trust name it. */
void txgw_vty_set_start_file(const char *path);

struct vty;
struct cmd_element;
/*
 * A setting that decides whom the gateway trusts (config.md: registry,
 * ca-file, state-dir, the bus keys) is taken only from the configuration
 * file.  Its command begins with
 *	if (cfg_trust_locked(vty, self))
 *		return CMD_WARNING;
 * On a VTY session this says where the setting comes from and returns true.
 */
bool cfg_trust_locked(struct vty *vty, const struct cmd_element *cmd);
/* vty_app_info.config_is_consistent: refuses "write file PATH" for any
 * PATH but the start file (1: write, 0: refused, with the reason). */
int txgw_vty_write_allowed(struct vty *vty);

/* What the VTY asks of a session once the file is read: the VTY asks for
 * the password unless the file says "no login" (config.md, line vty). */
enum txgw_vty_login {
	TXGW_VTY_LOGIN,		/* login, and a password is set */
	TXGW_VTY_NO_PASSWORD,	/* login, no password: every session is refused */
	TXGW_VTY_OPEN,		/* "no login": no password asked */
};
enum txgw_vty_login txgw_vty_login(void);

/*
 * Read a configuration file through the VTY, one line at a time, so that an
 * error can name the line: "FILE:LINE: what is wrong: 'the line'".
 * Returns 0, or a negative errno with the message in err.  After the file,
 * the required settings (state-dir, registry) are checked.
 */
int txgw_config_load(struct txgw_cfg *cfg, const char *path, char *err, size_t cap);
