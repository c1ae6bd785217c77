/* Runs a byte source in its own thread, a few blocks ahead of the consumer: the
 * tar.zst extractor decompresses on one core while it writes files on another, as
 * `zstd -d | tar x` does with two processes. */
#ifndef CIH_ARCHIVE_READAHEAD_H
#define CIH_ARCHIVE_READAHEAD_H

#include <stddef.h>
#include <sys/types.h>

struct readahead;

/* source: bytes, 0 at the end, negative on error (its message is carried over). */
int readahead_start(struct readahead **out, ssize_t (*source)(void *ctx, void *buf, size_t len),
		    void *ctx);
/* The same contract as source, for the consumer. */
ssize_t readahead_read(void *ra, void *buf, size_t len);
/* Stops the thread (also early) and frees everything. */
void readahead_stop(struct readahead *ra);

#endif
