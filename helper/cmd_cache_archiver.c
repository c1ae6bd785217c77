/* cache-archiver: select the cache paths, archive them next to --file (temp file,
 * then rename), write metadata.json and upload to a presigned URL
 * (runner-helper-cli.md 1.1.1, 1.4, 3.2, 3.4, 4). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../archive/level.h"
#include "../archive/select.h"
#include "../archive/tar_archive.h"
#include "../archive/zip_write.h"
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

enum format { FMT_ZIP, FMT_ZIPZSTD, FMT_TARZSTD };

struct opts {
	const char *file, *alt_file, *url, *check_url, *gocloud_url, *metadata;
	const char *level, *format, *env_file;
	struct flag_list headers, paths, excludes;
	bool untracked, verbose;
	int64_t timeout_min, max_size, buffer_size, chunk_size, concurrency, retry, retry_time, meter_freq;
};

struct upload_ctx {
	struct httpc *c;
	const struct opts *o;
	struct httpc_header *hdrs;
	size_t nhdrs;
};

/* Go's http.CanonicalMIMEHeaderKey: "x-amz-meta-key" -> "X-Amz-Meta-Key"; names
 * with characters outside a token are left alone. */
static char *canonical_key(const char *k, size_t len)
{
	char *out = malloc(len + 1);
	bool upper = true;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!strchr("!#$%&'*+-.^_`|~", k[i]) && !((k[i] | 32) >= 'a' && (k[i] | 32) <= 'z') &&
		    !(k[i] >= '0' && k[i] <= '9')) {
			memcpy(out, k, len);
			out[len] = '\0';
			return out;
		}
	for (size_t i = 0; i < len; i++) {
		char ch = k[i];
		if (upper && ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 32);
		else if (!upper && ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		out[i] = ch;
		upper = ch == '-';
	}
	out[len] = '\0';
	return out;
}

static const char *trim(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r' || s[*len - 1] == '\n'))
		(*len)--;
	return s;
}

/* --header "Key: value": split at the first ':', both sides trimmed, no ':' ignored,
 * a later duplicate wins; Content-Type defaults to application/octet-stream and
 * Last-Modified is the archive's mtime. */
static int build_headers(struct upload_ctx *u, time_t mtime)
{
	static char last_modified[HTTPDATE_SIZE];
	const struct flag_list *l = &u->o->headers;
	bool has_type = false;

	u->hdrs = calloc(l->n + 2, sizeof(*u->hdrs));
	if (!u->hdrs)
		return err_set(CIH_ENOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++) {
		const char *colon = strchr(l->v[i], ':');
		if (!colon)
			continue;
		size_t kl = (size_t)(colon - l->v[i]), vl = strlen(colon + 1);
		const char *k = trim(l->v[i], &kl), *v = trim(colon + 1, &vl);
		char *key = canonical_key(k, kl), *val = strndup(v, vl);
		if (!key || !val) {
			free(key);
			free(val);
			return err_set(CIH_ENOMEM, "out of memory");
		}
		if (!*key) {
			free(key);
			free(val);
			continue;
		}
		size_t j = 0;
		while (j < u->nhdrs && strcmp(u->hdrs[j].name, key))
			j++;
		if (j < u->nhdrs) {
			free(key);
			free((char *)u->hdrs[j].value);
			u->hdrs[j].value = val;
		} else {
			u->hdrs[u->nhdrs++] = (struct httpc_header){ key, val };
		}
		has_type |= !strcmp(key, "Content-Type");
	}
	if (!has_type)
		u->hdrs[u->nhdrs++] = (struct httpc_header){ strdup("Content-Type"), strdup("application/octet-stream") };
	httpdate_format(last_modified, mtime);
	for (size_t j = 0; j < u->nhdrs; j++)
		if (!strcmp(u->hdrs[j].name, "Last-Modified")) {
			free((char *)u->hdrs[j].value);
			u->hdrs[j].value = strdup(last_modified);
			return 0;
		}
	u->hdrs[u->nhdrs++] = (struct httpc_header){ strdup("Last-Modified"), strdup(last_modified) };
	return 0;
}

static void free_headers(struct upload_ctx *u)
{
	for (size_t i = 0; i < u->nhdrs; i++) {
		free((char *)u->hdrs[i].name);
		free((char *)u->hdrs[i].value);
	}
	free(u->hdrs);
}

struct file_body {
	int fd;
	char *buf;
	size_t size;
	struct meter *m;
};

static ssize_t body_read(void *ctx, void *data, size_t size)
{
	struct file_body *b = ctx;
	ssize_t n;

	do
		n = read(b->fd, data, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_os("reading the cache archive");
	meter_add(b->m, (size_t)n);
	return n;
}

static int body_rewind(void *ctx)
{
	struct file_body *b = ctx;
	return lseek(b->fd, 0, SEEK_SET) < 0 ? err_os("rewinding the cache archive") : 0;
}

static struct cache_outcome upload_attempt(void *arg)
{
	struct upload_ctx *u = arg;
	const struct opts *o = u->o;
	struct cache_outcome out = { 0, false, false };
	struct httpc_response *r = NULL;
	struct stat st;
	struct meter m;
	struct buf cleaned = BUF_INIT;
	char *base = strdup(o->file);
	int fd = open(o->file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !base) {
		out.rc = err_os("open %s", o->file);
		goto done;
	}
	log_info("Using presigned URL for cache upload");
	cache_clean_url(&cleaned, o->url);
	log_info("Uploading %s to %s", basename(base), buf_cstr(&cleaned));
	if (!u->hdrs && (out.rc = build_headers(u, st.st_mtime)) < 0)
		goto done;
	meter_start(&m, "Uploading cache", st.st_size, o->meter_freq);
	struct file_body fb = { fd, NULL, 0, &m };
	struct httpc_body body = { st.st_size, body_read, body_rewind, &fb };
	int64_t timeout_ms = (o->timeout_min > 0 ? o->timeout_min : 10) * 60000;
	out.rc = httpc_send(u->c, &(struct httpc_request){ .method = "PUT", .url = o->url,
							   .headers = u->hdrs, .nheaders = u->nhdrs,
							   .body = &body, .timeout_ms = timeout_ms },
			    &r);
	meter_done(&m);
	if (out.rc < 0) {
		out.retryable = true;
	} else if (httpc_resp_status(r) / 100 != 2) {
		out.rc = cache_status_error(r);
		out.retryable = httpc_resp_status(r) / 100 == 5;
	} else {
		httpc_resp_drain(r, 64 << 10);
	}
done:
	httpc_resp_free(r);
	if (fd >= 0)
		close(fd);
	free(base);
	buf_dispose(&cleaned);
	return out;
}

/* GoCloud sniffs the type from the first bytes, as net/http.DetectContentType. */
static const char *sniff_type(int fd)
{
	unsigned char m[4] = { 0 };
	ssize_t n = pread(fd, m, 4, 0);
	return n == 4 && !memcmp(m, "PK\x03\x04", 4) ? "application/zip" : "application/octet-stream";
}

static int gocloud_upload(struct httpc *c, const struct opts *o)
{
	struct gocloud *g = NULL;
	struct cache_meta meta = { 0 };
	struct buf cleaned = BUF_INIT;
	char *base = strdup(o->file);
	struct stat st;
	struct meter m;
	int fd = -1, rc;

	log_info("Using GoCloud URL for cache upload");
	gocloud_clean_url(&cleaned, o->gocloud_url);
	log_info("Uploading %s to %s", base ? basename(base) : o->file, buf_cstr(&cleaned));
	if ((rc = dotenv_load(o->env_file)) < 0 || (rc = gocloud_open(&g, o->gocloud_url)) < 0)
		goto out;
	if (o->metadata && *o->metadata && (rc = cache_meta_from_json(&meta, o->metadata)) < 0)
		goto out;
	if ((fd = open(o->file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		rc = err_os("open %s", o->file);
		goto out;
	}
	meter_start(&m, "Uploading cache", st.st_size, o->meter_freq);
	struct file_body fb = { fd, NULL, 0, &m };
	struct httpc_body body = { st.st_size, body_read, body_rewind, &fb };
	int64_t timeout_ms = (o->timeout_min > 0 ? o->timeout_min : 10) * 60000;
	/* gocloud's writers: one request up to a part, parts beyond; parts in parallel
	 * only with FF_USE_PARALLEL_CACHE_TRANSFER */
	if (st.st_size > o->chunk_size)
		rc = gocloud_put_parts(g, c, fd, st.st_size, o->chunk_size,
				       cache_parallel_transfer() ? (int)o->concurrency : 1,
				       &meta, sniff_type(fd), timeout_ms, &m);
	else
		rc = gocloud_put(g, c, &body, &meta, sniff_type(fd), timeout_ms);
	meter_done(&m);
out:
	if (fd >= 0)
		close(fd);
	gocloud_close(g);
	cache_meta_dispose(&meta);
	buf_dispose(&cleaned);
	free(base);
	return rc;
}

static int upload(const struct opts *o, off_t size)
{
	struct upload_ctx u = { .o = o };
	struct cache_outcome out;

	if ((!o->url || !*o->url) && (!o->gocloud_url || !*o->gocloud_url)) {
		log_info("No URL provided, cache will not be uploaded to shared cache server. "
			 "Cache will be stored only locally.");
		return 0;
	}
	if (o->max_size != 0 && size > o->max_size) {
		log_info("Cache archive size (%lld) is too big (Limit is set to %lld). "
			 "Cache will be stored only locally.", (long long)size, (long long)o->max_size);
		return 0;
	}
	if (httpc_new(&u.c, NULL) < 0)
		return app_fatal_error(NULL);
	if (o->gocloud_url && *o->gocloud_url) { /* never retried, as upstream */
		int rc = gocloud_upload(u.c, o);
		httpc_free(u.c);
		return rc < 0 ? app_fatal_error(NULL) : 0;
	}
	out = cache_retry(upload_attempt, &u, o->retry, o->retry_time);
	free_headers(&u);
	httpc_free(u.c);
	return out.rc < 0 ? app_fatal_error(NULL) : 0;
}

/* HEAD --check-url: 200 means the primary object exists; anything else, absent. */
static bool primary_exists(const struct opts *o)
{
	struct httpc *c = NULL;
	struct httpc_response *r = NULL;
	bool exists = false;
	char status[16];

	if (o->gocloud_url && *o->gocloud_url) {
		struct gocloud *g = NULL;
		struct gocloud_attrs a;
		if (httpc_new(&c, NULL) == 0 && dotenv_load(o->env_file) == 0 && gocloud_open(&g, o->gocloud_url) == 0 &&
		    gocloud_attributes(g, c, (o->timeout_min > 0 ? o->timeout_min : 10) * 60000, &a) == 0) {
			exists = true;
			gocloud_attrs_dispose(&a);
		}
		log_write(LOG_DEBUG, &(struct log_field){ "object", g ? gocloud_object(g) : "" }, 1,
			  exists ? "Primary cache object found in remote storage"
				 : "Primary cache object not found in remote storage");
		gocloud_close(g);
		httpc_free(c);
		return exists;
	}
	if (!o->check_url || !*o->check_url)
		return false;
	if (httpc_new(&c, NULL) < 0 ||
	    httpc_send(c, &(struct httpc_request){ .method = "HEAD", .url = o->check_url,
						   .timeout_ms = (o->timeout_min > 0 ? o->timeout_min : 10) * 60000 },
		       &r) < 0) {
		log_with_error(LOG_WARN, "Failed to check primary cache existence via HEAD request, assuming absent");
	} else {
		exists = httpc_resp_status(r) == 200;
		snprintf(status, sizeof(status), "%d", httpc_resp_status(r));
		log_write(LOG_DEBUG, &(struct log_field){ "status", status }, 1,
			  "Primary cache HEAD request completed");
	}
	httpc_resp_free(r);
	httpc_free(c);
	return exists;
}

static void rename_alternate(const struct opts *o)
{
	struct stat st;

	if (!o->alt_file || !*o->alt_file || !strcmp(o->alt_file, o->file))
		return;
	if (stat(o->file, &st) == 0) {
		log_debug("Primary cache file already exists locally, skipping rename from alternate");
		return;
	}
	if (errno != ENOENT) {
		err_os("stat %s", o->file);
		log_with_error(LOG_WARN, "Failed to stat primary cache file");
		return;
	}
	if (stat(o->alt_file, &st) < 0) {
		log_debug("Alternate cache file not found locally, nothing to rename");
		return;
	}
	if (cache_make_parents(o->file) < 0) {
		log_with_error(LOG_WARN, "Failed to create directory for cache file rename");
		return;
	}
	if (rename(o->alt_file, o->file) < 0) {
		err_os("rename %s %s", o->alt_file, o->file);
		log_with_error(LOG_WARN, "Failed to rename alternate cache file to primary");
		return;
	}
	log_info("Renamed alternate cache file to primary");
}

/* True when some selected path is newer than the archive, or there is no archive. */
static bool changed(const char *file, const struct sel_set *files)
{
	struct stat st;

	if (stat(file, &st) < 0) {
		if (errno != ENOENT)
			log_warn("stat %s: %s", file, strerror(errno));
		return true;
	}
	for (size_t i = 0; i < files->n; i++) {
		const struct timespec *t = &files->v[i].st.st_mtim;
		if (t->tv_sec > st.st_mtim.tv_sec ||
		    (t->tv_sec == st.st_mtim.tv_sec && t->tv_nsec > st.st_mtim.tv_nsec))
			return true;
	}
	return false;
}

static enum format parse_format(const char *s)
{
	if (s && !strcasecmp(s, "tarzstd"))
		return FMT_TARZSTD;
	if (s && !strcasecmp(s, "zipzstd"))
		return FMT_ZIPZSTD;
	return FMT_ZIP;
}

static int write_tarzstd(int fd, enum level level, const struct sel_set *files)
{
	struct tar_archive_stats st;

	int rc = tar_archive_write(fd, files->v, files->n, level_zstd(level, false), 0, &st);
	if (rc == 0)
		log_debug("archived %zu files, %zu directories, %zu symlinks (%zu skipped): %llu bytes to %llu",
			  st.files, st.dirs, st.symlinks, st.skipped, (unsigned long long)st.in_bytes,
			  (unsigned long long)st.out_bytes);
	return rc;
}

static int write_archive(int fd, const struct opts *o, const struct sel_set *files)
{
	enum format fmt = parse_format(o->format);
	enum level level;
	int conc = cache_fastzip_concurrency("FASTZIP_ARCHIVER_CONCURRENCY", "archiver");

	if (!level_parse(o->level, &level))
		log_warn("compression level \"%s\" is invalid, falling back to default", o->level);
	if (conc < 0)
		return conc;
	if (fmt == FMT_TARZSTD)
		return write_tarzstd(fd, level, files);

	struct zip_write_stats st;
	struct zip_write_opts zo = { .level = level, .zstd = fmt == FMT_ZIPZSTD, .concurrency = conc };
	int rc = zip_write_archive(fd, files->v, files->n, &zo, &st);
	if (rc == 0)
		log_debug("archived %zu files, %zu directories, %zu symlinks (%zu skipped): %llu bytes to %llu",
			  st.files, st.dirs, st.symlinks, st.skipped, (unsigned long long)st.in_bytes,
			  (unsigned long long)st.out_bytes);
	return rc;
}

/* A temp file "archive_*" next to --file, fsync'ed and renamed over it. */
static int create_archive(const struct opts *o, const struct sel_set *files, off_t *size)
{
	char tmp[4200];
	struct stat st;
	int fd, rc;

	if ((rc = cache_make_parents(o->file)) < 0)
		return rc;
	if ((fd = cache_temp_file(o->file, "archive_", tmp, sizeof(tmp))) < 0)
		return fd;
	log_debug("Temporary file: %s", tmp);
	rc = write_archive(fd, o, files);
	if (rc == 0 && (fsync(fd) < 0 || fstat(fd, &st) < 0))
		rc = err_os("writing %s", tmp);
	if (close(fd) < 0 && rc == 0)
		rc = err_os("writing %s", tmp);
	if (rc == 0 && rename(tmp, o->file) < 0)
		rc = err_os("rename %s %s", tmp, o->file);
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	*size = st.st_size;
	return 0;
}

int cmd_cache_archiver(int argc, char **argv)
{
	struct opts o = { .buffer_size = CACHE_DEFAULT_BUFFER, .chunk_size = CACHE_DEFAULT_CHUNK,
			  .concurrency = CACHE_DEFAULT_CONCURRENCY, .retry = 2, .retry_time = 1000000000 };
	const struct flag flags[] = {
		{ "path", NULL, FLAG_LIST, &o.paths, NULL, "Add paths to archive", 0, NULL },
		{ "exclude", NULL, FLAG_LIST, &o.excludes, NULL, "Exclude paths from the archive", 0, NULL },
		{ "untracked", NULL, FLAG_BOOL, &o.untracked, NULL, "Add git untracked files", 0, NULL },
		{ "verbose", NULL, FLAG_BOOL, &o.verbose, NULL, "Detailed information", 0, NULL },
		{ "retry", NULL, FLAG_INT, &o.retry, NULL, "How many times to retry upload", 0, NULL },
		{ "retry-time", NULL, FLAG_DURATION, &o.retry_time, NULL, "How long to wait between retries", 0, NULL },
		{ "transfer-meter-frequency", NULL, FLAG_DURATION, &o.meter_freq, "TRANSFER_METER_FREQUENCY", "If set to more than 0s it enables an interactive transfer meter", 0, NULL },
		{ "file", NULL, FLAG_STR, &o.file, NULL, "The path to file", 0, NULL },
		{ "alternate-file", NULL, FLAG_STR, &o.alt_file, NULL, "(temporary) Alternate local cache file path (e.g. unhashed name) to rename to --file if --file does not exist", 0, NULL },
		{ "url", NULL, FLAG_STR, &o.url, NULL, "URL of remote cache resource (pre-signed URL)", 0, NULL },
		{ "check-url", NULL, FLAG_STR, &o.check_url, NULL, "(temporary) Pre-signed HEAD URL to check whether the primary cache object already exists", 0, NULL },
		{ "gocloud-url", NULL, FLAG_STR, &o.gocloud_url, NULL, "Go Cloud URL of remote cache resource (requires credentials)", 0, NULL },
		{ "timeout", NULL, FLAG_INT, &o.timeout_min, NULL, "Overall timeout for cache uploading request (in minutes)", 0, NULL },
		{ "header", NULL, FLAG_LIST, &o.headers, NULL, "HTTP headers to send with PUT request (in form of 'key:value')", 0, NULL },
		{ "metadata", NULL, FLAG_STR, &o.metadata, "CACHE_METADATA", "Metadata for the cache artifact (JSON encoded key-value-pairs, e.g. '{\"foo\":\"bar\",\"blerp\":\"blip\"}')", 0, NULL },
		{ "compression-level", NULL, FLAG_STR, &o.level, "CACHE_COMPRESSION_LEVEL", "Compression level (fastest, fast, default, slow, slowest)", 0, NULL },
		{ "compression-format", NULL, FLAG_STR, &o.format, "CACHE_COMPRESSION_FORMAT", "Compression format (zip, tarzstd, zipzstd)", 0, NULL },
		{ "max-uploaded-archive-size", NULL, FLAG_INT, &o.max_size, "CACHE_MAX_UPLOADED_ARCHIVE_SIZE", "Limit the size of the cache archive being uploaded to cloud storage, in bytes.", 0, NULL },
		{ "env-file", NULL, FLAG_STR, &o.env_file, NULL, "Filename containing environment variables to read", 0, NULL },
		{ "transfer-buffer-size", NULL, FLAG_INT, &o.buffer_size, "CACHE_TRANSFER_BUFFER_SIZE", "Buffer size in bytes for streaming cache upload/download (default 4 MiB)", 0, NULL },
		{ "chunk-size", NULL, FLAG_INT, &o.chunk_size, "CACHE_CHUNK_SIZE", "Part/chunk size in bytes for GoCloud upload when FF_USE_PARALLEL_CACHE_TRANSFER is enabled (default 16 MiB)", 0, NULL },
		{ "concurrency", NULL, FLAG_INT, &o.concurrency, "CACHE_CONCURRENCY", "Concurrent parts for GoCloud multipart upload when FF_USE_PARALLEL_CACHE_TRANSFER is enabled (default 16; otherwise 1)", 0, NULL },
	};
	struct cache_meta meta = { 0 };
	struct sel_set files = SEL_SET_INIT;
	struct stat st;
	off_t size;
	int rc;

	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	if (!o.file || !*o.file) {
		log_fatal("Missing --file");
		return 1;
	}
	if (o.metadata && *o.metadata && cache_meta_from_json(&meta, o.metadata) < 0)
		return app_fatal_error(NULL);
	rename_alternate(&o);
	struct cache_tuning tune = { o.buffer_size, o.chunk_size, o.concurrency };
	if (cache_tuning_check(&tune, true) < 0)
		return app_fatal_error(NULL);
	o.buffer_size = tune.buffer_size;
	o.chunk_size = tune.chunk_size;
	o.concurrency = tune.concurrency;
	struct sel_options so = { .paths = o.paths.v, .npaths = o.paths.n, .excludes = o.excludes.v,
				  .nexcludes = o.excludes.n, .untracked = o.untracked };
	if (sel_enumerate(&so, &files) < 0) {
		rc = app_fatal_error(NULL);
		goto out;
	}
	rc = 0;
	if (files.n == 0) {
		log_warn("No files to cache.");
		goto out;
	}
	if (!changed(o.file, &files)) {
		if (o.alt_file && !strcmp(o.alt_file, o.file)) {
			log_info("Archive is up to date!");
		} else if (stat(o.file, &st) == 0) {
			/* the archive may have come from the alternate key: make sure the
			 * primary remote has it too */
			if (primary_exists(&o)) {
				log_info("Primary cache already exists remotely, skipping upload");
			} else {
				log_info("Primary cache does not exist remotely, uploading existing archive");
				rc = upload(&o, st.st_size);
			}
		}
		goto out;
	}
	if (create_archive(&o, &files, &size) < 0 || cache_meta_write(&meta, o.file) < 0) {
		rc = app_fatal_error(NULL);
		goto out;
	}
	rc = upload(&o, size);
out:
	sel_set_dispose(&files);
	cache_meta_dispose(&meta);
	flags_list_dispose(&o.paths);
	flags_list_dispose(&o.excludes);
	flags_list_dispose(&o.headers);
	return rc;
}
