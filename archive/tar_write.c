#include "tar_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "tar_format.h"

#define BODY_CHUNK (128u << 10)

struct tar_writer {
	int (*sink)(void *ctx, const void *data, size_t len);
	void *ctx;
	struct buf name;      /* the current entry's name, with a directory's '/' */
	uint64_t remaining;   /* body bytes still owed */
	unsigned pad;         /* zero bytes after the body */
	unsigned char *chunk; /* for tar_writer_file */
	int failed;           /* sticky: the stream is incomplete */
	int finished;
};

static const unsigned char zeros[2 * TAR_BLOCK];

bool tar_entry_from_stat(struct tar_entry *e, const char *name, const struct stat *st,
			 const char *link)
{
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->linkname = "";
	if (S_ISREG(st->st_mode)) {
		e->type = TAR_FILE;
		e->size = (uint64_t)st->st_size;
	} else if (S_ISDIR(st->st_mode)) {
		e->type = TAR_DIR;
	} else if (S_ISLNK(st->st_mode)) {
		e->type = TAR_SYMLINK;
		e->linkname = link ? link : "";
	} else {
		return false;
	}
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	/* Go's Writer rounds to the nearest second, halves up. */
	e->mtime = (int64_t)st->st_mtim.tv_sec + (st->st_mtim.tv_nsec >= 500000000);
	return true;
}

int tar_writer_new(struct tar_writer **out,
		   int (*sink)(void *ctx, const void *data, size_t len), void *ctx)
{
	struct tar_writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w || !(w->chunk = malloc(BODY_CHUNK))) {
		free(w);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	w->sink = sink;
	w->ctx = ctx;
	*out = w;
	return 0;
}

void tar_writer_free(struct tar_writer *w)
{
	if (!w)
		return;
	buf_dispose(&w->name);
	free(w->chunk);
	free(w);
}

static int emit(struct tar_writer *w, const void *data, size_t len)
{
	int rc;

	if (w->failed)
		return err_set(CIH_ERR, "tar: writer used after a failure");
	if (len && (rc = w->sink(w->ctx, data, len)) < 0) {
		w->failed = 1;
		return rc;
	}
	return 0;
}

/* Marks the stream incomplete: nothing more is written. */
static int broken(struct tar_writer *w, int rc)
{
	w->failed = 1;
	return rc;
}

static bool fits_octal(int64_t x, size_t len)
{
	return x >= 0 && x < (int64_t)1 << (3 * (len - 1));
}

/* Go's formatOctal: zero-padded digits and a NUL; 0 when x does not fit. */
static void put_octal(unsigned char *b, size_t len, int64_t x)
{
	char tmp[24];

	if (!fits_octal(x, len))
		x = 0;
	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(len - 1), (unsigned long long)x);
	memcpy(b, tmp, len - 1);
	b[len - 1] = '\0';
}

/* Go's formatString: truncated, NUL-terminated when there is room; a truncated name
 * does not end in '/', which some readers would take for a directory. */
static void put_str(unsigned char *b, size_t len, const char *s, size_t slen)
{
	memcpy(b, s, slen < len ? slen : len);
	if (slen < len)
		b[slen] = '\0';
	if (slen > len && b[len - 1] == '/') {
		size_t n = len - 1;
		while (n > 0 && s[n - 1] == '/')
			n--;
		b[n] = '\0';
	}
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Go's toASCII: drops every byte that is not 7-bit. */
static void to_ascii(struct buf *out, const char *s)
{
	buf_clear(out);
	buf_puts(out, "");
	for (; *s; s++)
		if ((unsigned char)*s < 0x80)
			buf_putc(out, *s);
}

/* Go's splitUSTARPath: prefix/name at a '/' so that both fit. */
static bool split_ustar(const char *name, size_t *split)
{
	size_t len = strlen(name), n = len;

	if (len <= L_NAME || !is_ascii(name))
		return false;
	if (n > L_PREFIX + 1)
		n = L_PREFIX + 1;
	else if (name[n - 1] == '/')
		n--;
	while (n > 0 && name[n - 1] != '/')
		n--;
	if (n <= 1)
		return false;
	*split = n - 1;
	if (len - n > L_NAME || len - n == 0 || *split > L_PREFIX)
		return false;
	return true;
}

static void finish_block(unsigned char *b)
{
	int64_t u, s;

	memcpy(b + F_MAGIC, "ustar\0" "00", 8);
	tar_checksums(b, &u, &s);
	put_octal(b + F_CHKSUM, 7, u);
	b[F_CHKSUM + 7] = ' ';
}

/* "<len> key=value\n", len counting itself. */
static void pax_record(struct buf *b, const char *k, const char *v)
{
	size_t n = strlen(k) + strlen(v) + 3;
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%zu", n);
	snprintf(tmp, sizeof(tmp), "%zu", n + strlen(tmp));
	buf_printf(b, "%zu %s=%s\n", n + strlen(tmp), k, v);
}

static int pad_to_block(struct tar_writer *w, size_t len)
{
	return emit(w, zeros, (TAR_BLOCK - len % TAR_BLOCK) % TAR_BLOCK);
}

/* The 'x' header before the main one: Go names it <dir>/PaxHeaders.0/<base>. */
static int write_pax(struct tar_writer *w, const char *name, const struct buf *recs)
{
	unsigned char b[TAR_BLOCK] = { 0 };
	const char *slash = strrchr(name, '/');
	size_t dlen = slash ? (size_t)(slash - name) + 1 : 0;
	struct buf hn = BUF_INIT, ascii = BUF_INIT;
	int rc;

	buf_put(&hn, name, dlen);
	buf_puts(&hn, "PaxHeaders.0");
	if (name[dlen])
		buf_printf(&hn, "/%s", name + dlen);
	to_ascii(&ascii, buf_cstr(&hn));
	if (ascii.len > L_NAME)
		ascii.len = L_NAME;
	while (ascii.len && ascii.ptr[ascii.len - 1] == '/')
		ascii.len--;
	b[F_TYPE] = 'x';
	put_str(b + F_NAME, L_NAME, ascii.ptr, ascii.len);
	put_octal(b + F_MODE, L_MODE, 0);
	put_octal(b + F_UID, L_UID, 0);
	put_octal(b + F_GID, L_GID, 0);
	put_octal(b + F_SIZE, L_SIZE, (int64_t)recs->len);
	put_octal(b + F_MTIME, L_MTIME, 0);
	finish_block(b);
	rc = hn.failed || ascii.failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
	buf_dispose(&hn);
	buf_dispose(&ascii);
	if (rc == 0 && (rc = emit(w, b, TAR_BLOCK)) == 0 && (rc = emit(w, recs->ptr, recs->len)) == 0)
		rc = pad_to_block(w, recs->len);
	return rc;
}

static int check_entry(struct tar_writer *w, const struct tar_entry *e)
{
	if (w->failed || w->finished)
		return err_set(CIH_ERR, "tar: writer used after %s", w->failed ? "a failure" : "the end");
	if (w->remaining)
		return broken(w, err_set(CIH_ERR, "tar: '%s': %llu bytes of its data were not written",
					 buf_cstr(&w->name), (unsigned long long)w->remaining));
	if (e->type != TAR_FILE && e->type != TAR_DIR && e->type != TAR_SYMLINK)
		return err_set(CIH_EUSAGE, "tar: '%s': only files, directories and symlinks can be "
			       "written", e->name);
	if (!e->name || !*e->name)
		return err_set(CIH_EUSAGE, "tar: empty entry name");
	buf_clear(&w->name);
	if (buf_puts(&w->name, e->name) == 0 && e->type == TAR_DIR &&
	    w->name.ptr[w->name.len - 1] != '/')
		buf_putc(&w->name, '/');
	if (w->name.failed)
		return broken(w, err_set(CIH_ENOMEM, "out of memory"));
	if (w->name.len > TAR_NAME_MAX || (e->linkname && strlen(e->linkname) > TAR_NAME_MAX))
		return err_set(CIH_ETOOBIG, "tar: '%.64s...': name or link name longer than %d bytes",
			       e->name, TAR_NAME_MAX);
	return 0;
}

int tar_writer_header(struct tar_writer *w, const struct tar_entry *e)
{
	unsigned char b[TAR_BLOCK] = { 0 };
	const char *name, *link = e->linkname ? e->linkname : "";
	size_t nlen, llen = strlen(link), split = 0;
	uint64_t size = e->type == TAR_FILE ? e->size : 0;
	struct buf recs = BUF_INIT, ascii = BUF_INIT;
	char num[24];
	bool ustar = true, name_split = false;
	int rc;

	if ((rc = check_entry(w, e)) < 0)
		return rc;
	name = w->name.ptr;
	nlen = w->name.len;

	/* Go's allowedFormats: the fields USTAR cannot hold go to PAX records, sorted. */
	if (e->gid >= 1u << 21) {
		ustar = false;
		snprintf(num, sizeof(num), "%u", e->gid);
		pax_record(&recs, "gid", num);
	}
	if (llen > L_LINK || !is_ascii(link)) {
		ustar = false;
		pax_record(&recs, "linkpath", link);
	}
	if (!fits_octal(e->mtime, L_MTIME)) {
		ustar = false;
		snprintf(num, sizeof(num), "%lld", (long long)e->mtime);
		pax_record(&recs, "mtime", num);
	}
	if (nlen > L_NAME || !is_ascii(name)) {
		name_split = split_ustar(name, &split);
		ustar = ustar && name_split;
		pax_record(&recs, "path", name);
	}
	if (size >= (uint64_t)1 << 33) {
		ustar = false;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
		pax_record(&recs, "size", num);
	}
	if (e->uid >= 1u << 21) {
		ustar = false;
		snprintf(num, sizeof(num), "%u", e->uid);
		pax_record(&recs, "uid", num);
	}
	if (recs.failed) {
		buf_dispose(&recs);
		return broken(w, err_set(CIH_ENOMEM, "out of memory"));
	}

	b[F_TYPE] = e->type == TAR_DIR ? '5' : e->type == TAR_SYMLINK ? '2' : '0';
	if (ustar) {
		if (name_split) {
			put_str(b + F_PREFIX, L_PREFIX, name, split);
			put_str(b + F_NAME, L_NAME, name + split + 1, nlen - split - 1);
		} else {
			put_str(b + F_NAME, L_NAME, name, nlen);
		}
		put_str(b + F_LINK, L_LINK, link, llen);
	} else {
		if ((rc = write_pax(w, name, &recs)) < 0) {
			buf_dispose(&recs);
			return rc;
		}
		to_ascii(&ascii, name);
		if (!ascii.failed)
			put_str(b + F_NAME, L_NAME, ascii.ptr, ascii.len);
		to_ascii(&ascii, link);
		if (ascii.failed) {
			buf_dispose(&recs);
			buf_dispose(&ascii);
			return broken(w, err_set(CIH_ENOMEM, "out of memory"));
		}
		put_str(b + F_LINK, L_LINK, ascii.ptr, ascii.len);
	}
	buf_dispose(&recs);
	buf_dispose(&ascii);
	put_octal(b + F_MODE, L_MODE, e->mode & 07777);
	put_octal(b + F_UID, L_UID, e->uid);
	put_octal(b + F_GID, L_GID, e->gid);
	put_octal(b + F_SIZE, L_SIZE, size < (uint64_t)1 << 33 ? (int64_t)size : 0);
	put_octal(b + F_MTIME, L_MTIME, e->mtime);
	put_octal(b + F_DEVMAJOR, L_DEVMAJOR, 0);
	put_octal(b + F_DEVMINOR, L_DEVMINOR, 0);
	finish_block(b);
	if ((rc = emit(w, b, TAR_BLOCK)) < 0)
		return rc;
	w->remaining = size;
	w->pad = (unsigned)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
	return 0;
}

int tar_writer_data(struct tar_writer *w, const void *data, size_t len)
{
	int rc;

	if (len > w->remaining)
		return broken(w, err_set(CIH_ERR, "tar: '%s': more data than the %llu bytes left",
					 buf_cstr(&w->name), (unsigned long long)w->remaining));
	if ((rc = emit(w, data, len)) < 0)
		return rc;
	w->remaining -= len;
	if (w->remaining == 0 && w->pad) {
		rc = emit(w, zeros, w->pad);
		w->pad = 0;
	}
	return rc;
}

int tar_writer_file(struct tar_writer *w, const struct tar_entry *e, int fd)
{
	uint64_t done = 0;
	ssize_t n;
	int rc;

	if ((rc = tar_writer_header(w, e)) < 0)
		return rc;
	while (w->remaining) {
		size_t want = w->remaining < BODY_CHUNK ? (size_t)w->remaining : BODY_CHUNK;
		n = read(fd, w->chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return broken(w, err_os("tar: read '%s'", e->name));
		if (n == 0)
			return broken(w, err_set(CIH_ERR, "tar: '%s' shrank while it was archived "
						 "(%llu of %llu bytes)", e->name, (unsigned long long)done,
						 (unsigned long long)e->size));
		if ((rc = tar_writer_data(w, w->chunk, (size_t)n)) < 0)
			return rc;
		done += (uint64_t)n;
	}
	if (e->type == TAR_FILE) {
		do
			n = read(fd, w->chunk, 1);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			return broken(w, err_set(CIH_ERR, "tar: '%s' grew while it was archived (over "
						 "%llu bytes)", e->name, (unsigned long long)e->size));
		if (n < 0)
			return broken(w, err_os("tar: read '%s'", e->name));
	}
	return 0;
}

int tar_writer_finish(struct tar_writer *w)
{
	int rc;

	if (w->failed || w->finished)
		return err_set(CIH_ERR, "tar: writer used after %s", w->failed ? "a failure" : "the end");
	if (w->remaining)
		return broken(w, err_set(CIH_ERR, "tar: '%s': %llu bytes of its data were not written",
					 buf_cstr(&w->name), (unsigned long long)w->remaining));
	if ((rc = emit(w, zeros, sizeof(zeros))) == 0)
		w->finished = 1;
	return rc;
}
