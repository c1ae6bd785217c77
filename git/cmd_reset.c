/* git reset [-q] [--hard | --soft | --mixed] [<commit>] */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "../helper/error.h"
#include "gconf.h"
#include "gitcli.h"
#include "fsutil.h"
#include "gobj.h"

int gcmd_reset(int argc, char **argv)
{
	git_reset_t mode = GIT_RESET_MIXED;
	const char *target = "HEAD";
	bool quiet = false, have_target = false;
	git_repository *repo = NULL;
	git_object *obj = NULL, *commit = NULL;
	int rc = 128;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--hard"))
			mode = GIT_RESET_HARD;
		else if (!strcmp(a, "--soft"))
			mode = GIT_RESET_SOFT;
		else if (!strcmp(a, "--mixed"))
			mode = GIT_RESET_MIXED;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			quiet = true;
		else if (!strcmp(a, "--no-recurse-submodules"))
			continue;
		else if (a[0] == '-' || have_target)
			return gitcli_unsupported("reset %s", a);
		else
			target = a, have_target = true;
	}
	/* a mixed reset lists the unstaged changes; only its quiet form is here */
	if (mode == GIT_RESET_MIXED && !quiet)
		return gitcli_unsupported("reset --mixed without -q");
	if (gitcli_libgit2() < 0)
		return 128;
	if (gconf_repo_open(&repo, NULL) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (git_revparse_single(&obj, repo, target) < 0 ||
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = gitcli_fatal("ambiguous argument '%s': unknown revision or path not in the working tree.\n"
				  "Use '--' to separate paths from revisions, like this:\n"
				  "'git <command> [<revision>...] -- [<file>...]'", target);
		goto out;
	}
	if (mode == GIT_RESET_HARD && git_repository_is_bare(repo)) {
		rc = gitcli_fatal("this operation must be run in a work tree");
		goto out;
	}
	{
		/* git keeps the previous HEAD in ORIG_HEAD */
		git_oid old;
		char line[GIT_OID_SHA1_HEXSIZE + 2], path[4200];

		if (git_reference_name_to_id(&old, repo, "HEAD") == 0) {
			git_oid_tostr(line, sizeof(line), &old);
			line[GIT_OID_SHA1_HEXSIZE] = '\n';
			line[GIT_OID_SHA1_HEXSIZE + 1] = '\0';
			snprintf(path, sizeof(path), "%sORIG_HEAD", git_repository_path(repo));
			unlink(path);
			if (gfs_write_atomic(path, line, strlen(line), 0666) < 0)
				gitcli_warning("%s", err_last()->msg);
		}
	}
	if (git_reset(repo, commit, mode, NULL) < 0) {
		rc = gitcli_fatal_git("Could not reset index file to revision");
		goto out;
	}
	if (mode == GIT_RESET_HARD && !quiet) {
		char line[512];

		gobj_oneline(repo, git_object_id(commit), line, sizeof(line));
		printf("HEAD is now at %s\n", line);
	}
	rc = 0;
out:
	git_object_free(commit);
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}
