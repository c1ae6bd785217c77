/* What cache-archiver and cache-extractor share (runner-helper-cli.md 1.1.2, 1.4, 1.5,
 * 3.4): tuning values, the XML-aware status error, metadata.json, temp files next to
 * the archive, and the simple retry loop. */
#ifndef CIH_CACHE_H
#define CIH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct httpc_response;

#define CACHE_DEFAULT_BUFFER (4 << 20)
#define CACHE_DEFAULT_CHUNK (16 << 20)
#define CACHE_DEFAULT_CONCURRENCY 16

struct cache_tuning {
	int64_t buffer_size, chunk_size, concurrency;
};

/* 0 becomes the default (concurrency only when normalise_concurrency), then the
 * upstream checks; the fatal text as upstream on failure. */
int cache_tuning_check(struct cache_tuning *t, bool normalise_concurrency);

/* An error and whether the retry loop may try again. */
struct cache_outcome {
	int rc;
	bool retryable;
	bool not_found;
};

/* retry_helper.go: up to `retry` more attempts for retryable failures, sleeping
 * retry_time_ns before each and logging "Retrying..." with the error. */
struct cache_outcome cache_retry(struct cache_outcome (*attempt)(void *ctx), void *ctx,
				 int64_t retry, int64_t retry_time_ns);

/* "received: 503 Service Unavailable[. Request failed with code: C, message: M]"
 * from an S3/GCS/Azure XML error body; sets the error, returns CIH_EHTTP. */
int cache_status_error(struct httpc_response *r);

/* The text between <tag> and </tag> of an XML body, "" when absent (the S3 and
 * Azure answers: Code, Message, UploadId). */
void cache_xml_text(char *out, size_t size, const char *body, const char *tag);

/* The URL without user info, query and fragment, for logs. */
void cache_clean_url(struct buf *out, const char *raw);

/* mkdir -p (0700) of the directory holding path. */
int cache_make_parents(const char *path);

/* Creates dir(path)/<prefix><random> (0600, O_EXCL); tmp receives its path. */
int cache_temp_file(const char *path, const char *prefix, char *tmp, size_t size);

/* FASTZIP_ARCHIVER_CONCURRENCY / FASTZIP_EXTRACTOR_CONCURRENCY: decimal >= 1, the
 * number of CPUs by default (at most 64); what is "archiver" or "extractor". */
int cache_fastzip_concurrency(const char *env, const char *what);

/* "bytes a-b/TOTAL": TOTAL; -1 when absent, unknown ("*") or malformed. */
int cache_content_range_total(const char *v, int64_t *total);
struct meter;
struct cache_meta;
/* GETs url in ranges of chunk bytes with up to concurrency threads into fd (sized to
 * total), counting on meter m. headers (may be NULL) gives each request's headers,
 * Range included, as pairs. */
int cache_parallel_get(const char *url, int64_t total, int64_t chunk, int64_t concurrency,
		       int64_t timeout_ms, int fd, struct meter *m,
		       int (*headers)(void *ctx, const char *range, struct cache_meta *out), void *hctx);
/* A feature flag the way upstream's featureflags.IsOn reads it: true only for a
 * strconv.ParseBool true; an unparseable value is logged as an error. */
bool cache_ff_on(const char *name);
/* The same for a flag that defaults to on (FF_USE_FASTZIP): true when unset, empty
 * or unparseable (logged). */
bool cache_ff_default_on(const char *name);

/* Parallel ranged downloads and parallel parts: FF_USE_PARALLEL_CACHE_TRANSFER when
 * it is set (upstream's rules), and on when it is not (cihelper's default: the
 * transfer falls back to one request wherever the server cannot do ranges). */
bool cache_parallel_transfer(void);

/* Metadata: pairs of strings, written as metadata.json next to the archive. */
struct cache_meta {
	size_t n;
	char **keys, **vals;
};
int cache_meta_add(struct cache_meta *m, const char *key, const char *val);
/* --metadata / CACHE_METADATA: a JSON object of strings. */
int cache_meta_from_json(struct cache_meta *m, const char *json);
/* x-<any>-meta-<key> response headers. */
int cache_meta_from_headers(struct cache_meta *m, struct httpc_response *r);
/* Keys lower-cased (CanonicalMIMEHeaderKey, then lower), empty keys dropped, sorted,
 * compact JSON with <>& escaped as Go's json.Marshal, mode 0640. */
int cache_meta_write(const struct cache_meta *m, const char *archive);
void cache_meta_dispose(struct cache_meta *m);

#endif
