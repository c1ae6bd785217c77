/* Streaming zstd: a compressing writer into an fd (one frame, content checksum on,
 * multithreaded) and a decompressing reader from an fd with a bounded window. */
#ifndef CIH_ARCHIVE_ZST_STREAM_H
#define CIH_ARCHIVE_ZST_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#define ZST_WINDOW_LOG_MAX 27 /* 128 MiB, as GitLab's decoder */
#define ZST_AUTO_WORKERS_MAX 8

struct zst_writer;

/* level: a zstd level (level_zstd(l, false) for tar.zst, archive/level.h).
 * workers: compression threads; 0 picks the CPUs this process may run on, at most
 * ZST_AUTO_WORKERS_MAX; 1 or a single CPU compresses in the caller's thread. */
int zst_writer_open(struct zst_writer **out, int fd, int level, int workers);
int zst_writer_write(struct zst_writer *w, const void *data, size_t len);
/* Ends the frame and writes everything out. The writer is still to be freed. */
int zst_writer_finish(struct zst_writer *w);
void zst_writer_free(struct zst_writer *w);
/* Compressed bytes written to the fd so far. */
unsigned long long zst_writer_bytes_out(const struct zst_writer *w);
/* zst_writer_write with the signature of a byte sink (ctx is the writer). */
int zst_sink(void *ctx, const void *data, size_t len);

struct zst_reader;

/* name appears in error messages. Concatenated and skippable frames are read through;
 * a frame that needs a window above 2^ZST_WINDOW_LOG_MAX is CIH_ETOOBIG. */
int zst_reader_open(struct zst_reader **out, int fd, const char *name);
/* Up to len (> 0) decompressed bytes: the count, 0 at the clean end of the stream, or
 * a negative code: CIH_ECORRUPT for bad data, a bad checksum, an empty or truncated
 * stream. */
ssize_t zst_reader_read(struct zst_reader *r, void *buf, size_t len);
void zst_reader_free(struct zst_reader *r);
/* zst_reader_read with the signature of a byte source (ctx is the reader). */
ssize_t zst_source(void *ctx, void *buf, size_t len);

#endif
