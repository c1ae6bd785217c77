/* What the zip and tar.zst extractors share: the checked walk from the target. */
#ifndef CIH_ARCHIVE_EXTRACT_INTERNAL_H
#define CIH_ARCHIVE_EXTRACT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* Walks path (clean, relative) from the cwd, whose realpath is root, creating
 * directories as it goes; an existing symlink on the way is followed only when it
 * resolves inside root. Returns the fd of the directory holding the last component
 * (*base set to it), or with whole set, of the directory path itself. path is
 * modified during the call and restored. */
int extract__walk(const char *root, char *path, bool whole, const char **base);
/* mtime (atime now) on fd, or on dirfd/name (nofollow: the link itself). */
void extract__set_times(int dirfd, const char *name, int fd, int64_t mtime, bool nofollow);

/* A new file is created with its final permissions; after the writes this sets what
 * the umask took away, and the owner, with no system call when nothing differs. */
void extract__file_meta(int fd, uint32_t perm, bool has_owner, uint32_t uid, uint32_t gid,
			const char *path);

#endif
