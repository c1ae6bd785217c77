/* Writes a tar stream as Go's archive/tar does with no format set: USTAR when the
 * entry fits, else a PAX extended header first; uname and gname empty; two zero
 * blocks at the end (no padding to a 10 KiB record). */
#ifndef CIH_ARCHIVE_TAR_WRITE_H
#define CIH_ARCHIVE_TAR_WRITE_H

#include <stddef.h>

#include "tar.h"

struct tar_writer;

/* sink takes every byte of the stream in order and returns 0 or a negative code
 * (zst_sink with a zst_writer, for instance). */
int tar_writer_new(struct tar_writer **out,
		   int (*sink)(void *ctx, const void *data, size_t len), void *ctx);
/* The header of a TAR_FILE, TAR_DIR or TAR_SYMLINK entry (other types are refused).
 * A file's e->size bytes must follow through tar_writer_data. Names and link names
 * are limited to TAR_NAME_MAX bytes. */
int tar_writer_header(struct tar_writer *w, const struct tar_entry *e);
/* Body bytes of the current file; more than its declared size is an error. */
int tar_writer_data(struct tar_writer *w, const void *data, size_t len);
/* tar_writer_header, then the body read from fd: exactly e->size bytes, or an error
 * naming the file when it shrank or grew since it was stat'ed. */
int tar_writer_file(struct tar_writer *w, const struct tar_entry *e, int fd);
/* The end-of-archive marker. The sink is neither flushed nor closed. */
int tar_writer_finish(struct tar_writer *w);
void tar_writer_free(struct tar_writer *w);

#endif
