/*
 * smpp_test.h — the seeded generator the SMPP codec tests share.
 * Seed it with test_seed() (cmocka_main.h): TXGW_TEST_SEED=<n> replays a run.
 */
#pragma once
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct rng {
	uint64_t s;
};

static inline uint32_t rnd(struct rng *g)
{
	/* splitmix64 */
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static inline uint32_t rnd_below(struct rng *g, uint32_t n)
{
	return n ? rnd(g) % n : 0;
}

struct smpp_pdu;

/* What a generated PDU borrows: short_message and long TLV values. */
struct smpp_gen_store {
	uint8_t sm[256];
	uint8_t tlv[8192];
};

/*
 * A random valid PDU of type id (smpp_gen.c): every mandatory field of its
 * §4 table, strings up to their maximum, TLVs where §4 allows them
 * (integers, message_payload when short_message is empty, vendor tags).
 */
void smpp_gen_pdu(struct rng *g, struct smpp_pdu *p, uint32_t id, struct smpp_gen_store *s);
