/*
 * a_if.h — the messages a handset and its BSC exchange with an MSC over
 * the A interface, for txgw-handset-sim: the handset's layer 3 (3GPP TS
 * 24.008 mobility management, TS 24.011 short message CP and RP layers)
 * and the BSSAP framing around it (TS 48.006 §9.3, TS 48.008).
 *
 * Bytes in, bytes out: no I/O, no state.  Builders write into out[cap]
 * and return the length written, or -ENOSPC / -EINVAL; parsers return 0,
 * -EIO (the message ends inside a field) or -EINVAL (a value no message
 * has), and point into the caller's buffer (nothing is copied).
 *
 * The handset is a plain GSM phone: ciphering key sequence "no key" (7),
 * a classmark 2 announcing SMS (TS 24.008 §10.5.1.6: SM capability), its
 * IMSI as identity (the test core assigns no TMSI).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/gsm/gsm23003.h>

#define A_IMSI_MAX		15
#define A_ADDR_MAX		20	/* RP-OA/RP-DA digits (TS 24.011 §8.2.5.1-2: 10 octets) */
#define A_DLCI_MM		0x00	/* SAPI 0: MM, RR, CC */
#define A_DLCI_SMS		0x03	/* SAPI 3: short messages (TS 48.006 §9.3.2) */

/* TS 24.011 §8.2.2 CP message types, §8.2.5 RP message types. */
enum a_cp_type {
	A_CP_DATA = 0x01,
	A_CP_ACK = 0x04,
	A_CP_ERROR = 0x10,
};

enum a_rp_mti {
	A_RP_DATA_MO = 0,	/* MS -> network */
	A_RP_DATA_MT = 1,	/* network -> MS */
	A_RP_ACK_MO = 2,
	A_RP_ACK_MT = 3,
	A_RP_ERROR_MO = 4,
	A_RP_ERROR_MT = 5,
	A_RP_SMMA_MO = 6,
};

/* TS 24.011 §8.2.5.4 RP-Cause values a handset sends. */
#define A_RP_CAUSE_PROTOCOL_ERROR	111
#define A_RP_CAUSE_MEM_EXCEEDED		22

/* ---- MS -> network: the handset's layer 3 ---- */

/* MM LOCATION UPDATING REQUEST (TS 24.008 §9.2.15): normal updating. */
int a_lu_request(uint8_t *out, size_t cap, const char *imsi, const struct osmo_location_area_id *lai);

/* MM CM SERVICE REQUEST (§9.2.9) for short message service. */
int a_cm_service_request(uint8_t *out, size_t cap, const char *imsi);

/* RR PAGING RESPONSE (TS 44.018 §9.1.25). */
int a_paging_response(uint8_t *out, size_t cap, const char *imsi);

/* MM IDENTITY RESPONSE (TS 24.008 §9.2.11): the IMSI, whatever was asked. */
int a_id_response(uint8_t *out, size_t cap, const char *imsi);

/* TS 24.011 §7.2: CP-DATA carrying rpdu, CP-ACK, CP-ERROR of transaction
 * ti (0..6); flag is the TI flag: 0 from the side that began the
 * transaction (the handset, for an SMS it sends), 1 towards it. */
int a_cp_data(uint8_t *out, size_t cap, uint8_t ti, uint8_t flag, const uint8_t *rpdu, size_t len);
int a_cp_ack(uint8_t *out, size_t cap, uint8_t ti, uint8_t flag);
int a_cp_error(uint8_t *out, size_t cap, uint8_t ti, uint8_t flag, uint8_t cause);

/* TS 24.011 §7.3: RP-DATA MS->network (empty RP-OA, RP-DA the service
 * centre's number smsc, international, RP-UD the TPDU), RP-ACK and
 * RP-ERROR MS->network for message reference mr. */
int a_rp_data_mo(uint8_t *out, size_t cap, uint8_t mr, const char *smsc, const uint8_t *tpdu,
		 size_t len);
int a_rp_ack_mo(uint8_t *out, size_t cap, uint8_t mr);
int a_rp_error_mo(uint8_t *out, size_t cap, uint8_t mr, uint8_t cause);

/* ---- network -> MS ---- */

enum a_l3_kind {
	A_L3_OTHER,		/* anything else: ignored by the handset */
	A_L3_LU_ACCEPT,
	A_L3_LU_REJECT,		/* cause */
	A_L3_CM_ACCEPT,
	A_L3_CM_REJECT,		/* cause */
	A_L3_ABORT,		/* cause */
	A_L3_ID_REQUEST,	/* id_type */
	A_L3_CP,		/* cp_type, ti, ti_flag; CP-DATA: ud; CP-ERROR: cause */
};

struct a_l3 {
	enum a_l3_kind kind;
	uint8_t pd, type;	/* protocol discriminator, message type */
	uint8_t cause;
	uint8_t id_type;
	uint8_t cp_type, ti, ti_flag;
	const uint8_t *ud;	/* CP-DATA: the RPDU */
	size_t ud_len;
};

/* A downlink DTAP layer 3 message. */
int a_l3_parse(struct a_l3 *m, const uint8_t *l3, size_t len);

struct a_rp {
	uint8_t mti, mr;
	uint8_t cause;		/* RP-ERROR: RP-Cause value */
	char oa[A_ADDR_MAX + 1];	/* RP-DATA: the service centre's number */
	uint8_t oa_ton_npi;
	const uint8_t *ud;	/* RP-DATA: the TPDU; RP-ACK/RP-ERROR: RP-User-Data, if any */
	size_t ud_len;
};

/* A network->MS RP message: RP-DATA, RP-ACK or RP-ERROR (MTI 1, 3, 5). */
int a_rp_parse(struct a_rp *rp, const uint8_t *buf, size_t len);

/* ---- BSSAP (TS 48.006 §9.3) ---- */

struct a_bssap {
	bool dtap;
	uint8_t dlci;		/* DTAP */
	uint8_t type;		/* BSSMAP: message type */
	const uint8_t *data;	/* DTAP: the layer 3 message; BSSMAP: after the type */
	size_t len;
};

int a_bssap_parse(struct a_bssap *b, const uint8_t *buf, size_t len);

/* The IMSI of a BSSMAP PAGING (TS 48.008 §3.2.1.19), into imsi[cap]. */
int a_paging_imsi(const struct a_bssap *b, char *imsi, size_t cap);

/* The IMSI of a handset with MSISDN msisdn (txgw-handset-sim's rule, also
 * tests/osmocom/core.sh's): MCC 001, MNC 01, then the MSISDN's last ten
 * digits, zero-padded.  -EINVAL when msisdn is empty or not digits. */
int a_imsi_of_msisdn(char *imsi, size_t cap, const char *msisdn);
