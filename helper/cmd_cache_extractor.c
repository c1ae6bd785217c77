/* cache-extractor: download the cache archive from a presigned URL (with the alternate
 * key and HEAD-based choice), then extract the local archive into the working
 * directory (runner-helper-cli.md 1.5, 3.1, 3.4). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../archive/extract.h"
#include "../net/http.h"
#include "../net/httpdate.h"
#include "app.h"
#include "buf.h"
#include "cache.h"
#include "dotenv.h"
#include "gocloud.h"
#include "error.h"
#include "flags.h"
#include "log.h"
#include "meter.h"


struct opts {
	const char *file, *url, *gocloud_url, *alt_url, *alt_gocloud_url, *head_url, *alt_head_url;
	const char *env_file;
	int64_t timeout_min, buffer_size, chunk_size, concurrency, retry, retry_time, meter_freq;
};


/* HEAD for the alternate choice: Last-Modified when 200 and parseable, else 0. */
static time_t head_time(struct httpc *c, const char *url, int64_t timeout_ms)
{
	struct httpc_response *r = NULL;
	const char *lm;
	time_t t = 0;

	if (httpc_send(c, &(struct httpc_request){ .method = "HEAD", .url = url, .timeout_ms = timeout_ms },
		       &r) < 0)
		return 0;
	if (httpc_resp_status(r) == 200 && (lm = httpc_resp_header(r, "Last-Modified")) &&
	    httpdate_parse(&t, lm, false) < 0)
		t = 0;
	if (httpc_resp_status(r) != 200)
		t = 0;
	httpc_resp_free(r);
	return t;
}

static void fmt_time(char *out, size_t size, time_t t)
{
	struct tm tm;

	if (!t) {
		snprintf(out, size, "0001-01-01 00:00:00 +0000 UTC");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

static const char *select_url(struct httpc *c, const struct opts *o, int64_t timeout_ms)
{
	time_t p, a;
	char pt[40], at[40];
	struct buf pu = BUF_INIT, au = BUF_INIT;
	const char *chosen = o->url, *why;

	if (!o->alt_url || !*o->alt_url)
		return o->url;
	p = head_time(c, o->head_url && *o->head_url ? o->head_url : o->url, timeout_ms);
	a = head_time(c, o->alt_head_url && *o->alt_head_url ? o->alt_head_url : o->alt_url, timeout_ms);
	if (!p && a) {
		why = "Selecting alternate cache URL: primary not available";
		chosen = o->alt_url;
	} else if (p && a && a > p) {
		why = "Selecting alternate cache URL: newer timestamp";
		chosen = o->alt_url;
	} else {
		why = "Selecting primary cache URL";
	}
	cache_clean_url(&pu, o->url);
	cache_clean_url(&au, o->alt_url);
	fmt_time(pt, sizeof(pt), p);
	fmt_time(at, sizeof(at), a);
	log_write(LOG_INFO,
		  (struct log_field[]){ { "alternate_modified", at }, { "alternate_url", buf_cstr(&au) },
					{ "primary_modified", pt }, { "primary_url", buf_cstr(&pu) } },
		  4, "%s", why);
	buf_dispose(&pu);
	buf_dispose(&au);
	return chosen;
}

static void log_downloading(const struct opts *o, const char *url, const char *etag, const char *suffix);

static struct cache_outcome save(const struct opts *o, struct httpc_response *r, time_t date, const char *url)
{
	struct cache_outcome out = { 0, false, false };
	char tmp[4200] = "", *buf = NULL;
	const char *etag = httpc_resp_header(r, "ETag");
	struct meter m;
	int fd = -1;
	ssize_t n;

	if (!(buf = malloc((size_t)o->buffer_size))) {
		out.rc = err_set(CIH_ENOMEM, "out of memory");
		goto done;
	}
	if ((fd = cache_temp_file(o->file, "cache", tmp, sizeof(tmp))) < 0) {
		out.rc = fd;
		goto done;
	}
	log_downloading(o, url, etag, ""); /* the name without its extension, as upstream */
	meter_start(&m, "Downloading cache", httpc_resp_length(r), o->meter_freq);
	while ((n = httpc_resp_read(r, buf, (size_t)o->buffer_size)) > 0) {
		for (ssize_t w = 0, k; w < n; w += k)
			if ((k = write(fd, buf + w, (size_t)(n - w))) < 0) {
				out.rc = err_os("writing '%s'", tmp);
				goto done;
			}
		meter_add(&m, (size_t)n);
	}
	meter_done(&m);
	if (n < 0) { /* a body cut short: worth another try */
		out.rc = (int)n;
		out.retryable = true;
		goto done;
	}
	if (date) {
		struct timespec ts[2] = { { 0, UTIME_NOW }, { date, 0 } };
		futimens(fd, ts);
	}
	n = close(fd);
	fd = -1;
	if (n < 0) {
		out.rc = err_os("writing '%s'", tmp);
		goto done;
	}
	if (rename(tmp, o->file) < 0) {
		out.rc = err_os("renaming");
		goto done;
	}
	tmp[0] = '\0';
	struct cache_meta meta = { 0 };
	if ((out.rc = cache_meta_from_headers(&meta, r)) == 0)
		out.rc = cache_meta_write(&meta, o->file);
	cache_meta_dispose(&meta);
done:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp); /* no partial archive is left behind */
	free(buf);
	return out;
}

static void log_downloading(const struct opts *o, const char *url, const char *etag, const char *suffix)
{
	char *b = strdup(o->file);
	struct buf name = BUF_INIT, cleaned = BUF_INIT;
	const char *bn = b ? basename(b) : o->file;

	buf_put(&name, bn, strrchr(bn, '.') ? (size_t)(strrchr(bn, '.') - bn) : strlen(bn));
	if (strncmp(url, "http", 4))
		gocloud_clean_url(&cleaned, url);
	else
		cache_clean_url(&cleaned, url);
	if (etag)
		log_write(LOG_INFO, &(struct log_field){ "etag", etag }, 1, "Downloading %s from %s%s",
			  buf_cstr(&name), buf_cstr(&cleaned), suffix);
	else
		log_info("Downloading %s from %s%s", buf_cstr(&name), buf_cstr(&cleaned), suffix);
	buf_dispose(&name);
	buf_dispose(&cleaned);
	free(b);
}

static bool up_to_date(const struct opts *o, time_t date)
{
	struct stat st;

	if (lstat(o->file, &st) < 0 || date > st.st_mtime)
		return false;
	char *b = strdup(o->file);
	log_info("%s is up to date", b ? basename(b) : o->file);
	free(b);
	return true;
}

static struct cache_outcome save_parallel(const struct opts *o, const char *url, int64_t total,
					  time_t date, const char *etag, struct cache_meta *meta,
					  int64_t timeout_ms, const char *log_url,
					  int (*headers)(void *, const char *, struct cache_meta *), void *hctx)
{
	struct cache_outcome out = { 0, false, false };
	char tmp[4200];
	struct meter m;
	int fd = cache_temp_file(o->file, "cache", tmp, sizeof(tmp));

	if (fd < 0) {
		out.rc = fd;
		return out;
	}
	log_downloading(o, log_url ? log_url : url, etag, " (parallel)");
	meter_start(&m, "Downloading cache", total, o->meter_freq);
	out.rc = cache_parallel_get(url, total, o->chunk_size, o->concurrency, timeout_ms, fd, &m, headers, hctx);
	meter_done(&m);
	if (out.rc < 0) {
		out.retryable = true;
	} else {
		if (date) {
			struct timespec ts[2] = { { 0, UTIME_NOW }, { date, 0 } };
			futimens(fd, ts);
		}
		if (close(fd) < 0)
			out.rc = err_os("writing '%s'", tmp);
		fd = -1;
		if (out.rc == 0 && rename(tmp, o->file) < 0)
			out.rc = err_os("renaming");
		else if (out.rc == 0)
			tmp[0] = '\0';
	}
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	if (out.rc == 0)
		out.rc = cache_meta_write(meta, o->file);
	return out;
}

/* FF_USE_PARALLEL_CACHE_TRANSFER: a one-byte range probe (presigned URLs are signed
 * for GET only); *done false means "go sequential". */
static struct cache_outcome try_parallel(struct httpc *c, const struct opts *o, const char *url,
					 int64_t timeout_ms, bool *done)
{
	struct cache_outcome out = { 0, false, false };
	struct httpc_header h = { "Range", "bytes=0-0" };
	struct httpc_response *r = NULL;
	struct cache_meta meta = { 0 };
	int64_t total;
	time_t date = 0;
	const char *lm;
	char *etag = NULL;

	*done = false;
	if (httpc_send(c, &(struct httpc_request){ .method = "GET", .url = url, .headers = &h, .nheaders = 1,
						   .timeout_ms = timeout_ms },
		       &r) < 0) {
		err_clear();
		return out;
	}
	if (httpc_resp_status(r) != 206 || cache_content_range_total(httpc_resp_header(r, "Content-Range"), &total) < 0) {
		if (httpc_resp_status(r) == 200)
			log_info("Presigned URL did not honor Range request, using sequential download");
		httpc_resp_free(r);
		return out;
	}
	if ((lm = httpc_resp_header(r, "Last-Modified")) && httpdate_parse(&date, lm, true) < 0)
		date = 0;
	httpc_resp_drain(r, 64 << 10);
	if (up_to_date(o, date)) {
		*done = true;
	} else if (total > o->chunk_size) {
		*done = true;
		if (httpc_resp_header(r, "ETag"))
			etag = strdup(httpc_resp_header(r, "ETag"));
		if ((out.rc = cache_meta_from_headers(&meta, r)) == 0)
			out = save_parallel(o, url, total, date, etag, &meta, timeout_ms, NULL, NULL, NULL);
	}
	httpc_resp_free(r);
	cache_meta_dispose(&meta);
	free(etag);
	return out;
}

static struct cache_outcome download(struct httpc *c, const struct opts *o)
{
	int64_t timeout_ms = (o->timeout_min > 0 ? o->timeout_min : 10) * 60000;
	struct cache_outcome out = { 0, false, false };
	struct httpc_response *r = NULL;
	const char *url, *lm;
	time_t date = 0;

	if ((out.rc = cache_make_parents(o->file)) < 0)
		return out;
	log_info("Using presigned URL for cache download");
	url = select_url(c, o, timeout_ms);
	if (cache_parallel_transfer() && o->concurrency > 1) {
		bool done;
		out = try_parallel(c, o, url, timeout_ms, &done);
		if (done)
			return out;
	}
	if ((out.rc = httpc_send(c, &(struct httpc_request){ .method = "GET", .url = url,
							      .timeout_ms = timeout_ms },
				 &r)) < 0) {
		out.retryable = true;
		return out;
	}
	if (httpc_resp_status(r) == 404) {
		out.rc = err_set(CIH_ENOTFOUND, "file does not exist");
		out.not_found = true;
	} else if (httpc_resp_status(r) / 100 != 2) {
		out.rc = cache_status_error(r);
		out.retryable = httpc_resp_status(r) / 100 == 5;
	} else {
		/* strict RFC 1123: a missing or odd Last-Modified is the zero time, so an
		 * existing local file counts as up to date (upstream behaviour) */
		if ((lm = httpc_resp_header(r, "Last-Modified")) && httpdate_parse(&date, lm, true) < 0)
			date = 0;
		if (!up_to_date(o, date))
			out = save(o, r, date, url);
	}
	httpc_resp_free(r);
	return out;
}

static int gocloud_range_headers(void *g, const char *range, struct cache_meta *out)
{
	return gocloud_headers(g, "GET", range, out);
}

static void gocloud_choice_log(const char *why, const char *pu, time_t p, const char *au, time_t a)
{
	char pt[40], at[40];
	struct buf pc = BUF_INIT, ac = BUF_INIT;

	gocloud_clean_url(&pc, pu);
	gocloud_clean_url(&ac, au);
	fmt_time(pt, sizeof(pt), p);
	fmt_time(at, sizeof(at), a);
	log_write(LOG_INFO,
		  (struct log_field[]){ { "alternate_modified", at }, { "alternate_url", buf_cstr(&ac) },
					{ "primary_modified", pt }, { "primary_url", buf_cstr(&pc) } },
		  4, "%s", why);
	buf_dispose(&pc);
	buf_dispose(&ac);
}

/* 3.3: attributes of the primary (and alternate), the newer or the available one;
 * a missing object is no error (the local archive is extracted). Only the body copy
 * is worth a retry. */
static struct cache_outcome gocloud_download(struct httpc *c, const struct opts *o)
{
	int64_t timeout_ms = (o->timeout_min > 0 ? o->timeout_min : 10) * 60000;
	struct cache_outcome out = { 0, false, false };
	struct gocloud *g = NULL, *alt = NULL, *use;
	struct gocloud_attrs pa, aa, *use_attrs;
	const char *use_url = o->gocloud_url;
	int prc, arc = CIH_ENOTFOUND;

	memset(&pa, 0, sizeof(pa));
	memset(&aa, 0, sizeof(aa));
	log_info("Using GoCloud URL for cache download");
	if ((out.rc = cache_make_parents(o->file)) < 0 || (out.rc = dotenv_load(o->env_file)) < 0 ||
	    (out.rc = gocloud_open(&g, o->gocloud_url)) < 0)
		return out;
	prc = gocloud_attributes(g, c, timeout_ms, &pa);
	use = g;
	use_attrs = &pa;
	if (o->alt_gocloud_url && *o->alt_gocloud_url) {
		if (gocloud_open(&alt, o->alt_gocloud_url) < 0) {
			log_with_error(LOG_WARN, "Failed to open alternate GoCloud cache bucket");
		} else {
			arc = gocloud_attributes(alt, c, timeout_ms, &aa);
			bool p_ok = prc == 0, a_ok = arc == 0;
			if (!p_ok && a_ok) {
				gocloud_choice_log("Selecting alternate GoCloud cache: primary not available",
						   o->gocloud_url, 0, o->alt_gocloud_url, aa.mtime);
			} else if (p_ok && a_ok && aa.mtime > pa.mtime) {
				gocloud_choice_log("Selecting alternate GoCloud cache: newer timestamp",
						   o->gocloud_url, pa.mtime, o->alt_gocloud_url, aa.mtime);
			} else {
				gocloud_choice_log("Selecting primary GoCloud cache", o->gocloud_url,
						   p_ok ? pa.mtime : 0, o->alt_gocloud_url, a_ok ? aa.mtime : 0);
				a_ok = false;
			}
			if (a_ok) {
				use = alt;
				use_attrs = &aa;
				use_url = o->alt_gocloud_url;
				prc = arc;
			}
		}
	}
	if (prc == CIH_ENOTFOUND) { /* not an error: the local archive is extracted */
		log_debug("GoCloud object not found, nothing to download");
	} else if (prc < 0) {
		out.rc = prc;
	} else if (!up_to_date(o, use_attrs->mtime)) {
		if (cache_parallel_transfer() && o->concurrency > 1 && use_attrs->size > 0 &&
		    use_attrs->size > o->chunk_size) {
			out = save_parallel(o, gocloud_url(use), use_attrs->size, use_attrs->mtime, NULL,
					    &use_attrs->meta, timeout_ms, use_url, gocloud_range_headers, use);
		} else {
			struct httpc_response *r = NULL;
			if ((out.rc = gocloud_get(use, c, NULL, timeout_ms, &r)) == 0)
				out = save(o, r, use_attrs->mtime, use_url);
			httpc_resp_free(r);
		}
	}
	gocloud_attrs_dispose(&pa);
	gocloud_attrs_dispose(&aa);
	gocloud_close(g);
	gocloud_close(alt);
	return out;
}

struct dl_ctx {
	struct httpc *c;
	const struct opts *o;
};

static struct cache_outcome download_attempt(void *arg)
{
	struct dl_ctx *ctx = arg;
	if (ctx->o->gocloud_url && *ctx->o->gocloud_url)
		return gocloud_download(ctx->c, ctx->o);
	return download(ctx->c, ctx->o);
}

static int warn_exit(const char *msg)
{
	log_warn("%s", msg);
	return 1;
}

int cmd_cache_extractor(int argc, char **argv)
{
	struct opts o = { .buffer_size = CACHE_DEFAULT_BUFFER, .chunk_size = CACHE_DEFAULT_CHUNK,
			  .concurrency = CACHE_DEFAULT_CONCURRENCY,
			  .retry = 2, .retry_time = 1000000000 };
	const struct flag flags[] = {
		{ "file", NULL, FLAG_STR, &o.file, NULL, "The file containing your cache artifacts", 0, NULL },
		{ "url", NULL, FLAG_STR, &o.url, NULL, "URL of remote cache resource", 0, NULL },
		{ "gocloud-url", NULL, FLAG_STR, &o.gocloud_url, NULL, "Go Cloud URL of remote cache resource (requires credentials)", 0, NULL },
		{ "alternate-url", NULL, FLAG_STR, &o.alt_url, NULL, "(temporary) Alternate pre-signed URL of remote cache resource", 0, NULL },
		{ "alternate-gocloud-url", NULL, FLAG_STR, &o.alt_gocloud_url, NULL, "(temporary) Alternate Go Cloud URL of remote cache resource", 0, NULL },
		{ "head-url", NULL, FLAG_STR, &o.head_url, NULL, "(temporary) HEAD pre-signed URL for primary cache existence check", 0, NULL },
		{ "alternate-head-url", NULL, FLAG_STR, &o.alt_head_url, NULL, "(temporary) HEAD pre-signed URL for alternate cache existence check", 0, NULL },
		{ "timeout", NULL, FLAG_INT, &o.timeout_min, NULL, "Overall timeout for cache downloading request (in minutes)", 0, NULL },
		{ "env-file", NULL, FLAG_STR, &o.env_file, NULL, "Filename containing environment variables to read", 0, NULL },
		{ "transfer-buffer-size", NULL, FLAG_INT, &o.buffer_size, "CACHE_TRANSFER_BUFFER_SIZE", "Buffer size in bytes for streaming cache download (default 4 MiB)", 0, NULL },
		{ "chunk-size", NULL, FLAG_INT, &o.chunk_size, "CACHE_CHUNK_SIZE", "Chunk size in bytes for parallel cache download (default 16 MiB)", 0, NULL },
		{ "concurrency", NULL, FLAG_INT, &o.concurrency, "CACHE_CONCURRENCY", "Concurrent chunks for parallel cache transfer (default 16)", 0, NULL },
		{ "retry", NULL, FLAG_INT, &o.retry, NULL, "How many times to retry upload", 0, NULL },
		{ "retry-time", NULL, FLAG_DURATION, &o.retry_time, NULL, "How long to wait between retries", 0, NULL },
		{ "transfer-meter-frequency", NULL, FLAG_DURATION, &o.meter_freq, "TRANSFER_METER_FREQUENCY", "If set to more than 0s it enables an interactive transfer meter", 0, NULL },
	};
	struct httpc *c = NULL;
	struct extract_stats st;
	struct cache_outcome out;
	char cwd[4096], magic[4] = { 0 };
	int rc, fd;

	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	struct cache_tuning tune = { o.buffer_size, o.chunk_size, o.concurrency };
	if (cache_tuning_check(&tune, false) < 0) {
		log_fatal("%s", err_last()->msg);
		return 1;
	}
	o.buffer_size = tune.buffer_size;
	o.chunk_size = tune.chunk_size;
	if (!getcwd(cwd, sizeof(cwd))) {
		log_fatal("Unable to get working directory");
		return 1;
	}
	if (!o.file || !*o.file)
		return warn_exit("Missing cache file");
	if ((o.url && *o.url) || (o.gocloud_url && *o.gocloud_url)) {
		if (httpc_new(&c, NULL) < 0)
			return app_fatal_error(NULL);
		struct dl_ctx ctx = { c, &o };
		out = cache_retry(download_attempt, &ctx, o.retry, o.retry_time);
		httpc_free(c);
		if (out.rc < 0)
			return warn_exit(err_last()->msg);
	} else {
		log_info("No URL provided, cache will not be downloaded from shared cache server. "
			 "Instead a local version of cache will be extracted.");
	}
	if ((fd = open(o.file, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return warn_exit("Cache file does not exist");
		err_os("open %s", o.file);
		return app_fatal_error(NULL);
	}
	if (read(fd, magic, 4) < 0)
		magic[0] = 0;
	close(fd);
	if (!memcmp(magic, "\x1f\x8b", 2)) {
		log_fatal("unsupported archive format: gzip");
		return 1;
	}
	if (!memcmp(magic, "\x28\xb5\x2f\xfd", 4))
		rc = extract_tarzstd(o.file, &st);
	else if ((rc = cache_fastzip_concurrency("FASTZIP_EXTRACTOR_CONCURRENCY", "extractor")) >= 0)
		rc = extract_zip(o.file, rc, &st);
	if (rc < 0)
		return app_fatal_error(NULL);
	log_debug("extracted %zu files, %zu directories, %zu symlinks (%zu skipped)", st.files,
		  st.dirs, st.symlinks, st.skipped);
	return 0;
}
