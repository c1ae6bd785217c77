#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/log.h"
#include "extract_internal.h"
#include "zip.h"

enum kind { K_SKIP, K_DIR, K_FILE, K_LINK };

struct item {
	char *path; /* clean, relative; "" is the target itself */
	size_t index;
	enum kind kind;
	bool superseded; /* a later entry has the same path */
};

struct job {
	struct zip_reader *zr;
	const char *archive;
	char root[PATH_MAX]; /* realpath of the target */
	struct item *items;
	size_t n;
	struct extract_stats *st;
};

int extract_clean_name(char *out, size_t size, const char *name, bool *is_dir)
{
	size_t len = 0, nlen = strlen(name);
	const char *p = name;

	*is_dir = nlen && name[nlen - 1] == '/';
	if (!nlen)
		return err_set(CIH_EUNSAFE, "invalid name (empty)");
	if (name[0] == '/')
		return err_set(CIH_EUNSAFE, "'%s': absolute path", name);
	if (nlen >= PATH_MAX)
		return err_set(CIH_EUNSAFE, "'%.64s...': name too long", name);
	while (*p) {
		size_t c = strcspn(p, "/");
		if (c == 2 && !strncmp(p, "..", 2)) {
			if (!len)
				return err_set(CIH_EUNSAFE, "'%s': path is outside of the target", name);
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--; /* the slash before the dropped component */
		} else if (c && !(c == 1 && *p == '.')) {
			if (c > NAME_MAX)
				return err_set(CIH_EUNSAFE, "'%.64s...': name too long (a component over %d bytes)",
					       name, NAME_MAX);
			if (len + (len > 0) + c + 1 > size)
				return err_set(CIH_EUNSAFE, "'%.64s...': name too long", name);
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, c);
			len += c;
		}
		p += c + (p[c] == '/');
	}
	out[len] = '\0';
	return 0;
}

static enum kind kind_of(const struct zip_entry *e, bool is_dir)
{
	switch (e->mode & S_IFMT) {
	case S_IFDIR: return K_DIR;
	case S_IFLNK: return K_LINK;
	case S_IFREG: return is_dir ? K_DIR : K_FILE;
	case 0: return is_dir ? K_DIR : K_FILE;
	default: return K_SKIP; /* devices, fifos, sockets */
	}
}

static int cmp_path(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

static int cmp_index(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The last item (by index) whose path is path, in items sorted by path; NULL if none. */
static const struct item *find_last(const struct job *j, const char *path)
{
	size_t lo = 0, hi = j->n;

	while (lo < hi) { /* first item whose path is >= path */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(j->items[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == j->n || strcmp(j->items[lo].path, path))
		return NULL;
	while (lo + 1 < j->n && !strcmp(j->items[lo + 1].path, path))
		lo++;
	return &j->items[lo];
}

/* Names are checked and planned before anything is written. */
static int plan(struct job *j)
{
	size_t n = zip_reader_count(j->zr);
	char clean[PATH_MAX];
	bool is_dir;

	if (!(j->items = calloc(n ? n : 1, sizeof(*j->items))))
		return err_set(CIH_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct zip_entry *e = zip_reader_entry(j->zr, i);
		if (extract_clean_name(clean, sizeof(clean), e->name, &is_dir) < 0)
			return err_prefix("zip '%s'", j->archive);
		if (!(j->items[j->n].path = strdup(clean)))
			return err_set(CIH_ENOMEM, "out of memory");
		j->items[j->n].index = i;
		j->items[j->n].kind = *clean ? kind_of(e, is_dir) : K_SKIP;
		j->n++;
	}
	/* the last entry of a path wins; a path under a symlink entry is refused */
	qsort(j->items, j->n, sizeof(*j->items), cmp_path);
	for (size_t i = 0; i + 1 < j->n; i++)
		if (!strcmp(j->items[i].path, j->items[i + 1].path))
			j->items[i].superseded = true;
	for (size_t i = 0; i < j->n; i++) {
		const struct item *it = &j->items[i], *hit;
		if (it->superseded || it->kind == K_SKIP)
			continue;
		/* every parent prefix, searched as a copy: the array must not change meanwhile */
		for (const char *s = strchr(it->path, '/'); s; s = strchr(s + 1, '/')) {
			memcpy(clean, it->path, (size_t)(s - it->path));
			clean[s - it->path] = '\0';
			hit = find_last(j, clean);
			if (hit && hit->kind == K_LINK)
				return err_set(CIH_EUNSAFE, "zip '%s': '%s' would be written through a "
					       "symlink in the archive", j->archive, it->path);
		}
	}
	qsort(j->items, j->n, sizeof(*j->items), cmp_index);
	return 0;
}

/* An existing symlink on the way is followed only when it resolves inside the target. */
static int enter(const char *root, int fd, const char *comp, const char *sofar)
{
	char full[PATH_MAX * 2], real[PATH_MAX];
	size_t rl = strlen(root);
	int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (sub >= 0 || (errno != ELOOP && errno != ENOTDIR))
		return sub >= 0 ? sub : err_os("'%s': cannot open directory", sofar);
	snprintf(full, sizeof(full), "%s/%s", root, sofar);
	if (!realpath(full, real) || strncmp(real, root, rl) || (real[rl] && real[rl] != '/'))
		return err_set(CIH_EUNSAFE, "'%s' is a symlink out of the target or not a directory: "
			       "refusing to write through it", sofar);
	if ((sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_os("'%s': cannot open directory", sofar);
	return sub;
}

int extract__walk(const char *root, char *path, bool whole, const char **base)
{
	int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), sub;
	char *p = path;

	if (fd < 0)
		return err_os("cannot open the target directory");
	for (;;) {
		char *slash = strchr(p, '/');

		if (!slash && !whole) {
			*base = p;
			return fd;
		}
		if (slash)
			*slash = '\0';
		/* most directories exist already: open first, create only when missing */
		sub = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 && errno == ENOENT && mkdirat(fd, p, 0777) < 0 && errno != EEXIST)
			sub = err_os("'%s': cannot create directory", path);
		else if (sub < 0)
			sub = enter(root, fd, p, path);
		if (slash)
			*slash = '/';
		close(fd);
		if (sub < 0)
			return sub;
		fd = sub;
		if (!slash) {
			*base = NULL;
			return fd;
		}
		p = slash + 1;
	}
}

struct fdsink {
	int fd;
	uint64_t bytes;
};

static int write_sink(void *ctx, const void *data, size_t len)
{
	struct fdsink *s = ctx;
	const char *p = data;

	while (len) {
		ssize_t w = write(s->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_os("write");
		p += w;
		len -= (size_t)w;
		s->bytes += (uint64_t)w;
	}
	return 0;
}

static mode_t cached_umask;
static pthread_once_t umask_once = PTHREAD_ONCE_INIT;

static void read_umask(void)
{
	cached_umask = umask(022);
	umask(cached_umask);
}

void extract__init(void)
{
	pthread_once(&umask_once, read_umask);
}

void extract__file_meta(int fd, uint32_t perm, bool has_owner, uint32_t uid, uint32_t gid,
			const char *path)
{
	pthread_once(&umask_once, read_umask);
	if (perm & cached_umask)
		fchmod(fd, perm);
	if (has_owner && (uid != geteuid() || gid != getegid()) && fchown(fd, uid, gid) < 0)
		log_debug("'%s': keeping our owner: %s", path, strerror(errno));
}

void extract__set_times(int dirfd, const char *name, int fd, int64_t mtime, bool nofollow)
{
	struct timespec ts[2] = { { 0, UTIME_NOW }, { (time_t)mtime, 0 } };

	if (fd >= 0)
		futimens(fd, ts);
	else
		utimensat(dirfd, name, ts, nofollow ? AT_SYMLINK_NOFOLLOW : 0);
}

/* A worker's state: its directory cache and decoder scratch. */
struct dircache {
	struct extract_dir d;
	struct zip_scratch *scratch;
};

int extract__parent(const char *root, struct extract_dir *d, char *path, const char **base)
{
	char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;
	int fd;

	if (d->fd >= 0 && strlen(d->path) == len && !strncmp(d->path, path, len)) {
		*base = slash ? slash + 1 : path;
		return d->fd;
	}
	if ((fd = extract__walk(root, path, false, base)) < 0)
		return fd;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = fd;
	memcpy(d->path, path, len);
	d->path[len] = '\0';
	return fd;
}

int extract__temp(struct extract_dir *d, mode_t perm, char *tmp, size_t size, const char *path)
{
	int fd;

	do { /* unique per process, worker and file; O_EXCL settles any clash */
		snprintf(tmp, size, ".cih-%x-%x-%llx", (unsigned)getpid() & 0xfffff, d->worker, d->seq++);
		fd = openat(d->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
	} while (fd < 0 && errno == EEXIST);
	if (fd < 0) {
		tmp[0] = '\0';
		return err_os("'%s': cannot create", path);
	}
	return fd;
}

int extract__put(struct extract_dir *d, const char *tmp, const char *base, const char *path)
{
	if (renameat(d->fd, tmp, d->fd, base) == 0)
		return 0;
	if ((errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST) ||
	    unlinkat(d->fd, base, AT_REMOVEDIR) < 0 || renameat(d->fd, tmp, d->fd, base) < 0)
		return err_os("'%s': cannot put in place", path);
	return 0;
}

static int extract_file(struct job *j, const struct item *it, const struct zip_entry *e,
			struct extract_stats *st, struct dircache *dc)
{
	char *path = strdup(it->path), tmp[32] = "";
	const char *base;
	struct fdsink s = { -1, 0 };
	int dirfd = -1, rc = 0;
	mode_t perm = e->mode ? (e->mode & 0777) : 0644; /* never setuid, setgid or sticky */

	if (!path)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((dirfd = rc = extract__parent(j->root, &dc->d, path, &base)) < 0)
		goto out;
	if ((s.fd = rc = extract__temp(&dc->d, perm, tmp, sizeof(tmp), it->path)) < 0)
		goto out;
	if ((rc = zip_entry_read(j->zr, it->index, dc->scratch, write_sink, &s)) < 0)
		goto out;
	extract__file_meta(s.fd, perm, e->has_owner, e->uid, e->gid, it->path);
	extract__set_times(-1, NULL, s.fd, e->mtime, false);
	rc = close(s.fd);
	s.fd = -1;
	if (rc < 0) {
		rc = err_os("'%s': write", it->path);
		goto out;
	}
	if ((rc = extract__put(&dc->d, tmp, base, it->path)) < 0)
		goto out;
	tmp[0] = '\0';
	st->files++;
	st->bytes += s.bytes;
out:
	if (s.fd >= 0)
		close(s.fd);
	if (dirfd >= 0 && tmp[0] && rc < 0)
		unlinkat(dirfd, tmp, 0); /* nothing half-written stays behind */
	free(path); /* dirfd belongs to the cache */
	return rc;
}

struct membuf {
	char data[PATH_MAX];
	size_t len;
};

static int mem_sink(void *ctx, const void *data, size_t len)
{
	struct membuf *m = ctx;

	if (len > sizeof(m->data) - 1 - m->len)
		return err_set(CIH_EUNSAFE, "symlink target too long");
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return 0;
}

static int extract_link(struct job *j, const struct item *it, const struct zip_entry *e)
{
	char *path = strdup(it->path);
	struct membuf target = { .len = 0 };
	const char *base;
	int dirfd = -1, rc;

	if (!path)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((rc = zip_entry_read(j->zr, it->index, NULL, mem_sink, &target)) < 0)
		goto out;
	target.data[target.len] = '\0';
	if (!target.len || strlen(target.data) != target.len) {
		rc = err_set(CIH_EUNSAFE, "zip '%s': '%s': invalid name for a symlink target", j->archive,
			     it->path);
		goto out;
	}
	if ((dirfd = rc = extract__walk(j->root, path, false, &base)) < 0)
		goto out;
	rc = 0;
	if (unlinkat(dirfd, base, 0) < 0 && errno == EISDIR)
		unlinkat(dirfd, base, AT_REMOVEDIR);
	if (symlinkat(target.data, dirfd, base) < 0) {
		rc = err_os("'%s': cannot create symlink", it->path);
		goto out;
	}
	if (e->has_owner)
		if (fchownat(dirfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
			log_debug("'%s': keeping our owner", it->path);
	extract__set_times(dirfd, base, -1, e->mtime, true);
	j->st->symlinks++;
out:
	if (dirfd >= 0)
		close(dirfd);
	free(path);
	return rc;
}

static int make_dir(struct job *j, const struct item *it, bool metadata)
{
	const struct zip_entry *e = zip_reader_entry(j->zr, it->index);
	char *path = strdup(it->path);
	const char *base;
	int fd;

	if (!path)
		return err_set(CIH_ENOMEM, "out of memory");
	fd = extract__walk(j->root, path, true, &base);
	free(path);
	if (fd < 0)
		return fd;
	if (metadata) {
		fchmod(fd, e->mode ? (e->mode & 0777) : 0755);
		if (e->has_owner && fchown(fd, e->uid, e->gid) < 0)
			log_debug("'%s': keeping our owner", it->path);
		extract__set_times(-1, NULL, fd, e->mtime, false);
	} else {
		j->st->dirs++;
	}
	close(fd);
	return 0;
}

/* Files are written by `concurrency` workers that claim entries in archive order. */
#define CLAIM 32 /* entries a worker takes at once: fewer locks, siblings together */

struct pool {
	struct job *j;
	const struct item **order; /* file items sorted by path */
	size_t norder;
	pthread_mutex_t lock;
	size_t next;
	unsigned workers;
	int rc;
	char msg[ERR_MSG_MAX]; /* errors are per thread: the first one is copied here */
	struct extract_stats st;
};

static void *file_worker(void *arg)
{
	struct pool *p = arg;
	struct extract_stats st = { 0 };
	struct dircache dc = { { "", -1, 0, 0 }, zip_scratch_new() };
	int rc = dc.scratch ? 0 : err_set(CIH_ENOMEM, "out of memory");

	pthread_mutex_lock(&p->lock);
	dc.d.worker = p->workers++;
	pthread_mutex_unlock(&p->lock);
	while (rc == 0) {
		size_t from, to;

		pthread_mutex_lock(&p->lock);
		from = p->next;
		to = p->rc < 0 ? from : (from + CLAIM < p->norder ? from + CLAIM : p->norder);
		p->next = to;
		pthread_mutex_unlock(&p->lock);
		if (from == to)
			break;
		for (size_t i = from; i < to && rc == 0; i++)
			rc = extract_file(p->j, p->order[i], zip_reader_entry(p->j->zr, p->order[i]->index),
					  &st, &dc);
	}
	pthread_mutex_lock(&p->lock);
	if (rc < 0 && p->rc == 0) { /* errors are per thread: the first is copied out */
		p->rc = rc;
		snprintf(p->msg, sizeof(p->msg), "%s", err_last()->msg);
	}
	p->st.files += st.files;
	p->st.bytes += st.bytes;
	pthread_mutex_unlock(&p->lock);
	if (dc.d.fd >= 0)
		close(dc.d.fd);
	zip_scratch_free(dc.scratch);
	return NULL;
}

/* Plain path order. Grouping a directory's files together measured slower: both
 * workers then create entries in one directory and wait on its lock in the kernel. */
static int cmp_item_path(const void *a, const void *b)
{
	return strcmp((*(const struct item *const *)a)->path, (*(const struct item *const *)b)->path);
}

static int extract_files(struct job *j, int concurrency)
{
	struct pool p = { .j = j, .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t tids[64];
	int started = 0;

	if (!(p.order = malloc((j->n ? j->n : 1) * sizeof(*p.order))))
		return err_set(CIH_ENOMEM, "out of memory");
	for (size_t i = 0; i < j->n; i++)
		if (!j->items[i].superseded && j->items[i].kind == K_FILE)
			p.order[p.norder++] = &j->items[i];
	qsort(p.order, p.norder, sizeof(*p.order), cmp_item_path);
	if (concurrency > 64)
		concurrency = 64;
	for (int i = 1; i < concurrency; i++) /* the calling thread is a worker too */
		if (pthread_create(&tids[started], NULL, file_worker, &p) == 0)
			started++;
	file_worker(&p);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(p.order);
	j->st->files += p.st.files;
	j->st->bytes += p.st.bytes;
	return p.rc < 0 ? err_set(p.rc, "%s", p.msg) : 0;
}

int extract_zip(const char *path, int concurrency, struct extract_stats *stats)
{
	struct job j = { .archive = path, .st = stats };
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	memset(stats, 0, sizeof(*stats));
	extract__init(); /* before the workers: reading the umask sets it for a moment */
	if (fd < 0)
		return err_os("cannot open '%s'", path);
	if (!realpath(".", j.root)) {
		close(fd);
		return err_os("cannot resolve the target directory");
	}
	if ((rc = zip_reader_open(&j.zr, fd, path)) < 0 || (rc = plan(&j)) < 0)
		goto out;
	/* directories in archive order, then files concurrently, then symlinks, then
	 * directory metadata (deepest first) */
	for (size_t i = 0; i < j.n && rc == 0; i++) {
		const struct item *it = &j.items[i];
		if (it->superseded)
			continue;
		if (it->kind == K_DIR)
			rc = make_dir(&j, it, false);
		else if (it->kind == K_SKIP && *it->path)
			stats->skipped++;
	}
	if (rc == 0)
		rc = extract_files(&j, concurrency > 0 ? concurrency : 1);
	for (size_t i = 0; i < j.n && rc == 0; i++)
		if (!j.items[i].superseded && j.items[i].kind == K_LINK)
			rc = extract_link(&j, &j.items[i], zip_reader_entry(j.zr, j.items[i].index));
	for (size_t i = j.n; i-- > 0 && rc == 0;)
		if (!j.items[i].superseded && j.items[i].kind == K_DIR)
			rc = make_dir(&j, &j.items[i], true);
out:
	for (size_t i = 0; i < j.n; i++)
		free(j.items[i].path);
	free(j.items);
	zip_reader_free(j.zr);
	close(fd);
	return rc;
}
