/* git clone [<options>] [--] <repo> [<dir>] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/buf.h"
#include "gclone.h"
#include "gitcli.h"

static const char clone_usage[] = "git clone [<options>] [--] <repo> [<dir>]";

/* git's "humanish" directory name: the last path part without ".git" */
static char *dir_from_url(const char *url)
{
	size_t n = strlen(url);
	const char *end, *start;

	while (n > 0 && url[n - 1] == '/')
		n--;
	end = url + n;
	if (n > 4 && !strncmp(end - 4, ".git", 4))
		end -= 4;
	start = end;
	while (start > url && start[-1] != '/' && start[-1] != ':')
		start--;
	return start < end ? strndup(start, (size_t)(end - start)) : NULL;
}

int gcmd_clone(int argc, char **argv)
{
	struct gclone_opts o = { .single_branch = -1 };
	const char *pos[2] = { NULL, NULL };
	int npos = 0, rc;
	char *dir = NULL;
	bool opts_done = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (opts_done || a[0] != '-') {
			if (npos == 2)
				return gitcli_usage(clone_usage);
			pos[npos++] = a;
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "--no-checkout") || !strcmp(a, "-n")) {
			o.no_checkout = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o.quiet = true;
		} else if (!strcmp(a, "--progress")) {
			o.progress = true;
		} else if (!strcmp(a, "--no-tags")) {
			o.no_tags = true;
		} else if (!strcmp(a, "--single-branch")) {
			o.single_branch = 1;
		} else if (!strcmp(a, "--no-single-branch")) {
			o.single_branch = 0;
		} else if (!strcmp(a, "--no-recurse-submodules") || !strcmp(a, "--no-progress") ||
			   !strcmp(a, "--no-reject-shallow")) {
			continue;
		} else if (!strncmp(a, "--depth", 7) || !strncmp(a, "--template", 10) ||
			   !strncmp(a, "--branch", 8) || !strcmp(a, "-b") || !strncmp(a, "--revision", 10) ||
			   !strncmp(a, "--separate-git-dir", 18)) {
			const char *eq = strchr(a, '=');

			v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v)
				return gitcli_usage(clone_usage);
			if (!strncmp(a, "--depth", 7)) {
				char *end;
				long d = strtol(v, &end, 10);

				if (*end || d <= 0 || d > 0x7ffffffe)
					return gitcli_fatal("depth %s is not a positive number", v);
				o.depth = (int)d;
			} else if (!strncmp(a, "--template", 10)) {
				o.template_dir = v;
			} else if (!strncmp(a, "--revision", 10)) {
				o.revision = v;
			} else if (!strncmp(a, "--separate-git-dir", 18)) {
				o.git_dir = v;
			} else {
				o.branch = v;
			}
		} else {
			return gitcli_unsupported("clone %s", a);
		}
	}
	if (!npos) {
		fprintf(stderr, "fatal: You must specify a repository to clone.\n\n");
		return gitcli_usage(clone_usage);
	}
	if (o.branch && o.revision)
		return gitcli_fatal("options '--revision' and '--branch' cannot be used together");
	o.url = pos[0];
	if (npos == 2) {
		o.dir = pos[1];
	} else if ((dir = dir_from_url(o.url))) {
		o.dir = dir;
	} else {
		return gitcli_fatal("No directory name could be guessed.\nPlease specify a directory on the command line");
	}
	rc = gclone_run(&o);
	free(dir);
	return rc;
}
