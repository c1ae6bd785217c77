/* Internals of the gpack backend, shared by gpack.c (the backend), gpack_pack.c
 * (pack and index files), gpack_zlib.c (inflation) and gpack_cache.c (the delta
 * base cache). */
#ifndef CIH_GIT_GPACK_INT_H
#define CIH_GIT_GPACK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GPACK_OID_LEN 20

enum {
	GPACK_OBJ_COMMIT = 1,
	GPACK_OBJ_TREE = 2,
	GPACK_OBJ_BLOB = 3,
	GPACK_OBJ_TAG = 4,
	GPACK_OBJ_OFS_DELTA = 6,
	GPACK_OBJ_REF_DELTA = 7,
};

/* One pack and its v2 index, both mapped read-only. */
struct gpack_pack {
	struct gpack_pack *next;
	char *idx_name; /* the .idx's name in the pack directory */
	const unsigned char *idx, *pack;
	size_t idx_len, pack_len;
	uint32_t nr;  /* objects */
	size_t n64;   /* entries of the large-offset table */
};

/* An object's header in a pack: data is where its zlib stream starts. */
struct gpack_hdr {
	int type;
	size_t size;    /* inflated size (of the delta itself for a delta) */
	uint64_t data;
	uint64_t base;  /* OFS_DELTA: the base's offset */
	const unsigned char *base_oid; /* REF_DELTA: in the mapping */
};

/* Opens dir/idx_name and its .pack. 1: not a pack we read (left to libgit2). */
int gpack_pack_open(struct gpack_pack **out, const char *dir, const char *idx_name);
void gpack_pack_close(struct gpack_pack *p);
/* 1 and *off when oid is in p, else 0; a bad offset entry is CIH_ECORRUPT. */
int gpack_pack_find(const struct gpack_pack *p, const unsigned char *oid, uint64_t *off);
int gpack_pack_header(const struct gpack_pack *p, uint64_t off, struct gpack_hdr *h);
/* The bytes after data up to the pack's trailing checksum. */
size_t gpack_pack_avail(const struct gpack_pack *p, uint64_t data);

struct libdeflate_decompressor;
/* Inflates the zlib stream at in (at most in_len bytes) into exactly size bytes,
 * its Adler-32 checked (git/gpack_zlib.c). */
bool gpack_zlib_inflate(struct libdeflate_decompressor *dec, const unsigned char *in, size_t in_len,
			unsigned char *out, size_t size);
/* The same, and *consumed: the stream's length (header and Adler-32 included).
 * false also when in_len cuts the stream short. */
bool gpack_zlib_inflate_n(struct libdeflate_decompressor *dec, const unsigned char *in, size_t in_len,
			  unsigned char *out, size_t size, size_t *consumed);
uint32_t gpack_adler32(const unsigned char *p, size_t n);

struct gpack_cent {
	const struct gpack_pack *p;
	uint64_t off;
	int type;
	unsigned char *data;
	size_t len;
	struct gpack_cent *hnext, *prev, *next;
};

/* Delta bases keyed by (pack, offset): LRU within a byte budget. */
struct gpack_cache {
	struct gpack_cent **tab;
	size_t nbuckets, count, bytes, limit;
	struct gpack_cent *head, *tail; /* most and least recently used */
};

void gpack_cache_init(struct gpack_cache *c, size_t limit);
/* The entry, now the most recently used, or NULL. */
const struct gpack_cent *gpack_cache_get(struct gpack_cache *c, const struct gpack_pack *p, uint64_t off);
/* Takes data (malloc'd): cached, or freed when too big to keep. */
void gpack_cache_put(struct gpack_cache *c, const struct gpack_pack *p, uint64_t off, int type,
		     unsigned char *data, size_t len);
void gpack_cache_clear(struct gpack_cache *c);

#endif
