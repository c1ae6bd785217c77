/* git init as a function (init and clone share it). */
#ifndef CIH_GIT_GINIT_H
#define CIH_GIT_GINIT_H

#include <stdbool.h>

struct ginit_opts {
	const char *dir;
	const char *template_dir;   /* NULL: $GIT_TEMPLATE_DIR, init.templateDir, the default */
	const char *initial_branch;
	const char *object_format;
	/* the repository lives here instead of <dir>/.git: <dir>/.git becomes a
	 * "gitdir: <relative path>" file and core.worktree points back (submodules) */
	const char *git_dir;
	bool bare;
	bool quiet;
};

/* Creates or reinitialises the repository; prints what git prints. Returns the
 * exit status (0, or 128 after "fatal: ..."). */
int ginit_repo(const struct ginit_opts *o, bool *reinit);

/* Writes <dir>/.git as "gitdir: <relative path>" and core.worktree in gitdir's
 * config (git's connect_work_tree_and_git_dir). Returns an exit status. */
int ginit_link_worktree(const char *dir, const char *gitdir);

/* The relative path from directory `from` to `to` (both existing). */
int ginit_relpath(const char *from, const char *to, char *out, size_t n);

#endif
