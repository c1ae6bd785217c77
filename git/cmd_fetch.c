/* git fetch [<options>] [<repository> [<refspec>...]] */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/errors.h>

#include "../helper/error.h"
#include "gconf.h"
#include "gfetch.h"
#include "gitcli.h"

static const char fetch_usage[] = "git fetch [<options>] [<repository> [<refspec>...]]";

/* Accepted because they change nothing for us (no pager, no gc, no terminal). */
static const char *const ignored[] = {
	"--no-recurse-submodules", "--recurse-submodules=no", "--no-write-commit-graph",
	"--no-auto-gc", "--auto-gc", "--no-auto-maintenance", "--auto-maintenance",
	"--show-forced-updates", "--no-show-forced-updates", "--write-fetch-head",
	"--update-head-ok", "-u", "--keep", "-k", "--no-progress", "--ipv4", "-4",
	"--no-prune", "--no-prune-tags", "--no-force", "--no-verbose",
};

static bool is_ignored(const char *a)
{
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (!strcmp(a, ignored[i]))
			return true;
	return false;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 0x7ffffffe)
		return -1;
	*out = (int)v;
	return 0;
}

int gcmd_fetch(int argc, char **argv)
{
	struct gfetch_opts o = { 0 };
	git_repository *repo = NULL;
	const char *remote = NULL;
	char **refspecs = calloc((size_t)argc, sizeof(char *));
	size_t nref = 0;
	bool opts_done = false;
	int rc;

	if (!refspecs)
		return gitcli_fatal("out of memory");
	o.verbosity = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (opts_done || a[0] != '-' || !a[1]) {
			if (!remote)
				remote = a;
			else
				refspecs[nref++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (is_ignored(a)) {
			continue;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o.verbosity--;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o.verbosity++;
		} else if (!strcmp(a, "--prune") || !strcmp(a, "-p")) {
			o.prune = 1;
		} else if (!strcmp(a, "--no-tags") || !strcmp(a, "-n")) {
			o.tags = GFETCH_TAGS_NONE;
		} else if (!strcmp(a, "--tags") || !strcmp(a, "-t")) {
			o.tags = GFETCH_TAGS_ALL;
		} else if (!strcmp(a, "--force") || !strcmp(a, "-f")) {
			o.force = true;
		} else if (!strcmp(a, "--progress")) {
			o.progress = true;
		} else if (!strcmp(a, "--unshallow")) {
			o.unshallow = true;
		} else if (!strcmp(a, "--no-write-fetch-head")) {
			o.no_fetch_head = true;
		} else if (!strcmp(a, "--depth") || !strncmp(a, "--depth=", 8)) {
			v = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v) {
				fprintf(stderr, "error: option `depth' requires a value\n");
				free(refspecs);
				return gitcli_usage(fetch_usage);
			}
			if (parse_int(v, &o.depth) < 0 || o.depth == 0) {
				free(refspecs);
				return gitcli_fatal("depth %s is not a positive number", v);
			}
		} else if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) {
			i++; /* submodules are never fetched recursively here */
		} else if (!strncmp(a, "--jobs=", 7) || (!strncmp(a, "-j", 2) && a[2])) {
			continue;
		} else {
			free(refspecs);
			return gitcli_unsupported("fetch %s", a);
		}
	}
	if (o.depth && o.unshallow) {
		free(refspecs);
		return gitcli_fatal("options '--depth' and '--unshallow' cannot be used together");
	}
	if (gitcli_libgit2() < 0) {
		free(refspecs);
		return 128;
	}
	if (gconf_repo_open(&repo, NULL) < 0) {
		free(refspecs);
		return gitcli_fatal("%s", err_last()->msg);
	}
	o.remote = remote;
	o.refspecs = (const char **)refspecs;
	o.nrefspecs = nref;
	rc = gfetch_run(repo, &o);
	git_repository_free(repo);
	free(refspecs);
	return rc;
}
