/* Internals of the pack indexer (gindex.h): gindex.c (the writepack and its files),
 * gindex_scan.c (the pass over the incoming stream), gindex_resolve.c (deltas, on
 * worker threads) and gindex_idx.c (thin-pack completion and the .idx). */
#ifndef CIH_GIT_GINDEX_INT_H
#define CIH_GIT_GINDEX_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <mbedtls/sha1.h>

#include "../helper/error.h"
#include "gpack_int.h"

#define GINDEX_HDR 12
#define GINDEX_TRAILER GPACK_OID_LEN
/* the most a zlib stream can expand (deflate's limit, rounded up) */
#define GINDEX_MAX_RATIO 1032

/* One object of the pack, in pack order. */
struct gindex_obj {
	uint64_t off;      /* its header */
	uint64_t data;     /* its zlib stream */
	uint64_t end;      /* the byte after the stream */
	uint64_t size;     /* inflated size (of the delta for a delta) */
	uint64_t base_off; /* OFS_DELTA: the base's header */
	uint32_t crc;      /* CRC-32 of off..end, for the .idx */
	uint8_t type;      /* as in the pack: 1-4, 6 or 7 */
	uint8_t real_type; /* commit, tree, blob or tag, once hashed */
	atomic_uint state; /* GINDEX_NEW, _CLAIMED (a worker resolves it), _DONE (4 bytes: riscv64 has no 1-byte CAS without libatomic) */
	unsigned char oid[GPACK_OID_LEN];
};

enum { GINDEX_NEW, GINDEX_CLAIMED, GINDEX_DONE };

/* Recycled object buffers, by power-of-two size class (256 B to 64 MiB), up to a
 * byte budget. musl's allocator gives the memory of emptied groups back to the
 * kernel: with objects allocated on one thread and freed on another that was an
 * mmap, a munmap and fresh zeroed pages for most objects (1.6 s of system time
 * on the bench fixture). */
#define GINDEX_POOL_CLASSES 19
#define GINDEX_POOL_LIMIT (32u << 20)
struct gindex_pool {
	void *free[GINDEX_POOL_CLASSES]; /* each free buffer holds the next's address */
	size_t bytes, limit;
};

/* A buffer of at least size bytes (NULL when out of memory). */
unsigned char *gindex_pool_get(struct gindex_pool *p, size_t size);
/* Gives back a buffer that gindex_pool_get returned for size bytes. */
void gindex_pool_put(struct gindex_pool *p, unsigned char *buf, size_t size);
void gindex_pool_clear(struct gindex_pool *p);

/* Whole objects waiting for their hash (gindex_scan.c). */
struct gindex_job {
	uint32_t obj;
	int type;
	unsigned char *data;
	size_t len;
};

struct gindex {
	git_odb_writepack parent;
	git_odb *odb;
	git_indexer_progress_cb progress_cb;
	void *progress_payload;
	int user_rc; /* what the progress callback returned to cancel */
	char *dir, *tmp_path;
	int fd;
	unsigned nthreads;

	/* the stream: written by append() (libgit2's thread), read by the scanner */
	pthread_mutex_t lock;
	pthread_cond_t more, work;
	uint64_t written;
	bool eof, cancel, scan_done;
	unsigned char tail[GINDEX_TRAILER]; /* the last bytes: not hashed until more come */
	size_t tail_len;
	mbedtls_sha1_context sha; /* of the bytes before the tail */

	/* the scanner thread and its hash workers */
	pthread_t scanner, *hashers;
	unsigned nhashers;
	bool scanner_started;
	struct gindex_pool pool; /* the scanner's and hashers', under lock */
	struct gindex_job *queue;
	size_t qhead, qlen, qcap, qbytes;
	int failed;      /* the first error of any thread, its message in msg */
	char msg[ERR_MSG_MAX];

	/* the pack as scanned: header fields and objects */
	uint32_t version, nr;
	struct gindex_obj *objs; /* grown by the scanner under objs_lock (write) */
	uint32_t nobjs, cap;
	pthread_rwlock_t objs_lock; /* hashers store their results under it (read) */
	uint64_t pos; /* where the scanner is */
	atomic_uint total, received, hashed, resolved; /* for progress: nr, once known */

	/* the mapping of the pack file (read-only, MAP_SHARED) while it is scanned;
	 * the pages behind the scanner are dropped from it as it goes */
	const unsigned char *map;
	size_t map_len;
	uint64_t dropped;
};

/* The first failure wins: records it (code and the thread's message) for commit. */
void gindex_fail(struct gindex *ix, int rc);
int gindex_failed(struct gindex *ix);
/* n bytes of the pack file at off (after the scan, the file is read, not mapped:
 * git index-pack does the same, and a map of the whole pack counted against our
 * peak RSS). */
int gindex_pread(struct gindex *ix, void *buf, size_t n, uint64_t off);
int gindex_pwrite(struct gindex *ix, const void *buf, size_t n, uint64_t off);
/* Maps at least need bytes of the pack file (remapping it larger). Scanner or
 * committing thread only: no other thread may hold pointers into the map. */
int gindex_map(struct gindex *ix, uint64_t need);

/* gindex_scan.c */
int gindex_scan_start(struct gindex *ix);
/* Waits for the scanner and the hashers after the last append. */
int gindex_scan_finish(struct gindex *ix);
void gindex_scan_stop(struct gindex *ix);
/* A pack object header at pos of buf (len bytes known): 1 when more bytes are
 * needed, negative when it is malformed. */
int gindex_parse_header(const unsigned char *buf, uint64_t len, uint64_t pos, struct gindex_obj *o);

/* gindex_resolve.c: every delta whose base is known; 0 even when some stay
 * unresolved (their bases are outside the pack). */
int gindex_resolve(struct gindex *ix);
/* The same with only the whole objects from index first on as roots. */
int gindex_resolve_from(struct gindex *ix, uint32_t first);

/* gindex_idx.c */
/* Appends the missing bases of the REF_DELTAs still unresolved, read from the
 * repository, until each delta is resolved; then rewrites the header's count and
 * the trailer. Unresolvable deltas are an error. */
int gindex_complete_thin(struct gindex *ix, unsigned char trailer[GINDEX_TRAILER]);
/* Writes the v2 index of the pack to path (temp file, fsync, rename). */
int gindex_write_idx(struct gindex *ix, const unsigned char trailer[GINDEX_TRAILER], const char *path);

#endif
