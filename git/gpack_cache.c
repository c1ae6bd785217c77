/* The delta base cache: a chained hash table on (pack, offset) plus an LRU list,
 * evicting from the cold end until a new entry fits the byte budget. */
#include <stdlib.h>

#include "gpack_int.h"

#define INITIAL_BUCKETS 1024

void gpack_cache_init(struct gpack_cache *c, size_t limit)
{
	*c = (struct gpack_cache){ .limit = limit };
}

static size_t bucket(const struct gpack_cache *c, const struct gpack_pack *p, uint64_t off)
{
	uint64_t h = (off ^ (uint64_t)(uintptr_t)p) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ h >> 29) & (c->nbuckets - 1);
}

static void lru_unlink(struct gpack_cache *c, struct gpack_cent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct gpack_cache *c, struct gpack_cent *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
}

const struct gpack_cent *gpack_cache_get(struct gpack_cache *c, const struct gpack_pack *p, uint64_t off)
{
	struct gpack_cent *e;

	if (!c->count)
		return NULL;
	for (e = c->tab[bucket(c, p, off)]; e; e = e->hnext) {
		if (e->p == p && e->off == off) {
			if (c->head != e) {
				lru_unlink(c, e);
				lru_push_front(c, e);
			}
			return e;
		}
	}
	return NULL;
}

static void evict(struct gpack_cache *c, struct gpack_cent *e)
{
	struct gpack_cent **pp = &c->tab[bucket(c, e->p, e->off)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->bytes -= e->len;
	c->count--;
	free(e->data);
	free(e);
}

/* Doubles the table; on no memory the table stays as it is (chains get longer). */
static void grow(struct gpack_cache *c)
{
	size_t n = c->nbuckets ? c->nbuckets * 2 : INITIAL_BUCKETS, old_n = c->nbuckets;
	struct gpack_cent **tab = calloc(n, sizeof(*tab)), **old = c->tab;

	if (!tab)
		return;
	c->tab = tab;
	c->nbuckets = n;
	for (size_t i = 0; i < old_n; i++) {
		for (struct gpack_cent *e = old[i], *next; e; e = next) {
			size_t b = bucket(c, e->p, e->off);

			next = e->hnext;
			e->hnext = tab[b];
			tab[b] = e;
		}
	}
	free(old);
}

void gpack_cache_put(struct gpack_cache *c, const struct gpack_pack *p, uint64_t off, int type,
		     unsigned char *data, size_t len)
{
	struct gpack_cent *e;
	size_t b;

	if (len > c->limit / 4 || gpack_cache_get(c, p, off)) {
		free(data);
		return;
	}
	while (c->tail && c->bytes + len > c->limit)
		evict(c, c->tail);
	if (c->count >= c->nbuckets)
		grow(c);
	if (!c->nbuckets || !(e = malloc(sizeof(*e)))) {
		free(data);
		return;
	}
	*e = (struct gpack_cent){ .p = p, .off = off, .type = type, .data = data, .len = len };
	b = bucket(c, p, off);
	e->hnext = c->tab[b];
	c->tab[b] = e;
	lru_push_front(c, e);
	c->bytes += len;
	c->count++;
}

void gpack_cache_clear(struct gpack_cache *c)
{
	while (c->tail)
		evict(c, c->tail);
	free(c->tab);
	gpack_cache_init(c, c->limit);
}
