#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/error.h"

bool gfs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

bool gfs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int gfs_mkdir_p(const char *path)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(p))
		return err_set(CIH_EUSAGE, "bad directory name '%s'", path);
	memcpy(p, path, n + 1);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) < 0 && errno != EEXIST)
				return err_os("cannot mkdir %s", p);
			if (!c)
				break;
			*s = c;
		}
	}
	if (!gfs_is_dir(path))
		return err_errno(CIH_EOS, ENOTDIR, "cannot mkdir %s", path);
	return 0;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out, rc = 0;
	ssize_t n;

	if (in < 0)
		return err_os("cannot copy template '%s'", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (out < 0) {
		close(in);
		return errno == EEXIST ? 0 : err_os("cannot copy '%s' to '%s'", src, dst);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = err_os("cannot copy '%s' to '%s'", src, dst);
			break;
		}
	if (n < 0 && !rc)
		rc = err_os("cannot read '%s'", src);
	close(in);
	if (close(out) < 0 && !rc)
		rc = err_os("cannot write '%s'", dst);
	return rc;
}

int gfs_copy_missing(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : err_os("cannot open template directory '%s'", src);
	if (mkdir(dst, 0777) < 0 && errno != EEXIST) {
		closedir(d);
		return err_os("cannot mkdir %s", dst);
	}
	while (!rc && (e = readdir(d))) {
		char s[PATH_MAX], t[PATH_MAX], link[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, e->d_name) >= sizeof(s) ||
		    (size_t)snprintf(t, sizeof(t), "%s/%s", dst, e->d_name) >= sizeof(t)) {
			rc = err_set(CIH_ETOOBIG, "path too long under %s", src);
			break;
		}
		if (lstat(s, &st) < 0) {
			rc = err_os("cannot stat template '%s'", s);
		} else if (S_ISDIR(st.st_mode)) {
			rc = gfs_copy_missing(s, t);
		} else if (gfs_exists(t)) {
			continue;
		} else if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(s, link, sizeof(link) - 1)) < 0)
				rc = err_os("cannot read link '%s'", s);
			else if (link[n] = '\0', symlink(link, t) < 0)
				rc = err_os("cannot create symlink '%s'", t);
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(s, t, st.st_mode);
		}
	}
	closedir(d);
	return rc;
}

int gfs_remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_os("cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 && errno != ENOENT ? err_os("cannot remove '%s'", path) : 0;
	if (!(d = opendir(path))) {
		/* like rm -rf, an unreadable directory gets the owner's rwx first */
		if (chmod(path, (st.st_mode & 07777) | 0700) < 0 || !(d = opendir(path)))
			return err_os("cannot open '%s'", path);
	}
	while (!rc && (e = readdir(d))) {
		char p[PATH_MAX];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, e->d_name) >= sizeof(p))
			rc = err_set(CIH_ETOOBIG, "path too long under %s", path);
		else
			rc = gfs_remove_tree(p);
	}
	closedir(d);
	if (!rc && rmdir(path) < 0 && errno != ENOENT)
		rc = err_os("cannot remove '%s'", path);
	return rc;
}

int gfs_write_atomic(const char *path, const void *data, size_t len, int mode)
{
	char lock[PATH_MAX];
	int fd;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock))
		return err_set(CIH_ETOOBIG, "path too long: %s", path);
	fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return err_os("Unable to create '%s'", lock);
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		int rc = err_os("cannot write '%s'", lock);

		close(fd);
		unlink(lock);
		return rc;
	}
	if (close(fd) < 0 || rename(lock, path) < 0) {
		int rc = err_os("cannot write '%s'", path);

		unlink(lock);
		return rc;
	}
	return 0;
}
