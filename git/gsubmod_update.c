/* git submodule sync and update, one submodule at a time (recursing inside). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "fsutil.h"
#include "gcheckout.h"
#include "gclone.h"
#include "gconf.h"
#include "gfetch.h"
#include "gitcli.h"
#include "ginit.h"
#include "gsubmod.h"

#define GSUB_CLONE_FAILED 1000

static char *cfg_get(git_repository *repo, const char *name, const char *var)
{
	git_config *cfg = NULL;
	git_buf b = GIT_BUF_INIT;
	struct buf k = BUF_INIT;
	char *s = NULL;

	buf_printf(&k, "submodule.%s.%s", name, var);
	if (!k.failed && git_repository_config_snapshot(&cfg, repo) == 0 &&
	    git_config_get_string_buf(&b, cfg, k.ptr) == 0)
		s = strdup(b.ptr);
	git_buf_dispose(&b);
	buf_dispose(&k);
	git_config_free(cfg);
	return s;
}

static int set_in(git_repository *repo, const char *key, const char *value)
{
	char path[PATH_MAX];
	git_config *cfg = NULL;
	int rc;

	snprintf(path, sizeof(path), "%sconfig", git_repository_commondir(repo));
	if (git_config_open_ondisk(&cfg, path) < 0)
		return -1;
	rc = git_config_set_string(cfg, key, value);
	git_config_free(cfg);
	return rc;
}

static void sub_display(struct buf *b, const char *display, const struct gsub *s)
{
	buf_clear(b);
	buf_printf(b, "%s%s/", display, s->path);
}

int gsub_sync(git_repository *repo, const struct gsub *s, const char *display, bool recursive, bool quiet)
{
	char *have = cfg_get(repo, s->name, "url"), *url = NULL;
	git_repository *sub = NULL;
	struct buf k = BUF_INIT;
	int rc = 0;

	if (!have)
		return 0; /* not initialised: nothing to sync */
	free(have);
	if (!s->url)
		return 0;
	if (gsub_resolve_url(repo, s->url, &url) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (!quiet)
		printf("Synchronizing submodule url for '%s%s'\n", display, s->path);
	buf_printf(&k, "submodule.%s.url", s->name);
	if (set_in(repo, k.ptr, url) < 0) {
		rc = gitcli_fatal("failed to register url for submodule path '%s%s'", display, s->path);
		goto out;
	}
	if (gsub_open(repo, s, &sub) == 0) {
		git_reference *head = NULL;
		git_config *cfg = NULL;
		char *remote = NULL;

		/* the submodule's default remote: its branch's remote, else origin */
		if (git_repository_head(&head, sub) == 0 && git_reference_is_branch(head) &&
		    git_repository_config_snapshot(&cfg, sub) == 0) {
			git_buf b = GIT_BUF_INIT;

			buf_clear(&k);
			buf_printf(&k, "branch.%s.remote", git_reference_shorthand(head));
			if (git_config_get_string_buf(&b, cfg, k.ptr) == 0)
				remote = strdup(b.ptr);
			git_buf_dispose(&b);
		}
		buf_clear(&k);
		buf_printf(&k, "remote.%s.url", remote ? remote : "origin");
		if (set_in(sub, k.ptr, url) < 0)
			rc = gitcli_fatal("failed to update remote for submodule '%s%s'", display, s->path);
		free(remote);
		git_config_free(cfg);
		git_reference_free(head);
		if (!rc && recursive) {
			struct gsub_list l;
			struct buf d = BUF_INIT;

			sub_display(&d, display, s);
			if (gsub_list(sub, NULL, 0, &l) == 0)
				for (size_t i = 0; i < l.n && !rc; i++)
					rc = gsub_sync(sub, &l.v[i], d.ptr, true, quiet);
			gsub_list_dispose(&l);
			buf_dispose(&d);
		}
		git_repository_free(sub);
	}
out:
	buf_dispose(&k);
	free(url);
	return rc;
}

/* git's is_tip_reachable: the commit is there and some ref reaches it
 * (`git rev-list -n 1 <id> --not --all` prints nothing). */
static bool has_commit(git_repository *repo, const git_oid *id)
{
	git_revwalk *w = NULL;
	git_commit *c = NULL;
	git_oid next;
	bool reachable;

	if (git_commit_lookup(&c, repo, id) < 0)
		return false;
	git_commit_free(c);
	if (git_revwalk_new(&w, repo) < 0 || git_revwalk_push(w, id) < 0) {
		git_revwalk_free(w);
		return false;
	}
	git_revwalk_hide_glob(w, "refs/*");
	git_revwalk_hide_head(w);
	reachable = git_revwalk_next(&next, w) != 0;
	git_revwalk_free(w);
	return reachable;
}

static int fetch_in(git_repository *sub, const struct gsub_update_opts *o, const char *what)
{
	struct gfetch_opts fo = { .remote = "origin", .depth = o->depth, .verbosity = o->quiet ? -1 : 0 };
	const char *specs[1] = { what };

	if (what) {
		fo.refspecs = specs;
		fo.nrefspecs = 1;
	}
	return gfetch_run(sub, &fo);
}

/* Clones the submodule, or reconnects its worktree to the kept git dir. */
static int populate(git_repository *repo, const struct gsub *s, const struct gsub_update_opts *o,
		    const char *url)
{
	char gitdir[PATH_MAX], dir[PATH_MAX], head[PATH_MAX + 8];

	snprintf(gitdir, sizeof(gitdir), "%smodules/%s", git_repository_commondir(repo), s->name);
	snprintf(dir, sizeof(dir), "%s%s", git_repository_workdir(repo), s->path);
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	snprintf(head, sizeof(head), "%s/HEAD", gitdir);
	if (gfs_exists(head)) {
		if (gfs_mkdir_p(dir) < 0)
			return gitcli_fatal("%s", err_last()->msg);
		return ginit_link_worktree(dir, gitdir);
	}
	{
		struct gclone_opts co = { .url = url, .dir = dir, .git_dir = gitdir, .depth = o->depth,
					  .single_branch = -1, .no_checkout = true, .quiet = o->quiet };
		int rc;

		if (gfs_mkdir_p(gitdir) < 0 || rmdir(gitdir) < 0)
			return gitcli_fatal("could not create directory '%s'", gitdir);
		if ((rc = gclone_run(&co)) != 0) {
			fprintf(stderr, "fatal: clone of '%s' into submodule path '%s' failed\n", url, dir);
			return GSUB_CLONE_FAILED;
		}
	}
	return 0;
}

static int remote_target(git_repository *sub, const struct gsub *s, git_repository *repo, git_oid *out)
{
	char *branch = cfg_get(repo, s->name, "branch");
	struct buf name = BUF_INIT;
	int rc;

	if (!branch && s->branch)
		branch = strdup(s->branch);
	if (branch && !strcmp(branch, ".")) {
		git_reference *h = NULL;

		free(branch);
		branch = git_repository_head(&h, repo) == 0 ? strdup(git_reference_shorthand(h)) : NULL;
		git_reference_free(h);
	}
	if (branch)
		buf_printf(&name, "refs/remotes/origin/%s", branch);
	else
		buf_puts(&name, "refs/remotes/origin/HEAD");
	rc = git_reference_name_to_id(out, sub, name.ptr);
	if (rc < 0)
		rc = gitcli_fatal("Unable to find current %s revision in submodule path '%s'",
				  branch ? name.ptr + 13 : "origin/HEAD", s->path);
	free(branch);
	buf_dispose(&name);
	return rc;
}

/* Phase one, for every submodule before any checkout (git clones them all
 * first): init when asked, clone or reconnect what is not populated. */
static int prepare(git_repository *repo, const struct gsub *s, const char *display,
		   const struct gsub_update_opts *o, bool *cloned)
{
	char *url = NULL, *mode = NULL;
	git_repository *sub = NULL;
	int rc = 0;

	*cloned = false;
	if (o->init && (rc = gsub_init(repo, s, display, o->quiet)) != 0)
		return rc;
	if (!(url = cfg_get(repo, s->name, "url")))
		return 0; /* not initialised: git skips it */
	mode = cfg_get(repo, s->name, "update");
	if (!(mode && !strcmp(mode, "none")) && gsub_open(repo, s, &sub) != 0) {
		if ((rc = populate(repo, s, o, url)) == 0)
			*cloned = true;
	}
	git_repository_free(sub);
	free(mode);
	free(url);
	return rc;
}

static int update_one(git_repository *repo, const struct gsub *s, const char *display,
		      const struct gsub_update_opts *o, bool just_cloned)
{
	char *url = NULL, *mode = NULL, hex[GIT_OID_SHA1_HEXSIZE + 1];
	git_repository *sub = NULL;
	git_commit *commit = NULL;
	git_oid target = s->oid, cur;
	struct buf d = BUF_INIT;
	int rc = 0;

	if (!(url = cfg_get(repo, s->name, "url")))
		return 0;
	mode = cfg_get(repo, s->name, "update");
	if (mode && !strcmp(mode, "none")) {
		if (!o->quiet)
			printf("Skipping submodule '%s%s'\n", display, s->path);
		goto out;
	}
	if (mode && strcmp(mode, "checkout")) {
		rc = gitcli_unsupported("submodule update with submodule.%s.update=%s", s->name, mode);
		goto out;
	}
	if (gsub_open(repo, s, &sub) != 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	if (o->remote) {
		if (!o->no_fetch && (rc = fetch_in(sub, o, NULL)) != 0)
			goto out;
		if ((rc = remote_target(sub, s, repo, &target)) != 0)
			goto out;
	}
	if (!just_cloned && !o->force && git_reference_name_to_id(&cur, sub, "HEAD") == 0 &&
	    git_oid_equal(&cur, &target))
		goto recurse;
	git_oid_tostr(hex, sizeof(hex), &target);
	/* git: a plain fetch when no ref reaches the commit, then a fetch of the
	 * commit itself; only that fetch failing is fatal */
	if (!has_commit(sub, &target) && !o->no_fetch) {
		if (fetch_in(sub, o, NULL) != 0) {
			rc = gitcli_fatal("Unable to fetch in submodule path '%s%s'", display, s->path);
			goto out;
		}
		if (!has_commit(sub, &target) && fetch_in(sub, o, hex) != 0) {
			rc = gitcli_fatal("Fetched in submodule path '%s%s', but it did not contain %s. "
					  "Direct fetching of that commit failed.", display, s->path, hex);
			goto out;
		}
	}
	if (git_commit_lookup(&commit, sub, &target) < 0) {
		rc = gitcli_fatal("Unable to checkout '%s' in submodule path '%s%s'", hex, display, s->path);
		goto out;
	}
	if ((rc = gcheckout_commit(sub, commit, NULL, o->force || just_cloned)) != 0) {
		fprintf(stderr, "fatal: Unable to checkout '%s' in submodule path '%s%s'\n", hex, display, s->path);
		rc = 128;
		goto out;
	}
	if (!o->quiet)
		printf("Submodule path '%s%s': checked out '%s'\n", display, s->path, hex);
recurse:
	if (o->recursive) {
		struct gsub_list l;

		sub_display(&d, display, s);
		if (gsub_list(sub, NULL, 0, &l) == 0)
			rc = gsub_update(sub, &l, d.ptr, o);
		gsub_list_dispose(&l);
	}
out:
	buf_dispose(&d);
	git_commit_free(commit);
	git_repository_free(sub);
	free(mode);
	free(url);
	return rc;
}

int gsub_update(git_repository *repo, const struct gsub_list *l, const char *display,
		const struct gsub_update_opts *o)
{
	bool *cloned = calloc(l->n + 1, sizeof(bool)), *failed = calloc(l->n + 1, sizeof(bool));
	int rc = 0;

	if (!cloned || !failed) {
		free(cloned);
		free(failed);
		return gitcli_fatal("out of memory");
	}
	/* git retries each failed clone once, after the others */
	for (size_t i = 0; i < l->n && !rc; i++) {
		rc = prepare(repo, &l->v[i], display, o, &cloned[i]);
		if (rc == GSUB_CLONE_FAILED) {
			fprintf(stderr, "Failed to clone '%s'. Retry scheduled\n", l->v[i].path);
			failed[i] = true;
			rc = 0;
		}
	}
	for (size_t i = 0; i < l->n && !rc; i++) {
		if (!failed[i])
			continue;
		rc = prepare(repo, &l->v[i], display, o, &cloned[i]);
		if (rc == GSUB_CLONE_FAILED) {
			fprintf(stderr, "Failed to clone '%s' a second time, aborting\n", l->v[i].path);
			rc = 1;
		}
	}
	free(failed);
	for (size_t i = 0; i < l->n && !rc; i++)
		rc = update_one(repo, &l->v[i], display, o, cloned[i]);
	free(cloned);
	return rc;
}
