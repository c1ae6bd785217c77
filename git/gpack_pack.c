/* Pack files and their v2 indexes: mapping, validation, oid lookup and object
 * headers. Every field is read byte by byte (big-endian on disk) and every offset
 * is checked against the mapping. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/bytes.h"
#include "../helper/error.h"
#include "gpack_int.h"

#define IDX_HDR (8 + 256 * 4)  /* magic, version, fanout */
#define IDX_TRAILER (2 * GPACK_OID_LEN)
#define PACK_HDR 12
#define PACK_TRAILER GPACK_OID_LEN
/* deflate cannot expand more than this (1032:1 for long runs of one byte) */
#define MAX_INFLATE_RATIO 1032

/* Maps path read-only; 1 when it is not there or too small to be what we want. */
static int map_file(const char *path, size_t min, const unsigned char **map, size_t *len)
{
	struct stat st;
	void *m;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < min ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return 1;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 1;
	*map = m;
	*len = (size_t)st.st_size;
	return 0;
}

/* Magic, version 2, a non-decreasing fanout, and a size that fits the tables. */
static bool idx_valid(struct gpack_pack *p)
{
	uint32_t prev = 0;
	uint64_t need;

	if (memcmp(p->idx, "\377tOc", 4) || rd_be32(p->idx + 4) != 2)
		return false;
	for (int i = 0; i < 256; i++) {
		uint32_t n = rd_be32(p->idx + 8 + 4 * i);

		if (n < prev)
			return false;
		prev = n;
	}
	p->nr = prev;
	need = IDX_HDR + (uint64_t)p->nr * (GPACK_OID_LEN + 4 + 4) + IDX_TRAILER;
	if (p->idx_len < need || (p->idx_len - need) % 8)
		return false;
	p->n64 = (p->idx_len - need) / 8;
	return p->n64 <= p->nr;
}

/* "PACK", version 2 or 3, the index's object count, and the checksum the index
 * recorded for it. */
static bool pack_valid(const struct gpack_pack *p)
{
	uint32_t v = rd_be32(p->pack + 4);

	return !memcmp(p->pack, "PACK", 4) && (v == 2 || v == 3) && rd_be32(p->pack + 8) == p->nr &&
	       !memcmp(p->pack + p->pack_len - PACK_TRAILER, p->idx + p->idx_len - IDX_TRAILER, GPACK_OID_LEN);
}

int gpack_pack_open(struct gpack_pack **out, const char *dir, const char *idx_name)
{
	size_t n = strlen(idx_name), plen = strlen(dir) + n + 8;
	struct gpack_pack *p = calloc(1, sizeof(*p));
	char *path = malloc(plen);
	int rc = 1;

	*out = NULL;
	if (!p || !path || !(p->idx_name = strdup(idx_name))) {
		rc = err_set(CIH_ENOMEM, "gpack: out of memory");
		goto out;
	}
	snprintf(path, plen, "%s/%s", dir, idx_name);
	if (map_file(path, IDX_HDR + IDX_TRAILER, &p->idx, &p->idx_len) || !idx_valid(p))
		goto out;
	snprintf(path, plen, "%s/%.*s.pack", dir, (int)(n - 4), idx_name);
	if (map_file(path, PACK_HDR + PACK_TRAILER, &p->pack, &p->pack_len) || !pack_valid(p))
		goto out;
	*out = p;
	p = NULL;
	rc = 0;
out:
	free(path);
	gpack_pack_close(p);
	return rc;
}

void gpack_pack_close(struct gpack_pack *p)
{
	if (!p)
		return;
	if (p->idx)
		munmap((void *)p->idx, p->idx_len);
	if (p->pack)
		munmap((void *)p->pack, p->pack_len);
	free(p->idx_name);
	free(p);
}

static int entry_offset(const struct gpack_pack *p, uint32_t i, uint64_t *off)
{
	const unsigned char *offs = p->idx + IDX_HDR + (size_t)p->nr * (GPACK_OID_LEN + 4);
	uint32_t o = rd_be32(offs + 4 * (size_t)i);

	if (o & 0x80000000u) {
		o &= 0x7fffffffu;
		if (o >= p->n64)
			return err_set(CIH_ECORRUPT, "gpack: %s: large-offset entry %u out of range", p->idx_name, o);
		*off = rd_be64(offs + 4 * (size_t)p->nr + 8 * (size_t)o);
	} else {
		*off = o;
	}
	return 1;
}

int gpack_pack_find(const struct gpack_pack *p, const unsigned char *oid, uint64_t *off)
{
	const unsigned char *oids = p->idx + IDX_HDR;
	uint32_t lo = oid[0] ? rd_be32(p->idx + 8 + 4 * (oid[0] - 1)) : 0;
	uint32_t hi = rd_be32(p->idx + 8 + 4 * oid[0]);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(oids + (size_t)mid * GPACK_OID_LEN, oid, GPACK_OID_LEN);

		if (!c)
			return entry_offset(p, mid, off);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

size_t gpack_pack_avail(const struct gpack_pack *p, uint64_t data)
{
	return p->pack_len - PACK_TRAILER - (size_t)data;
}

static int corrupt(const struct gpack_pack *p, uint64_t off, const char *what)
{
	return err_set(CIH_ECORRUPT, "gpack: %.*s.pack: object at offset %llu: %s",
		       (int)strlen(p->idx_name) - 4, p->idx_name, (unsigned long long)off, what);
}

/* OFS_DELTA's distance back to the base: big-endian 7-bit groups, each
 * continuation adding one (git's offset encoding). */
static int ofs_base(const struct gpack_pack *p, uint64_t off, uint64_t *pos, uint64_t end, uint64_t *base)
{
	uint64_t ofs;
	unsigned char c;

	if (*pos >= end)
		return corrupt(p, off, "truncated delta base offset");
	c = p->pack[(*pos)++];
	ofs = c & 0x7f;
	while (c & 0x80) {
		if (*pos >= end)
			return corrupt(p, off, "truncated delta base offset");
		if (ofs + 1 > UINT64_MAX >> 7)
			return corrupt(p, off, "delta base offset overflows");
		c = p->pack[(*pos)++];
		ofs = ((ofs + 1) << 7) | (c & 0x7f);
	}
	if (!ofs || ofs > off - PACK_HDR)
		return corrupt(p, off, "delta base offset outside the pack");
	*base = off - ofs;
	return 0;
}

int gpack_pack_header(const struct gpack_pack *p, uint64_t off, struct gpack_hdr *h)
{
	uint64_t end = p->pack_len - PACK_TRAILER, pos = off, size;
	unsigned shift = 4;
	unsigned char c;
	int rc;

	if (off < PACK_HDR || off >= end)
		return corrupt(p, off, "offset outside the pack");
	c = p->pack[pos++];
	h->type = (c >> 4) & 7;
	size = c & 15;
	while (c & 0x80) {
		if (pos >= end)
			return corrupt(p, off, "truncated header");
		c = p->pack[pos++];
		if (shift > 63 || (uint64_t)(c & 0x7f) >> (64 - shift))
			return corrupt(p, off, "size overflows");
		size |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	}
	h->base_oid = NULL;
	if (h->type == GPACK_OBJ_OFS_DELTA) {
		if ((rc = ofs_base(p, off, &pos, end, &h->base)) < 0)
			return rc;
	} else if (h->type == GPACK_OBJ_REF_DELTA) {
		if (end - pos < GPACK_OID_LEN)
			return corrupt(p, off, "truncated delta base id");
		h->base_oid = p->pack + pos;
		pos += GPACK_OID_LEN;
	} else if (h->type < GPACK_OBJ_COMMIT || h->type > GPACK_OBJ_TAG) {
		return corrupt(p, off, "unknown object type");
	}
	if (size / MAX_INFLATE_RATIO > end - pos)
		return corrupt(p, off, "size is more than its compressed bytes can hold");
	h->size = (size_t)size;
	h->data = pos;
	return 0;
}
