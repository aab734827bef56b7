/*
 * bsc.c — txgw-handset-sim's BSC on libosmo-sigtran; see bsc.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/msgb.h>
#include <osmocom/core/prim.h>
#include <osmocom/core/talloc.h>
#include <osmocom/gsm/gsm0808.h>
#include <osmocom/gsm/protocol/gsm_08_08.h>
#include <osmocom/sigtran/osmo_ss7.h>
#include <osmocom/sigtran/sccp_helpers.h>
#include <osmocom/sigtran/sccp_sap.h>

#include "contrib/sim/bsc.h"

#define GSM0808_ALG_A5_0	1	/* TS 48.008 §3.2.2.44: Chosen Encryption Algorithm "no encryption" */
#define SCCP_CAUSE_END_USER_ORIG 0	/* Q.713 §3.11: release cause "end user originated" */

struct bsc_conn {
	struct llist_head list;
	uint32_t id;
	void *priv;
};

struct bsc {
	struct bsc_cfg cfg;
	const struct bsc_ops *ops;
	void *data;
	struct osmo_sccp_instance *sccp;
	struct osmo_sccp_user *scu;
	struct osmo_sccp_addr local, msc;
	struct llist_head conns;
	uint32_t next_id;
	struct bsc_stats st;
};

static struct bsc_conn *conn_find(struct bsc *b, uint32_t id)
{
	struct bsc_conn *c;

	llist_for_each_entry(c, &b->conns, list)
		if (c->id == id)
			return c;
	return NULL;
}

static void conn_drop(struct bsc *b, struct bsc_conn *c)
{
	llist_del(&c->list);
	talloc_free(c);
	b->st.open--;
}

/* Every connection gone at once (a RESET). */
static void conn_drop_all(struct bsc *b)
{
	struct bsc_conn *c, *t;

	llist_for_each_entry_safe(c, t, &b->conns, list) {
		void *priv = c->priv;
		conn_drop(b, c);
		b->ops->conn_ev(b->data, priv, BSC_CONN_GONE);
	}
}

static int send_bssmap_co(struct bsc *b, uint32_t id, struct msgb *msg)
{
	if (!msg)
		return -ENOMEM;
	return osmo_sccp_tx_data_msg(b->scu, id, msg);
}

/* BSSMAP on a connection (TS 48.008 §3.2.1). */
static void rx_bssmap_co(struct bsc *b, struct bsc_conn *c, const struct a_bssap *m)
{
	struct msgb *l3;

	switch (m->type) {
	case BSS_MAP_MSG_CLEAR_CMD:
		b->st.clears++;
		send_bssmap_co(b, c->id, gsm0808_create_clear_complete());
		b->ops->conn_ev(b->data, c->priv, BSC_CONN_CLEARED);
		break;
	case BSS_MAP_MSG_CIPHER_MODE_CMD:
		l3 = msgb_alloc(16, "cipher");
		send_bssmap_co(b, c->id, l3 ? gsm0808_create_cipher_complete(l3, GSM0808_ALG_A5_0) : NULL);
		msgb_free(l3);
		break;
	default:
		break;		/* COMMON ID and the like: nothing to answer */
	}
}

static void rx_co(struct bsc *b, uint32_t id, const uint8_t *buf, size_t len)
{
	struct bsc_conn *c = conn_find(b, id);
	struct a_bssap m;

	if (!c || !len)
		return;
	if (a_bssap_parse(&m, buf, len) < 0) {
		fprintf(stderr, "txgw-handset-sim: connection %u: undecodable BSSAP (%zu bytes)\n", id, len);
		return;
	}
	if (!m.dtap) {
		rx_bssmap_co(b, c, &m);
		return;
	}
	b->st.dtap_rx++;
	b->ops->dtap(b->data, c->priv, m.dlci, m.data, m.len);
}

static void send_reset_ack(struct bsc *b)
{
	struct msgb *msg = gsm0808_create_reset_ack();

	if (msg)
		osmo_sccp_tx_unitdata_msg(b->scu, &b->local, &b->msc, msg);
}

/* Connectionless BSSMAP: RESET ACKNOWLEDGE, RESET, PAGING. */
static void rx_cl(struct bsc *b, const uint8_t *buf, size_t len)
{
	char imsi[A_IMSI_MAX + 1];
	struct a_bssap m;

	if (a_bssap_parse(&m, buf, len) < 0 || m.dtap)
		return;
	switch (m.type) {
	case BSS_MAP_MSG_RESET_ACKNOWLEDGE:
		b->ops->ready(b->data);
		break;
	case BSS_MAP_MSG_RESET:
		/* §3.1.4.1: the MSC lost its state; so do we.  The answer
		 * first: handsets that lose their connection open new ones at
		 * once, and the MSC refuses them until it has its RESET ACK. */
		b->st.resets_rx++;
		send_reset_ack(b);
		conn_drop_all(b);
		b->ops->ready(b->data);
		break;
	case BSS_MAP_MSG_PAGING:
		b->st.pagings++;
		if (a_paging_imsi(&m, imsi, sizeof(imsi)) == 0)
			b->ops->paging(b->data, imsi);
		break;
	default:
		break;
	}
}

static void rx_disconnect(struct bsc *b, uint32_t id)
{
	struct bsc_conn *c = conn_find(b, id);
	void *priv;

	if (!c)
		return;
	priv = c->priv;
	b->st.released++;
	conn_drop(b, c);
	b->ops->conn_ev(b->data, priv, BSC_CONN_GONE);
}

static int prim_cb(struct osmo_prim_hdr *oph, void *_scu)
{
	struct bsc *b = osmo_sccp_user_get_priv(_scu);
	struct osmo_scu_prim *p = (struct osmo_scu_prim *)oph;
	struct msgb *msg = oph->msg;
	struct bsc_conn *c;

	switch (OSMO_PRIM_HDR(oph)) {
	case OSMO_PRIM(OSMO_SCU_PRIM_N_UNITDATA, PRIM_OP_INDICATION):
		rx_cl(b, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_CONNECT, PRIM_OP_CONFIRM):
		c = conn_find(b, p->u.connect.conn_id);
		if (c)
			b->ops->conn_ev(b->data, c->priv, BSC_CONN_UP);
		if (c && msgb_l2len(msg))
			rx_co(b, p->u.connect.conn_id, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DATA, PRIM_OP_INDICATION):
		rx_co(b, p->u.data.conn_id, msgb_l2(msg), msgb_l2len(msg));
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_DISCONNECT, PRIM_OP_INDICATION):
		if (msgb_l2len(msg))	/* a refusal may carry a last message */
			rx_co(b, p->u.disconnect.conn_id, msgb_l2(msg), msgb_l2len(msg));
		rx_disconnect(b, p->u.disconnect.conn_id);
		break;
	case OSMO_PRIM(OSMO_SCU_PRIM_N_CONNECT, PRIM_OP_INDICATION):
		/* an MSC-initiated connection (handover): a BSC of one cell refuses */
		osmo_sccp_tx_disconn(b->scu, p->u.connect.conn_id, NULL, SCCP_CAUSE_END_USER_ORIG);
		break;
	default:
		break;
	}
	msgb_free(msg);
	return 0;
}

int bsc_open(void *ctx, const struct bsc_cfg *cfg, const struct bsc_ops *ops, void *data,
	     struct bsc **out)
{
	struct bsc *b = talloc_zero(ctx, struct bsc);
	int pc, msc_pc;

	if (!b)
		return -ENOMEM;
	b->cfg = *cfg;
	b->ops = ops;
	b->data = data;
	INIT_LLIST_HEAD(&b->conns);
	pc = osmo_ss7_pointcode_parse(NULL, cfg->pc);
	msc_pc = osmo_ss7_pointcode_parse(NULL, cfg->msc_pc);
	if (pc < 0 || msc_pc < 0) {
		fprintf(stderr, "txgw-handset-sim: bad point code %s or %s\n", cfg->pc, cfg->msc_pc);
		talloc_free(b);
		return -EINVAL;
	}
	b->sccp = osmo_sccp_simple_client_on_ss7_id(b, 0, "txgw-handset-sim", (uint32_t)pc,
						    OSMO_SS7_ASP_PROT_M3UA, 0, cfg->local_ip,
						    cfg->stp_port, cfg->stp_ip);
	if (!b->sccp) {
		fprintf(stderr, "txgw-handset-sim: cannot start the SCCP client to %s:%u\n", cfg->stp_ip,
			cfg->stp_port);
		talloc_free(b);
		return -EIO;
	}
	b->scu = osmo_sccp_user_bind(b->sccp, "bsc", prim_cb, OSMO_SCCP_SSN_BSSAP);
	if (!b->scu) {
		fprintf(stderr, "txgw-handset-sim: cannot bind the BSSAP SCCP user\n");
		talloc_free(b);
		return -EIO;
	}
	osmo_sccp_user_set_priv(b->scu, b);
	osmo_sccp_local_addr_by_instance(&b->local, b->sccp, OSMO_SCCP_SSN_BSSAP);
	osmo_sccp_make_addr_pc_ssn(&b->msc, (uint32_t)msc_pc, OSMO_SCCP_SSN_BSSAP);
	*out = b;
	return 0;
}

bool bsc_as_active(const struct bsc *b)
{
	struct osmo_ss7_instance *ss7 = osmo_sccp_get_ss7(b->sccp);
	struct osmo_ss7_as *as = ss7 ? osmo_ss7_as_find_by_proto(ss7, OSMO_SS7_ASP_PROT_M3UA) : NULL;

	return as && osmo_ss7_as_active(as);
}

int bsc_reset(struct bsc *b)
{
	struct msgb *msg = gsm0808_create_reset();

	if (!msg)
		return -ENOMEM;
	return osmo_sccp_tx_unitdata_msg(b->scu, &b->local, &b->msc, msg) < 0 ? -EIO : 0;
}

int bsc_connect(struct bsc *b, void *priv, const uint8_t *l3, size_t len)
{
	struct msgb *msg_l3 = msgb_alloc_headroom(512, 128, "l3");
	struct msgb *msg;
	struct bsc_conn *c;

	if (!msg_l3)
		return -ENOMEM;
	msg_l3->l3h = msgb_put(msg_l3, len);
	memcpy(msg_l3->l3h, l3, len);
	msg = gsm0808_create_layer3_2(msg_l3, &b->cfg.cgi, NULL);
	msgb_free(msg_l3);
	if (!msg)
		return -ENOMEM;
	c = talloc_zero(b, struct bsc_conn);
	if (!c) {
		msgb_free(msg);
		return -ENOMEM;
	}
	/* ids only grow: one given up may still be closing in the SCCP */
	if (++b->next_id > 0x7fffffff)
		b->next_id = 1;
	c->id = b->next_id;
	c->priv = priv;
	if (osmo_sccp_tx_conn_req_msg(b->scu, c->id, &b->local, &b->msc, msg) < 0) {
		b->st.conn_refused++;
		talloc_free(c);
		return -EIO;
	}
	llist_add_tail(&c->list, &b->conns);
	b->st.conns++;
	b->st.open++;
	return (int)c->id;
}

int bsc_dtap(struct bsc *b, int id, uint8_t dlci, const uint8_t *l3, size_t len)
{
	struct msgb *msg = msgb_alloc_headroom(512, 128, "dtap");

	if (!msg)
		return -ENOMEM;
	if (!conn_find(b, (uint32_t)id)) {
		msgb_free(msg);
		return -ENOTCONN;
	}
	msg->l3h = msgb_put(msg, len);
	memcpy(msg->l3h, l3, len);
	gsm0808_prepend_dtap_header(msg, dlci);
	b->st.dtap_tx++;
	return osmo_sccp_tx_data_msg(b->scu, (uint32_t)id, msg) < 0 ? -EIO : 0;
}

void bsc_disconnect(struct bsc *b, int id)
{
	struct bsc_conn *c = conn_find(b, (uint32_t)id);

	if (!c)
		return;
	osmo_sccp_tx_disconn(b->scu, c->id, NULL, SCCP_CAUSE_END_USER_ORIG);
	conn_drop(b, c);
}

const struct bsc_stats *bsc_get_stats(const struct bsc *b)
{
	return &b->st;
}
