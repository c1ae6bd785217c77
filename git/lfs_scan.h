/* Pointer files in the index or in a commit's tree, as git-lfs scans them: every
 * blob under 1024 bytes that parses as a pointer (attributes are not consulted),
 * gitlinks and symlinks skipped; lfs.fetchinclude/fetchexclude (or -I/-X) as
 * gitignore-style path filters. Prefix lfs_scan_. */
#ifndef CIH_GIT_LFS_SCAN_H
#define CIH_GIT_LFS_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include <git2.h>

#include "lfs_pointer.h"

struct lfs_entry {
	char *path;
	unsigned mode;
	git_oid blob;
	struct lfs_pointer p;
};

struct lfs_entries {
	struct lfs_entry *v;
	size_t n, cap;
};

struct lfs_filter {
	char **inc, **exc; /* NULL-terminated */
};

/* Comma-separated lists (NULL: none). */
int lfs_filter_init(struct lfs_filter *f, const char *include, const char *exclude);
void lfs_filter_dispose(struct lfs_filter *f);
bool lfs_filter_allows(const struct lfs_filter *f, const char *path);

/* tree NULL: the index. */
int lfs_scan(git_repository *repo, git_tree *tree, const struct lfs_filter *f, struct lfs_entries *out);
void lfs_entries_dispose(struct lfs_entries *e);

#endif
