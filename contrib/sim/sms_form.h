/*
 * sms_form.h — an upload as the radio and the SMSC carry it, for the SMSC
 * simulator (txgw-smsc-sim) and its tests.
 *
 * Two steps, as in a real network:
 *
 *   sf_tpdus()        the handset: a frame (binary) or a text (an armoured
 *                     frame, or a person's message) becomes the SMS-SUBMIT
 *                     TPDUs a phone sends (3GPP TS 23.040 §9.2.2.2), built
 *                     with the project's TPDU encoder: 8-bit data with a
 *                     16-bit application port header (§9.2.3.24.4), GSM
 *                     7-bit text (with fill bits after a UDH, §9.2.3.24) or
 *                     UCS-2, concatenated with 8- or 16-bit references
 *                     (§9.2.3.24.1, §9.2.3.24.8) when one SMS is too short;
 *
 *   sf_deliver_sm()   the SMSC: those TPDUs become the deliver_sm PDUs it
 *                     hands an ESME (SMPP 3.4 §4.6.1): the UDH kept in
 *                     short_message with esm_class UDHI (0x40), or the
 *                     concatenation and ports moved into the sar_* and
 *                     *_port TLVs (§5.3.2.20-24), or one deliver_sm with
 *                     the whole user data in message_payload (§5.3.2.32);
 *                     7-bit text unpacked one septet per octet with
 *                     data_coding 0 (or 1, as OsmoMSC sends it), 8-bit data
 *                     as 4, UCS-2 as 8 (§5.2.19).
 *
 * No I/O, no global state.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contrib/sim/fleet.h"
#include "gateway/sms/tpdu.h"

/* Parts of one message at most: the largest frame (2004 bytes) armoured
 * in UCS-2 takes 40 parts of 67 characters. */
#define SF_MAX_PARTS		48
/* txlog-v1.md "Bearers": the default txlog port. */
#define SF_TXLOG_PORT		16354
/* A deliver_sm with message_payload holding SF_MAX_PARTS parts' user data
 * and every TLV fits. */
#define SF_PDU_MAX		(SF_MAX_PARTS * SMS_UD_MAX_SEPTETS + 512)

enum sf_coding {
	SF_BINARY,		/* TP-DCS 0x04, 8-bit data, UDH port IE 0x05 */
	SF_GSM7,		/* TP-DCS 0x00, GSM 7-bit default alphabet */
	SF_UCS2,		/* TP-DCS 0x08, UCS-2 */
};

enum sf_smpp_form {
	SF_SMPP_UDH,		/* UDH in short_message, esm_class 0x40 */
	SF_SMPP_SAR,		/* no UDH: sar_* and source/destination_port TLVs */
	SF_SMPP_PAYLOAD,	/* one deliver_sm, message_payload = whole user data */
};

/* What the handset puts around the user data. */
struct sf_opts {
	enum sf_coding coding;
	unsigned ref_bits;	/* concatenation reference: 8 or 16 */
	uint16_t ref;		/* the reference (the handset's own counter) */
	uint8_t mr;		/* TP-MR of the first part; +1 per part */
	bool port;		/* binary only: add the 16-bit port IE */
	uint16_t dst_port;	/* its destination port, SF_TXLOG_PORT */
	uint16_t src_port;
	const char *da;		/* TP-DA: the service number, digits, '+' allowed */
};

/* One message as the handset sent it: its SMS-SUBMIT TPDUs in order. */
struct sf_sms {
	unsigned n;
	uint8_t len[SF_MAX_PARTS];
	uint8_t tpdu[SF_MAX_PARTS][SMS_TPDU_MAX_LEN];
};

/*
 * Build the SMS-SUBMIT TPDUs for data[len]: for SF_BINARY the octets
 * (a frame), for SF_GSM7 and SF_UCS2 a UTF-8 text.  A message that fits
 * one SMS is sent whole (with only the port IE, if any); a longer one is
 * cut into parts, never inside a GSM escape sequence or a UTF-16
 * surrogate pair.
 * Returns the number of parts (also in out->n), or -EINVAL (bad options,
 * a character outside the GSM 7-bit alphabet, empty data, a part the
 * encoder refuses), -ENOSPC (more than SF_MAX_PARTS parts).
 */
int sf_tpdus(struct sf_sms *out, const struct sf_opts *o, const uint8_t *data, size_t len);

/*
 * An upload of the fleet (fleet.h) as handset dev sends it: a frame as
 * binary data with the txlog port (SF_BINARY) or armoured (txlog-v1.md
 * "Armour") as text (SF_GSM7, SF_UCS2); a person's text as GSM 7-bit
 * unless UCS-2 is asked for.  The concatenation reference and TP-MR are
 * the handset's own counters, and move on.  TP-DA is da.  Returns
 * sf_tpdus()'s, or armour_encode()'s error.
 */
int sf_upload(struct sf_sms *out, struct fleet_dev *dev, const struct fleet_upload *u,
	      enum sf_coding coding, unsigned ref_bits, const char *da);

/* How the SMSC hands the message over. */
struct sf_smpp_opts {
	enum sf_smpp_form form;
	bool dc1;		/* 7-bit as data_coding 1 (OsmoMSC), else 0 */
	const char *src;	/* source_addr: the handset's MSISDN */
	const char *dst;	/* destination_addr: the service number */
};

/* The deliver_sm PDUs of one message, packed, sequence_number 0 (the
 * sender sets it: bytes 12..15). */
struct sf_deliver {
	unsigned n;
	size_t len[SF_MAX_PARTS];
	uint8_t *pdu[SF_MAX_PARTS];	/* talloc'd under the ctx given */
};

/*
 * Turn the TPDUs of sms (as sf_tpdus() made them, or any SMS-SUBMITs of
 * one message) into deliver_sm PDUs under talloc ctx.  Returns the number
 * of PDUs, -EINVAL (a TPDU that does not decode, or that is not an
 * SMS-SUBMIT, a source or destination address too long), -ENOMEM.
 */
int sf_deliver_sm(void *ctx, struct sf_deliver *out, const struct sf_smpp_opts *o,
		  const struct sf_sms *sms);

/* Free the PDUs of d (talloc) and zero it. */
void sf_deliver_free(struct sf_deliver *d);

/* "binary", "gsm7", "ucs2"; "udh", "sar", "payload". */
const char *sf_coding_name(enum sf_coding c);
const char *sf_smpp_form_name(enum sf_smpp_form f);
