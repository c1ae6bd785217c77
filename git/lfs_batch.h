/* The Git LFS batch API's JSON (git-lfs docs/api/batch.md): the download request
 * body and a strict reading of the reply. Pure functions over bytes, so the
 * fuzzer can drive them. Prefix lfs_batch_. */
#ifndef CIH_GIT_LFS_BATCH_H
#define CIH_GIT_LFS_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lfs_pointer.h"

struct buf;

struct lfs_want {
	char oid[LFS_OID_HEX + 1];
	int64_t size;
};

struct lfs_hdr {
	char *name, *value;
};

struct lfs_action {
	char *href;
	struct lfs_hdr *hdr;
	size_t nhdr;
	int64_t expires; /* unix seconds, 0 when it does not expire */
};

struct lfs_batch_obj {
	char oid[LFS_OID_HEX + 1];
	int64_t size;
	bool authenticated;
	bool has_download;
	bool has_upload; /* an upload batch: the server lacks the object */
	struct lfs_action download;
	int err_code; /* per-object error, 0 when none */
	char *err_msg;
};

struct lfs_batch_reply {
	struct lfs_batch_obj *obj;
	size_t nobj;
};

/* {"operation":"download","transfers":["basic"],"ref":{"name":ref},"objects":[...],
 * "hash_algo":"sha256"}; ref NULL leaves "ref" out. */
int lfs_batch_request(struct buf *out, const char *operation, const char *ref,
		      const struct lfs_want *w, size_t n);
/* Reads a 200 reply. now is the clock for expires_in. CIH_ECORRUPT with a
 * one-line reason for anything malformed: not JSON, a transfer other than
 * basic, a hash other than sha256, a bad oid or size, an href that is not
 * http(s), a header with CR/LF. */
int lfs_batch_parse(const char *json, size_t len, int64_t now, struct lfs_batch_reply *out);
void lfs_batch_reply_dispose(struct lfs_batch_reply *r);
void lfs_batch_obj_dispose(struct lfs_batch_obj *o);
/* The "message" of an error reply (JSON), malloc'd, or NULL. */
char *lfs_batch_error_message(const char *json, size_t len);
/* RFC 3339 ("2006-01-02T15:04:05Z07:00", optional fraction) to unix seconds;
 * -1 when malformed. */
int lfs_parse_rfc3339(const char *s, int64_t *out);

#endif
