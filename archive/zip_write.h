/* ZIP writing in GitLab's fastzip layout (runner-helper-cli.md 4.4): sorted entries,
 * 0x5455 + 0x7875 extras, data descriptors, zip64 when needed. File contents are
 * compressed by a pool of threads, large files in independent chunks, while one
 * thread writes them in order; memory stays bounded whatever the tree. */
#ifndef CIH_ARCHIVE_ZIP_WRITE_H
#define CIH_ARCHIVE_ZIP_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "level.h"
#include "select.h"

struct zip_write_opts {
	enum level level; /* zip: fastest stores, fast 1, default 5, slow 7, slowest 9 */
	bool zstd;        /* zipzstd: method 93 */
	int concurrency;  /* compressing threads, >= 1 */
	/* FF_USE_FASTZIP=false: Go's archive/zip layout (deflate 5 for every file, the
	 * UTF-8 flag always, 0x5455 twice, descriptors on symlinks; 4.3) */
	bool legacy;
};

struct zip_write_stats {
	size_t files, dirs, symlinks, skipped;
	uint64_t in_bytes, out_bytes;
};

/* Writes the archive of items (path: slash path relative to the cwd, "." the cwd
 * itself; st: lstat at selection time) in any order, written sorted by path, to fd
 * from its current position. Irregular files are skipped. */
int zip_write_archive(int fd, const struct sel_entry *items, size_t n,
		      const struct zip_write_opts *o, struct zip_write_stats *st);

#endif
