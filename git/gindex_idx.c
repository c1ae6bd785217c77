/* Thin packs and the pack index. A thin pack (a fetch into a repository that has
 * some bases already) has REF_DELTAs on objects it does not carry: those bases are
 * read from the repository and appended to the pack as whole objects, as git
 * index-pack --fix-thin does, and the header's count and the trailer rewritten.
 * The index is git's version 2: fanout, ids, CRC-32s, 31-bit offsets with a
 * 64-bit table for the rest, the pack's checksum and its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "../helper/bytes.h"
#include "../helper/error.h"
#include "gindex_int.h"

#define REHASH_CHUNK ((size_t)1 << 20)

struct id_obj {
	unsigned char id[GPACK_OID_LEN];
	uint32_t obj;
};

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, GPACK_OID_LEN);
}

static void hex(char out[2 * GPACK_OID_LEN + 1], const unsigned char *id)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < GPACK_OID_LEN; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * GPACK_OID_LEN] = 0;
}

static size_t obj_header(unsigned char *h, int type, uint64_t size)
{
	unsigned char c = (unsigned char)(type << 4 | (size & 15));
	size_t n = 0;

	for (size >>= 4; size; size >>= 7) {
		h[n++] = c | 0x80;
		c = size & 0x7f;
	}
	h[n++] = c;
	return n;
}

static int grow(struct gindex *ix)
{
	uint32_t cap = ix->cap < 64 ? 64 : ix->cap;
	struct gindex_obj *o;

	if (ix->nobjs < ix->cap)
		return 0;
	if (cap > UINT32_MAX / 2)
		return err_set(CIH_ETOOBIG, "fetched pack: too many objects");
	if (!(o = realloc(ix->objs, (size_t)cap * 2 * sizeof(*o))))
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	memset(o + ix->cap, 0, ((size_t)cap * 2 - ix->cap) * sizeof(*o));
	ix->objs = o;
	ix->cap = cap * 2;
	return 0;
}

/* The repository's object id appended at *end as a whole object; 1 when the
 * repository does not have it. */
static int inject(struct gindex *ix, const unsigned char *id, uint64_t *end)
{
	unsigned char hdr[16], *z = NULL;
	git_odb_object *obj = NULL;
	struct gindex_obj *o;
	uLongf zlen;
	size_t hlen, len;
	char name[2 * GPACK_OID_LEN + 1];
	git_oid oid;
	int rc;

	hex(name, id);
	/* perhaps one of the pack's own deltas, still unresolved: not an error yet */
	if (git_oid_fromraw(&oid, id) < 0 || git_odb_read(&obj, ix->odb, &oid) < 0)
		return 1;
	len = git_odb_object_size(obj);
	zlen = compressBound((uLong)len);
	if ((rc = grow(ix)) < 0)
		goto out;
	if (!(z = malloc(zlen))) {
		rc = err_set(CIH_ENOMEM, "fetched pack: out of memory");
		goto out;
	}
	if (compress2(z, &zlen, git_odb_object_data(obj), (uLong)len, Z_DEFAULT_COMPRESSION) != Z_OK) {
		rc = err_set(CIH_ERR, "fetched pack: cannot compress %s", name);
		goto out;
	}
	hlen = obj_header(hdr, git_odb_object_type(obj), len);
	if ((rc = gindex_pwrite(ix, hdr, hlen, *end)) < 0 || (rc = gindex_pwrite(ix, z, zlen, *end + hlen)) < 0)
		goto out;
	o = &ix->objs[ix->nobjs++];
	o->off = *end;
	o->data = *end + hlen;
	o->end = o->data + zlen;
	o->size = len;
	o->type = o->real_type = (uint8_t)git_odb_object_type(obj);
	o->crc = (uint32_t)crc32_z(crc32_z(0, hdr, hlen), z, zlen);
	memcpy(o->oid, id, GPACK_OID_LEN);
	atomic_store(&o->state, GINDEX_DONE);
	*end = o->end;
out:
	free(z);
	git_odb_object_free(obj);
	return rc;
}

/* The ids of the resolved objects, sorted; objects without one are left out. */
static int sorted_ids(const struct gindex *ix, struct id_obj **out, uint32_t *n)
{
	struct id_obj *v = malloc(((size_t)ix->nobjs + 1) * sizeof(*v));

	*n = 0;
	if (!(*out = v))
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	for (uint32_t i = 0; i < ix->nobjs; i++) {
		if (atomic_load(&ix->objs[i].state) != GINDEX_DONE)
			continue;
		memcpy(v[*n].id, ix->objs[i].oid, GPACK_OID_LEN);
		v[(*n)++].obj = i;
	}
	qsort(v, *n, sizeof(*v), cmp_id);
	return 0;
}

/* The base ids of the unresolved REF_DELTAs that no object of the pack has,
 * sorted, each once. */
static int missing_bases(struct gindex *ix, unsigned char **out, size_t *nmissing, uint32_t *unresolved)
{
	struct id_obj *ids;
	unsigned char *m;
	uint32_t nids;
	size_t n = 0;
	int rc;

	*out = NULL;
	*unresolved = 0;
	if ((rc = sorted_ids(ix, &ids, &nids)) < 0)
		return rc;
	if (!(m = malloc(((size_t)ix->nobjs + 1) * GPACK_OID_LEN))) {
		free(ids);
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	}
	for (uint32_t i = 0; i < ix->nobjs && rc == 0; i++) {
		struct gindex_obj *o = &ix->objs[i];
		unsigned char base[GPACK_OID_LEN];

		if (o->type < GPACK_OBJ_OFS_DELTA || atomic_load(&o->state) == GINDEX_DONE)
			continue;
		(*unresolved)++;
		if (o->type != GPACK_OBJ_REF_DELTA ||
		    (rc = gindex_pread(ix, base, GPACK_OID_LEN, o->data - GPACK_OID_LEN)) < 0)
			continue;
		if (!bsearch(base, ids, nids, sizeof(*ids), cmp_id))
			memcpy(m + GPACK_OID_LEN * n++, base, GPACK_OID_LEN);
	}
	free(ids);
	if (rc < 0) {
		free(m);
		return rc;
	}
	qsort(m, n, GPACK_OID_LEN, cmp_id);
	*nmissing = 0;
	for (size_t i = 0; i < n; i++)
		if (!*nmissing || memcmp(m + GPACK_OID_LEN * (*nmissing - 1), m + GPACK_OID_LEN * i, GPACK_OID_LEN))
			memmove(m + GPACK_OID_LEN * (*nmissing)++, m + GPACK_OID_LEN * i, GPACK_OID_LEN);
	*out = m;
	return 0;
}

static int rehash(struct gindex *ix, uint64_t end, unsigned char trailer[GINDEX_TRAILER])
{
	unsigned char count[4], *buf;
	mbedtls_sha1_context sha;
	int rc;

	wr_be32(count, ix->nobjs);
	if ((rc = gindex_pwrite(ix, count, 4, 8)) < 0)
		return rc;
	if (!(buf = malloc(REHASH_CHUNK)))
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	mbedtls_sha1_init(&sha);
	if (mbedtls_sha1_starts(&sha))
		rc = err_set(CIH_ERR, "fetched pack: SHA-1 failed");
	for (uint64_t off = 0; rc == 0 && off < end;) {
		size_t n = end - off < REHASH_CHUNK ? (size_t)(end - off) : REHASH_CHUNK;

		if ((rc = gindex_pread(ix, buf, n, off)) == 0 && mbedtls_sha1_update(&sha, buf, n))
			rc = err_set(CIH_ERR, "fetched pack: SHA-1 failed");
		off += n;
	}
	if (rc == 0 && mbedtls_sha1_finish(&sha, trailer))
		rc = err_set(CIH_ERR, "fetched pack: SHA-1 failed");
	mbedtls_sha1_free(&sha);
	free(buf);
	if (rc < 0)
		return rc;
	if ((rc = gindex_pwrite(ix, trailer, GINDEX_TRAILER, end)) < 0)
		return rc;
	if (ftruncate(ix->fd, (off_t)(end + GINDEX_TRAILER)) < 0)
		return err_os("fetched pack: cannot truncate %s", ix->tmp_path);
	ix->written = end + GINDEX_TRAILER;
	ix->pos = end;
	return 0;
}

int gindex_complete_thin(struct gindex *ix, unsigned char trailer[GINDEX_TRAILER])
{
	uint64_t end = ix->pos;
	uint32_t unresolved, first;
	unsigned char *missing;
	size_t nmissing;
	int rc;

	for (;;) {
		if ((rc = missing_bases(ix, &missing, &nmissing, &unresolved)) < 0)
			return rc;
		if (!unresolved) {
			free(missing);
			break;
		}
		first = ix->nobjs;
		for (size_t i = 0; i < nmissing && rc >= 0; i++)
			rc = inject(ix, missing + GPACK_OID_LEN * i, &end);
		if (rc >= 0 && ix->nobjs == first) {
			char name[2 * GPACK_OID_LEN + 1];

			if (nmissing)
				hex(name, missing);
			rc = err_set(CIH_ECORRUPT, "fetched pack: %u unresolved delta%s%s%s%s", unresolved,
				     unresolved == 1 ? "" : "s", nmissing ? " (base " : "", nmissing ? name : "",
				     nmissing ? " is neither in the pack nor in the repository)" : "");
		}
		free(missing);
		if (rc < 0 || (rc = gindex_resolve_from(ix, first)) < 0)
			return rc;
	}
	return rehash(ix, end, trailer);
}

struct idx_out {
	int fd;
	mbedtls_sha1_context sha;
	unsigned char buf[1 << 16];
	size_t n;
	int rc;
	const char *path;
};

static void out_flush(struct idx_out *w)
{
	size_t done = 0;

	while (w->rc == 0 && done < w->n) {
		ssize_t r = write(w->fd, w->buf + done, w->n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			w->rc = err_os("fetched pack: cannot write %s", w->path);
		else
			done += (size_t)r;
	}
	w->n = 0;
}

static void out_put(struct idx_out *w, const void *p, size_t n)
{
	const unsigned char *q = p;

	if (w->rc || mbedtls_sha1_update(&w->sha, q, n)) {
		if (!w->rc)
			w->rc = err_set(CIH_ERR, "fetched pack: SHA-1 failed");
		return;
	}
	while (n) {
		size_t k = sizeof(w->buf) - w->n < n ? sizeof(w->buf) - w->n : n;

		memcpy(w->buf + w->n, q, k);
		w->n += k;
		q += k;
		n -= k;
		if (w->n == sizeof(w->buf))
			out_flush(w);
	}
}

static void out_be32(struct idx_out *w, uint32_t v)
{
	unsigned char b[4];

	wr_be32(b, v);
	out_put(w, b, 4);
}

static void write_tables(struct idx_out *w, const struct gindex *ix, const struct id_obj *ids,
			 const unsigned char trailer[GINDEX_TRAILER])
{
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c', 0, 0, 0, 2 };
	uint32_t fanout[256] = { 0 }, large = 0;
	unsigned char sum[GINDEX_TRAILER];

	out_put(w, magic, sizeof(magic));
	for (uint32_t i = 0; i < ix->nobjs; i++)
		fanout[ids[i].id[0]]++;
	for (unsigned i = 0, total = 0; i < 256; i++) {
		total += fanout[i];
		out_be32(w, total);
	}
	for (uint32_t i = 0; i < ix->nobjs; i++)
		out_put(w, ids[i].id, GPACK_OID_LEN);
	for (uint32_t i = 0; i < ix->nobjs; i++)
		out_be32(w, ix->objs[ids[i].obj].crc);
	for (uint32_t i = 0; i < ix->nobjs; i++) {
		uint64_t off = ix->objs[ids[i].obj].off;

		out_be32(w, off > 0x7fffffff ? 0x80000000u | large++ : (uint32_t)off);
	}
	for (uint32_t i = 0; i < ix->nobjs; i++) {
		uint64_t off = ix->objs[ids[i].obj].off;
		unsigned char b[8];

		if (off > 0x7fffffff) {
			wr_be64(b, off);
			out_put(w, b, 8);
		}
	}
	out_put(w, trailer, GINDEX_TRAILER);
	if (w->rc == 0 && mbedtls_sha1_finish(&w->sha, sum))
		w->rc = err_set(CIH_ERR, "fetched pack: SHA-1 failed");
	if (w->rc == 0) {
		mbedtls_sha1_free(&w->sha);
		mbedtls_sha1_init(&w->sha); /* the checksum is not part of what it sums */
		mbedtls_sha1_starts(&w->sha);
		out_put(w, sum, GINDEX_TRAILER);
	}
	out_flush(w);
}

int gindex_write_idx(struct gindex *ix, const unsigned char trailer[GINDEX_TRAILER], const char *path)
{
	size_t n = strlen(ix->dir) + sizeof("/tmp_idx_XXXXXX");
	struct idx_out *w = calloc(1, sizeof(*w));
	struct id_obj *ids = NULL;
	char *tmp = malloc(n);
	uint32_t nids;
	int rc;

	if (!w || !tmp) {
		rc = err_set(CIH_ENOMEM, "fetched pack: out of memory");
		goto out;
	}
	if ((rc = sorted_ids(ix, &ids, &nids)) < 0)
		goto out;
	if (nids != ix->nobjs) {
		rc = err_set(CIH_ERR, "fetched pack: %u objects without an id", ix->nobjs - nids);
		goto out;
	}
	snprintf(tmp, n, "%s/tmp_idx_XXXXXX", ix->dir);
	if ((w->fd = mkstemp(tmp)) < 0) {
		rc = err_os("fetched pack: cannot create a file in %s", ix->dir);
		goto out;
	}
	w->path = tmp;
	mbedtls_sha1_init(&w->sha);
	if (mbedtls_sha1_starts(&w->sha))
		w->rc = err_set(CIH_ERR, "fetched pack: SHA-1 failed");
	write_tables(w, ix, ids, trailer);
	mbedtls_sha1_free(&w->sha);
	rc = w->rc;
	if (rc == 0 && (fchmod(w->fd, 0444) < 0 || fsync(w->fd) < 0))
		rc = err_os("fetched pack: cannot sync %s", tmp);
	if (close(w->fd) < 0 && rc == 0)
		rc = err_os("fetched pack: cannot write %s", tmp);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = err_os("fetched pack: cannot rename %s to %s", tmp, path);
	if (rc < 0)
		unlink(tmp);
out:
	free(ids);
	free(tmp);
	free(w);
	return rc;
}
