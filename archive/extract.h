/* Safe extraction into a directory: paths are checked before anything is written,
 * no symlink is ever followed out of the target, files appear whole (temp + rename),
 * symlinks and directory metadata come last. */
#ifndef CIH_ARCHIVE_EXTRACT_H
#define CIH_ARCHIVE_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct extract_stats {
	size_t files, dirs, symlinks, skipped;
	uint64_t bytes;
};

/* Extracts the zip archive at path into the current directory; files are written by
 * `concurrency` threads (>= 1). */
int extract_zip(const char *path, int concurrency, struct extract_stats *stats);

/* Extracts the tar.zst archive at path into the current directory, in one pass. */
int extract_tarzstd(const char *path, struct extract_stats *stats);

/* Entry name to clean relative path ("a/./b/../c" -> "a/c"): refuses absolute paths,
 * escapes through "..", and over-long names. *is_dir: the name ended with '/'.
 * An empty result (".", "./") means the target itself. */
int extract_clean_name(char *out, size_t size, const char *name, bool *is_dir);

#endif
