/*
 * smtp_peer.h — SMTP sessions counted per client address, for
 * smtp-max-sessions-per-ip (doc/config.md "mail"): one address must not
 * hold every session of smtp-max-sessions (issue 9 item 7: 2,000
 * connections from one address left a legitimate client with 421).
 *
 * An IPv4 address counts alone; an IPv6 address by its /64, since one
 * host is given a whole /64 (RFC 4291 §2.5.1) and can pick any address in
 * it.  IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

#include <osmocom/core/utils.h>
#include <osmocom/core/log2.h>
#include <osmocom/core/hashtable.h>

#define SMTP_PEER_HASH_BITS	10

struct smtp_peer;

struct smtp_peers {
	DECLARE_HASHTABLE(by_addr, SMTP_PEER_HASH_BITS);
};

void smtp_peers_init(struct smtp_peers *t);

/* One more session from the address of ss: its entry (created under ctx
 * when new), with the count including this session; NULL: out of memory. */
struct smtp_peer *smtp_peer_get(void *ctx, struct smtp_peers *t, const struct sockaddr_storage *ss);

/* Sessions open from this address, this one included. */
unsigned smtp_peer_sessions(const struct smtp_peer *p);

/* One session from the address less; the entry is freed at zero.  NULL
 * is ignored. */
void smtp_peer_put(struct smtp_peer *p);
