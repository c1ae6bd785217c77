/* `git ls-files -o -z` with libgit2 and a directory walk, as git's dir.c does it
 * without exclude rules: ignored files are listed, a path named .git never is,
 * untracked directories are entered (only files and symlinks are listed), a nested
 * repository that the index does not know is listed as "dir/", and names are
 * relative to the current directory, which limits the walk. */
#include <dirent.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "select.h"

struct lister {
	git_index *index;
	struct glob_list *out;
	struct buf path; /* index path of the current entry (repository-relative) */
	size_t prefix;   /* length of the current directory's part of path */
};

static bool in_index(git_index *index, const char *path)
{
	size_t pos;

	return git_index_find(&pos, index, path) == 0;
}

static bool repo_dir_ok(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(p, sizeof(p), "%s/HEAD", dir) >= sizeof(p) || stat(p, &st) < 0)
		return false;
	if ((size_t)snprintf(p, sizeof(p), "%s/objects", dir) >= sizeof(p) || stat(p, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return false;
	if ((size_t)snprintf(p, sizeof(p), "%s/refs", dir) >= sizeof(p))
		return false;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* git's is_nonbare_repository_dir: dir/.git is a repository or a gitfile to one. */
static bool nested_repo(const char *dir)
{
	char p[PATH_MAX], line[PATH_MAX], target[PATH_MAX * 2];
	struct stat st;
	FILE *f;
	size_t n;

	if ((size_t)snprintf(p, sizeof(p), "%s/.git", dir) >= sizeof(p) || stat(p, &st) < 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return repo_dir_ok(p);
	if (!(f = fopen(p, "r")))
		return true; /* READ_GITFILE_ERR_OPEN_FAILED counts as a repository */
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "gitdir: ", 8))
		return false;
	if ((size_t)snprintf(target, sizeof(target), "%s%s%s", line[8] == '/' ? "" : dir,
			     line[8] == '/' ? "" : "/", line + 8) >= sizeof(target))
		return false;
	return repo_dir_ok(target);
}

static int list_dir(struct lister *l, const char *fs_dir);

static int entry(struct lister *l, const char *fs_dir, const char *name, unsigned char type)
{
	size_t mark = l->path.len;
	struct stat st;
	char full[PATH_MAX];
	int rc = 0;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", fs_dir, name) >= sizeof(full))
		return 0;
	if (type == DT_UNKNOWN) {
		if (lstat(full, &st) < 0)
			return 0;
		type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG :
		       S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
	}
	if (l->path.len)
		buf_putc(&l->path, '/');
	buf_puts(&l->path, name);
	if (type == DT_REG || type == DT_LNK) {
		if (!in_index(l->index, l->path.ptr))
			rc = glob_list_add(l->out, l->path.ptr + l->prefix);
	} else if (type == DT_DIR) {
		const git_index_entry *e = git_index_get_bypath(l->index, l->path.ptr, 0);
		size_t pos;

		if (e && e->mode == GIT_FILEMODE_COMMIT)
			goto done;
		buf_putc(&l->path, '/');
		if (git_index_find_prefix(&pos, l->index, l->path.ptr) != 0 && nested_repo(full)) {
			rc = glob_list_add(l->out, l->path.ptr + l->prefix);
			goto done;
		}
		l->path.len--;
		l->path.ptr[l->path.len] = '\0';
		rc = list_dir(l, full);
	}
done:
	l->path.len = mark;
	if (l->path.ptr)
		l->path.ptr[mark] = '\0';
	return l->path.failed ? CIH_ENOMEM : rc;
}

static int list_dir(struct lister *l, const char *fs_dir)
{
	DIR *d = opendir(fs_dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, ".git"))
			continue;
		rc = entry(l, fs_dir, de->d_name, de->d_type);
	}
	closedir(d);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What git prints and exits with when it cannot list (its stderr goes through). */
static int fatal_128(struct sel_untracked_error *why, const char *text, const char *more)
{
	snprintf(why->stderr_text, sizeof(why->stderr_text), "fatal: %s%s\n", text, more);
	return err_set(CIH_EGIT, "exit status 128");
}

int sel_untracked_files(struct glob_list *out, struct sel_untracked_error *why)
{
	struct lister l = { NULL, out, BUF_INIT, 0 };
	git_repository *repo = NULL;
	char cwd[PATH_MAX], top[PATH_MAX];
	const char *wd;
	size_t tl;
	int rc, grc;

	why->stderr_text[0] = '\0';
	if (git_libgit2_init() < 0)
		return err_set(CIH_EGIT, "libgit2 init failed");
	grc = git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (grc == GIT_ENOTFOUND) {
		rc = fatal_128(why, "not a git repository (or any of the parent directories): .git", "");
		goto out;
	}
	if (grc < 0) {
		const git_error *e = git_error_last();
		rc = fatal_128(why, e && e->message ? e->message : "cannot open the repository", "");
		goto out;
	}
	wd = git_repository_workdir(repo);
	if (!wd || !getcwd(cwd, sizeof(cwd)) || !realpath(wd, top)) {
		rc = fatal_128(why, "this operation must be run in a work tree", "");
		goto out;
	}
	tl = strlen(top);
	if (strcmp(top, "/") && (strncmp(cwd, top, tl) || (cwd[tl] && cwd[tl] != '/'))) {
		rc = fatal_128(why, "this operation must be run in a work tree", "");
		goto out;
	}
	if (!strcmp(top, "/"))
		tl = 0;
	/* inside .git itself */
	if (cwd[tl] == '/' && !strncmp(cwd + tl + 1, ".git", 4) && (!cwd[tl + 5] || cwd[tl + 5] == '/')) {
		rc = fatal_128(why, "this operation must be run in a work tree", "");
		goto out;
	}
	if (git_repository_index(&l.index, repo) < 0) {
		rc = fatal_128(why, git_error_last()->message, "");
		goto out;
	}
	if (cwd[tl]) {
		buf_puts(&l.path, cwd + tl + 1);
		l.prefix = l.path.len + 1;
	}
	if ((rc = list_dir(&l, ".")) == 0 && out->n)
		qsort(out->v, out->n, sizeof(char *), by_name);
out:
	buf_dispose(&l.path);
	git_index_free(l.index);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
