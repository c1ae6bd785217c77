/* What the zip and tar.zst extractors share: the checked walk from the target. */
#ifndef CIH_ARCHIVE_EXTRACT_INTERNAL_H
#define CIH_ARCHIVE_EXTRACT_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Walks path (clean, relative) from the cwd, whose realpath is root, creating
 * directories as it goes; an existing symlink on the way is followed only when it
 * resolves inside root. Returns the fd of the directory holding the last component
 * (*base set to it), or with whole set, of the directory path itself. path is
 * modified during the call and restored. */
int extract__walk(const char *root, char *path, bool whole, const char **base);
/* mtime (atime now) on fd, or on dirfd/name (nofollow: the link itself). */
void extract__set_times(int dirfd, const char *name, int fd, int64_t mtime, bool nofollow);

/* The last parent directory walked to (files of one directory come in a row) and a
 * counter for temporary names; one per writing thread. */
struct extract_dir {
	char path[PATH_MAX];
	int fd; /* -1: none yet */
	unsigned worker;
	unsigned long long seq;
};
/* The fd of path's parent (from the cache or a fresh checked walk); *base is set to
 * the last component. The fd belongs to the cache. */
int extract__parent(const char *root, struct extract_dir *d, char *path, const char **base);
/* A new temporary file in d's directory, with its final permissions; tmp receives
 * its name. Returns the fd. */
int extract__temp(struct extract_dir *d, mode_t perm, char *tmp, size_t size, const char *path);
/* Renames tmp over base in d's directory; an empty directory in the way goes, as
 * fastzip's os.Remove would. */
int extract__put(struct extract_dir *d, const char *tmp, const char *base, const char *path);
/* Reads the process umask once, before any thread creates files. */
void extract__init(void);

/* A new file is created with its final permissions; after the writes this sets what
 * the umask took away, and the owner, with no system call when nothing differs. */
void extract__file_meta(int fd, uint32_t perm, bool has_owner, uint32_t uid, uint32_t gid,
			const char *path);

#endif
