/*
 * sms_in.h — one mobile-originated short message as an SMSC hands it over
 * SMPP (deliver_sm / data_sm), turned into a segment the reassembly and the
 * frame extraction understand (doc/txlog-v1.md, "Bearers", SMS).
 *
 * SMPP 3.4 §5.2.12 esm_class bit 0x40 (UDHI): short_message begins with a
 * user data header (its first octet is UDHL).  With data_coding 0 (and 1
 * under "data-coding-1 gsm7", as OsmoMSC sends 7-bit SMS) the text after
 * the header is GSM septets one per octet, unpacked: no fill bits, since
 * the SMSC has already unpacked the TP-UD.
 *
 * Pure: no I/O, no allocation.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/sms/charset.h"
#include "gateway/sms/concat.h"

struct sms_in {
	uint32_t bind;			/* which bind it came on (reassembly key) */
	const char *src;		/* source_addr */
	const char *dst;		/* destination_addr */
	uint8_t esm_class;
	uint8_t data_coding;
	const uint8_t *sm;		/* short_message, or the message_payload TLV */
	size_t sm_len;
	bool has_sar;			/* sar_msg_ref_num, sar_total_segments, sar_segment_seqnum */
	uint16_t sar_ref;
	uint8_t sar_total, sar_seq;
	bool has_port;			/* the destination_port TLV */
	uint16_t port;
	bool dc1_gsm7;			/* config data-coding-1 gsm7 */
};

struct sms_seg {
	enum charset_coding coding;
	bool has_port;			/* UDH IE 0x04/0x05 or the destination_port TLV */
	uint16_t port;
	bool concat;			/* a part of a concatenated message */
	struct concat_key key;
	uint8_t seq;
	const uint8_t *payload;		/* after the UDH, points into in->sm */
	size_t len;
};

/*
 * Classify one message.  Returns 0, or -EINVAL when the user data header
 * does not parse, -EIO when esm_class says UDHI but the header runs past
 * the message.  Either way the caller rejects the message as malformed:
 * its payload cannot even be found.
 */
int sms_in_parse(const struct sms_in *in, struct sms_seg *seg);

/* The coding SMPP 3.4 §5.2.19 data_coding stands for. */
enum charset_coding sms_in_coding(uint8_t data_coding, bool dc1_gsm7);
