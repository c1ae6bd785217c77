/* Parallel ranged download of a presigned cache URL (runner-helper-cli.md 3.1): chunks
 * of --chunk-size fetched by --concurrency threads, each with its own HTTP client,
 * written at their offsets. Every chunk must come back as the range asked for. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../net/http.h"
#include "cache.h"
#include "error.h"
#include "meter.h"

#define BUF (256u << 10)

struct pget {
	const char *url;
	int64_t total, chunk, timeout_ms;
	int fd;
	struct meter *m;
	int (*headers)(void *ctx, const char *range, struct cache_meta *out);
	void *hctx;
	pthread_mutex_t mu;
	int64_t next; /* the next chunk's offset */
	int rc;
	char msg[ERR_MSG_MAX];
};

int cache_content_range_total(const char *v, int64_t *total)
{
	const char *slash;
	char *end;

	if (!v || strncmp(v, "bytes ", 6) || !(slash = strchr(v, '/')) || slash[1] == '*' || !slash[1])
		return -1;
	errno = 0;
	long long t = strtoll(slash + 1, &end, 10);
	if (*end || errno || t < 0)
		return -1;
	*total = t;
	return 0;
}

static int fetch(struct pget *p, struct httpc *c, int64_t off, int64_t len, char *buf)
{
	char range[64], want[64];
	struct httpc_header h = { "Range", range };
	struct httpc_response *r = NULL;
	int64_t done = 0;
	int rc;

	snprintf(range, sizeof(range), "bytes=%" PRId64 "-%" PRId64, off, off + len - 1);
	struct httpc_header hs[40];
	size_t nh = 1;
	struct cache_meta extra = { 0 };
	hs[0] = h;
	if (p->headers) { /* the backend's own set (SigV4 signs the Range too) */
		pthread_mutex_lock(&p->mu); /* the signer's state is shared */
		rc = p->headers(p->hctx, range, &extra);
		pthread_mutex_unlock(&p->mu);
		if (rc < 0) {
			cache_meta_dispose(&extra);
			return rc;
		}
		for (nh = 0; nh < extra.n && nh < 40; nh++)
			hs[nh] = (struct httpc_header){ extra.keys[nh], extra.vals[nh] };
	}
	rc = httpc_send(c, &(struct httpc_request){ .method = "GET", .url = p->url, .headers = hs,
						     .nheaders = nh, .timeout_ms = p->timeout_ms },
			&r);
	cache_meta_dispose(&extra);
	if (rc < 0)
		return rc;
	snprintf(want, sizeof(want), "bytes %" PRId64 "-%" PRId64 "/", off, off + len - 1);
	const char *cr = httpc_resp_header(r, "Content-Range");
	if (httpc_resp_status(r) != 206 || !cr || strncmp(cr, want, strlen(want))) {
		rc = err_set(CIH_EHTTP, "range request failed: %d (%s)", httpc_resp_status(r), cr ? cr : "no Content-Range");
		goto out;
	}
	while (done < len) {
		ssize_t n = httpc_resp_read(r, buf, (size_t)(len - done < BUF ? len - done : BUF));
		if (n <= 0) {
			rc = n < 0 ? (int)n : err_set(CIH_ENET, "range %s: body ended early", range);
			goto out;
		}
		for (ssize_t w = 0, k; w < n; w += k)
			if ((k = pwrite(p->fd, buf + w, (size_t)(n - w), off + done + w)) < 0) {
				rc = err_os("writing the cache download");
				goto out;
			}
		done += n;
		pthread_mutex_lock(&p->mu);
		meter_add(p->m, (size_t)n);
		pthread_mutex_unlock(&p->mu);
	}
out:
	httpc_resp_free(r);
	return rc;
}

static void *worker(void *arg)
{
	struct pget *p = arg;
	struct httpc *c = NULL;
	char *buf = malloc(BUF);
	int rc = buf ? httpc_new(&c, NULL) : err_set(CIH_ENOMEM, "out of memory");

	while (rc == 0) {
		pthread_mutex_lock(&p->mu);
		int64_t off = p->rc < 0 ? p->total : p->next;
		p->next = off + p->chunk;
		pthread_mutex_unlock(&p->mu);
		if (off >= p->total)
			break;
		rc = fetch(p, c, off, off + p->chunk > p->total ? p->total - off : p->chunk, buf);
	}
	pthread_mutex_lock(&p->mu);
	if (rc < 0 && p->rc == 0) {
		p->rc = rc;
		snprintf(p->msg, sizeof(p->msg), "%s", err_last()->msg);
	}
	pthread_mutex_unlock(&p->mu);
	httpc_free(c);
	free(buf);
	return NULL;
}

int cache_parallel_get(const char *url, int64_t total, int64_t chunk, int64_t concurrency,
		       int64_t timeout_ms, int fd, struct meter *m,
		       int (*headers)(void *ctx, const char *range, struct cache_meta *out), void *hctx)
{
	struct pget p = { .url = url, .total = total, .chunk = chunk, .timeout_ms = timeout_ms,
			  .fd = fd, .m = m, .headers = headers, .hctx = hctx, .mu = PTHREAD_MUTEX_INITIALIZER };
	int64_t chunks = (total + chunk - 1) / chunk;
	int n = (int)(concurrency < chunks ? concurrency : chunks), started = 0;
	pthread_t tids[64];

	if (n > 64)
		n = 64;
	if (ftruncate(fd, total) < 0)
		return err_os("sizing the cache download");
	for (int i = 0; i < n; i++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	if (!started)
		return err_set(CIH_EOS, "cannot start download threads");
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return p.rc < 0 ? err_set(p.rc, "%s", p.msg) : 0;
}
