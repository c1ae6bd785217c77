/* Any bytes as a tar stream (odd first byte: as a tar.zst file): every header and
 * body is read, through short reads of a size the input picks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../../archive/tar_read.h"
#include "../../archive/zst_stream.h"

struct mem {
	const uint8_t *p;
	size_t len, pos, step;
};

static ssize_t mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	if (n > m->step)
		n = m->step;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static void read_all(struct tar_reader *r)
{
	const struct tar_entry *e;
	char buf[4096];
	int n = 0;

	while (tar_reader_next(r, &e) == 1 && n++ < 100000) {
		if (strlen(e->name) > TAR_NAME_MAX || strlen(e->linkname) > TAR_NAME_MAX)
			abort();
		while (tar_reader_read(r, buf, sizeof(buf)) > 0)
			;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_reader *r = NULL;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		FILE *f = tmpfile();
		struct zst_reader *z = NULL;
		if (!f)
			abort();
		if (fwrite(data + 1, 1, size - 1, f) != size - 1 || fflush(f) != 0 || fseek(f, 0, SEEK_SET))
			abort();
		if (zst_reader_open(&z, fileno(f), "fuzz.tar.zst") == 0 &&
		    tar_reader_new(&r, zst_source, z, "fuzz.tar.zst") == 0)
			read_all(r);
		tar_reader_free(r);
		zst_reader_free(z);
		fclose(f);
	} else {
		struct mem m = { data + 1, size - 1, 0, data[0] < 2 ? 1 : (size_t)data[0] * 64 };
		if (tar_reader_new(&r, mem_read, &m, "fuzz.tar") == 0)
			read_all(r);
		tar_reader_free(r);
	}
	return 0;
}
