/* The writepack: the stream goes to a temporary file in the pack directory and,
 * through the map of that file, to the scanner thread; commit() waits for the
 * scanner, checks the trailer, resolves the deltas, completes a thin pack and
 * moves pack-<sha>.pack and .idx into place. */
#include "gindex.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/errors.h>

#include "../helper/error.h"
#include "gindex_int.h"

#define MAX_THREADS 8
#define MAP_MIN (64u << 20)
#define POOL_MIN_SHIFT 8

/* the class of size, or -1 when it is not pooled */
static int pool_class(size_t size)
{
	int c = 0;

	if (size > (size_t)1 << (POOL_MIN_SHIFT + GINDEX_POOL_CLASSES - 1))
		return -1;
	while (((size_t)1 << (POOL_MIN_SHIFT + c)) < size)
		c++;
	return c;
}

unsigned char *gindex_pool_get(struct gindex_pool *p, size_t size)
{
	int c = pool_class(size);
	void *b;

	if (c < 0)
		return malloc(size);
	if ((b = p->free[c])) {
		memcpy(&p->free[c], b, sizeof(void *));
		p->bytes -= (size_t)1 << (POOL_MIN_SHIFT + c);
		return b;
	}
	return malloc((size_t)1 << (POOL_MIN_SHIFT + c));
}

void gindex_pool_put(struct gindex_pool *p, unsigned char *buf, size_t size)
{
	int c = pool_class(size);
	size_t n = (size_t)1 << (POOL_MIN_SHIFT + (c < 0 ? 0 : c));

	if (!buf)
		return;
	if (c < 0 || p->bytes + n > p->limit) {
		free(buf);
		return;
	}
	memcpy(buf, &p->free[c], sizeof(void *));
	p->free[c] = buf;
	p->bytes += n;
}

void gindex_pool_clear(struct gindex_pool *p)
{
	for (int c = 0; c < GINDEX_POOL_CLASSES; c++) {
		while (p->free[c]) {
			void *b = p->free[c];

			memcpy(&p->free[c], b, sizeof(void *));
			free(b);
		}
	}
	p->bytes = 0;
}

void gindex_fail(struct gindex *ix, int rc)
{
	pthread_mutex_lock(&ix->lock);
	if (!ix->failed) {
		ix->failed = rc < 0 ? rc : CIH_ERR;
		snprintf(ix->msg, sizeof(ix->msg), "%s", err_last()->msg);
	}
	ix->cancel = true;
	pthread_cond_broadcast(&ix->more);
	pthread_cond_broadcast(&ix->work);
	pthread_mutex_unlock(&ix->lock);
}

int gindex_failed(struct gindex *ix)
{
	int rc;

	pthread_mutex_lock(&ix->lock);
	rc = ix->failed;
	pthread_mutex_unlock(&ix->lock);
	return rc ? err_set(rc, "%s", ix->msg) : 0;
}

int gindex_map(struct gindex *ix, uint64_t need)
{
	size_t len;
	void *m;

	if (need <= ix->map_len)
		return 0;
	if (need > SIZE_MAX / 2)
		return err_set(CIH_ETOOBIG, "fetched pack: too big to map");
	len = need * 2 < MAP_MIN ? MAP_MIN : (size_t)need * 2;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, ix->fd, 0);
	if (m == MAP_FAILED)
		return err_os("fetched pack: cannot map %s", ix->tmp_path);
	if (ix->map)
		munmap((void *)ix->map, ix->map_len);
	ix->map = m;
	ix->map_len = len;
	return 0;
}

int gindex_pread(struct gindex *ix, void *buf, size_t n, uint64_t off)
{
	unsigned char *p = buf;

	while (n) {
		ssize_t r = pread(ix->fd, p, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_os("fetched pack: cannot read %s", ix->tmp_path);
		if (r == 0)
			return err_set(CIH_ECORRUPT, "fetched pack: %s is shorter than it was", ix->tmp_path);
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* libgit2 reports our message for the failed call */
static int to_git(struct gindex *ix, int rc)
{
	if (rc >= 0)
		return rc;
	if (ix->user_rc)
		return ix->user_rc;
	git_error_set_str(GIT_ERROR_INDEXER, err_last()->msg);
	return GIT_ERROR;
}

/* The callback's own code cancels: kept in user_rc for libgit2, which passes it on. */
static int progress(struct gindex *ix, git_indexer_progress *stats)
{
	int rc;

	stats->total_objects = atomic_load(&ix->total);
	stats->received_objects = atomic_load(&ix->received);
	stats->indexed_objects = atomic_load(&ix->hashed) + atomic_load(&ix->resolved);
	stats->indexed_deltas = atomic_load(&ix->resolved);
	if (!ix->progress_cb || !(rc = ix->progress_cb(stats, ix->progress_payload)))
		return 0;
	ix->user_rc = rc;
	return err_set(CIH_EABORT, "fetched pack: cancelled by the progress callback");
}

int gindex_pwrite(struct gindex *ix, const void *buf, size_t n, uint64_t off)
{
	const unsigned char *p = buf;

	while (n) {
		ssize_t w = pwrite(ix->fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_os("fetched pack: cannot write %s", ix->tmp_path);
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* The trailer is the SHA-1 of everything before it: the last 20 bytes seen are
 * held back until more arrive. */
static void hash_stream(struct gindex *ix, const unsigned char *p, size_t n)
{
	size_t out;

	if (ix->tail_len + n <= GINDEX_TRAILER) {
		memcpy(ix->tail + ix->tail_len, p, n);
		ix->tail_len += n;
		return;
	}
	out = ix->tail_len + n - GINDEX_TRAILER;
	if (out <= ix->tail_len) {
		mbedtls_sha1_update(&ix->sha, ix->tail, out);
		memmove(ix->tail, ix->tail + out, ix->tail_len - out);
		memcpy(ix->tail + ix->tail_len - out, p, n);
	} else {
		mbedtls_sha1_update(&ix->sha, ix->tail, ix->tail_len);
		mbedtls_sha1_update(&ix->sha, p, out - ix->tail_len);
		memcpy(ix->tail, p + out - ix->tail_len, GINDEX_TRAILER);
	}
	ix->tail_len = GINDEX_TRAILER;
}

static int gindex_append(git_odb_writepack *w, const void *data, size_t size, git_indexer_progress *stats)
{
	struct gindex *ix = (struct gindex *)w;
	int rc;

	if ((rc = gindex_failed(ix)) < 0)
		return to_git(ix, rc);
	if (!ix->scanner_started && (rc = gindex_scan_start(ix)) < 0)
		return to_git(ix, rc);
	/* only this thread moves written: reading it unlocked is safe */
	if ((rc = gindex_pwrite(ix, data, size, ix->written)) < 0) {
		gindex_fail(ix, rc);
		return to_git(ix, rc);
	}
	hash_stream(ix, data, size);
	pthread_mutex_lock(&ix->lock);
	ix->written += size;
	pthread_cond_signal(&ix->more);
	pthread_mutex_unlock(&ix->lock);
	stats->received_bytes += size;
	return to_git(ix, progress(ix, stats));
}

static int check_trailer(struct gindex *ix, unsigned char trailer[GINDEX_TRAILER])
{
	if (ix->pos + GINDEX_TRAILER < ix->written)
		return err_set(CIH_ECORRUPT, "fetched pack: unexpected data after the last object");
	if (ix->pos + GINDEX_TRAILER > ix->written || ix->tail_len != GINDEX_TRAILER)
		return err_set(CIH_ECORRUPT, "fetched pack: the trailing checksum is missing");
	if (mbedtls_sha1_finish(&ix->sha, trailer))
		return err_set(CIH_ERR, "fetched pack: SHA-1 failed");
	if (memcmp(trailer, ix->tail, GINDEX_TRAILER))
		return err_set(CIH_ECORRUPT, "fetched pack: checksum mismatch (the pack is corrupt)");
	return 0;
}

static char *pack_path(const struct gindex *ix, const unsigned char trailer[GINDEX_TRAILER], const char *ext)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(ix->dir) + sizeof("/pack-.") + 2 * GINDEX_TRAILER + strlen(ext);
	char *s = malloc(n), *q;

	if (!s)
		return NULL;
	q = s + snprintf(s, n, "%s/pack-", ix->dir);
	for (size_t i = 0; i < GINDEX_TRAILER; i++) {
		*q++ = hex[trailer[i] >> 4];
		*q++ = hex[trailer[i] & 15];
	}
	snprintf(q, n - (size_t)(q - s), ".%s", ext);
	return s;
}

/* pack first, then its index: a reader ignores a pack without one */
static int install(struct gindex *ix, const unsigned char trailer[GINDEX_TRAILER])
{
	char *pack = pack_path(ix, trailer, "pack"), *idx = pack_path(ix, trailer, "idx");
	int rc = 0;

	if (!pack || !idx)
		rc = err_set(CIH_ENOMEM, "fetched pack: out of memory");
	else if (fchmod(ix->fd, 0444) < 0 || fsync(ix->fd) < 0)
		rc = err_os("fetched pack: cannot sync %s", ix->tmp_path);
	else if (rename(ix->tmp_path, pack) < 0)
		rc = err_os("fetched pack: cannot rename %s to %s", ix->tmp_path, pack);
	if (rc == 0) {
		free(ix->tmp_path);
		ix->tmp_path = NULL;
		rc = gindex_write_idx(ix, trailer, idx);
	}
	free(pack);
	free(idx);
	return rc;
}

static int commit(struct gindex *ix, git_indexer_progress *stats)
{
	unsigned char trailer[GINDEX_TRAILER];
	uint32_t deltas = 0;
	int rc;

	if (!ix->scanner_started)
		return err_set(CIH_ECORRUPT, "fetched pack: no data received");
	pthread_mutex_lock(&ix->lock);
	ix->eof = true;
	pthread_cond_broadcast(&ix->more);
	pthread_mutex_unlock(&ix->lock);
	if ((rc = gindex_scan_finish(ix)) < 0 || (rc = check_trailer(ix, trailer)) < 0)
		return rc;
	if (ix->nr == 0)
		return 0; /* nothing new: no empty pack either (git unpacks it) */
	for (uint32_t i = 0; i < ix->nobjs; i++)
		deltas += ix->objs[i].type >= GPACK_OBJ_OFS_DELTA;
	stats->total_deltas = deltas;
	if ((rc = progress(ix, stats)) < 0)
		return rc;
	if (ix->map) {
		munmap((void *)ix->map, ix->map_len);
		ix->map = NULL;
		ix->map_len = 0;
	}
	if ((rc = gindex_resolve(ix)) < 0)
		return rc;
	if (atomic_load(&ix->resolved) < deltas && (rc = gindex_complete_thin(ix, trailer)) < 0)
		return rc;
	stats->local_objects = ix->nobjs - ix->nr;
	if ((rc = progress(ix, stats)) < 0)
		return rc;
	if ((rc = install(ix, trailer)) < 0)
		return rc;
	if (ix->parent.backend->refresh && ix->parent.backend->refresh(ix->parent.backend) < 0) {
		const git_error *e = git_error_last();

		return err_set(CIH_EGIT, "fetched pack: cannot load the new pack: %s",
			       e && e->message ? e->message : "unknown error");
	}
	return 0;
}

static int gindex_commit(git_odb_writepack *w, git_indexer_progress *stats)
{
	struct gindex *ix = (struct gindex *)w;

	return to_git(ix, commit(ix, stats));
}

static void gindex_free(git_odb_writepack *w)
{
	struct gindex *ix = (struct gindex *)w;

	if (!ix)
		return;
	gindex_scan_stop(ix);
	gindex_pool_clear(&ix->pool);
	if (ix->map)
		munmap((void *)ix->map, ix->map_len);
	if (ix->fd >= 0)
		close(ix->fd);
	if (ix->tmp_path)
		unlink(ix->tmp_path);
	mbedtls_sha1_free(&ix->sha);
	pthread_cond_destroy(&ix->more);
	pthread_cond_destroy(&ix->work);
	pthread_rwlock_destroy(&ix->objs_lock);
	pthread_mutex_destroy(&ix->lock);
	free(ix->tmp_path);
	free(ix->dir);
	free(ix->objs);
	free(ix->queue);
	free(ix->hashers);
	free(ix);
}

static unsigned cpus(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int open_tmp(struct gindex *ix, const char *dir)
{
	size_t n = strlen(dir) + sizeof("/tmp_pack_XXXXXX");

	if (!(ix->dir = strdup(dir)) || !(ix->tmp_path = malloc(n)))
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	snprintf(ix->tmp_path, n, "%s/tmp_pack_XXXXXX", dir);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return err_os("fetched pack: cannot create %s", dir);
	ix->fd = mkstemp(ix->tmp_path);
	if (ix->fd < 0) {
		int e = errno;

		free(ix->tmp_path);
		ix->tmp_path = NULL;
		return err_errno(CIH_EOS, e, "fetched pack: cannot create a file in %s", dir);
	}
	return 0;
}

int gindex_new(git_odb_writepack **out, git_odb_backend *be, git_odb *odb, const char *pack_dir,
	       unsigned threads, git_indexer_progress_cb progress_cb, void *progress_payload)
{
	struct gindex *ix = calloc(1, sizeof(*ix));
	int rc;

	*out = NULL;
	if (!ix)
		return err_set(CIH_ENOMEM, "fetched pack: out of memory");
	ix->fd = -1;
	pthread_mutex_init(&ix->lock, NULL);
	pthread_cond_init(&ix->more, NULL);
	pthread_cond_init(&ix->work, NULL);
	pthread_rwlock_init(&ix->objs_lock, NULL);
	ix->pool.limit = GINDEX_POOL_LIMIT;
	mbedtls_sha1_init(&ix->sha);
	if (mbedtls_sha1_starts(&ix->sha)) {
		gindex_free(&ix->parent);
		return err_set(CIH_ERR, "fetched pack: SHA-1 failed");
	}
	if ((rc = open_tmp(ix, pack_dir)) < 0) {
		gindex_free(&ix->parent);
		return rc;
	}
	ix->parent.backend = be;
	ix->parent.append = gindex_append;
	ix->parent.commit = gindex_commit;
	ix->parent.free = gindex_free;
	ix->odb = odb;
	ix->progress_cb = progress_cb;
	ix->progress_payload = progress_payload;
	ix->nthreads = threads ? threads : cpus();
	if (ix->nthreads > MAX_THREADS)
		ix->nthreads = MAX_THREADS;
	*out = &ix->parent;
	return 0;
}
