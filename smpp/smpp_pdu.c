/*
 * smpp_pdu.c — the SMPP 3.4 pack and unpack engines, driven by the tables
 * of smpp_def.h.  Every read goes through the bounds-checked cursor
 * (cursor.h); nothing is allocated; see smpp_pdu.h for the contract.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "gateway/lib/cursor.h"
#include "smpp/smpp_pdu.h"

/* How a mandatory field is coded (see SMPP_FIELDS in smpp_def.h). */
enum field_kind {
	K_INT1,
	K_COCTET,
	K_SM,
	K_DESTS,
	K_UNSUCCESS,
};

enum field_id {
#define X(sym, member, kind, st) F_##sym,
	SMPP_FIELDS(X)
#undef X
	F__END
};

struct field_def {
	uint16_t off;		/* of the member in struct smpp_pdu */
	uint16_t size;		/* of the member */
	uint8_t kind;
	uint32_t status;	/* ESME status when the field is invalid */
};

static const struct field_def fields[] = {
#define X(sym, member, kind, st) \
	[F_##sym] = { offsetof(struct smpp_pdu, member), \
		      sizeof(((struct smpp_pdu *)0)->member), K_##kind, st },
	SMPP_FIELDS(X)
#undef X
};

/* One mandatory field of a PDU body: which, and its §4 maximum size. */
struct fref {
	uint8_t id;
	uint8_t max;
};

#define FREF(id, max) { F_##id, max },
#define BODY(b) static const struct fref body_##b[] = { SMPP_BODY_##b(FREF) { F__END, 0 } };
SMPP_BODIES(BODY)
#undef BODY
#undef FREF

struct cmd_def {
	uint32_t id;
	const struct fref *body;
	bool tlvs;		/* optional parameters may follow (§4) */
};

static const struct cmd_def cmds[] = {
#define X(sym, name, id, body, tlvs) { id, body_##body, tlvs },
	SMPP_COMMANDS(X)
#undef X
};

enum tlv_kind {
	T_INT,
	T_OCTET,
	T_COCTET,
};

struct tlv_def {
	uint16_t tag;
	uint8_t kind;
	uint16_t min, max;
};

static const struct tlv_def tlv_defs[] = {
#define X(sym, name, tag, kind, min, max) { tag, T_##kind, min, max },
	SMPP_TLVS(X)
#undef X
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def *cmd_find(uint32_t id)
{
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++)
		if (cmds[i].id == id)
			return &cmds[i];
	return NULL;
}

static const struct tlv_def *tlv_def_find(uint16_t tag)
{
	for (size_t i = 0; i < ARRAY_LEN(tlv_defs); i++)
		if (tlv_defs[i].tag == tag)
			return &tlv_defs[i];
	return NULL;
}

bool smpp_command_known(uint32_t id)
{
	return cmd_find(id) != NULL;
}

uint32_t smpp_resp_id(uint32_t id)
{
	/* §5.1.2: a response id is the request id with bit 31 set; outbind
	 * (§4.1.7) and alert_notification (§4.12) have no response. */
	if ((id & 0x80000000u) || !cmd_find(id) || id == SMPP_OUTBIND ||
	    id == SMPP_ALERT_NOTIFICATION)
		return 0;
	return id | 0x80000000u;
}

int smpp_frame_len(const uint8_t hdr[4], uint32_t max, uint32_t *len)
{
	uint32_t l = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		     (uint32_t)hdr[2] << 8 | hdr[3];

	/* §3.2: command_length counts the whole PDU, header included. */
	if (l < SMPP_HDR_LEN)
		return -EINVAL;
	if (l > max)
		return -ERANGE;
	*len = l;
	return 0;
}

void smpp_pdu_init(struct smpp_pdu *p, uint32_t command_id, uint32_t seq)
{
	memset(p, 0, sizeof(*p));
	p->command_id = command_id;
	p->sequence_number = seq;
}

int smpp_def_check(void)
{
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++) {
		for (const struct fref *f = cmds[i].body; f->id != F__END; f++) {
			const struct field_def *fd = &fields[f->id];

			if (fd->kind == K_COCTET && (f->max == 0 || f->max > fd->size))
				return -EINVAL;
		}
	}
	return 0;
}

/* ---- unpack ---------------------------------------------------------- */

/* Where the cursor failed: cut short (-EIO, ESME_RINVCMDLEN) or invalid. */
static int fail(struct rd *r, uint32_t bad, uint32_t *st)
{
	*st = r->err == -EIO ? ESME_RINVCMDLEN : bad;
	return r->err;
}

/* A C-octet string of at most max octets with its NUL into dst[size]. */
static int unpack_cstr(struct rd *r, char *dst, size_t size, size_t max,
		       uint32_t bad, uint32_t *st)
{
	const char *s;
	size_t n;

	if (rd_cstr(r, max, &s, &n))
		return fail(r, bad, st);
	if (n + 1 > size) {	/* a table error; smpp_def_check() catches it */
		*st = ESME_RSYSERR;
		return -EINVAL;
	}
	memcpy(dst, s, n + 1);
	return 0;
}

/* sm_length and short_message (§4.4.1): 0..254 octets within the body. */
static int unpack_sm(struct rd *r, struct smpp_pdu *p, uint32_t *st)
{
	if (rd_u8(r, &p->sm_length))
		return fail(r, 0, st);
	if (p->sm_length > SMPP_SM_MAX) {
		*st = ESME_RINVMSGLEN;
		return -ERANGE;
	}
	if (rd_bytes(r, p->sm_length, &p->short_message)) {
		*st = ESME_RINVMSGLEN;
		return -EIO;
	}
	if (!p->sm_length)
		p->short_message = NULL;
	return 0;
}

/* One dest_address (§4.5.1.1): an SME address or a distribution list. */
static int unpack_dest(struct rd *r, struct smpp_dest *d, uint32_t *st)
{
	if (rd_u8(r, &d->dest_flag))
		return fail(r, 0, st);
	switch (d->dest_flag) {
	case SMPP_DEST_SME:
		rd_u8(r, &d->dest_addr_ton);
		rd_u8(r, &d->dest_addr_npi);
		return unpack_cstr(r, d->address, sizeof(d->address), 21,
				   ESME_RINVDSTADR, st);
	case SMPP_DEST_DL:
		return unpack_cstr(r, d->address, sizeof(d->address), 21,
				   ESME_RINVDLNAME, st);
	default:
		*st = ESME_RINVDESTFLAG;
		return -EINVAL;
	}
}

/* number_of_dests (1..254, §4.5.1) and the dest_address list. */
static int unpack_dests(struct rd *r, struct smpp_pdu *p, uint32_t *st)
{
	if (rd_u8(r, &p->number_of_dests))
		return fail(r, 0, st);
	if (p->number_of_dests == 0 || p->number_of_dests > SMPP_DESTS_MAX) {
		*st = ESME_RINVNUMDESTS;
		return -ERANGE;
	}
	for (unsigned int i = 0; i < p->number_of_dests; i++) {
		int rc = unpack_dest(r, &p->dests[i], st);
		if (rc)
			return rc;
	}
	return 0;
}

/* no_unsuccess (0..254) and the unsuccess_sme list (§4.5.2.1). */
static int unpack_unsuccess(struct rd *r, struct smpp_pdu *p, uint32_t *st)
{
	if (rd_u8(r, &p->no_unsuccess))
		return fail(r, 0, st);
	if (p->no_unsuccess > SMPP_DESTS_MAX) {
		*st = ESME_RINVNUMDESTS;
		return -ERANGE;
	}
	for (unsigned int i = 0; i < p->no_unsuccess; i++) {
		struct smpp_unsuccess *u = &p->unsuccess[i];
		int rc;

		rd_u8(r, &u->dest_addr_ton);
		rd_u8(r, &u->dest_addr_npi);
		rc = unpack_cstr(r, u->destination_addr, sizeof(u->destination_addr),
				 21, ESME_RINVDSTADR, st);
		if (rc)
			return rc;
		if (rd_u32(r, &u->error_status_code))
			return fail(r, 0, st);
	}
	return 0;
}

static int unpack_field(struct rd *r, struct smpp_pdu *p, const struct fref *f,
			uint32_t *st)
{
	const struct field_def *fd = &fields[f->id];
	uint8_t *dst = (uint8_t *)p + fd->off;

	switch (fd->kind) {
	case K_INT1:
		return rd_u8(r, dst) ? fail(r, fd->status, st) : 0;
	case K_COCTET:
		return unpack_cstr(r, (char *)dst, fd->size, f->max, fd->status, st);
	case K_SM:
		return unpack_sm(r, p, st);
	case K_DESTS:
		return unpack_dests(r, p, st);
	default:
		return unpack_unsuccess(r, p, st);
	}
}

/* The TLV stream (§3.2.4, §5.3.1): tag, length, value, to the end. */
static int unpack_tlv_stream(struct rd *r, struct smpp_pdu *p, uint32_t *st)
{
	while (rd_left(r)) {
		struct smpp_tlv *t;
		const uint8_t *v;

		if (p->n_tlv == SMPP_TLV_MAX) {
			*st = ESME_RINVOPTPARSTREAM;
			return -ERANGE;
		}
		t = &p->tlv[p->n_tlv];
		rd_u16(r, &t->tag);
		rd_u16(r, &t->len);
		if (rd_bytes(r, t->len, &v)) {
			*st = ESME_RINVOPTPARSTREAM;
			return -EIO;
		}
		if (t->len <= sizeof(t->small))
			memcpy(t->small, v, t->len);
		else
			t->val = v;
		p->n_tlv++;
	}
	return 0;
}

const uint8_t *smpp_tlv_data(const struct smpp_tlv *t)
{
	return t->len <= sizeof(t->small) ? t->small : t->val;
}

/*
 * The checks pack and unpack share on the TLVs of a PDU: ESME_ROK or the
 * status saying what is wrong (see smpp_pdu_unpack() in smpp_pdu.h).
 */
static uint32_t tlvs_check(const struct smpp_pdu *p)
{
	for (unsigned int i = 0; i < p->n_tlv; i++) {
		const struct smpp_tlv *t = &p->tlv[i];
		const struct tlv_def *d = tlv_def_find(t->tag);
		const uint8_t *v = smpp_tlv_data(t);

		if (!v)
			return ESME_RINVOPTPARAMVAL;
		if (!d)
			continue;	/* §3.2.4: unknown, kept raw */
		if (t->len < d->min || t->len > d->max)
			return ESME_RINVPARLEN;
		if (d->kind == T_COCTET && memchr(v, 0, t->len) != v + t->len - 1)
			return ESME_RINVOPTPARAMVAL;
		for (unsigned int j = 0; j < i; j++)
			if (p->tlv[j].tag == t->tag)
				return ESME_ROPTPARNOTALLWD;
		if (t->tag == SMPP_TLV_MESSAGE_PAYLOAD && p->sm_length)
			return ESME_ROPTPARNOTALLWD;
	}
	return ESME_ROK;
}

static int unpack_header(struct rd *r, struct smpp_pdu *p, size_t len, uint32_t *st)
{
	if (len < SMPP_HDR_LEN) {
		*st = ESME_RINVCMDLEN;
		return -EIO;
	}
	rd_u32(r, &p->command_length);
	rd_u32(r, &p->command_id);
	rd_u32(r, &p->command_status);
	rd_u32(r, &p->sequence_number);
	if (p->command_length != len) {
		*st = ESME_RINVCMDLEN;
		return -EINVAL;
	}
	return 0;
}

int smpp_pdu_unpack(struct smpp_pdu *p, const uint8_t *buf, size_t len,
		    uint32_t *esme_status)
{
	const struct cmd_def *d;
	struct rd r;
	int rc;

	memset(p, 0, sizeof(*p));
	*esme_status = ESME_ROK;
	rd_init(&r, buf, len);
	rc = unpack_header(&r, p, len, esme_status);
	if (rc)
		return rc;
	d = cmd_find(p->command_id);
	if (!d) {
		*esme_status = ESME_RINVCMDID;
		return -EINVAL;
	}
	if ((p->command_id & 0x80000000u) && p->command_status != ESME_ROK &&
	    len == SMPP_HDR_LEN && d->body->id != F__END) {
		p->body_omitted = true;
		return 0;
	}
	for (const struct fref *f = d->body; f->id != F__END; f++) {
		rc = unpack_field(&r, p, f, esme_status);
		if (rc)
			return rc;
	}
	if (!d->tlvs) {
		if (rd_left(&r)) {
			*esme_status = ESME_RINVCMDLEN;
			return -EINVAL;
		}
		return 0;
	}
	rc = unpack_tlv_stream(&r, p, esme_status);
	if (rc)
		return rc;
	*esme_status = tlvs_check(p);
	return *esme_status == ESME_ROK ? 0 : -EINVAL;
}

/* ---- pack ------------------------------------------------------------ */

/* A C-octet string held in s[size], at most max octets with its NUL. */
static int pack_cstr(struct wr *w, const char *s, size_t size, size_t max)
{
	size_t n = strnlen(s, size);

	if (n + 1 > max || n == size)
		return -EINVAL;
	return wr_bytes(w, s, n + 1);
}

static int pack_dests(struct wr *w, const struct smpp_pdu *p)
{
	if (p->number_of_dests == 0 || p->number_of_dests > SMPP_DESTS_MAX)
		return -EINVAL;
	wr_u8(w, p->number_of_dests);
	for (unsigned int i = 0; i < p->number_of_dests; i++) {
		const struct smpp_dest *d = &p->dests[i];
		int rc;

		if (d->dest_flag != SMPP_DEST_SME && d->dest_flag != SMPP_DEST_DL)
			return -EINVAL;
		wr_u8(w, d->dest_flag);
		if (d->dest_flag == SMPP_DEST_SME) {
			wr_u8(w, d->dest_addr_ton);
			wr_u8(w, d->dest_addr_npi);
		}
		rc = pack_cstr(w, d->address, sizeof(d->address), 21);
		if (rc)
			return rc;
	}
	return w->err;
}

static int pack_unsuccess(struct wr *w, const struct smpp_pdu *p)
{
	if (p->no_unsuccess > SMPP_DESTS_MAX)
		return -EINVAL;
	wr_u8(w, p->no_unsuccess);
	for (unsigned int i = 0; i < p->no_unsuccess; i++) {
		const struct smpp_unsuccess *u = &p->unsuccess[i];
		int rc;

		wr_u8(w, u->dest_addr_ton);
		wr_u8(w, u->dest_addr_npi);
		rc = pack_cstr(w, u->destination_addr, sizeof(u->destination_addr), 21);
		if (rc)
			return rc;
		wr_u32(w, u->error_status_code);
	}
	return w->err;
}

static int pack_field(struct wr *w, const struct smpp_pdu *p, const struct fref *f)
{
	const struct field_def *fd = &fields[f->id];
	const uint8_t *src = (const uint8_t *)p + fd->off;

	switch (fd->kind) {
	case K_INT1:
		return wr_u8(w, *src);
	case K_COCTET:
		return pack_cstr(w, (const char *)src, fd->size, f->max);
	case K_SM:
		if (p->sm_length > SMPP_SM_MAX || (p->sm_length && !p->short_message))
			return -EINVAL;
		wr_u8(w, p->sm_length);
		return wr_bytes(w, p->short_message, p->sm_length);
	case K_DESTS:
		return pack_dests(w, p);
	default:
		return pack_unsuccess(w, p);
	}
}

static int pack_body(struct wr *w, const struct smpp_pdu *p, const struct cmd_def *d)
{
	for (const struct fref *f = d->body; f->id != F__END; f++) {
		int rc = pack_field(w, p, f);
		if (rc)
			return rc;
	}
	if (p->n_tlv > SMPP_TLV_MAX || (p->n_tlv && !d->tlvs))
		return -EINVAL;
	if (tlvs_check(p) != ESME_ROK)
		return -EINVAL;
	for (unsigned int i = 0; i < p->n_tlv; i++) {
		const struct smpp_tlv *t = &p->tlv[i];

		wr_u16(w, t->tag);
		wr_u16(w, t->len);
		wr_bytes(w, smpp_tlv_data(t), t->len);
	}
	return w->err;
}

int smpp_pdu_pack(uint8_t *out, size_t cap, const struct smpp_pdu *p)
{
	const struct cmd_def *d = cmd_find(p->command_id);
	struct wr w;
	int rc;

	if (!d)
		return -EINVAL;
	wr_init(&w, out, cap);
	wr_u32(&w, 0);		/* command_length, filled in below */
	wr_u32(&w, p->command_id);
	wr_u32(&w, p->command_status);
	wr_u32(&w, p->sequence_number);
	if (p->body_omitted) {
		if (!(p->command_id & 0x80000000u) || p->command_status == ESME_ROK)
			return -EINVAL;
	} else {
		rc = pack_body(&w, p, d);
		if (rc)
			return rc;
	}
	if (w.err)
		return w.err;
	if (w.off > INT32_MAX)
		return -ERANGE;
	out[0] = (uint8_t)(w.off >> 24);
	out[1] = (uint8_t)(w.off >> 16);
	out[2] = (uint8_t)(w.off >> 8);
	out[3] = (uint8_t)w.off;
	return (int)w.off;
}

/* ---- comparison ------------------------------------------------------ */

static bool dests_equal(const struct smpp_pdu *a, const struct smpp_pdu *b)
{
	if (a->number_of_dests != b->number_of_dests)
		return false;
	for (unsigned int i = 0; i < a->number_of_dests && i < SMPP_DESTS_MAX; i++) {
		const struct smpp_dest *x = &a->dests[i], *y = &b->dests[i];

		if (x->dest_flag != y->dest_flag ||
		    strncmp(x->address, y->address, sizeof(x->address)))
			return false;
		if (x->dest_flag == SMPP_DEST_SME &&
		    (x->dest_addr_ton != y->dest_addr_ton ||
		     x->dest_addr_npi != y->dest_addr_npi))
			return false;
	}
	return true;
}

static bool unsuccess_equal(const struct smpp_pdu *a, const struct smpp_pdu *b)
{
	if (a->no_unsuccess != b->no_unsuccess)
		return false;
	for (unsigned int i = 0; i < a->no_unsuccess && i < SMPP_DESTS_MAX; i++) {
		const struct smpp_unsuccess *x = &a->unsuccess[i], *y = &b->unsuccess[i];

		if (x->dest_addr_ton != y->dest_addr_ton ||
		    x->dest_addr_npi != y->dest_addr_npi ||
		    x->error_status_code != y->error_status_code ||
		    strncmp(x->destination_addr, y->destination_addr,
			    sizeof(x->destination_addr)))
			return false;
	}
	return true;
}

static bool field_equal(const struct smpp_pdu *a, const struct smpp_pdu *b,
			const struct fref *f)
{
	const struct field_def *fd = &fields[f->id];
	const uint8_t *x = (const uint8_t *)a + fd->off;
	const uint8_t *y = (const uint8_t *)b + fd->off;

	switch (fd->kind) {
	case K_INT1:
		return *x == *y;
	case K_COCTET:
		return strncmp((const char *)x, (const char *)y, fd->size) == 0;
	case K_SM:
		return a->sm_length == b->sm_length &&
		       (!a->sm_length ||
			memcmp(a->short_message, b->short_message, a->sm_length) == 0);
	case K_DESTS:
		return dests_equal(a, b);
	default:
		return unsuccess_equal(a, b);
	}
}

static bool tlvs_equal(const struct smpp_pdu *a, const struct smpp_pdu *b)
{
	if (a->n_tlv != b->n_tlv || a->n_tlv > SMPP_TLV_MAX)
		return false;
	for (unsigned int i = 0; i < a->n_tlv; i++) {
		const struct smpp_tlv *x = &a->tlv[i], *y = &b->tlv[i];
		const uint8_t *xv = smpp_tlv_data(x), *yv = smpp_tlv_data(y);

		if (x->tag != y->tag || x->len != y->len)
			return false;
		if (x->len && (!xv || !yv || memcmp(xv, yv, x->len)))
			return false;
	}
	return true;
}

bool smpp_pdu_equal(const struct smpp_pdu *a, const struct smpp_pdu *b)
{
	const struct cmd_def *d;

	if (a->command_id != b->command_id || a->command_status != b->command_status ||
	    a->sequence_number != b->sequence_number)
		return false;
	d = cmd_find(a->command_id);
	if (!d || d->body->id == F__END)
		return true;
	if (a->body_omitted || b->body_omitted)
		return a->body_omitted == b->body_omitted;
	for (const struct fref *f = d->body; f->id != F__END; f++)
		if (!field_equal(a, b, f))
			return false;
	return tlvs_equal(a, b);
}

/* ---- TLV accessors --------------------------------------------------- */

const struct smpp_tlv *smpp_tlv_find(const struct smpp_pdu *p, uint16_t tag)
{
	for (unsigned int i = 0; i < p->n_tlv && i < SMPP_TLV_MAX; i++)
		if (p->tlv[i].tag == tag)
			return &p->tlv[i];
	return NULL;
}

int smpp_tlv_uint(const struct smpp_pdu *p, uint16_t tag, uint32_t *v)
{
	const struct smpp_tlv *t = smpp_tlv_find(p, tag);
	const uint8_t *d;

	if (!t)
		return -ENOENT;
	if (t->len < 1 || t->len > 4)
		return -EINVAL;
	d = smpp_tlv_data(t);
	*v = 0;
	for (unsigned int i = 0; i < t->len; i++)
		*v = *v << 8 | d[i];
	return 0;
}

int smpp_tlv_cstr(const struct smpp_pdu *p, uint16_t tag, const char **s)
{
	const struct smpp_tlv *t = smpp_tlv_find(p, tag);
	const uint8_t *d;

	if (!t)
		return -ENOENT;
	d = smpp_tlv_data(t);
	if (!t->len || !d || memchr(d, 0, t->len) != d + t->len - 1)
		return -EINVAL;
	*s = (const char *)d;
	return 0;
}

int smpp_tlv_add(struct smpp_pdu *p, uint16_t tag, const void *val, size_t len)
{
	struct smpp_tlv *t;

	if (p->n_tlv >= SMPP_TLV_MAX)
		return -ENOSPC;
	if (len > UINT16_MAX)
		return -ERANGE;
	if (len && !val)
		return -EINVAL;
	t = &p->tlv[p->n_tlv++];
	memset(t, 0, sizeof(*t));
	t->tag = tag;
	t->len = (uint16_t)len;
	if (len <= sizeof(t->small)) {
		if (len)
			memcpy(t->small, val, len);
	} else {
		t->val = val;
	}
	return 0;
}

int smpp_tlv_add_uint(struct smpp_pdu *p, uint16_t tag, uint32_t v, unsigned int size)
{
	uint8_t b[4];

	if (size < 1 || size > 4)
		return -EINVAL;
	for (unsigned int i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * (size - 1 - i)));
	return smpp_tlv_add(p, tag, b, size);
}

void smpp_pdu_user_data(const struct smpp_pdu *p, const uint8_t **data, size_t *len)
{
	const struct smpp_tlv *t = smpp_tlv_find(p, SMPP_TLV_MESSAGE_PAYLOAD);

	if (t) {
		*data = smpp_tlv_data(t);
		*len = t->len;
	} else {
		*data = p->short_message;
		*len = p->sm_length;
	}
}
