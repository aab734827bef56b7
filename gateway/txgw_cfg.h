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
	/* bus */
	char *bus_publish;
	char *bus_replay;
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
#define TXGW_DEFAULT_BUS_PUBLISH	"tcp://127.0.0.1:5560"
#define TXGW_DEFAULT_BUS_REPLAY		"tcp://127.0.0.1:5561"
#define TXGW_DEFAULT_VTY_PORT		4290

/* A configuration with every default of doc/config.md. */
struct txgw_cfg *txgw_cfg_alloc(void *ctx);
struct esme_cfg *txgw_cfg_esme_find(struct txgw_cfg *cfg, const char *name);

/* Install the VTY nodes and commands; cfg is where they write. */
void txgw_vty_init(struct txgw_cfg *cfg);
/* Make cfg the configuration "write" and "show running-config" show. */
void txgw_vty_set_cfg(struct txgw_cfg *cfg);

/*
 * Read a configuration file through the VTY, one line at a time, so that an
 * error can name the line: "FILE:LINE: what is wrong: 'the line'".
 * Returns 0, or a negative errno with the message in err.  After the file,
 * the required settings (state-dir, registry) are checked.
 */
int txgw_config_load(struct txgw_cfg *cfg, const char *path, char *err, size_t cap);
