/* git clone as a function: `git clone` and `git submodule update` use it. */
#ifndef CIH_GIT_GCLONE_H
#define CIH_GIT_GCLONE_H

#include <stdbool.h>

struct gclone_opts {
	const char *url;
	const char *dir;
	const char *template_dir;
	const char *branch;    /* --branch: a branch or tag of the remote */
	const char *revision;  /* --revision: a ref or commit; detached, no branches */
	const char *git_dir;   /* --separate-git-dir */
	int depth;
	int single_branch;     /* -1: git's default (single with --depth) */
	bool no_checkout;
	bool no_tags;
	bool quiet;
	bool progress;
};

/* Clones and prints what git prints ("Cloning into '<dir>'..."). Returns the
 * exit status. */
int gclone_run(const struct gclone_opts *o);

#endif
