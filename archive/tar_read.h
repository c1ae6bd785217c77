/* Reads a tar stream entry by entry from a byte source: V7, USTAR, PAX (path,
 * linkpath, size, mtime, uid, gid; global headers ignored), GNU (long names and
 * links, base-256 numbers) and STAR headers. Every header is checksum-verified and
 * every length is checked before use. Nothing is written to disk here. */
#ifndef CIH_ARCHIVE_TAR_READ_H
#define CIH_ARCHIVE_TAR_READ_H

#include <stddef.h>
#include <sys/types.h>

#include "tar.h"

struct tar_reader;

/* source returns up to len (> 0) bytes, 0 at the end of the stream, or a negative
 * code with the error set (zst_source with a zst_reader, for instance). name appears
 * in error messages. */
int tar_reader_new(struct tar_reader **out, ssize_t (*source)(void *ctx, void *buf, size_t len),
		   void *ctx, const char *name);
/* The next entry: 1 with *entry set (valid until the next call), 0 at the end of the
 * archive (two zero blocks, or the end of the stream between entries, as Go; what
 * follows the zero blocks is read and ignored, so a zstd source verifies its
 * checksum), or a
 * negative code: CIH_ECORRUPT for a bad header or a truncated stream, CIH_ETOOBIG for
 * a PAX header over 1 MiB or a name or link name over TAR_NAME_MAX bytes, CIH_EUNSAFE
 * for a sparse file (not supported). Unread body bytes of the previous entry are
 * skipped. Errors are sticky. */
int tar_reader_next(struct tar_reader *r, const struct tar_entry **entry);
/* The current entry's body: up to len bytes, 0 once entry->size bytes were read, or
 * a negative code (CIH_ECORRUPT when the stream ends early). */
ssize_t tar_reader_read(struct tar_reader *r, void *buf, size_t len);
void tar_reader_free(struct tar_reader *r);

#endif
