/*
 * sms_dcs.h — the two one-octet descriptors of an SMS: TP-DCS
 * (3GPP TS 23.038 §4) and TP-PID (3GPP TS 23.040 §9.2.3.9).
 *
 * Every octet value has a meaning, so decoding cannot fail: the struct
 * keeps the octet as received (raw, which the TPDU encoder writes back)
 * and its parts.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

enum sms_alphabet {
	SMS_ALPHABET_GSM7 = 0,
	SMS_ALPHABET_8BIT = 1,
	SMS_ALPHABET_UCS2 = 2,
	SMS_ALPHABET_RESERVED = 3,	/* general group, bits 3-2 = 11 */
};

enum sms_dcs_group {
	SMS_DCS_GENERAL,	/* 00xx xxxx */
	SMS_DCS_AUTO_DELETE,	/* 01xx xxxx: message marked for automatic deletion */
	SMS_DCS_RESERVED,	/* 1000 xxxx .. 1011 xxxx */
	SMS_DCS_MWI_DISCARD,	/* 1100 xxxx: message waiting, discard message, GSM7 */
	SMS_DCS_MWI_STORE,	/* 1101 xxxx: message waiting, store message, GSM7 */
	SMS_DCS_MWI_STORE_UCS2,	/* 1110 xxxx: message waiting, store message, UCS2 */
	SMS_DCS_CLASS,		/* 1111 xxxx: data coding / message class */
};

enum sms_mwi_type {
	SMS_MWI_VOICEMAIL = 0,
	SMS_MWI_FAX = 1,
	SMS_MWI_EMAIL = 2,
	SMS_MWI_OTHER = 3,
};

struct sms_dcs {
	uint8_t raw;			/* the TP-DCS octet */
	enum sms_dcs_group group;
	/* The alphabet.  Reserved coding groups read as GSM7 (23.038 §4:
	 * "any reserved codings shall be assumed to be the GSM 7 bit default
	 * alphabet"); the reserved alphabet value of the general groups is
	 * reported as SMS_ALPHABET_RESERVED and its user data, by the same
	 * rule, is read as septets (see sms_dcs_ud_septets()). */
	enum sms_alphabet alphabet;
	bool compressed;		/* general groups, bit 5 */
	bool has_class;			/* general groups bit 4; always in group 1111 */
	uint8_t msg_class;		/* 0..3 when has_class */
	bool mwi_active;		/* MWI groups: bit 3, indication sense "set active" */
	uint8_t mwi_type;		/* MWI groups: enum sms_mwi_type */
	/* A reserved bit is set: general groups bits 1-0 without bit 4, MWI
	 * bit 2, group 1111 bit 3.  Kept in raw; sms_dcs_encode() drops it. */
	bool reserved_bits;
};

/* Split a TP-DCS octet into *d. */
void sms_dcs_decode(struct sms_dcs *d, uint8_t octet);

/*
 * The octet for d->group and its parts (d->raw is ignored): general and
 * auto-delete groups from alphabet, compressed, has_class, msg_class; MWI
 * groups from mwi_active and mwi_type; group 1111 from alphabet (GSM7 or
 * 8BIT) and msg_class.  Returns 0..255, or -EINVAL for a combination the
 * group cannot carry (e.g. UCS2 in group 1111, a class above 3, a
 * reserved group).
 */
int sms_dcs_encode(const struct sms_dcs *d);

/*
 * Does TP-UDL count septets (3GPP TS 23.040 §9.2.3.16)?  True for
 * uncompressed GSM7 and reserved alphabets; false for 8-bit, UCS2 and any
 * compressed data, whose TP-UDL counts octets.
 */
bool sms_dcs_ud_septets(const struct sms_dcs *d);

/* "gsm7", "8bit", "ucs2", "reserved". */
const char *sms_alphabet_name(enum sms_alphabet a);
/* "general", "auto-delete", "reserved", "mwi-discard", "mwi-store", "mwi-store-ucs2", "class". */
const char *sms_dcs_group_name(enum sms_dcs_group g);
/* "voicemail", "fax", "email", "other". */
const char *sms_mwi_type_name(unsigned t);

/* TP-PID (§9.2.3.9): the meaning of bits 7-6 (and bit 5 in group 00). */
enum sms_pid_kind {
	SMS_PID_SM_AL,		/* 00, bit 5 = 0: bits 4-0 an SM-AL protocol */
	SMS_PID_TELEMATIC,	/* 00, bit 5 = 1: bits 4-0 a telematic device */
	SMS_PID_MSG_TYPE,	/* 01: bits 5-0 a message type (type 0, replace, ...) */
	SMS_PID_RESERVED,	/* 10 */
	SMS_PID_SC_SPECIFIC,	/* 11: bits 5-0 for SC specific use */
};

struct sms_pid {
	uint8_t raw;		/* the TP-PID octet */
	enum sms_pid_kind kind;
	uint8_t value;		/* bits 4-0 (group 00) or 5-0 (others) */
};

/* Split a TP-PID octet into *p. */
void sms_pid_decode(struct sms_pid *p, uint8_t octet);

/*
 * What the value means: a telematic device ("internet-email", ...) or a
 * message type ("sm-type-0", "replace-type-1", "sim-data-download", ...),
 * "sm-al" for group 00 without interworking, "reserved" and "sc-specific".
 */
const char *sms_pid_name(const struct sms_pid *p);

/* "sm-al", "telematic", "message-type", "reserved", "sc-specific". */
const char *sms_pid_kind_name(enum sms_pid_kind k);
