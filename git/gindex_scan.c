/* The pass over the pack while it arrives. Object boundaries are only known by
 * inflating: the scanner thread inflates each object with libdeflate from the
 * bytes written so far; when an object's stream is not all there yet it waits
 * until the unscanned part has doubled (or the stream ended), so a big object costs
 * at most twice its inflation. Whole objects go to hasher threads through a queue;
 * when the queue is full the scanner hashes them itself. Deltas are only measured
 * here (and their CRC taken): gindex_resolve.c applies them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libdeflate.h>
#include <zlib.h>

#include "../helper/bytes.h"
#include "../helper/error.h"
#include "gindex_int.h"

#define QUEUE_JOBS 4096
#define QUEUE_BYTES (32u << 20)
/* the least the scanner waits for before trying an object again */
#define RETRY_MIN (64u << 10)
#define DROP_STEP ((uint64_t)16 << 20)

static int corrupt(uint64_t off, const char *what)
{
	return err_set(CIH_ECORRUPT, "fetched pack: object at offset %llu: %s", (unsigned long long)off, what);
}

int gindex_parse_header(const unsigned char *buf, uint64_t len, uint64_t pos, struct gindex_obj *o)
{
	uint64_t start = pos, size, ofs;
	unsigned shift = 4;
	unsigned char c;

	if (pos >= len)
		return 1;
	c = buf[pos++];
	o->type = (c >> 4) & 7;
	size = c & 15;
	while (c & 0x80) {
		if (pos >= len)
			return 1;
		c = buf[pos++];
		if (shift > 63 || (uint64_t)(c & 0x7f) >> (64 - shift))
			return corrupt(start, "size overflows");
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	if (o->type == GPACK_OBJ_OFS_DELTA) {
		if (pos >= len)
			return 1;
		c = buf[pos++];
		ofs = c & 0x7f;
		while (c & 0x80) {
			if (pos >= len)
				return 1;
			if (ofs + 1 > UINT64_MAX >> 7)
				return corrupt(start, "delta base offset overflows");
			c = buf[pos++];
			ofs = ((ofs + 1) << 7) | (c & 0x7f);
		}
		if (!ofs || ofs > start - GINDEX_HDR)
			return corrupt(start, "delta base offset outside the pack");
		o->base_off = start - ofs;
	} else if (o->type == GPACK_OBJ_REF_DELTA) {
		if (len - pos < GPACK_OID_LEN)
			return 1;
		pos += GPACK_OID_LEN;
	} else if (o->type < GPACK_OBJ_COMMIT || o->type > GPACK_OBJ_TAG) {
		return corrupt(start, "unknown object type");
	}
	if (size >= SIZE_MAX)
		return corrupt(start, "object too big for this machine");
	o->off = start;
	o->data = pos;
	o->size = size;
	return 0;
}

static unsigned char *buf_get(struct gindex *ix, size_t size)
{
	unsigned char *b;

	pthread_mutex_lock(&ix->lock);
	b = gindex_pool_get(&ix->pool, size);
	pthread_mutex_unlock(&ix->lock);
	return b;
}

static void buf_put(struct gindex *ix, unsigned char *b, size_t size)
{
	pthread_mutex_lock(&ix->lock);
	gindex_pool_put(&ix->pool, b, size);
	pthread_mutex_unlock(&ix->lock);
}

static void hash_job(struct gindex *ix, struct gindex_job *j)
{
	struct gindex_obj *o;
	git_oid id;

	if (git_odb_hash(&id, j->data, j->len, (git_object_t)j->type) < 0) {
		gindex_fail(ix, err_set(CIH_EGIT, "fetched pack: cannot hash an object"));
	} else {
		pthread_rwlock_rdlock(&ix->objs_lock);
		o = &ix->objs[j->obj];
		memcpy(o->oid, id.id, GPACK_OID_LEN);
		o->real_type = (uint8_t)j->type;
		atomic_store(&o->state, GINDEX_DONE);
		pthread_rwlock_unlock(&ix->objs_lock);
		atomic_fetch_add(&ix->hashed, 1);
	}
	buf_put(ix, j->data, j->len);
}

static void *hasher_main(void *arg)
{
	struct gindex *ix = arg;
	struct gindex_job j;

	for (;;) {
		pthread_mutex_lock(&ix->lock);
		while (!ix->qlen && !ix->scan_done && !ix->cancel)
			pthread_cond_wait(&ix->work, &ix->lock);
		if (ix->cancel || !ix->qlen) {
			pthread_mutex_unlock(&ix->lock);
			return NULL;
		}
		j = ix->queue[ix->qhead];
		ix->qhead = (ix->qhead + 1) % ix->qcap;
		ix->qlen--;
		ix->qbytes -= j.len;
		pthread_mutex_unlock(&ix->lock);
		hash_job(ix, &j);
	}
}

/* Queued for a hasher, or hashed here when the queue is full. */
static void submit(struct gindex *ix, uint32_t obj, int type, unsigned char *data, size_t len)
{
	struct gindex_job j = { obj, type, data, len };

	pthread_mutex_lock(&ix->lock);
	if (ix->nhashers && ix->qlen < ix->qcap && ix->qbytes + len <= QUEUE_BYTES) {
		ix->queue[(ix->qhead + ix->qlen++) % ix->qcap] = j;
		ix->qbytes += len;
		pthread_cond_signal(&ix->work);
		pthread_mutex_unlock(&ix->lock);
		return;
	}
	pthread_mutex_unlock(&ix->lock);
	hash_job(ix, &j);
}

/* Waits until need bytes are written or the stream ended; maps what there is. */
static int wait_for(struct gindex *ix, uint64_t need, uint64_t *avail, bool *eof)
{
	pthread_mutex_lock(&ix->lock);
	while (ix->written < need && !ix->eof && !ix->cancel)
		pthread_cond_wait(&ix->more, &ix->lock);
	*avail = ix->written;
	*eof = ix->eof;
	if (ix->cancel) {
		pthread_mutex_unlock(&ix->lock);
		return CIH_EABORT;
	}
	pthread_mutex_unlock(&ix->lock);
	return gindex_map(ix, *avail);
}

struct scan {
	struct libdeflate_decompressor *dec;
	unsigned char *scratch; /* deltas: inflated only to find their end */
	size_t scratch_cap;
};

/* 0: o is complete (its end set, a whole object submitted); 1: more bytes needed */
static int unpack_obj(struct gindex *ix, struct scan *s, uint32_t i, uint64_t avail)
{
	struct gindex_obj *o = &ix->objs[i];
	uint64_t in_len = avail - o->data;
	bool whole = o->type <= GPACK_OBJ_TAG;
	unsigned char *out;
	size_t used;

	/* not enough bytes yet for that size (also caps what a lying header costs) */
	if (o->size / GINDEX_MAX_RATIO > in_len)
		return 1;
	if (whole) {
		if (!(out = buf_get(ix, o->size)))
			return err_set(CIH_ENOMEM, "fetched pack: out of memory for a %llu-byte object",
				       (unsigned long long)o->size);
	} else {
		if (s->scratch_cap < o->size) {
			free(s->scratch);
			s->scratch_cap = o->size < 4096 ? 4096 : o->size;
			if (!(s->scratch = malloc(s->scratch_cap))) {
				s->scratch_cap = 0;
				return err_set(CIH_ENOMEM, "fetched pack: out of memory for a %llu-byte delta",
					       (unsigned long long)o->size);
			}
		}
		out = s->scratch;
	}
	if (!gpack_zlib_inflate_n(s->dec, ix->map + o->data, in_len, out, o->size, &used)) {
		if (whole)
			buf_put(ix, out, o->size);
		return 1;
	}
	o->end = o->data + used;
	o->crc = (uint32_t)crc32_z(0, ix->map + o->off, (size_t)(o->end - o->off));
	if (whole)
		submit(ix, i, o->type, out, o->size);
	return 0;
}

/* The scanned pages leave our RSS (the page cache keeps them for the resolution). */
static void drop_behind(struct gindex *ix)
{
	uint64_t upto = ix->pos & ~(uint64_t)(DROP_STEP - 1);

	if (upto >= ix->dropped + DROP_STEP) {
		madvise((void *)(ix->map + ix->dropped), (size_t)(upto - ix->dropped), MADV_DONTNEED);
		ix->dropped = upto;
	}
}

static int read_header(struct gindex *ix)
{
	uint64_t avail;
	bool eof;
	int rc;

	if ((rc = wait_for(ix, GINDEX_HDR, &avail, &eof)) < 0)
		return rc;
	if (avail < GINDEX_HDR || memcmp(ix->map, "PACK", 4))
		return err_set(CIH_ECORRUPT, "fetched pack: not a pack (bad signature)");
	ix->version = rd_be32(ix->map + 4);
	if (ix->version != 2 && ix->version != 3)
		return err_set(CIH_ECORRUPT, "fetched pack: version %u is not supported", ix->version);
	ix->nr = rd_be32(ix->map + 8);
	atomic_store(&ix->total, ix->nr);
	ix->pos = GINDEX_HDR;
	return 0;
}

/* Room for one more object. The table grows with what arrives, never on the
 * header's word alone. */
static int reserve(struct gindex *ix)
{
	uint32_t cap = ix->cap ? (ix->cap > ix->nr / 2 ? ix->nr : ix->cap * 2) : (ix->nr < 65536 ? ix->nr : 65536);
	struct gindex_obj *o;

	if (ix->nobjs < ix->cap)
		return 0;
	pthread_rwlock_wrlock(&ix->objs_lock);
	o = realloc(ix->objs, (size_t)cap * sizeof(*o));
	if (o) {
		memset(o + ix->cap, 0, (size_t)(cap - ix->cap) * sizeof(*o));
		ix->objs = o;
		ix->cap = cap;
	}
	pthread_rwlock_unlock(&ix->objs_lock);
	return o ? 0 : err_set(CIH_ENOMEM, "fetched pack: out of memory for %u objects", cap);
}

static int scan(struct gindex *ix, struct scan *s)
{
	uint64_t avail = 0, want;
	bool eof = false;
	int rc;

	if ((rc = read_header(ix)) < 0 || (rc = wait_for(ix, 0, &avail, &eof)) < 0)
		return rc;
	while (ix->nobjs < ix->nr) {
		struct gindex_obj *o;

		if ((rc = reserve(ix)) < 0)
			return rc;
		o = &ix->objs[ix->nobjs];
		rc = gindex_parse_header(ix->map, avail, ix->pos, o);
		if (rc == 0)
			rc = unpack_obj(ix, s, ix->nobjs, avail);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			ix->pos = o->end;
			ix->nobjs++;
			atomic_fetch_add(&ix->received, 1);
			drop_behind(ix);
			continue;
		}
		if (eof)
			return err_set(CIH_ECORRUPT,
				       "fetched pack: object %u of %u at offset %llu is truncated or corrupt",
				       ix->nobjs + 1, ix->nr, (unsigned long long)ix->pos);
		want = avail + (avail - ix->pos > RETRY_MIN ? avail - ix->pos : RETRY_MIN);
		if ((rc = wait_for(ix, want, &avail, &eof)) < 0)
			return rc;
	}
	return 0;
}

static void *scanner_main(void *arg)
{
	struct gindex *ix = arg;
	struct scan s = { 0 };
	int rc;

	if (!(s.dec = libdeflate_alloc_decompressor()))
		rc = err_set(CIH_ENOMEM, "fetched pack: out of memory");
	else
		rc = scan(ix, &s);
	if (rc < 0)
		gindex_fail(ix, rc);
	pthread_mutex_lock(&ix->lock);
	ix->scan_done = true;
	pthread_cond_broadcast(&ix->work);
	pthread_mutex_unlock(&ix->lock);
	if (s.dec)
		libdeflate_free_decompressor(s.dec);
	free(s.scratch);
	return NULL;
}

int gindex_scan_start(struct gindex *ix)
{
	unsigned want = ix->nthreads > 1 ? ix->nthreads - 1 : 1;

	ix->qcap = QUEUE_JOBS;
	if (!(ix->queue = malloc(ix->qcap * sizeof(*ix->queue))) ||
	    !(ix->hashers = calloc(want, sizeof(*ix->hashers))))
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	for (; ix->nhashers < want; ix->nhashers++)
		if (pthread_create(&ix->hashers[ix->nhashers], NULL, hasher_main, ix))
			break; /* fewer hashers: the scanner hashes the rest itself */
	ix->scanner_started = true;
	if (pthread_create(&ix->scanner, NULL, scanner_main, ix)) {
		ix->scanner_started = false;
		gindex_scan_stop(ix);
		return err_set(CIH_ERR, "fetched pack: cannot start a thread");
	}
	return 0;
}

int gindex_scan_finish(struct gindex *ix)
{
	if (ix->scanner_started)
		pthread_join(ix->scanner, NULL);
	ix->scanner_started = false;
	for (unsigned i = 0; i < ix->nhashers; i++)
		pthread_join(ix->hashers[i], NULL);
	ix->nhashers = 0;
	return gindex_failed(ix);
}

void gindex_scan_stop(struct gindex *ix)
{
	pthread_mutex_lock(&ix->lock);
	ix->cancel = true;
	pthread_cond_broadcast(&ix->more);
	pthread_cond_broadcast(&ix->work);
	pthread_mutex_unlock(&ix->lock);
	gindex_scan_finish(ix);
	while (ix->qlen) {
		free(ix->queue[ix->qhead].data);
		ix->qhead = (ix->qhead + 1) % ix->qcap;
		ix->qlen--;
	}
}
