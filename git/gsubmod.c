#include "gsubmod.h"

#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "fsutil.h"
#include "gcheckout.h"
#include "gclone.h"
#include "gconf.h"
#include "gfetch.h"
#include "gitcli.h"
#include "ginit.h"

/* Writes go to the repository's own config file, never to an included one. */
static int local_config(git_repository *repo, git_config **out)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%sconfig", git_repository_commondir(repo));
	return git_config_open_ondisk(out, path);
}

static char *cfg_string(git_config *cfg, const char *key)
{
	git_buf b = GIT_BUF_INIT;
	char *s = NULL;

	if (cfg && git_config_get_string_buf(&b, cfg, key) == 0)
		s = strdup(b.ptr);
	git_buf_dispose(&b);
	return s;
}

static char *sub_key(const char *name, const char *var)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "submodule.%s.%s", name, var);
	return b.failed ? NULL : b.ptr;
}

static char *gitmodules_get(git_config *gm, const char *name, const char *var)
{
	char *k = sub_key(name, var), *v = k ? cfg_string(gm, k) : NULL;

	free(k);
	return v;
}

/* pathspec matching for submodule paths: exact, a leading directory, a glob, or
 * an exclusion (":(exclude)x", ":!x", ":^x") */
static bool spec_hit(const char *spec, const char *path)
{
	size_t n = strlen(spec);

	while (n > 1 && spec[n - 1] == '/')
		n--;
	if (!strncmp(path, spec, n) && (path[n] == '\0' || path[n] == '/'))
		return true;
	return strpbrk(spec, "*?[") && fnmatch(spec, path, 0) == 0;
}

static const char *excluded_spec(const char *s)
{
	if (!strncmp(s, ":(exclude)", 10))
		return s + 10;
	if (!strncmp(s, ":!", 2) || !strncmp(s, ":^", 2))
		return s + 2;
	return NULL;
}

static bool path_selected(const char *path, const char *const *paths, size_t n)
{
	bool any_include = false, hit = false;

	for (size_t i = 0; i < n; i++) {
		const char *ex = excluded_spec(paths[i]);

		if (ex) {
			if (spec_hit(ex, path))
				return false;
			continue;
		}
		any_include = true;
		if (spec_hit(paths[i], path))
			hit = true;
	}
	return hit || !any_include;
}

static git_config *open_gitmodules(git_repository *repo)
{
	char path[PATH_MAX];
	git_config *gm = NULL;
	struct stat st;

	if (!git_repository_workdir(repo))
		return NULL;
	snprintf(path, sizeof(path), "%s.gitmodules", git_repository_workdir(repo));
	if (stat(path, &st) < 0 || git_config_open_ondisk(&gm, path) < 0)
		return NULL;
	return gm;
}

static char *name_for_path(git_config *gm, const char *path)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	char *name = NULL;

	if (gm && git_config_iterator_glob_new(&it, gm, "^submodule\\..*\\.path$") == 0) {
		while (!name && git_config_next(&e, it) == 0) {
			if (strcmp(e->value, path))
				continue;
			name = strndup(e->name + 10, strlen(e->name) - 10 - 5);
		}
		git_config_iterator_free(it);
	}
	return name ? name : strdup(path);
}

int gsub_list(git_repository *repo, const char *const *paths, size_t npaths, struct gsub_list *out)
{
	git_index *index = NULL;
	git_config *gm;
	size_t n;

	out->v = NULL;
	out->n = 0;
	if (git_repository_index(&index, repo) < 0)
		return err_set(CIH_EGIT, "%s", git_error_last()->message);
	gm = open_gitmodules(repo);
	n = git_index_entrycount(index);
	for (size_t i = 0; i < n; i++) {
		const git_index_entry *e = git_index_get_byindex(index, i);
		struct gsub *s;

		if (e->mode != GIT_FILEMODE_COMMIT || git_index_entry_stage(e) != 0 ||
		    !path_selected(e->path, paths, npaths))
			continue;
		s = realloc(out->v, (out->n + 1) * sizeof(*s));
		if (!s)
			break;
		out->v = s;
		s = &out->v[out->n++];
		memset(s, 0, sizeof(*s));
		s->path = strdup(e->path);
		s->name = name_for_path(gm, e->path);
		git_oid_cpy(&s->oid, &e->id);
		if (s->name) {
			s->url = gitmodules_get(gm, s->name, "url");
			s->branch = gitmodules_get(gm, s->name, "branch");
			s->update = gitmodules_get(gm, s->name, "update");
		}
	}
	git_config_free(gm);
	git_index_free(index);
	for (size_t i = 0; i < out->n; i++)
		if (!out->v[i].path || !out->v[i].name)
			return err_set(CIH_ENOMEM, "out of memory");
	return 0;
}

void gsub_list_dispose(struct gsub_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].path);
		free(l->v[i].url);
		free(l->v[i].branch);
		free(l->v[i].update);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static char *default_remote_url(git_repository *repo)
{
	git_config *cfg = NULL;
	git_reference *head = NULL;
	char *remote = NULL, *url = NULL, *k;

	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return NULL;
	if (git_repository_head(&head, repo) == 0 && git_reference_is_branch(head)) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "branch.%s.remote", git_reference_shorthand(head));
		remote = cfg_string(cfg, b.ptr);
		buf_dispose(&b);
	}
	{
		struct buf b = BUF_INIT;

		buf_printf(&b, "remote.%s.url", remote ? remote : "origin");
		k = b.ptr;
	}
	url = k ? cfg_string(cfg, k) : NULL;
	free(k);
	free(remote);
	git_reference_free(head);
	git_config_free(cfg);
	return url;
}

int gsub_resolve_url(git_repository *repo, const char *url, char **out)
{
	char *base;
	int rc;

	if (strncmp(url, "./", 2) && strncmp(url, "../", 3)) {
		*out = strdup(url);
		return *out ? 0 : err_set(CIH_ENOMEM, "out of memory");
	}
	if (!(base = default_remote_url(repo))) {
		const char *wd = git_repository_workdir(repo);

		base = strdup(wd ? wd : git_repository_path(repo));
	}
	if (!base)
		return err_set(CIH_ENOMEM, "out of memory");
	rc = gsub_resolve_relative(base, url, out);
	free(base);
	return rc;
}

static bool is_active(git_config *cfg, const struct gsub *s)
{
	char *k = sub_key(s->name, "active"), *url;
	int v = 0;
	bool active;

	if (k && git_config_get_bool(&v, cfg, k) == 0) {
		free(k);
		return v;
	}
	free(k);
	k = sub_key(s->name, "url");
	url = k ? cfg_string(cfg, k) : NULL;
	active = url != NULL;
	free(url);
	free(k);
	return active;
}

int gsub_init(git_repository *repo, const struct gsub *s, const char *display, bool quiet)
{
	git_config *cfg = NULL, *local = NULL;
	char *k = NULL, *have = NULL, *url = NULL;
	int rc = 0;

	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return gitcli_fatal_git("cannot read the configuration");
	k = sub_key(s->name, "url");
	have = k ? cfg_string(cfg, k) : NULL;
	if (have)
		goto out;
	if (!s->url) {
		rc = gitcli_fatal("No url found for submodule path '%s%s' in .gitmodules", display, s->path);
		goto out;
	}
	if (gsub_resolve_url(repo, s->url, &url) < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	if (local_config(repo, &local) < 0) {
		rc = gitcli_fatal_git("cannot open the configuration");
		goto out;
	}
	if (!is_active(cfg, s)) {
		char *ak = sub_key(s->name, "active");

		if (!ak || git_config_set_bool(local, ak, true) < 0)
			rc = gitcli_fatal_git("Failed to register submodule");
		free(ak);
	}
	if (!rc && git_config_set_string(local, k, url) < 0)
		rc = gitcli_fatal("Failed to register url for submodule path '%s%s'", display, s->path);
	if (!rc && s->update) {
		char *uk = sub_key(s->name, "update"), *cur = uk ? cfg_string(cfg, uk) : NULL;

		if (!cur && s->update[0] != '!')
			git_config_set_string(local, uk, s->update);
		free(cur);
		free(uk);
	}
	if (!rc && !quiet)
		fprintf(stderr, "Submodule '%s' (%s) registered for path '%s%s'\n", s->name, url, display, s->path);
out:
	free(url);
	free(have);
	free(k);
	git_config_free(local);
	git_config_free(cfg);
	return rc;
}

int gsub_open(git_repository *super, const struct gsub *s, git_repository **out)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s%s/.git", git_repository_workdir(super), s->path);
	if (!gfs_exists(path))
		return CIH_ENOTFOUND;
	snprintf(path, sizeof(path), "%s%s", git_repository_workdir(super), s->path);
	return gconf_repo_open(out, path);
}
