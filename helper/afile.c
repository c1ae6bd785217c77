#include "afile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

int afile_create(struct afile *f, const char *path)
{
	size_t n = strlen(path);

	*f = (struct afile){ -1, malloc(n + 10), strdup(path) };
	if (!f->tmp || !f->path) {
		afile_abort(f);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	memcpy(f->tmp, path, n);
	memcpy(f->tmp + n, ".tmpXXXXXX", 11);
	if ((f->fd = mkostemp(f->tmp, O_CLOEXEC)) < 0) {
		int rc = err_os("creating temp file for %s", path);
		free(f->tmp);
		f->tmp = NULL;
		afile_abort(f);
		return rc;
	}
	return 0;
}

int afile_write(struct afile *f, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(f->fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return err_os("writing %s", f->tmp);
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int afile_commit(struct afile *f, mode_t mode)
{
	int rc = 0;

	if (fchmod(f->fd, mode) < 0 || fsync(f->fd) < 0)
		rc = err_os("writing %s", f->tmp);
	if (close(f->fd) < 0 && rc == 0)
		rc = err_os("writing %s", f->tmp);
	f->fd = -1;
	if (rc == 0 && rename(f->tmp, f->path) < 0)
		rc = err_os("renaming %s", f->tmp);
	if (rc < 0) {
		afile_abort(f);
		return rc;
	}
	free(f->tmp);
	free(f->path);
	*f = (struct afile){ -1, NULL, NULL };
	return 0;
}

void afile_abort(struct afile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	*f = (struct afile){ -1, NULL, NULL };
}
