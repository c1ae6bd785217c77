/* ZIP reading: the central directory (zip64 aware) and checked entry data. Every
 * length and offset comes from untrusted bytes and is checked before use. */
#ifndef CIH_ARCHIVE_ZIP_H
#define CIH_ARCHIVE_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zip_reader;

struct zip_entry {
	char *name;          /* as stored (NUL-free, checked) */
	uint64_t comp_size;  /* from the central directory, zip64 resolved */
	uint64_t size;
	uint32_t crc;
	uint16_t method;     /* 0 store, 8 deflate, 93 zstd */
	uint16_t flags;
	uint32_t mode;       /* st_mode from Unix external attributes; 0 if none */
	int64_t mtime;       /* 0x5455 when present, else the MS-DOS time (UTC) */
	bool has_owner;      /* 0x7875 */
	uint32_t uid, gid;
	uint64_t local_offset;
};

/* Buffers and decoder state for zip_entry_read, reused across entries by one thread. */
struct zip_scratch;
struct zip_scratch *zip_scratch_new(void);
void zip_scratch_free(struct zip_scratch *s);

int zip_reader_open(struct zip_reader **out, int fd, const char *path);
size_t zip_reader_count(const struct zip_reader *r);
const struct zip_entry *zip_reader_entry(const struct zip_reader *r, size_t i);
/* Streams entry i's uncompressed data to sink, checking that it inflates to exactly
 * its declared size with its CRC-32. sink returns 0 or a negative error. scratch may
 * be NULL (one is made for the call). Safe from several threads with one scratch each. */
int zip_entry_read(struct zip_reader *r, size_t i, struct zip_scratch *scratch,
		   int (*sink)(void *ctx, const void *data, size_t len), void *ctx);
void zip_reader_free(struct zip_reader *r);

#endif
