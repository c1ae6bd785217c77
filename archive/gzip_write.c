#include "gzip_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/fdio.h"
#include "../helper/log.h"

#define IO_BUF (256u << 10)
/* pgzip's DefaultCompression is klauspost flate level 6 */
#define LEVEL 6
#define OS_UNKNOWN 255 /* what Go's gzip writers put in the OS byte */

struct gzw {
	int fd;
	z_stream z;
	unsigned char *in, *out;
	struct gzipw_stats *st;
};

static int put_all(int fd, const unsigned char *p, size_t len)
{
	return fdio_write_all(fd, p, len) < 0 ? err_os("write archive") : 0;
}

/* Writes out what deflate produced so far. */
static int drain(struct gzw *g)
{
	size_t len = IO_BUF - g->z.avail_out;

	g->st->out_bytes += len;
	g->z.next_out = g->out;
	g->z.avail_out = IO_BUF;
	return put_all(g->fd, g->out, len);
}

/* Z_NO_FLUSH: until the input is taken; Z_FINISH: until the member's trailer. */
static int compress_some(struct gzw *g, int flush, const char *path)
{
	for (;;) {
		int zr = deflate(&g->z, flush), rc;
		bool full = g->z.avail_out == 0;

		if (zr == Z_STREAM_ERROR)
			return err_set(CIH_ERR, "gzip %s: deflate failed", path);
		if (full && (rc = drain(g)) < 0)
			return rc;
		if (zr == Z_STREAM_END || (flush != Z_FINISH && !full))
			return 0;
	}
}

/* Go's url.PathEscape: all but unreserved characters and : @ & = + $ as %XX. */
static bool path_keeps(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-_.~:@&=+$", c));
}

/* Upstream's sanitizePath: "e:" + url.PathEscape(s) when s holds '%' or a non-ASCII
 * byte (Go's rune test is the same: every byte above 0x7f belongs to a rune above
 * 0x7f or to an invalid sequence, which decodes as U+FFFD). */
static const char *sanitize(const char *s, struct buf *b)
{
	const unsigned char *p = (const unsigned char *)s;
	static const char hex[] = "0123456789ABCDEF";

	while (*p && *p != '%' && *p < 0x80)
		p++;
	if (!*p)
		return s;
	buf_clear(b);
	buf_puts(b, "e:");
	for (p = (const unsigned char *)s; *p; p++) {
		if (path_keeps(*p)) {
			buf_putc(b, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_put(b, e, 3);
		}
	}
	return b->failed ? NULL : buf_cstr(b);
}

static int write_member(struct gzw *g, const char *path, const struct stat *st, int fd)
{
	struct buf nb = BUF_INIT, cb = BUF_INIT;
	const char *slash = strrchr(path, '/');
	const char *name = sanitize(slash ? slash + 1 : path, &nb);
	const char *comment = sanitize(path, &cb);
	gz_header h = { .os = OS_UNKNOWN };
	int rc = 0;

	if (!name || !comment) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	/* pgzip leaves MTIME 0 unless the time is after the epoch */
	if (st->st_mtim.tv_sec > 0 || (st->st_mtim.tv_sec == 0 && st->st_mtim.tv_nsec > 0))
		h.time = (uLong)(uint32_t)st->st_mtim.tv_sec;
	h.name = (Bytef *)name;
	h.comment = (Bytef *)comment;
	if (deflateReset(&g->z) != Z_OK || deflateSetHeader(&g->z, &h) != Z_OK) {
		rc = err_set(CIH_ERR, "gzip %s: deflate reset failed", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, g->in, IO_BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_os("read %s", path);
			goto out;
		}
		if (r == 0)
			break;
		g->st->in_bytes += (uint64_t)r;
		g->z.next_in = g->in;
		g->z.avail_in = (uInt)r;
		if ((rc = compress_some(g, Z_NO_FLUSH, path)) < 0)
			goto out;
	}
	rc = compress_some(g, Z_FINISH, path);
	if (rc == 0)
		g->st->files++;
out:
	buf_dispose(&nb);
	buf_dispose(&cb);
	return rc;
}

static int add_path(struct gzw *g, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return err_os("lstat %s", path);
		err_os("lstat %s", path);
		log_warn("File ignored: %s", err_last()->msg);
		err_clear();
		g->st->ignored++;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		struct buf q = BUF_INIT;
		buf_put_quoted(&q, path, BUF_QUOTE_GO);
		int rc = err_set(CIH_EUNSAFE, "the %s is not a regular file", buf_cstr(&q));
		buf_dispose(&q);
		return rc;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_os("open %s", path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	int rc = write_member(g, path, &st, fd);
	close(fd);
	return rc;
}

static int cmp_item(const void *a, const void *b)
{
	const struct sel_entry *x = *(const struct sel_entry *const *)a;
	const struct sel_entry *y = *(const struct sel_entry *const *)b;
	return strcmp(x->path, y->path);
}

int gzipw_write_archive(int fd, const struct sel_entry *items, size_t n, struct gzipw_stats *st)
{
	struct gzipw_stats scratch;
	struct gzw g = { .fd = fd, .st = st ? st : &scratch };
	const struct sel_entry **sorted = calloc(n ? n : 1, sizeof(*sorted));
	bool z_ok = false;
	int rc = 0;

	memset(g.st, 0, sizeof(*g.st));
	g.in = malloc(IO_BUF);
	g.out = malloc(IO_BUF);
	if (!sorted || !g.in || !g.out) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	if (deflateInit2(&g.z, LEVEL, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		rc = err_set(CIH_ENOMEM, "gzip: deflateInit2 failed");
		goto out;
	}
	z_ok = true;
	g.z.next_out = g.out;
	g.z.avail_out = IO_BUF;
	for (size_t i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof(*sorted), cmp_item);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_path(&g, sorted[i]->path);
	if (rc == 0)
		rc = drain(&g);
out:
	if (z_ok)
		deflateEnd(&g.z);
	free(g.in);
	free(g.out);
	free(sorted);
	return rc < 0 ? rc : 0;
}
