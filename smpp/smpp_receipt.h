/*
 * smpp_receipt.h — an SMSC delivery receipt (SMPP 3.4 §2.11, §5.2.12: a
 * deliver_sm or data_sm whose esm_class message type, bits 5..2, is 0001)
 * read for the downlink (doc/downlink.md "Delivery receipts").
 *
 * The message it is about: the receipted_message_id TLV (§5.3.2.12), else
 * the "id:" field of the receipt text (Appendix B).  Its state: the
 * message_state TLV (§5.3.2.35), else the "stat:" field.  The error: the
 * "err:" field, else the network_error_code TLV (§5.3.2.31, its 2-octet
 * code in decimal).  The text is short_message or message_payload;
 * Appendix B's field names are matched case-insensitively, each at the
 * start of the text or after a space:
 *
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm
 *   done date:YYMMDDhhmm stat:DDDDDDD err:E Text:...
 *
 * Also kept, for an SMSC whose message ids name nothing (OsmoMSC's): the
 * user_message_reference TLV, which a receipt carries over from the
 * original message (§4.6.1), and the source_addr, the handset's number.
 *
 * Pure: no I/O, no allocation.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "smpp/smpp_pdu.h"

/* §5.2.28 message_state */
enum smpp_msg_state {
	SMPP_MS_UNKNOWN_VALUE = 0,	/* none we know */
	SMPP_MS_ENROUTE = 1,
	SMPP_MS_DELIVERED = 2,
	SMPP_MS_EXPIRED = 3,
	SMPP_MS_DELETED = 4,
	SMPP_MS_UNDELIVERABLE = 5,
	SMPP_MS_ACCEPTED = 6,
	SMPP_MS_UNKNOWN = 7,
	SMPP_MS_REJECTED = 8,
};

#define SMPP_RECEIPT_ID_MAX	65	/* receipted_message_id, with its NUL */

struct smpp_receipt {
	char message_id[SMPP_RECEIPT_ID_MAX];
	enum smpp_msg_state state;
	char err[8];			/* "001", or "" when none is given */
	bool has_umr;			/* a user_message_reference TLV came */
	uint16_t umr;			/* ... its value */
	char from[21];			/* source_addr ("" when longer than 20 or not printable) */
};

/* Whether a deliver_sm/data_sm esm_class marks an SMSC delivery receipt. */
static inline bool smpp_is_receipt(uint8_t esm_class)
{
	return (esm_class & 0x3c) == 0x04;
}

/*
 * Read the receipt in p.  Returns 0; -ENOENT when it names no message
 * (neither the TLV nor an "id:" field); -EINVAL for an id too long or with
 * a byte outside printable ASCII.  An "err:" word or a source_addr with
 * such a byte is not taken (err, from "").  An unknown state is
 * SMPP_MS_UNKNOWN_VALUE, not an error.
 */
int smpp_receipt_parse(const struct smpp_pdu *p, struct smpp_receipt *r);

/* Appendix B's stat word for a state ("DELIVRD", "UNDELIV", ...), or "?" */
const char *smpp_msg_state_name(enum smpp_msg_state s);
