/* The basic transfer adapter for downloads: batch requests of up to 100 objects
 * on the calling thread, GETs on c->concurrency workers (each with its own
 * keep-alive HTTP client), resumed with Range from incomplete/<oid>.part, size
 * and sha256 checked before the object enters the store. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/fdio.h"
#include "../net/retry.h"
#include "lfs_internal.h"

#define BATCH_SIZE 100
#define EXPIRY_MARGIN 5 /* seconds: an action this close to expiring is renewed first */
#define IO_CHUNK (256 * 1024)

struct task {
	size_t i;
	struct lfs_batch_obj b;
};

struct xfer {
	struct lfs_client *c;
	const struct lfs_store *s;
	struct lfs_xfer_obj *o;
	lfs_xfer_done_fn done;
	void *ctx;
	struct lfs_xfer_stats *st;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct task *q;
	size_t head, tail;
	bool closed;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_failure(struct lfs_xfer_obj *o, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_failure(struct lfs_xfer_obj *o, int rc, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(o->err_msg);
	o->err_msg = b.failed ? NULL : b.ptr;
	o->err = rc < 0 ? rc : CIH_ERR;
}

static const char *object_error_text(int code)
{
	switch (code) {
	case 404:
		return "Object does not exist on the server";
	case 409:
		return "Object conflicts with the server";
	case 410:
		return "Object removed from the server";
	case 422:
		return "Object validation error";
	default:
		return "Object error";
	}
}

/* ---- one GET ---- */

enum outcome { DL_OK, DL_RETRY, DL_RENEW, DL_RESTART, DL_FAIL };

struct part {
	int fd;
	int64_t have;
	mbedtls_sha256_context sha;
};

static int part_restart(struct part *p)
{
	if (ftruncate(p->fd, 0) < 0 || lseek(p->fd, 0, SEEK_SET) < 0)
		return err_os("cannot truncate a partial LFS download");
	p->have = 0;
	mbedtls_sha256_starts(&p->sha, 0);
	return 0;
}

/* Hashes what an earlier attempt (or run) left in the part file. */
static int part_open(struct part *p, const char *path, int64_t size)
{
	unsigned char *blk;
	struct stat st;
	ssize_t n;

	mbedtls_sha256_init(&p->sha);
	mbedtls_sha256_starts(&p->sha, 0);
	p->have = 0;
	if ((p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return err_os("cannot open %s", path);
	if (fstat(p->fd, &st) < 0)
		return err_os("cannot stat %s", path);
	if (st.st_size >= size || st.st_size == 0)
		return part_restart(p);
	if (!(blk = malloc(IO_CHUNK)))
		return err_set(CIH_ENOMEM, "out of memory");
	while ((n = read(p->fd, blk, IO_CHUNK)) > 0) {
		mbedtls_sha256_update(&p->sha, blk, (size_t)n);
		p->have += n;
	}
	free(blk);
	if (n < 0 || p->have != st.st_size)
		return part_restart(p);
	return 0;
}

static bool content_range_ok(const char *cr, int64_t from)
{
	char *end;
	long long a;

	if (!cr || strncmp(cr, "bytes ", 6))
		return false;
	a = strtoll(cr + 6, &end, 10);
	return end != cr + 6 && *end == '-' && a == from;
}

static enum outcome get_once(struct xfer *x, struct httpc *h, struct task *t, struct part *p, char **retry_after,
			     char *buf)
{
	struct lfs_xfer_obj *o = &x->o[t->i];
	const struct lfs_action *a = &t->b.download;
	struct httpc_header hdr[72];
	size_t nh = 0;
	char range[64], *auth = NULL;
	bool has_auth = false;
	struct httpc_response *r = NULL;
	struct httpc_request req = { .method = "GET", .url = a->href };
	int status, rc;
	ssize_t n;

	bool same = lfs_client_same_origin(x->c, a->href);

	for (size_t i = 0; i < a->nhdr && nh < 32; i++) {
		hdr[nh++] = (struct httpc_header){ a->hdr[i].name, a->hdr[i].value };
		has_auth |= !strcasecmp(a->hdr[i].name, "Authorization");
	}
	/* http.<url>.extraHeader of the endpoint, on its origin only */
	for (size_t i = 0; same && i < x->c->nextra && nh < 64; i++) {
		bool dup = false;

		for (size_t k = 0; k < nh && !dup; k++)
			dup = !strcasecmp(hdr[k].name, x->c->extra[i].name);
		if (!dup)
			hdr[nh++] = (struct httpc_header){ x->c->extra[i].name, x->c->extra[i].value };
		has_auth |= !strcasecmp(x->c->extra[i].name, "Authorization");
	}
	if (!has_auth && !t->b.authenticated && same && (auth = lfs_client_auth(x->c)))
		hdr[nh++] = (struct httpc_header){ "Authorization", auth };
	if (p->have > 0) {
		snprintf(range, sizeof(range), "bytes=%lld-%lld", (long long)p->have, (long long)o->w.size - 1);
		hdr[nh++] = (struct httpc_header){ "Range", range };
	}
	req.headers = hdr;
	req.nheaders = nh;
	rc = httpc_send(h, &req, &r);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	if (rc < 0) {
		set_failure(o, rc, "[%s] %s", o->w.oid, err_last()->msg);
		return DL_RETRY;
	}
	status = httpc_resp_status(r);
	if (status == 416 && p->have > 0) {
		httpc_resp_free(r);
		return part_restart(p) < 0 ? DL_FAIL : DL_RESTART;
	}
	if (status == 206 && p->have > 0 && !content_range_ok(httpc_resp_header(r, "Content-Range"), p->have))
		status = 0; /* not the range asked for: start over */
	if (status == 200 || status == 0) {
		if (p->have > 0 && part_restart(p) < 0) {
			httpc_resp_free(r);
			return DL_FAIL;
		}
		if (status == 0) {
			httpc_resp_free(r);
			set_failure(o, CIH_EHTTP, "[%s] the server answered a range request with another range", o->w.oid);
			return DL_RETRY;
		}
	} else if (status != 206) {
		const char *ra = httpc_resp_header(r, "Retry-After");
		enum outcome out;

		if (ra)
			*retry_after = strdup(ra);
		httpc_resp_drain(r, 64 << 10);
		httpc_resp_free(r);
		if (status == 401 || status == 403) {
			set_failure(o, CIH_EAUTH, "[%s] the object's download URL was refused: HTTP %d", o->w.oid, status);
			return DL_RENEW;
		}
		if (status == 404 || status == 410) {
			set_failure(o, CIH_ENOTFOUND, "[%s] %s: HTTP %d from the object's download URL", o->w.oid,
				    object_error_text(status), status);
			return DL_FAIL;
		}
		out = retry_status_is_retryable(status) ? DL_RETRY : DL_FAIL;
		set_failure(o, CIH_EHTTP, "[%s] download failed: HTTP %d %s", o->w.oid, status, httpc_status_text(status));
		return out;
	}
	while ((n = httpc_resp_read(r, buf, IO_CHUNK)) > 0) {
		if (p->have + n > o->w.size) {
			httpc_resp_free(r);
			part_restart(p);
			set_failure(o, CIH_ECORRUPT, "[%s] the server sent more than the object's %lld bytes", o->w.oid,
				    (long long)o->w.size);
			return DL_RETRY;
		}
		if (fdio_write_all(p->fd, buf, (size_t)n) < 0) {
			httpc_resp_free(r);
			set_failure(o, err_os("cannot write a partial LFS download"), "[%s] %s", o->w.oid, err_last()->msg);
			return DL_FAIL;
		}
		mbedtls_sha256_update(&p->sha, (unsigned char *)buf, (size_t)n);
		p->have += n;
		pthread_mutex_lock(&x->mu);
		x->st->bytes += n;
		pthread_mutex_unlock(&x->mu);
	}
	httpc_resp_free(r);
	if (n < 0) { /* cut short: what arrived stays for the next attempt's Range */
		set_failure(o, (int)n, "[%s] %s", o->w.oid, err_last()->msg);
		return DL_RETRY;
	}
	if (p->have != o->w.size) {
		set_failure(o, CIH_ECORRUPT, "[%s] the download ended after %lld of %lld bytes", o->w.oid,
			    (long long)p->have, (long long)o->w.size);
		return DL_RETRY;
	}
	return DL_OK;
}

static bool verified(struct part *p, const char *oid)
{
	unsigned char d[32];
	char hex[LFS_OID_HEX + 1];

	mbedtls_sha256_finish(&p->sha, d);
	lfs_oid_hex(d, hex);
	return !strcmp(hex, oid);
}

/* A fresh action for one object, when the one we hold expired or was refused. */
static int renew(struct xfer *x, struct httpc *h, struct task *t)
{
	struct lfs_xfer_obj *o = &x->o[t->i];
	struct lfs_batch_reply r;
	int rc = lfs_client_batch(x->c, h, &o->w, 1, &r);

	if (rc < 0) {
		set_failure(o, rc, "[%s] %s", o->w.oid, err_last()->msg);
		return rc;
	}
	for (size_t i = 0; i < r.nobj; i++) {
		if (strcmp(r.obj[i].oid, o->w.oid))
			continue;
		if (r.obj[i].err_code) {
			set_failure(o, CIH_ERR, "[%s] %s: [%d] %s", o->w.oid, object_error_text(r.obj[i].err_code),
				    r.obj[i].err_code, r.obj[i].err_msg);
			break;
		}
		if (!r.obj[i].has_download)
			break;
		lfs_batch_obj_dispose(&t->b);
		t->b = r.obj[i];
		memset(&r.obj[i], 0, sizeof(r.obj[i]));
		lfs_batch_reply_dispose(&r);
		return 0;
	}
	if (!o->err)
		set_failure(o, CIH_ECORRUPT, "[%s] the server sent no download action", o->w.oid);
	lfs_batch_reply_dispose(&r);
	return CIH_ERR;
}

static bool expiring(const struct lfs_action *a)
{
	return a->expires != 0 && a->expires - EXPIRY_MARGIN <= (int64_t)time(NULL);
}

static void download(struct xfer *x, struct httpc *h, struct task *t, char *buf)
{
	struct lfs_xfer_obj *o = &x->o[t->i];
	struct retry_policy pol = { x->c->max_retries + 1, 0, 250, x->c->max_retry_delay_ms, true };
	char *part_path = lfs_store_part_path(x->s, o->w.oid);
	struct part p = { .fd = -1 };
	int attempt = 0, renewed = 0, restarts = 0;

	if (!part_path || part_open(&p, part_path, o->w.size) < 0) {
		set_failure(o, CIH_EOS, "[%s] %s", o->w.oid, err_last()->msg);
		goto out;
	}
	for (;;) {
		char *retry_after = NULL;
		enum outcome r;

		if (expiring(&t->b.download)) {
			if (renewed++ >= 3 || renew(x, h, t) < 0) {
				if (!o->err)
					set_failure(o, CIH_ERR, "[%s] the download action keeps expiring", o->w.oid);
				goto out;
			}
			continue;
		}
		r = get_once(x, h, t, &p, &retry_after, buf);
		if (r == DL_OK) {
			if (verified(&p, o->w.oid)) {
				close(p.fd);
				p.fd = -1;
				if (lfs_store_commit(x->s, part_path, o->w.oid) < 0) {
					set_failure(o, CIH_EOS, "[%s] %s", o->w.oid, err_last()->msg);
				} else {
					free(o->err_msg);
					o->err_msg = NULL;
					o->err = 0;
					o->downloaded = true;
				}
				goto out;
			}
			set_failure(o, CIH_ECORRUPT, "[%s] the downloaded content does not match the object id",
				    o->w.oid);
			part_restart(&p);
			r = DL_RETRY;
		}
		if (r == DL_RESTART && restarts++ < 3) {
			free(retry_after);
			continue;
		}
		if (r == DL_RENEW && renewed++ < 1 && renew(x, h, t) == 0) {
			free(retry_after);
			continue;
		}
		if ((r != DL_RETRY && r != DL_RESTART) || ++attempt >= pol.max_attempts) {
			free(retry_after);
			goto out;
		}
		lfs_retry_sleep(&pol, attempt, retry_after);
		free(retry_after);
	}
out:
	if (p.fd >= 0)
		close(p.fd);
	mbedtls_sha256_free(&p.sha);
	free(part_path);
}

static void *worker(void *arg)
{
	struct xfer *x = arg;
	struct httpc *h = NULL;
	char *buf = malloc(IO_CHUNK);
	int hrc = lfs_client_new_http(x->c, &h);
	char herr[ERR_MSG_MAX];

	snprintf(herr, sizeof(herr), "%s", hrc < 0 ? err_last()->msg : "out of memory");
	for (;;) {
		struct task t;

		pthread_mutex_lock(&x->mu);
		while (x->head == x->tail && !x->closed)
			pthread_cond_wait(&x->cv, &x->mu);
		if (x->head == x->tail) {
			pthread_mutex_unlock(&x->mu);
			break;
		}
		t = x->q[x->head++];
		pthread_mutex_unlock(&x->mu);
		if (hrc < 0 || !buf)
			set_failure(&x->o[t.i], CIH_ERR, "[%s] %s", x->o[t.i].w.oid, herr);
		else
			download(x, h, &t, buf);
		{
			struct lfs_xfer_obj *o = &x->o[t.i];

			if (o->downloaded && x->done)
				x->done(x->ctx, o);
			pthread_mutex_lock(&x->mu);
			if (o->downloaded)
				x->st->files++;
			else
				x->st->failed++;
			pthread_mutex_unlock(&x->mu);
		}
		lfs_batch_obj_dispose(&t.b);
	}
	httpc_free(h);
	free(buf);
	return NULL;
}

static void enqueue(struct xfer *x, size_t i, struct lfs_batch_obj *b)
{
	pthread_mutex_lock(&x->mu);
	x->q[x->tail].i = i;
	x->q[x->tail++].b = *b;
	memset(b, 0, sizeof(*b));
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
}

int lfs_xfer_download(struct lfs_client *c, const struct lfs_store *s, struct lfs_xfer_obj *o, size_t n,
		      lfs_xfer_done_fn done, void *ctx, struct lfs_xfer_stats *st)
{
	struct xfer x = { .c = c, .s = s, .o = o, .done = done, .ctx = ctx, .st = st };
	int nthreads = c->concurrency < (int)n ? c->concurrency : (int)n, started = 0;
	pthread_t th[64];
	struct httpc *h = NULL;
	struct lfs_want *w = NULL;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	st->started_ms = now_ms();
	if (n == 0)
		return 0;
	if (!(x.q = calloc(n, sizeof(*x.q))) || !(w = calloc(n < BATCH_SIZE ? n : BATCH_SIZE, sizeof(*w)))) {
		free(x.q);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cv, NULL);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&th[started], NULL, worker, &x) == 0)
			started++;
	if (started == 0)
		rc = err_set(CIH_EOS, "cannot start LFS transfer threads");
	if (rc == 0 && (rc = lfs_client_new_http(c, &h)) < 0)
		h = NULL;
	for (size_t at = 0; at < n; at += BATCH_SIZE) {
		size_t k = n - at < BATCH_SIZE ? n - at : BATCH_SIZE;
		struct lfs_batch_reply r = { 0 };

		for (size_t i = 0; i < k; i++)
			w[i] = o[at + i].w;
		if (rc == 0)
			rc = lfs_client_batch(c, h, w, k, &r);
		for (size_t i = 0; i < k; i++) {
			struct lfs_xfer_obj *oi = &o[at + i];
			struct lfs_batch_obj *b = NULL;

			for (size_t j = 0; rc == 0 && j < r.nobj && !b; j++)
				if (!strcmp(r.obj[j].oid, oi->w.oid))
					b = &r.obj[j];
			if (rc < 0) {
				set_failure(oi, rc, "%s", err_last()->msg);
				oi->batch_failed = true;
			}
			else if (!b)
				set_failure(oi, CIH_ECORRUPT, "[%s] the server's batch response left the object out",
					    oi->w.oid);
			else if (b->err_code)
				set_failure(oi, CIH_ERR, "[%s] %s: [%d] %s", oi->w.oid, object_error_text(b->err_code),
					    b->err_code, b->err_msg);
			else if (!b->has_download)
				set_failure(oi, CIH_ECORRUPT, "[%s] the server sent no download action", oi->w.oid);
			else {
				enqueue(&x, at + i, b);
				continue;
			}
			pthread_mutex_lock(&x.mu);
			st->failed++;
			pthread_mutex_unlock(&x.mu);
		}
		lfs_batch_reply_dispose(&r);
	}
	pthread_mutex_lock(&x.mu);
	x.closed = true;
	pthread_cond_broadcast(&x.cv);
	pthread_mutex_unlock(&x.mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	/* tasks never taken (no worker started) */
	for (size_t i = x.head; i < x.tail; i++)
		lfs_batch_obj_dispose(&x.q[i].b);
	httpc_free(h);
	pthread_mutex_destroy(&x.mu);
	pthread_cond_destroy(&x.cv);
	free(x.q);
	free(w);
	if (rc == 0 && st->failed)
		rc = CIH_ERR;
	return rc < 0 ? (st->failed ? CIH_ERR : rc) : 0;
}

void lfs_human_bytes(struct buf *out, double v)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	int e = 0;

	while (v >= 1000 && e < 5) {
		v /= 1000;
		e++;
	}
	if (e == 0)
		buf_printf(out, "%.0f B", v);
	else
		buf_printf(out, v < 10 ? "%.1f %s" : "%.0f %s", v, units[e]);
}

void lfs_xfer_summary(const struct lfs_xfer_stats *st, int total, struct buf *out)
{
	double secs = (double)(now_ms() - st->started_ms) / 1000.0;

	buf_printf(out, "Downloading LFS objects: %3.0f%% (%d/%d), ", total ? 100.0 * st->files / total : 100.0,
		   st->files, total);
	lfs_human_bytes(out, (double)st->bytes);
	buf_puts(out, " | ");
	lfs_human_bytes(out, secs > 0.001 ? (double)st->bytes / secs : 0);
	buf_puts(out, "/s");
}
