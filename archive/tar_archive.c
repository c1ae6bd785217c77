#include "tar_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../helper/error.h"
#include "tar.h"
#include "tar_write.h"
#include "zst_stream.h"

static int cmp_item(const void *a, const void *b)
{
	return strcmp((*(const struct sel_entry *const *)a)->path, (*(const struct sel_entry *const *)b)->path);
}

static int add(struct tar_writer *w, const struct sel_entry *it, struct tar_archive_stats *st)
{
	struct tar_entry e;
	char target[PATH_MAX];
	struct stat now;
	int fd, rc;

	if (S_ISLNK(it->st.st_mode)) {
		ssize_t len = readlink(it->path, target, sizeof(target) - 1);
		if (len < 0)
			return err_os("readlink %s", it->path);
		target[len] = '\0';
		tar_entry_from_stat(&e, it->path, &it->st, target);
		st->symlinks++;
		return tar_writer_header(w, &e);
	}
	if (S_ISDIR(it->st.st_mode)) {
		tar_entry_from_stat(&e, it->path, &it->st, NULL);
		st->dirs++;
		return tar_writer_header(w, &e);
	}
	if (!S_ISREG(it->st.st_mode)) {
		st->skipped++;
		return 0;
	}
	/* the size and times of the file as opened: what is read matches the header */
	if ((fd = open(it->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		return err_os("open %s", it->path);
	if (fstat(fd, &now) < 0)
		rc = err_os("stat %s", it->path);
	else if (!S_ISREG(now.st_mode))
		rc = err_set(CIH_ERR, "%s: no longer a regular file", it->path);
	else if (tar_entry_from_stat(&e, it->path, &now, NULL), (rc = tar_writer_file(w, &e, fd)) == 0) {
		st->files++;
		st->in_bytes += (uint64_t)now.st_size;
	}
	close(fd);
	return rc;
}

int tar_archive_write(int fd, const struct sel_entry *items, size_t n, int zstd_level,
		      int workers, struct tar_archive_stats *st)
{
	struct tar_archive_stats scratch;
	const struct sel_entry **sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct zst_writer *z = NULL;
	struct tar_writer *w = NULL;
	int rc;

	if (!st)
		st = &scratch;
	memset(st, 0, sizeof(*st));
	if (!sorted)
		return err_set(CIH_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof(*sorted), cmp_item);
	if ((rc = zst_writer_open(&z, fd, zstd_level, workers)) < 0 ||
	    (rc = tar_writer_new(&w, zst_sink, z)) < 0)
		goto out;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add(w, sorted[i], st);
	if (rc == 0 && (rc = tar_writer_finish(w)) == 0 && (rc = zst_writer_finish(z)) == 0)
		st->out_bytes = zst_writer_bytes_out(z);
out:
	tar_writer_free(w);
	zst_writer_free(z);
	free(sorted);
	return rc;
}
