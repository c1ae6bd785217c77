/* --gocloud-url objects (runner-helper-cli.md 3.3): s3://bucket/key?region=...
 * signed with SigV4 from AWS_* credentials, and azblob://container/blob with an
 * AZURE_STORAGE_SAS_TOKEN; attributes (HEAD), reads (GET, ranges) and single-request
 * writes (PUT) over our HTTP client. Credentials come from the environment (after
 * --env-file) and never reach a log line. */
#ifndef CIH_GOCLOUD_H
#define CIH_GOCLOUD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cache.h"

struct buf;
struct httpc;
struct httpc_body;
struct httpc_response;
struct gocloud;

struct gocloud_attrs {
	time_t mtime;
	int64_t size;
	struct cache_meta meta;
};

/* Parses the URL and reads the credentials; errors as gocloud's ("no object name
 * provided", an unsupported scheme). */
int gocloud_open(struct gocloud **out, const char *url);
void gocloud_close(struct gocloud *g);
const char *gocloud_object(const struct gocloud *g);
bool gocloud_is_s3(const struct gocloud *g);
/* The URL for logs: scheme://bucket/object, no query. */
void gocloud_clean_url(struct buf *out, const char *url);

/* HEAD: CIH_ENOTFOUND when the object does not exist. */
int gocloud_attributes(struct gocloud *g, struct httpc *c, int64_t timeout_ms, struct gocloud_attrs *a);
void gocloud_attrs_dispose(struct gocloud_attrs *a);
/* GET, the whole object or range ("bytes=a-b", NULL for all); 2xx checked. */
int gocloud_get(struct gocloud *g, struct httpc *c, const char *range, int64_t timeout_ms,
		struct httpc_response **r);
/* PUT of body with the metadata; content_type sniffed by the caller. */
int gocloud_put(struct gocloud *g, struct httpc *c, const struct httpc_body *body,
		const struct cache_meta *meta, const char *content_type, int64_t timeout_ms);
struct meter;
/* The object in parts of part_size bytes read from fd (size bytes), concurrency at a
 * time: an S3 multipart upload (aborted on failure) or Azure blocks and block list. */
int gocloud_put_parts(struct gocloud *g, struct httpc *c, int fd, int64_t size, int64_t part_size,
		      int concurrency, const struct cache_meta *meta, const char *content_type,
		      int64_t timeout_ms, struct meter *m);

/* For requests made elsewhere (parallel ranges): the object's URL (with the SAS for
 * Azure), and the headers a request needs (SigV4 for S3, the Range itself). */
const char *gocloud_url(const struct gocloud *g);
int gocloud_headers(struct gocloud *g, const char *method, const char *range, struct cache_meta *out);

#endif
