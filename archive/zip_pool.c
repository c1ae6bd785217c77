#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "../helper/error.h"
#include "zip_internal.h"
#include "zip_write.h"

#define DEFLATE_CHUNK (4u << 20)
#define ZSTD_CHUNK (4u << 20)
#define DICT_SIZE 32768u
/* Bytes of chunks claimed but not yet written: bounds memory whatever the tree. */
#define BUDGET (32u << 20)

#define SPARE_MIN (128u << 10)
#define SPARE_CLASSES 7 /* 128 KiB .. 8 MiB */
#define SPARES 4
#define BATCH 16        /* small jobs claimed at once: fewer locks and wake-ups */
#define BATCH_BYTES (256u << 10)

enum { J_FREE, J_BUSY, J_DONE };

struct job {
	int state;
	size_t item;
	uint64_t off;
	size_t len;
	bool first, last;
	unsigned char *out;
	size_t out_len;
	uint64_t raw_len;
	uint32_t crc;
	bool stored;
	size_t cap; /* of out */
	int rc;
	char *err;
};

struct worker {
	struct zip_pool *p;
	pthread_t tid;
	bool started;
	unsigned char *in; /* DICT_SIZE of history, then the chunk */
	z_stream z, z0;    /* the level, and level 0 for chunks that do not shrink */
	bool z_ok, z0_ok;
	struct libdeflate_compressor *ld; /* whole files: no history, no flush needed */
	ZSTD_CCtx *zc;
};

struct zip_pool {
	const struct sel_entry *const *items;
	size_t n;
	enum zip_pool_method method;
	int level;
	size_t chunk;
	bool store_small;

	pthread_mutex_t mu;
	pthread_cond_t work, done;
	size_t cur_item;   /* where the next job is cut */
	uint64_t cur_off;
	uint64_t next_seq; /* the next job to claim */
	uint64_t head;     /* the next job to hand out */
	size_t reserved;   /* bytes of claimed, unreleased jobs */
	bool abort;

	struct job *ring;
	size_t ring_n;
	/* big output buffers are kept for reuse: musl maps and unmaps each one, and
	 * every unmap is a TLB shootdown across the threads */
	void *spare[SPARE_CLASSES][SPARES];
	int nspare[SPARE_CLASSES];
	struct worker *w;
	int nw;
};

static int spare_class(size_t cap)
{
	int k = 0;
	if (cap <= SPARE_MIN)
		return -1;
	while (k < SPARE_CLASSES && (size_t)SPARE_MIN << k < cap)
		k++;
	return k < SPARE_CLASSES ? k : -1;
}

/* Under the lock. */
static void *out_alloc(struct zip_pool *p, size_t cap)
{
	int k = spare_class(cap);
	if (k < 0)
		return malloc(cap ? cap : 1);
	if (p->nspare[k])
		return p->spare[k][--p->nspare[k]];
	return malloc((size_t)SPARE_MIN << k);
}

static void out_free(struct zip_pool *p, void *buf, size_t cap)
{
	int k = spare_class(cap);
	if (k >= 0 && buf && p->nspare[k] < SPARES)
		p->spare[k][p->nspare[k]++] = buf;
	else
		free(buf);
}

static bool has_data(const struct sel_entry *it)
{
	return S_ISREG(it->st.st_mode) && it->st.st_size > 0;
}

uint64_t zip__pool_chunks(const struct zip_pool *p, uint64_t size)
{
	return (size + p->chunk - 1) / p->chunk;
}

/* Under the lock: the next job to cut, if any and if memory allows. */
static bool claim(struct zip_pool *p, struct job **out)
{
	while (p->cur_item < p->n && !has_data(p->items[p->cur_item])) {
		p->cur_item++;
		p->cur_off = 0;
	}
	/* the slot of head - 1 is still the writer's until its next zip__pool_next */
	if (p->cur_item >= p->n || p->next_seq + 1 >= p->head + p->ring_n)
		return false;
	uint64_t size = (uint64_t)p->items[p->cur_item]->st.st_size;
	size_t len = size - p->cur_off > p->chunk ? p->chunk : (size_t)(size - p->cur_off);
	if (p->next_seq != p->head && p->reserved + len > BUDGET)
		return false;

	struct job *j = &p->ring[p->next_seq % p->ring_n];
	*j = (struct job){ .state = J_BUSY, .item = p->cur_item, .off = p->cur_off, .len = len,
			   .first = p->cur_off == 0, .last = p->cur_off + len == size };
	p->reserved += len;
	p->next_seq++;
	if (j->last) {
		p->cur_item++;
		p->cur_off = 0;
	} else {
		p->cur_off += len;
	}
	*out = j;
	return true;
}

static int read_full(int fd, unsigned char *buf, size_t len, uint64_t off, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t r = pread(fd, buf + *got, len - *got, (off_t)(off + *got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

static int pool_deflate(z_stream *z, unsigned char *dict, const unsigned char *in, size_t len,
			bool last, unsigned char *out, size_t cap, size_t *out_len)
{
	if (deflateReset(z) != Z_OK || (dict && deflateSetDictionary(z, dict, DICT_SIZE) != Z_OK))
		return err_set(CIH_ERR, "deflate: cannot reset the stream");
	z->next_in = (unsigned char *)in;
	z->avail_in = (uInt)len;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	int zr = deflate(z, last ? Z_FINISH : Z_SYNC_FLUSH);
	if ((last && zr != Z_STREAM_END) || (!last && zr != Z_OK) || z->avail_in)
		return err_set(CIH_ERR, "deflate: output buffer too small (%d)", zr);
	*out_len = cap - z->avail_out;
	return 0;
}

static int compress_job(struct worker *w, struct job *j)
{
	struct zip_pool *p = w->p;
	const struct sel_entry *it = p->items[j->item];
	bool whole = j->first && j->last;
	bool dict = p->method == ZIP_POOL_DEFLATE && !j->first;
	unsigned char *data = w->in + DICT_SIZE;
	size_t got, dict_got;

	int fd = open(it->path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_os("open %s", it->path);
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = err_os("stat %s", it->path);
	else if (!S_ISREG(st.st_mode))
		rc = err_set(CIH_ERR, "%s: no longer a regular file", it->path);
	else if (read_full(fd, data, j->len, j->off, &got) < 0)
		rc = err_os("read %s", it->path);
	else if (dict && read_full(fd, w->in, DICT_SIZE, j->off - DICT_SIZE, &dict_got) < 0)
		rc = err_os("read %s", it->path);
	close(fd);
	if (rc < 0)
		return rc;
	/* A small file may have shrunk since it was listed: take what is there. A cut
	 * file must not, later pieces were compressed against this one's bytes. */
	if (got != j->len && !whole)
		return err_set(CIH_ERR, "%s: file changed size while being archived", it->path);
	if (dict && dict_got != DICT_SIZE)
		return err_set(CIH_ERR, "%s: file changed size while being archived", it->path);
	j->raw_len = got;
	j->crc = (uint32_t)crc32(0, data, (uInt)got);

	size_t cap = got + got / 8 + 1024;
	if (p->method == ZIP_POOL_ZSTD)
		cap = ZSTD_compressBound(got);
	else if (whole && p->method == ZIP_POOL_DEFLATE)
		cap = libdeflate_deflate_compress_bound(w->ld, got);
	pthread_mutex_lock(&p->mu);
	j->out = out_alloc(p, cap);
	pthread_mutex_unlock(&p->mu);
	j->cap = cap;
	if (!j->out)
		return err_set(CIH_ENOMEM, "out of memory");
	switch (p->method) {
	case ZIP_POOL_STORE:
		memcpy(j->out, data, got);
		j->out_len = got;
		return 0;
	case ZIP_POOL_DEFLATE:
		if (whole) { /* most files: libdeflate, several times zlib's speed */
			j->out_len = libdeflate_deflate_compress(w->ld, data, got, j->out, cap);
			if (!j->out_len && got)
				return err_set(CIH_ERR, "deflate: output buffer too small");
			break;
		}
		rc = pool_deflate(&w->z, dict ? w->in : NULL, data, got, j->last, j->out, cap, &j->out_len);
		/* A piece that grew is re-encoded as stored deflate blocks: the stream
		 * stays one deflate stream, at most 5 bytes per 64 KiB over the raw size. */
		if (rc == 0 && !whole && j->out_len > got)
			rc = pool_deflate(&w->z0, NULL, data, got, j->last, j->out, cap, &j->out_len);
		break;
	case ZIP_POOL_ZSTD: {
		size_t r = ZSTD_compress2(w->zc, j->out, cap, data, got);
		if (ZSTD_isError(r))
			return err_set(CIH_ERR, "zstd: %s", ZSTD_getErrorName(r));
		j->out_len = r;
		break;
	}
	}
	if (rc == 0 && whole && p->store_small && j->out_len >= got) {
		memcpy(j->out, data, got);
		j->out_len = got;
		j->stored = true;
	}
	return rc;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct zip_pool *p = w->p;
	struct job *batch[BATCH];

	pthread_mutex_lock(&p->mu);
	for (;;) {
		int n = 0;
		size_t bytes = 0;
		while (!p->abort && !claim(p, &batch[0])) {
			if (p->cur_item >= p->n) /* claim skipped to the end: all cut */
				goto out;
			pthread_cond_wait(&p->work, &p->mu);
		}
		if (p->abort)
			break;
		bytes = batch[n++]->len;
		while (n < BATCH && bytes < BATCH_BYTES && claim(p, &batch[n]))
			bytes += batch[n++]->len;
		pthread_mutex_unlock(&p->mu);
		int rcs[BATCH];
		char *msgs[BATCH];
		for (int i = 0; i < n; i++) {
			err_clear();
			rcs[i] = compress_job(w, batch[i]);
			msgs[i] = rcs[i] < 0 ? strdup(err_last()->msg) : NULL;
		}
		pthread_mutex_lock(&p->mu);
		for (int i = 0; i < n; i++) {
			batch[i]->rc = rcs[i];
			batch[i]->err = msgs[i];
			batch[i]->state = J_DONE;
		}
		pthread_cond_broadcast(&p->done);
	}
out:
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Files bigger than a chunk go through zlib (libdeflate has no history or flush to
 * chain pieces) at a lower level than the name says: zlib's level 5 costs several
 * times libdeflate's. On the npm tree of scripts/bench-archive the whole archive is
 * then 1.8% bigger than Info-ZIP's -5, in a third of its time. */
static int cut_level(int level)
{
	return level <= 1 ? level : level <= 5 ? 2 : level <= 7 ? 6 : 9;
}

static int worker_init(struct worker *w, struct zip_pool *p)
{
	w->p = p;
	if (!(w->in = malloc(DICT_SIZE + p->chunk)))
		return err_set(CIH_ENOMEM, "out of memory");
	if (p->method == ZIP_POOL_DEFLATE) {
		w->z_ok = deflateInit2(&w->z, cut_level(p->level), Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
		w->z0_ok = deflateInit2(&w->z0, 0, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
		w->ld = libdeflate_alloc_compressor(p->level);
		if (!w->z_ok || !w->z0_ok || !w->ld)
			return err_set(CIH_ENOMEM, "deflate: cannot allocate a stream");
	} else if (p->method == ZIP_POOL_ZSTD) {
		if (!(w->zc = ZSTD_createCCtx()) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, p->level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 0)))
			return err_set(CIH_ENOMEM, "zstd: cannot allocate a compressor");
	}
	return 0;
}

static void worker_free(struct worker *w)
{
	free(w->in);
	if (w->z_ok)
		deflateEnd(&w->z);
	if (w->z0_ok)
		deflateEnd(&w->z0);
	if (w->ld)
		libdeflate_free_compressor(w->ld);
	ZSTD_freeCCtx(w->zc);
}

int zip__pool_start(struct zip_pool **out, const struct sel_entry *const *items, size_t n,
		    enum zip_pool_method method, int level, int concurrency, bool store_small)
{
	struct zip_pool *p = calloc(1, sizeof(*p));
	int rc = 0;

	*out = NULL;
	if (!p)
		return err_set(CIH_ENOMEM, "out of memory");
	p->items = items;
	p->n = n;
	p->method = method;
	p->level = level;
	p->store_small = store_small;
	p->chunk = method == ZIP_POOL_ZSTD ? ZSTD_CHUNK : DEFLATE_CHUNK;
	p->nw = concurrency < 1 ? 1 : concurrency;
	p->ring_n = 256 + 8 * (size_t)p->nw;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->ring = calloc(p->ring_n, sizeof(*p->ring));
	p->w = calloc((size_t)p->nw, sizeof(*p->w));
	if (!p->ring || !p->w) {
		free(p->ring);
		free(p->w);
		free(p);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	*out = p;
	for (int i = 0; i < p->nw && rc == 0; i++) {
		if ((rc = worker_init(&p->w[i], p)) < 0)
			break;
		int e = pthread_create(&p->w[i].tid, NULL, work, &p->w[i]);
		if (e)
			rc = err_errno(CIH_EOS, e, "cannot start a compressing thread");
		else
			p->w[i].started = true;
	}
	return rc;
}

int zip__pool_next(struct zip_pool *p, struct zip_chunk *c)
{
	pthread_mutex_lock(&p->mu);
	if (p->head) { /* release the chunk handed out last time */
		struct job *prev = &p->ring[(p->head - 1) % p->ring_n];
		if (prev->state == J_DONE) {
			out_free(p, prev->out, prev->cap);
			free(prev->err);
			p->reserved -= prev->len;
			prev->state = J_FREE;
			pthread_cond_broadcast(&p->work);
		}
	}
	struct job *j = &p->ring[p->head % p->ring_n];
	while (j->state != J_DONE) {
		if (p->next_seq <= p->head && p->cur_item >= p->n) {
			pthread_mutex_unlock(&p->mu);
			return err_set(CIH_ERR, "zip: internal error: no chunk left");
		}
		pthread_cond_wait(&p->done, &p->mu);
	}
	int rc = j->rc;
	if (rc < 0) {
		err_set(rc, "%s", j->err ? j->err : "compression failed");
		p->abort = true;
		pthread_cond_broadcast(&p->work);
	} else {
		*c = (struct zip_chunk){ .item = j->item, .first = j->first, .last = j->last,
					 .data = j->out, .len = j->out_len, .raw_len = j->raw_len,
					 .crc = j->crc, .stored = j->stored };
	}
	p->head++;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void zip__pool_stop(struct zip_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->abort = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nw; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].tid, NULL);
		worker_free(&p->w[i]);
	}
	for (size_t i = 0; i < p->ring_n; i++) {
		if (p->ring[i].state == J_DONE) {
			free(p->ring[i].out);
			free(p->ring[i].err);
		}
	}
	for (int k = 0; k < SPARE_CLASSES; k++)
		while (p->nspare[k])
			free(p->spare[k][--p->nspare[k]]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->ring);
	free(p->w);
	free(p);
}
