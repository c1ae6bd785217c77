/* artifacts-uploader: select the job's artifact paths, stream them as an archive in
 * a multipart body to POST jobs/:id/artifacts, retry as the runner does
 * (runner-helper-cli.md 1.1.1, 1.2, 2.1, 2.2, 4, 6). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../archive/level.h"
#include "../archive/select.h"
#include "../net/url.h"
#include "app.h"
#include "artbody.h"
#include "buf.h"
#include "cache.h"
#include "error.h"
#include "flags.h"
#include "glapi.h"
#include "log.h"
#include "redact.h"
#include "shexpand.h"
#include "slsa.h"

#define TRIES_DEFAULT 3
#define TRIES_UNAVAILABLE 6

struct opts {
	int64_t id, runner_id, meter_freq, timeout, header_timeout;
	const char *token, *url, *ca_file, *cert_file, *key_file;
	struct flag_list paths, excludes, params;
	bool untracked, verbose, debug_trace, metadata;
	const char *name, *expire_in, *format, *type, *level;
	const char *repo_url, *repo_digest, *job_name, *executor_name, *runner_name;
	const char *started_at, *ended_at, *schema_version;
};

enum outcome { UP_OK, UP_RETRY, UP_UNAVAILABLE, UP_FORBIDDEN, UP_TOO_LARGE, UP_REDIRECTED, UP_FATAL };

struct attempt {
	struct opts *o;
	enum artbody_format fmt;
	enum level level;
	int concurrency;
	const struct sel_set *files;
	char filename[4200];
	struct buf url; /* the base URL, changed by a redirect */
	char error[ERR_MSG_MAX];
};

/* url.Values.Encode: keys sorted, QueryEscape'd values. */
static void query_escape(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~')
			buf_putc(out, (char)*p);
		else if (*p == ' ')
			buf_putc(out, '+');
		else
			buf_printf(out, "%%%02X", *p);
	}
}

static void upload_uri(struct buf *out, const struct opts *o)
{
	const char *keys[] = { "artifact_format", "artifact_type", "expire_in" };
	const char *vals[] = { o->format, o->type, o->expire_in };
	bool first = true;

	buf_printf(out, "jobs/%lld/artifacts?", (long long)o->id);
	for (size_t i = 0; i < 3; i++) {
		if (!vals[i] || !*vals[i])
			continue;
		buf_printf(out, "%s%s=", first ? "" : "&", keys[i]);
		query_escape(out, vals[i]);
		first = false;
	}
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct log_field *)a)->key, ((const struct log_field *)b)->key);
}

/* The upload log fields (id, token, correlation_id, the status code once there is a
 * response) plus one extra, sorted as logrus prints them. */
struct upfields {
	struct log_field f[8];
	size_t n;
	char id[24], tok[16], code[8];
};

static void upfields_init(struct upfields *u, const struct opts *o, const char *corr,
			  struct httpc_response *r, const char *k, const char *v)
{
	u->n = 0;
	snprintf(u->id, sizeof(u->id), "%lld", (long long)o->id);
	glapi_short_token(u->tok, sizeof(u->tok), o->token);
	u->f[u->n++] = (struct log_field){ "correlation_id", corr };
	u->f[u->n++] = (struct log_field){ "id", u->id };
	u->f[u->n++] = (struct log_field){ "token", u->tok };
	if (r) {
		snprintf(u->code, sizeof(u->code), "%d", httpc_resp_status(r));
		u->f[u->n++] = (struct log_field){ "http_status_code", u->code };
	}
	if (k)
		u->f[u->n++] = (struct log_field){ k, v };
	qsort(u->f, u->n, sizeof(u->f[0]), cmp_field);
}

/* UploadRawArtifacts and determineUploadState for one attempt. */
static enum outcome upload_once(struct attempt *a)
{
	struct opts *o = a->o;
	struct glapi *api = NULL;
	struct artbody *body = NULL;
	struct httpc_response *r = NULL;
	struct buf uri = BUF_INIT, reply = BUF_INIT, text = BUF_INIT, prefix = BUF_INIT;
	struct glapi_call call = { .method = "POST" };
	struct upfields uf, fs;
	char status[8];
	enum outcome out = UP_RETRY;
	int rc;

	if (o->type && *o->type)
		buf_printf(&prefix, "Uploading artifacts as \"%s\" to coordinator...", o->type);
	else
		buf_puts(&prefix, "Uploading artifacts to coordinator...");
	struct glapi_opts go = { .url = buf_cstr(&a->url), .token = o->token, .ca_file = o->ca_file,
				 .cert_file = o->cert_file, .key_file = o->key_file,
				 .timeout_ms = o->timeout / 1000000, .header_timeout_ms = o->header_timeout / 1000000 };
	struct artbody_opts bo = { .format = a->fmt, .level = a->level, .concurrency = a->concurrency,
				   .legacy_zip = !cache_ff_default_on("FF_USE_FASTZIP"),
				   .filename = a->filename, .meter_freq_ns = o->meter_freq };
	if ((rc = glapi_open(&api, &go)) < 0 || (rc = artbody_new(&body, &bo, a->files->v, a->files->n)) < 0) {
		snprintf(a->error, sizeof(a->error), "%s", err_last()->msg);
		out = rc == CIH_EUSAGE ? UP_FATAL : UP_RETRY;
		goto done;
	}
	upload_uri(&uri, o);
	call.uri = buf_cstr(&uri);
	call.body = artbody_body(body);
	call.content_type = artbody_content_type(body);
	rc = glapi_send(api, &call, &r);
	artbody_meter_done(body);
	if (rc == 0)
		rc = glapi_read_body(r, &reply, 64 << 10);
	const char *corr = glapi_correlation_id(r, call.request_id);
	if (rc < 0) {
		snprintf(a->error, sizeof(a->error), "%s", err_last()->msg);
		upfields_init(&uf, o, corr, NULL, "error", a->error);
		log_write(LOG_ERROR, uf.f, uf.n, "%s error", buf_cstr(&prefix));
		goto done;
	}
	if (o->debug_trace) {
		upfields_init(&uf, o, corr, r, NULL, NULL);
		glapi_trace_response(r, reply.ptr, reply.len, uf.f, uf.n);
	}
	glapi_status_text(&text, r, reply.ptr, reply.len, "POST", false);
	int st = httpc_resp_status(r);
	snprintf(status, sizeof(status), "%d", st);
	upfields_init(&uf, o, corr, r, NULL, NULL);
	upfields_init(&fs, o, corr, r, "status", status);
	switch (st) {
	case 201:
		log_write(LOG_INFO, uf.f, uf.n, "%s %s", buf_cstr(&prefix), buf_cstr(&text));
		out = UP_OK;
		break;
	case 307: {
		const char *loc = httpc_resp_header(r, "Location");
		if (!loc || !*loc) {
			log_write(LOG_ERROR, fs.f, fs.n, "%s %s empty location", buf_cstr(&prefix), buf_cstr(&text));
			snprintf(a->error, sizeof(a->error), "upload failed with no response from coordinator");
			break;
		}
		struct url u;
		struct buf nu = BUF_INIT;
		if (url_parse(&u, loc) < 0) {
			snprintf(a->error, sizeof(a->error), "parsing new location URL: %.900s", err_last()->msg);
			break;
		}
		buf_printf(&nu, "%s://%s", u.scheme, u.host);
		if (u.explicit_port)
			buf_printf(&nu, ":%s", u.port);
		url_dispose(&u);
		log_write(LOG_INFO, (struct log_field[]){ { "location", loc }, { "new-url", buf_cstr(&nu) } }, 2,
			  "Upload request redirected");
		buf_clear(&a->url);
		buf_puts(&a->url, buf_cstr(&nu));
		buf_dispose(&nu);
		snprintf(a->error, sizeof(a->error), "request redirected");
		out = UP_REDIRECTED;
		break;
	}
	case 403:
		log_write(LOG_ERROR, fs.f, fs.n, "%s %s", buf_cstr(&prefix), buf_cstr(&text));
		out = UP_FORBIDDEN;
		break;
	case 413:
		log_write(LOG_ERROR, fs.f, fs.n, "%s %s", buf_cstr(&prefix), buf_cstr(&text));
		out = UP_TOO_LARGE;
		break;
	case 503:
		log_write(LOG_ERROR, fs.f, fs.n, "%s %s", buf_cstr(&prefix), buf_cstr(&text));
		snprintf(a->error, sizeof(a->error), "service unavailable");
		out = UP_UNAVAILABLE;
		break;
	default:
		log_write(LOG_WARN, fs.f, fs.n, "%s %s", buf_cstr(&prefix), buf_cstr(&text));
		snprintf(a->error, sizeof(a->error), "upload failed with no response from coordinator");
		break;
	}
done:
	httpc_resp_free(r);
	artbody_free(body);
	glapi_close(api);
	buf_dispose(&uri);
	buf_dispose(&reply);
	buf_dispose(&text);
	buf_dispose(&prefix);
	return out;
}

/* helpers/retry with the uploader's check: 3 tries, 6 after a 503; waits of 1, 2,
 * 4, 5, 5 s; "Retrying..." before each wait. */
static int run_with_retries(struct attempt *a)
{
	int64_t wait_ms = 1000;

	for (int tries = 1;; tries++) {
		enum outcome out = upload_once(a);
		switch (out) {
		case UP_OK:
			return 0;
		case UP_FORBIDDEN:
			return err_set(CIH_EAUTH, "permission denied");
		case UP_TOO_LARGE:
			return err_set(CIH_ETOOBIG, "too large");
		case UP_FATAL:
			return err_set(CIH_ERR, "%s", a->error);
		default:
			break;
		}
		if (tries >= (out == UP_UNAVAILABLE ? TRIES_UNAVAILABLE : TRIES_DEFAULT))
			return err_set(CIH_ENET, "%s", a->error);
		log_write(LOG_WARN, (struct log_field[]){ { "context", "artifacts-uploader" }, { "error", a->error } },
			  2, "Retrying...");
		nanosleep(&(struct timespec){ wait_ms / 1000, (wait_ms % 1000) * 1000000 }, NULL);
		wait_ms = wait_ms * 2 > 5000 ? 5000 : wait_ms * 2;
	}
}

static char *expand_name(const char *name)
{
	char *out = NULL;

	if (shexp_expand(name, &out) < 0) {
		log_warn("invalid artifact name: %s", err_last()->msg);
		free(out);
		return strdup(name);
	}
	return out;
}

/* Formats that cannot take the selection fail before any request, where upstream
 * found out after three attempts. */
static int check_selection(enum artbody_format fmt, const struct sel_set *files)
{
	if (fmt == ARTBODY_RAW && files->n > 1)
		return err_set(CIH_EUSAGE, "only one file can be sent as raw");
	if (fmt == ARTBODY_GZIP)
		for (size_t i = 0; i < files->n; i++)
			if (!S_ISREG(files->v[i].st.st_mode))
				return err_set(CIH_EUSAGE, "the \"%s\" is not a regular file", files->v[i].path);
	if (fmt == ARTBODY_RAW && files->n == 1 && S_ISDIR(files->v[0].st.st_mode))
		return err_set(CIH_EUSAGE, "read %s: is a directory", files->v[0].path);
	return 0;
}

static int write_metadata(struct opts *o, const char *name, const struct sel_options *so,
			  struct sel_set *files)
{
	char wd[4096];
	struct buf path = BUF_INIT;
	int rc;

	log_info("Generating artifacts statement");
	if (!getcwd(wd, sizeof(wd)))
		return err_os("getwd");
	buf_printf(&path, "%s/%s-metadata.json", wd, name);
	struct slsa_opts mo = {
		.job_id = o->id, .runner_id = o->runner_id, .repo_url = o->repo_url, .repo_digest = o->repo_digest,
		.job_name = o->job_name, .executor_name = o->executor_name, .runner_name = o->runner_name,
		.params = o->params.v, .nparams = o->params.n, .started_at = o->started_at,
		.ended_at = o->ended_at, .schema_version = o->schema_version,
	};
	if ((rc = slsa_write(&mo, files->v, files->n, buf_cstr(&path))) == 0)
		rc = sel_add(so, files, buf_cstr(&path));
	buf_dispose(&path);
	return rc;
}

int cmd_artifacts_uploader(int argc, char **argv)
{
	struct opts o = { .name = "artifacts", .timeout = 3600LL * 1000000000, .header_timeout = 600LL * 1000000000 };
	const struct flag flags[] = {
		GLAPI_JOB_FLAGS(o),
		{ "path", NULL, FLAG_LIST, &o.paths, NULL, "Add paths to archive", 0, NULL },
		{ "exclude", NULL, FLAG_LIST, &o.excludes, NULL, "Exclude paths from the archive", 0, NULL },
		{ "untracked", NULL, FLAG_BOOL, &o.untracked, NULL, "Add git untracked files", 0, NULL },
		{ "verbose", NULL, FLAG_BOOL, &o.verbose, NULL, "Detailed information", 0, NULL },
		{ "transfer-meter-frequency", NULL, FLAG_DURATION, &o.meter_freq, "TRANSFER_METER_FREQUENCY", "If set to more than 0s it enables an interactive transfer meter", 0, NULL },
		{ "generate-artifacts-metadata", NULL, FLAG_BOOL, &o.metadata, NULL, "", 0, NULL },
		{ "runner-id", NULL, FLAG_INT, &o.runner_id, NULL, "", 0, NULL },
		{ "repo-url", NULL, FLAG_STR, &o.repo_url, NULL, "", 0, NULL },
		{ "repo-digest", NULL, FLAG_STR, &o.repo_digest, NULL, "", 0, NULL },
		{ "job-name", NULL, FLAG_STR, &o.job_name, NULL, "", 0, NULL },
		{ "executor-name", NULL, FLAG_STR, &o.executor_name, NULL, "", 0, NULL },
		{ "runner-name", NULL, FLAG_STR, &o.runner_name, NULL, "", 0, NULL },
		{ "metadata-parameter", NULL, FLAG_LIST, &o.params, NULL, "", 0, NULL },
		{ "started-at", NULL, FLAG_STR, &o.started_at, NULL, "", 0, NULL },
		{ "ended-at", NULL, FLAG_STR, &o.ended_at, NULL, "", 0, NULL },
		{ "schema-version", NULL, FLAG_STR, &o.schema_version, NULL, "", 0, NULL },
		{ "name", NULL, FLAG_STR, &o.name, NULL, "The name of the archive", 0, NULL },
		{ "expire-in", NULL, FLAG_STR, &o.expire_in, NULL, "When to expire artifacts", 0, NULL },
		{ "artifact-format", NULL, FLAG_STR, &o.format, NULL, "Format of generated artifacts", 0, NULL },
		{ "artifact-type", NULL, FLAG_STR, &o.type, NULL, "Type of generated artifacts", 0, NULL },
		{ "compression-level", NULL, FLAG_STR, &o.level, "ARTIFACT_COMPRESSION_LEVEL", "Compression level (fastest, fast, default, slow, slowest)", 0, NULL },
		{ "timeout", NULL, FLAG_DURATION, &o.timeout, NULL, "Timeout for the upload operation", 0, NULL },
		{ "response-header-timeout", NULL, FLAG_DURATION, &o.header_timeout, NULL, "Timeout for response headers", 0, NULL },
		{ "ci-debug-trace", NULL, FLAG_BOOL, &o.debug_trace, "CI_DEBUG_TRACE", "enable debug trace logging", 0, NULL },
	};
	struct sel_set files = SEL_SET_INIT;
	struct attempt a = { .o = &o, .url = BUF_INIT };
	char *name = NULL;
	int rc;

	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	if (!o.url || !*o.url || !o.token || !*o.token) {
		log_fatal("Missing runner credentials");
		return 1;
	}
	if (o.id <= 0) {
		log_fatal("Missing build ID");
		return 1;
	}
	redact_add_secret(o.token);
	if (!(name = expand_name(o.name ? o.name : "")))
		return app_fatal_error(NULL);
	if (!artbody_parse_format(o.format, &a.fmt)) {
		log_fatal("unsupported archive format: %s", o.format);
		rc = 1;
		goto out;
	}
	if (!level_parse(o.level ? o.level : "", &a.level))
		log_warn("compression level \"%s\" is invalid, falling back to default", o.level);
	if ((a.concurrency = cache_fastzip_concurrency("FASTZIP_ARCHIVER_CONCURRENCY", "archiver")) < 0) {
		rc = app_fatal_error(NULL);
		goto out;
	}
	struct sel_options so = { .paths = o.paths.v, .npaths = o.paths.n, .excludes = o.excludes.v,
				  .nexcludes = o.excludes.n, .untracked = o.untracked };
	if (sel_enumerate(&so, &files) < 0 || (o.metadata && write_metadata(&o, name, &so, &files) < 0)) {
		rc = app_fatal_error(NULL);
		goto out;
	}
	rc = 0;
	if (files.n == 0) {
		log_error("No files to upload");
		goto out;
	}
	if (check_selection(a.fmt, &files) < 0) {
		rc = app_fatal_error(NULL);
		goto out;
	}
	artbody_filename(a.filename, sizeof(a.filename), name, a.fmt);
	a.files = &files;
	buf_puts(&a.url, o.url);
	if (run_with_retries(&a) < 0)
		rc = app_fatal_error(NULL);
out:
	free(name);
	buf_dispose(&a.url);
	sel_set_dispose(&files);
	flags_list_dispose(&o.paths);
	flags_list_dispose(&o.excludes);
	flags_list_dispose(&o.params);
	return rc;
}
