/*
 * smsc_mt.c — the simulator's SMSC taking submit_sm; see smsc_mt.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>
#include <osmocom/core/linuxlist.h>
#include <talloc.h>

#include "contrib/sim/smsc_mt.h"
#include "gateway/sms/udh.h"

#define MT_PART_MAX	133	/* payload octets of a single SMS with the port IE */
#define MT_CPART_MAX	128	/* ... of a concatenated part */
#define MT_PARTS_MAX	8
#define MT_ERRORS_MAX	64	/* errors kept for the summary (all are counted) */
#define MT_ID_LEN	16

/* A concatenated message being put together. */
struct mt_asm {
	struct llist_head list;
	char to[65];
	uint8_t ton, npi, ref, total, got;
	bool receipt;
	struct {
		bool have;
		uint8_t len;
		uint8_t data[MT_PART_MAX];	/* a single SMS holds 133 */
		char id[MT_ID_LEN];
	} part[MT_PARTS_MAX];
};

/* A whole message received. */
struct mt_msg {
	char to[65];
	char from[65];
	uint8_t ton, npi;
	bool concat;
	uint8_t ref;
	unsigned parts;
	size_t len;
	uint8_t sha[32];
	bool receipt;
	unsigned copies;
	char ids[MT_PARTS_MAX][MT_ID_LEN];
};

/* A receipt waiting to be queued. */
struct mt_rcpt {
	struct llist_head list;
	uint64_t due_ms;
	char id[MT_ID_LEN];
	char handset[65], service[65];
	uint8_t ton, npi;
	bool fail;
};

struct mt {
	struct mt_cfg cfg;
	struct smsc *s;
	void *ctx;
	uint64_t submits, taken, throttled, failed_dest, dropped, silent, bad;
	uint64_t receipts_queued, receipts_acked, receipts_refused;
	uint64_t first_taken_us, last_taken_us;	/* wall clock, for rates */
	size_t receipts_waiting, receipts_flight;
	unsigned msgid, n_form;
	struct llist_head asms, rcpts;
	struct mt_msg *msgs;
	size_t n_msgs, cap_msgs;
	char *errors[MT_ERRORS_MAX];
	unsigned n_errors;
	char from[65];			/* the source_addr of the last submit_sm */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The wall clock in microseconds: the summary's times, comparable with the
 * clocks of other processes (a benchmark's). */
static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void mt_error(struct mt *mt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mt_error(struct mt *mt, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (mt->n_errors < MT_ERRORS_MAX)
		mt->errors[mt->n_errors] = talloc_strdup(mt, line);
	mt->n_errors++;
	mt->bad++;
}

/* Whether to is in the comma-separated list. */
static bool listed(const char *list, const char *to)
{
	size_t n = strlen(to);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !memcmp(p, to, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

struct mt *mt_new(void *ctx, const struct mt_cfg *cfg, struct smsc *s)
{
	struct mt *mt = talloc_zero(ctx, struct mt);

	if (!mt)
		return NULL;
	mt->cfg = *cfg;
	mt->s = s;
	mt->ctx = mt;
	INIT_LLIST_HEAD(&mt->asms);
	INIT_LLIST_HEAD(&mt->rcpts);
	return mt;
}

/* ---- booking whole messages ---- */

static struct mt_msg *book_find(struct mt *mt, const char *to, const uint8_t sha[32])
{
	for (size_t i = 0; i < mt->n_msgs; i++)
		if (!strcmp(mt->msgs[i].to, to) && !memcmp(mt->msgs[i].sha, sha, 32))
			return &mt->msgs[i];
	return NULL;
}

/* The last message booked for to, or NULL. */
static const struct mt_msg *book_last(const struct mt *mt, const char *to)
{
	for (size_t i = mt->n_msgs; i-- > 0;)
		if (!strcmp(mt->msgs[i].to, to))
			return &mt->msgs[i];
	return NULL;
}

static void receipts_for(struct mt *mt, const struct mt_msg *m)
{
	if (!m->receipt || mt->cfg.receipts == MT_RECEIPTS_NONE)
		return;
	for (unsigned i = 0; i < m->parts; i++) {
		struct mt_rcpt *r = talloc_zero(mt, struct mt_rcpt);
		if (!r)
			return;
		r->due_ms = now_ms() + mt->cfg.receipt_delay_ms;
		snprintf(r->id, sizeof(r->id), "%s", m->ids[i]);
		snprintf(r->handset, sizeof(r->handset), "%s", m->to);
		snprintf(r->service, sizeof(r->service), "%s", m->from);
		r->ton = m->ton;
		r->npi = m->npi;
		r->fail = listed(mt->cfg.receipt_fail, m->to);
		llist_add_tail(&r->list, &mt->rcpts);
		mt->receipts_waiting++;
	}
}

/* A whole message: data[len] in parts ids[n]. */
static void book(struct mt *mt, const struct mt_asm *a, const uint8_t *data, size_t len)
{
	uint8_t sha[32];
	struct mt_msg *m;

	SHA256(data, len, sha);
	if ((m = book_find(mt, a->to, sha))) {
		m->copies++;		/* the gateway submitted it again */
	} else {
		const struct mt_msg *last = book_last(mt, a->to);
		if (a->total > 1 && last && last->concat && last->ref == a->ref)
			mt_error(mt, "to %s: reference %u used by two messages in a row", a->to, a->ref);
		if (mt->n_msgs == mt->cap_msgs) {
			size_t cap = mt->cap_msgs ? 2 * mt->cap_msgs : 256;
			struct mt_msg *n = talloc_realloc(mt, mt->msgs, struct mt_msg, cap);
			if (!n)
				return;
			mt->msgs = n;
			mt->cap_msgs = cap;
		}
		m = &mt->msgs[mt->n_msgs++];
		memset(m, 0, sizeof(*m));
		snprintf(m->to, sizeof(m->to), "%s", a->to);
		snprintf(m->from, sizeof(m->from), "%s", mt->from);
		m->ton = a->ton;
		m->npi = a->npi;
		m->concat = a->total > 1;
		m->ref = a->ref;
		m->parts = a->total;
		m->len = len;
		memcpy(m->sha, sha, 32);
		m->receipt = a->receipt;
		m->copies = 1;
	}
	for (unsigned i = 0; i < a->total; i++)
		snprintf(m->ids[i], sizeof(m->ids[i]), "%s", a->part[i].id);
	receipts_for(mt, m);
}

/* ---- one part ---- */

/* The part's UDH as downlink.md wants it; its payload offset, or -1. */
static int check_udh(struct mt *mt, const struct smpp_pdu *p, struct udh_concat *c)
{
	struct udh h;
	uint16_t dst, src;
	int hl;

	if (p->data_coding != 0x04)
		mt_error(mt, "to %s: data_coding 0x%02x, not 0x04", p->destination_addr, p->data_coding);
	if (p->registered_delivery > 1)
		mt_error(mt, "to %s: registered_delivery 0x%02x", p->destination_addr,
			 p->registered_delivery);
	if (!(p->esm_class & 0x40)) {
		mt_error(mt, "to %s: esm_class 0x%02x without UDHI", p->destination_addr, p->esm_class);
		return -1;
	}
	hl = udh_parse(&h, p->short_message, p->sm_length);
	if (hl < 0) {
		mt_error(mt, "to %s: the UDH does not parse", p->destination_addr);
		return -1;
	}
	if (udh_ports(&h, &dst, &src) != 16 || dst != mt->cfg.port || src != mt->cfg.port)
		mt_error(mt, "to %s: no 16-bit port IE %u -> %u", p->destination_addr, mt->cfg.port,
			 mt->cfg.port);
	if (udh_concat(&h, c) < 0) {
		*c = (struct udh_concat){ .ref_bits = 8, .total = 1, .seq = 1 };
		if (p->sm_length - hl > MT_PART_MAX)
			mt_error(mt, "to %s: %d payload octets in one SMS", p->destination_addr,
				 p->sm_length - hl);
		return hl;
	}
	if (c->ref_bits != 8 || c->total > MT_PARTS_MAX || p->sm_length - hl > MT_CPART_MAX) {
		mt_error(mt, "to %s: concatenation %u-bit, %u parts, %d octets a part",
			 p->destination_addr, c->ref_bits, c->total, p->sm_length - hl);
		return -1;
	}
	return hl;
}

static struct mt_asm *asm_find(struct mt *mt, const char *to, uint8_t ref)
{
	struct mt_asm *a;

	llist_for_each_entry(a, &mt->asms, list)
		if (a->ref == ref && !strcmp(a->to, to))
			return a;
	return NULL;
}

static void take_part(struct mt *mt, const struct smpp_pdu *p, const char *id)
{
	struct udh_concat c;
	struct mt_asm one = { 0 }, *a = &one;
	int hl = check_udh(mt, p, &c);
	size_t n;

	snprintf(mt->from, sizeof(mt->from), "%s", p->source_addr);
	if (hl < 0)
		return;
	n = (size_t)(p->sm_length - hl);
	if (c.total > 1) {
		a = asm_find(mt, p->destination_addr, (uint8_t)c.ref);
		if (a && (a->total != c.total || (a->part[c.seq - 1].have &&
		    (a->part[c.seq - 1].len != n || memcmp(a->part[c.seq - 1].data, p->short_message + hl, n))))) {
			mt_error(mt, "to %s: reference %u reused while a message with it is incomplete",
				 p->destination_addr, (unsigned)c.ref);
			llist_del(&a->list);
			talloc_free(a);
			a = NULL;
		}
		if (!a) {
			a = talloc_zero(mt, struct mt_asm);
			if (!a)
				return;
			llist_add_tail(&a->list, &mt->asms);
		}
	}
	snprintf(a->to, sizeof(a->to), "%s", p->destination_addr);
	a->ton = p->dest_addr_ton;
	a->npi = p->dest_addr_npi;
	a->ref = (uint8_t)c.ref;
	a->total = c.total;
	a->receipt |= p->registered_delivery & 1;
	if (!a->part[c.seq - 1].have)
		a->got++;
	a->part[c.seq - 1].have = true;
	a->part[c.seq - 1].len = (uint8_t)n;
	memcpy(a->part[c.seq - 1].data, p->short_message + hl, n);
	snprintf(a->part[c.seq - 1].id, sizeof(a->part[0].id), "%s", id);
	if (a->got < a->total)
		return;
	uint8_t whole[MT_PARTS_MAX * MT_CPART_MAX + MT_PART_MAX];
	size_t len = 0;
	for (unsigned i = 0; i < a->total; i++) {
		memcpy(whole + len, a->part[i].data, a->part[i].len);
		len += a->part[i].len;
	}
	book(mt, a, whole, len);
	if (a != &one) {
		llist_del(&a->list);
		talloc_free(a);
	}
}

uint32_t mt_submit(void *data, unsigned conn, const struct smpp_pdu *p, char *message_id, size_t cap)
{
	struct mt *mt = data;

	mt->submits++;
	if (p->command_id != SMPP_SUBMIT_SM)
		return ESME_RINVCMDID;
	if (listed(mt->cfg.fail_dest, p->destination_addr)) {
		mt->failed_dest++;
		return ESME_RINVDSTADR;
	}
	if (mt->cfg.throttle_every && mt->submits % mt->cfg.throttle_every == 0) {
		mt->throttled++;
		return ESME_RTHROTTLED;
	}
	mt->taken++;
	mt->last_taken_us = wall_us();
	if (mt->taken == 1)
		mt->first_taken_us = mt->last_taken_us;
	snprintf(message_id, cap, "mt%07u", ++mt->msgid);
	take_part(mt, p, message_id);
	if (mt->cfg.drop_every && mt->taken % mt->cfg.drop_every == 0) {
		mt->dropped++;
		return SMSC_DROP;
	}
	if (mt->cfg.silent_every && mt->taken % mt->cfg.silent_every == 0) {
		mt->silent++;
		return SMSC_NO_ANSWER;
	}
	return ESME_ROK;
}

/* ---- receipts ---- */

static void receipt_pdu(struct mt *mt, const struct mt_rcpt *r, struct smpp_pdu *p, char *text,
			size_t cap)
{
	bool tlv = mt->cfg.form == MT_FORM_TLV || (mt->cfg.form == MT_FORM_MIX && mt->n_form++ % 2);
	const char *stat = r->fail ? "UNDELIV" : "DELIVRD";

	smpp_pdu_init(p, SMPP_DELIVER_SM, 0);
	p->source_addr_ton = r->ton;
	p->source_addr_npi = r->npi;
	snprintf(p->source_addr, sizeof(p->source_addr), "%s", r->handset);
	p->dest_addr_ton = 0;
	p->dest_addr_npi = 1;
	snprintf(p->destination_addr, sizeof(p->destination_addr), "%s", r->service);
	p->esm_class = 0x04;
	if (tlv) {
		smpp_tlv_add(p, SMPP_TLV_RECEIPTED_MESSAGE_ID, r->id, strlen(r->id) + 1);
		smpp_tlv_add_uint(p, SMPP_TLV_MESSAGE_STATE, r->fail ? 5 : 2, 1);
		if (r->fail)
			smpp_tlv_add_uint(p, SMPP_TLV_NETWORK_ERROR_CODE, 0x030001, 3);
		return;
	}
	/* SMPP 3.4 Appendix B */
	snprintf(text, cap, "id:%s sub:001 dlvrd:%s submit date:2611252200 done date:2611252201 "
		 "stat:%s err:%s text:", r->id, r->fail ? "000" : "001", stat, r->fail ? "001" : "000");
	p->short_message = (const uint8_t *)text;
	p->sm_length = (uint8_t)strlen(text);
}

void mt_poll(struct mt *mt)
{
	uint64_t now = now_ms();
	struct mt_rcpt *r, *tmp;

	llist_for_each_entry_safe(r, tmp, &mt->rcpts, list) {
		struct smpp_pdu p;
		uint8_t buf[512];
		char text[200];

		if (r->due_ms > now)
			continue;
		receipt_pdu(mt, r, &p, text, sizeof(text));
		int n = smpp_pdu_pack(buf, sizeof(buf), &p);
		if (n < 0 || smsc_queue(mt->s, buf, (size_t)n, MT_RECEIPT_TAG | mt->receipts_queued) < 0)
			mt_error(mt, "cannot queue a receipt");
		else
			mt->receipts_flight++;
		mt->receipts_queued++;
		mt->receipts_waiting--;
		llist_del(&r->list);
		talloc_free(r);
	}
}

void mt_receipt_done(struct mt *mt, uint64_t tag, uint32_t status)
{
	mt->receipts_flight--;
	if (status == ESME_ROK)
		mt->receipts_acked++;
	else
		mt->receipts_refused++;
}

size_t mt_pending(const struct mt *mt)
{
	return mt->receipts_waiting + mt->receipts_flight;
}

uint64_t mt_taken(const struct mt *mt)
{
	return mt->taken;
}

/* ---- the summary ---- */

void mt_summary(struct mt *mt, struct jw *w)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
#define F(x) { #x, offsetof(struct mt, x) }
		F(submits), F(taken), F(throttled), F(failed_dest), F(dropped), F(silent), F(bad),
		F(receipts_queued), F(receipts_acked), F(receipts_refused),
		F(first_taken_us), F(last_taken_us),
#undef F
	};

	jw_key(w, "mt");
	jw_obj_open(w);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		jw_kuint(w, f[i].name, *(const uint64_t *)((const char *)mt + f[i].off));
	jw_kuint(w, "incomplete", (uint64_t)llist_count(&mt->asms));
	jw_key(w, "errors");
	jw_arr_open(w);
	for (unsigned i = 0; i < mt->n_errors && i < MT_ERRORS_MAX; i++)
		jw_str(w, mt->errors[i]);
	jw_arr_close(w);
	jw_key(w, "messages");
	jw_arr_open(w);
	for (size_t i = 0; i < mt->n_msgs; i++) {
		const struct mt_msg *m = &mt->msgs[i];
		jw_obj_open(w);
		jw_kstr(w, "to", m->to);
		jw_kuint(w, "ton", m->ton);
		jw_kuint(w, "npi", m->npi);
		jw_kstr(w, "from", m->from);
		jw_kuint(w, "parts", m->parts);
		jw_kuint(w, "len", m->len);
		jw_khex(w, "sha256", m->sha, 32);
		jw_kbool(w, "receipt", m->receipt);
		jw_kuint(w, "copies", m->copies);
		jw_key(w, "ids");
		jw_arr_open(w);
		for (unsigned k = 0; k < m->parts; k++)
			jw_str(w, m->ids[k]);
		jw_arr_close(w);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_obj_close(w);
}

void mt_print(const struct mt *mt, FILE *out)
{
	fprintf(out, "txgw-smsc-sim: submit_sm %" PRIu64 ": taken %" PRIu64 ", throttled %" PRIu64
		", refused %" PRIu64 ", dropped %" PRIu64 ", unanswered %" PRIu64 "; %zu messages; "
		"receipts %" PRIu64 " (%" PRIu64 " acked); %u errors\n", mt->submits, mt->taken,
		mt->throttled, mt->failed_dest, mt->dropped, mt->silent, mt->n_msgs,
		mt->receipts_queued, mt->receipts_acked, mt->n_errors);
}
