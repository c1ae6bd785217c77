/* What the Git LFS files share: the local object store, the endpoint, the API
 * client and the transfer queue. Prefix lfs_. */
#ifndef CIH_GIT_LFS_INTERNAL_H
#define CIH_GIT_LFS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <git2.h>
#include <git2/sys/errors.h>
#include <mbedtls/sha256.h>

#include "../net/http.h"
#include "gcred.h"
#include "lfs_batch.h"
#include "lfs_pointer.h"

struct buf;

#define LFS_VERSION "3.6.1"
#define LFS_MEDIA_TYPE "application/vnd.git-lfs+json"

/* --- lfs_store.c: <gitdir>/lfs (or lfs.storage) --- */
struct lfs_store {
	char *root;   /* .../lfs */
	char *shared; /* the outermost superproject's lfs dir, when this is a submodule */
};
int lfs_store_open(struct lfs_store *s, git_repository *repo, git_config *cfg);
void lfs_store_dispose(struct lfs_store *s);
/* root/objects/aa/bb/<oid> (malloc'd) */
char *lfs_store_object_path(const char *root, const char *oid);
/* The object is there with that size; taken from the shared store (hard link, or
 * copy across file systems) when only that one has it. */
bool lfs_store_has(const struct lfs_store *s, const char *oid, int64_t size);
/* root/incomplete/<oid>.part, its directory made (malloc'd); NULL + error. */
char *lfs_store_part_path(const struct lfs_store *s, const char *oid);
/* Moves a verified part into objects/ (and links it into the shared store). */
int lfs_store_commit(const struct lfs_store *s, const char *part, const char *oid);
/* Copies the rest of in to out (copy_file_range, else read/write). */
int lfs_copy_fd(int in, int out);
/* A new temp file in root/tmp (path in *tmp, malloc'd): fd or < 0. */
int lfs_store_tmpfile(const struct lfs_store *s, char **tmp);

/* git-lfs's lfs.repositoryformatversion: set to 0 in the repository's own config
 * when missing; any other value refuses the repository. */
int lfs_repo_version_check(git_repository *repo);

/* --- lfs_clean.c: content in, pointer out, the content stored --- */
struct lfs_cleaner {
	const struct lfs_store *s;
	int fd;
	char *tmp;
	mbedtls_sha256_context sha;
	int64_t size;
	char head[LFS_POINTER_MAX];
	size_t nhead;
};
/* A temp file in the store's tmp/ takes the content as it is fed. */
int lfs_cleaner_begin(struct lfs_cleaner *c, const struct lfs_store *s);
int lfs_cleaner_feed(struct lfs_cleaner *c, const void *data, size_t len);
/* The pointer text into text (LFS_POINTER_MAX + 64 is enough): its length, or < 0.
 * A pointer fed as content is given back unchanged; other content enters the store. */
int lfs_cleaner_finish(struct lfs_cleaner *c, char *text, size_t size);
/* Safe after a failed begin, and twice. */
void lfs_cleaner_dispose(struct lfs_cleaner *c);

/* --- lfs_endpoint.c --- */
struct lfs_endpoint {
	char *url;  /* no user info, no trailing '/' */
	char *user; /* from the URL, decoded; may be NULL */
	char *pass;
	char *remote; /* the remote it came from, or NULL */
};
/* remote NULL: the default one. The message says why when none is found. */
int lfs_endpoint_find(git_repository *repo, git_config *cfg, const char *remote, struct lfs_endpoint *ep);
void lfs_endpoint_dispose(struct lfs_endpoint *ep);
/* A key from the configuration, else from .lfsconfig (the keys git-lfs takes from
 * there); malloc'd or NULL. */
char *lfs_config_get(git_repository *repo, git_config *cfg, const char *key);
int64_t lfs_config_int(git_repository *repo, git_config *cfg, const char *key, int64_t def);

/* --- lfs_client.c: the batch API and the HTTP settings of the endpoint --- */
struct lfs_client {
	struct lfs_endpoint ep;
	git_config *cfg; /* borrowed */
	char *ref;       /* the batch's "ref", or NULL */
	struct httpc_opts hopts;
	struct httpc *http; /* the TLS configurations every thread's client shares */
	char *ca, *cert, *key;
	char *ua;
	struct lfs_hdr *extra; /* http.extraHeader values that apply */
	size_t nextra;
	pthread_mutex_t mu; /* guards what follows */
	char *auth;         /* "Basic ..." once known */
	struct gcred cred;
	int cred_state; /* 0 none asked, 1 from a helper, 2 refused */
	int max_retries;
	int64_t max_retry_delay_ms;
	int concurrency;
};
int lfs_client_init(struct lfs_client *c, git_repository *repo, git_config *cfg, const char *remote);
void lfs_client_dispose(struct lfs_client *c);
/* One batch request of n objects (at most 100), with the API's retries and
 * credential rounds. h is the calling thread's HTTP client. */
int lfs_client_batch(struct lfs_client *c, struct httpc *h, const struct lfs_want *w, size_t n,
		     struct lfs_batch_reply *out);
/* The same for another operation ("upload": which objects the server lacks). */
int lfs_client_batch_op(struct lfs_client *c, struct httpc *h, const char *op, const struct lfs_want *w,
			size_t n, struct lfs_batch_reply *out);
/* Adds the endpoint's Authorization to hdr when url is on its origin. */
bool lfs_client_same_origin(const struct lfs_client *c, const char *url);
int lfs_client_new_http(struct lfs_client *c, struct httpc **out);
/* Copies the Authorization value (or NULL) under the lock; free it. */
char *lfs_client_auth(struct lfs_client *c);

struct retry_policy;
/* Sleeps before retry `attempt` (Retry-After first, else backoff up to max_ms). */
void lfs_retry_sleep(const struct retry_policy *pol, int attempt, const char *retry_after);

/* --- lfs_xfer.c: downloads --- */
struct lfs_xfer_obj {
	struct lfs_want w;
	int err;        /* 0, or < 0 when it failed */
	char *err_msg;  /* one line, for the summary */
	bool batch_failed; /* the batch request itself failed (one message for all) */
	bool downloaded;
};
/* Called from a worker once the object is in the store. */
typedef void (*lfs_xfer_done_fn)(void *ctx, struct lfs_xfer_obj *o);
struct lfs_xfer_stats {
	int64_t bytes;
	int files;
	int failed;
	int64_t started_ms;
};
/* Downloads the n objects (unique oids, none of them local yet) with
 * c->concurrency workers; 0 when all arrived, else CIH_ERR with each failure
 * in its o[i].err_msg. */
int lfs_xfer_download(struct lfs_client *c, const struct lfs_store *s, struct lfs_xfer_obj *o, size_t n,
		      lfs_xfer_done_fn done, void *ctx, struct lfs_xfer_stats *st);
/* git-lfs's humanize.FormatBytes: "512 B", "2.1 MB", "14 MB" (powers of 1000). */
void lfs_human_bytes(struct buf *out, double v);
/* "Downloading LFS objects: 100% (n/n), 2.1 MB | 1.0 MB/s" */
void lfs_xfer_summary(const struct lfs_xfer_stats *st, int total, struct buf *out);

#endif
