/*
 * smpp_pdu.h — txgw's own SMPP 3.4 PDU codec (SMPP v3.4 specification,
 * issue 1.2, 12-Oct-1999), table-driven: one table per PDU type
 * (smpp_def.h), one pack and one unpack engine (smpp_pdu.c).
 *
 * Why not libsmpp34 (Debian libsmpp34-dev 1.14): it was measured unfit for
 * input from hostile peers.  A message_payload over 1024 octets fails to
 * unpack; every failed unpack leaks a TLV node (a remote memory DoS); its
 * errors go through global buffers (smpp34_errno, smpp34_strerror: not
 * thread-safe); an over-long C-octet string overflows into the next struct
 * field; fixed-size TLVs are not length-checked.  tests/unit/
 * test_smpp_libsmpp34.c shows the first two, and that it will not pack a
 * 254-octet short_message (§4.4.1 allows it).  This codec is strict and
 * bounded, allocates nothing and keeps no state.
 *
 * Lifetime: smpp_pdu_unpack() copies the header, integers and C-octet
 * strings into the struct, but short_message and TLV values longer than 4
 * octets are BORROWED: they point into the input buffer, which must outlive
 * the struct (or be copied by the caller).  Likewise smpp_pdu_pack() reads
 * what those pointers point to.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smpp/smpp_def.h"

/* The PDU header: command_length, command_id, command_status, seq (§3.2). */
#define SMPP_HDR_LEN 16
/* short_message is 0..254 octets (§4.4.1). */
#define SMPP_SM_MAX 254
/* dest_address / unsuccess_sme list entries (§4.5.1: at most 254). */
#define SMPP_DESTS_MAX 254
/* TLVs kept per PDU; a PDU with more is refused (ESME_RINVOPTPARSTREAM). */
#define SMPP_TLV_MAX 32

/* Command ids, §5.1.2: SMPP_GENERIC_NACK, SMPP_DELIVER_SM, ... */
enum smpp_command_id {
#define SMPP_X(sym, name, id, body, tlvs) SMPP_##sym = id,
	SMPP_COMMANDS(SMPP_X)
#undef SMPP_X
};

/* Command status codes, §5.1.3: ESME_ROK, ESME_RINVCMDID, ... */
enum smpp_status {
#define SMPP_X(sym, val, desc) sym = val,
	SMPP_STATUSES(SMPP_X)
#undef SMPP_X
};

/* Optional parameter tags, §5.3.2: SMPP_TLV_MESSAGE_PAYLOAD, ... */
enum smpp_tlv_tag {
#define SMPP_X(sym, name, tag, kind, min, max) SMPP_TLV_##sym = tag,
	SMPP_TLVS(SMPP_X)
#undef SMPP_X
};

/* dest_flag of a submit_multi dest_address (§4.5.1.1). */
enum smpp_dest_flag {
	SMPP_DEST_SME = 1,
	SMPP_DEST_DL = 2,
};

/* A dest_address of submit_multi (§4.5.1.1). */
struct smpp_dest {
	uint8_t dest_flag;		/* SMPP_DEST_SME or SMPP_DEST_DL */
	uint8_t dest_addr_ton;		/* SME only */
	uint8_t dest_addr_npi;		/* SME only */
	char address[21];		/* destination_addr (SME) or dl_name (DL) */
};

/* An unsuccess_sme of submit_multi_resp (§4.5.2.1). */
struct smpp_unsuccess {
	uint8_t dest_addr_ton;
	uint8_t dest_addr_npi;
	char destination_addr[21];
	uint32_t error_status_code;
};

/*
 * One optional parameter (§3.2.4, §5.3).  A value of at most 4 octets is
 * held in small[] and val is NULL; a longer one is borrowed through val.
 * Read it with smpp_tlv_data().
 */
struct smpp_tlv {
	uint16_t tag;
	uint16_t len;
	const uint8_t *val;
	uint8_t small[4];
};

/*
 * A decoded PDU.  The mandatory fields are the union of those of every
 * SMPP 3.4 PDU; a PDU uses the ones its table (smpp_def.h) lists, the
 * others stay zero.  C-octet strings are NUL-terminated arrays sized for
 * the largest maximum any PDU allows; the per-PDU maximum is checked by
 * unpack and pack.
 */
struct smpp_pdu {
	/* header, §3.2; pack computes command_length, unpack fills it */
	uint32_t command_length;
	uint32_t command_id;
	uint32_t command_status;
	uint32_t sequence_number;
	/* a response with a non-zero status and no body (§4.1.2 etc.) */
	bool body_omitted;

	char system_id[16];
	char password[9];
	char system_type[13];
	uint8_t interface_version;
	uint8_t addr_ton;
	uint8_t addr_npi;
	char address_range[41];
	char service_type[6];
	uint8_t source_addr_ton;
	uint8_t source_addr_npi;
	char source_addr[65];
	uint8_t dest_addr_ton;
	uint8_t dest_addr_npi;
	char destination_addr[65];
	uint8_t esm_class;
	uint8_t protocol_id;
	uint8_t priority_flag;
	char schedule_delivery_time[17];
	char validity_period[17];
	uint8_t registered_delivery;
	uint8_t replace_if_present_flag;
	uint8_t data_coding;
	uint8_t sm_default_msg_id;
	uint8_t sm_length;		/* 0..254 */
	const uint8_t *short_message;	/* borrowed, sm_length octets */
	char message_id[65];
	char final_date[17];
	uint8_t message_state;
	uint8_t error_code;
	uint8_t esme_addr_ton;
	uint8_t esme_addr_npi;
	char esme_addr[65];
	uint8_t number_of_dests;
	struct smpp_dest dests[SMPP_DESTS_MAX];
	uint8_t no_unsuccess;
	struct smpp_unsuccess unsuccess[SMPP_DESTS_MAX];

	unsigned int n_tlv;
	struct smpp_tlv tlv[SMPP_TLV_MAX];
};

/*
 * smpp_frame_len — the pure half of a PDU stream reader (§3.2): read
 * command_length from the first 4 octets of a PDU and check
 * SMPP_HDR_LEN <= command_length <= max before anything is allocated.
 * Out: *len.  Errors: -EINVAL below 16 (answer nothing: the stream is
 * lost, close it), -ERANGE above max.
 */
int smpp_frame_len(const uint8_t hdr[4], uint32_t max, uint32_t *len);

/*
 * smpp_pdu_unpack — decode one whole PDU of len octets (the reader has
 * already framed it with smpp_frame_len()).  Strict: every field within
 * its §4 maximum, the body consumed exactly, known TLVs of their §5.3.2
 * size; unknown TLVs are kept raw (§3.2.4 says ignore them, not reject).
 *
 * Out: *p (borrowing from buf, see the top of this file) and
 * *esme_status, the command_status a response should carry: ESME_ROK on
 * success; ESME_RINVCMDID for an unknown command_id (answer generic_nack);
 * ESME_RINVCMDLEN when command_length is not len, a field runs past the
 * end or octets are left over where no TLV may follow; ESME_RINVMSGLEN for
 * sm_length 255 or past the body; for a C-octet string without its NUL
 * within its maximum, the field's status of SMPP_FIELDS in smpp_def.h
 * (ESME_RINVSRCADR, ESME_RINVDSTADR, ESME_RINVSYSID, ESME_RINVPASWD,
 * ESME_RINVSERTYP, ESME_RINVSYSTYP, ESME_RINVMSGID, ESME_RINVSCHED,
 * ESME_RINVEXPIRY, ...); ESME_RINVNUMDESTS for number_of_dests 0 or 255;
 * ESME_RINVDESTFLAG for a dest_flag other than 1 or 2; in the TLVs
 * (§5.1.3): ESME_RINVOPTPARSTREAM for a truncated TLV header, a value
 * running past the PDU or more than SMPP_TLV_MAX TLVs, ESME_RINVPARLEN for
 * a known TLV of the wrong length, ESME_RINVOPTPARAMVAL for a C-octet TLV
 * not ending with its only NUL, ESME_ROPTPARNOTALLWD for a known TLV given
 * twice or message_payload together with a non-empty short_message
 * (§5.3.2.32: they are mutually exclusive; we refuse rather than guess
 * which one the sender meant).
 *
 * A response whose command_status is not ESME_ROK may come without a body
 * (§4.1.2, §4.4.2, ...): p->body_omitted is then set.
 *
 * Returns 0, or -EIO (too short: the PDU or a field ends early), -EINVAL
 * (invalid or inconsistent), -ERANGE (a count or length out of range).
 * On error the header fields of *p are valid when len >= 16 (for
 * generic_nack's sequence_number) and the rest is unspecified.  Nothing
 * is allocated, so nothing can leak.
 */
int smpp_pdu_unpack(struct smpp_pdu *p, const uint8_t *buf, size_t len,
		    uint32_t *esme_status);

/*
 * smpp_pdu_pack — encode *p into out[0..cap) and fill command_length
 * there.  Refuses (-EINVAL) an unknown command_id, a C-octet string not
 * NUL-terminated within its §4 maximum, sm_length over 254, a count or
 * dest_flag out of range, TLVs on a PDU that takes none, a known TLV of
 * the wrong size, message_payload with a non-empty short_message, and
 * body_omitted on a request or with ESME_ROK.  -ENOSPC when cap is too
 * small.  Returns the PDU length.  pack(unpack(x)) gives back x.
 */
int smpp_pdu_pack(uint8_t *out, size_t cap, const struct smpp_pdu *p);

/* Zero *p and set command_id and sequence_number. */
void smpp_pdu_init(struct smpp_pdu *p, uint32_t command_id, uint32_t seq);

/*
 * Whether a and b decode alike: header, body_omitted, the mandatory
 * fields of their PDU type and the TLVs in order.
 */
bool smpp_pdu_equal(const struct smpp_pdu *a, const struct smpp_pdu *b);

/*
 * The response command_id for a request (0x80000000 | id, §5.1.2), or 0
 * when id is not a request that has a response (unknown, a response,
 * generic_nack, outbind, alert_notification).
 */
uint32_t smpp_resp_id(uint32_t id);

/* Whether id is a command_id of SMPP 3.4 (§5.1.2). */
bool smpp_command_known(uint32_t id);

/* The first TLV with this tag, or NULL. */
const struct smpp_tlv *smpp_tlv_find(const struct smpp_pdu *p, uint16_t tag);

/* The value octets of a TLV (small[] or the borrowed val). */
const uint8_t *smpp_tlv_data(const struct smpp_tlv *t);

/*
 * An integer TLV (1 to 4 octets, big-endian: sar_msg_ref_num,
 * sar_segment_seqnum, source_port, message_state, network_error_code, ...).
 * Out: *v.  Errors: -ENOENT absent, -EINVAL a length outside 1..4.
 */
int smpp_tlv_uint(const struct smpp_pdu *p, uint16_t tag, uint32_t *v);

/*
 * A C-octet string TLV (receipted_message_id, additional_status_info_text).
 * Out: *s, pointing into the TLV.  Errors: -ENOENT, -EINVAL not ending
 * with its only NUL.
 */
int smpp_tlv_cstr(const struct smpp_pdu *p, uint16_t tag, const char **s);

/*
 * Append a TLV whose value is borrowed (len > 4) or copied (len <= 4).
 * Errors: -ENOSPC SMPP_TLV_MAX reached, -ERANGE len over 65535, -EINVAL
 * no value.
 * Sizes are checked by smpp_pdu_pack().
 */
int smpp_tlv_add(struct smpp_pdu *p, uint16_t tag, const void *val, size_t len);

/* Append an integer TLV of size octets (1..4).  Errors as smpp_tlv_add, -EINVAL. */
int smpp_tlv_add_uint(struct smpp_pdu *p, uint16_t tag, uint32_t v, unsigned int size);

/*
 * The user data of a submit_sm / deliver_sm / data_sm: message_payload
 * when present, else short_message.  Out: *data (borrowed), *len.
 */
void smpp_pdu_user_data(const struct smpp_pdu *p, const uint8_t **data, size_t *len);

/* Names for logs: "deliver_sm", "ESME_RINVCMDID", "message_payload";
 * NULL when unknown. */
const char *smpp_command_name(uint32_t id);
const char *smpp_status_name(uint32_t status);
const char *smpp_status_desc(uint32_t status);
const char *smpp_tlv_name(uint16_t tag);

/* Self-check of the tables (a field's maximum fits its member): 0 or -EINVAL. */
int smpp_def_check(void);
