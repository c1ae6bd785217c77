/* The fetch engine of `git fetch`, `git clone` and `git submodule update`: the
 * transport set-up of gtransport, refspec checks, shallow handling, and git's
 * "From <url>" report. */
#ifndef CIH_GIT_GFETCH_H
#define CIH_GIT_GFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

enum { GFETCH_TAGS_DEFAULT, GFETCH_TAGS_NONE, GFETCH_TAGS_ALL };

struct gfetch_opts {
	const char *remote;       /* a remote's name or a URL; NULL: origin */
	const char **refspecs;    /* NULL/0: the remote's configured ones */
	size_t nrefspecs;
	int depth;                /* 0: keep the repository's shallowness */
	bool unshallow;
	int prune;                /* 1: --prune; 0: fetch.prune / remote.<name>.prune */
	int tags;                 /* GFETCH_TAGS_* */
	bool force;
	bool progress;
	bool no_fetch_head;
	int verbosity;            /* < 0 quiet, > 0 verbose */
	/* called once connected, before the download (clone picks its branch here);
	 * may change refspecs; returns 0 or an exit status */
	int (*connected)(git_remote *remote, struct gfetch_opts *o, void *data);
	void *data;
};

/* Fetches into repo and prints what git prints. Returns the exit status. */
int gfetch_run(git_repository *repo, struct gfetch_opts *o);

#endif
