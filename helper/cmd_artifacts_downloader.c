/* artifacts-downloader: GET jobs/:id/artifacts (directly from object storage when the
 * server offers it, in parallel ranges when the store can), then extract into the
 * working directory (runner-helper-cli.md 1.3, 2.3, 4.7). The download goes to an
 * unnamed temporary file where the file system allows it, so nothing is left behind
 * even when the process is killed; otherwise to a named one removed on every exit,
 * fatal errors and SIGINT/SIGTERM included. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../archive/extract.h"
#include "../net/url.h"
#include "app.h"
#include "buf.h"
#include "cache.h"
#include "error.h"
#include "fdio.h"
#include "flags.h"
#include "glapi.h"
#include "log.h"
#include "meter.h"
#include "redact.h"

#define CHUNK (16 << 20)
#define STREAMS 16
#define COPY_BUF (1 << 20)

struct opts {
	int64_t id, retry, retry_time, meter_freq;
	const char *token, *url, *ca_file, *cert_file, *key_file, *staging;
	bool direct;
};

enum dl_state { DL_OK, DL_FAILED, DL_NOT_FOUND, DL_FORBIDDEN };

struct dl {
	struct opts *o;
	struct glapi *api;
	int fd;
	char path[4200]; /* the named temporary file, "" for an unnamed one */
	int retry;       /* attempt index, for direct_download on the first only */
	char tok[16], id[24];
};

static volatile sig_atomic_t have_tmp;
static char tmp_path[4200];

static void on_signal(int sig)
{
	if (have_tmp)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Unnamed when possible: O_TMPFILE in the staging directory, read back through
 * /proc/self/fd by the extractor. */
static int temp_file(struct dl *d)
{
	const char *dir = d->o->staging && *d->o->staging ? d->o->staging : getenv("TMPDIR");
	char probe[64];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(tmp_path, sizeof(tmp_path), "%s/x", dir);
	if (cache_make_parents(tmp_path) < 0) /* a staging directory not made yet */
		return CIH_EOS;
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		snprintf(probe, sizeof(probe), "/proc/self/fd/%d", fd);
		if (access(probe, R_OK) == 0) {
			d->fd = fd;
			d->path[0] = '\0';
			return 0;
		}
		close(fd);
	}
	snprintf(tmp_path, sizeof(tmp_path), "%s/x", dir);
	if ((fd = cache_temp_file(tmp_path, "artifacts", d->path, sizeof(d->path))) < 0)
		return fd;
	snprintf(tmp_path, sizeof(tmp_path), "%s", d->path);
	have_tmp = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	d->fd = fd;
	return 0;
}

static void temp_remove(struct dl *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	if (d->path[0]) {
		have_tmp = 0;
		unlink(d->path);
	}
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct log_field *)a)->key, ((const struct log_field *)b)->key);
}

/* Logs msg with id, token and the given pairs (sorted as logrus prints them). */
static void dl_log(const struct dl *d, enum log_level lvl, const struct log_field *extra, size_t n,
		   const char *msg)
{
	struct log_field f[10];
	size_t k = 0;

	f[k++] = (struct log_field){ "id", d->id };
	f[k++] = (struct log_field){ "token", d->tok };
	for (size_t i = 0; i < n && k < 10; i++)
		if (extra[i].value)
			f[k++] = extra[i];
	qsort(f, k, sizeof(f[0]), cmp_field);
	log_write(lvl, f, k, "%s", msg);
}

static int reset_file(struct dl *d)
{
	if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
		return err_os("truncating the download file");
	return 0;
}

/* The body into the file, counted on the meter. */
static int save_body(struct dl *d, struct httpc_response *r)
{
	struct meter m;
	char *buf = malloc(COPY_BUF);
	ssize_t n;
	int rc = 0;

	if (!buf)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((rc = reset_file(d)) < 0) {
		free(buf);
		return rc;
	}
	meter_start(&m, "Downloading artifacts", 0, d->o->meter_freq);
	while ((n = httpc_resp_read(r, buf, COPY_BUF)) > 0) {
		if (fdio_write_all(d->fd, buf, (size_t)n) < 0) {
			rc = err_os("write");
			goto out;
		}
		meter_add(&m, (size_t)n);
	}
	if (n < 0)
		rc = (int)n;
out:
	meter_done(&m);
	free(buf);
	return rc;
}

static enum dl_state save(struct dl *d, struct httpc_response *r, const struct log_field *f, size_t n)
{
	if (save_body(d, r) < 0) {
		struct log_field e[8];
		if (n)
			memcpy(e, f, n * sizeof(*f));
		e[n] = (struct log_field){ "error", err_last()->msg };
		dl_log(d, LOG_ERROR, e, n + 1, "Downloading artifacts from coordinator... error");
		return DL_FAILED;
	}
	dl_log(d, LOG_INFO, f, n, "Downloading artifacts from coordinator... ok");
	return DL_OK;
}

/* 403, 401, 404 as upstream; DL_FAILED (and nothing logged) for anything else. */
static enum dl_state refused(struct dl *d, struct httpc_response *r, const struct log_field *f, size_t n)
{
	struct buf body = BUF_INIT, text = BUF_INIT;
	struct log_field e[8];
	enum dl_state st = DL_FAILED;
	char line[64];
	int status = httpc_resp_status(r);

	memcpy(e, f, n * sizeof(*f));
	snprintf(line, sizeof(line), "%d %s", status, httpc_status_text(status));
	if (status == 403) {
		glapi_read_body(r, &body, 64 << 10);
		glapi_status_text(&text, r, body.ptr ? body.ptr : "", body.len, "GET", true);
		e[n] = (struct log_field){ "status", buf_cstr(&text) };
		dl_log(d, LOG_ERROR, e, n + 1, "Downloading artifacts from coordinator... forbidden");
		st = DL_FORBIDDEN;
	} else if (status == 401) {
		e[n] = (struct log_field){ "status", line };
		dl_log(d, LOG_ERROR, e, n + 1, "Downloading artifacts from coordinator... unauthorized");
		st = DL_FORBIDDEN;
	} else if (status == 404) {
		dl_log(d, LOG_ERROR, f, n, "Downloading artifacts from coordinator... not found");
		st = DL_NOT_FOUND;
	}
	buf_dispose(&body);
	buf_dispose(&text);
	return st;
}

static void failed(struct dl *d, struct httpc_response *r, const struct log_field *f, size_t n)
{
	struct log_field e[8];
	char line[64];

	memcpy(e, f, n * sizeof(*f));
	snprintf(line, sizeof(line), "%d %s", httpc_resp_status(r), httpc_status_text(httpc_resp_status(r)));
	e[n] = (struct log_field){ "status", line };
	dl_log(d, LOG_WARN, e, n + 1, "Downloading artifacts from coordinator... failed");
}

/* The standard path: one GET following redirects (JOB-TOKEN is not forwarded to
 * another origin), through the API retry layer. */
static enum dl_state standard(struct dl *d, bool direct)
{
	struct buf uri = BUF_INIT, host = BUF_INIT;
	struct glapi_call call = { .method = "GET" };
	struct httpc_response *r = NULL;
	enum dl_state st;
	char code[8];

	buf_printf(&uri, "jobs/%lld/artifacts?%s", (long long)d->o->id, direct ? "direct_download=true" : "");
	call.uri = buf_cstr(&uri);
	if (glapi_send(d->api, &call, &r) < 0) {
		struct log_field e[] = { { "correlation_id", call.request_id }, { "error", err_last()->msg } };
		dl_log(d, LOG_ERROR, e, 2, "Downloading artifacts from coordinator... error");
		buf_dispose(&uri);
		return DL_FAILED;
	}
	struct url u;
	if (url_parse(&u, httpc_resp_url(r)) == 0) {
		url_host_header(&host, &u);
		url_dispose(&u);
	}
	snprintf(code, sizeof(code), "%d", httpc_resp_status(r));
	struct log_field f[] = { { "correlation_id", glapi_correlation_id(r, call.request_id) },
				 { "host", host.len ? buf_cstr(&host) : NULL }, { "http_status_code", code } };
	size_t n = sizeof(f) / sizeof(f[0]);
	if (httpc_resp_status(r) == 200)
		st = save(d, r, f, n);
	else if ((st = refused(d, r, f, n)) == DL_FAILED)
		failed(d, r, f, n);
	httpc_resp_free(r);
	buf_dispose(&uri);
	buf_dispose(&host);
	return st;
}

/* Ranged GETs straight from object storage: true when the file is complete. */
static bool parallel(struct dl *d, const char *loc)
{
	struct glapi_call call = { .method = "GET", .uri = loc, .flags = GLAPI_NO_TOKEN };
	struct httpc_header range = { "Range", "bytes=0-0" };
	struct httpc_response *r = NULL;
	struct buf clean = BUF_INIT;
	int64_t total = -1;
	struct meter m;
	bool ok = false;

	call.extra = &range;
	call.nextra = 1;
	if (glapi_send(d->api, &call, &r) < 0) {
		dl_log(d, LOG_INFO, NULL, 0,
		       "Artifact download: cannot probe size (Range request failed), using single download stream");
		return false;
	}
	if (httpc_resp_status(r) != 206) {
		dl_log(d, LOG_INFO, NULL, 0, "Artifact download: remote host does not support Range, using single download stream");
	} else if (cache_content_range_total(httpc_resp_header(r, "Content-Range"), &total) < 0 || total <= 0) {
		dl_log(d, LOG_INFO, NULL, 0, "Artifact download: unknown size (no Content-Range total), using single download stream");
	} else if (total <= CHUNK) {
		dl_log(d, LOG_INFO, NULL, 0, "Artifact download: file size <= 16 MiB (chunk size), using single download stream");
	} else {
		httpc_resp_drain(r, 64 << 10);
		httpc_resp_free(r);
		r = NULL;
		cache_clean_url(&clean, loc);
		dl_log(d, LOG_INFO, (struct log_field[]){ { "url", buf_cstr(&clean) } }, 1,
		       "Artifact download: parallel, 16 streams, 16 MiB chunk size");
		meter_start(&m, "Downloading artifacts", 0, d->o->meter_freq);
		if (reset_file(d) == 0 && ftruncate(d->fd, total) == 0 &&
		    cache_parallel_get(loc, total, CHUNK, STREAMS, 0, d->fd, &m, NULL, NULL) == 0) {
			ok = true;
			dl_log(d, LOG_INFO, NULL, 0, "Downloading artifacts from coordinator... ok");
		} else {
			dl_log(d, LOG_INFO, (struct log_field[]){ { "error", err_last()->msg } }, 1,
			       "Artifact download: parallel failed, using single download stream");
		}
		meter_done(&m);
	}
	if (r)
		httpc_resp_drain(r, 64 << 10);
	httpc_resp_free(r);
	buf_dispose(&clean);
	return ok;
}

/* One GET of the object-storage URL without the job token. */
static bool single(struct dl *d, const char *loc)
{
	struct glapi_call call = { .method = "GET", .uri = loc, .flags = GLAPI_NO_TOKEN };
	struct httpc_response *r = NULL;
	bool ok = false;

	if (glapi_send(d->api, &call, &r) == 0 && httpc_resp_status(r) == 200)
		ok = save(d, r, NULL, 0) == DL_OK;
	httpc_resp_free(r);
	return ok;
}

static bool parallel_enabled(void)
{
	const char *v = getenv("FF_USE_PARALLEL_ARTIFACT_TRANSFER");
	return !v || !*v ? true : cache_ff_on("FF_USE_PARALLEL_ARTIFACT_TRANSFER");
}

/* direct_download=true without following the redirect: the object-storage URL is
 * fetched here, never with the job token. */
static enum dl_state direct(struct dl *d)
{
	struct buf uri = BUF_INIT;
	struct glapi_call call = { .method = "GET", .flags = GLAPI_NO_REDIRECTS | GLAPI_NO_RETRY | GLAPI_NO_UA };
	struct httpc_response *r = NULL;
	enum dl_state st = DL_FAILED;
	char code[8];

	buf_printf(&uri, "jobs/%lld/artifacts?direct_download=true", (long long)d->o->id);
	call.uri = buf_cstr(&uri);
	if (glapi_send(d->api, &call, &r) < 0) {
		dl_log(d, LOG_ERROR, (struct log_field[]){ { "error", err_last()->msg } }, 1,
		       "Downloading artifacts from coordinator... error");
		buf_dispose(&uri);
		return DL_FAILED;
	}
	int status = httpc_resp_status(r);
	snprintf(code, sizeof(code), "%d", status);
	struct log_field f[] = { { "correlation_id", glapi_correlation_id(r, call.request_id) },
				 { "http_status_code", code } };
	if (status == 200) {
		st = save(d, r, f, 2);
	} else if (status == 302 || status == 307) {
		const char *h = httpc_resp_header(r, "Location");
		char *loc = h && *h ? strdup(h) : NULL;
		httpc_resp_drain(r, 64 << 10);
		httpc_resp_free(r);
		r = NULL;
		if (loc) {
			struct url u;
			if (url_parse(&u, loc) == 0) {
				struct buf msg = BUF_INIT;
				buf_printf(&msg, "Direct download from %s", u.host);
				dl_log(d, LOG_INFO, f, 2, buf_cstr(&msg));
				buf_dispose(&msg);
				url_dispose(&u);
				if ((parallel_enabled() && parallel(d, loc)) || single(d, loc))
					st = DL_OK;
			}
			free(loc);
		}
		if (st != DL_OK)
			st = standard(d, true);
	} else if ((st = refused(d, r, f, 2)) == DL_FAILED) {
		failed(d, r, f, 2);
	}
	httpc_resp_free(r);
	buf_dispose(&uri);
	return st;
}

static struct cache_outcome attempt(void *ctx)
{
	struct dl *d = ctx;
	enum dl_state st = d->o->direct && d->retry == 0 ? direct(d) : standard(d, false);
	struct cache_outcome out = { 0, false, false };

	d->retry++;
	switch (st) {
	case DL_OK:
		break;
	case DL_NOT_FOUND:
		out.rc = err_set(CIH_ENOTFOUND, "file does not exist");
		out.not_found = true;
		break;
	case DL_FORBIDDEN:
		out.rc = err_set(CIH_EAUTH, "permission denied");
		break;
	default:
		out.rc = err_set(CIH_ENET, "invalid argument");
		out.retryable = true;
	}
	return out;
}

static int extract(struct dl *d)
{
	char path[64], magic[4] = { 0 };
	const char *src = d->path;
	struct extract_stats st;
	int conc, rc;

	if (pread(d->fd, magic, 4, 0) < 0)
		return err_os("read the downloaded archive");
	if (!d->path[0]) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", d->fd);
		src = path;
	}
	if (!memcmp(magic, "\x28\xb5\x2f\xfd", 4))
		rc = extract_tarzstd(src, &st);
	else if (!memcmp(magic, "\x1f\x8b", 2))
		return err_set(CIH_EUSAGE, "\"gzip\" format: unsupported archive format");
	else if ((conc = cache_fastzip_concurrency("FASTZIP_EXTRACTOR_CONCURRENCY", "extractor")) < 0)
		return conc;
	else
		rc = extract_zip(src, conc, &st);
	if (rc == 0)
		log_debug("extracted %zu files, %zu directories, %zu symlinks (%zu skipped)", st.files, st.dirs,
			  st.symlinks, st.skipped);
	return rc;
}

int cmd_artifacts_downloader(int argc, char **argv)
{
	struct opts o = { .retry = 2, .retry_time = 1000000000 };
	const struct flag flags[] = {
		GLAPI_JOB_FLAGS(o),
		{ "retry", NULL, FLAG_INT, &o.retry, NULL, "How many times to retry upload", 0, NULL },
		{ "retry-time", NULL, FLAG_DURATION, &o.retry_time, NULL, "How long to wait between retries", 0, NULL },
		{ "transfer-meter-frequency", NULL, FLAG_DURATION, &o.meter_freq, "TRANSFER_METER_FREQUENCY", "If set to more than 0s it enables an interactive transfer meter", 0, NULL },
		{ "direct-download", NULL, FLAG_BOOL, &o.direct, "FF_USE_DIRECT_DOWNLOAD", "Support direct download for data stored externally to GitLab", 0, NULL },
		{ "archiver-staging-dir", NULL, FLAG_STR, &o.staging, "ARCHIVER_STAGING_DIR", "Directory to stage artifact archives", 0, NULL },
	};
	struct dl d = { .o = &o, .fd = -1 };
	struct cache_outcome out;
	char wd[4096];
	int rc;

	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	if (!getcwd(wd, sizeof(wd))) {
		log_fatal("Unable to get working directory");
		return 1;
	}
	if (!o.url || !*o.url)
		log_warn("Missing URL (--url)");
	if (!o.token || !*o.token)
		log_warn("Missing runner credentials (--token)");
	if (o.id <= 0)
		log_warn("Missing build ID (--id)");
	if (o.id <= 0 || !o.token || !*o.token || !o.url || !*o.url) {
		log_fatal("Incomplete arguments");
		return 1;
	}
	redact_add_secret(o.token);
	glapi_short_token(d.tok, sizeof(d.tok), o.token);
	snprintf(d.id, sizeof(d.id), "%lld", (long long)o.id);
	struct glapi_opts go = { .url = o.url, .token = o.token, .ca_file = o.ca_file, .cert_file = o.cert_file,
				 .key_file = o.key_file };
	if (glapi_open(&d.api, &go) < 0 || temp_file(&d) < 0) {
		rc = app_fatal_error(NULL);
		goto out;
	}
	out = cache_retry(attempt, &d, o.retry, o.retry_time);
	rc = out.rc < 0 || extract(&d) < 0 ? app_fatal_error(NULL) : 0;
out:
	temp_remove(&d);
	glapi_close(d.api);
	return rc;
}
