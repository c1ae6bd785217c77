/* tar.zst extraction in one pass over the stream, with the zip extractor's rules:
 * checked names and walks, files whole (temp + rename), symlinks last and never
 * written through, directory metadata at the very end, the last entry of a path
 * winning. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/error.h"
#include "../helper/fdio.h"
#include "../helper/log.h"
#include "extract.h"
#include "extract_internal.h"
#include "readahead.h"
#include "tar_read.h"
#include "zst_stream.h"

#define BODY_BUF (1u << 20)

enum pend_kind { P_NONE, P_DIR, P_LINK };

struct pending {
	char *path;
	char *target; /* symlinks */
	enum pend_kind kind;
	uint32_t mode, uid, gid;
	int64_t mtime;
};

/* path -> index into pend, open addressing; grows at half full */
struct index {
	size_t *slot; /* index + 1, 0 empty */
	size_t cap;
};

struct tjob {
	const char *archive;
	char root[PATH_MAX];
	struct pending *pend;
	size_t npend, cappend;
	struct index ix;
	struct extract_dir dir;
	char *buf;
	struct extract_stats *st;
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603ull & SIZE_MAX;
	while (*s)
		h = (h ^ (unsigned char)*s++) * (1099511628211ull & SIZE_MAX);
	return h;
}

static size_t *ix_find(struct tjob *t, const char *path)
{
	size_t i = hash(path) & (t->ix.cap - 1);
	while (t->ix.slot[i] && strcmp(t->pend[t->ix.slot[i] - 1].path, path))
		i = (i + 1) & (t->ix.cap - 1);
	return &t->ix.slot[i];
}

static struct pending *lookup(struct tjob *t, const char *path)
{
	size_t *s = t->ix.cap ? ix_find(t, path) : NULL;
	return s && *s && t->pend[*s - 1].kind != P_NONE ? &t->pend[*s - 1] : NULL;
}

static int ix_grow(struct tjob *t)
{
	struct index old = t->ix;
	t->ix.cap = old.cap ? old.cap * 2 : 1024;
	if (!(t->ix.slot = calloc(t->ix.cap, sizeof(*t->ix.slot)))) {
		t->ix = old;
		return err_set(CIH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < old.cap; i++)
		if (old.slot[i])
			*ix_find(t, t->pend[old.slot[i] - 1].path) = old.slot[i];
	free(old.slot);
	return 0;
}

/* Records (or replaces: the last entry wins) what is applied at the end. */
static int add_pending(struct tjob *t, const char *path, enum pend_kind kind,
		       const struct tar_entry *e)
{
	struct pending *p = lookup(t, path);

	if (!p) {
		if ((t->npend + 1) * 2 > t->ix.cap && ix_grow(t) < 0)
			return CIH_ENOMEM;
		if (t->npend == t->cappend) {
			size_t cap = t->cappend ? t->cappend * 2 : 256;
			struct pending *np = realloc(t->pend, cap * sizeof(*np));
			if (!np)
				return err_set(CIH_ENOMEM, "out of memory");
			t->pend = np;
			t->cappend = cap;
		}
		size_t *s = ix_find(t, path);
		p = &t->pend[t->npend];
		*p = (struct pending){ .path = strdup(path) };
		if (!p->path)
			return err_set(CIH_ENOMEM, "out of memory");
		if (!*s)
			*s = ++t->npend;
		else { /* a dropped entry of the same path: reuse its slot */
			free(t->pend[*s - 1].path);
			free(t->pend[*s - 1].target);
			t->pend[*s - 1] = *p;
			p = &t->pend[*s - 1];
		}
	} else {
		free(p->target);
		p->target = NULL;
	}
	p->kind = kind;
	p->mode = e->mode;
	p->uid = e->uid;
	p->gid = e->gid;
	p->mtime = e->mtime;
	if (kind == P_LINK && !(p->target = strdup(e->linkname)))
		return err_set(CIH_ENOMEM, "out of memory");
	return 0;
}

static void drop_pending(struct tjob *t, const char *path)
{
	struct pending *p = lookup(t, path);
	if (p)
		p->kind = P_NONE;
}

/* Nothing may be written under a path that the archive makes a symlink. */
static int check_parents(struct tjob *t, const char *path)
{
	char prefix[PATH_MAX];

	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		memcpy(prefix, path, (size_t)(s - path));
		prefix[s - path] = '\0';
		struct pending *p = lookup(t, prefix);
		if (p && p->kind == P_LINK)
			return err_set(CIH_EUNSAFE, "tar '%s': '%s' would be written through a symlink "
				       "in the archive", t->archive, path);
	}
	return 0;
}

static int extract_file(struct tjob *t, struct tar_reader *r, char *path, const struct tar_entry *e)
{
	char tmp[48] = "";
	const char *base;
	int fd = -1, rc;
	ssize_t n;

	if ((rc = extract__parent(t->root, &t->dir, path, &base)) < 0)
		return rc;
	if ((fd = rc = extract__temp(&t->dir, e->mode & 0777, tmp, sizeof(tmp), path)) < 0)
		return rc;
	rc = 0;
	while ((n = tar_reader_read(r, t->buf, BODY_BUF)) > 0) {
		if (fdio_write_all(fd, t->buf, (size_t)n) < 0) {
			rc = err_os("'%s': write", path);
			goto out;
		}
		t->st->bytes += (uint64_t)n;
	}
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	extract__file_meta(fd, e->mode & 0777, true, e->uid, e->gid, path); /* no setuid, setgid, sticky */
	extract__set_times(-1, NULL, fd, e->mtime, false);
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		rc = err_os("'%s': write", path);
		goto out;
	}
	if ((rc = extract__put(&t->dir, tmp, base, path)) < 0)
		goto out;
	tmp[0] = '\0';
	t->st->files++;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlinkat(t->dir.fd, tmp, 0); /* nothing half-written stays behind */
	return rc;
}

static int make_dir(struct tjob *t, char *path, const struct pending *p)
{
	const char *base;
	int fd = extract__walk(t->root, path, true, &base);

	if (fd < 0)
		return fd;
	if (p) {
		fchmod(fd, p->mode & 0777);
		if (fchown(fd, p->uid, p->gid) < 0)
			log_debug("'%s': keeping our owner", path);
		extract__set_times(-1, NULL, fd, p->mtime, false);
	}
	close(fd);
	return 0;
}

static int make_link(struct tjob *t, const struct pending *p)
{
	char *path = strdup(p->path);
	const char *base;
	int dirfd, rc = 0;

	if (!path)
		return err_set(CIH_ENOMEM, "out of memory");
	if (!*p->target) {
		rc = err_set(CIH_EUNSAFE, "tar '%s': '%s': empty symlink target", t->archive, p->path);
		goto out;
	}
	if ((dirfd = rc = extract__walk(t->root, path, false, &base)) < 0)
		goto out;
	rc = 0;
	if (unlinkat(dirfd, base, 0) < 0 && errno == EISDIR)
		unlinkat(dirfd, base, AT_REMOVEDIR);
	if (symlinkat(p->target, dirfd, base) < 0) {
		rc = err_os("'%s': cannot create symlink", p->path);
	} else {
		if (fchownat(dirfd, base, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_debug("'%s': keeping our owner", p->path);
		extract__set_times(dirfd, base, -1, p->mtime, true);
		t->st->symlinks++;
	}
	close(dirfd);
out:
	free(path);
	return rc;
}

static int entry(struct tjob *t, struct tar_reader *r, const struct tar_entry *e)
{
	char clean[PATH_MAX];
	bool is_dir;
	int rc;

	if (extract_clean_name(clean, sizeof(clean), e->name, &is_dir) < 0)
		return err_prefix("tar '%s'", t->archive);
	if (!*clean) /* "./": the target itself */
		return e->type == TAR_DIR ? add_pending(t, ".", P_DIR, e) : 0;
	if ((rc = check_parents(t, clean)) < 0)
		return rc;
	switch (e->type) {
	case TAR_DIR:
		if ((rc = make_dir(t, clean, NULL)) < 0)
			return rc;
		t->st->dirs++;
		return add_pending(t, clean, P_DIR, e);
	case TAR_FILE:
		drop_pending(t, clean);
		return extract_file(t, r, clean, e);
	case TAR_SYMLINK:
		return add_pending(t, clean, P_LINK, e);
	default: /* hard links, devices, fifos: skipped as upstream does */
		log_debug("'%s': skipped (not a file, directory or symlink)", clean);
		t->st->skipped++;
		return 0;
	}
}

static int finish(struct tjob *t)
{
	int rc = 0;

	for (size_t i = 0; i < t->npend && rc == 0; i++)
		if (t->pend[i].kind == P_LINK)
			rc = make_link(t, &t->pend[i]);
	for (size_t i = t->npend; i-- > 0 && rc == 0;) {
		struct pending *p = &t->pend[i];
		if (p->kind != P_DIR)
			continue;
		if (!strcmp(p->path, ".")) {
			char dot[2] = ".";
			rc = make_dir(t, dot, p);
		} else {
			rc = make_dir(t, p->path, p);
		}
	}
	return rc;
}

int extract_tarzstd(const char *path, struct extract_stats *stats)
{
	struct tjob t = { .archive = path, .dir = { .fd = -1 }, .st = stats };
	struct zst_reader *z = NULL;
	struct tar_reader *r = NULL;
	struct readahead *ra = NULL;
	const struct tar_entry *e;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	memset(stats, 0, sizeof(*stats));
	extract__init();
	if (fd < 0)
		return err_os("cannot open '%s'", path);
	if (!realpath(".", t.root)) {
		rc = err_os("cannot resolve the target directory");
		goto out;
	}
	if (!(t.buf = malloc(BODY_BUF))) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = zst_reader_open(&z, fd, path)) < 0 || (rc = readahead_start(&ra, zst_source, z)) < 0 ||
	    (rc = tar_reader_new(&r, readahead_read, ra, path)) < 0)
		goto out;
	while ((rc = tar_reader_next(r, &e)) > 0)
		if ((rc = entry(&t, r, e)) < 0)
			break;
	if (rc == 0)
		rc = finish(&t);
out:
	if (t.dir.fd >= 0)
		close(t.dir.fd);
	for (size_t i = 0; i < t.npend; i++) {
		free(t.pend[i].path);
		free(t.pend[i].target);
	}
	free(t.pend);
	free(t.ix.slot);
	free(t.buf);
	tar_reader_free(r);
	readahead_stop(ra);
	zst_reader_free(z);
	close(fd);
	return rc < 0 ? rc : 0;
}
