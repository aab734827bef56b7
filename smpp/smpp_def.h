/*
 * smpp_def.h — the SMPP 3.4 tables (specification issue 1.2, 12-Oct-1999),
 * as X-macro lists.  Data only: the pack and unpack engines in smpp_pdu.c
 * and the names in smpp_names.c expand them; no logic lives here.
 *
 * Included by smpp_pdu.h for the constants; a user of the codec need not
 * read further than that header.
 */
#pragma once

/*
 * Command ids, §5.1.2 table 5-1.  X(SYM, name, id, body, tlvs): body names
 * an SMPP_BODY_<body> list below; tlvs is 1 when §4 lists optional
 * parameters for the PDU (they may follow the mandatory fields).
 */
#define SMPP_COMMANDS(X) \
	X(GENERIC_NACK, generic_nack, 0x80000000, NONE, 0) \
	X(BIND_RECEIVER, bind_receiver, 0x00000001, BIND, 0) \
	X(BIND_RECEIVER_RESP, bind_receiver_resp, 0x80000001, BIND_RESP, 1) \
	X(BIND_TRANSMITTER, bind_transmitter, 0x00000002, BIND, 0) \
	X(BIND_TRANSMITTER_RESP, bind_transmitter_resp, 0x80000002, BIND_RESP, 1) \
	X(QUERY_SM, query_sm, 0x00000003, QUERY_SM, 0) \
	X(QUERY_SM_RESP, query_sm_resp, 0x80000003, QUERY_SM_RESP, 0) \
	X(SUBMIT_SM, submit_sm, 0x00000004, SUBMIT_SM, 1) \
	X(SUBMIT_SM_RESP, submit_sm_resp, 0x80000004, MESSAGE_ID, 0) \
	X(DELIVER_SM, deliver_sm, 0x00000005, DELIVER_SM, 1) \
	X(DELIVER_SM_RESP, deliver_sm_resp, 0x80000005, DELIVER_SM_RESP, 0) \
	X(UNBIND, unbind, 0x00000006, NONE, 0) \
	X(UNBIND_RESP, unbind_resp, 0x80000006, NONE, 0) \
	X(REPLACE_SM, replace_sm, 0x00000007, REPLACE_SM, 0) \
	X(REPLACE_SM_RESP, replace_sm_resp, 0x80000007, NONE, 0) \
	X(CANCEL_SM, cancel_sm, 0x00000008, CANCEL_SM, 0) \
	X(CANCEL_SM_RESP, cancel_sm_resp, 0x80000008, NONE, 0) \
	X(BIND_TRANSCEIVER, bind_transceiver, 0x00000009, BIND, 0) \
	X(BIND_TRANSCEIVER_RESP, bind_transceiver_resp, 0x80000009, BIND_RESP, 1) \
	X(OUTBIND, outbind, 0x0000000B, OUTBIND, 0) \
	X(ENQUIRE_LINK, enquire_link, 0x00000015, NONE, 0) \
	X(ENQUIRE_LINK_RESP, enquire_link_resp, 0x80000015, NONE, 0) \
	X(SUBMIT_MULTI, submit_multi, 0x00000021, SUBMIT_MULTI, 1) \
	X(SUBMIT_MULTI_RESP, submit_multi_resp, 0x80000021, SUBMIT_MULTI_RESP, 0) \
	X(ALERT_NOTIFICATION, alert_notification, 0x00000102, ALERT_NOTIFICATION, 1) \
	X(DATA_SM, data_sm, 0x00000103, DATA_SM, 1) \
	X(DATA_SM_RESP, data_sm_resp, 0x80000103, MESSAGE_ID, 1)

/*
 * Command status codes, §5.1.3 table 5-2.  X(SYM, value, description).
 */
#define SMPP_STATUSES(X) \
	X(ESME_ROK, 0x00, "No error") \
	X(ESME_RINVMSGLEN, 0x01, "Message length is invalid") \
	X(ESME_RINVCMDLEN, 0x02, "Command length is invalid") \
	X(ESME_RINVCMDID, 0x03, "Invalid command ID") \
	X(ESME_RINVBNDSTS, 0x04, "Incorrect bind status for given command") \
	X(ESME_RALYBND, 0x05, "ESME already in bound state") \
	X(ESME_RINVPRTFLG, 0x06, "Invalid priority flag") \
	X(ESME_RINVREGDLVFLG, 0x07, "Invalid registered delivery flag") \
	X(ESME_RSYSERR, 0x08, "System error") \
	X(ESME_RINVSRCADR, 0x0A, "Invalid source address") \
	X(ESME_RINVDSTADR, 0x0B, "Invalid destination address") \
	X(ESME_RINVMSGID, 0x0C, "Message ID is invalid") \
	X(ESME_RBINDFAIL, 0x0D, "Bind failed") \
	X(ESME_RINVPASWD, 0x0E, "Invalid password") \
	X(ESME_RINVSYSID, 0x0F, "Invalid system ID") \
	X(ESME_RCANCELFAIL, 0x11, "cancel_sm failed") \
	X(ESME_RREPLACEFAIL, 0x13, "replace_sm failed") \
	X(ESME_RMSGQFUL, 0x14, "Message queue full") \
	X(ESME_RINVSERTYP, 0x15, "Invalid service type") \
	X(ESME_RINVNUMDESTS, 0x33, "Invalid number of destinations") \
	X(ESME_RINVDLNAME, 0x34, "Invalid distribution list name") \
	X(ESME_RINVDESTFLAG, 0x40, "Destination flag is invalid") \
	X(ESME_RINVSUBREP, 0x42, "Invalid submit with replace request") \
	X(ESME_RINVESMCLASS, 0x43, "Invalid esm_class field data") \
	X(ESME_RCNTSUBDL, 0x44, "Cannot submit to distribution list") \
	X(ESME_RSUBMITFAIL, 0x45, "submit_sm or submit_multi failed") \
	X(ESME_RINVSRCTON, 0x48, "Invalid source address TON") \
	X(ESME_RINVSRCNPI, 0x49, "Invalid source address NPI") \
	X(ESME_RINVDSTTON, 0x50, "Invalid destination address TON") \
	X(ESME_RINVDSTNPI, 0x51, "Invalid destination address NPI") \
	X(ESME_RINVSYSTYP, 0x53, "Invalid system_type field") \
	X(ESME_RINVREPFLAG, 0x54, "Invalid replace_if_present flag") \
	X(ESME_RINVNUMMSGS, 0x55, "Invalid number of messages") \
	X(ESME_RTHROTTLED, 0x58, "Throttling error") \
	X(ESME_RINVSCHED, 0x61, "Invalid scheduled delivery time") \
	X(ESME_RINVEXPIRY, 0x62, "Invalid message validity period") \
	X(ESME_RINVDFTMSGID, 0x63, "Predefined message invalid or not found") \
	X(ESME_RX_T_APPN, 0x64, "ESME receiver temporary app error") \
	X(ESME_RX_P_APPN, 0x65, "ESME receiver permanent app error") \
	X(ESME_RX_R_APPN, 0x66, "ESME receiver reject message error") \
	X(ESME_RQUERYFAIL, 0x67, "query_sm request failed") \
	X(ESME_RINVOPTPARSTREAM, 0xC0, "Error in the optional part of the PDU body") \
	X(ESME_ROPTPARNOTALLWD, 0xC1, "Optional parameter not allowed") \
	X(ESME_RINVPARLEN, 0xC2, "Invalid parameter length") \
	X(ESME_RMISSINGOPTPARAM, 0xC3, "Expected optional parameter missing") \
	X(ESME_RINVOPTPARAMVAL, 0xC4, "Invalid optional parameter value") \
	X(ESME_RDELIVERYFAILURE, 0xFE, "Delivery failure") \
	X(ESME_RUNKNOWNERR, 0xFF, "Unknown error")

/*
 * Optional parameters (TLVs), §5.3.2: the tag table and the clause of each
 * parameter.  X(SYM, name, tag, kind, min, max): kind INT (a big-endian
 * integer of exactly min = max octets), OCTET (min..max octets) or COCTET (a C-octet
 * string of 1..max octets including its NUL, which must be the last octet).
 */
#define SMPP_TLVS(X) \
	X(DEST_ADDR_SUBUNIT, dest_addr_subunit, 0x0005, INT, 1, 1)           /* §5.3.2.1 */ \
	X(DEST_NETWORK_TYPE, dest_network_type, 0x0006, INT, 1, 1)           /* §5.3.2.3 */ \
	X(DEST_BEARER_TYPE, dest_bearer_type, 0x0007, INT, 1, 1)             /* §5.3.2.5 */ \
	X(DEST_TELEMATICS_ID, dest_telematics_id, 0x0008, INT, 2, 2)         /* §5.3.2.7 */ \
	X(SOURCE_ADDR_SUBUNIT, source_addr_subunit, 0x000D, INT, 1, 1)       /* §5.3.2.2 */ \
	X(SOURCE_NETWORK_TYPE, source_network_type, 0x000E, INT, 1, 1)       /* §5.3.2.4 */ \
	X(SOURCE_BEARER_TYPE, source_bearer_type, 0x000F, INT, 1, 1)         /* §5.3.2.6 */ \
	X(SOURCE_TELEMATICS_ID, source_telematics_id, 0x0010, INT, 1, 1)     /* §5.3.2.8 */ \
	X(QOS_TIME_TO_LIVE, qos_time_to_live, 0x0017, INT, 4, 4)             /* §5.3.2.9 */ \
	X(PAYLOAD_TYPE, payload_type, 0x0019, INT, 1, 1)                     /* §5.3.2.10 */ \
	X(ADDITIONAL_STATUS_INFO_TEXT, additional_status_info_text, 0x001D, COCTET, 1, 256) /* §5.3.2.11 */ \
	X(RECEIPTED_MESSAGE_ID, receipted_message_id, 0x001E, COCTET, 1, 65) /* §5.3.2.12 */ \
	X(MS_MSG_WAIT_FACILITIES, ms_msg_wait_facilities, 0x0030, INT, 1, 1) /* §5.3.2.13 */ \
	X(PRIVACY_INDICATOR, privacy_indicator, 0x0201, INT, 1, 1)           /* §5.3.2.14 */ \
	X(SOURCE_SUBADDRESS, source_subaddress, 0x0202, OCTET, 2, 23)        /* §5.3.2.15 */ \
	X(DEST_SUBADDRESS, dest_subaddress, 0x0203, OCTET, 2, 23)            /* §5.3.2.16 */ \
	X(USER_MESSAGE_REFERENCE, user_message_reference, 0x0204, INT, 2, 2) /* §5.3.2.17 */ \
	X(USER_RESPONSE_CODE, user_response_code, 0x0205, INT, 1, 1)         /* §5.3.2.18 */ \
	X(SOURCE_PORT, source_port, 0x020A, INT, 2, 2)                       /* §5.3.2.20 */ \
	X(DESTINATION_PORT, destination_port, 0x020B, INT, 2, 2)             /* §5.3.2.21 */ \
	X(SAR_MSG_REF_NUM, sar_msg_ref_num, 0x020C, INT, 2, 2)               /* §5.3.2.22 */ \
	X(LANGUAGE_INDICATOR, language_indicator, 0x020D, INT, 1, 1)         /* §5.3.2.19 */ \
	X(SAR_TOTAL_SEGMENTS, sar_total_segments, 0x020E, INT, 1, 1)         /* §5.3.2.23 */ \
	X(SAR_SEGMENT_SEQNUM, sar_segment_seqnum, 0x020F, INT, 1, 1)         /* §5.3.2.24 */ \
	X(SC_INTERFACE_VERSION, sc_interface_version, 0x0210, INT, 1, 1)     /* §5.3.2.25 */ \
	X(CALLBACK_NUM_PRES_IND, callback_num_pres_ind, 0x0302, INT, 1, 1)   /* §5.3.2.37 */ \
	X(CALLBACK_NUM_ATAG, callback_num_atag, 0x0303, OCTET, 0, 65)        /* §5.3.2.38 */ \
	X(NUMBER_OF_MESSAGES, number_of_messages, 0x0304, INT, 1, 1)         /* §5.3.2.39 */ \
	X(CALLBACK_NUM, callback_num, 0x0381, OCTET, 4, 19)                  /* §5.3.2.36 */ \
	X(DPF_RESULT, dpf_result, 0x0420, INT, 1, 1)                         /* §5.3.2.28 */ \
	X(SET_DPF, set_dpf, 0x0421, INT, 1, 1)                               /* §5.3.2.29 */ \
	X(MS_AVAILABILITY_STATUS, ms_availability_status, 0x0422, INT, 1, 1) /* §5.3.2.30 */ \
	X(NETWORK_ERROR_CODE, network_error_code, 0x0423, INT, 3, 3)         /* §5.3.2.31 */ \
	X(MESSAGE_PAYLOAD, message_payload, 0x0424, OCTET, 0, 65535)         /* §5.3.2.32 */ \
	X(DELIVERY_FAILURE_REASON, delivery_failure_reason, 0x0425, INT, 1, 1) /* §5.3.2.33 */ \
	X(MORE_MESSAGES_TO_SEND, more_messages_to_send, 0x0426, INT, 1, 1)   /* §5.3.2.34 */ \
	X(MESSAGE_STATE, message_state, 0x0427, INT, 1, 1)                   /* §5.3.2.35 */ \
	X(USSD_SERVICE_OP, ussd_service_op, 0x0501, INT, 1, 1)               /* §5.3.2.44 */ \
	X(DISPLAY_TIME, display_time, 0x1201, INT, 1, 1)                     /* §5.3.2.26 */ \
	X(SMS_SIGNAL, sms_signal, 0x1203, INT, 2, 2)                         /* §5.3.2.40 */ \
	X(MS_VALIDITY, ms_validity, 0x1204, INT, 1, 1)                       /* §5.3.2.27 */ \
	X(ALERT_ON_MESSAGE_DELIVERY, alert_on_message_delivery, 0x130C, OCTET, 0, 0) /* §5.3.2.41 */ \
	X(ITS_REPLY_TYPE, its_reply_type, 0x1380, INT, 1, 1)                 /* §5.3.2.42 */ \
	X(ITS_SESSION_INFO, its_session_info, 0x1383, INT, 2, 2)             /* §5.3.2.43 */

/*
 * Mandatory fields: every field any PDU of §4 carries, once.
 * X(SYM, member, kind, status): member names the struct smpp_pdu member;
 * kind INT1 (one octet), COCTET (C-octet string), SM (sm_length then
 * short_message), DESTS (number_of_dests then the dest_address list of
 * submit_multi) or UNSUCCESS (no_unsuccess then the unsuccess_sme list of
 * submit_multi_resp); status is the SMPP status a response carries when
 * the field is invalid (a C-octet string without its NUL within its
 * maximum, a count out of range).  A field cut short by the end of the PDU
 * is ESME_RINVCMDLEN whatever the field; an INT1 can fail no other way.
 */
#define SMPP_FIELDS(X) \
	X(SYSTEM_ID, system_id, COCTET, ESME_RINVSYSID) \
	X(PASSWORD, password, COCTET, ESME_RINVPASWD) \
	X(SYSTEM_TYPE, system_type, COCTET, ESME_RINVSYSTYP) \
	X(INTERFACE_VERSION, interface_version, INT1, ESME_RINVCMDLEN) \
	X(ADDR_TON, addr_ton, INT1, ESME_RINVCMDLEN) \
	X(ADDR_NPI, addr_npi, INT1, ESME_RINVCMDLEN) \
	X(ADDRESS_RANGE, address_range, COCTET, ESME_RBINDFAIL) \
	X(SERVICE_TYPE, service_type, COCTET, ESME_RINVSERTYP) \
	X(SOURCE_ADDR_TON, source_addr_ton, INT1, ESME_RINVCMDLEN) \
	X(SOURCE_ADDR_NPI, source_addr_npi, INT1, ESME_RINVCMDLEN) \
	X(SOURCE_ADDR, source_addr, COCTET, ESME_RINVSRCADR) \
	X(DEST_ADDR_TON, dest_addr_ton, INT1, ESME_RINVCMDLEN) \
	X(DEST_ADDR_NPI, dest_addr_npi, INT1, ESME_RINVCMDLEN) \
	X(DESTINATION_ADDR, destination_addr, COCTET, ESME_RINVDSTADR) \
	X(ESM_CLASS, esm_class, INT1, ESME_RINVCMDLEN) \
	X(PROTOCOL_ID, protocol_id, INT1, ESME_RINVCMDLEN) \
	X(PRIORITY_FLAG, priority_flag, INT1, ESME_RINVCMDLEN) \
	X(SCHEDULE_DELIVERY_TIME, schedule_delivery_time, COCTET, ESME_RINVSCHED) \
	X(VALIDITY_PERIOD, validity_period, COCTET, ESME_RINVEXPIRY) \
	X(REGISTERED_DELIVERY, registered_delivery, INT1, ESME_RINVCMDLEN) \
	X(REPLACE_IF_PRESENT_FLAG, replace_if_present_flag, INT1, ESME_RINVCMDLEN) \
	X(DATA_CODING, data_coding, INT1, ESME_RINVCMDLEN) \
	X(SM_DEFAULT_MSG_ID, sm_default_msg_id, INT1, ESME_RINVCMDLEN) \
	X(SHORT_MESSAGE, sm_length, SM, ESME_RINVMSGLEN) \
	X(MESSAGE_ID, message_id, COCTET, ESME_RINVMSGID) \
	X(FINAL_DATE, final_date, COCTET, ESME_RSYSERR) \
	X(MESSAGE_STATE, message_state, INT1, ESME_RINVCMDLEN) \
	X(ERROR_CODE, error_code, INT1, ESME_RINVCMDLEN) \
	X(ESME_ADDR_TON, esme_addr_ton, INT1, ESME_RINVCMDLEN) \
	X(ESME_ADDR_NPI, esme_addr_npi, INT1, ESME_RINVCMDLEN) \
	X(ESME_ADDR, esme_addr, COCTET, ESME_RINVDSTADR) \
	X(DEST_ADDRESSES, number_of_dests, DESTS, ESME_RINVNUMDESTS) \
	X(UNSUCCESS_SMES, no_unsuccess, UNSUCCESS, ESME_RINVNUMDESTS)

/*
 * PDU bodies: the ordered mandatory fields of each PDU, F(FIELD, max),
 * max being the size in octets the §4 table gives (for a C-octet string,
 * including its NUL).
 */
#define SMPP_BODY_NONE(F)	/* §4.1.6, §4.2, §4.3, §4.9.2, §4.10.2, §4.11 */

/* §4.1.1 bind_transmitter, §4.1.3 bind_receiver, §4.1.5 bind_transceiver */
#define SMPP_BODY_BIND(F) \
	F(SYSTEM_ID, 16) F(PASSWORD, 9) F(SYSTEM_TYPE, 13) \
	F(INTERFACE_VERSION, 1) F(ADDR_TON, 1) F(ADDR_NPI, 1) \
	F(ADDRESS_RANGE, 41)

/* §4.1.2, §4.1.4, §4.1.6: bind_*_resp (optional sc_interface_version) */
#define SMPP_BODY_BIND_RESP(F) F(SYSTEM_ID, 16)

/* §4.1.7 outbind */
#define SMPP_BODY_OUTBIND(F) F(SYSTEM_ID, 16) F(PASSWORD, 9)

/*
 * §4.4.1 submit_sm, §4.5.1 submit_multi and §4.6.1 deliver_sm share their
 * tail from esm_class on; tmax is the size of schedule_delivery_time and
 * validity_period (17, but 1 in deliver_sm where they "must be set to
 * NULL").
 */
#define SMPP_BODY_SM_TAIL(F, tmax) \
	F(ESM_CLASS, 1) F(PROTOCOL_ID, 1) F(PRIORITY_FLAG, 1) \
	F(SCHEDULE_DELIVERY_TIME, tmax) F(VALIDITY_PERIOD, tmax) \
	F(REGISTERED_DELIVERY, 1) F(REPLACE_IF_PRESENT_FLAG, 1) \
	F(DATA_CODING, 1) F(SM_DEFAULT_MSG_ID, 1) F(SHORT_MESSAGE, 254)

/* §4.4.1 submit_sm */
#define SMPP_BODY_SUBMIT_SM(F) \
	F(SERVICE_TYPE, 6) F(SOURCE_ADDR_TON, 1) F(SOURCE_ADDR_NPI, 1) \
	F(SOURCE_ADDR, 21) F(DEST_ADDR_TON, 1) F(DEST_ADDR_NPI, 1) \
	F(DESTINATION_ADDR, 21) SMPP_BODY_SM_TAIL(F, 17)

/* §4.4.2 submit_sm_resp, §4.7.2 data_sm_resp (with TLVs) */
#define SMPP_BODY_MESSAGE_ID(F) F(MESSAGE_ID, 65)

/*
 * §4.5.1 submit_multi: number_of_dests (1..254, §4.5.1) dest_address
 * structures of §4.5.1.1 follow source_addr.
 */
#define SMPP_BODY_SUBMIT_MULTI(F) \
	F(SERVICE_TYPE, 6) F(SOURCE_ADDR_TON, 1) F(SOURCE_ADDR_NPI, 1) \
	F(SOURCE_ADDR, 21) F(DEST_ADDRESSES, 254) SMPP_BODY_SM_TAIL(F, 17)

/* §4.5.2 submit_multi_resp: unsuccess_sme structures of §4.5.2.1 */
#define SMPP_BODY_SUBMIT_MULTI_RESP(F) F(MESSAGE_ID, 65) F(UNSUCCESS_SMES, 254)

/* §4.6.1 deliver_sm: the submit_sm layout, times of size 1 (see above) */
#define SMPP_BODY_DELIVER_SM(F) \
	F(SERVICE_TYPE, 6) F(SOURCE_ADDR_TON, 1) F(SOURCE_ADDR_NPI, 1) \
	F(SOURCE_ADDR, 21) F(DEST_ADDR_TON, 1) F(DEST_ADDR_NPI, 1) \
	F(DESTINATION_ADDR, 21) SMPP_BODY_SM_TAIL(F, 1)

/* §4.6.2 deliver_sm_resp: message_id "unused and set to NULL" (size 1) */
#define SMPP_BODY_DELIVER_SM_RESP(F) F(MESSAGE_ID, 1)

/* §4.7.1 data_sm: addresses up to 65 octets, no short_message */
#define SMPP_BODY_DATA_SM(F) \
	F(SERVICE_TYPE, 6) F(SOURCE_ADDR_TON, 1) F(SOURCE_ADDR_NPI, 1) \
	F(SOURCE_ADDR, 65) F(DEST_ADDR_TON, 1) F(DEST_ADDR_NPI, 1) \
	F(DESTINATION_ADDR, 65) F(ESM_CLASS, 1) F(REGISTERED_DELIVERY, 1) \
	F(DATA_CODING, 1)

/* §4.8.1 query_sm */
#define SMPP_BODY_QUERY_SM(F) \
	F(MESSAGE_ID, 65) F(SOURCE_ADDR_TON, 1) F(SOURCE_ADDR_NPI, 1) \
	F(SOURCE_ADDR, 21)

/* §4.8.2 query_sm_resp */
#define SMPP_BODY_QUERY_SM_RESP(F) \
	F(MESSAGE_ID, 65) F(FINAL_DATE, 17) F(MESSAGE_STATE, 1) F(ERROR_CODE, 1)

/* §4.9.1 cancel_sm */
#define SMPP_BODY_CANCEL_SM(F) \
	F(SERVICE_TYPE, 6) F(MESSAGE_ID, 65) F(SOURCE_ADDR_TON, 1) \
	F(SOURCE_ADDR_NPI, 1) F(SOURCE_ADDR, 21) F(DEST_ADDR_TON, 1) \
	F(DEST_ADDR_NPI, 1) F(DESTINATION_ADDR, 21)

/* §4.10.1 replace_sm */
#define SMPP_BODY_REPLACE_SM(F) \
	F(MESSAGE_ID, 65) F(SOURCE_ADDR_TON, 1) F(SOURCE_ADDR_NPI, 1) \
	F(SOURCE_ADDR, 21) F(SCHEDULE_DELIVERY_TIME, 17) \
	F(VALIDITY_PERIOD, 17) F(REGISTERED_DELIVERY, 1) \
	F(SM_DEFAULT_MSG_ID, 1) F(SHORT_MESSAGE, 254)

/* §4.12.1 alert_notification (optional ms_availability_status) */
#define SMPP_BODY_ALERT_NOTIFICATION(F) \
	F(SOURCE_ADDR_TON, 1) F(SOURCE_ADDR_NPI, 1) F(SOURCE_ADDR, 65) \
	F(ESME_ADDR_TON, 1) F(ESME_ADDR_NPI, 1) F(ESME_ADDR, 65)

/* Every body list above, for the engine to instantiate once each. */
#define SMPP_BODIES(X) \
	X(NONE) X(BIND) X(BIND_RESP) X(OUTBIND) X(SUBMIT_SM) X(MESSAGE_ID) \
	X(SUBMIT_MULTI) X(SUBMIT_MULTI_RESP) X(DELIVER_SM) X(DELIVER_SM_RESP) \
	X(DATA_SM) X(QUERY_SM) X(QUERY_SM_RESP) X(CANCEL_SM) X(REPLACE_SM) \
	X(ALERT_NOTIFICATION)
