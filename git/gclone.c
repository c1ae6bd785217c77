#include "gclone.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "fsutil.h"
#include "gcheckout.h"
#include "gconf.h"
#include "gfetch.h"
#include "gitcli.h"
#include "ginit.h"

struct clone_ctx {
	const struct gclone_opts *o;
	char *head_branch;  /* the remote HEAD's branch (short name), or NULL */
	char *want_branch;  /* the branch to set up (short name), or NULL */
	bool want_is_tag;
	char refspec[1100];
	const char *specs[1];
};

static bool empty_or_missing(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return errno == ENOENT;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/* git's rule: no scheme and no scp-like "host:path" means a local path */
static bool is_local_path(const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (strstr(url, "://"))
		return false;
	return !colon || (slash && slash < colon);
}

static bool remote_has(const git_remote_head **heads, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, name))
			return true;
	return false;
}

static int on_connected(git_remote *remote, struct gfetch_opts *fo, void *data)
{
	struct clone_ctx *c = data;
	const struct gclone_opts *o = c->o;
	const git_remote_head **heads = NULL;
	git_buf def = GIT_BUF_INIT;
	size_t n = 0;
	char name[1024];

	if (git_remote_ls(&heads, &n, remote) < 0)
		return gitcli_fatal_git("cannot list the remote's references");
	if (git_remote_default_branch(&def, remote) == 0 && !strncmp(def.ptr, "refs/heads/", 11))
		c->head_branch = strdup(def.ptr + 11);
	git_buf_dispose(&def);
	if (o->revision) {
		/* --revision: only the history of that revision, stored nowhere */
		snprintf(c->refspec, sizeof(c->refspec), "%s", o->revision);
		c->specs[0] = c->refspec;
		fo->refspecs = c->specs;
		fo->nrefspecs = 1;
		fo->tags = GFETCH_TAGS_NONE;
		return 0;
	}
	if (o->branch) {
		snprintf(name, sizeof(name), "refs/heads/%s", o->branch);
		if (remote_has(heads, n, name)) {
			c->want_branch = strdup(o->branch);
		} else {
			snprintf(name, sizeof(name), "refs/tags/%s", o->branch);
			if (!remote_has(heads, n, name)) {
				fprintf(stderr, "warning: Could not find remote branch %s to clone.\n", o->branch);
				return gitcli_fatal("Remote branch %s not found in upstream origin", o->branch);
			}
			c->want_is_tag = true;
		}
	} else if (c->head_branch) {
		c->want_branch = strdup(c->head_branch);
	}
	if (o->single_branch == 1 || (o->single_branch < 0 && o->depth > 0)) {
		if (c->want_is_tag)
			snprintf(c->refspec, sizeof(c->refspec), "+refs/tags/%s:refs/tags/%s", o->branch, o->branch);
		else if (c->want_branch)
			snprintf(c->refspec, sizeof(c->refspec), "+refs/heads/%s:refs/remotes/origin/%s",
				 c->want_branch, c->want_branch);
		if (c->refspec[0]) {
			git_config *cfg = NULL;

			/* git stores the narrowed refspec as the remote's configuration */
			if (git_repository_config(&cfg, git_remote_owner(remote)) == 0) {
				git_config_set_multivar(cfg, "remote.origin.fetch", ".*", c->refspec);
				git_config_free(cfg);
			}
			c->specs[0] = c->refspec;
			fo->refspecs = c->specs;
			fo->nrefspecs = 1;
		}
	}
	return 0;
}

static int set_up_head(git_repository *repo, struct clone_ctx *c, git_commit **out)
{
	const struct gclone_opts *o = c->o;
	git_object *obj = NULL;
	git_reference *ref = NULL;
	git_config *cfg = NULL;
	char name[1100], key[1100];
	int rc = 0;

	*out = NULL;
	if (c->head_branch && !o->revision) {
		snprintf(name, sizeof(name), "refs/remotes/origin/%s", c->head_branch);
		if (git_reference_lookup(&ref, repo, name) == 0) {
			git_reference_free(ref);
			ref = NULL;
			git_reference_symbolic_create(&ref, repo, "refs/remotes/origin/HEAD", name, 1, "clone");
			git_reference_free(ref);
			ref = NULL;
		}
	}
	if (o->revision) {
		if (git_revparse_single(&obj, repo, "FETCH_HEAD") < 0)
			return gitcli_fatal("Remote revision %s not found in upstream origin", o->revision);
	} else if (c->want_is_tag) {
		snprintf(name, sizeof(name), "refs/tags/%s", o->branch);
		if (git_revparse_single(&obj, repo, name) < 0)
			return gitcli_fatal_git("cannot read the tag");
	} else if (c->want_branch) {
		snprintf(name, sizeof(name), "refs/remotes/origin/%s", c->want_branch);
		if (git_revparse_single(&obj, repo, name) < 0)
			return gitcli_fatal_git("cannot read the fetched branch");
	} else {
		fprintf(stderr, "warning: You appear to have cloned an empty repository.\n");
		return 0;
	}
	if (git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(obj);
		return gitcli_fatal_git("the cloned revision is not a commit");
	}
	git_object_free(obj);
	if (c->want_branch && !o->revision) {
		snprintf(name, sizeof(name), "refs/heads/%s", c->want_branch);
		if (git_reference_create(&ref, repo, name, git_commit_id(*out), 1, "clone") < 0 ||
		    git_repository_set_head(repo, name) < 0 || git_repository_config(&cfg, repo) < 0) {
			rc = gitcli_fatal_git("cannot create the branch");
		} else {
			snprintf(key, sizeof(key), "branch.%s.remote", c->want_branch);
			git_config_set_string(cfg, key, "origin");
			snprintf(key, sizeof(key), "branch.%s.merge", c->want_branch);
			git_config_set_string(cfg, key, name);
		}
		git_reference_free(ref);
		git_config_free(cfg);
	} else if (git_repository_set_head_detached(repo, git_commit_id(*out)) < 0) {
		rc = gitcli_fatal_git("cannot update HEAD");
	}
	return rc;
}

int gclone_run(const struct gclone_opts *o)
{
	struct clone_ctx c = { .o = o };
	struct ginit_opts io = { .dir = o->dir, .template_dir = o->template_dir, .quiet = true,
				 .git_dir = o->git_dir };
	struct gfetch_opts fo = { .remote = "origin", .depth = o->depth, .verbosity = -1,
				  .progress = o->progress, .connected = on_connected, .data = &c };
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_commit *commit = NULL;
	bool created = !gfs_exists(o->dir);
	int rc;

	if (!empty_or_missing(o->dir))
		return gitcli_fatal("destination path '%s' already exists and is not an empty directory.", o->dir);
	if (!o->quiet)
		fprintf(stderr, "Cloning into '%s'...\n", o->dir);
	if (o->depth && is_local_path(o->url)) {
		/* a plain path is a local clone: git copies everything */
		fprintf(stderr, "warning: --depth is ignored in local clones; use file:// instead.\n");
		fo.depth = 0;
	}
	fo.tags = o->no_tags ? GFETCH_TAGS_NONE : GFETCH_TAGS_DEFAULT;
	if ((rc = ginit_repo(&io, NULL)) != 0)
		goto fail;
	if (gconf_repo_open(&repo, o->dir) < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto fail;
	}
	if (git_remote_create(&remote, repo, "origin", o->url) < 0) {
		rc = gitcli_fatal_git("cannot set up the remote");
		goto fail;
	}
	git_remote_free(remote);
	if (o->no_tags) {
		git_config *cfg = NULL;

		if (git_repository_config(&cfg, repo) == 0) {
			git_config_set_string(cfg, "remote.origin.tagopt", "--no-tags");
			git_config_free(cfg);
		}
	}
	if ((rc = gfetch_run(repo, &fo)) != 0)
		goto fail;
	if ((rc = set_up_head(repo, &c, &commit)) != 0)
		goto fail;
	if (commit && !o->no_checkout && (rc = gcheckout_commit(repo, commit, NULL, true)) != 0)
		goto fail;
	if (commit && !o->no_checkout && c.want_branch && !o->revision) {
		char name[1100];

		/* gcheckout_commit detached HEAD; put it back on the branch */
		snprintf(name, sizeof(name), "refs/heads/%s", c.want_branch);
		git_repository_set_head(repo, name);
	}
	git_commit_free(commit);
	git_repository_free(repo);
	free(c.head_branch);
	free(c.want_branch);
	return 0;
fail:
	git_commit_free(commit);
	git_repository_free(repo);
	free(c.head_branch);
	free(c.want_branch);
	/* git removes what it created when a clone fails (an existing directory stays) */
	gfs_remove_tree(o->dir);
	if (!created)
		gfs_mkdir_p(o->dir);
	if (o->git_dir)
		gfs_remove_tree(o->git_dir);
	return rc;
}
