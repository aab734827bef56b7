/*
 * gw_downlink.h — the downlink wired into the running gateway
 * (doc/downlink.md): the send socket to the engine's outbox, the SMS
 * bearer over the binds (gw_dl_sms.c), receipts from the binds to the
 * outbox.
 */
#pragma once

struct gw;
struct outbox;
struct esme;
struct esme_ack;
struct smpp_receipt;
struct dl_sms;

/* With a downlink node: configure the outbox, start the SMS bearer, open
 * the send socket.  0, or a negative errno after logging why. */
int gw_downlink_start(struct gw *g);
/* Stop taking requests (shutdown: what is in hand is still answered). */
void gw_downlink_pause(struct gw *g);
/* Close the send socket (before the bus, whose ZeroMQ context it uses). */
void gw_downlink_stop(struct gw *g);

/* esme_ops of every bind (gw.c). */
int gw_downlink_receipt(void *data, const struct smpp_receipt *r, struct esme_ack *ack);
void gw_downlink_tx_ready(void *data, struct esme *es);

/* gw_dl_sms.c */
int gw_dl_sms_start(struct gw *g, struct outbox *ob, struct dl_sms **out);
void gw_dl_sms_kick(struct dl_sms *s);
void gw_dl_sms_stop(struct dl_sms *s);
