/* Uploads in parts, as gocloud's writers do for an object bigger than one part: S3
 * multipart upload (initiate, parts, complete; aborted on failure) and Azure block
 * blobs (blocks, then the block list). Parts go out from up to `concurrency` threads,
 * each with its own HTTP client. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../net/http.h"
#include "buf.h"
#include "error.h"
#include "gocloud.h"
#include "gocloud_internal.h"
#include "log.h"
#include "meter.h"

struct parts {
	struct gocloud *g;
	int fd;
	int64_t size, part;
	int nparts;
	int64_t timeout_ms;
	char *upload_id;  /* S3 */
	char **etags;     /* S3: per part */
	struct meter *m;
	pthread_mutex_t mu;
	int next;
	int rc;
	char msg[ERR_MSG_MAX];
};

struct part_body {
	struct parts *p;
	int64_t off, len, pos;
};

static ssize_t part_read(void *ctx, void *data, size_t size)
{
	struct part_body *b = ctx;
	size_t want = (size_t)(b->len - b->pos) < size ? (size_t)(b->len - b->pos) : size;
	ssize_t n;

	if (!want)
		return 0;
	do
		n = pread(b->p->fd, data, want, b->off + b->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_os("reading the cache archive");
	if (n == 0)
		return err_set(CIH_ERR, "the cache archive shrank while being uploaded");
	b->pos += n;
	pthread_mutex_lock(&b->p->mu);
	meter_add(b->p->m, (size_t)n);
	pthread_mutex_unlock(&b->p->mu);
	return n;
}

static int part_rewind(void *ctx)
{
	((struct part_body *)ctx)->pos = 0;
	return 0;
}

static int read_body(struct httpc_response *r, struct buf *out)
{
	char tmp[4096];
	ssize_t n;

	while ((n = httpc_resp_read(r, tmp, sizeof(tmp))) > 0 && out->len < (1 << 20))
		buf_put(out, tmp, (size_t)n);
	return n < 0 ? (int)n : 0;
}

/* Azure block ids: base64 of a fixed-width number, all of one length. */
static void block_id(char out[16], int i)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char raw[7];
	snprintf(raw, sizeof(raw), "%06d", i);
	for (int k = 0, o = 0; k < 6; k += 3) {
		unsigned v = (unsigned char)raw[k] << 16 | (unsigned char)raw[k + 1] << 8 | (unsigned char)raw[k + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
		out[o] = '\0';
	}
}

static int put_part(struct parts *p, struct httpc *c, int i)
{
	struct part_body pb = { p, (int64_t)i * p->part, 0, 0 };
	struct httpc_response *r = NULL;
	char query[600], id[16];
	int rc;

	pb.len = pb.off + p->part > p->size ? p->size - pb.off : p->part;
	struct httpc_body body = { pb.len, part_read, part_rewind, &pb };
	if (gocloud_is_s3(p->g)) {
		snprintf(query, sizeof(query), "partNumber=%d&uploadId=%s", i + 1, p->upload_id);
	} else {
		block_id(id, i);
		snprintf(query, sizeof(query), "comp=block&blockid=%s", id);
	}
	if ((rc = gocloud__send(p->g, c, "PUT", query, NULL, &body, p->timeout_ms, &r)) < 0)
		return rc;
	if (httpc_resp_status(r) / 100 != 2) {
		rc = cache_status_error(r);
	} else if (gocloud_is_s3(p->g)) {
		const char *etag = httpc_resp_header(r, "ETag");
		if (!etag || !(p->etags[i] = strdup(etag)))
			rc = err_set(CIH_EHTTP, "upload part %d: no ETag in the answer", i + 1);
		httpc_resp_drain(r, 64 << 10);
	}
	httpc_resp_free(r);
	return rc;
}

static void *worker(void *arg)
{
	struct parts *p = arg;
	struct httpc *c = NULL;
	int rc = httpc_new(&c, NULL);

	while (rc == 0) {
		pthread_mutex_lock(&p->mu);
		int i = p->rc < 0 ? p->nparts : p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->nparts)
			break;
		rc = put_part(p, c, i);
	}
	pthread_mutex_lock(&p->mu);
	if (rc < 0 && p->rc == 0) {
		p->rc = rc;
		snprintf(p->msg, sizeof(p->msg), "%s", err_last()->msg);
	}
	pthread_mutex_unlock(&p->mu);
	httpc_free(c);
	return NULL;
}

static int simple_request(struct gocloud *g, struct httpc *c, const char *method, const char *query,
			  const struct cache_meta *extra, const char *xml, int64_t timeout_ms, struct buf *answer)
{
	struct httpc_mem mem;
	struct httpc_body body;
	struct httpc_response *r = NULL;
	int rc;

	httpc_body_mem(&body, &mem, xml ? xml : "", xml ? strlen(xml) : 0);
	rc = gocloud__send(g, c, method, query, extra, xml ? &body : NULL, timeout_ms, &r);
	if (rc == 0 && httpc_resp_status(r) / 100 != 2)
		rc = cache_status_error(r);
	else if (rc == 0 && answer)
		rc = read_body(r, answer);
	httpc_resp_free(r);
	return rc;
}

int gocloud_put_parts(struct gocloud *g, struct httpc *c, int fd, int64_t size, int64_t part_size,
		      int concurrency, const struct cache_meta *meta, const char *content_type,
		      int64_t timeout_ms, struct meter *m)
{
	struct parts p = { .g = g, .fd = fd, .size = size, .part = part_size, .timeout_ms = timeout_ms,
			   .m = m, .mu = PTHREAD_MUTEX_INITIALIZER };
	struct cache_meta extra = { 0 };
	struct buf answer = BUF_INIT, xml = BUF_INIT;
	pthread_t tids[64];
	int started = 0, rc;

	if (part_size <= 0 || (size + part_size - 1) / part_size > 10000)
		return err_set(CIH_EUSAGE, "%" PRId64 " bytes in parts of %" PRId64 ": more than 10000 parts; "
			       "raise --chunk-size", size, part_size);
	p.nparts = (int)((size + part_size - 1) / part_size);
	log_debug("uploading %" PRId64 " bytes in %d parts of %" PRId64 ", %d at a time", size, p.nparts,
		  part_size, concurrency < 1 ? 1 : concurrency);
	if (!(p.etags = calloc((size_t)p.nparts, sizeof(*p.etags))))
		return err_set(CIH_ENOMEM, "out of memory");
	if (gocloud_is_s3(g)) {
		if ((rc = gocloud__put_headers(g, meta, content_type, false, &extra)) < 0 ||
		    (rc = simple_request(g, c, "POST", "uploads", &extra, NULL, timeout_ms, &answer)) < 0)
			goto out;
		char id[1024];
		cache_xml_text(id, sizeof(id), buf_cstr(&answer), "UploadId");
		if (!*id || !(p.upload_id = strdup(id))) {
			rc = err_set(CIH_EHTTP, "initiate multipart upload: no UploadId in the answer");
			goto out;
		}
	}
	if (concurrency < 1)
		concurrency = 1;
	if (concurrency > 64)
		concurrency = 64;
	for (int i = 0; i < concurrency && i < p.nparts; i++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (!started)
		rc = err_set(CIH_EOS, "cannot start upload threads");
	else if (p.rc < 0)
		rc = err_set(p.rc, "%s", p.msg);
	if (rc < 0)
		goto out;
	if (gocloud_is_s3(g)) {
		buf_puts(&xml, "<CompleteMultipartUpload>");
		for (int i = 0; i < p.nparts; i++)
			buf_printf(&xml, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1, p.etags[i]);
		buf_puts(&xml, "</CompleteMultipartUpload>");
		char query[600];
		snprintf(query, sizeof(query), "uploadId=%s", p.upload_id);
		buf_clear(&answer);
		if ((rc = simple_request(g, c, "POST", query, NULL, buf_cstr(&xml), timeout_ms, &answer)) == 0 &&
		    strstr(buf_cstr(&answer), "<Error>")) /* S3 may answer 200 with an error */
			rc = err_set(CIH_EHTTP, "complete multipart upload failed: %.200s", buf_cstr(&answer));
	} else {
		char id[16];
		buf_puts(&xml, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
		for (int i = 0; i < p.nparts; i++) {
			block_id(id, i);
			buf_printf(&xml, "<Latest>%s</Latest>", id);
		}
		buf_puts(&xml, "</BlockList>");
		if ((rc = gocloud__put_headers(g, meta, content_type, true, &extra)) == 0)
			rc = simple_request(g, c, "PUT", "comp=blocklist", &extra, buf_cstr(&xml), timeout_ms, NULL);
	}
out:
	if (rc < 0 && p.upload_id) { /* no orphaned parts left to pay for */
		char query[600];
		int keep = rc;
		char msg[ERR_MSG_MAX];
		snprintf(msg, sizeof(msg), "%s", err_last()->msg);
		snprintf(query, sizeof(query), "uploadId=%s", p.upload_id);
		simple_request(g, c, "DELETE", query, NULL, NULL, timeout_ms, NULL);
		rc = err_set(keep, "%s", msg);
	}
	for (int i = 0; i < p.nparts; i++)
		free(p.etags[i]);
	free(p.etags);
	free(p.upload_id);
	cache_meta_dispose(&extra);
	buf_dispose(&answer);
	buf_dispose(&xml);
	return rc;
}
