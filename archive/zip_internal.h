#ifndef CIH_ARCHIVE_ZIP_INTERNAL_H
#define CIH_ARCHIVE_ZIP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct zip_reader;

int zip__read_at(const struct zip_reader *r, void *buf, size_t len, uint64_t off);
int zip__corrupt(const struct zip_reader *r, const char *what);
const char *zip__path(const struct zip_reader *r);
/* Where entry data must end: the start of the central directory. */
uint64_t zip__data_end(const struct zip_reader *r);

#endif
