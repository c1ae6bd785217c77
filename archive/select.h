/* File selection for the archivers (the runner's fileArchiver): --path globs walked
 * recursively, --exclude globs, --untracked files, all lexically inside the working
 * directory. Logs its warnings and infos with the runner's texts. */
#ifndef CIH_ARCHIVE_SELECT_H
#define CIH_ARCHIVE_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "glob.h"

struct sel_entry {
	char *path;     /* slash path relative to the working directory; "." for itself */
	struct stat st; /* lstat at selection time */
};

/* Entries sorted in byte order of path (a directory before its contents). */
struct sel_set {
	struct sel_entry *v;
	size_t n, cap;
	size_t *slots; /* hash of paths: index + 1, 0 when free */
	size_t nslots;
};

#define SEL_SET_INIT { NULL, 0, 0, NULL, 0 }

struct sel_options {
	const char *const *paths; /* --path values, as given (they are expanded here) */
	size_t npaths;
	const char *const *excludes; /* --exclude values, as given */
	size_t nexcludes;
	bool untracked; /* --untracked: add `git ls-files -o` */
};

/* Expands each value as shell.Expand does (helper/shexpand.h), selects and sorts.
 * Problems with single paths are logged, not returned; the error cases are the
 * working directory and memory. */
int sel_enumerate(const struct sel_options *opt, struct sel_set *out);
void sel_set_dispose(struct sel_set *set);
/* One more path (absolute or relative to the working directory) after
 * sel_enumerate, as upstream adds the artifacts metadata file: the excludes apply,
 * the set stays sorted; a missing path is ignored. */
int sel_add(const struct sel_options *opt, struct sel_set *set, const char *path);

/* shell.Expand of one --path/--exclude value. On a syntax error it logs
 * `invalid path "": <err>` (upstream prints the empty result) and returns a copy of
 * the value unchanged. NULL when out of memory. */
char *sel_expand(const char *value);

/* `git ls-files -o -z` in the current directory, sorted; on failure the error is
 * "exit status 128" and stderr_text holds what git would have printed. */
struct sel_untracked_error {
	char stderr_text[1200];
};
int sel_untracked_files(struct glob_list *out, struct sel_untracked_error *why);

#endif
