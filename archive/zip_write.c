#include "zip_write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../helper/buf.h"
#include "../helper/bytes.h"
#include "../helper/error.h"
#include "../helper/fdio.h"
#include "zip_internal.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_DESCRIPTOR 0x08074b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u
#define U32_MAX 0xffffffffu
#define U16_MAX 0xffffu
/* Files from this size get zip64 local records: what they compress to is unknown
 * when the header is written, and a cut file may grow by a few bytes per chunk. */
#define ZIP64_FROM 0xf0000000ull
#define FLAG_DESCRIPTOR 0x0008
#define FLAG_UTF8 0x0800
#define OUT_BUF (256u << 10)

struct central {
	const char *name; /* the item's name; dir suffix and "./" added when written */
	bool dir;
	uint16_t version, flags, method, dos_time, dos_date;
	uint32_t crc, ext_attr;
	uint64_t csize, usize, offset;
	unsigned char extra[33]; /* 0x5455 and 0x7875 (legacy: 0x7875 and 0x5455 twice) */
	uint16_t extra_len;
};

struct out {
	int fd;
	unsigned char *buf;
	size_t len;
	uint64_t off;
};

struct zw {
	struct out o;
	const struct sel_entry *const *items;
	size_t n;
	struct central *cd;
	size_t ncd;
	struct zip_write_stats *st;
	bool legacy;
};

static int out_flush(struct out *o)
{
	if (fdio_write_all(o->fd, o->buf, o->len) < 0)
		return err_os("write archive");
	o->len = 0;
	return 0;
}

static int out_put(struct out *o, const void *data, size_t len)
{
	const unsigned char *p = data;

	o->off += len;
	int rc;
	if (o->len + len > OUT_BUF && (rc = out_flush(o)) < 0)
		return rc;
	if (len >= OUT_BUF)
		return fdio_write_all(o->fd, p, len) < 0 ? err_os("write archive") : 0;
	memcpy(o->buf + o->len, p, len);
	o->len += len;
	return 0;
}

/* Go's detectUTF8: the EFS flag only when the name needs it and is valid UTF-8. */
static bool needs_utf8_flag(const char *s)
{
	bool need = false;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned c = *p, n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
		if (n == 9)
			return false;
		if (c < 0x20 || c > 0x7d || c == '\\')
			need = true;
		for (unsigned i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n + 1;
	}
	return need;
}

static void dos_time(time_t t, uint16_t *tm, uint16_t *dt)
{
	struct tm lt;

	if (!localtime_r(&t, &lt) || lt.tm_year < 80) {
		*tm = 0;
		*dt = (0 << 9) | (1 << 5) | 1; /* 1980-01-01 */
		return;
	}
	if (lt.tm_year > 207)
		lt.tm_year = 207;
	*tm = (uint16_t)(lt.tm_hour << 11 | lt.tm_min << 5 | lt.tm_sec / 2);
	*dt = (uint16_t)((lt.tm_year - 80) << 9 | (lt.tm_mon + 1) << 5 | lt.tm_mday);
}

/* 0x5455 (flags 1, mtime) and 0x7875 (version 1, 4-byte uid and gid); ux_first as
 * Go's streaming writer orders them, otherwise as its raw writer does. */
static void make_extra(unsigned char *x, const struct stat *st, bool ux_first)
{
	unsigned char *ut = ux_first ? x + 15 : x, *ux = ux_first ? x : x + 9;

	wr_le16(ut, 0x5455);
	wr_le16(ut + 2, 5);
	ut[4] = 1;
	wr_le32(ut + 5, (uint32_t)st->st_mtim.tv_sec);
	wr_le16(ux, 0x7875);
	wr_le16(ux + 2, 11);
	ux[4] = 1;
	ux[5] = 4;
	wr_le32(ux + 6, (uint32_t)st->st_uid);
	ux[10] = 4;
	wr_le32(ux + 11, (uint32_t)st->st_gid);
}

static size_t entry_name(char *out, size_t size, const struct central *c)
{
	size_t len = strlen(c->name);
	bool root = !strcmp(c->name, ".");

	if (root)
		len = 0;
	if (len + 3 > size)
		return 0;
	memcpy(out, root ? "./" : c->name, root ? 2 : len);
	len = root ? 2 : len;
	if (c->dir && !root)
		out[len++] = '/';
	out[len] = '\0';
	return len;
}

static int write_local(struct zw *z, struct central *c, bool zip64_local)
{
	unsigned char h[30 + 20];
	char name[PATH_MAX + 2];
	size_t nlen = entry_name(name, sizeof(name), c);
	bool descriptor = c->flags & FLAG_DESCRIPTOR;

	if (!nlen || nlen > U16_MAX)
		return err_set(CIH_ETOOBIG, "%s: name too long for a zip entry", c->name);
	c->offset = z->o.off;
	wr_le32(h, SIG_LOCAL);
	wr_le16(h + 4, c->version);
	wr_le16(h + 6, c->flags);
	wr_le16(h + 8, c->method);
	wr_le16(h + 10, c->dos_time);
	wr_le16(h + 12, c->dos_date);
	wr_le32(h + 14, descriptor ? 0 : c->crc);
	wr_le32(h + 18, descriptor ? 0 : (uint32_t)c->csize);
	wr_le32(h + 22, descriptor ? 0 : (uint32_t)c->usize);
	wr_le16(h + 26, (uint16_t)nlen);
	wr_le16(h + 28, (uint16_t)(c->extra_len + (zip64_local ? 20 : 0)));
	if (out_put(&z->o, h, 30) < 0 || out_put(&z->o, name, nlen) < 0 ||
	    out_put(&z->o, c->extra, c->extra_len) < 0)
		return err_last()->code;
	if (zip64_local) { /* sizes follow in a 64-bit descriptor */
		memset(h, 0, 20);
		wr_le16(h, 0x0001);
		wr_le16(h + 2, 16);
		return out_put(&z->o, h, 20);
	}
	return 0;
}

static int write_descriptor(struct zw *z, const struct central *c, bool zip64)
{
	unsigned char d[24];

	wr_le32(d, SIG_DESCRIPTOR);
	wr_le32(d + 4, c->crc);
	if (zip64) {
		wr_le64(d + 8, c->csize);
		wr_le64(d + 16, c->usize);
		return out_put(&z->o, d, 24);
	}
	wr_le32(d + 8, (uint32_t)c->csize);
	wr_le32(d + 12, (uint32_t)c->usize);
	return out_put(&z->o, d, 16);
}

static struct central *new_entry(struct zw *z, const struct sel_entry *it, bool dir, bool ux_first)
{
	struct central *c = &z->cd[z->ncd++];
	uint32_t mode = it->st.st_mode;

	*c = (struct central){ .name = it->path, .dir = dir, .version = 20 };
	if (z->legacy || needs_utf8_flag(it->path))
		c->flags |= FLAG_UTF8;
	dos_time(it->st.st_mtim.tv_sec, &c->dos_time, &c->dos_date);
	c->ext_attr = mode << 16 | (dir ? 0x10 : 0) | (mode & 0200 ? 0 : 0x01);
	make_extra(c->extra, &it->st, z->legacy || ux_first);
	c->extra_len = 24;
	if (z->legacy) { /* Go's writer appends its own 0x5455 after ours */
		memcpy(c->extra + 24, c->extra + 15, 9);
		c->extra_len = 33;
	}
	return c;
}

static int add_dir(struct zw *z, const struct sel_entry *it)
{
	z->st->dirs++;
	return write_local(z, new_entry(z, it, true, true), false);
}

static int add_symlink(struct zw *z, const struct sel_entry *it)
{
	char target[PATH_MAX];
	ssize_t len = readlink(it->path, target, sizeof(target));

	if (len < 0)
		return err_os("readlink %s", it->path);
	if ((size_t)len == sizeof(target))
		return err_set(CIH_ETOOBIG, "%s: symlink target too long", it->path);
	struct central *c = new_entry(z, it, false, false);
	c->crc = (uint32_t)crc32(0, (const unsigned char *)target, (uInt)len);
	c->csize = c->usize = (uint64_t)len;
	if (z->legacy)
		c->flags |= FLAG_DESCRIPTOR;
	z->st->symlinks++;
	z->st->in_bytes += (uint64_t)len;
	if (write_local(z, c, false) < 0 || out_put(&z->o, target, (size_t)len) < 0)
		return err_last()->code;
	return z->legacy ? write_descriptor(z, c, false) : 0;
}

static int add_file(struct zw *z, struct zip_pool *pool, size_t idx, uint16_t method)
{
	const struct sel_entry *it = z->items[idx];
	uint64_t size = (uint64_t)it->st.st_size;
	bool zip64 = size >= ZIP64_FROM;
	struct zip_chunk ch;
	struct central *c = NULL;

	z->st->files++;
	if (size == 0) { /* Go's streaming writer: store, with a descriptor */
		static const unsigned char empty_deflate[2] = { 0x03, 0x00 };
		c = new_entry(z, it, false, true);
		c->flags |= FLAG_DESCRIPTOR;
		if (z->legacy) { /* the legacy writer deflates even nothing */
			c->method = 8;
			c->csize = 2;
		}
		if (write_local(z, c, false) < 0 || (z->legacy && out_put(&z->o, empty_deflate, 2) < 0))
			return err_last()->code;
		return write_descriptor(z, c, false);
	}
	for (uint64_t k = 0, nk = zip__pool_chunks(pool, size); k < nk; k++) {
		int rc = zip__pool_next(pool, &ch);
		if (rc < 0)
			return rc;
		if (ch.item != idx || ch.first != (k == 0) || ch.last != (k + 1 == nk))
			return err_set(CIH_ERR, "zip: internal error: chunks out of order");
		if (k == 0) {
			c = new_entry(z, it, false, ch.stored);
			c->flags |= FLAG_DESCRIPTOR;
			c->method = ch.stored ? 0 : method;
			if (zip64)
				c->version = 45;
			if (write_local(z, c, zip64) < 0)
				return err_last()->code;
			c->crc = ch.crc;
		} else {
			c->crc = (uint32_t)crc32_combine(c->crc, ch.crc, (z_off_t)ch.raw_len);
		}
		c->csize += ch.len;
		c->usize += ch.raw_len;
		if (out_put(&z->o, ch.data, ch.len) < 0)
			return err_last()->code;
	}
	z->st->in_bytes += c->usize;
	if (!zip64 && (c->csize >= U32_MAX || c->usize >= U32_MAX))
		return err_set(CIH_ERR, "%s: grew past 4 GiB while being archived", it->path);
	return write_descriptor(z, c, zip64);
}

static int write_central(struct zw *z, const struct central *c)
{
	unsigned char h[46], x[28];
	char name[PATH_MAX + 2];
	size_t nlen = entry_name(name, sizeof(name), c);
	bool zip64 = c->csize >= U32_MAX || c->usize >= U32_MAX || c->offset >= U32_MAX;

	wr_le32(h, SIG_CENTRAL);
	wr_le16(h + 4, 3 << 8 | 20); /* made by Unix, spec 2.0 */
	wr_le16(h + 6, zip64 ? 45 : c->version);
	wr_le16(h + 8, c->flags);
	wr_le16(h + 10, c->method);
	wr_le16(h + 12, c->dos_time);
	wr_le16(h + 14, c->dos_date);
	wr_le32(h + 16, c->crc);
	wr_le32(h + 20, zip64 ? U32_MAX : (uint32_t)c->csize);
	wr_le32(h + 24, zip64 ? U32_MAX : (uint32_t)c->usize);
	wr_le16(h + 28, (uint16_t)nlen);
	wr_le16(h + 30, (uint16_t)(c->extra_len + (zip64 ? 28 : 0)));
	wr_le16(h + 32, 0); /* comment */
	wr_le16(h + 34, 0); /* disk */
	wr_le16(h + 36, 0); /* internal attributes */
	wr_le32(h + 38, c->ext_attr);
	wr_le32(h + 42, c->offset >= U32_MAX ? U32_MAX : (uint32_t)c->offset);
	if (out_put(&z->o, h, 46) < 0 || out_put(&z->o, name, nlen) < 0 ||
	    out_put(&z->o, c->extra, c->extra_len) < 0)
		return err_last()->code;
	if (!zip64)
		return 0;
	wr_le16(x, 0x0001); /* Go writes all three fields once any is needed */
	wr_le16(x + 2, 24);
	wr_le64(x + 4, c->usize);
	wr_le64(x + 12, c->csize);
	wr_le64(x + 20, c->offset);
	return out_put(&z->o, x, 28);
}

static int write_end(struct zw *z, uint64_t cd_start)
{
	unsigned char e[56 + 20 + 22];
	uint64_t cd_size = z->o.off - cd_start, count = z->ncd;
	bool zip64 = count >= U16_MAX || cd_size >= U32_MAX || cd_start >= U32_MAX;
	size_t len = 0;

	if (zip64) {
		uint64_t at = z->o.off;
		wr_le32(e, SIG_EOCD64);
		wr_le64(e + 4, 44);
		wr_le16(e + 12, 3 << 8 | 45);
		wr_le16(e + 14, 45);
		wr_le32(e + 16, 0);
		wr_le32(e + 20, 0);
		wr_le64(e + 24, count);
		wr_le64(e + 32, count);
		wr_le64(e + 40, cd_size);
		wr_le64(e + 48, cd_start);
		wr_le32(e + 56, SIG_LOCATOR64);
		wr_le32(e + 60, 0);
		wr_le64(e + 64, at);
		wr_le32(e + 72, 1);
		len = 76;
	}
	unsigned char *q = e + len;
	wr_le32(q, SIG_EOCD);
	wr_le16(q + 4, 0);
	wr_le16(q + 6, 0);
	wr_le16(q + 8, (uint16_t)(count >= U16_MAX ? U16_MAX : count));
	wr_le16(q + 10, (uint16_t)(count >= U16_MAX ? U16_MAX : count));
	wr_le32(q + 12, cd_size >= U32_MAX ? U32_MAX : (uint32_t)cd_size);
	wr_le32(q + 16, cd_start >= U32_MAX ? U32_MAX : (uint32_t)cd_start);
	wr_le16(q + 20, 0);
	return out_put(&z->o, e, len + 22);
}

static int cmp_item(const void *a, const void *b)
{
	const struct sel_entry *x = *(const struct sel_entry *const *)a;
	const struct sel_entry *y = *(const struct sel_entry *const *)b;
	return strcmp(x->path, y->path);
}

static int write_all(struct zw *z, struct zip_pool *pool, uint16_t method)
{
	for (size_t i = 0; i < z->n; i++) {
		const struct sel_entry *it = z->items[i];
		int rc = 0;
		if (S_ISDIR(it->st.st_mode))
			rc = add_dir(z, it);
		else if (S_ISLNK(it->st.st_mode))
			rc = add_symlink(z, it);
		else if (S_ISREG(it->st.st_mode))
			rc = add_file(z, pool, i, method);
		else
			z->st->skipped++;
		if (rc < 0)
			return rc;
	}
	uint64_t cd_start = z->o.off;
	for (size_t i = 0; i < z->ncd; i++)
		if (write_central(z, &z->cd[i]) < 0)
			return err_last()->code;
	if (write_end(z, cd_start) < 0 || out_flush(&z->o) < 0)
		return err_last()->code;
	z->st->out_bytes = z->o.off;
	return 0;
}

int zip_write_archive(int fd, const struct sel_entry *items, size_t n,
		      const struct zip_write_opts *o, struct zip_write_stats *st)
{
	struct zip_write_stats scratch;
	struct zw z = { .o = { .fd = fd }, .n = n, .st = st ? st : &scratch, .legacy = o->legacy };
	const struct sel_entry **sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct zip_pool *pool = NULL;
	enum zip_pool_method pm = ZIP_POOL_DEFLATE;
	int level = o->level == LEVEL_FAST ? 1 : o->level == LEVEL_SLOW ? 7 : o->level == LEVEL_SLOWEST ? 9 : 5;
	uint16_t method = 8;
	int rc;

	memset(z.st, 0, sizeof(*z.st));
	z.cd = calloc(n ? n : 1, sizeof(*z.cd));
	z.o.buf = malloc(OUT_BUF);
	if (!sorted || !z.cd || !z.o.buf) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof(*sorted), cmp_item);
	z.items = sorted;
	if (o->zstd) {
		pm = ZIP_POOL_ZSTD;
		method = 93;
		level = level_zstd(o->level, true);
	} else if (o->legacy) {
		level = 5;
	} else if (o->level == LEVEL_FASTEST) {
		pm = ZIP_POOL_STORE;
		method = 0;
	}
	off_t start = lseek(fd, 0, SEEK_CUR);
	z.o.off = start > 0 ? (uint64_t)start : 0;
	if ((rc = zip__pool_start(&pool, sorted, n, pm, level, o->concurrency, !o->legacy)) == 0)
		rc = write_all(&z, pool, method);
	if (rc == 0)
		z.st->out_bytes -= start > 0 ? (uint64_t)start : 0;
out:
	zip__pool_stop(pool);
	free(z.o.buf);
	free(z.cd);
	free(sorted);
	return rc < 0 ? rc : 0;
}
