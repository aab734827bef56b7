/*
 * test_smpp_libsmpp34 — a second opinion on our SMPP 3.4 codec from
 * libsmpp34 (Debian libsmpp34-dev), within libsmpp34's known-good
 * envelope: strings within their maximum, short_message, TLVs of at most
 * 1024 octets.  Random deliver_sm, submit_sm, bind_* and enquire_link(+resp)
 * PDUs are packed by one codec and unpacked by the other, fields compared;
 * both packers must give the same octets.
 *
 * Where libsmpp34 bites (see smpp_pdu.h), the last tests show it: a
 * message_payload over 1024 octets that only we unpack, and a fixed-size
 * TLV of the wrong length that only we refuse.
 *
 * TXGW_TEST_SEED=<n> replays a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/cmocka_main.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Ours first: libsmpp34 then #defines ESME_ROK etc. to the same values. */
#include "smpp/smpp_pdu.h"
#include "tests/unit/smpp_test.h"

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>
#include <smpp34_heap.h>


/* A printable string of 0..max-1 characters. */
static void rnd_str(struct rng *g, char *dst, size_t max)
{
	size_t n = rnd_below(g, 3) ? rnd_below(g, (uint32_t)max) : max - 1;

	for (size_t i = 0; i < n; i++)
		dst[i] = (char)(0x21 + rnd_below(g, 0x5e));
	dst[n] = 0;
}

/*
 * libsmpp34 refuses TON and NPI values outside the §5.2.5 and §5.2.6
 * lists, so its envelope holds only those.
 */
static uint8_t rnd_ton(struct rng *g)
{
	return (uint8_t)rnd_below(g, 7);
}

static uint8_t rnd_npi(struct rng *g)
{
	static const uint8_t npi[] = { 0, 1, 3, 4, 6, 8, 9, 10, 14, 18 };

	return npi[rnd_below(g, sizeof(npi))];
}

/* Every buffer one round uses; the PDUs borrow from it. */
struct round {
	struct smpp_pdu p, q;
	uint8_t sm[256];
	uint8_t tlv[2048];
	uint8_t ours[4096], theirs[4096];
	int ours_len, theirs_len;
};

/* ---- the PDU fields both codecs name alike --------------------------- */

#define SM_STRINGS(X) \
	X(service_type) X(source_addr) X(destination_addr) \
	X(schedule_delivery_time) X(validity_period)
#define SM_INTS(X) \
	X(source_addr_ton) X(source_addr_npi) X(dest_addr_ton) X(dest_addr_npi) \
	X(esm_class) X(protocol_id) X(priority_flag) X(registered_delivery) \
	X(replace_if_present_flag) X(data_coding) X(sm_default_msg_id) X(sm_length)
#define BIND_STRINGS(X) X(system_id) X(password) X(system_type) X(address_range)
#define BIND_INTS(X) X(interface_version) X(addr_ton) X(addr_npi)

#define TO_THEM_STR(f) strcpy((char *)t->f, p->f);
#define TO_THEM_INT(f) t->f = p->f;
#define CMP_STR(f) assert_string_equal((const char *)t->f, p->f);
#define CMP_INT(f) assert_int_equal(t->f, p->f);

/* TLVs libsmpp34 knows in deliver_sm and submit_sm: tag and integer size. */
static const struct {
	uint16_t tag;
	uint8_t size;
} int_tlvs[] = {
	{ SMPP_TLV_USER_MESSAGE_REFERENCE, 2 }, { SMPP_TLV_SOURCE_PORT, 2 },
	{ SMPP_TLV_DESTINATION_PORT, 2 }, { SMPP_TLV_SAR_MSG_REF_NUM, 2 },
	{ SMPP_TLV_SAR_TOTAL_SEGMENTS, 1 }, { SMPP_TLV_SAR_SEGMENT_SEQNUM, 1 },
	{ SMPP_TLV_PAYLOAD_TYPE, 1 }, { SMPP_TLV_LANGUAGE_INDICATOR, 1 },
};
#define N_INT_TLVS (sizeof(int_tlvs) / sizeof(int_tlvs[0]))

static void rnd_tlvs(struct rng *g, struct round *r)
{
	size_t used = 0;

	for (unsigned int n = rnd_below(g, 5); n; n--) {
		unsigned int k = rnd_below(g, N_INT_TLVS + 2);
		uint16_t len;

		if (k < N_INT_TLVS) {
			if (!smpp_tlv_find(&r->p, int_tlvs[k].tag))
				smpp_tlv_add_uint(&r->p, int_tlvs[k].tag,
						  rnd(g), int_tlvs[k].size);
			continue;
		}
		/* message_payload (no short_message) or a vendor TLV, <= 1024 */
		len = (uint16_t)(5 + rnd_below(g, 1020));
		if (used + len > sizeof(r->tlv))
			break;
		for (unsigned int i = 0; i < len; i++)
			r->tlv[used + i] = (uint8_t)rnd(g);
		if (k == N_INT_TLVS && !r->p.sm_length &&
		    !smpp_tlv_find(&r->p, SMPP_TLV_MESSAGE_PAYLOAD))
			smpp_tlv_add(&r->p, SMPP_TLV_MESSAGE_PAYLOAD, r->tlv + used, len);
		else if (!smpp_tlv_find(&r->p, 0x1400 + (uint16_t)k))
			smpp_tlv_add(&r->p, 0x1400 + (uint16_t)k, r->tlv + used, len);
		used += len;
	}
}

static void rnd_sm_pdu(struct rng *g, struct round *r, uint32_t id)
{
	struct smpp_pdu *p = &r->p;
	size_t tmax = id == SMPP_SUBMIT_SM ? 17 : 1;

	smpp_pdu_init(p, id, 1 + rnd_below(g, 0x7ffffffe));
	rnd_str(g, p->service_type, 6);
	rnd_str(g, p->source_addr, 21);
	rnd_str(g, p->destination_addr, 21);
	rnd_str(g, p->schedule_delivery_time, tmax);
	rnd_str(g, p->validity_period, tmax);
#define X(f) p->f = (uint8_t)rnd(g);
	SM_INTS(X)
#undef X
	p->source_addr_ton = rnd_ton(g);
	p->source_addr_npi = rnd_npi(g);
	p->dest_addr_ton = rnd_ton(g);
	p->dest_addr_npi = rnd_npi(g);
	/* 0..253: libsmpp34 refuses 254 (test_libsmpp34_sm_254) */
	p->sm_length = (uint8_t)(rnd_below(g, 4) ? rnd_below(g, 254) : 0);
	for (unsigned int i = 0; i < p->sm_length; i++)
		r->sm[i] = (uint8_t)rnd(g);
	p->short_message = p->sm_length ? r->sm : NULL;
	rnd_tlvs(g, r);
}

static void rnd_bind_pdu(struct rng *g, struct round *r, uint32_t id)
{
	struct smpp_pdu *p = &r->p;

	smpp_pdu_init(p, id, 1 + rnd_below(g, 0x7ffffffe));
	rnd_str(g, p->system_id, 16);
	rnd_str(g, p->password, 9);
	rnd_str(g, p->system_type, 13);
	rnd_str(g, p->address_range, 41);
#define X(f) p->f = (uint8_t)rnd(g);
	BIND_INTS(X)
#undef X
	p->addr_ton = rnd_ton(g);
	p->addr_npi = rnd_npi(g);
	p->interface_version = 0x34;
}

/* ---- TLVs: our array against libsmpp34's list ------------------------ */

static uint32_t their_uint(const tlv_t *t)
{
	switch (t->length) {
	case 1: return t->value.val08;
	case 2: return t->value.val16;
	default: return t->value.val32;
	}
}

/* libsmpp34's unpack lists the TLVs last first (see their_tlvs()). */
static void cmp_tlvs(const tlv_t *list, const struct smpp_pdu *p)
{
	unsigned int i = p->n_tlv;
	const tlv_t *t;

	smpp34_tlv_for_each(t, list) {
		const struct smpp_tlv *o;
		uint32_t v;

		assert_true(i > 0);
		o = &p->tlv[--i];
		assert_int_equal(t->tag, o->tag);
		assert_int_equal(t->length, o->len);
		if (smpp_tlv_uint(p, o->tag, &v) == 0 && o->len <= 4 && o->len != 3)
			assert_int_equal(their_uint(t), v);
		else
			assert_memory_equal(t->value.octet, smpp_tlv_data(o), o->len);
	}
	assert_int_equal(i, 0);
}

/*
 * Build libsmpp34's TLV list from ours; the caller destroy_tlv()s it.
 * build_tlv() puts each new node at the head, hence the reverse order.
 */
static tlv_t *their_tlvs(const struct smpp_pdu *p)
{
	tlv_t *list = NULL;

	for (unsigned int i = p->n_tlv; i-- > 0;) {
		const struct smpp_tlv *o = &p->tlv[i];
		tlv_t t;
		uint32_t v = 0;

		memset(&t, 0, sizeof(t));
		t.tag = o->tag;
		t.length = o->len;
		if (o->len == 1 || o->len == 2) {
			smpp_tlv_uint(p, o->tag, &v);
			if (o->len == 1)
				t.value.val08 = (uint8_t)v;
			else
				t.value.val16 = (uint16_t)v;
		} else {
			memcpy(t.value.octet, smpp_tlv_data(o), o->len);
		}
		assert_int_equal(build_tlv(&list, &t), 0);
	}
	return list;
}

/* ---- one round per PDU type: both directions ------------------------- */

static void header_to_them(uint32_t *h, const struct smpp_pdu *p)
{
	/* command_length, command_id, command_status, sequence_number */
	h[0] = 0;
	h[1] = p->command_id;
	h[2] = p->command_status;
	h[3] = p->sequence_number;
}

/* libsmpp34's pack, its error text shown when it fails. */
static void their_pack(uint32_t id, struct round *r, void *t)
{
	if (smpp34_pack(id, r->theirs, sizeof(r->theirs), &r->theirs_len, t))
		fail_msg("smpp34_pack: %s", smpp34_strerror);
}

/* libsmpp34's unpack of our octets. */
static void their_unpack(uint32_t id, struct round *r, void *t)
{
	if (smpp34_unpack(id, t, r->ours, r->ours_len))
		fail_msg("smpp34_unpack: %s", smpp34_strerror);
}

/* Our pack against theirs, then each unpacks the other's octets. */
static void cross_check(struct round *r)
{
	uint32_t st;

	assert_true(r->theirs_len > 0);
	assert_int_equal(r->ours_len, r->theirs_len);
	assert_memory_equal(r->ours, r->theirs, (size_t)r->ours_len);
	assert_int_equal(smpp_pdu_unpack(&r->q, r->theirs, (size_t)r->theirs_len, &st), 0);
	assert_true(smpp_pdu_equal(&r->q, &r->p));
}

/*
 * deliver_sm_t and submit_sm_t name the same fields but lay them out
 * apart (schedule_delivery_time is 1 or 17 octets): one round for both,
 * driven by their offsets.
 */
enum { N_SM_STRINGS = 5, N_SM_INTS = 12 };

struct sm_layout {
	uint32_t id;
	size_t str[N_SM_STRINGS], ints[N_SM_INTS], sm, tlv;
};

#define OFF_OURS(f) offsetof(struct smpp_pdu, f),
#define OFF_DELIVER(f) offsetof(deliver_sm_t, f),
#define OFF_SUBMIT(f) offsetof(submit_sm_t, f),

static const struct sm_layout ours_layout = {
	0, { SM_STRINGS(OFF_OURS) }, { SM_INTS(OFF_OURS) }, 0, 0,
};
static const struct sm_layout deliver_layout = {
	DELIVER_SM, { SM_STRINGS(OFF_DELIVER) }, { SM_INTS(OFF_DELIVER) },
	offsetof(deliver_sm_t, short_message), offsetof(deliver_sm_t, tlv),
};
static const struct sm_layout submit_layout = {
	SUBMIT_SM, { SM_STRINGS(OFF_SUBMIT) }, { SM_INTS(OFF_SUBMIT) },
	offsetof(submit_sm_t, short_message), offsetof(submit_sm_t, tlv),
};

union sm_them {
	deliver_sm_t d;
	submit_sm_t s;
};

static void sm_to_them(union sm_them *u, const struct sm_layout *l, const struct round *r)
{
	uint8_t *t = (uint8_t *)u;
	const uint8_t *o = (const uint8_t *)&r->p;
	tlv_t *list = their_tlvs(&r->p);

	memset(u, 0, sizeof(*u));
	header_to_them(&u->d.command_length, &r->p);
	for (size_t i = 0; i < N_SM_STRINGS; i++)
		strcpy((char *)t + l->str[i], (const char *)o + ours_layout.str[i]);
	for (size_t i = 0; i < N_SM_INTS; i++)
		t[l->ints[i]] = o[ours_layout.ints[i]];
	memcpy(t + l->sm, r->sm, r->p.sm_length);
	memcpy(t + l->tlv, &list, sizeof(list));
}

static void sm_cmp_them(union sm_them *u, const struct sm_layout *l, const struct round *r)
{
	const uint8_t *t = (const uint8_t *)u;
	const uint8_t *o = (const uint8_t *)&r->p;
	tlv_t *list;

	assert_int_equal(u->d.sequence_number, r->p.sequence_number);
	for (size_t i = 0; i < N_SM_STRINGS; i++)
		assert_string_equal((const char *)t + l->str[i],
				    (const char *)o + ours_layout.str[i]);
	for (size_t i = 0; i < N_SM_INTS; i++)
		assert_int_equal(t[l->ints[i]], o[ours_layout.ints[i]]);
	assert_memory_equal(t + l->sm, r->sm, r->p.sm_length);
	memcpy(&list, t + l->tlv, sizeof(list));
	cmp_tlvs(list, &r->p);
	destroy_tlv(list);
}

static void round_sm(struct rng *g, struct round *r, const struct sm_layout *l)
{
	union sm_them out, in;
	tlv_t *list;

	rnd_sm_pdu(g, r, l->id);
	sm_to_them(&out, l, r);
	r->ours_len = smpp_pdu_pack(r->ours, sizeof(r->ours), &r->p);
	their_pack(l->id, r, &out);
	memcpy(&list, (uint8_t *)&out + l->tlv, sizeof(list));
	destroy_tlv(list);
	cross_check(r);

	memset(&in, 0, sizeof(in));
	their_unpack(l->id, r, &in);
	sm_cmp_them(&in, l, r);
}

/* bind_transmitter_t, bind_receiver_t and bind_transceiver_t share a layout. */
static void round_bind(struct rng *g, struct round *r, uint32_t id)
{
	bind_transmitter_t out, in;
	bind_transmitter_t *t = &out;
	const struct smpp_pdu *p = &r->p;

	rnd_bind_pdu(g, r, id);
	memset(&out, 0, sizeof(out));
	header_to_them(&out.command_length, p);
	BIND_STRINGS(TO_THEM_STR)
	BIND_INTS(TO_THEM_INT)
	r->ours_len = smpp_pdu_pack(r->ours, sizeof(r->ours), p);
	their_pack(id, r, &out);
	cross_check(r);

	memset(&in, 0, sizeof(in));
	their_unpack(id, r, &in);
	t = &in;
	assert_int_equal(in.command_id, id);
	BIND_STRINGS(CMP_STR)
	BIND_INTS(CMP_INT)
}

static void round_enquire_link(struct rng *g, struct round *r, uint32_t id)
{
	enquire_link_t out, in;

	smpp_pdu_init(&r->p, id, 1 + rnd_below(g, 0x7ffffffe));
	memset(&out, 0, sizeof(out));
	header_to_them(&out.command_length, &r->p);
	r->ours_len = smpp_pdu_pack(r->ours, sizeof(r->ours), &r->p);
	their_pack(id, r, &out);
	cross_check(r);
	memset(&in, 0, sizeof(in));
	their_unpack(id, r, &in);
	assert_int_equal(in.command_length, 16);
	assert_int_equal(in.command_id, id);
	assert_int_equal(in.sequence_number, r->p.sequence_number);
}


static void test_random_against_libsmpp34(void **state)
{
	struct round *r = calloc(1, sizeof(*r));
	struct rng g = { test_seed() };
	unsigned int n[4] = { 0 };
	clock_t t0 = clock();

	assert_non_null(r);
	for (unsigned int it = 0; it < 4000; it++) {
		switch (it % 8) {
		case 0: case 1: case 2:
			round_sm(&g, r, &deliver_layout);
			n[0]++;
			break;
		case 3: case 4:
			round_sm(&g, r, &submit_layout);
			n[1]++;
			break;
		case 5: case 6:
			round_bind(&g, r, (uint32_t[]){ SMPP_BIND_TRANSMITTER,
				SMPP_BIND_RECEIVER, SMPP_BIND_TRANSCEIVER }[rnd_below(&g, 3)]);
			n[2]++;
			break;
		default:
			round_enquire_link(&g, r, rnd_below(&g, 2) ? SMPP_ENQUIRE_LINK
							: SMPP_ENQUIRE_LINK_RESP);
			n[3]++;
			break;
		}
		if (clock() - t0 > 3 * CLOCKS_PER_SEC)
			break;
	}
	printf("test_smpp_libsmpp34: deliver_sm %u, submit_sm %u, bind %u, "
	       "enquire_link %u rounds\n", n[0], n[1], n[2], n[3]);
	assert_true(n[0] >= 30 && n[1] >= 20 && n[2] >= 20 && n[3] >= 10);
	free(r);
}

/* ---- where libsmpp34 bites ------------------------------------------- */

/*
 * libsmpp34 allocates its TLV nodes through these, so that the test can
 * count what it leaves behind, and free it (LeakSanitizer stays quiet).
 */
enum { LIVE_MAX = 512 };
static void *live[LIVE_MAX];

static void *track(void *ptr)
{
	for (size_t i = 0; ptr && i < LIVE_MAX; i++) {
		if (!live[i]) {
			live[i] = ptr;
			return ptr;
		}
	}
	return ptr;
}

static void untrack(void *ptr)
{
	for (size_t i = 0; ptr && i < LIVE_MAX; i++)
		if (live[i] == ptr)
			live[i] = NULL;
}

static void *t_malloc(size_t sz)
{
	return track(malloc(sz));
}

static void *t_realloc(void *ptr, size_t sz)
{
	void *n = realloc(ptr, sz);

	if (n) {
		untrack(ptr);
		track(n);
	}
	return n;
}

static void t_free(void *ptr)
{
	untrack(ptr);
	free(ptr);
}

/* How many allocations are live; free them when asked. */
static unsigned int live_count(bool release)
{
	unsigned int n = 0;

	for (size_t i = 0; i < LIVE_MAX; i++) {
		if (!live[i])
			continue;
		n++;
		if (release) {
			free(live[i]);
			live[i] = NULL;
		}
	}
	return n;
}

/* A deliver_sm that we pack (sm_length 0, the data in message_payload). */
static int pack_payload_pdu(uint8_t *out, size_t cap, const uint8_t *payload, size_t n)
{
	struct smpp_pdu p;

	smpp_pdu_init(&p, SMPP_DELIVER_SM, 1);
	strcpy(p.source_addr, "447700900123");
	strcpy(p.destination_addr, "16354");
	p.data_coding = 4;
	smpp_tlv_add_uint(&p, SMPP_TLV_SAR_MSG_REF_NUM, 7, 2);
	smpp_tlv_add(&p, SMPP_TLV_MESSAGE_PAYLOAD, payload, n);
	return smpp_pdu_pack(out, cap, &p);
}

static void test_libsmpp34_payload_over_1024(void **state)
{
	static uint8_t payload[1500], buf[2048];
	deliver_sm_t in;
	struct smpp_pdu p;
	const uint8_t *ud;
	size_t udlen;
	uint32_t st;
	int len, rc;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	live_count(true);
	len = pack_payload_pdu(buf, sizeof(buf), payload, 1024);
	memset(&in, 0, sizeof(in));
	assert_int_equal(smpp34_unpack(DELIVER_SM, &in, buf, len), 0);
	destroy_tlv(in.tlv);
	assert_int_equal(live_count(false), 0);

	len = pack_payload_pdu(buf, sizeof(buf), payload, sizeof(payload));
	assert_int_equal(smpp_pdu_unpack(&p, buf, (size_t)len, &st), 0);
	smpp_pdu_user_data(&p, &ud, &udlen);
	assert_int_equal(udlen, sizeof(payload));
	assert_memory_equal(ud, payload, sizeof(payload));

	memset(&in, 0, sizeof(in));
	rc = smpp34_unpack(DELIVER_SM, &in, buf, len);
	destroy_tlv(in.tlv);
	printf("libsmpp34: message_payload of %zu octets: unpack %s, %u allocation(s) "
	       "left behind\n", sizeof(payload), rc ? "FAILS" : "works", live_count(false));
	live_count(true);
}

static void test_libsmpp34_tlv_length_unchecked(void **state)
{
	/* deliver_sm ending with sar_msg_ref_num of length 1 (§5.3.2.22 says 2) */
	static const char bad[] =
		"\x00\x00\x00\x2f" "\x00\x00\x00\x05" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
		"\0" "\x01" "\x01" "447\0" "\x00" "\x00" "9\0"
		"\x00" "\x00" "\x00" "\0" "\0" "\x00" "\x00" "\x00" "\x00" "\x00"
		"\x02\x0c" "\x00\x01" "\x07" "\x02\x0e" "\x00\x01" "\x02";
	struct smpp_pdu p;
	deliver_sm_t in;
	uint32_t st;
	int rc;

	assert_int_equal(smpp_pdu_unpack(&p, (const uint8_t *)bad, sizeof(bad) - 1, &st),
			 -EINVAL);
	assert_int_equal(st, ESME_RINVPARLEN);
	live_count(true);
	memset(&in, 0, sizeof(in));
	rc = smpp34_unpack(DELIVER_SM, &in, (const uint8_t *)bad, sizeof(bad) - 1);
	printf("libsmpp34: sar_msg_ref_num of length 1: unpack %s",
	       rc ? "fails" : "ACCEPTS it");
	if (!rc && in.tlv)
		printf(" (reads value 0x%04x)", in.tlv->value.val16);
	destroy_tlv(in.tlv);
	printf(", %u allocation(s) left behind\n", live_count(true));
}

/* §4.4.1 allows a short_message of 254 octets. */
static void test_libsmpp34_sm_254(void **state)
{
	static uint8_t sm[254], ours[512], theirs[512];
	struct smpp_pdu p, q;
	deliver_sm_t t;
	uint32_t st;
	int len, theirs_len = 0, rc, rc2;

	smpp_pdu_init(&p, SMPP_DELIVER_SM, 1);
	memset(sm, 'x', sizeof(sm));
	p.sm_length = sizeof(sm);
	p.short_message = sm;
	len = smpp_pdu_pack(ours, sizeof(ours), &p);
	assert_true(len > 0);
	assert_int_equal(smpp_pdu_unpack(&q, ours, (size_t)len, &st), 0);
	assert_true(smpp_pdu_equal(&p, &q));

	memset(&t, 0, sizeof(t));
	t.command_id = DELIVER_SM;
	t.sequence_number = 1;
	t.sm_length = sizeof(sm);
	memcpy(t.short_message, sm, sizeof(sm));
	rc = smpp34_pack(DELIVER_SM, theirs, sizeof(theirs), &theirs_len, &t);
	memset(&t, 0, sizeof(t));
	rc2 = smpp34_unpack(DELIVER_SM, &t, ours, len);
	destroy_tlv(t.tlv);
	printf("libsmpp34: short_message of 254 octets: pack %s, unpack of ours %s\n",
	       rc ? "FAILS" : "works", rc2 ? "FAILS" : "works");
	live_count(true);
}

int main(int argc, char **argv)
{
	static const struct smpp34_memory_functions mf = { t_malloc, t_realloc, t_free };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_libsmpp34),
		cmocka_unit_test(test_libsmpp34_payload_over_1024),
		cmocka_unit_test(test_libsmpp34_tlv_length_unchecked),
		cmocka_unit_test(test_libsmpp34_sm_254),
	};

	smpp34_set_memory_functions(&mf);
	test_args(argc, argv);
	return test_done(cmocka_run_group_tests(tests, NULL, NULL));
}
