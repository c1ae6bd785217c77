/* The artifacts' gzip format (runner-helper-cli.md 4.5): one independent gzip member
 * per path, in sorted order, no tar layer. FNAME is the basename, FCOMMENT the whole
 * path, both escaped as upstream when they hold '%' or a byte above 0x7f. */
#ifndef CIH_ARCHIVE_GZIP_WRITE_H
#define CIH_ARCHIVE_GZIP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "select.h"

struct gzipw_stats {
	size_t files;   /* members written */
	size_t ignored; /* paths gone since the selection (warned, skipped) */
	uint64_t in_bytes, out_bytes;
};

/* Writes the members of items (any order; written sorted by path) to fd with write()
 * only, so fd may be a pipe. Each path is looked at again (lstat), as upstream does
 * for every attempt: one that is gone logs the warning `File ignored: lstat <path>:
 * no such file or directory` and is skipped; one that is not a regular file fails
 * with `the "<path>" is not a regular file`. st may be NULL. */
int gzipw_write_archive(int fd, const struct sel_entry *items, size_t n, struct gzipw_stats *st);

#endif
