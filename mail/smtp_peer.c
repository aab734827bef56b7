/*
 * smtp_peer.c — sessions per client address; see smtp_peer.h.
 */
#include <netinet/in.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "mail/smtp_peer.h"

struct smtp_peer {
	struct hlist_node node;
	uint8_t key[16];	/* IPv6 form: ::ffff:a.b.c.d, or the /64 */
	unsigned n;
};

void smtp_peers_init(struct smtp_peers *t)
{
	hash_init(t->by_addr);
}

static void addr_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		/* ::ffff:a.b.c.d stays whole, any other address counts by its /64 */
		memcpy(key, a, IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a) ? 16 : 8);
	}
}

/* FNV-1a over the key (the table's size is a power of two: hash_min mixes). */
static uint32_t key_hash(const uint8_t key[16])
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

struct smtp_peer *smtp_peer_get(void *ctx, struct smtp_peers *t, const struct sockaddr_storage *ss)
{
	struct smtp_peer *p;
	uint8_t key[16];
	uint32_t h;

	addr_key(ss, key);
	h = key_hash(key);
	hash_for_each_possible(t->by_addr, p, node, h) {
		if (!memcmp(p->key, key, sizeof(key))) {
			p->n++;
			return p;
		}
	}
	p = talloc_zero(ctx, struct smtp_peer);
	if (!p)
		return NULL;
	memcpy(p->key, key, sizeof(key));
	p->n = 1;
	hash_add(t->by_addr, &p->node, h);
	return p;
}

unsigned smtp_peer_sessions(const struct smtp_peer *p)
{
	return p->n;
}

void smtp_peer_put(struct smtp_peer *p)
{
	if (!p || --p->n)
		return;
	hash_del(&p->node);
	talloc_free(p);
}
