/* Pointer files in the worktree replaced by their content (temp + rename, the
 * index entry's mode), then the index entries' stat data refreshed so that git
 * sees a clean tree, as `git update-index --refresh` after git-lfs's checkout. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "fsutil.h"
#include "lfs_checkout.h"

int lfs_co_init(struct lfs_co *co, git_repository *repo, const struct lfs_store *s)
{
	memset(co, 0, sizeof(*co));
	co->repo = repo;
	co->s = s;
	co->workdir = git_repository_workdir(repo);
	co->umask = umask(0); /* read once: umask() is process-wide and workers call us */
	umask(co->umask);
	pthread_mutex_init(&co->mu, NULL);
	return 0;
}

void lfs_co_dispose(struct lfs_co *co)
{
	for (size_t i = 0; i < co->n; i++)
		free(co->paths[i]);
	free(co->paths);
	pthread_mutex_destroy(&co->mu);
}

/* git refuses to write through a symlinked leading directory; so do we */
static bool symlink_on_the_way(const char *full, size_t base_len)
{
	char buf[4096];
	size_t n = strlen(full);
	struct stat st;

	if (n >= sizeof(buf))
		return true;
	memcpy(buf, full, n + 1);
	for (char *p = buf + base_len; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode))
			return true;
		*p = '/';
	}
	return false;
}

/* src's bytes (NULL: none) to dst through a temp file in dst's directory. */
static int copy_into(const char *src, const char *dst, unsigned mode, mode_t um)
{
	struct buf tmp = BUF_INIT;
	const char *slash = strrchr(dst, '/');
	int in = -1, out = -1, rc = 0;

	buf_printf(&tmp, "%.*s/.lfs-XXXXXX", (int)(slash - dst), dst);
	if (tmp.failed)
		return err_set(CIH_ENOMEM, "out of memory");
	if (src && (in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		rc = err_os("cannot read LFS object %s", src);
	else if ((out = mkostemp(tmp.ptr, O_CLOEXEC)) < 0)
		rc = err_os("cannot write %s", dst);
	if (rc == 0 && fchmod(out, (mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666) & ~um) < 0)
		rc = err_os("cannot chmod %s", tmp.ptr);
	if (rc == 0 && in >= 0 && lfs_copy_fd(in, out) < 0)
		rc = err_prefix("cannot write %s", dst);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = err_os("cannot write %s", dst);
	if (rc == 0 && rename(tmp.ptr, dst) < 0)
		rc = err_os("cannot replace %s", dst);
	if (rc < 0 && out >= 0)
		unlink(tmp.ptr);
	buf_dispose(&tmp);
	return rc;
}

int lfs_co_file(struct lfs_co *co, const struct lfs_entry *e)
{
	struct buf full = BUF_INIT;
	char head[LFS_POINTER_MAX];
	struct lfs_pointer cur;
	struct stat st;
	char *obj = NULL;
	int rc = 0, fd;
	ssize_t n;

	if (!co->workdir)
		return 0;
	buf_printf(&full, "%s%s", co->workdir, e->path);
	if (full.failed)
		return err_set(CIH_ENOMEM, "out of memory");
	if (symlink_on_the_way(full.ptr, strlen(co->workdir))) {
		fprintf(stderr, "warning: %s: a leading directory is a symbolic link, not checked out\n", e->path);
		goto out;
	}
	if (lstat(full.ptr, &st) == 0) {
		/* only a file that still is this very pointer is ours to replace */
		if (!S_ISREG(st.st_mode) || st.st_size >= LFS_POINTER_MAX)
			goto out;
		if ((fd = open(full.ptr, O_RDONLY | O_CLOEXEC)) < 0)
			goto out;
		n = read(fd, head, sizeof(head));
		close(fd);
		if (n < 0 || n != st.st_size || !lfs_pointer_parse(head, (size_t)n, &cur) || strcmp(cur.oid, e->p.oid))
			goto out;
	} else if (errno != ENOENT) {
		goto out;
	} else {
		char *slash = strrchr(full.ptr, '/');

		*slash = '\0';
		rc = gfs_mkdir_p(full.ptr);
		*slash = '/';
		if (rc < 0)
			goto out;
	}
	if (e->p.next > 0) {
		fprintf(stderr, "warning: %s: pointer extensions are not supported, left as a pointer\n", e->path);
		goto out;
	}
	/* the empty object is never stored: its content is nothing */
	if (e->p.size > 0 && !(obj = lfs_store_object_path(co->s->root, e->p.oid))) {
		rc = CIH_ENOMEM;
		goto out;
	}
	if ((rc = copy_into(obj, full.ptr, e->mode, co->umask)) == 0) {
		char *p = strdup(e->path), **v;

		pthread_mutex_lock(&co->mu);
		if (p && (v = realloc(co->paths, (co->n + 1) * sizeof(*v)))) {
			co->paths = v;
			v[co->n++] = p;
			p = NULL;
		}
		pthread_mutex_unlock(&co->mu);
		free(p);
	}
out:
	if (rc < 0) {
		pthread_mutex_lock(&co->mu);
		co->failed++;
		pthread_mutex_unlock(&co->mu);
		fprintf(stderr, "Error checking out %s: %s\n", e->path, err_last()->msg);
	}
	free(obj);
	buf_dispose(&full);
	return rc;
}

int lfs_co_finish(struct lfs_co *co)
{
	git_index *idx = NULL;
	int rc = 0;

	if (co->n == 0)
		return 0;
	if (git_repository_index(&idx, co->repo) < 0 || git_index_read(idx, 0) < 0)
		return err_set(CIH_EGIT, "cannot read the index: %s", git_error_last()->message);
	for (size_t i = 0; i < co->n; i++) {
		const git_index_entry *e = git_index_get_bypath(idx, co->paths[i], 0);
		struct buf full = BUF_INIT;
		git_index_entry ne;
		struct stat st;

		buf_printf(&full, "%s%s", co->workdir, co->paths[i]);
		if (!e || full.failed || lstat(full.ptr, &st) < 0) {
			buf_dispose(&full);
			continue;
		}
		buf_dispose(&full);
		ne = *e;
		ne.ctime.seconds = (int32_t)st.st_ctim.tv_sec;
		ne.ctime.nanoseconds = (uint32_t)st.st_ctim.tv_nsec;
		ne.mtime.seconds = (int32_t)st.st_mtim.tv_sec;
		ne.mtime.nanoseconds = (uint32_t)st.st_mtim.tv_nsec;
		ne.dev = (uint32_t)st.st_dev;
		ne.ino = (uint32_t)st.st_ino;
		ne.uid = st.st_uid;
		ne.gid = st.st_gid;
		ne.file_size = (uint32_t)st.st_size;
		/* just checked: libgit2 must not re-hash it as racy when it writes the index */
		ne.flags_extended |= GIT_INDEX_ENTRY_UPTODATE;
		if (git_index_add(idx, &ne) < 0) {
			rc = err_set(CIH_EGIT, "cannot update the index: %s", git_error_last()->message);
			break;
		}
	}
	if (rc == 0 && git_index_write(idx) < 0)
		rc = err_set(CIH_EGIT, "cannot write the index: %s", git_error_last()->message);
	git_index_free(idx);
	return rc;
}
