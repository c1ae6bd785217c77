/* Delta resolution, as git index-pack does it: every object that is a base (whole,
 * or a delta once resolved) is inflated once and all its children are applied to
 * it, depth first. Bases are the roots, taken by worker threads one at a time.
 * A child is found by its base's offset (OFS_DELTA) or id (REF_DELTA); it is
 * claimed atomically, so a pack that holds one base twice resolves it once.
 * Memory: a base is dropped when its last child is taken, and when the bases held
 * by one worker pass DEPTH_BYTES the deepest ones are recomputed from the root
 * when needed again (hostile chains cannot make us hold them all). */
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "../helper/error.h"
#include "gindex_int.h"
#include "gpack.h"

#define DEPTH_BYTES (64u << 20)

struct ref_kid {
	unsigned char base[GPACK_OID_LEN];
	uint32_t obj;
};

struct kids {
	uint32_t *ofs_first; /* nobjs + 1 entries: object i's OFS children are */
	uint32_t *ofs;       /* ofs[ofs_first[i] .. ofs_first[i + 1]) */
	struct ref_kid *refs; /* REF_DELTAs sorted by base id */
	size_t nrefs;
};

struct frame {
	uint32_t obj;
	int type;
	unsigned char *data; /* NULL once dropped */
	size_t len;
	uint32_t ofs_next, ofs_end;
	size_t ref_next, ref_end;
};

struct worker {
	struct gindex *ix;
	const struct kids *k;
	atomic_uint *next_root;
	const uint32_t *roots;
	uint32_t nroots;
	struct libdeflate_decompressor *dec;
	struct frame *stack;
	size_t depth, cap, held;
	unsigned char *delta, *z; /* an inflated delta; compressed bytes from the file */
	size_t delta_cap, z_cap;
	struct gindex_pool pool;
	pthread_t tid;
};

static int cmp_ref(const void *a, const void *b)
{
	return memcmp(((const struct ref_kid *)a)->base, ((const struct ref_kid *)b)->base, GPACK_OID_LEN);
}

/* the object that starts at off (objects are in offset order) */
static int find_off(const struct gindex *ix, uint64_t off, uint32_t *out)
{
	uint32_t lo = 0, hi = ix->nobjs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ix->objs[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ix->nobjs || ix->objs[lo].off != off)
		return err_set(CIH_ECORRUPT, "fetched pack: a delta's base offset %llu is not an object",
			       (unsigned long long)off);
	*out = lo;
	return 0;
}

static void kids_free(struct kids *k)
{
	free(k->ofs_first);
	free(k->ofs);
	free(k->refs);
}

static int kids_build(struct gindex *ix, struct kids *k)
{
	uint32_t n = ix->nobjs, nofs = 0, b;
	int rc;

	memset(k, 0, sizeof(*k));
	for (uint32_t i = 0; i < n; i++) {
		nofs += ix->objs[i].type == GPACK_OBJ_OFS_DELTA;
		k->nrefs += ix->objs[i].type == GPACK_OBJ_REF_DELTA;
	}
	if (!(k->ofs_first = calloc((size_t)n + 1, sizeof(*k->ofs_first))) ||
	    !(k->ofs = malloc(((size_t)nofs + 1) * sizeof(*k->ofs))) ||
	    !(k->refs = malloc((k->nrefs + 1) * sizeof(*k->refs)))) {
		kids_free(k);
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	}
	/* counts at ofs_first[base + 1], prefix sums, then filled back to front */
	for (uint32_t i = 0; i < n; i++) {
		if (ix->objs[i].type != GPACK_OBJ_OFS_DELTA)
			continue;
		if ((rc = find_off(ix, ix->objs[i].base_off, &b)) < 0) {
			kids_free(k);
			return rc;
		}
		k->ofs_first[b + 1]++;
	}
	for (uint32_t i = 0; i < n; i++)
		k->ofs_first[i + 1] += k->ofs_first[i];
	for (uint32_t i = n, r = 0; i-- > 0;) {
		const struct gindex_obj *o = &ix->objs[i];

		if (o->type == GPACK_OBJ_REF_DELTA) {
			if ((rc = gindex_pread(ix, k->refs[r].base, GPACK_OID_LEN, o->data - GPACK_OID_LEN)) < 0) {
				kids_free(k);
				return rc;
			}
			k->refs[r++].obj = i;
		} else if (o->type == GPACK_OBJ_OFS_DELTA) {
			find_off(ix, o->base_off, &b);
			k->ofs[--k->ofs_first[b + 1]] = i;
		}
	}
	/* ofs_first[b + 1] was moved down to b's first slot: shift back */
	for (uint32_t i = 0; i < n; i++)
		k->ofs_first[i] = k->ofs_first[i + 1];
	k->ofs_first[n] = nofs;
	qsort(k->refs, k->nrefs, sizeof(*k->refs), cmp_ref);
	return 0;
}

/* [*from, *to) of the REF_DELTAs on base id */
static void ref_range(const struct kids *k, const unsigned char *id, size_t *from, size_t *to)
{
	size_t lo = 0, hi = k->nrefs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(k->refs[mid].base, id, GPACK_OID_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*from = lo;
	while (lo < k->nrefs && !memcmp(k->refs[lo].base, id, GPACK_OID_LEN))
		lo++;
	*to = lo;
}

static int unpack_at(struct worker *w, const struct gindex_obj *o, unsigned char *out)
{
	size_t used, zlen = (size_t)(o->end - o->data);
	int rc;

	if (w->z_cap < zlen) {
		free(w->z);
		w->z_cap = zlen < 65536 ? 65536 : zlen;
		if (!(w->z = malloc(w->z_cap))) {
			w->z_cap = 0;
			return err_set(CIH_ENOMEM, "fetched pack: out of memory");
		}
	}
	if ((rc = gindex_pread(w->ix, w->z, zlen, o->data)) < 0)
		return rc;
	if (!gpack_zlib_inflate_n(w->dec, w->z, zlen, out, o->size, &used))
		return err_set(CIH_ECORRUPT, "fetched pack: object at offset %llu: bad zlib stream",
			       (unsigned long long)o->off);
	return 0;
}

static int delta_of(struct worker *w, const struct gindex_obj *o)
{
	if (w->delta_cap < o->size) {
		free(w->delta);
		w->delta_cap = o->size;
		if (!(w->delta = malloc(w->delta_cap))) {
			w->delta_cap = 0;
			return err_set(CIH_ENOMEM, "fetched pack: out of memory for a %llu-byte delta",
				       (unsigned long long)o->size);
		}
	}
	return unpack_at(w, o, w->delta);
}

/* the delta object d applied to base: a new buffer */
static int apply(struct worker *w, uint32_t d, const unsigned char *base, size_t base_len,
		 unsigned char **out, size_t *out_len)
{
	const struct gindex_obj *o = &w->ix->objs[d];
	int rc;

	if ((rc = delta_of(w, o)) < 0 ||
	    (rc = gpack_delta_target(w->delta, (size_t)o->size, base_len, out_len)) < 0)
		return err_prefix("fetched pack: delta at offset %llu", (unsigned long long)o->off);
	if (!(*out = gindex_pool_get(&w->pool, *out_len)))
		return err_set(CIH_ENOMEM, "fetched pack: out of memory for a %zu-byte object", *out_len);
	if ((rc = gpack_delta_apply_into(base, base_len, w->delta, (size_t)o->size, *out, *out_len)) < 0) {
		gindex_pool_put(&w->pool, *out, *out_len);
		return err_prefix("fetched pack: delta at offset %llu", (unsigned long long)o->off);
	}
	return 0;
}

/* Makes sure stack[level] holds its data: recomputed from the deepest frame
 * below that still has it (or the root, inflated again). */
static int frame_data(struct worker *w, size_t level)
{
	size_t j = level;
	int rc;

	while (!w->stack[j].data && j > 0)
		j--;
	if (!w->stack[j].data) {
		struct frame *r = &w->stack[0];

		if (!(r->data = gindex_pool_get(&w->pool, r->len)))
			return err_set(CIH_ENOMEM, "fetched pack: out of memory");
		if ((rc = unpack_at(w, &w->ix->objs[r->obj], r->data)) < 0)
			return rc;
		w->held += r->len;
	}
	for (j++; j <= level; j++) {
		struct frame *f = &w->stack[j], *b = &w->stack[j - 1];
		size_t len;

		if ((rc = apply(w, f->obj, b->data, b->len, &f->data, &len)) < 0)
			return rc;
		w->held += f->len;
	}
	return 0;
}

/* Over budget: the frames below the top give up their data, deepest first. */
static void trim(struct worker *w)
{
	for (size_t j = w->depth - 1; j-- > 0 && w->held > DEPTH_BYTES;) {
		if (w->stack[j].data) {
			gindex_pool_put(&w->pool, w->stack[j].data, w->stack[j].len);
			w->stack[j].data = NULL;
			w->held -= w->stack[j].len;
		}
	}
}

static void drop(struct worker *w, struct frame *f)
{
	if (f->data) {
		gindex_pool_put(&w->pool, f->data, f->len);
		f->data = NULL;
		w->held -= f->len;
	}
}

static int push(struct worker *w, uint32_t obj, int type, unsigned char *data, size_t len)
{
	const struct gindex_obj *o = &w->ix->objs[obj];
	struct frame *f;

	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct frame *s = realloc(w->stack, cap * sizeof(*s));

		if (!s) {
			gindex_pool_put(&w->pool, data, len);
			return err_set(CIH_ENOMEM, "fetched pack: out of memory");
		}
		w->stack = s;
		w->cap = cap;
	}
	f = &w->stack[w->depth++];
	f->obj = obj;
	f->type = type;
	f->data = data;
	f->len = len;
	f->ofs_next = w->k->ofs_first[obj];
	f->ofs_end = w->k->ofs_first[obj + 1];
	ref_range(w->k, o->oid, &f->ref_next, &f->ref_end);
	w->held += len;
	if (w->held > DEPTH_BYTES)
		trim(w);
	return 0;
}

static bool has_kids(const struct worker *w, uint32_t obj)
{
	size_t from, to;

	if (w->k->ofs_first[obj] != w->k->ofs_first[obj + 1])
		return true;
	ref_range(w->k, w->ix->objs[obj].oid, &from, &to);
	return from != to;
}

/* the next child of f not claimed by anyone else, or false */
static bool next_kid(struct worker *w, struct frame *f, uint32_t *kid)
{
	for (;;) {
		unsigned expect = GINDEX_NEW;

		if (f->ofs_next < f->ofs_end)
			*kid = w->k->ofs[f->ofs_next++];
		else if (f->ref_next < f->ref_end)
			*kid = w->k->refs[f->ref_next++].obj;
		else
			return false;
		if (atomic_compare_exchange_strong(&w->ix->objs[*kid].state, &expect, GINDEX_CLAIMED))
			return true;
	}
}

static int resolve_kid(struct worker *w, uint32_t kid)
{
	struct gindex_obj *o = &w->ix->objs[kid];
	size_t level = w->depth - 1, len;
	struct frame *f;
	unsigned char *data;
	git_oid id;
	int rc, type;

	if ((rc = frame_data(w, level)) < 0)
		return rc;
	f = &w->stack[level];
	if ((rc = apply(w, kid, f->data, f->len, &data, &len)) < 0)
		return rc;
	type = f->type;
	if (f->ofs_next == f->ofs_end && f->ref_next == f->ref_end)
		drop(w, f); /* its last child: not needed any more */
	if (git_odb_hash(&id, data, len, (git_object_t)type) < 0) {
		gindex_pool_put(&w->pool, data, len);
		return err_set(CIH_EGIT, "fetched pack: cannot hash an object");
	}
	memcpy(o->oid, id.id, GPACK_OID_LEN);
	o->real_type = (uint8_t)type;
	atomic_store(&o->state, GINDEX_DONE);
	atomic_fetch_add(&w->ix->resolved, 1);
	if (!has_kids(w, kid)) {
		gindex_pool_put(&w->pool, data, len);
		return 0;
	}
	return push(w, kid, type, data, len);
}

static int resolve_root(struct worker *w, uint32_t root)
{
	const struct gindex_obj *o = &w->ix->objs[root];
	unsigned char *data;
	uint32_t kid;
	int rc;

	if (!has_kids(w, root))
		return 0;
	if (!(data = gindex_pool_get(&w->pool, (size_t)o->size)))
		return err_set(CIH_ENOMEM, "fetched pack: out of memory for a %llu-byte object",
			       (unsigned long long)o->size);
	if ((rc = unpack_at(w, o, data)) < 0) {
		gindex_pool_put(&w->pool, data, (size_t)o->size);
		return rc;
	}
	if ((rc = push(w, root, o->real_type, data, (size_t)o->size)) < 0)
		return rc;
	while (w->depth) {
		struct frame *f = &w->stack[w->depth - 1];

		if (next_kid(w, f, &kid)) {
			if ((rc = resolve_kid(w, kid)) < 0)
				return rc;
			continue;
		}
		drop(w, f);
		w->depth--;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int rc = 0;

	for (;;) {
		unsigned r = atomic_fetch_add(w->next_root, 1);

		if (r >= w->nroots || gindex_failed(w->ix) < 0)
			break;
		if ((rc = resolve_root(w, w->roots[r])) < 0) {
			gindex_fail(w->ix, rc);
			break;
		}
	}
	while (w->depth)
		drop(w, &w->stack[--w->depth]);
	return NULL;
}

static int run(struct gindex *ix, const struct kids *k, const uint32_t *roots, uint32_t nroots)
{
	unsigned n = ix->nthreads ? ix->nthreads : 1, started = 0;
	struct worker *w = calloc(n, sizeof(*w));
	atomic_uint next = 0;
	int rc = 0;

	if (!w)
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	for (unsigned i = 0; i < n; i++) {
		w[i] = (struct worker){ .ix = ix, .k = k, .next_root = &next, .roots = roots, .nroots = nroots,
					.pool.limit = GINDEX_POOL_LIMIT };
		if (!(w[i].dec = libdeflate_alloc_decompressor())) {
			rc = err_set(CIH_ENOMEM, "fetched pack: out of memory");
			break;
		}
	}
	/* this thread is the last worker */
	for (; rc == 0 && started + 1 < n; started++)
		if (pthread_create(&w[started].tid, NULL, worker_main, &w[started]))
			break;
	if (rc == 0)
		worker_main(&w[n - 1]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	for (unsigned i = 0; i < n; i++) {
		if (w[i].dec)
			libdeflate_free_decompressor(w[i].dec);
		free(w[i].stack);
		free(w[i].delta);
		free(w[i].z);
		gindex_pool_clear(&w[i].pool);
	}
	free(w);
	return rc < 0 ? rc : gindex_failed(ix);
}

int gindex_resolve_from(struct gindex *ix, uint32_t first)
{
	uint32_t *roots, nroots = 0;
	struct kids k;
	int rc;

	if ((rc = kids_build(ix, &k)) < 0)
		return rc;
	if (!(roots = malloc(((size_t)ix->nobjs - first + 1) * sizeof(*roots)))) {
		kids_free(&k);
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	}
	for (uint32_t i = first; i < ix->nobjs; i++)
		if (ix->objs[i].type <= GPACK_OBJ_TAG)
			roots[nroots++] = i;
	rc = run(ix, &k, roots, nroots);
	free(roots);
	kids_free(&k);
	return rc;
}

int gindex_resolve(struct gindex *ix)
{
	return gindex_resolve_from(ix, 0);
}
