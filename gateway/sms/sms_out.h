/*
 * sms_out.h — a binary message for a handset as the user data of its SMS
 * parts (doc/downlink.md "SMS"): each part's TP-UD starts with a user data
 * header (3GPP TS 23.040 §9.2.3.24) that addresses the application port
 * (IEI 0x05, 16-bit ports, §9.2.3.24.4: destination and source port both
 * the txlog port); a payload longer than fits one SMS is concatenated
 * (IEI 0x00, 8-bit reference, §9.2.3.24.1), the concatenation IE first,
 * then the port IE, in every part.
 *
 * 8-bit data (TP-DCS 0x04): 140 octets of TP-UD.  One SMS carries
 * 140 - 7 = 133 payload octets (UDHL, port IE); a part of a concatenated
 * one 140 - 12 = 128 (UDHL, concatenation IE, port IE).  Parts are filled
 * in order, 128 octets each, the last one shorter.
 *
 * Pure: no I/O, no allocation.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define SMS_OUT_UD_MAX		140	/* TP-UD octets of 8-bit data */
#define SMS_OUT_SINGLE_MAX	133	/* payload of an unconcatenated SMS */
#define SMS_OUT_PART_MAX	128	/* payload of one part */
#define SMS_OUT_MAX_PARTS	8	/* downlink.md: at most 8 parts */
#define SMS_OUT_MAX_PAYLOAD	(SMS_OUT_MAX_PARTS * SMS_OUT_PART_MAX)

struct sms_out_part {
	uint8_t len;
	uint8_t ud[SMS_OUT_UD_MAX];	/* UDH then payload */
};

/*
 * The parts of payload[len] for port (destination and source), ref the
 * 8-bit concatenation reference (unused for a single SMS).  Returns the
 * number of parts (1..SMS_OUT_MAX_PARTS), -EINVAL for an empty payload,
 * -EMSGSIZE when it needs more than SMS_OUT_MAX_PARTS parts.
 */
int sms_out_split(const uint8_t *payload, size_t len, uint16_t port, uint8_t ref,
		  struct sms_out_part parts[SMS_OUT_MAX_PARTS]);

/* How many parts sms_out_split() makes of len octets (0 for 0, more than
 * SMS_OUT_MAX_PARTS when too long). */
unsigned sms_out_parts(size_t len);
