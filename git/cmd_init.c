/* git init [-q] [--bare] [--template <dir>] [--object-format sha1] [-b <name>] [<dir>] */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/errors.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "fsutil.h"
#include "gconf.h"
#include "gitcli.h"
#include "ginit.h"

static const char init_usage[] =
	"git init [-q | --quiet] [--bare] [--template=<template-directory>]\n"
	"                [--separate-git-dir <git-dir>] [--object-format=<format>]\n"
	"                [-b <branch-name> | --initial-branch=<branch-name>]\n"
	"                [--shared[=<permissions>]] [<directory>]";

static const char branch_hint[] =
	"hint: Using 'master' as the name for the initial branch. This default branch name\n"
	"hint: is subject to change. To configure the initial branch name to use in all\n"
	"hint: of your new repositories, which will suppress this warning, call:\n"
	"hint: \n"
	"hint: \tgit config --global init.defaultBranch <name>\n"
	"hint: \n"
	"hint: Names commonly chosen instead of 'master' are 'main', 'trunk' and\n"
	"hint: 'development'. The just-created branch can be renamed via this command:\n"
	"hint: \n"
	"hint: \tgit branch -m <name>\n";

/* git's probe: does chmod +x on the config file stick? */
static bool probe_filemode(const char *config)
{
	struct stat a, b;
	bool ok;

	if (lstat(config, &a) < 0 || chmod(config, a.st_mode ^ S_IXUSR) < 0)
		return false;
	ok = lstat(config, &b) == 0 && (a.st_mode ^ b.st_mode) == S_IXUSR;
	chmod(config, a.st_mode & 07777);
	return ok;
}

static char *config_string(git_config *cfg, const char *name)
{
	git_buf v = GIT_BUF_INIT;
	char *s = NULL;

	if (git_config_get_string_buf(&v, cfg, name) == 0)
		s = strdup(v.ptr);
	git_buf_dispose(&v);
	return s;
}

static int template_dir(git_config *cfg, const char *opt, char **out)
{
	const char *env = getenv("GIT_TEMPLATE_DIR");
	git_buf v = GIT_BUF_INIT;

	if (opt)
		*out = strdup(opt);
	else if (env)
		*out = strdup(env);
	else if (git_config_get_path(&v, cfg, "init.templatedir") == 0)
		*out = strdup(v.ptr);
	else
		*out = strdup("/usr/share/git-core/templates");
	git_buf_dispose(&v);
	return *out ? 0 : err_set(CIH_ENOMEM, "out of memory");
}

static int set_core(const char *config, bool bare, bool reinit)
{
	git_config *cfg = NULL;
	int32_t version = 0;
	int rc = -1;

	if (git_config_open_ondisk(&cfg, config) < 0)
		return -1;
	if (reinit && git_config_get_int32(&version, cfg, "core.repositoryformatversion") == 0 &&
	    version > 1) {
		git_config_free(cfg);
		return gitcli_error("unknown repository format version: %d", version), -2;
	}
	if (git_config_set_int32(cfg, "core.repositoryformatversion", reinit ? version : 0) < 0 ||
	    git_config_set_bool(cfg, "core.filemode", probe_filemode(config)) < 0 ||
	    git_config_set_bool(cfg, "core.bare", bare) < 0 ||
	    (!bare && git_config_set_bool(cfg, "core.logallrefupdates", true) < 0))
		goto out;
	rc = 0;
out:
	git_config_free(cfg);
	return rc;
}

int ginit_relpath(const char *from, const char *to, char *out, size_t n)
{
	char a[PATH_MAX], b[PATH_MAX];
	size_t common = 0, i;
	struct buf r = BUF_INIT;

	if (!realpath(from, a) || !realpath(to, b))
		return err_os("cannot resolve '%s'", !realpath(from, a) ? from : to);
	/* the longest common prefix ending at a path component */
	for (i = 0; a[i] && a[i] == b[i]; i++)
		if (a[i] == '/')
			common = i;
	if (!a[i] && (b[i] == '/' || !b[i]))
		common = i;
	else if (!b[i] && a[i] == '/')
		common = i;
	for (const char *p = a + common; *p; p++)
		if (*p == '/')
			buf_puts(&r, "../");
	buf_puts(&r, b[common] == '/' ? b + common + 1 : b + common);
	if (r.len > 1 && r.ptr[r.len - 1] == '/')
		r.ptr[--r.len] = '\0';
	if (r.failed || r.len + 1 > n) {
		buf_dispose(&r);
		return err_set(CIH_ETOOBIG, "path too long");
	}
	memcpy(out, r.len ? r.ptr : ".", r.len ? r.len + 1 : 2);
	buf_dispose(&r);
	return 0;
}

/* <dir>/.git names the separate git dir; core.worktree names dir back */
int ginit_link_worktree(const char *dir, const char *gitdir)
{
	char rel[PATH_MAX], line[PATH_MAX + 16], path[PATH_MAX + 8];
	git_config *cfg = NULL;
	int rc;

	if (ginit_relpath(dir, gitdir, rel, sizeof(rel)) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	snprintf(line, sizeof(line), "gitdir: %s\n", rel);
	snprintf(path, sizeof(path), "%s/.git", dir);
	if (gfs_write_atomic(path, line, strlen(line), 0666) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (ginit_relpath(gitdir, dir, rel, sizeof(rel)) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	snprintf(path, sizeof(path), "%s/config", gitdir);
	if (git_config_open_ondisk(&cfg, path) < 0)
		return gitcli_fatal_git("cannot open the config");
	rc = git_config_set_string(cfg, "core.worktree", rel);
	git_config_free(cfg);
	return rc < 0 ? gitcli_fatal_git("cannot write core.worktree") : 0;
}

int ginit_repo(const struct ginit_opts *o, bool *reinit_out)
{
	char gitdir[PATH_MAX], path[PATH_MAX + 32], real[PATH_MAX];
	static const char *const dirs[] = { "refs", "refs/heads", "refs/tags", "objects",
					    "objects/info", "objects/pack" };
	git_config *cfg = NULL;
	char *tpl = NULL, *branch = NULL;
	bool reinit;
	int rc = 128;

	if (gitcli_libgit2() < 0)
		return 128;
	if (gfs_mkdir_p(o->dir) < 0)
		return gitcli_fatal("cannot mkdir %s: %s", o->dir, strerror(errno));
	if (o->git_dir ? (size_t)snprintf(gitdir, sizeof(gitdir), "%s", o->git_dir) >= sizeof(gitdir)
	    : (size_t)snprintf(gitdir, sizeof(gitdir), "%s%s", o->dir, o->bare ? "" : "/.git") >= sizeof(gitdir))
		return gitcli_fatal("path too long: %s", o->dir);
	snprintf(path, sizeof(path), "%s/HEAD", gitdir);
	reinit = gfs_exists(path);
	if (gfs_mkdir_p(gitdir) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (gconf_open(&cfg, NULL) < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	if (template_dir(cfg, o->template_dir, &tpl) < 0 ||
	    (*tpl && gfs_copy_missing(tpl, gitdir) < 0)) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", gitdir, dirs[i]);
		if (mkdir(path, 0777) < 0 && errno != EEXIST) {
			rc = gitcli_fatal("cannot mkdir %s: %s", path, strerror(errno));
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/config", gitdir);
	/* the template's config (init.defaultBranch...) counts from here on */
	if (git_config_add_file_ondisk(cfg, path, GIT_CONFIG_LEVEL_LOCAL, NULL, 0) < 0 && errno != ENOENT)
		git_error_clear();
	if (!reinit) {
		bool hint = false;

		if (o->initial_branch)
			branch = strdup(o->initial_branch);
		else if (!(branch = config_string(cfg, "init.defaultbranch")))
			branch = strdup("master"), hint = true;
		if (!branch) {
			rc = gitcli_fatal("out of memory");
			goto out;
		}
		{
			char ref[300], head[PATH_MAX + 8];
			int valid = 0;

			snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
			if (git_reference_name_is_valid(&valid, ref) < 0 || !valid) {
				rc = gitcli_fatal("invalid initial branch name: '%s'", branch);
				goto out;
			}
			if (hint && !o->quiet)
				fputs(branch_hint, stderr);
			snprintf(head, sizeof(head), "ref: %s\n", ref);
			snprintf(path, sizeof(path), "%s/HEAD", gitdir);
			if (gfs_write_atomic(path, head, strlen(head), 0666) < 0) {
				rc = gitcli_fatal("%s", err_last()->msg);
				goto out;
			}
		}
	} else if (o->initial_branch && !o->quiet) {
		gitcli_warning("re-init: ignored --initial-branch=%s", o->initial_branch);
	}
	snprintf(path, sizeof(path), "%s/config", gitdir);
	if ((rc = set_core(path, o->bare, reinit)) < 0) {
		rc = rc == -2 ? 128 : gitcli_fatal_git("cannot write the repository config");
		goto out;
	}
	if (o->git_dir && (rc = ginit_link_worktree(o->dir, gitdir)) != 0)
		goto out;
	if (!realpath(gitdir, real))
		snprintf(real, sizeof(real), "%s", gitdir);
	if (!o->quiet)
		printf("%s %s Git repository in %s%s\n", reinit ? "Reinitialized" : "Initialized",
		       reinit ? "existing" : "empty", real, strcmp(real, "/") ? "/" : "");
	if (reinit_out)
		*reinit_out = reinit;
	rc = 0;
out:
	free(tpl);
	free(branch);
	git_config_free(cfg);
	return rc;
}

int gcmd_init(int argc, char **argv)
{
	struct ginit_opts o = { 0 };
	const char *dir = NULL;
	bool opts_done = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-') {
			if (dir)
				return gitcli_usage(init_usage);
			dir = a;
		} else if (!strcmp(a, "--")) {
			opts_done = true;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o.quiet = true;
		} else if (!strcmp(a, "--bare")) {
			o.bare = true;
		} else if (!strcmp(a, "--template") || !strcmp(a, "-b") || !strcmp(a, "--initial-branch") ||
			   !strcmp(a, "--object-format")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "error: option `%s' requires a value\n", a + (a[1] == '-' ? 2 : 1));
				return gitcli_usage(init_usage);
			}
			if (!strcmp(a, "--template"))
				o.template_dir = argv[++i];
			else if (!strcmp(a, "--object-format"))
				o.object_format = argv[++i];
			else
				o.initial_branch = argv[++i];
		} else if (!strncmp(a, "--template=", 11)) {
			o.template_dir = a + 11;
		} else if (!strncmp(a, "--initial-branch=", 17)) {
			o.initial_branch = a + 17;
		} else if (!strncmp(a, "--object-format=", 16)) {
			o.object_format = a + 16;
		} else {
			return gitcli_unsupported("init %s", a);
		}
	}
	if (o.object_format && strcmp(o.object_format, "sha1")) {
		if (strcmp(o.object_format, "sha256"))
			return gitcli_fatal("unknown hash algorithm '%s'", o.object_format);
		return gitcli_unsupported("init --object-format=%s", o.object_format);
	}
	o.dir = dir ? dir : ".";
	return ginit_repo(&o, NULL);
}
