/* The local object store, laid out as git-lfs lays it out: objects/aa/bb/<oid>,
 * incomplete/<oid>.part (resumable downloads), tmp/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/fdio.h"
#include "fsutil.h"
#include "gconf.h"
#include "lfs_internal.h"

static char *join(const char *a, const char *b)
{
	struct buf p = BUF_INIT;
	size_t n = strlen(a);

	while (n > 1 && a[n - 1] == '/')
		n--;
	buf_put(&p, a, n);
	buf_printf(&p, "/%s", b);
	if (p.failed) {
		err_set(CIH_ENOMEM, "out of memory");
		return NULL;
	}
	return p.ptr;
}

static bool is_gitdir(const char *dir)
{
	char *h = join(dir, "HEAD"), *o = join(dir, "objects");
	bool yes = h && o && gfs_exists(h) && gfs_is_dir(o);

	free(h);
	free(o);
	return yes;
}

/* A submodule's git dir lives in <super>/.git/modules/<name>: the outermost
 * superproject's store serves every submodule of the job. */
static char *outer_gitdir(const char *gitdir)
{
	for (const char *p = strstr(gitdir, "/modules/"); p; p = strstr(p + 1, "/modules/")) {
		char *prefix = strndup(gitdir, (size_t)(p - gitdir));

		if (prefix && *prefix && is_gitdir(prefix))
			return prefix;
		free(prefix);
	}
	return NULL;
}

int lfs_store_open(struct lfs_store *s, git_repository *repo, git_config *cfg)
{
	const char *common = git_repository_commondir(repo);
	git_buf v = { 0 };
	char *outer;

	memset(s, 0, sizeof(*s));
	if (git_config_get_string_buf(&v, cfg, "lfs.storage") == 0 && v.size) {
		s->root = v.ptr[0] == '/' ? strdup(v.ptr) : join(common, v.ptr);
	} else {
		s->root = join(common, "lfs");
	}
	git_buf_dispose(&v);
	if (!s->root)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((outer = outer_gitdir(common))) {
		s->shared = join(outer, "lfs");
		free(outer);
	}
	return 0;
}

void lfs_store_dispose(struct lfs_store *s)
{
	free(s->root);
	free(s->shared);
	memset(s, 0, sizeof(*s));
}

char *lfs_store_object_path(const char *root, const char *oid)
{
	struct buf p = BUF_INIT;

	buf_printf(&p, "%s/objects/%.2s/%.2s/%s", root, oid, oid + 2, oid);
	if (p.failed) {
		err_set(CIH_ENOMEM, "out of memory");
		return NULL;
	}
	return p.ptr;
}

static bool has_size(const char *path, int64_t size)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size;
}

static int mkparent(const char *path)
{
	char *dir = strdup(path), *slash;
	int rc;

	if (!dir)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	rc = gfs_mkdir_p(dir);
	free(dir);
	return rc;
}

int lfs_copy_fd(int in, int out)
{
	char *buf = NULL;
	ssize_t n;

	/* in the kernel when it can; EXDEV/ENOSYS/EOPNOTSUPP/EINVAL: by hand */
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL && errno != EINTR)
		return err_os("copy");
	if (!(buf = malloc(1 << 16)))
		return err_set(CIH_ENOMEM, "out of memory");
	while ((n = read(in, buf, 1 << 16)) > 0)
		if (fdio_write_all(out, buf, (size_t)n) < 0)
			break;
	free(buf);
	return n == 0 ? 0 : err_os("copy");
}

/* dst appears complete or not at all: a hard link, else a copy through a temp. */
static int link_or_copy(const char *src, const char *dst)
{
	struct buf tmp = BUF_INIT;
	int in = -1, out = -1, rc = 0;
	struct stat st;

	if (mkparent(dst) < 0)
		return CIH_EOS;
	if (link(src, dst) == 0 || errno == EEXIST)
		return 0;
	buf_printf(&tmp, "%s.tmp%ld", dst, (long)getpid());
	if (tmp.failed)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &st) < 0 ||
	    (out = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		rc = err_os("cannot copy %s", src);
	} else {
		if (lfs_copy_fd(in, out) < 0)
			rc = err_prefix("cannot copy %s", src);
		if (rc == 0 && rename(tmp.ptr, dst) < 0)
			rc = err_os("cannot rename %s", tmp.ptr);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0)
		unlink(tmp.ptr);
	buf_dispose(&tmp);
	return rc;
}

bool lfs_store_has(const struct lfs_store *s, const char *oid, int64_t size)
{
	char *mine = lfs_store_object_path(s->root, oid), *theirs;
	bool yes = has_size(mine, size);

	if (!yes && mine && s->shared && (theirs = lfs_store_object_path(s->shared, oid))) {
		if (has_size(theirs, size) && link_or_copy(theirs, mine) == 0)
			yes = has_size(mine, size);
		free(theirs);
	}
	free(mine);
	err_clear();
	return yes;
}

char *lfs_store_part_path(const struct lfs_store *s, const char *oid)
{
	struct buf p = BUF_INIT;

	buf_printf(&p, "%s/incomplete", s->root);
	if (p.failed || gfs_mkdir_p(p.ptr) < 0) {
		if (p.failed)
			err_set(CIH_ENOMEM, "out of memory");
		buf_dispose(&p);
		return NULL;
	}
	buf_printf(&p, "/%s.part", oid);
	if (p.failed) {
		err_set(CIH_ENOMEM, "out of memory");
		return NULL;
	}
	return p.ptr;
}

int lfs_store_commit(const struct lfs_store *s, const char *part, const char *oid)
{
	char *dst = lfs_store_object_path(s->root, oid), *shared;
	int rc = 0;

	if (!dst)
		return CIH_ENOMEM;
	if (mkparent(dst) < 0 || rename(part, dst) < 0)
		rc = err_os("cannot store LFS object %s", oid);
	if (rc == 0 && s->shared && (shared = lfs_store_object_path(s->shared, oid))) {
		(void)link_or_copy(dst, shared); /* sharing is an optimisation only */
		err_clear();
		free(shared);
	}
	free(dst);
	return rc;
}

int lfs_store_tmpfile(const struct lfs_store *s, char **tmp)
{
	struct buf p = BUF_INIT;
	int fd;

	*tmp = NULL;
	buf_printf(&p, "%s/tmp", s->root);
	if (p.failed || gfs_mkdir_p(p.ptr) < 0) {
		if (p.failed)
			err_set(CIH_ENOMEM, "out of memory");
		buf_dispose(&p);
		return CIH_EOS;
	}
	buf_puts(&p, "/obj-XXXXXX");
	if (p.failed)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((fd = mkostemp(p.ptr, O_CLOEXEC)) < 0 || fchmod(fd, 0644) < 0) { /* objects are 0644, as git-lfs's */
		int rc = err_os("cannot create a temporary file in %s/tmp", s->root);

		if (fd >= 0) {
			close(fd);
			unlink(p.ptr);
		}
		buf_dispose(&p);
		return rc;
	}
	*tmp = p.ptr;
	return fd;
}

int lfs_repo_version_check(git_repository *repo)
{
	char *path = join(git_repository_commondir(repo), "config");
	git_config *local = NULL;
	git_buf v = { 0 };
	int rc = 0;

	if (!path)
		return CIH_ENOMEM;
	if (git_config_open_ondisk(&local, path) == 0 &&
	    git_config_get_string_buf(&v, local, "lfs.repositoryformatversion") == 0) {
		if (strcmp(v.ptr, "0"))
			rc = err_set(CIH_EUSAGE, "Unknown repository format version: %s", v.ptr);
	} else if (gconf_set_in_file(path, "lfs.repositoryformatversion", "0", NULL, 0) != 0) {
		rc = err_set(CIH_EOS, "cannot write %s", path);
	}
	git_buf_dispose(&v);
	git_config_free(local);
	git_error_clear();
	free(path);
	return rc;
}
