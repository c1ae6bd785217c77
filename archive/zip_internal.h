#ifndef CIH_ARCHIVE_ZIP_INTERNAL_H
#define CIH_ARCHIVE_ZIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zip_reader;

int zip__read_at(const struct zip_reader *r, void *buf, size_t len, uint64_t off);
int zip__corrupt(const struct zip_reader *r, const char *what);
const char *zip__path(const struct zip_reader *r);
/* Where entry data must end: the start of the central directory. */
uint64_t zip__data_end(const struct zip_reader *r);

/* The compressing pool of the writer: the contents of the regular, non-empty items
 * cut into chunks (a file bigger than one chunk is several independent pieces of one
 * deflate stream, pigz style, or several zstd frames), compressed by threads and
 * handed back strictly in order. */
struct sel_entry;
struct zip_pool;

enum zip_pool_method { ZIP_POOL_STORE, ZIP_POOL_DEFLATE, ZIP_POOL_ZSTD };

struct zip_chunk {
	size_t item;               /* index into the items given to zip__pool_start */
	bool first, last;
	const unsigned char *data; /* compressed (or raw when stored) */
	size_t len;
	uint64_t raw_len;          /* bytes read from the file */
	uint32_t crc;              /* CRC-32 of those bytes */
	bool stored;               /* a whole small file kept raw: it did not shrink */
};

/* items[i] with a regular type and a size > 0 are read, in order. store_small: a
 * file of one chunk that does not shrink is handed back raw (stored). */
int zip__pool_start(struct zip_pool **out, const struct sel_entry *const *items, size_t n,
		    enum zip_pool_method method, int level, int concurrency, bool store_small);
/* How many chunks an item of this size is cut into. */
uint64_t zip__pool_chunks(const struct zip_pool *p, uint64_t size);
/* The next chunk in order (blocks); valid until the next call. */
int zip__pool_next(struct zip_pool *p, struct zip_chunk *c);
void zip__pool_stop(struct zip_pool *p);

#endif
