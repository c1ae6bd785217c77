/* Any bytes as a zip archive: the central directory parser, the name rules and every
 * entry's data path (store, deflate, zstd), with output discarded. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../archive/extract.h"
#include "../../archive/zip.h"

static int discard(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = tmpfile();
	struct zip_reader *r = NULL;
	char clean[PATH_MAX];
	bool is_dir;

	if (!f)
		abort();
	if (fwrite(data, 1, size, f) != size || fflush(f) != 0)
		abort();
	if (zip_reader_open(&r, fileno(f), "fuzz.zip") == 0) {
		for (size_t i = 0; i < zip_reader_count(r) && i < 64; i++) {
			extract_clean_name(clean, sizeof(clean), zip_reader_entry(r, i)->name, &is_dir);
			zip_entry_read(r, i, NULL, discard, NULL);
		}
		zip_reader_free(r);
	}
	fclose(f);
	return 0;
}
