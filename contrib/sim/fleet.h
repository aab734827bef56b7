/*
 * fleet.h — simulated handsets for txgw-smsc-sim: keys and the registry
 * (registry.md), honest transaction logs signed as TXLOG v1 frames
 * (txlog-v1.md), and anomalies on demand, each with the outcome the
 * gateway must publish for it (bus.md), so a test can hold the bus to it.
 *
 * A device keeps its counter, balance and upload_seq as a secure element
 * does.  An honest upload carries its next 1..K transactions.  The claims
 * assume what the simulator guarantees: the uploads of one device reach
 * the gateway in the order they were made (txgw-smsc-sim sends a device's
 * next upload only when its last one is wholly acknowledged), and every
 * earlier upload of the device was accepted.
 *
 * Anomalies (txlog-v1.md, "What the gateway checks"):
 *   bad_signature     an honest frame with one signature bit flipped;
 *                     the device's state does not move (it was never
 *                     accepted): reject bad_signature
 *   unknown_device    a frame from a device the registry does not list:
 *                     reject unknown_device
 *   replay            another frame under the device's last accepted
 *                     upload_seq: reject replay, alert replay
 *   counter_gap       the device skips 1..5 counters: alert counter_gap
 *                     after the first record
 *   balance_mismatch  the first record's balance is off (and the device
 *                     goes on from it): alert balance_mismatch
 *   msisdn            sent from another MSISDN than the registered one:
 *                     records, then alert msisdn_mismatch
 *   revoked           a frame from a device marked revoked: reject
 *                     revoked, alert revoked_device
 *   text              a person's text message: reject not_txlog
 * counter_gap, balance_mismatch and replay need a device that has been
 * accepted before (the first record only sets the gateway's baseline),
 * msisdn one bound to an MSISDN; fleet_upload() answers -EAGAIN otherwise.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/txlog/frame.h"
#include "gateway/txlog/outcome.h"

struct txl_signer;

#define FLEET_START_BALANCE	100000		/* minor units */
#define FLEET_CURRENCY		901		/* ISO 4217 TWD */
#define FLEET_MSISDN_LEN	15

enum fleet_alg_mix {
	FLEET_ED25519,
	FLEET_ECDSA,
	FLEET_MIX,		/* every other device */
};

enum fleet_anomaly {
	FA_NONE,
	FA_BAD_SIGNATURE,
	FA_UNKNOWN_DEVICE,
	FA_REPLAY,
	FA_COUNTER_GAP,
	FA_BALANCE_MISMATCH,
	FA_MSISDN,
	FA_REVOKED,
	FA_TEXT,
	FA_COUNT
};

struct fleet_dev {
	uint64_t id;
	uint8_t key_id;
	uint8_t alg;			/* enum txl_alg */
	bool revoked;			/* status revoked in the registry */
	bool phantom;			/* not in the registry */
	bool started;			/* an upload of it has been accepted */
	bool busy;			/* the simulator's: an upload in flight */
	char msisdn[FLEET_MSISDN_LEN + 1];	/* "" when bound to none */
	struct txl_signer *signer;
	uint32_t counter;		/* last transaction counter used */
	uint32_t balance;		/* after that transaction */
	uint32_t upload_seq;		/* last upload_seq accepted */
	uint16_t ref;			/* next concatenation reference */
	uint8_t mr;			/* next TP-MR */
};

/* Devices: [0, n_active) active, then n_revoked revoked, then n_phantom
 * devices the registry does not list. */
struct fleet {
	unsigned n_active, n_revoked, n_phantom;
	struct fleet_dev *dev;
	uint64_t rng;
	uint64_t pick_rng;		/* fleet_pick_anomaly()'s own stream */
	uint32_t owed[FA_COUNT];	/* anomalies picked that did not apply yet */
	uint64_t n_owed;		/* fleet_owe() calls: anomalies put off */
	unsigned max_records;		/* records per upload: 1..max_records */
};

/* One expected bus message (bus.md), as the gateway must publish it. */
struct fleet_ev {
	uint8_t type;			/* enum txl_ev_type */
	uint8_t kind;			/* TXL_EV_ALERT: enum txl_alert; REJECT: enum txl_reject */
	uint8_t rec_type;		/* RECORD: the record's type */
	bool has_counter;		/* RECORD, and alerts about a record */
	uint32_t counter;
	uint32_t amount, balance;	/* RECORD */
	int64_t expected, got;		/* counter_gap, balance_mismatch; replay: last_upload, got */
};

#define FLEET_EV_MAX		TXL_OUTCOME_MAX
#define FLEET_TEXT_MAX		160

/* One upload: what to send, from where, and what it must produce. */
struct fleet_upload {
	enum fleet_anomaly anomaly;
	unsigned dev;			/* index of the device that sent it */
	uint64_t device_id;
	bool has_device;		/* false for a text message */
	uint32_t upload_seq;
	char src[FLEET_MSISDN_LEN + 1];	/* the SMS source_addr */
	const char *registered;		/* msisdn: the registered MSISDN */
	bool text;			/* data is UTF-8 text, not a frame */
	size_t len;
	uint8_t data[TXL_MAX_LEN];	/* the frame, or the text */
	uint8_t digest[32];		/* SHA-256 of the frame */
	struct txl_frame f;		/* the frame as encoded */
	unsigned n_ev;
	struct fleet_ev ev[FLEET_EV_MAX];
};

/*
 * Make n_active + n_revoked registered devices with fresh keys (alg by
 * mix), MSISDNs "8869" + 8 digits, and n_phantom unregistered ones, under
 * talloc ctx.  Device ids come from seed.  Returns 0, -EINVAL (no active
 * device, more than 10^8), -ENOMEM, -EIO (OpenSSL).
 */
int fleet_generate(void *ctx, unsigned n_active, unsigned n_revoked, unsigned n_phantom,
		   enum fleet_alg_mix mix, uint64_t seed, struct fleet **out);

/*
 * Write the registry (registry.md) of the registered devices to path, keys
 * inline as hex:, and, when keys_dir is not NULL, each private key as
 * keys_dir/<device_id>-<key_id>.key (PKCS#8 PEM), the form fleet_load()
 * reads.  Returns 0 or -EIO.
 */
int fleet_write_registry(const struct fleet *fl, const char *path, const char *keys_dir);

/*
 * Load devices from a registry file with their private keys from
 * keys_dir/<device_id>-<key_id>.key (tests/vectors/devices.txt and
 * keys/ work).  Each device uses its highest key_id; a device whose key is
 * revoked is a revoked one.  n_phantom unregistered devices are added,
 * with ids and MSISDNs the registry does not list.
 * The registry must load cleanly (registry_load()) and every private key
 * match its public key.  Returns 0, or -ENOENT / -EINVAL / -ENOMEM with
 * a message in err[errcap].
 */
int fleet_load(void *ctx, const char *registry, const char *keys_dir, unsigned n_phantom,
	       uint64_t seed, struct fleet **out, char *err, size_t errcap);

void fleet_free(struct fleet *fl);

static inline unsigned fleet_count(const struct fleet *fl)
{
	return fl->n_active + fl->n_revoked + fl->n_phantom;
}

/*
 * Make the next upload of active device dev with anomaly a at time now
 * (seconds; records and the frame's created time).  unknown_device and
 * revoked take a phantom or revoked device instead (up->dev says which);
 * text takes dev's MSISDN.  The device's state moves as the anomaly says.
 * Returns 0; -EAGAIN when the anomaly does not apply to dev (see the top
 * of this file: make an honest upload instead); -EINVAL (dev out of range
 * or not active); -EIO (signing failed).
 */
int fleet_upload(struct fleet *fl, unsigned dev, enum fleet_anomaly a, uint32_t now,
		 struct fleet_upload *up);

/* The anomaly of the next upload, from rate[] (fractions of uploads,
 * FA_NONE's unused).  The picks come from a stream of their own, one per
 * call, so which anomalies a run makes depends on the seed alone and not
 * on timing (which device happened to be idle).  An honest pick pays
 * back an owed anomaly first: see fleet_owe(). */
enum fleet_anomaly fleet_pick_anomaly(struct fleet *fl, const double rate[FA_COUNT]);

/* Anomaly a could not be made on the device at hand (fleet_upload() said
 * -EAGAIN): make it at a later honest pick instead, so a run makes the
 * anomalies its rates ask for. */
void fleet_owe(struct fleet *fl, enum fleet_anomaly a);

/* A uniform random number below n (n >= 1) from the fleet's generator. */
uint32_t fleet_rand(struct fleet *fl, uint32_t n);

/* "none", "bad_signature", ..., "text" (the --anomaly names), and back:
 * FA_COUNT when unknown. */
const char *fleet_anomaly_name(enum fleet_anomaly a);
enum fleet_anomaly fleet_anomaly_parse(const char *name);
