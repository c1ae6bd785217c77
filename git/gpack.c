/* The gpack ODB backend: reads objects from the repository's own packs (see
 * gpack.h). Delta chains are resolved bottom-up without recursion; each base used
 * on the way goes into the LRU cache. One mutex guards the packs, the cache, the
 * decompressors and the scratch buffers. */
#include "gpack.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/errors.h>
#include <git2/sys/odb_backend.h>
#include <libdeflate.h>
#include <zlib.h>

#include "../helper/error.h"
#include "gindex.h"
#include "gpack_int.h"

/* above libgit2's packed (2) and loose (1) backends: asked first */
#define GPACK_PRIORITY 3
/* git's default is 96 MiB; on the bench fixture 32 MiB checks out as fast
 * (4.6 s both, 16 MiB: 4.8 s) with 73 MiB less peak RSS */
#define GPACK_CACHE_LIMIT (32u << 20)
/* a REF_DELTA cycle in a hostile pack ends here */
#define GPACK_MAX_DEPTH 10000
/* enough inflated bytes for a delta's two size varints */
#define DELTA_HDR_MAX 20

struct gpack_link {
	const struct gpack_pack *p;
	uint64_t off, data;
	size_t size;
};

struct gpack_backend {
	git_odb_backend parent;
	pthread_mutex_t lock;
	char *dir;
	struct gpack_pack *packs;
	struct libdeflate_decompressor *dec;
	z_stream zs;
	bool zs_ready;
	struct gpack_cache cache;
	struct gpack_link *chain;
	size_t chain_cap;
	unsigned char *scratch; /* the delta being applied */
	size_t scratch_cap;
};

/* Our negative codes as libgit2's (they overlap: CIH_EOS is GIT_ENOTFOUND's -3),
 * the message handed to libgit2, which reports it for the failed read. */
static int to_git(int rc)
{
	if (rc >= 0)
		return rc;
	git_error_set_str(GIT_ERROR_ODB, err_last()->msg);
	return GIT_ERROR;
}

static int find(struct gpack_backend *b, const unsigned char *oid, const struct gpack_pack **p, uint64_t *off)
{
	for (const struct gpack_pack *q = b->packs; q; q = q->next) {
		int rc = gpack_pack_find(q, oid, off);

		if (rc > 0)
			*p = q;
		if (rc)
			return rc;
	}
	return 0;
}

/* The base of the delta at (*p, off) described by h: same pack for OFS_DELTA; for
 * REF_DELTA its own pack first, then our others. */
static int delta_base(struct gpack_backend *b, const struct gpack_pack **p, uint64_t off,
		      const struct gpack_hdr *h, uint64_t *base)
{
	char hex[GIT_OID_SHA1_HEXSIZE + 1];
	git_oid id;
	int rc;

	if (h->type == GPACK_OBJ_OFS_DELTA) {
		*base = h->base;
		return 0;
	}
	if ((rc = gpack_pack_find(*p, h->base_oid, base)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = find(b, h->base_oid, p, base)) != 0)
		return rc < 0 ? rc : 0;
	git_oid_fromraw(&id, h->base_oid);
	git_oid_tostr(hex, sizeof(hex), &id);
	return err_set(CIH_ECORRUPT, "gpack: %s: delta at offset %llu: base %s is in none of the packs",
		       (*p)->idx_name, (unsigned long long)off, hex);
}

static int unpack_data(struct gpack_backend *b, const struct gpack_pack *p, uint64_t off, uint64_t data,
			unsigned char *out, size_t size)
{
	if (!gpack_zlib_inflate(b->dec, p->pack + data, gpack_pack_avail(p, data), out, size))
		return err_set(CIH_ECORRUPT, "gpack: %s: object at offset %llu does not inflate to its %zu bytes",
			       p->idx_name, (unsigned long long)off, size);
	return 0;
}

static int chain_push(struct gpack_backend *b, size_t n, const struct gpack_link *l)
{
	if (n == GPACK_MAX_DEPTH)
		return err_set(CIH_ECORRUPT, "gpack: %s: delta chain at offset %llu is deeper than %d (a cycle?)",
			       l->p->idx_name, (unsigned long long)l->off, GPACK_MAX_DEPTH);
	if (n == b->chain_cap) {
		size_t cap = b->chain_cap ? b->chain_cap * 2 : 64;
		struct gpack_link *c = realloc(b->chain, cap * sizeof(*c));

		if (!c)
			return err_set(CIH_ENOMEM, "gpack: out of memory");
		b->chain = c;
		b->chain_cap = cap;
	}
	b->chain[n] = *l;
	return 0;
}

/* What resolution starts from: a cached object (borrowed) or a whole object's
 * place in a pack. */
struct gpack_bottom {
	const struct gpack_cent *hit;
	const struct gpack_pack *p;
	uint64_t off;
	struct gpack_hdr h;
};

/* Follows deltas from (p, off) down to a cached object or a whole one, recording
 * the deltas on the way in b->chain (the requested object first). */
static int walk_chain(struct gpack_backend *b, const struct gpack_pack *p, uint64_t off, size_t *n,
		      struct gpack_bottom *bot)
{
	int rc;

	for (*n = 0;; (*n)++) {
		struct gpack_link l = { p, off, 0, 0 };

		if ((bot->hit = gpack_cache_get(&b->cache, p, off)))
			return 0;
		if ((rc = gpack_pack_header(p, off, &bot->h)) < 0)
			return rc;
		if (bot->h.type != GPACK_OBJ_OFS_DELTA && bot->h.type != GPACK_OBJ_REF_DELTA) {
			bot->p = p;
			bot->off = off;
			return 0;
		}
		l.data = bot->h.data;
		l.size = bot->h.size;
		if ((rc = chain_push(b, *n, &l)) < 0 || (rc = delta_base(b, &p, off, &bot->h, &off)) < 0)
			return rc;
	}
}

static int scratch_reserve(struct gpack_backend *b, size_t n)
{
	unsigned char *s;

	if (n <= b->scratch_cap)
		return 0;
	if (!(s = realloc(b->scratch, n)))
		return err_set(CIH_ENOMEM, "gpack: out of memory for a %zu-byte delta", n);
	b->scratch = s;
	b->scratch_cap = n;
	return 0;
}

/* Allocates an object's buffer (NUL-terminated): libgit2's allocator for what is
 * handed to libgit2, ours for what stays in the cache. */
static unsigned char *obj_alloc(struct gpack_backend *b, size_t len, bool for_git)
{
	unsigned char *d = NULL;

	if (len < SIZE_MAX)
		d = for_git ? git_odb_backend_data_alloc(&b->parent, len + 1) : malloc(len + 1);
	if (d)
		d[len] = '\0';
	else
		err_set(CIH_ENOMEM, "gpack: out of memory for a %zu-byte object", len);
	return d;
}

struct gpack_obj {
	unsigned char *data;
	size_t len;
	int type;
	bool owned; /* else borrowed from the cache */
	const struct gpack_pack *p;
	uint64_t off;
};

static void obj_release(struct gpack_backend *b, struct gpack_obj *o, bool keep)
{
	if (o->owned && keep)
		gpack_cache_put(&b->cache, o->p, o->off, o->type, o->data, o->len);
	else if (o->owned)
		free(o->data);
	o->data = NULL;
}

/* The bottom of the chain as an object; for_git when it is the one requested. */
static int load_bottom(struct gpack_backend *b, const struct gpack_bottom *bot, bool for_git,
		       struct gpack_obj *o)
{
	const struct gpack_cent *e = bot->hit;
	unsigned char *d;
	int rc;

	if (e && !for_git) {
		*o = (struct gpack_obj){ e->data, e->len, e->type, false, e->p, e->off };
		return 0;
	}
	if (!(d = obj_alloc(b, e ? e->len : bot->h.size, for_git)))
		return CIH_ENOMEM;
	if (e) {
		memcpy(d, e->data, e->len);
		*o = (struct gpack_obj){ d, e->len, e->type, true, e->p, e->off };
		return 0;
	}
	if ((rc = unpack_data(b, bot->p, bot->off, bot->h.data, d, bot->h.size)) < 0) {
		if (for_git)
			git_odb_backend_data_free(&b->parent, d);
		else
			free(d);
		return rc;
	}
	*o = (struct gpack_obj){ d, bot->h.size, bot->h.type, true, bot->p, bot->off };
	return 0;
}

/* Applies delta l to base into a new object; the last one goes to libgit2. */
static int apply_link(struct gpack_backend *b, const struct gpack_link *l, const struct gpack_obj *base,
		      bool for_git, struct gpack_obj *out)
{
	unsigned char *d = NULL;
	size_t tgt;
	int rc;

	if ((rc = scratch_reserve(b, l->size)) < 0 ||
	    (rc = unpack_data(b, l->p, l->off, l->data, b->scratch, l->size)) < 0)
		return rc;
	if ((rc = gpack_delta_target(b->scratch, l->size, base->len, &tgt)) < 0 ||
	    !(d = obj_alloc(b, tgt, for_git)) ||
	    (rc = gpack_delta_apply_into(base->data, base->len, b->scratch, l->size, d, tgt)) < 0) {
		if (d && for_git)
			git_odb_backend_data_free(&b->parent, d);
		else
			free(d);
		if (!rc)
			return CIH_ENOMEM;
		return err_prefix("gpack: %s: delta at offset %llu", l->p->idx_name, (unsigned long long)l->off);
	}
	*out = (struct gpack_obj){ d, tgt, base->type, true, l->p, l->off };
	return 0;
}

/* The object at (p, off), in a buffer from libgit2's allocator. */
static int unpack(struct gpack_backend *b, const struct gpack_pack *p, uint64_t off, struct gpack_obj *out)
{
	struct gpack_bottom bot;
	struct gpack_obj base = { 0 }, next = { 0 };
	size_t n;
	int rc;

	if ((rc = walk_chain(b, p, off, &n, &bot)) < 0 || (rc = load_bottom(b, &bot, n == 0, &base)) < 0)
		return rc;
	while (n--) {
		rc = apply_link(b, &b->chain[n], &base, n == 0, &next);
		obj_release(b, &base, rc == 0);
		if (rc < 0)
			return rc;
		base = next;
	}
	*out = base;
	return 0;
}

static int lock(struct gpack_backend *b)
{
	if (pthread_mutex_lock(&b->lock)) {
		git_error_set_str(GIT_ERROR_OS, "gpack: cannot lock the pack reader");
		return GIT_ERROR;
	}
	return 0;
}

static int gpack_read(void **data, size_t *len, git_object_t *type, git_odb_backend *be, const git_oid *id)
{
	struct gpack_backend *b = (struct gpack_backend *)be;
	const struct gpack_pack *p;
	struct gpack_obj o;
	uint64_t off;
	int found, rc;

	if ((rc = lock(b)) < 0)
		return rc;
	found = find(b, id->id, &p, &off);
	if ((rc = found > 0 ? unpack(b, p, off, &o) : found) == 0 && found) {
		*data = o.data;
		*len = o.len;
		*type = (git_object_t)o.type;
	}
	pthread_mutex_unlock(&b->lock);
	return found ? to_git(rc) : GIT_ENOTFOUND;
}

/* A delta's target size: its first bytes inflated with zlib, which (unlike
 * libdeflate) can stop early. */
static int delta_target_size(struct gpack_backend *b, const struct gpack_pack *p, uint64_t off,
			     const struct gpack_hdr *h, size_t *size)
{
	unsigned char buf[DELTA_HDR_MAX];
	size_t avail = gpack_pack_avail(p, h->data), src, hdr;
	int zr;

	if (!b->zs_ready) {
		if (inflateInit(&b->zs) != Z_OK)
			return err_set(CIH_ENOMEM, "gpack: cannot set up zlib");
		b->zs_ready = true;
	} else if (inflateReset(&b->zs) != Z_OK) {
		return err_set(CIH_ERR, "gpack: cannot reset zlib");
	}
	b->zs.next_in = (unsigned char *)(p->pack + h->data);
	b->zs.avail_in = avail > UINT_MAX ? UINT_MAX : (unsigned)avail;
	b->zs.next_out = buf;
	b->zs.avail_out = h->size < sizeof(buf) ? (unsigned)h->size : (unsigned)sizeof(buf);
	zr = inflate(&b->zs, Z_SYNC_FLUSH);
	if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
		return err_set(CIH_ECORRUPT, "gpack: %s: delta at offset %llu does not inflate", p->idx_name,
			       (unsigned long long)off);
	if (gpack_delta_sizes(buf, sizeof(buf) - b->zs.avail_out, &src, size, &hdr) < 0)
		return err_prefix("gpack: %s: delta at offset %llu", p->idx_name, (unsigned long long)off);
	return 0;
}

/* Size and type without inflating whole objects: for a delta, the size its header
 * gives and the type at the bottom of its chain (as libgit2 does). */
static int header_of(struct gpack_backend *b, const struct gpack_pack *p, uint64_t off, size_t *len, int *type)
{
	const struct gpack_cent *e;
	struct gpack_hdr h;
	int rc;

	for (int depth = 0;; depth++) {
		if ((e = gpack_cache_get(&b->cache, p, off))) {
			if (!depth)
				*len = e->len;
			*type = e->type;
			return 0;
		}
		if ((rc = gpack_pack_header(p, off, &h)) < 0)
			return rc;
		if (h.type != GPACK_OBJ_OFS_DELTA && h.type != GPACK_OBJ_REF_DELTA) {
			if (!depth)
				*len = h.size;
			*type = h.type;
			return 0;
		}
		if (depth == GPACK_MAX_DEPTH)
			return err_set(CIH_ECORRUPT, "gpack: %s: delta chain at offset %llu is deeper than %d (a cycle?)",
				       p->idx_name, (unsigned long long)off, GPACK_MAX_DEPTH);
		if ((!depth && (rc = delta_target_size(b, p, off, &h, len)) < 0) ||
		    (rc = delta_base(b, &p, off, &h, &off)) < 0)
			return rc;
	}
}

static int gpack_read_header(size_t *len, git_object_t *type, git_odb_backend *be, const git_oid *id)
{
	struct gpack_backend *b = (struct gpack_backend *)be;
	const struct gpack_pack *p;
	uint64_t off;
	int found, rc, t = 0;

	if ((rc = lock(b)) < 0)
		return rc;
	found = find(b, id->id, &p, &off);
	if ((rc = found > 0 ? header_of(b, p, off, len, &t) : found) == 0 && found)
		*type = (git_object_t)t;
	pthread_mutex_unlock(&b->lock);
	return found ? to_git(rc) : GIT_ENOTFOUND;
}

static int gpack_exists(git_odb_backend *be, const git_oid *id)
{
	struct gpack_backend *b = (struct gpack_backend *)be;
	const struct gpack_pack *p;
	uint64_t off;
	int rc;

	if (lock(b) < 0)
		return 0;
	rc = find(b, id->id, &p, &off);
	pthread_mutex_unlock(&b->lock);
	return rc > 0;
}

static bool known(const struct gpack_backend *b, const char *name)
{
	for (const struct gpack_pack *p = b->packs; p; p = p->next)
		if (!strcmp(p->idx_name, name))
			return true;
	return false;
}

/* Adds the packs of the directory not seen yet; those we cannot read are skipped
 * (libgit2's backend serves them). */
static int scan(struct gpack_backend *b)
{
	struct dirent *e;
	DIR *d = opendir(b->dir);
	int rc = 0;

	if (!d)
		return 0;
	while (rc >= 0 && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct gpack_pack *p;

		if (n < 10 || strncmp(e->d_name, "pack-", 5) || strcmp(e->d_name + n - 4, ".idx") ||
		    known(b, e->d_name))
			continue;
		if ((rc = gpack_pack_open(&p, b->dir, e->d_name)) == 0) {
			p->next = b->packs;
			b->packs = p;
		}
	}
	closedir(d);
	return rc < 0 ? rc : 0;
}

static int gpack_refresh(git_odb_backend *be)
{
	struct gpack_backend *b = (struct gpack_backend *)be;
	int rc;

	if ((rc = lock(b)) < 0)
		return rc;
	rc = scan(b);
	pthread_mutex_unlock(&b->lock);
	return to_git(rc);
}

/* libgit2 1.9's git_odb_foreach calls every backend's foreach unchecked; the
 * objects of our packs are listed by libgit2's own pack backend. */
static int gpack_foreach(git_odb_backend *be, git_odb_foreach_cb cb, void *payload)
{
	(void)be, (void)cb, (void)payload;
	return 0;
}

/* Fetched packs are indexed by gindex (in parallel) rather than by libgit2. */
static int gpack_writepack(git_odb_writepack **out, git_odb_backend *be, git_odb *odb,
			   git_indexer_progress_cb progress_cb, void *progress_payload)
{
	struct gpack_backend *b = (struct gpack_backend *)be;

	return to_git(gindex_new(out, be, odb, b->dir, 0, progress_cb, progress_payload));
}

static void gpack_free(git_odb_backend *be)
{
	struct gpack_backend *b = (struct gpack_backend *)be;

	if (!b)
		return;
	gpack_cache_clear(&b->cache);
	while (b->packs) {
		struct gpack_pack *p = b->packs;

		b->packs = p->next;
		gpack_pack_close(p);
	}
	if (b->dec)
		libdeflate_free_decompressor(b->dec);
	if (b->zs_ready)
		inflateEnd(&b->zs);
	pthread_mutex_destroy(&b->lock);
	free(b->chain);
	free(b->scratch);
	free(b->dir);
	free(b);
}

static int backend_new(struct gpack_backend **out, const char *objects_dir)
{
	struct gpack_backend *b = calloc(1, sizeof(*b));
	size_t n = strlen(objects_dir) + sizeof("/pack");

	*out = NULL;
	if (!b)
		return err_set(CIH_ENOMEM, "gpack: out of memory");
	if (pthread_mutex_init(&b->lock, NULL)) {
		free(b);
		return err_set(CIH_ERR, "gpack: cannot create a mutex");
	}
	git_odb_init_backend(&b->parent, GIT_ODB_BACKEND_VERSION);
	b->parent.read = gpack_read;
	b->parent.read_header = gpack_read_header;
	b->parent.exists = gpack_exists;
	b->parent.refresh = gpack_refresh;
	b->parent.foreach = gpack_foreach;
	b->parent.writepack = gpack_writepack;
	b->parent.free = gpack_free;
	gpack_cache_init(&b->cache, GPACK_CACHE_LIMIT);
	if (!(b->dir = malloc(n)) || !(b->dec = libdeflate_alloc_decompressor())) {
		gpack_free(&b->parent);
		return err_set(CIH_ENOMEM, "gpack: out of memory");
	}
	snprintf(b->dir, n, "%s/pack", objects_dir);
	*out = b;
	return 0;
}

static bool attached(git_odb *odb)
{
	size_t n = git_odb_num_backends(odb);

	for (size_t i = 0; i < n; i++) {
		git_odb_backend *be;

		if (git_odb_get_backend(&be, odb, i) == 0 && be->read == gpack_read)
			return true;
	}
	return false;
}

static int libgit2_failed(const char *what)
{
	const git_error *e = git_error_last();

	return err_set(CIH_EGIT, "gpack: %s: %s", what, e && e->message ? e->message : "unknown error");
}

int gpack_attach(git_repository *repo)
{
	struct gpack_backend *b = NULL;
	git_buf objects = GIT_BUF_INIT;
	git_odb *odb = NULL;
	int rc = 0;

	if (git_repository_oid_type(repo) != GIT_OID_SHA1)
		return 0;
	if (git_repository_odb(&odb, repo) < 0)
		return libgit2_failed("cannot open the object database");
	if (attached(odb))
		goto out;
	if (git_repository_item_path(&objects, repo, GIT_REPOSITORY_ITEM_OBJECTS) < 0) {
		rc = libgit2_failed("no objects directory");
		goto out;
	}
	if ((rc = backend_new(&b, objects.ptr)) < 0 || (rc = scan(b)) < 0)
		goto out;
	if (git_odb_add_backend(odb, &b->parent, GPACK_PRIORITY) < 0) {
		rc = libgit2_failed("cannot add the pack backend");
		goto out;
	}
	b = NULL;
out:
	if (b)
		gpack_free(&b->parent);
	git_buf_dispose(&objects);
	git_odb_free(odb);
	return rc;
}
