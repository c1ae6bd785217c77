/* git clean [-d] [-f [-f]] [-x | -X] [-q] [-n] [-e <pattern>]... [--] [<path>...]
 * Walks the worktree as git's dir.c does for clean: untracked files go; an
 * untracked directory goes whole (-d) unless something inside must stay, then it
 * is walked; nested repositories only with -ff; ignored files only with -x/-X. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "fsutil.h"
#include "gconf.h"
#include "gitcli.h"

struct clean {
	git_repository *repo;
	git_index *index;
	int force;
	bool dirs, ignored_too, only_ignored, quiet, dry_run;
	char **excl;
	size_t nexcl;
	char **out; /* paths to remove, directories with a trailing '/' */
	size_t nout, cap;
	bool oom;
};

static int add_out(struct clean *c, const char *path)
{
	if (c->nout == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **v = realloc(c->out, cap * sizeof(char *));

		if (!v)
			return c->oom = true, -1;
		c->out = v;
		c->cap = cap;
	}
	if (!(c->out[c->nout] = strdup(path)))
		return c->oom = true, -1;
	c->nout++;
	return 0;
}

/* A -e pattern, with gitignore's basic rules: no slash matches the base name at
 * any depth, a leading slash anchors, a trailing slash wants a directory. */
static bool excluded_by_option(struct clean *c, const char *path, bool is_dir)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	for (size_t i = 0; i < c->nexcl; i++) {
		char pat[4096];
		size_t n;
		bool dir_only = false, negate = false;
		const char *p = c->excl[i];

		if (*p == '!')
			negate = true, p++;
		snprintf(pat, sizeof(pat), "%s", p);
		n = strlen(pat);
		if (n > 1 && pat[n - 1] == '/')
			pat[--n] = '\0', dir_only = true;
		if (dir_only && !is_dir)
			continue;
		if (strchr(pat, '/') ? fnmatch(pat[0] == '/' ? pat + 1 : pat, path, FNM_PATHNAME) == 0
				     : fnmatch(pat, base, 0) == 0)
			return !negate;
	}
	return false;
}

static bool std_ignored(struct clean *c, const char *path, bool is_dir)
{
	char p[4200];
	int ign = 0;

	snprintf(p, sizeof(p), "%s%s", path, is_dir ? "/" : "");
	return git_ignore_path_is_ignored(&ign, c->repo, p) == 0 && ign;
}

/* "ignored" in clean's sense: the -e patterns always, the standard rules unless -x */
static bool is_ignored(struct clean *c, const char *path, bool is_dir)
{
	if (excluded_by_option(c, path, is_dir))
		return true;
	return !c->ignored_too && std_ignored(c, path, is_dir);
}

static bool tracked_file(struct clean *c, const char *path)
{
	return git_index_get_bypath(c->index, path, 0) != NULL;
}

static bool tracked_under(struct clean *c, const char *dir)
{
	char prefix[4200];
	size_t at = 0, n = strlen(dir);
	const git_index_entry *e;

	if ((size_t)snprintf(prefix, sizeof(prefix), "%s/", dir) >= sizeof(prefix))
		return false;
	if (git_index_find_prefix(&at, c->index, prefix) < 0)
		return false;
	e = git_index_get_byindex(c->index, at);
	return e && !strncmp(e->path, dir, n) && e->path[n] == '/';
}

static bool nested_repo(const char *dir)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/.git", dir);
	return gfs_exists(p);
}

static int walk(struct clean *c, const char *dir, bool in_untracked, bool *keeps_something);

/* Decides for an untracked directory: remove it whole, or walk it. */
static int untracked_dir(struct clean *c, const char *path, bool *keep)
{
	bool inner_keep = false;
	size_t mark = c->nout;
	char slash[4200];

	snprintf(slash, sizeof(slash), "%s/", path);
	if (nested_repo(path)) {
		if (c->force >= 2 && c->dirs && !(c->only_ignored && !std_ignored(c, path, true)))
			return add_out(c, slash);
		*keep = true;
		return 0;
	}
	if (c->only_ignored) {
		if (!c->dirs)
			return *keep = true, 0;
		if (std_ignored(c, path, true) && !excluded_by_option(c, path, true))
			return add_out(c, slash);
		return walk(c, path, true, keep);
	}
	if (is_ignored(c, path, true))
		return *keep = true, 0;
	if (!c->dirs)
		return *keep = true, 0;
	if (walk(c, path, true, &inner_keep) < 0)
		return -1;
	if (inner_keep) {
		*keep = true;
		return 0;
	}
	/* nothing inside must stay: the directory goes as one entry */
	while (c->nout > mark)
		free(c->out[--c->nout]);
	return add_out(c, slash);
}

static int walk(struct clean *c, const char *dir, bool in_untracked, bool *keeps_something)
{
	DIR *d = opendir(*dir ? dir : ".");
	struct dirent *e;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : (gitcli_warning("could not open directory '%s/': %s", dir, strerror(errno)), 0);
	while (rc == 0 && (e = readdir(d))) {
		char path[4200];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".git"))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", e->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (!in_untracked && tracked_file(c, path)) {
			*keeps_something = true; /* a file, or a submodule's directory */
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!in_untracked && tracked_under(c, path)) {
				bool k = false;

				rc = walk(c, path, false, &k);
				*keeps_something = true;
			} else {
				rc = untracked_dir(c, path, keeps_something);
			}
			continue;
		}
		if (c->only_ignored ? (std_ignored(c, path, false) && !excluded_by_option(c, path, false))
				    : !is_ignored(c, path, false))
			rc = add_out(c, path);
		else
			*keeps_something = true;
	}
	closedir(d);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int remove_all(struct clean *c)
{
	int failed = 0;

	qsort(c->out, c->nout, sizeof(char *), by_path);
	for (size_t i = 0; i < c->nout; i++) {
		const char *p = c->out[i];
		size_t n = strlen(p);

		if (!c->dry_run) {
			int rc;

			if (p[n - 1] == '/') {
				char dir[4200];

				snprintf(dir, sizeof(dir), "%.*s", (int)(n - 1), p);
				rc = gfs_remove_tree(dir);
			} else {
				rc = unlink(p) < 0 && errno != ENOENT ? err_os("failed to remove %s", p) : 0;
			}
			if (rc < 0) {
				gitcli_warning("failed to remove %s: %s", p, strerror(errno));
				failed = 1;
				continue;
			}
		}
		if (!c->quiet || c->dry_run)
			printf("%s %s\n", c->dry_run ? "Would remove" : "Removing", p);
	}
	return failed;
}

static int parse(struct clean *c, int argc, char **argv, int *first_path)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "--force")) {
			c->force++;
		} else if (!strcmp(a, "--quiet")) {
			c->quiet = true;
		} else if (!strcmp(a, "--dry-run")) {
			c->dry_run = true;
		} else if (!strncmp(a, "--exclude=", 10) || !strcmp(a, "--exclude")) {
			const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v)
				return gitcli_usage("git clean [-d] [-f] [-i] [-n] [-q] [-e <pattern>] [-x | -X] [--] <pathspec>...");
			c->excl[c->nexcl++] = (char *)v;
		} else if (a[1] == '-') {
			return gitcli_unsupported("clean %s", a);
		} else {
			for (const char *f = a + 1; *f; f++) {
				switch (*f) {
				case 'f': c->force++; break;
				case 'd': c->dirs = true; break;
				case 'x': c->ignored_too = true; break;
				case 'X': c->only_ignored = true; break;
				case 'q': c->quiet = true; break;
				case 'n': c->dry_run = true; break;
				case 'e':
					if (f[1])
						c->excl[c->nexcl++] = (char *)f + 1;
					else if (i + 1 < argc)
						c->excl[c->nexcl++] = argv[++i];
					else
						return gitcli_usage("git clean [-d] [-f] [-i] [-n] [-q] [-e <pattern>] [-x | -X] [--] <pathspec>...");
					f += strlen(f) - 1;
					break;
				default:
					return gitcli_unsupported("clean -%c", *f);
				}
			}
		}
	}
	*first_path = i;
	return 0;
}

int gcmd_clean(int argc, char **argv)
{
	struct clean c = { 0 };
	char **excl = calloc((size_t)argc + 1, sizeof(char *));
	char cwd[4096];
	int rc, first = 1, require = 1;
	bool keep = false;
	git_config *cfg = NULL;

	if (!excl)
		return gitcli_fatal("out of memory");
	c.excl = excl;
	if ((rc = parse(&c, argc, argv, &first)) != 0)
		goto done;
	if (c.ignored_too && c.only_ignored) {
		rc = gitcli_fatal("options '-x' and '-X' cannot be used together");
		goto done;
	}
	if (gitcli_libgit2() < 0) {
		rc = 128;
		goto done;
	}
	if (gconf_repo_open(&c.repo, NULL) < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto done;
	}
	if (git_repository_config_snapshot(&cfg, c.repo) == 0) {
		if (git_config_get_bool(&require, cfg, "clean.requireforce") < 0)
			require = 1;
		git_config_free(cfg);
	}
	if (require && !c.force && !c.dry_run) {
		rc = gitcli_fatal("clean.requireForce defaults to true and neither -i, -n, nor -f given; refusing to clean");
		goto done;
	}
	if (git_repository_is_bare(c.repo) || !getcwd(cwd, sizeof(cwd)) ||
	    chdir(git_repository_workdir(c.repo)) < 0) {
		rc = gitcli_fatal("this operation must be run in a work tree");
		goto done;
	}
	if (git_repository_index(&c.index, c.repo) < 0) {
		rc = gitcli_fatal_git("index file corrupt");
		goto done;
	}
	if (first < argc) {
		rc = gitcli_unsupported("clean <pathspec>");
		goto done;
	}
	rc = walk(&c, "", false, &keep);
	if (rc < 0 || c.oom) {
		rc = gitcli_fatal("out of memory");
		goto done;
	}
	if (chdir(git_repository_workdir(c.repo)) == 0)
		rc = remove_all(&c);
	if (chdir(cwd) < 0)
		rc = 1;
done:
	for (size_t i = 0; i < c.nout; i++)
		free(c.out[i]);
	free(c.out);
	free(excl);
	git_index_free(c.index);
	git_repository_free(c.repo);
	return rc;
}
