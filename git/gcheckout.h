/* Checking out a commit (checkout, clone, submodule update share it). */
#ifndef CIH_GIT_GCHECKOUT_H
#define CIH_GIT_GCHECKOUT_H

#include <stdbool.h>

#include <git2.h>

/* Updates index and worktree to commit, then HEAD: to branch_ref when given,
 * else detached. Prints git's error for local changes in the way (returns 1),
 * "fatal: ..." otherwise (128); 0 on success. */
int gcheckout_commit(git_repository *repo, git_commit *commit, const char *branch_ref, bool force);

/* True when a fresh checkout of tree (empty index, worktree holding only .git) would
 * write every file as stored: no attribute file (info/attributes, core.attributesFile,
 * the XDG and system ones, any .gitattributes in tree) names text, eol, crlf, ident
 * or filter, and core.autocrlf is not true. Then libgit2's filters can be skipped. */
bool gcheckout_filters_inert(git_repository *repo, git_tree *tree);

#endif
