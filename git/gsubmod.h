/* Submodules as git's submodule--helper handles them: the list (gitlinks of the
 * index with their .gitmodules entries), URL resolution, init, sync, update. */
#ifndef CIH_GIT_GSUBMOD_H
#define CIH_GIT_GSUBMOD_H

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

struct gsub {
	char *name;
	char *path;    /* relative to the superproject's top */
	char *url;     /* from .gitmodules (raw), or NULL */
	char *branch;  /* submodule.<name>.branch from .gitmodules */
	char *update;  /* submodule.<name>.update from .gitmodules */
	git_oid oid;   /* the commit recorded in the index */
};

struct gsub_list {
	struct gsub *v;
	size_t n;
};

/* Gitlinks of repo's index matching the pathspecs (paths relative to the top;
 * none: all), with their .gitmodules data. */
int gsub_list(git_repository *repo, const char *const *paths, size_t npaths, struct gsub_list *out);
void gsub_list_dispose(struct gsub_list *l);

/* A .gitmodules URL as git resolves it: "./" and "../" against the
 * superproject's default remote URL (as configured, no insteadOf), or its top
 * directory when it has no remote. */
int gsub_resolve_url(git_repository *repo, const char *url, char **out);
/* Its pure part (gsubmod_url.c): url's leading "./" and "../" resolved against
 * remote (a URL, "host:path" or a directory), the rest appended. *out malloc'd;
 * CIH_EUSAGE "cannot strip one component off url '<base>'". */
int gsub_resolve_relative(const char *remote, const char *url, char **out);

struct gsub_update_opts {
	bool init;
	bool recursive;
	bool remote;
	bool force;
	bool no_fetch;
	bool quiet;
	int depth;
};

/* Each step prints what git prints; display is the prefix of displayed paths
 * ("" at the top, "sub/" inside a submodule). Return an exit status. */
int gsub_init(git_repository *repo, const struct gsub *s, const char *display, bool quiet);
int gsub_sync(git_repository *repo, const struct gsub *s, const char *display, bool recursive, bool quiet);
/* Clones (or reconnects) every listed submodule first, then checks each out
 * and recurses, in git's order. */
int gsub_update(git_repository *repo, const struct gsub_list *l, const char *display,
		const struct gsub_update_opts *o);

/* The submodule's checked-out repository, or CIH_ENOTFOUND. */
int gsub_open(git_repository *super, const struct gsub *s, git_repository **out);

#endif
