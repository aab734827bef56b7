/*
 * concat.c — reassembly of concatenated SMS (see concat.h).
 *
 * Each partial message is one talloc context (its stored payloads are its
 * children), found through a hash table of hlist buckets and kept on a list
 * in order of first arrival, the expiry order (a fixed timeout from first
 * arrival).  Each sender (source address) holding partial messages has a
 * record with its own list of them, oldest first, the order its messages
 * are evicted in; senders are kept in lists by how many they hold
 * (by_n[n], each in the order its senders got to that number), so the
 * sender holding the most is found at once when a global limit is hit.
 */
#include <errno.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>

#include "gateway/sms/concat.h"

/* Largest hash table: 2^20 buckets; more partial messages share buckets. */
#define BUCKETS_MAX (1u << 20)

struct slot {
	uint8_t *data;			/* talloc child of the partial, NULL if len 0 */
	uint64_t cookie;
	uint32_t len;
	uint8_t coding;
	bool held;
};

struct sender {
	struct hlist_node hnode;	/* in concat.sbucket[hash & mask] */
	struct llist_head bnode;	/* in concat.by_n[min(n, by_n_max)] */
	struct llist_head partials;	/* its partial messages, oldest first */
	uint64_t hash;
	size_t n;			/* partial messages held */
	size_t bytes;			/* their payload bytes */
	char src[CONCAT_ADDR_MAX + 1];
};

struct partial {
	struct hlist_node hnode;	/* in concat.bucket[hash & mask] */
	struct llist_head lnode;	/* in concat.age, oldest first */
	struct llist_head snode;	/* in its sender's partials, oldest first */
	struct sender *s;
	uint64_t hash;
	uint64_t first_ms;
	int64_t first_rx_ms;
	size_t bytes;
	unsigned n_parts;
	struct concat_key key;
	struct slot slot[];		/* key.total slots, slot[seq - 1] */
};

/*
 * A message completed within the last concat-timeout: its key and a hash
 * of each part.  An SMSC re-sends a part whose answer it did not get (the
 * gateway may have stopped right after journaling it): that part must be
 * a duplicate, not the start of a new partial message, which a later
 * message reusing the reference (8 bits wrap quickly) would then complete
 * with the old part.  A part with the same key and seq but other bytes is
 * a new message reusing the reference, and goes on as usual.
 */
struct recent {
	struct hlist_node hnode;	/* in concat.rbucket[hash & mask] */
	struct llist_head lnode;	/* in concat.rage, oldest first */
	uint64_t hash;
	uint64_t done_ms;
	int64_t done_rx_ms;
	struct concat_key key;
	uint64_t part[];		/* key.total part hashes, part[seq - 1] */
};

struct concat {
	struct concat_cfg cfg;
	struct hlist_head *rbucket;	/* recently completed messages */
	struct llist_head rage;
	size_t n_recent;
	uint64_t timeout_ms;
	concat_drop_cb cb;
	void *cb_data;
	struct hlist_head *bucket;
	size_t mask;
	struct llist_head age;
	struct hlist_head *sbucket;	/* senders */
	struct llist_head *by_n;	/* senders by partial messages held */
	size_t by_n_max;		/* max_per_sender: the last list takes the rest */
	size_t top;			/* the highest non-empty by_n[], 0 if none */
	bool unchecked;			/* restored: limits not enforced since */
	struct concat_stats st;
};

int concat_key_set(struct concat_key *k, uint32_t bearer, const char *src, const char *dst,
		   enum concat_ref_kind kind, uint16_t ref, uint8_t total)
{
	size_t sl = src ? strlen(src) : 0, dl = dst ? strlen(dst) : 0;

	memset(k, 0, sizeof(*k));
	if (sl > CONCAT_ADDR_MAX || dl > CONCAT_ADDR_MAX)
		return -EINVAL;
	if (kind < CONCAT_REF8 || kind > CONCAT_REF_SAR || (kind == CONCAT_REF8 && ref > 0xFF))
		return -EINVAL;
	if (sl)
		memcpy(k->src, src, sl);
	if (dl)
		memcpy(k->dst, dst, dl);
	k->bearer = bearer;
	k->ref_kind = (uint8_t)kind;
	k->ref = ref;
	k->total = total;
	return 0;
}

static bool key_valid(const struct concat_key *k)
{
	return memchr(k->src, 0, sizeof(k->src)) && memchr(k->dst, 0, sizeof(k->dst)) &&
	       k->ref_kind >= CONCAT_REF8 && k->ref_kind <= CONCAT_REF_SAR &&
	       !(k->ref_kind == CONCAT_REF8 && k->ref > 0xFF) && k->total >= 2;
}

/* A copy of a valid key with the bytes after each NUL zeroed. */
static void key_copy(struct concat_key *dst, const struct concat_key *k)
{
	memset(dst, 0, sizeof(*dst));
	dst->bearer = k->bearer;
	strcpy(dst->src, k->src);
	strcpy(dst->dst, k->dst);
	dst->ref = k->ref;
	dst->ref_kind = k->ref_kind;
	dst->total = k->total;
}

static bool key_eq(const struct concat_key *a, const struct concat_key *b)
{
	return a->bearer == b->bearer && a->ref == b->ref && a->ref_kind == b->ref_kind &&
	       a->total == b->total && !strcmp(a->src, b->src) && !strcmp(a->dst, b->dst);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9E3779B97F4A7C15ull;
	return h ^ (h >> 29);
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	size_t n = strlen(s), i;
	uint64_t v;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&v, s + i, 8);
		h = mix(h, v);
	}
	v = 0;
	memcpy(&v, s + i, n - i);
	return mix(h, v ^ (uint64_t)n << 56);
}

/* Seeded, so that senders cannot aim references at one bucket. */
/* Seeded, so that senders cannot aim references at one bucket. */
static uint64_t key_hash(const struct concat *c, const struct concat_key *k)
{
	uint64_t h = c->cfg.hash_seed;

	h = mix(h, (uint64_t)k->bearer << 32 | (uint64_t)k->ref << 16 |
		   (uint64_t)k->ref_kind << 8 | k->total);
	h = mix_str(h, k->src);
	return mix_str(h, k->dst);
}

static uint64_t src_hash(const struct concat *c, const char *src)
{
	return mix_str(c->cfg.hash_seed ^ 0x5bd1e9955bd1e995ull, src);
}

struct concat *concat_new(void *ctx, const struct concat_cfg *cfg, concat_drop_cb cb,
			  void *cb_data)
{
	struct concat *c;
	size_t nb = 16;

	if (!cfg || !cfg->timeout_s || !cfg->max_partial || !cfg->max_bytes)
		return NULL;
	c = talloc_zero(ctx, struct concat);
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (!c->cfg.max_per_sender || c->cfg.max_per_sender > cfg->max_partial)
		c->cfg.max_per_sender = cfg->max_partial;
	if (!c->cfg.max_bytes_per_sender || c->cfg.max_bytes_per_sender > cfg->max_bytes)
		c->cfg.max_bytes_per_sender = cfg->max_bytes;
	while (nb < cfg->max_partial && nb < BUCKETS_MAX)
		nb <<= 1;
	c->by_n_max = c->cfg.max_per_sender;
	c->bucket = talloc_zero_array(c, struct hlist_head, nb);
	c->rbucket = talloc_zero_array(c, struct hlist_head, nb);
	c->sbucket = talloc_zero_array(c, struct hlist_head, nb);
	c->by_n = talloc_array(c, struct llist_head, c->by_n_max + 1);
	if (!c->bucket || !c->rbucket || !c->sbucket || !c->by_n) {
		talloc_free(c);
		return NULL;
	}
	for (size_t i = 0; i <= c->by_n_max; i++)
		INIT_LLIST_HEAD(&c->by_n[i]);
	c->mask = nb - 1;
	c->timeout_ms = (uint64_t)cfg->timeout_s * 1000;
	c->cb = cb;
	c->cb_data = cb_data;
	INIT_LLIST_HEAD(&c->age);
	INIT_LLIST_HEAD(&c->rage);
	return c;
}

void concat_free(struct concat *c)
{
	talloc_free(c);
}

const struct concat_stats *concat_get_stats(const struct concat *c)
{
	return &c->st;
}

static struct partial *lookup(const struct concat *c, const struct concat_key *k, uint64_t h)
{
	struct partial *m;

	hlist_for_each_entry(m, &c->bucket[h & c->mask], hnode) {
		if (m->hash == h && key_eq(&m->key, k))
			return m;
	}
	return NULL;
}

/* ---- senders ------------------------------------------------------------- */

static struct sender *sender_find(const struct concat *c, const char *src)
{
	uint64_t h = src_hash(c, src);
	struct sender *s;

	hlist_for_each_entry(s, &c->sbucket[h & c->mask], hnode) {
		if (s->hash == h && !strcmp(s->src, src))
			return s;
	}
	return NULL;
}

/* Put s at the tail of the list for its new number of partial messages. */
static void sender_moved(struct concat *c, struct sender *s)
{
	size_t i = s->n < c->by_n_max ? s->n : c->by_n_max;

	llist_del(&s->bnode);
	llist_add_tail(&s->bnode, &c->by_n[i]);
	if (i > c->top)
		c->top = i;
	while (c->top && llist_empty(&c->by_n[c->top]))
		c->top--;
}

/* Link a new partial message to its sender, which is made if needed. */
static int sender_link(struct concat *c, struct partial *m)
{
	struct sender *s = sender_find(c, m->key.src);

	if (!s) {
		s = talloc_zero(c, struct sender);
		if (!s)
			return -ENOMEM;
		strcpy(s->src, m->key.src);
		s->hash = src_hash(c, s->src);
		INIT_LLIST_HEAD(&s->partials);
		INIT_LLIST_HEAD(&s->bnode);
		hlist_add_head(&s->hnode, &c->sbucket[s->hash & c->mask]);
		c->st.senders_now++;
	}
	m->s = s;
	llist_add_tail(&m->snode, &s->partials);
	s->n++;
	sender_moved(c, s);
	return 0;
}

static void sender_unlink(struct concat *c, struct partial *m)
{
	struct sender *s = m->s;

	llist_del(&m->snode);
	s->n--;
	s->bytes -= m->bytes;
	if (s->n) {
		sender_moved(c, s);
		return;
	}
	llist_del(&s->bnode);
	hlist_del(&s->hnode);
	c->st.senders_now--;
	while (c->top && llist_empty(&c->by_n[c->top]))
		c->top--;
	talloc_free(s);
}

/* ---- partial messages ------------------------------------------------------ */

/* Unlink and free m, fixing the gauges. */
static void partial_free(struct concat *c, struct partial *m)
{
	hlist_del(&m->hnode);
	llist_del(&m->lnode);
	sender_unlink(c, m);
	c->st.partial_now--;
	c->st.bytes_now -= m->bytes;
	talloc_free(m);
}

/* The caller's arrays of 255 entries for describe(). */
struct described {
	uint8_t seqs[255];
	uint64_t cookies[255];
	const uint8_t *data[255];
	size_t lens[255];
};

/* Describe m in *p, using the caller's arrays. */
static void describe(const struct partial *m, struct concat_partial *p, struct described *d)
{
	unsigned i, n = 0;

	for (i = 0; i < m->key.total; i++) {
		if (!m->slot[i].held)
			continue;
		d->seqs[n] = (uint8_t)(i + 1);
		d->cookies[n] = m->slot[i].cookie;
		d->data[n] = m->slot[i].data;
		d->lens[n++] = m->slot[i].len;
	}
	p->key = &m->key;
	p->first_ms = m->first_ms;
	p->first_rx_ms = m->first_rx_ms;
	p->bytes = m->bytes;
	p->n_parts = n;
	p->seqs = d->seqs;
	p->cookies = d->cookies;
	p->data = d->data;
	p->lens = d->lens;
}

static void drop(struct concat *c, struct partial *m, enum concat_drop_reason why)
{
	struct described d;
	struct concat_partial p;

	if (why == CONCAT_EXPIRED)
		c->st.expired++;
	else
		c->st.evicted++;
	if (c->cb) {
		describe(m, &p, &d);
		c->cb(c->cb_data, why, &p);
	}
	partial_free(c, m);
}

static uint64_t part_hash(uint8_t coding, const uint8_t *data, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ coding ^ ((uint64_t)len << 8);	/* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 0x100000001b3ULL;
	return h;
}

/* ---- recently completed messages ------------------------------------------- */

static void recent_free(struct concat *c, struct recent *r)
{
	hlist_del(&r->hnode);
	llist_del(&r->lnode);
	c->n_recent--;
	talloc_free(r);
}

static void recent_expire(struct concat *c, uint64_t now_ms)
{
	while (!llist_empty(&c->rage)) {
		struct recent *r = llist_first_entry(&c->rage, struct recent, lnode);
		if (now_ms < r->done_ms || now_ms - r->done_ms < c->timeout_ms)
			break;
		recent_free(c, r);
	}
}

static struct recent *recent_lookup(const struct concat *c, const struct concat_key *k, uint64_t h)
{
	struct recent *r;

	hlist_for_each_entry(r, &c->rbucket[h & c->mask], hnode) {
		if (r->hash == h && key_eq(&r->key, k))
			return r;
	}
	return NULL;
}

/* Remember m, completed by p, as recent (best effort: no memory, no memory of it). */
static void recent_add(struct concat *c, const struct partial *m, const struct concat_part *p,
		       uint64_t now_ms)
{
	struct recent *r, *old = recent_lookup(c, &m->key, m->hash);

	if (old)
		recent_free(c, old);
	if (c->n_recent >= c->cfg.max_partial)
		recent_free(c, llist_first_entry(&c->rage, struct recent, lnode));
	r = talloc_size(c, sizeof(*r) + m->key.total * sizeof(r->part[0]));
	if (!r)
		return;
	r->hash = m->hash;
	r->done_ms = now_ms;
	r->done_rx_ms = p->rx_ms;
	r->key = m->key;
	for (unsigned i = 0; i < m->key.total; i++) {
		const struct slot *s = &m->slot[i];
		r->part[i] = i + 1 == p->seq ? part_hash(p->coding, p->data, p->len) :
			     part_hash(s->coding, s->data, s->len);
	}
	hlist_add_head(&r->hnode, &c->rbucket[r->hash & c->mask]);
	llist_add_tail(&r->lnode, &c->rage);
	c->n_recent++;
}

/* ---- expiry and eviction ----------------------------------------------------- */

static bool expired(const struct concat *c, const struct partial *m, uint64_t now_ms)
{
	return now_ms >= m->first_ms && now_ms - m->first_ms >= c->timeout_ms;
}

unsigned concat_expire(struct concat *c, uint64_t now_ms)
{
	struct partial *m;
	unsigned n = 0;

	recent_expire(c, now_ms);
	while (!llist_empty(&c->age)) {
		m = llist_first_entry(&c->age, struct partial, lnode);
		if (!expired(c, m, now_ms))
			break;
		drop(c, m, CONCAT_EXPIRED);
		n++;
	}
	return n;
}

void concat_walk(const struct concat *c,
		 void (*fn)(void *data, const struct concat_partial *p), void *data)
{
	struct described d;
	struct concat_partial p;
	struct partial *m;

	llist_for_each_entry(m, &c->age, lnode) {
		describe(m, &p, &d);
		fn(data, &p);
	}
}

static int check_part(const struct concat_key *k, const struct concat_part *p)
{
	if (!key_valid(k))
		return -EINVAL;
	if (p->seq == 0 || p->seq > k->total || p->len > CONCAT_PART_MAX || (!p->data && p->len))
		return -EINVAL;
	return 0;
}

/* Drop s's oldest partial message; *m is set to NULL if it was that one. */
static void evict_oldest(struct concat *c, struct sender *s, struct partial **m,
			 enum concat_drop_reason why)
{
	struct partial *old = llist_first_entry(&s->partials, struct partial, snode);

	if (m && old == *m)
		*m = NULL;
	drop(c, old, why);
}

/* The sender holding the most partial messages (the first to get there). */
static struct sender *sender_most(const struct concat *c)
{
	return llist_first_entry(&c->by_n[c->top], struct sender, bnode);
}

/*
 * Evict until a part of len bytes of a message from src fits (and, when *m
 * is NULL, a new partial message too): the sender's own limits first, from
 * its own oldest; then the global ones, from the sender holding the most.
 * *m is set to NULL if it was evicted.
 */
static void make_room(struct concat *c, const char *src, struct partial **m, size_t len)
{
	const struct concat_cfg *cfg = &c->cfg;
	struct sender *s;

	while ((s = sender_find(c, src))) {
		if (s->bytes + len > cfg->max_bytes_per_sender)
			evict_oldest(c, s, m, CONCAT_EVICTED_SENDER_BYTES);
		else if (!*m && s->n >= cfg->max_per_sender)
			evict_oldest(c, s, m, CONCAT_EVICTED_SENDER);
		else
			break;
	}
	for (;;) {
		if (c->st.bytes_now + len > cfg->max_bytes)
			evict_oldest(c, sender_most(c), m, CONCAT_EVICTED_BYTES);
		else if (!*m && c->st.partial_now >= cfg->max_partial)
			evict_oldest(c, sender_most(c), m, CONCAT_EVICTED);
		else
			break;
	}
}

unsigned concat_trim(struct concat *c, uint64_t now_ms)
{
	const struct concat_cfg *cfg = &c->cfg;
	uint64_t before = c->st.evicted;
	unsigned n = concat_expire(c, now_ms);
	struct hlist_node *tmp;
	struct sender *s;

	for (size_t b = 0; c->unchecked && b <= c->mask; b++) {
		hlist_for_each_entry_safe(s, tmp, &c->sbucket[b], hnode) {
			/* the last eviction frees s: test n before each */
			while (s->n > cfg->max_per_sender || s->bytes > cfg->max_bytes_per_sender) {
				bool last = s->n == 1;
				evict_oldest(c, s, NULL, s->n > cfg->max_per_sender ?
					     CONCAT_EVICTED_SENDER : CONCAT_EVICTED_SENDER_BYTES);
				if (last)
					break;
			}
		}
	}
	c->unchecked = false;
	while (c->st.partial_now > cfg->max_partial || c->st.bytes_now > cfg->max_bytes)
		evict_oldest(c, sender_most(c), NULL, c->st.partial_now > cfg->max_partial ?
			     CONCAT_EVICTED : CONCAT_EVICTED_BYTES);
	return n + (unsigned)(c->st.evicted - before);
}

bool concat_due(const struct concat *c, uint64_t now_ms)
{
	if (c->unchecked)
		return true;
	return !llist_empty(&c->age) &&
	       expired(c, llist_first_entry(&c->age, struct partial, lnode), now_ms);
}

/* ---- adding ------------------------------------------------------------------ */

static int partial_new(struct concat *c, const struct concat_key *k, uint64_t h, uint64_t now_ms,
		       int64_t rx_ms, struct partial **out)
{
	struct partial *m;

	m = talloc_zero_size(c, sizeof(*m) + k->total * sizeof(struct slot));
	if (!m)
		return -ENOMEM;
	talloc_set_name_const(m, "struct partial");
	key_copy(&m->key, k);
	m->hash = h;
	m->first_ms = now_ms;
	m->first_rx_ms = rx_ms;
	if (sender_link(c, m) < 0) {
		talloc_free(m);
		return -ENOMEM;
	}
	hlist_add_head(&m->hnode, &c->bucket[h & c->mask]);
	llist_add_tail(&m->lnode, &c->age);
	c->st.partial_now++;
	*out = m;
	return 0;
}

/* Build the whole message from m's slots and the last part p. */
static struct concat_msg *join(const struct partial *m, const struct concat_part *p,
			       void *ctx)
{
	unsigned i, total = m->key.total;
	size_t len = m->bytes + p->len, off = 0;
	struct concat_msg *msg;
	const struct slot *s;

	msg = talloc_size(ctx, sizeof(*msg) + total * sizeof(uint64_t) + len);
	if (!msg)
		return NULL;
	talloc_set_name_const(msg, "struct concat_msg");
	msg->key = m->key;
	msg->first_ms = m->first_ms;
	msg->cookies = (uint64_t *)(msg + 1);
	msg->n_cookies = total;
	msg->data = (uint8_t *)(msg->cookies + total);
	msg->len = len;
	msg->coding = p->seq == 1 ? p->coding : m->slot[0].coding;
	msg->mixed = false;
	for (i = 0; i < total; i++) {
		s = &m->slot[i];
		bool last = i + 1 == p->seq;
		const uint8_t *d = last ? p->data : s->data;
		size_t n = last ? p->len : s->len;

		if (n)
			memcpy(msg->data + off, d, n);
		off += n;
		msg->cookies[i] = last ? p->cookie : s->cookie;
		if ((last ? p->coding : s->coding) != msg->coding)
			msg->mixed = true;
	}
	return msg;
}

static int duplicate(struct concat *c, const struct slot *s, const struct concat_part *p)
{
	c->st.parts++;
	c->st.duplicates++;
	if (s->len == p->len && (!p->len || !memcmp(s->data, p->data, p->len)))
		return CONCAT_DUPLICATE;
	c->st.conflicts++;
	return CONCAT_CONFLICT;
}

static int store(struct concat *c, struct partial *m, const struct concat_part *p)
{
	struct slot *s = &m->slot[p->seq - 1];

	if (p->len) {
		s->data = talloc_memdup(m, p->data, p->len);
		if (!s->data)
			return -ENOMEM;
	}
	s->len = (uint32_t)p->len;
	s->cookie = p->cookie;
	s->coding = p->coding;
	s->held = true;
	m->n_parts++;
	m->bytes += p->len;
	m->s->bytes += p->len;
	c->st.bytes_now += p->len;
	c->st.parts++;
	return 0;
}

/* Keep p in m (NULL: a new partial message), or complete m with it. */
static int keep(struct concat *c, const struct concat_key *key, uint64_t h, struct partial *m,
		const struct concat_part *p, uint64_t now_ms, void *msg_ctx, struct concat_msg **done)
{
	int rc;

	if (m && m->n_parts + 1 == key->total) {
		/* The last part completes m: join without storing it. */
		if (done) {
			*done = join(m, p, msg_ctx ? msg_ctx : c);
			if (!*done)
				return -ENOMEM;
		}
		c->st.parts++;
		c->st.completed++;
		recent_add(c, m, p, now_ms);
		partial_free(c, m);
		return CONCAT_COMPLETE;
	}
	if (!m && (rc = partial_new(c, key, h, now_ms, p->rx_ms, &m)) < 0)
		return rc;
	rc = store(c, m, p);
	if (rc && !m->n_parts)
		partial_free(c, m);
	return rc ? rc : CONCAT_STORED;
}

int concat_prepare(struct concat *c, const struct concat_key *key, const struct concat_part *p,
		   uint64_t now_ms)
{
	struct partial *m;
	struct recent *r;
	uint64_t h;
	int rc;

	concat_expire(c, now_ms);
	rc = check_part(key, p);
	if (rc)
		return rc;
	h = key_hash(c, key);
	r = recent_lookup(c, key, h);
	if (r && r->part[p->seq - 1] == part_hash(p->coding, p->data, p->len)) {
		/* a part of a message completed a moment ago, sent again */
		c->st.parts++;
		c->st.duplicates++;
		return CONCAT_DUPLICATE;
	}
	m = lookup(c, key, h);
	if (m && m->slot[p->seq - 1].held)
		return duplicate(c, &m->slot[p->seq - 1], p);
	if (m && m->n_parts + 1 == key->total)
		return 0;
	/* Stored alone it would pass a byte limit: refuse, evicting nothing. */
	if (p->len > c->cfg.max_bytes_per_sender)
		return -ENOSPC;
	make_room(c, key->src, &m, p->len);
	return 0;
}

int concat_add(struct concat *c, const struct concat_key *key, const struct concat_part *p,
	       uint64_t now_ms, void *msg_ctx, struct concat_msg **done)
{
	uint64_t h;
	int rc;

	*done = NULL;
	rc = concat_prepare(c, key, p, now_ms);
	if (rc)
		return rc;
	h = key_hash(c, key);
	return keep(c, key, h, lookup(c, key, h), p, now_ms, msg_ctx, done);
}

/* ---- rebuilding ----------------------------------------------------------------- */

int concat_restore(struct concat *c, const struct concat_key *key, const struct concat_part *p)
{
	struct partial *m;
	uint64_t h;
	int rc = check_part(key, p);

	if (rc)
		return rc;
	h = key_hash(c, key);
	m = lookup(c, key, h);
	if (m && m->slot[p->seq - 1].held)
		return duplicate(c, &m->slot[p->seq - 1], p);
	c->unchecked = true;
	/* times are set by concat_rebase() */
	return keep(c, key, h, m, p, 0, NULL, NULL);
}

int concat_remove(struct concat *c, const struct concat_key *key)
{
	struct partial *m;

	if (!key_valid(key) || !(m = lookup(c, key, key_hash(c, key))))
		return -ENOENT;
	partial_free(c, m);
	return 0;
}

/* How old something received at rx_ms is, at wall_ms, within [0, max_ms]. */
static uint64_t wall_age(int64_t rx_ms, int64_t wall_ms, uint64_t max_ms)
{
	if (wall_ms <= rx_ms)
		return 0;
	return (uint64_t)(wall_ms - rx_ms) < max_ms ? (uint64_t)(wall_ms - rx_ms) : max_ms;
}

void concat_rebase(struct concat *c, uint64_t now_ms, int64_t wall_ms, uint64_t min_left_ms)
{
	uint64_t max_age = c->timeout_ms > min_left_ms ? c->timeout_ms - min_left_ms : 0;
	uint64_t prev = 0;
	struct partial *m;
	struct recent *r, *tmp;

	llist_for_each_entry(m, &c->age, lnode) {
		uint64_t age = wall_age(m->first_rx_ms, wall_ms, max_age);
		m->first_ms = now_ms > age ? now_ms - age : 0;
		if (m->first_ms < prev)
			m->first_ms = prev;	/* the expiry order is the list's */
		prev = m->first_ms;
	}
	prev = 0;
	llist_for_each_entry_safe(r, tmp, &c->rage, lnode) {
		uint64_t age = wall_age(r->done_rx_ms, wall_ms, c->timeout_ms);
		if (age >= c->timeout_ms) {
			recent_free(c, r);
			continue;
		}
		r->done_ms = now_ms > age ? now_ms - age : 0;
		if (r->done_ms < prev)
			r->done_ms = prev;
		prev = r->done_ms;
	}
}
