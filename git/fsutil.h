/* Small file-system helpers for the git look-alike. */
#ifndef CIH_GIT_FSUTIL_H
#define CIH_GIT_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* mkdir -p (mode 0777 & ~umask). 0 or CIH_EOS. */
int gfs_mkdir_p(const char *path);
/* Copies the tree src into dst without replacing anything that exists there
 * (git's template copy): modes, symlinks and directories kept. */
int gfs_copy_missing(const char *src, const char *dst);
/* rm -rf path (no error when it does not exist). */
int gfs_remove_tree(const char *path);
bool gfs_exists(const char *path);
bool gfs_is_dir(const char *path);
/* Writes data to path through path.lock, fsync and rename. */
int gfs_write_atomic(const char *path, const void *data, size_t len, int mode);

#endif
