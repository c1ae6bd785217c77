/* Worktree update after a fetch (git lfs checkout / pull). Prefix lfs_co_. */
#ifndef CIH_GIT_LFS_CHECKOUT_H
#define CIH_GIT_LFS_CHECKOUT_H

#include <sys/types.h>

#include "lfs_internal.h"
#include "lfs_scan.h"

struct lfs_co {
	git_repository *repo;
	const char *workdir;
	const struct lfs_store *s;
	mode_t umask;
	pthread_mutex_t mu;
	char **paths; /* written, their index entries to refresh */
	size_t n;
	int failed;
};

int lfs_co_init(struct lfs_co *co, git_repository *repo, const struct lfs_store *s);
/* Writes e's content over the pointer (or where the file is missing); a file
 * that is not this pointer any more is left alone. Thread-safe. */
int lfs_co_file(struct lfs_co *co, const struct lfs_entry *e);
/* Refreshes the index entries of what was written. */
int lfs_co_finish(struct lfs_co *co);
void lfs_co_dispose(struct lfs_co *co);

#endif
