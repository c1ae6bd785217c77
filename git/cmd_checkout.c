/* git checkout [-q] [-f] [--detach] <commit-ish | branch> */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gcheckout.h"
#include "gconf.h"
#include "gitcli.h"
#include "gobj.h"
#include "gpack.h"

static const char detached_advice[] =
	"\n"
	"You are in 'detached HEAD' state. You can look around, make experimental\n"
	"changes and commit them, and you can discard any commits you make in this\n"
	"state without impacting any branches by switching back to a branch.\n"
	"\n"
	"If you want to create a new branch to retain commits you create, you may\n"
	"do so (now or later) by using -c with the switch command. Example:\n"
	"\n"
	"  git switch -c <new-branch-name>\n"
	"\n"
	"Or undo this operation with:\n"
	"\n"
	"  git switch -\n"
	"\n"
	"Turn off this advice by setting config variable advice.detachedHead to false\n"
	"\n";

struct conflicts {
	struct buf list;
	size_t n;
};

static int on_conflict(git_checkout_notify_t why, const char *path, const git_diff_file *baseline,
		       const git_diff_file *target, const git_diff_file *workdir, void *payload)
{
	struct conflicts *c = payload;

	(void)why, (void)baseline, (void)target, (void)workdir;
	buf_printf(&c->list, "\t%s\n", path);
	c->n++;
	return 0;
}

static bool advice_on(git_repository *repo)
{
	git_config *cfg = NULL;
	int v = 1;

	if (git_repository_config_snapshot(&cfg, repo) == 0) {
		if (git_config_get_bool(&v, cfg, "advice.detachedhead") < 0)
			v = 1;
		git_config_free(cfg);
	}
	return v;
}

/* Updates the index and worktree to commit, then points HEAD at it. */
int gcheckout_commit(git_repository *repo, git_commit *commit, const char *branch_ref, bool force)
{
	git_checkout_options co;
	struct conflicts c = { BUF_INIT, 0 };
	git_index *index = NULL;
	git_tree *tree = NULL;
	int rc;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	/* git lets a checkout replace files missing from the worktree */
	co.checkout_strategy = (force ? GIT_CHECKOUT_FORCE : GIT_CHECKOUT_SAFE) | GIT_CHECKOUT_RECREATE_MISSING;
	co.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT;
	co.notify_cb = on_conflict;
	co.notify_payload = &c;
	/* git -f resets from the index (a oneway merge): what the index no longer has
	 * is not ours to delete, what it lacks is written */
	if (force && git_repository_index(&index, repo) == 0)
		co.baseline_index = index;
	/* faster pack reads; without it libgit2's own pack backend serves them */
	if (gpack_attach(repo) < 0)
		err_clear();
	if (git_commit_tree(&tree, commit) == 0 && gcheckout_filters_inert(repo, tree))
		co.disable_filters = 1;
	git_tree_free(tree);
	/* the blobs are in the odb (we read them to write the files): libgit2's check
	 * that each index entry's object exists inflated every delta's header again */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	rc = git_checkout_tree(repo, (git_object *)commit, &co);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	git_index_free(index);
	if (rc < 0 && c.n) {
		fprintf(stderr, "error: Your local changes to the following files would be overwritten by checkout:\n"
				"%sPlease commit your changes or stash them before you switch branches.\n"
				"Aborting\n", buf_cstr(&c.list));
		buf_dispose(&c.list);
		return 1;
	}
	buf_dispose(&c.list);
	if (rc < 0)
		return gitcli_fatal_git("checkout failed");
	rc = branch_ref ? git_repository_set_head(repo, branch_ref)
			: git_repository_set_head_detached(repo, git_commit_id(commit));
	return rc < 0 ? gitcli_fatal_git("cannot update HEAD") : 0;
}

int gcmd_checkout(int argc, char **argv)
{
	bool quiet = false, force = false, detach = false;
	const char *target = NULL;
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_commit *commit = NULL;
	git_reference *head = NULL, *branch = NULL;
	git_oid old_head;
	bool was_detached, had_head;
	char line[512];
	int rc = 128;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			quiet = true;
		else if (!strcmp(a, "-f") || !strcmp(a, "--force"))
			force = true;
		else if (!strcmp(a, "--detach"))
			detach = true;
		else if (!strcmp(a, "--no-recurse-submodules") || !strcmp(a, "--progress") ||
			 !strcmp(a, "--no-progress"))
			continue;
		else if (a[0] == '-' || target)
			return gitcli_unsupported("checkout %s", a);
		else
			target = a;
	}
	if (gitcli_libgit2() < 0)
		return 128;
	if (gconf_repo_open(&repo, NULL) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (git_repository_is_bare(repo)) {
		rc = gitcli_fatal("this operation must be run in a work tree");
		goto out;
	}
	if (!target)
		target = "HEAD";
	if (!detach && strcmp(target, "HEAD")) {
		char ref[1024];

		snprintf(ref, sizeof(ref), "refs/heads/%s", target);
		if (git_reference_lookup(&branch, repo, ref) < 0)
			branch = NULL;
	}
	if (git_revparse_single(&obj, repo, target) < 0 ||
	    git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		fprintf(stderr, "error: pathspec '%s' did not match any file(s) known to git\n", target);
		rc = 1;
		goto out;
	}
	was_detached = git_repository_head_detached(repo) == 1;
	had_head = git_repository_head(&head, repo) == 0;
	if (had_head)
		git_oid_cpy(&old_head, git_reference_target(head) ? git_reference_target(head) : git_commit_id(commit));
	if ((rc = gcheckout_commit(repo, commit, branch ? git_reference_name(branch) : NULL, force)) != 0)
		goto out;
	if (!quiet) {
		if (had_head && was_detached && (branch || !git_oid_equal(&old_head, git_commit_id(commit)))) {
			gobj_oneline(repo, &old_head, line, sizeof(line));
			fprintf(stderr, "Previous HEAD position was %s\n", line);
		}
		if (branch) {
			fprintf(stderr, "Switched to branch '%s'\n", target);
		} else {
			if (!(had_head && was_detached) && advice_on(repo))
				fprintf(stderr, "Note: switching to '%s'.\n%s", target, detached_advice);
			gobj_oneline(repo, git_commit_id(commit), line, sizeof(line));
			fprintf(stderr, "HEAD is now at %s\n", line);
		}
	}
	rc = 0;
out:
	git_reference_free(head);
	git_reference_free(branch);
	git_commit_free(commit);
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}
