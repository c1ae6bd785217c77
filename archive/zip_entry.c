/* One entry's data: located through its local header, inflated, and held to its
 * declared size and CRC-32. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "../helper/bytes.h"
#include "../helper/error.h"
#include "zip.h"
#include "zip_internal.h"

#define CHUNK 65536
#define ZSTD_WINDOW_LOG_MAX 27 /* 128 MiB, as GitLab's decoder */

struct zip_scratch {
	unsigned char in[CHUNK];
	unsigned char out[CHUNK];
	z_stream z;
	bool z_ready;
	ZSTD_DCtx *zd;
};

struct zip_scratch *zip_scratch_new(void)
{
	return calloc(1, sizeof(struct zip_scratch));
}

void zip_scratch_free(struct zip_scratch *s)
{
	if (!s)
		return;
	if (s->z_ready)
		inflateEnd(&s->z);
	ZSTD_freeDCtx(s->zd);
	free(s);
}

struct out {
	int (*sink)(void *ctx, const void *data, size_t len);
	void *ctx;
	const struct zip_entry *e;
	const char *path;
	uint64_t total;
	uint32_t crc;
};

static int emit(struct out *o, const void *data, size_t len)
{
	if (len > o->e->size - o->total)
		return err_set(CIH_EUNSAFE, "zip '%s': '%s' holds more data than the %llu bytes it "
			       "declares", o->path, o->e->name, (unsigned long long)o->e->size);
	o->total += len;
	o->crc = (uint32_t)crc32(o->crc, data, (uInt)len);
	return len ? o->sink(o->ctx, data, len) : 0;
}

static int locate(struct zip_reader *r, const struct zip_entry *e, uint64_t *data_off)
{
	unsigned char h[30];
	char *name;
	size_t nlen;
	int rc;

	if ((rc = zip__read_at(r, h, 30, e->local_offset)) < 0)
		return rc;
	if (rd_le32(h) != 0x04034b50u)
		return zip__corrupt(r, "bad local file header");
	nlen = rd_le16(h + 26);
	if (!(name = malloc(nlen + 1)))
		return err_set(CIH_ENOMEM, "out of memory");
	if ((rc = zip__read_at(r, name, nlen, e->local_offset + 30)) == 0) {
		name[nlen] = '\0';
		if (nlen != strlen(e->name) || memcmp(name, e->name, nlen))
			rc = err_set(CIH_EUNSAFE, "zip '%s': local and central names mismatch for '%s'",
				     zip__path(r), e->name);
	}
	free(name);
	if (rc < 0)
		return rc;
	*data_off = e->local_offset + 30 + nlen + rd_le16(h + 28);
	if (*data_off > zip__data_end(r) || e->comp_size > zip__data_end(r) - *data_off)
		return zip__corrupt(r, "entry data runs into the central directory");
	return 0;
}

static int read_deflated(struct zip_reader *r, struct out *o, uint64_t off, struct zip_scratch *sc)
{
	unsigned char *in = sc->in, *buf = sc->out;
	z_stream *zp = &sc->z;
	uint64_t left = o->e->comp_size;
	int zr = Z_OK, rc = 0;

	if (!sc->z_ready) {
		memset(zp, 0, sizeof(*zp));
		if (inflateInit2(zp, -15) != Z_OK)
			return err_set(CIH_ENOMEM, "zip: cannot start inflate");
		sc->z_ready = true;
	} else if (inflateReset(zp) != Z_OK) {
		return err_set(CIH_ERR, "zip: cannot reset inflate");
	}
	while (zr != Z_STREAM_END && rc == 0) {
		if (zp->avail_in == 0) {
			size_t n = left < CHUNK ? (size_t)left : CHUNK;
			if (n == 0) {
				rc = err_set(CIH_ECORRUPT, "zip '%s': '%s' is truncated (deflate data ends early)",
					     zip__path(r), o->e->name);
				break;
			}
			if ((rc = zip__read_at(r, in, n, off)) < 0)
				break;
			off += n;
			left -= n;
			zp->next_in = in;
			zp->avail_in = (uInt)n;
		}
		zp->next_out = buf;
		zp->avail_out = CHUNK;
		zr = inflate(zp, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			rc = err_set(CIH_ECORRUPT, "zip '%s': '%s': bad deflate data (%s)", zip__path(r),
				     o->e->name, zp->msg ? zp->msg : "error");
			break;
		}
		rc = emit(o, buf, CHUNK - zp->avail_out);
	}
	return rc;
}

static int read_zstd(struct zip_reader *r, struct out *o, uint64_t off, struct zip_scratch *sc)
{
	unsigned char *in = sc->in, *buf = sc->out;
	uint64_t left = o->e->comp_size;
	size_t last = 1;
	int rc = 0;

	if (!sc->zd && (!(sc->zd = ZSTD_createDCtx()) ||
			ZSTD_isError(ZSTD_DCtx_setParameter(sc->zd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))))
		return err_set(CIH_ENOMEM, "zip: cannot start zstd");
	ZSTD_DCtx *d = sc->zd;
	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	while (left && rc == 0) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		ZSTD_inBuffer zin = { in, n, 0 };

		if ((rc = zip__read_at(r, in, n, off)) < 0)
			break;
		off += n;
		left -= n;
		while (zin.pos < zin.size && rc == 0) {
			ZSTD_outBuffer zout = { buf, CHUNK, 0 };
			last = ZSTD_decompressStream(d, &zout, &zin);
			if (ZSTD_isError(last))
				rc = err_set(CIH_ECORRUPT, "zip '%s': '%s': bad zstd data (%s)", zip__path(r),
					     o->e->name, ZSTD_getErrorName(last));
			else
				rc = emit(o, buf, zout.pos);
		}
	}
	/* flush what the decoder still holds */
	while (rc == 0 && last != 0) {
		ZSTD_inBuffer zin = { in, 0, 0 };
		ZSTD_outBuffer zout = { buf, CHUNK, 0 };
		last = ZSTD_decompressStream(d, &zout, &zin);
		if (ZSTD_isError(last) || (zout.pos == 0 && last != 0)) {
			rc = err_set(CIH_ECORRUPT, "zip '%s': '%s' is truncated (zstd data ends early)",
				     zip__path(r), o->e->name);
			break;
		}
		rc = emit(o, buf, zout.pos);
	}
	return rc;
}

int zip_entry_read(struct zip_reader *r, size_t i, struct zip_scratch *scratch,
		   int (*sink)(void *ctx, const void *data, size_t len), void *ctx)
{
	const struct zip_entry *e = zip_reader_entry(r, i);
	struct out o = { sink, ctx, e, zip__path(r), 0, 0 };
	struct zip_scratch *own = NULL, *sc = scratch;
	uint64_t off = 0;
	int rc;

	if (!e)
		return err_set(CIH_ERR, "zip: no entry %zu", i);
	if (e->flags & 1)
		return err_set(CIH_EUNSAFE, "zip '%s': '%s' is encrypted; encrypted entries are not "
			       "supported", zip__path(r), e->name);
	if (e->method != 0 && e->method != 8 && e->method != 93)
		return err_set(CIH_ECORRUPT, "zip '%s': '%s' uses unsupported compression method %u",
			       zip__path(r), e->name, e->method);
	if ((rc = locate(r, e, &off)) < 0)
		return rc;
	if (!sc && !(sc = own = zip_scratch_new()))
		return err_set(CIH_ENOMEM, "out of memory");
	if (e->method == 8) {
		rc = read_deflated(r, &o, off, sc);
	} else if (e->method == 93) {
		rc = read_zstd(r, &o, off, sc);
	} else if (e->comp_size != e->size) {
		rc = err_set(CIH_ECORRUPT, "zip '%s': '%s': stored size mismatch", zip__path(r), e->name);
	} else {
		for (uint64_t left = e->comp_size; left && rc == 0;) {
			size_t n = left < CHUNK ? (size_t)left : CHUNK;
			if ((rc = zip__read_at(r, sc->in, n, off)) == 0)
				rc = emit(&o, sc->in, n);
			off += n;
			left -= n;
		}
	}
	if (rc == 0 && o.total != e->size)
		rc = err_set(CIH_ECORRUPT, "zip '%s': '%s': size mismatch (%llu of %llu bytes)",
			     zip__path(r), e->name, (unsigned long long)o.total,
			     (unsigned long long)e->size);
	if (rc == 0 && o.crc != e->crc)
		rc = err_set(CIH_ECORRUPT, "zip '%s': '%s': checksum mismatch (CRC-32 %08x, want %08x)",
			     zip__path(r), e->name, o.crc, e->crc);
	zip_scratch_free(own);
	return rc;
}
