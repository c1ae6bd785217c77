/* The 512-byte tar header block: field offsets and sizes (V7, USTAR, GNU, STAR). */
#ifndef CIH_ARCHIVE_TAR_FORMAT_H
#define CIH_ARCHIVE_TAR_FORMAT_H

#include <stdint.h>

#define TAR_BLOCK 512
#define TAR_SPECIAL_MAX (1u << 20) /* PAX and GNU long-name bodies, as Go */

enum {
	F_NAME = 0, L_NAME = 100,
	F_MODE = 100, L_MODE = 8,
	F_UID = 108, L_UID = 8,
	F_GID = 116, L_GID = 8,
	F_SIZE = 124, L_SIZE = 12,
	F_MTIME = 136, L_MTIME = 12,
	F_CHKSUM = 148, L_CHKSUM = 8,
	F_TYPE = 156,
	F_LINK = 157, L_LINK = 100,
	F_MAGIC = 257, /* "ustar\0" "00" or GNU's "ustar  \0" */
	F_UNAME = 265, L_UNAME = 32,
	F_GNAME = 297, L_GNAME = 32,
	F_DEVMAJOR = 329, L_DEVMAJOR = 8,
	F_DEVMINOR = 337, L_DEVMINOR = 8,
	F_PREFIX = 345, L_PREFIX = 155,
	L_STAR_PREFIX = 131,
	F_STAR_TRAILER = 508, /* "tar\0" */
};

/* The header's sum with the checksum field read as spaces: unsigned and signed bytes
 * (some old tars summed signed chars). */
static inline void tar_checksums(const unsigned char *b, int64_t *u, int64_t *s)
{
	*u = *s = 0;
	for (int i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = i >= F_CHKSUM && i < F_CHKSUM + L_CHKSUM ? ' ' : b[i];
		*u += c;
		*s += (signed char)c;
	}
}

#endif
