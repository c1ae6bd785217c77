/* git remote [-v] | add <name> <url> | set-url <name> <url> | get-url <name> | remove <name> */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "../helper/error.h"
#include "gconf.h"
#include "gitcli.h"

static int open_repo(git_repository **repo)
{
	if (gitcli_libgit2() < 0)
		return 128;
	if (gconf_repo_open(repo, NULL) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	return 0;
}

static int remote_add(git_repository *repo, int argc, char **argv)
{
	git_remote *r = NULL;
	int valid = 0;

	if (argc != 3 || argv[1][0] == '-')
		return argc > 1 && argv[1][0] == '-' ? gitcli_unsupported("remote add %s", argv[1])
		     : gitcli_usage("git remote add [<options>] <name> <url>");
	if (git_remote_name_is_valid(&valid, argv[1]) < 0 || !valid)
		return gitcli_fatal("'%s' is not a valid remote name", argv[1]);
	if (git_remote_lookup(&r, repo, argv[1]) == 0) {
		git_remote_free(r);
		gitcli_error("remote %s already exists.", argv[1]);
		return 3;
	}
	if (git_remote_create(&r, repo, argv[1], argv[2]) < 0) {
		if (git_error_last()->klass == GIT_ERROR_CONFIG || git_remote_lookup(&r, repo, argv[1]) < 0)
			return gitcli_fatal_git("could not set up the remote");
		gitcli_error("remote %s already exists.", argv[1]);
		git_remote_free(r);
		return 3;
	}
	git_remote_free(r);
	return 0;
}

static int remote_set_url(git_repository *repo, int argc, char **argv)
{
	git_remote *r = NULL;

	if (argc != 3 || argv[1][0] == '-')
		return argc > 1 && argv[1][0] == '-' ? gitcli_unsupported("remote set-url %s", argv[1])
		     : gitcli_usage("git remote set-url [--push] <name> <newurl> [<oldurl>]");
	if (git_remote_lookup(&r, repo, argv[1]) < 0) {
		gitcli_error("No such remote '%s'", argv[1]);
		return 2;
	}
	git_remote_free(r);
	if (git_remote_set_url(repo, argv[1], argv[2]) < 0)
		return gitcli_fatal_git("could not set the remote URL");
	return 0;
}

static int remote_get_url(git_repository *repo, int argc, char **argv)
{
	git_remote *r = NULL;

	if (argc != 2 || argv[1][0] == '-')
		return gitcli_usage("git remote get-url [--push] [--all] <name>");
	if (git_remote_lookup(&r, repo, argv[1]) < 0) {
		gitcli_error("No such remote '%s'", argv[1]);
		return 2;
	}
	printf("%s\n", git_remote_url(r));
	git_remote_free(r);
	return 0;
}

static int remote_remove(git_repository *repo, int argc, char **argv)
{
	git_remote *r = NULL;

	if (argc != 2 || argv[1][0] == '-')
		return gitcli_usage("git remote remove <name>");
	if (git_remote_lookup(&r, repo, argv[1]) < 0) {
		gitcli_error("No such remote: '%s'", argv[1]);
		return 2;
	}
	git_remote_free(r);
	if (git_remote_delete(repo, argv[1]) < 0)
		return gitcli_fatal_git("could not remove the remote");
	return 0;
}

static int remote_list(git_repository *repo, bool verbose)
{
	git_strarray names = { 0 };

	if (git_remote_list(&names, repo) < 0)
		return gitcli_fatal_git("could not list the remotes");
	for (size_t i = 0; i < names.count; i++) {
		git_remote *r = NULL;

		if (!verbose) {
			printf("%s\n", names.strings[i]);
		} else if (git_remote_lookup(&r, repo, names.strings[i]) == 0) {
			const char *push = git_remote_pushurl(r) ? git_remote_pushurl(r) : git_remote_url(r);

			printf("%s\t%s (fetch)\n%s\t%s (push)\n", names.strings[i], git_remote_url(r),
			       names.strings[i], push);
			git_remote_free(r);
		}
	}
	git_strarray_dispose(&names);
	return 0;
}

int gcmd_remote(int argc, char **argv)
{
	git_repository *repo = NULL;
	int rc;

	if ((rc = open_repo(&repo)) != 0)
		return rc;
	if (argc == 1)
		rc = remote_list(repo, false);
	else if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"))
		rc = argc == 2 ? remote_list(repo, true) : gitcli_unsupported("remote -v %s", argv[2]);
	else if (!strcmp(argv[1], "add"))
		rc = remote_add(repo, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "set-url"))
		rc = remote_set_url(repo, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "get-url"))
		rc = remote_get_url(repo, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "remove") || !strcmp(argv[1], "rm"))
		rc = remote_remove(repo, argc - 1, argv + 1);
	else
		rc = gitcli_unsupported("remote %s", argv[1]);
	git_repository_free(repo);
	return rc;
}
