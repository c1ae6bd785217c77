#include "zip.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../helper/error.h"
#include "../helper/bytes.h"
#include "zip_internal.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u
#define MAX_CD_BYTES (512u << 20)

struct zip_reader {
	int fd;
	char *path;
	uint64_t file_size;
	uint64_t cd_offset; /* where entry data must end */
	struct zip_entry *entries;
	size_t count;
};

int zip__corrupt(const struct zip_reader *r, const char *what)
{
	return err_set(CIH_ECORRUPT, "zip '%s': corrupt archive: %s", r->path, what);
}

int zip__read_at(const struct zip_reader *r, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	if (off > r->file_size || len > r->file_size - off)
		return zip__corrupt(r, "a record lies past the end of the file");
	while (done < len) {
		ssize_t n = pread(r->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0)
			return err_os("zip '%s': read", r->path);
		if (n == 0)
			return zip__corrupt(r, "unexpected end of file");
		done += (size_t)n;
	}
	return 0;
}

/* MS-DOS date and time (local fields, read as UTC) to Unix seconds. */
static int64_t dos_time(uint16_t date, uint16_t tm)
{
	struct tm t = { .tm_year = ((date >> 9) & 0x7f) + 80, .tm_mon = ((date >> 5) & 0xf) - 1,
			.tm_mday = date & 0x1f, .tm_hour = tm >> 11, .tm_min = (tm >> 5) & 0x3f,
			.tm_sec = (tm & 0x1f) * 2 };
	return (int64_t)timegm(&t);
}

static uint64_t le_n(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* Extra fields: zip64 sizes/offset, 0x5455 mtime, 0x7875 owner. */
static int parse_extra(struct zip_reader *r, struct zip_entry *e, const unsigned char *p, size_t len,
		       bool need64_size, bool need64_comp, bool need64_off)
{
	while (len >= 4) {
		uint16_t id = rd_le16(p), sz = rd_le16(p + 2);
		const unsigned char *d = p + 4;

		if ((size_t)sz > len - 4)
			return zip__corrupt(r, "an extra field runs past its header");
		if (id == 0x0001) {
			size_t need = 8 * (need64_size + need64_comp + need64_off), at = 0;
			if (sz < need)
				return zip__corrupt(r, "zip64 extra field too short");
			if (need64_size)
				e->size = rd_le64(d + at), at += 8;
			if (need64_comp)
				e->comp_size = rd_le64(d + at), at += 8;
			if (need64_off)
				e->local_offset = rd_le64(d + at);
			need64_size = need64_comp = need64_off = false;
		} else if (id == 0x5455 && sz >= 5 && (d[0] & 1)) {
			e->mtime = (int64_t)rd_le32(d + 1);
		} else if (id == 0x7875 && sz >= 3 && d[0] == 1) {
			size_t ul = d[1];
			if (ul <= 8 && (size_t)2 + ul + 1 <= sz) {
				size_t gl = d[2 + ul];
				if (gl <= 8 && 3 + ul + gl <= sz) {
					e->uid = (uint32_t)le_n(d + 2, ul);
					e->gid = (uint32_t)le_n(d + 3 + ul, gl);
					e->has_owner = true;
				}
			}
		}
		p += 4 + sz;
		len -= 4 + (size_t)sz;
	}
	if (need64_size || need64_comp || need64_off)
		return zip__corrupt(r, "zip64 values missing");
	return 0;
}

static int find_eocd(struct zip_reader *r, uint64_t *count, uint64_t *cd_size, uint64_t *cd_off)
{
	size_t tail = r->file_size < 65557 ? (size_t)r->file_size : 65557;
	unsigned char *buf = malloc(tail ? tail : 1), *e = NULL;
	uint64_t eocd_pos = 0;
	int rc;

	if (!buf)
		return err_set(CIH_ENOMEM, "out of memory");
	if (tail < 22 || (rc = zip__read_at(r, buf, tail, r->file_size - tail)) < 0) {
		free(buf);
		return err_set(CIH_ECORRUPT, "zip '%s': not a zip archive (no end of central directory)",
			       r->path);
	}
	for (size_t i = tail - 22 + 1; i-- > 0;) {
		if (rd_le32(buf + i) == SIG_EOCD && 22 + (size_t)rd_le16(buf + i + 20) <= tail - i) {
			e = buf + i;
			eocd_pos = r->file_size - tail + i;
			break;
		}
	}
	if (!e) {
		free(buf);
		return err_set(CIH_ECORRUPT, "zip '%s': not a zip archive (no end of central directory)",
			       r->path);
	}
	if (rd_le16(e + 4) != 0 || rd_le16(e + 6) != 0) {
		free(buf);
		return err_set(CIH_ECORRUPT, "zip '%s': multi-disk archives are not supported", r->path);
	}
	*count = rd_le16(e + 10);
	*cd_size = rd_le32(e + 12);
	*cd_off = rd_le32(e + 16);
	r->cd_offset = eocd_pos;
	if ((*count == 0xffff || *cd_size == 0xffffffffu || *cd_off == 0xffffffffu) && eocd_pos >= 20) {
		unsigned char loc[20], z[56];
		if ((rc = zip__read_at(r, loc, 20, eocd_pos - 20)) == 0 && rd_le32(loc) == SIG_LOCATOR64) {
			uint64_t z_off = rd_le64(loc + 8);
			if ((rc = zip__read_at(r, z, 56, z_off)) < 0 || rd_le32(z) != SIG_EOCD64) {
				free(buf);
				return zip__corrupt(r, "bad zip64 end of central directory");
			}
			*count = rd_le64(z + 32);
			*cd_size = rd_le64(z + 40);
			*cd_off = rd_le64(z + 48);
			r->cd_offset = z_off;
		}
	}
	free(buf);
	if (*cd_off > r->cd_offset || *cd_size > r->cd_offset - *cd_off)
		return zip__corrupt(r, "the central directory lies outside the file");
	if (*cd_size > MAX_CD_BYTES)
		return err_set(CIH_ETOOBIG, "zip '%s': central directory too large", r->path);
	if (*count > *cd_size / 46)
		return zip__corrupt(r, "more entries than the central directory can hold");
	r->cd_offset = *cd_off;
	return 0;
}

static int parse_central(struct zip_reader *r, const unsigned char *cd, size_t cd_size, uint64_t count)
{
	size_t pos = 0;
	int rc;

	if (!(r->entries = calloc(count ? count : 1, sizeof(*r->entries))))
		return err_set(CIH_ENOMEM, "out of memory");
	for (uint64_t i = 0; i < count; i++) {
		struct zip_entry *e = &r->entries[i];
		const unsigned char *h = cd + pos;
		size_t nlen, xlen, clen;

		if (cd_size - pos < 46 || rd_le32(h) != SIG_CENTRAL)
			return zip__corrupt(r, "bad central directory entry");
		nlen = rd_le16(h + 28);
		xlen = rd_le16(h + 30);
		clen = rd_le16(h + 32);
		if (46 + nlen + xlen + clen > cd_size - pos)
			return zip__corrupt(r, "a central directory entry runs past its end");
		r->count++;
		e->flags = rd_le16(h + 8);
		e->method = rd_le16(h + 10);
		e->mtime = dos_time(rd_le16(h + 14), rd_le16(h + 12));
		e->crc = rd_le32(h + 16);
		e->comp_size = rd_le32(h + 20);
		e->size = rd_le32(h + 24);
		e->local_offset = rd_le32(h + 42);
		if ((rd_le16(h + 4) >> 8) == 3) /* made by Unix: st_mode in the high bits */
			e->mode = rd_le32(h + 38) >> 16;
		if (!nlen || memchr(h + 46, '\0', nlen))
			return err_set(CIH_EUNSAFE, "zip '%s': entry %llu has an invalid name (empty or NUL)",
				       r->path, (unsigned long long)i);
		if (!(e->name = malloc(nlen + 1)))
			return err_set(CIH_ENOMEM, "out of memory");
		memcpy(e->name, h + 46, nlen);
		e->name[nlen] = '\0';
		if ((rc = parse_extra(r, e, h + 46 + nlen, xlen, e->size == 0xffffffffu,
				      e->comp_size == 0xffffffffu, e->local_offset == 0xffffffffu)) < 0)
			return rc;
		pos += 46 + nlen + xlen + clen;
	}
	return 0;
}

static int cmp_offset(const void *a, const void *b)
{
	const struct zip_entry *x = *(const struct zip_entry *const *)a, *y = *(const struct zip_entry *const *)b;
	return x->local_offset < y->local_offset ? -1 : x->local_offset > y->local_offset;
}

/* Every entry's local header and data must own its bytes: entries sharing data are
 * how a small archive claims petabytes (David Fifield's "better zip bomb"). */
static int check_overlap(struct zip_reader *r)
{
	const struct zip_entry **v = malloc((r->count ? r->count : 1) * sizeof(*v));
	int rc = 0;

	if (!v)
		return err_set(CIH_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->count; i++)
		v[i] = &r->entries[i];
	qsort(v, r->count, sizeof(*v), cmp_offset);
	for (size_t i = 0; i < r->count && rc == 0; i++) {
		uint64_t end = i + 1 < r->count ? v[i + 1]->local_offset : r->cd_offset;
		uint64_t off = v[i]->local_offset;
		/* a 30-byte local header, then the data, before the next entry begins */
		if (off > end || end - off < 30 || v[i]->comp_size > end - off - 30)
			rc = err_set(CIH_EUNSAFE, "zip '%s': entries overlap or run into the central "
				     "directory ('%s'): refusing a possible zip bomb", r->path, v[i]->name);
	}
	free(v);
	return rc;
}

int zip_reader_open(struct zip_reader **out, int fd, const char *path)
{
	struct zip_reader *r = calloc(1, sizeof(*r));
	uint64_t count = 0, cd_size = 0, cd_off = 0;
	unsigned char *cd = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	r->fd = fd;
	if (fstat(fd, &st) < 0) {
		rc = err_os("zip '%s': stat", path);
		goto fail;
	}
	r->file_size = (uint64_t)st.st_size;
	if ((rc = find_eocd(r, &count, &cd_size, &cd_off)) < 0)
		goto fail;
	if (!(cd = malloc(cd_size ? cd_size : 1))) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = zip__read_at(r, cd, cd_size, cd_off)) < 0 ||
	    (rc = parse_central(r, cd, cd_size, count)) < 0 || (rc = check_overlap(r)) < 0)
		goto fail;
	free(cd);
	*out = r;
	return 0;
fail:
	free(cd);
	zip_reader_free(r);
	return rc;
}

size_t zip_reader_count(const struct zip_reader *r)
{
	return r->count;
}

const struct zip_entry *zip_reader_entry(const struct zip_reader *r, size_t i)
{
	return i < r->count ? &r->entries[i] : NULL;
}

void zip_reader_free(struct zip_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		free(r->entries[i].name);
	free(r->entries);
	free(r->path);
	free(r);
}

const char *zip__path(const struct zip_reader *r)
{
	return r->path;
}

uint64_t zip__data_end(const struct zip_reader *r)
{
	return r->cd_offset;
}
