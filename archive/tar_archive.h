/* A tar.zst archive of selected paths (runner-helper-cli.md 4.6): sorted entries,
 * files, directories and symlinks (irregular files skipped), zstd with its content
 * checksum, compressed by libzstd's worker threads. */
#ifndef CIH_ARCHIVE_TAR_ARCHIVE_H
#define CIH_ARCHIVE_TAR_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "select.h"

struct tar_archive_stats {
	size_t files, dirs, symlinks, skipped;
	uint64_t in_bytes, out_bytes;
};

/* items as for zip_write_archive */
int tar_archive_write(int fd, const struct sel_entry *items, size_t n, int zstd_level,
		      int workers, struct tar_archive_stats *st);

#endif
