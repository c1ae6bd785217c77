/* Checking out a commit (checkout, clone, submodule update share it). */
#ifndef CIH_GIT_GCHECKOUT_H
#define CIH_GIT_GCHECKOUT_H

#include <stdbool.h>

#include <git2.h>

/* Updates index and worktree to commit, then HEAD: to branch_ref when given,
 * else detached. Prints git's error for local changes in the way (returns 1),
 * "fatal: ..." otherwise (128); 0 on success. */
int gcheckout_commit(git_repository *repo, git_commit *commit, const char *branch_ref, bool force);

#endif
