/* git's delta format: source-size and target-size varints, then ops. A copy op
 * (0x80 | which offset/size bytes follow) copies from the base, an insert op
 * (1..127) copies that many literal bytes; op 0 is reserved. Pack data is
 * untrusted, so every size and range is checked. No libgit2 here (fuzzed alone). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/error.h"
#include "gpack.h"

static int read_varint(const unsigned char **p, const unsigned char *end, size_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;
	unsigned char c;

	do {
		if (*p >= end)
			return err_set(CIH_ECORRUPT, "delta: truncated size header");
		c = *(*p)++;
		if (shift > 63 || (shift && (uint64_t)(c & 0x7f) >> (64 - shift)))
			return err_set(CIH_ECORRUPT, "delta: size header overflows");
		x |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	if (x > SIZE_MAX)
		return err_set(CIH_ECORRUPT, "delta: size header overflows");
	*v = (size_t)x;
	return 0;
}

int gpack_delta_sizes(const unsigned char *delta, size_t delta_len, size_t *src_size,
		      size_t *tgt_size, size_t *hdr_len)
{
	const unsigned char *p = delta, *end = delta + delta_len;
	int rc;

	if ((rc = read_varint(&p, end, src_size)) < 0 || (rc = read_varint(&p, end, tgt_size)) < 0)
		return rc;
	*hdr_len = (size_t)(p - delta);
	return 0;
}

/* The most output ops_len bytes of ops can make: one byte per op at best, each op
 * at most 127 literal bytes or 0xffffff bytes of the base. Refusing more keeps a
 * hostile header from asking for a huge allocation. */
static int check_target(size_t ops_len, size_t base_len, size_t tgt_size)
{
	size_t per_op = base_len < 0xffffff ? base_len : 0xffffff;

	if (per_op < 127)
		per_op = 127;
	if (ops_len && tgt_size / ops_len > per_op)
		return err_set(CIH_ECORRUPT, "delta: target size %zu is more than its %zu bytes of ops can produce",
			       tgt_size, ops_len);
	if (!ops_len && tgt_size)
		return err_set(CIH_ECORRUPT, "delta: target size %zu but no ops", tgt_size);
	return 0;
}

/* A copy op's offset and size bytes, as its flag bits say; size 0 means 0x10000. */
static int read_copy(unsigned char cmd, const unsigned char **p, const unsigned char *end, size_t *off,
		     size_t *size)
{
	uint32_t o = 0, s = 0;

	for (unsigned i = 0; i < 7; i++) {
		if (!(cmd & (1u << i)))
			continue;
		if (*p >= end)
			return err_set(CIH_ECORRUPT, "delta: truncated copy op");
		if (i < 4)
			o |= (uint32_t)*(*p)++ << (8 * i);
		else
			s |= (uint32_t)*(*p)++ << (8 * (i - 4));
	}
	*off = o;
	*size = s ? s : 0x10000;
	return 0;
}

static int run_ops(const unsigned char *base, size_t base_len, const unsigned char *p,
		   const unsigned char *end, unsigned char *out, size_t tgt_size)
{
	size_t pos = 0, off = 0, size = 0;
	int rc;

	while (p < end) {
		unsigned char cmd = *p++;

		if (cmd & 0x80) {
			if ((rc = read_copy(cmd, &p, end, &off, &size)) < 0)
				return rc;
			if (off > base_len || size > base_len - off)
				return err_set(CIH_ECORRUPT, "delta: copy of %zu bytes at %zu is outside the %zu-byte base",
					       size, off, base_len);
			if (size > tgt_size - pos)
				return err_set(CIH_ECORRUPT, "delta: copy runs past the %zu-byte target", tgt_size);
			memcpy(out + pos, base + off, size);
		} else if (cmd) {
			size = cmd;
			if (size > (size_t)(end - p))
				return err_set(CIH_ECORRUPT, "delta: truncated insert op");
			if (size > tgt_size - pos)
				return err_set(CIH_ECORRUPT, "delta: insert runs past the %zu-byte target", tgt_size);
			memcpy(out + pos, p, size);
			p += size;
		} else {
			return err_set(CIH_ECORRUPT, "delta: reserved op 0");
		}
		pos += size;
	}
	if (pos != tgt_size)
		return err_set(CIH_ECORRUPT, "delta: result has %zu bytes, header says %zu", pos, tgt_size);
	return 0;
}

int gpack_delta_target(const unsigned char *delta, size_t delta_len, size_t base_len, size_t *tgt_size)
{
	size_t src, hdr;
	int rc;

	if ((rc = gpack_delta_sizes(delta, delta_len, &src, tgt_size, &hdr)) < 0)
		return rc;
	if (src != base_len)
		return err_set(CIH_ECORRUPT, "delta: source size %zu, base has %zu bytes", src, base_len);
	return check_target(delta_len - hdr, base_len, *tgt_size);
}

int gpack_delta_apply_into(const unsigned char *base, size_t base_len, const unsigned char *delta,
			   size_t delta_len, unsigned char *out, size_t tgt_size)
{
	size_t src, tgt, hdr;
	int rc;

	if ((rc = gpack_delta_sizes(delta, delta_len, &src, &tgt, &hdr)) < 0)
		return rc;
	if (src != base_len)
		return err_set(CIH_ECORRUPT, "delta: source size %zu, base has %zu bytes", src, base_len);
	if (tgt != tgt_size)
		return err_set(CIH_ECORRUPT, "delta: target size %zu, expected %zu", tgt, tgt_size);
	return run_ops(base, base_len, delta + hdr, delta + delta_len, out, tgt_size);
}

int gpack_delta_apply(const unsigned char *base, size_t base_len, const unsigned char *delta,
		      size_t delta_len, unsigned char **out, size_t *out_len)
{
	unsigned char *buf;
	size_t tgt;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = gpack_delta_target(delta, delta_len, base_len, &tgt)) < 0)
		return rc;
	if (!(buf = malloc(tgt + 1)))
		return err_set(CIH_ENOMEM, "delta: out of memory for %zu bytes", tgt);
	if ((rc = gpack_delta_apply_into(base, base_len, delta, delta_len, buf, tgt)) < 0) {
		free(buf);
		return rc;
	}
	buf[tgt] = '\0';
	*out = buf;
	*out_len = tgt;
	return 0;
}
