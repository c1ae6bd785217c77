#include "tar_read.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "tar_format.h"

#define SKIP_CHUNK (64u << 10)

enum format { FMT_V7, FMT_USTAR, FMT_GNU, FMT_STAR };

/* What the PAX 'x' header and the GNU 'L' and 'K' headers before an entry set. */
struct pending {
	struct buf path, linkpath, longname, longlink;
	bool has_path, has_linkpath, has_longname, has_longlink;
	bool has_size, has_uid, has_gid, has_mtime, sparse;
	int64_t size, uid, gid, mtime;
	uint32_t mtime_nsec;
};

struct tar_reader {
	ssize_t (*source)(void *ctx, void *buf, size_t len);
	void *ctx;
	char *name;
	unsigned char blk[TAR_BLOCK];
	uint64_t off;       /* stream bytes consumed, for messages */
	uint64_t remaining; /* body bytes of the current entry not read yet */
	unsigned pad;
	struct buf ename, elink, special;
	struct pending pend;
	struct tar_entry entry;
	unsigned char *skip;
	int err;
	bool done;
};

int tar_reader_new(struct tar_reader **out, ssize_t (*source)(void *ctx, void *buf, size_t len),
		   void *ctx, const char *name)
{
	struct tar_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r || !(r->name = strdup(name)) || !(r->skip = malloc(SKIP_CHUNK))) {
		tar_reader_free(r);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	r->source = source;
	r->ctx = ctx;
	*out = r;
	return 0;
}

void tar_reader_free(struct tar_reader *r)
{
	if (!r)
		return;
	buf_dispose(&r->pend.path);
	buf_dispose(&r->pend.linkpath);
	buf_dispose(&r->pend.longname);
	buf_dispose(&r->pend.longlink);
	buf_dispose(&r->ename);
	buf_dispose(&r->elink);
	buf_dispose(&r->special);
	free(r->skip);
	free(r->name);
	free(r);
}

static int bad(struct tar_reader *r, const char *what)
{
	return err_set(CIH_ECORRUPT, "tar '%s': corrupt archive at byte %llu: %s", r->name,
		       (unsigned long long)r->off, what);
}

static int truncated(struct tar_reader *r)
{
	return err_set(CIH_ECORRUPT, "tar '%s': truncated archive (the stream ends at byte %llu, "
		       "inside an entry)", r->name, (unsigned long long)r->off);
}

/* Fewer than len bytes only at the end of the stream. */
static ssize_t read_full(struct tar_reader *r, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = r->source(r->ctx, (char *)buf + got, len - got);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		if ((size_t)n > len - got)
			return err_set(CIH_ERR, "tar '%s': the source returned too many bytes", r->name);
		got += (size_t)n;
	}
	r->off += got;
	return (ssize_t)got;
}

static int skip(struct tar_reader *r, uint64_t n)
{
	while (n) {
		size_t want = n < SKIP_CHUNK ? (size_t)n : SKIP_CHUNK;
		ssize_t got = read_full(r, r->skip, want);
		if (got < 0)
			return (int)got;
		if ((size_t)got < want)
			return truncated(r);
		n -= want;
	}
	return 0;
}

/* Reads what follows the end of the archive (zero padding, usually) so that a
 * compressed source gets to verify its checksum. */
static int drain(struct tar_reader *r)
{
	ssize_t got;

	do
		got = read_full(r, r->skip, SKIP_CHUNK);
	while (got == SKIP_CHUNK);
	return got < 0 ? (int)got : 0;
}

/* Go's parseOctal: spaces and NULs trimmed on both sides, digits up to a NUL. */
static int64_t parse_octal(const unsigned char *b, size_t len, bool *err)
{
	size_t i = 0, j = len;
	uint64_t x = 0;

	while (i < j && (b[i] == ' ' || b[i] == '\0'))
		i++;
	while (j > i && (b[j - 1] == ' ' || b[j - 1] == '\0'))
		j--;
	for (; i < j && b[i]; i++) {
		if (b[i] < '0' || b[i] > '7' || x >> 61) {
			*err = true;
			return 0;
		}
		x = x << 3 | (uint64_t)(b[i] - '0');
	}
	if (x >> 63) {
		*err = true;
		return 0;
	}
	return (int64_t)x;
}

/* Octal, or GNU base-256: the high bit set, then a big-endian two's complement. */
static int64_t parse_numeric(const unsigned char *b, size_t len, bool *err)
{
	unsigned char inv;
	uint64_t x = 0;

	if (!(b[0] & 0x80))
		return parse_octal(b, len, err);
	inv = b[0] & 0x40 ? 0xff : 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = b[i] ^ inv;
		if (i == 0)
			c &= 0x7f;
		if (x >> 56) {
			*err = true;
			return 0;
		}
		x = x << 8 | c;
	}
	if (x >> 63) {
		*err = true;
		return 0;
	}
	return inv ? ~(int64_t)x : (int64_t)x;
}

/* Go's strconv.ParseInt(s, 10, 64) on exactly n bytes. */
static bool parse_dec(const char *s, size_t n, int64_t *out)
{
	bool neg = n && s[0] == '-';
	uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	size_t i = n && (s[0] == '-' || s[0] == '+');

	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (lim - (uint64_t)(s[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x) : (int64_t)x;
	return true;
}

/* "seconds[.fraction]", possibly negative: whole seconds rounded down plus nanoseconds. */
static bool parse_pax_time(const char *s, size_t n, int64_t *sec, uint32_t *nsec)
{
	const char *dot = memchr(s, '.', n);
	size_t slen = dot ? (size_t)(dot - s) : n;
	uint32_t ns = 0;

	if (!parse_dec(s, slen, sec))
		return false;
	for (size_t i = slen + 1, d = 0; dot && i < n; i++, d++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (d < 9)
			ns = ns * 10 + (uint32_t)(s[i] - '0');
	}
	for (size_t d = dot ? n - slen - 1 : 0; d < 9; d++)
		ns *= 10;
	if (ns && s[0] == '-') {
		if (*sec == INT64_MIN)
			return false;
		*sec -= 1;
		ns = 1000000000u - ns;
	}
	*nsec = ns;
	return true;
}

static bool is_zero_block(const unsigned char *b)
{
	for (int i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

/* 1: a verified header is in r->blk; 0: the end of the archive. */
static int read_header(struct tar_reader *r)
{
	ssize_t n = read_full(r, r->blk, TAR_BLOCK);
	int64_t u, s, want;
	bool err = false;

	if (n <= 0)
		return (int)n;
	if (n < TAR_BLOCK)
		return truncated(r);
	if (is_zero_block(r->blk)) {
		if ((n = read_full(r, r->blk, TAR_BLOCK)) <= 0)
			return (int)n;
		if (n < TAR_BLOCK)
			return truncated(r);
		if (is_zero_block(r->blk))
			return 0;
		return bad(r, "a header follows a single zero block");
	}
	want = parse_octal(r->blk + F_CHKSUM, L_CHKSUM, &err);
	tar_checksums(r->blk, &u, &s);
	if (err || (want != u && want != s))
		return bad(r, "header checksum mismatch");
	return 1;
}

static enum format header_format(const unsigned char *b)
{
	if (!memcmp(b + F_MAGIC, "ustar\0", 6))
		return memcmp(b + F_STAR_TRAILER, "tar\0", 4) ? FMT_USTAR : FMT_STAR;
	if (!memcmp(b + F_MAGIC, "ustar  \0", 8))
		return FMT_GNU;
	return FMT_V7;
}

static size_t field_len(const unsigned char *b, size_t len)
{
	const unsigned char *nul = memchr(b, '\0', len);
	return nul ? (size_t)(nul - b) : len;
}

static void set_str(struct buf *b, const void *s, size_t n)
{
	buf_clear(b);
	buf_put(b, s, n);
}

/* A special file's body ('x', 'g', 'L', 'K') into r->special, NUL-terminated. */
static int read_special(struct tar_reader *r, int64_t size, uint64_t cap, const char *what)
{
	ssize_t got;
	int rc;

	if ((uint64_t)size > cap)
		return err_set(CIH_ETOOBIG, "tar '%s': %s of %lld bytes at byte %llu (the cap is %llu)",
			       r->name, what, (long long)size, (unsigned long long)r->off,
			       (unsigned long long)cap);
	buf_clear(&r->special);
	if ((rc = buf_grow(&r->special, (size_t)size)) < 0)
		return rc;
	if ((got = read_full(r, r->special.ptr, (size_t)size)) < 0)
		return (int)got;
	if (got < size)
		return truncated(r);
	r->special.len = (size_t)size;
	r->special.ptr[size] = '\0';
	return skip(r, (TAR_BLOCK - (uint64_t)size % TAR_BLOCK) % TAR_BLOCK);
}

static int pax_value(struct tar_reader *r, struct pending *p, const char *k, size_t klen,
		     const char *v, size_t vlen)
{
	int64_t x;

#define KEY(s) (klen == sizeof(s) - 1 && !memcmp(k, s, klen))
	if (memchr(k, '\0', klen) || ((KEY("path") || KEY("linkpath") || KEY("uname") ||
				       KEY("gname")) && memchr(v, '\0', vlen)))
		return bad(r, "NUL byte in a PAX record");
	if (vlen == 0) /* keeps the header's value, as Go */
		return 0;
	if (klen > 11 && !memcmp(k, "GNU.sparse.", 11)) {
		p->sparse = true;
	} else if (KEY("path")) {
		set_str(&p->path, v, vlen);
		p->has_path = true;
	} else if (KEY("linkpath")) {
		set_str(&p->linkpath, v, vlen);
		p->has_linkpath = true;
	} else if (KEY("size")) {
		if (!parse_dec(v, vlen, &p->size) || p->size < 0)
			return bad(r, "invalid PAX size");
		p->has_size = true;
	} else if (KEY("uid") || KEY("gid")) {
		if (!parse_dec(v, vlen, &x) || x < 0 || x > UINT32_MAX)
			return bad(r, "invalid or out of range PAX uid or gid");
		*(KEY("uid") ? &p->uid : &p->gid) = x;
		*(KEY("uid") ? &p->has_uid : &p->has_gid) = true;
	} else if (KEY("mtime")) {
		if (!parse_pax_time(v, vlen, &p->mtime, &p->mtime_nsec))
			return bad(r, "invalid PAX mtime");
		p->has_mtime = true;
	}
#undef KEY
	return 0;
}

/* "<len> key=value\n" records, len counting the whole record. */
static int parse_pax(struct tar_reader *r, const char *s, size_t len, struct pending *p)
{
	while (len) {
		size_t i = 0, n = 0;
		const char *kv, *eq;
		int rc;

		while (i < len && s[i] >= '0' && s[i] <= '9' && n <= len)
			n = n * 10 + (size_t)(s[i++] - '0');
		if (i == 0 || i >= len || s[i] != ' ' || n < 5 || n > len || n <= i + 1 ||
		    s[n - 1] != '\n')
			return bad(r, "malformed PAX record");
		kv = s + i + 1;
		if (!(eq = memchr(kv, '=', (size_t)(s + n - 1 - kv))) || eq == kv)
			return bad(r, "malformed PAX record");
		if ((rc = pax_value(r, p, kv, (size_t)(eq - kv), eq + 1, (size_t)(s + n - 1 - eq - 1))) < 0)
			return rc;
		s += n;
		len -= n;
	}
	return 0;
}

static void pending_reset_pax(struct pending *p)
{
	p->has_path = p->has_linkpath = p->has_size = p->has_uid = p->has_gid = false;
	p->has_mtime = p->sparse = false;
}

static int meta_header(struct tar_reader *r, char type, int64_t size)
{
	struct pending *p = &r->pend, ignored = { 0 };
	int rc;

	if (type == 'x' || type == 'g') {
		if ((rc = read_special(r, size, TAR_SPECIAL_MAX, "PAX header")) < 0)
			return rc;
		/* Each 'x' replaces the records of an earlier one; 'g' is only checked. */
		if (type == 'x')
			pending_reset_pax(p);
		rc = parse_pax(r, r->special.ptr, r->special.len, type == 'x' ? p : &ignored);
		buf_dispose(&ignored.path);
		buf_dispose(&ignored.linkpath);
		return rc;
	}
	if ((rc = read_special(r, size, TAR_NAME_MAX + 1,
			       type == 'L' ? "GNU long name" : "GNU long link name")) < 0)
		return rc;
	set_str(type == 'L' ? &p->longname : &p->longlink, r->special.ptr, strlen(r->special.ptr));
	*(type == 'L' ? &p->has_longname : &p->has_longlink) = true;
	return 0;
}

static enum tar_type entry_type(char t, const struct buf *name)
{
	switch (t) {
	case '\0':
		return name->len && name->ptr[name->len - 1] == '/' ? TAR_DIR : TAR_FILE;
	case '0': case '7': return TAR_FILE;
	case '1': return TAR_HARDLINK;
	case '2': return TAR_SYMLINK;
	case '3': return TAR_CHAR;
	case '4': return TAR_BLOCK;
	case '5': return TAR_DIR;
	case '6': return TAR_FIFO;
	default: return TAR_OTHER;
	}
}

/* 0: a meta header was consumed; 1: r->entry is ready. */
static int handle_header(struct tar_reader *r)
{
	const unsigned char *b = r->blk;
	enum format fmt = header_format(b);
	struct pending *p = &r->pend;
	struct tar_entry *e = &r->entry;
	char type = (char)b[F_TYPE];
	bool err = false;
	int64_t size = parse_numeric(b + F_SIZE, L_SIZE, &err);
	int64_t mode = parse_numeric(b + F_MODE, L_MODE, &err);
	int64_t uid = parse_numeric(b + F_UID, L_UID, &err);
	int64_t gid = parse_numeric(b + F_GID, L_GID, &err);
	int64_t mtime = parse_numeric(b + F_MTIME, L_MTIME, &err);
	size_t plen = 0;

	if (fmt != FMT_V7) {
		parse_numeric(b + F_DEVMAJOR, L_DEVMAJOR, &err);
		parse_numeric(b + F_DEVMINOR, L_DEVMINOR, &err);
	}
	if (err)
		return bad(r, "invalid number in a header");
	if (size < 0)
		return bad(r, "negative entry size");
	if (type == 'x' || type == 'g' || type == 'L' || type == 'K')
		return meta_header(r, type, size);

	if (fmt == FMT_USTAR || fmt == FMT_STAR)
		plen = field_len(b + F_PREFIX, fmt == FMT_STAR ? L_STAR_PREFIX : L_PREFIX);
	buf_clear(&r->ename);
	if (plen) {
		buf_put(&r->ename, b + F_PREFIX, plen);
		buf_putc(&r->ename, '/');
	}
	buf_put(&r->ename, b + F_NAME, field_len(b + F_NAME, L_NAME));
	set_str(&r->elink, b + F_LINK, field_len(b + F_LINK, L_LINK));
	/* GNU long names win over PAX records, as in Go. */
	if (p->has_path)
		set_str(&r->ename, p->path.ptr, p->path.len);
	if (p->has_longname && p->longname.len)
		set_str(&r->ename, p->longname.ptr, p->longname.len);
	if (p->has_linkpath)
		set_str(&r->elink, p->linkpath.ptr, p->linkpath.len);
	if (p->has_longlink && p->longlink.len)
		set_str(&r->elink, p->longlink.ptr, p->longlink.len);
	if (r->ename.failed || r->elink.failed)
		return err_set(CIH_ENOMEM, "out of memory");
	if (r->ename.len > TAR_NAME_MAX || r->elink.len > TAR_NAME_MAX)
		return err_set(CIH_ETOOBIG, "tar '%s': entry name or link name '%.64s...' longer than "
			       "%d bytes", r->name, r->ename.len > TAR_NAME_MAX ? r->ename.ptr :
			       r->elink.ptr, TAR_NAME_MAX);
	if (type == 'S' || p->sparse)
		return err_set(CIH_EUNSAFE, "tar '%s': '%s' is a sparse file; sparse entries are not "
			       "supported", r->name, r->ename.ptr);
	if (p->has_size)
		size = p->size;
	if (p->has_uid)
		uid = p->uid;
	if (p->has_gid)
		gid = p->gid;
	if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX)
		return bad(r, "uid or gid out of range");

	memset(e, 0, sizeof(*e));
	e->name = r->ename.ptr;
	e->linkname = r->elink.ptr;
	e->typeflag = type;
	e->type = entry_type(type, &r->ename);
	e->mode = (uint32_t)(mode & 07777);
	e->uid = (uint32_t)uid;
	e->gid = (uint32_t)gid;
	e->mtime = p->has_mtime ? p->mtime : mtime;
	e->mtime_nsec = p->has_mtime ? p->mtime_nsec : 0;
	/* Links, devices, fifos and directories have no body, whatever their size says. */
	e->size = type >= '1' && type <= '6' ? 0 : (uint64_t)size;
	r->remaining = e->size;
	r->pad = (unsigned)((TAR_BLOCK - e->size % TAR_BLOCK) % TAR_BLOCK);
	return 1;
}

static int sticky(struct tar_reader *r, int rc)
{
	if (rc < 0)
		r->err = rc;
	return rc;
}

int tar_reader_next(struct tar_reader *r, const struct tar_entry **entry)
{
	struct pending *p = &r->pend;
	int rc;

	*entry = NULL;
	if (r->err)
		return err_set(r->err, "tar '%s': read after an error", r->name);
	if (r->done)
		return 0;
	if ((rc = skip(r, r->remaining + r->pad)) < 0)
		return sticky(r, rc);
	r->remaining = r->pad = 0;
	pending_reset_pax(p);
	p->has_longname = p->has_longlink = false;
	for (;;) {
		if ((rc = read_header(r)) == 0 && (rc = drain(r)) == 0) {
			r->done = true;
			return 0;
		}
		if (rc < 0)
			return sticky(r, rc);
		if ((rc = handle_header(r)) != 0)
			break;
	}
	if (rc == 1)
		*entry = &r->entry;
	return sticky(r, rc);
}

ssize_t tar_reader_read(struct tar_reader *r, void *buf, size_t len)
{
	ssize_t n;

	if (r->err)
		return err_set(r->err, "tar '%s': read after an error", r->name);
	if (r->remaining == 0 || len == 0)
		return 0;
	if (len > r->remaining)
		len = (size_t)r->remaining;
	if ((n = r->source(r->ctx, buf, len)) < 0)
		return sticky(r, (int)n);
	if (n == 0)
		return sticky(r, truncated(r));
	if ((size_t)n > len)
		return sticky(r, err_set(CIH_ERR, "tar '%s': the source returned too many bytes",
					 r->name));
	r->off += (uint64_t)n;
	r->remaining -= (uint64_t)n;
	return n;
}
