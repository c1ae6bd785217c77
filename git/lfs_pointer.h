/* Git LFS pointer files (git-lfs docs/spec.md), parsed strictly: a text under
 * 1024 bytes made of "key value\n" lines, `version` first with one of the v1
 * URLs, then `ext-<digit>-<name> sha256:<hex>` lines in ascending priority,
 * `oid sha256:<64 lowercase hex>`, `size <decimal>`, nothing else. The empty text
 * is the pointer of the empty file. Anything else is not a pointer (the file
 * is then ordinary content, never an error). Prefix lfs_. */
#ifndef CIH_GIT_LFS_POINTER_H
#define CIH_GIT_LFS_POINTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LFS_POINTER_MAX 1024 /* a pointer is shorter than this */
#define LFS_OID_HEX 64
#define LFS_EXT_MAX 10       /* priorities are single digits */
#define LFS_EXT_NAME_MAX 64

struct lfs_ext {
	int priority;
	char name[LFS_EXT_NAME_MAX + 1];
	char oid[LFS_OID_HEX + 1];
};

struct lfs_pointer {
	char oid[LFS_OID_HEX + 1];
	int64_t size;
	int next;
	struct lfs_ext ext[LFS_EXT_MAX];
};

/* 1 when data is a pointer (p filled), 0 when it is not. */
int lfs_pointer_parse(const void *data, size_t len, struct lfs_pointer *p);
/* The canonical text (the latest version URL); 0 bytes for the empty file.
 * Returns the length written, or < 0 when out is too small. */
int lfs_pointer_format(const struct lfs_pointer *p, char *out, size_t outsz);
/* sha256 hex of nothing: the oid of the empty file. */
extern const char lfs_empty_oid[LFS_OID_HEX + 1];
/* A sha256 digest as an oid. */
void lfs_oid_hex(const unsigned char digest[32], char out[LFS_OID_HEX + 1]);
/* 64 lowercase hex digits. */
bool lfs_oid_valid(const char *s, size_t len);

#endif
