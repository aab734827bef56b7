/*
 * smpp_gen.c — random valid SMPP 3.4 PDUs of every type for the codec
 * tests.  The §4 field tables are written here once more, independently
 * of smpp_def.h, so that a slip in either shows as a failed round trip.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smpp/smpp_pdu.h"
#include "tests/unit/smpp_test.h"

/* A random C-octet string of 0..max-1 characters, biased to the bounds. */
static void rnd_str(struct rng *g, char *dst, size_t max)
{
	size_t n;

	switch (rnd_below(g, 4)) {
	case 0: n = 0; break;
	case 1: n = max - 1; break;
	default: n = rnd_below(g, (uint32_t)max); break;
	}
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)(1 + rnd_below(g, 255));
	dst[n] = 0;
}

static void rnd_sm(struct rng *g, struct smpp_pdu *p, uint8_t *store)
{
	p->sm_length = (uint8_t)(rnd_below(g, 3) ? rnd_below(g, 255) : 254);
	for (unsigned int i = 0; i < p->sm_length; i++)
		store[i] = (uint8_t)rnd(g);
	p->short_message = p->sm_length ? store : NULL;
}

/* The §4 field tables once more, written independently of smpp_def.h. */
static void rnd_addr(struct rng *g, uint8_t *ton, uint8_t *npi, char *addr, size_t max)
{
	*ton = (uint8_t)rnd(g);
	*npi = (uint8_t)rnd(g);
	rnd_str(g, addr, max);
}

static void rnd_sm_tail(struct rng *g, struct smpp_pdu *p, size_t tmax, uint8_t *store)
{
	p->esm_class = (uint8_t)rnd(g);
	p->protocol_id = (uint8_t)rnd(g);
	p->priority_flag = (uint8_t)rnd(g);
	rnd_str(g, p->schedule_delivery_time, tmax);
	rnd_str(g, p->validity_period, tmax);
	p->registered_delivery = (uint8_t)rnd(g);
	p->replace_if_present_flag = (uint8_t)rnd(g);
	p->data_coding = (uint8_t)rnd(g);
	p->sm_default_msg_id = (uint8_t)rnd(g);
	rnd_sm(g, p, store);
}

static void rnd_dests(struct rng *g, struct smpp_pdu *p)
{
	p->number_of_dests = (uint8_t)(1 + rnd_below(g, rnd_below(g, 8) ? 4 : 254));
	for (unsigned int i = 0; i < p->number_of_dests; i++) {
		struct smpp_dest *d = &p->dests[i];

		d->dest_flag = (uint8_t)(1 + rnd_below(g, 2));
		if (d->dest_flag == SMPP_DEST_SME) {
			d->dest_addr_ton = (uint8_t)rnd(g);
			d->dest_addr_npi = (uint8_t)rnd(g);
		}
		rnd_str(g, d->address, 21);
	}
}

static void rnd_unsuccess(struct rng *g, struct smpp_pdu *p)
{
	p->no_unsuccess = (uint8_t)rnd_below(g, rnd_below(g, 8) ? 4 : 255);
	for (unsigned int i = 0; i < p->no_unsuccess; i++) {
		struct smpp_unsuccess *u = &p->unsuccess[i];

		rnd_addr(g, &u->dest_addr_ton, &u->dest_addr_npi, u->destination_addr, 21);
		u->error_status_code = rnd(g);
	}
}

static void rnd_bind(struct rng *g, struct smpp_pdu *p)
{
	rnd_str(g, p->system_id, 16);
	rnd_str(g, p->password, 9);
	rnd_str(g, p->system_type, 13);
	p->interface_version = (uint8_t)rnd(g);
	rnd_addr(g, &p->addr_ton, &p->addr_npi, p->address_range, 41);
}

static void rnd_mandatory(struct rng *g, struct smpp_pdu *p, uint8_t *store)
{
	switch (p->command_id) {
	case SMPP_BIND_RECEIVER: case SMPP_BIND_TRANSMITTER: case SMPP_BIND_TRANSCEIVER:
		rnd_bind(g, p);
		break;
	case SMPP_BIND_RECEIVER_RESP: case SMPP_BIND_TRANSMITTER_RESP:
	case SMPP_BIND_TRANSCEIVER_RESP:
		rnd_str(g, p->system_id, 16);
		break;
	case SMPP_OUTBIND:
		rnd_str(g, p->system_id, 16);
		rnd_str(g, p->password, 9);
		break;
	case SMPP_SUBMIT_SM: case SMPP_DELIVER_SM:
		rnd_str(g, p->service_type, 6);
		rnd_addr(g, &p->source_addr_ton, &p->source_addr_npi, p->source_addr, 21);
		rnd_addr(g, &p->dest_addr_ton, &p->dest_addr_npi, p->destination_addr, 21);
		rnd_sm_tail(g, p, p->command_id == SMPP_SUBMIT_SM ? 17 : 1, store);
		break;
	case SMPP_SUBMIT_MULTI:
		rnd_str(g, p->service_type, 6);
		rnd_addr(g, &p->source_addr_ton, &p->source_addr_npi, p->source_addr, 21);
		rnd_dests(g, p);
		rnd_sm_tail(g, p, 17, store);
		break;
	case SMPP_SUBMIT_MULTI_RESP:
		rnd_str(g, p->message_id, 65);
		rnd_unsuccess(g, p);
		break;
	case SMPP_SUBMIT_SM_RESP: case SMPP_DATA_SM_RESP:
		rnd_str(g, p->message_id, 65);
		break;
	case SMPP_DELIVER_SM_RESP:
		rnd_str(g, p->message_id, 1);
		break;
	case SMPP_DATA_SM:
		rnd_str(g, p->service_type, 6);
		rnd_addr(g, &p->source_addr_ton, &p->source_addr_npi, p->source_addr, 65);
		rnd_addr(g, &p->dest_addr_ton, &p->dest_addr_npi, p->destination_addr, 65);
		p->esm_class = (uint8_t)rnd(g);
		p->registered_delivery = (uint8_t)rnd(g);
		p->data_coding = (uint8_t)rnd(g);
		break;
	case SMPP_QUERY_SM:
		rnd_str(g, p->message_id, 65);
		rnd_addr(g, &p->source_addr_ton, &p->source_addr_npi, p->source_addr, 21);
		break;
	case SMPP_QUERY_SM_RESP:
		rnd_str(g, p->message_id, 65);
		rnd_str(g, p->final_date, 17);
		p->message_state = (uint8_t)rnd(g);
		p->error_code = (uint8_t)rnd(g);
		break;
	case SMPP_CANCEL_SM:
		rnd_str(g, p->service_type, 6);
		rnd_str(g, p->message_id, 65);
		rnd_addr(g, &p->source_addr_ton, &p->source_addr_npi, p->source_addr, 21);
		rnd_addr(g, &p->dest_addr_ton, &p->dest_addr_npi, p->destination_addr, 21);
		break;
	case SMPP_REPLACE_SM:
		rnd_str(g, p->message_id, 65);
		rnd_addr(g, &p->source_addr_ton, &p->source_addr_npi, p->source_addr, 21);
		rnd_str(g, p->schedule_delivery_time, 17);
		rnd_str(g, p->validity_period, 17);
		p->registered_delivery = (uint8_t)rnd(g);
		p->sm_default_msg_id = (uint8_t)rnd(g);
		rnd_sm(g, p, store);
		break;
	case SMPP_ALERT_NOTIFICATION:
		rnd_addr(g, &p->source_addr_ton, &p->source_addr_npi, p->source_addr, 65);
		rnd_addr(g, &p->esme_addr_ton, &p->esme_addr_npi, p->esme_addr, 65);
		break;
	default:		/* header only */
		break;
	}
}

/* PDUs that may carry TLVs in SMPP 3.4 (§4). */
static bool takes_tlvs(uint32_t id)
{
	switch (id) {
	case SMPP_BIND_RECEIVER_RESP: case SMPP_BIND_TRANSMITTER_RESP:
	case SMPP_BIND_TRANSCEIVER_RESP: case SMPP_SUBMIT_SM: case SMPP_SUBMIT_MULTI:
	case SMPP_DELIVER_SM: case SMPP_DATA_SM: case SMPP_DATA_SM_RESP:
	case SMPP_ALERT_NOTIFICATION:
		return true;
	default:
		return false;
	}
}

static void rnd_tlvs(struct rng *g, struct smpp_pdu *p, uint8_t *store, size_t cap)
{
	static const struct { uint16_t tag; uint8_t size; } ints[] = {
		{ SMPP_TLV_SAR_MSG_REF_NUM, 2 }, { SMPP_TLV_SAR_TOTAL_SEGMENTS, 1 },
		{ SMPP_TLV_SAR_SEGMENT_SEQNUM, 1 }, { SMPP_TLV_SOURCE_PORT, 2 },
		{ SMPP_TLV_DESTINATION_PORT, 2 }, { SMPP_TLV_USER_MESSAGE_REFERENCE, 2 },
		{ SMPP_TLV_MESSAGE_STATE, 1 }, { SMPP_TLV_NETWORK_ERROR_CODE, 3 },
		{ SMPP_TLV_QOS_TIME_TO_LIVE, 4 }, { SMPP_TLV_PAYLOAD_TYPE, 1 },
	};
	unsigned int n = rnd_below(g, 6);
	size_t used = 0;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = rnd_below(g, sizeof(ints) / sizeof(ints[0]) + 3);
		uint16_t len;

		if (k < sizeof(ints) / sizeof(ints[0])) {
			if (!smpp_tlv_find(p, ints[k].tag))
				smpp_tlv_add_uint(p, ints[k].tag, rnd(g), ints[k].size);
			continue;
		}
		/* vendor TLVs (unknown: raw), or message_payload when no sm */
		len = (uint16_t)rnd_below(g, k == sizeof(ints) / sizeof(ints[0]) ? 2000 : 40);
		if (used + len > cap)
			break;
		for (unsigned int j = 0; j < len; j++)
			store[used + j] = (uint8_t)rnd(g);
		if (k == sizeof(ints) / sizeof(ints[0]) && !p->sm_length &&
		    !smpp_tlv_find(p, SMPP_TLV_MESSAGE_PAYLOAD))
			smpp_tlv_add(p, SMPP_TLV_MESSAGE_PAYLOAD, store + used, len);
		else
			smpp_tlv_add(p, (uint16_t)(0x1400 + rnd_below(g, 0x100)), store + used, len);
		used += len;
	}
}

void smpp_gen_pdu(struct rng *g, struct smpp_pdu *p, uint32_t id, struct smpp_gen_store *s)
{
	smpp_pdu_init(p, id, rnd(g));
	p->command_status = rnd_below(g, 4) ? 0 : rnd(g);
	rnd_mandatory(g, p, s->sm);
	if (takes_tlvs(id))
		rnd_tlvs(g, p, s->tlv, sizeof(s->tlv));
}
