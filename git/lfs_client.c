/* The batch API: POST <endpoint>/objects/batch with git-lfs's media type, HTTP
 * Basic from the URL or the credential helpers (asked after a 401, approved or
 * rejected afterwards as git does), http.<url>.* settings, and retries of
 * 408/429/5xx and network failures (lfs.transfer.maxretries, Retry-After). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/redact.h"
#include "../helper/version.h"
#include "../net/retry.h"
#include "../net/url.h"
#include "gtransport.h"
#include "gurl.h"
#include "lfs_internal.h"

#define BATCH_REPLY_MAX (64 << 20)

static bool cfg_bool(git_config *cfg, const char *section, const char *key, const char *url, bool def)
{
	char *v = NULL;
	int b = def;

	if (gurl_get(cfg, section, key, url, &v) == 0 && git_config_parse_bool(&b, v ? v : "true") < 0)
		b = def;
	free(v);
	git_error_clear();
	return b;
}

static int basic(char **out, const char *user, const char *pass)
{
	struct buf up = BUF_INIT, h = BUF_INIT;
	size_t n = 0, cap;
	int rc = 0;

	buf_printf(&up, "%s:%s", user ? user : "", pass ? pass : "");
	cap = up.len * 4 / 3 + 8;
	if (up.failed || buf_grow(&h, cap + 8) < 0)
		rc = err_set(CIH_ENOMEM, "out of memory");
	else {
		memcpy(h.ptr, "Basic ", 6);
		if (mbedtls_base64_encode((unsigned char *)h.ptr + 6, cap, &n, (const unsigned char *)up.ptr, up.len))
			rc = err_set(CIH_ETOOBIG, "credentials too long");
		h.len = 6 + n;
		h.ptr[h.len] = '\0';
	}
	if (up.ptr)
		explicit_bzero(up.ptr, up.len);
	buf_dispose(&up);
	if (rc < 0) {
		buf_dispose(&h);
		return rc;
	}
	*out = h.ptr;
	return 0;
}

static int add_extra(struct lfs_client *c, const char *line)
{
	const char *colon = strchr(line, ':');
	struct lfs_hdr *v;

	if (!colon || colon == line)
		return 0; /* git refuses such a header too; nothing to send */
	if (!(v = realloc(c->extra, (c->nextra + 1) * sizeof(*v))))
		return err_set(CIH_ENOMEM, "out of memory");
	c->extra = v;
	v[c->nextra].name = strndup(line, (size_t)(colon - line));
	for (colon++; *colon == ' ' || *colon == '\t'; colon++)
		;
	v[c->nextra].value = strdup(colon);
	if (!v[c->nextra].name || !v[c->nextra].value)
		return err_set(CIH_ENOMEM, "out of memory");
	c->nextra++;
	return 0;
}

static int client_init(struct lfs_client *c, git_repository *repo, git_config *cfg, const char *remote);

int lfs_client_init(struct lfs_client *c, git_repository *repo, git_config *cfg, const char *remote)
{
	int rc = client_init(c, repo, cfg, remote);

	if (rc < 0) { /* nothing for the caller to dispose */
		char msg[ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err_last()->msg);
		lfs_client_dispose(c);
		err_set(rc, "%s", msg);
	}
	return rc;
}

static int client_init(struct lfs_client *c, git_repository *repo, git_config *cfg, const char *remote)
{
	const struct version_info *vi = version_get();
	struct gurl_values hv = { 0 };
	struct buf ua = BUF_INIT;
	char *access = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	c->cfg = cfg;
	if ((rc = lfs_endpoint_find(repo, cfg, remote, &c->ep)) < 0)
		return rc;
	if (c->ep.pass)
		redact_add_secret(c->ep.pass);
	buf_printf(&ua, "git-lfs/%s (cihelper %s; %s %s)", LFS_VERSION, vi->version, vi->os, vi->arch);
	c->ua = ua.ptr;
	c->hopts.user_agent = c->ua;
	gurl_get(cfg, "http", "sslcainfo", c->ep.url, &c->ca);
	gurl_get(cfg, "http", "sslcert", c->ep.url, &c->cert);
	gurl_get(cfg, "http", "sslkey", c->ep.url, &c->key);
	c->hopts.ca_file = c->ca;
	c->hopts.cert_file = c->cert;
	c->hopts.key_file = c->key;
	{
		struct url u = { 0 };

		if (url_parse(&u, c->ep.url) == 0)
			c->hopts.tls_files_host = c->ca || c->cert ? strdup(u.host) : NULL;
		url_dispose(&u);
	}
	c->hopts.insecure = getenv("GIT_SSL_NO_VERIFY") || !cfg_bool(cfg, "http", "sslverify", c->ep.url, true);
	if (c->hopts.insecure)
		fprintf(stderr, "warning: TLS certificate verification is off for %s (http.sslVerify)\n", c->ep.url);
	if (gurl_get_all(cfg, "http", "extraheader", c->ep.url, &hv) == 0) {
		for (size_t i = 0; i < hv.n && rc == 0; i++)
			rc = add_extra(c, hv.v[i]);
		gurl_values_dispose(&hv);
	}
	git_error_clear();
	{
		int64_t r = lfs_config_int(repo, cfg, "lfs.transfer.maxretries", 8);
		int64_t d = lfs_config_int(repo, cfg, "lfs.transfer.maxretrydelay", 10);

		/* git-lfs: values below 1 mean the default */
		c->max_retries = r < 1 ? 8 : r > 1000 ? 1000 : (int)r;
		c->max_retry_delay_ms = d < 0 ? 10000 : (d > 86400 ? 86400 : d) * 1000;
	}
	c->concurrency = (int)lfs_config_int(repo, cfg, "lfs.concurrenttransfers", 8);
	if (c->concurrency < 1 || c->concurrency > 64)
		c->concurrency = c->concurrency < 1 ? 8 : 64;
	if (rc == 0 && c->ep.user && c->ep.pass)
		rc = basic(&c->auth, c->ep.user, c->ep.pass);
	/* lfs.<url>.access = basic: ask the helpers before the first request */
	if (rc == 0 && !c->auth && gurl_get(cfg, "lfs", "access", c->ep.url, &access) == 0 && access &&
	    (!strcasecmp(access, "basic") || !strcasecmp(access, "private"))) {
		if (gcred_from_url(&c->cred, c->ep.url) == 0 && gcred_fill(&c->cred, cfg) == 0 &&
		    basic(&c->auth, c->cred.username, c->cred.password) == 0) {
			redact_add_secret(c->cred.password);
			c->cred_state = 1;
		}
		err_clear();
	}
	free(access);
	git_error_clear();
	if (rc == 0)
		rc = httpc_new(&c->http, &c->hopts);
	return rc;
}

void lfs_client_dispose(struct lfs_client *c)
{
	httpc_free(c->http);
	lfs_endpoint_dispose(&c->ep);
	free(c->ref);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c->ua);
	free((char *)c->hopts.tls_files_host);
	for (size_t i = 0; i < c->nextra; i++) {
		free(c->extra[i].name);
		free(c->extra[i].value);
	}
	free(c->extra);
	if (c->auth)
		explicit_bzero(c->auth, strlen(c->auth));
	free(c->auth);
	gcred_dispose(&c->cred);
	pthread_mutex_destroy(&c->mu);
}

int lfs_client_new_http(struct lfs_client *c, struct httpc **out)
{
	return httpc_new_sibling(out, c->http);
}

char *lfs_client_auth(struct lfs_client *c)
{
	char *a;

	pthread_mutex_lock(&c->mu);
	a = c->auth ? strdup(c->auth) : NULL;
	pthread_mutex_unlock(&c->mu);
	return a;
}

bool lfs_client_same_origin(const struct lfs_client *c, const char *href)
{
	struct url a = { 0 }, b = { 0 };
	bool same = url_parse(&a, c->ep.url) == 0 && url_parse(&b, href) == 0 && url_same_origin(&a, &b);

	url_dispose(&a);
	url_dispose(&b);
	err_clear();
	return same;
}

/* After a 401: the helpers' credentials (once), or the end. */
static int on_unauthorized(struct lfs_client *c, const char *sent)
{
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	if (c->auth && (!sent || strcmp(c->auth, sent))) {
		pthread_mutex_unlock(&c->mu); /* another thread already got new ones */
		return 0;
	}
	if (c->cred_state == 1) {
		gcred_reject(&c->cred, c->cfg);
		c->cred_state = 2;
	}
	if (c->cred_state == 2) {
		rc = err_set(CIH_EAUTH, "Git LFS: authentication failed for %s", c->ep.url);
	} else {
		gcred_dispose(&c->cred);
		if ((rc = gcred_from_url(&c->cred, c->ep.url)) == 0 && c->ep.user && !c->cred.username)
			c->cred.username = strdup(c->ep.user);
		if (rc == 0 && (rc = gcred_fill(&c->cred, c->cfg)) < 0) {
			if (c->ep.pass) /* the URL's password was refused and no helper has another */
				rc = err_set(CIH_EAUTH, "Git LFS: authentication failed for %s", c->ep.url);
			else
				err_prefix("Git LFS: %s needs credentials", c->ep.url);
			c->cred_state = 2;
		} else if (rc == 0) {
			redact_add_secret(c->cred.password);
			if (c->auth)
				explicit_bzero(c->auth, strlen(c->auth));
			free(c->auth);
			c->auth = NULL;
			rc = basic(&c->auth, c->cred.username, c->cred.password);
			c->cred_state = 1;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static int read_body(struct httpc_response *r, struct buf *out, size_t max)
{
	char chunk[16384];
	ssize_t n;

	while ((n = httpc_resp_read(r, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > max)
			return err_set(CIH_ETOOBIG, "batch response larger than %zu bytes", max);
		buf_put(out, chunk, (size_t)n);
	}
	if (n < 0)
		return (int)n;
	return out->failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

static int status_error(const struct lfs_client *c, int status, const struct buf *body)
{
	char *msg = lfs_batch_error_message(body->ptr ? body->ptr : "", body->len);
	const char *m = msg ? msg : httpc_status_text(status);
	int rc;

	if (status == 403)
		rc = err_set(CIH_EAUTH, "Git LFS: authorization error (403) for %s/objects/batch: %s", c->ep.url, m);
	else if (status == 404)
		rc = err_set(CIH_ENOTFOUND, "Git LFS: repository or object not found (404): %s/objects/batch: %s",
			     c->ep.url, m);
	else
		rc = err_set(CIH_EHTTP, "Git LFS: batch request to %s/objects/batch failed: HTTP %d: %s", c->ep.url,
			     status, m);
	free(msg);
	return rc;
}

static int post(struct httpc *h, const char *url, const struct httpc_header *hdr, size_t nh,
		const struct buf *data, struct httpc_response **r)
{
	struct httpc_mem m;
	struct httpc_body b;
	struct httpc_request req = { .method = "POST", .url = url, .headers = hdr, .nheaders = nh,
				     .body = &b, .timeout_ms = 0 };

	httpc_body_mem(&b, &m, data->ptr ? data->ptr : "", data->len);
	return httpc_send(h, &req, r);
}

void lfs_retry_sleep(const struct retry_policy *pol, int attempt, const char *retry_after)
{
	int64_t ms = retry_wait_ms(pol, attempt, retry_after, NULL, time(NULL));
	struct timespec ts;

	if (ms > pol->max_ms && !retry_after)
		ms = pol->max_ms;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0)
		;
}

static bool retryable(int rc)
{
	return rc == CIH_ENET || rc == CIH_ETIMEOUT || rc == CIH_EHTTP;
}

int lfs_client_batch(struct lfs_client *c, struct httpc *h, const struct lfs_want *w, size_t n,
		     struct lfs_batch_reply *out)
{
	return lfs_client_batch_op(c, h, "download", w, n, out);
}

int lfs_client_batch_op(struct lfs_client *c, struct httpc *h, const char *op, const struct lfs_want *w,
			size_t n, struct lfs_batch_reply *out)
{
	struct retry_policy pol = { c->max_retries + 1, 0, 250, c->max_retry_delay_ms, true };
	struct buf req = BUF_INIT, url = BUF_INIT, body = BUF_INIT;
	int rc, attempt = 0, auth_rounds = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = lfs_batch_request(&req, op, c->ref, w, n)) < 0)
		goto done;
	buf_printf(&url, "%s/objects/batch", c->ep.url);
	for (;;) {
		struct httpc_header hdr[40];
		size_t nh = 0;
		char *auth = lfs_client_auth(c);
		bool extra_auth = false;
		struct httpc_response *r = NULL;
		char *retry_after = NULL;
		int status = 0;

		for (size_t i = 0; i < c->nextra && nh < 36; i++) {
			hdr[nh++] = (struct httpc_header){ c->extra[i].name, c->extra[i].value };
			extra_auth |= !strcasecmp(c->extra[i].name, "Authorization");
		}
		hdr[nh++] = (struct httpc_header){ "Accept", LFS_MEDIA_TYPE };
		hdr[nh++] = (struct httpc_header){ "Content-Type", LFS_MEDIA_TYPE "; charset=utf-8" };
		if (auth && !extra_auth)
			hdr[nh++] = (struct httpc_header){ "Authorization", auth };
		rc = post(h, url.ptr, hdr, nh, &req, &r);
		if (rc == 0) {
			status = httpc_resp_status(r);
			buf_clear(&body);
			rc = read_body(r, &body, BATCH_REPLY_MAX);
			if (httpc_resp_header(r, "Retry-After"))
				retry_after = strdup(httpc_resp_header(r, "Retry-After"));
			httpc_resp_free(r);
		}
		if (rc == 0 && status == 401 && auth_rounds++ < 3) {
			rc = on_unauthorized(c, auth);
			free(auth);
			free(retry_after);
			if (rc < 0)
				goto done;
			continue;
		}
		if (rc == 0 && status == 200) {
			rc = lfs_batch_parse(body.ptr ? body.ptr : "", body.len, (int64_t)time(NULL), out);
			if (rc == 0) {
				pthread_mutex_lock(&c->mu);
				if (c->cred_state == 1)
					gcred_approve(&c->cred, c->cfg);
				pthread_mutex_unlock(&c->mu);
			}
		} else if (rc == 0) {
			rc = status_error(c, status, &body);
			if (!retry_status_is_retryable(status))
				rc = rc == CIH_EHTTP ? CIH_ERR : rc;
			if (status == 401)
				rc = err_set(CIH_EAUTH, "Git LFS: authentication failed for %s", c->ep.url);
		}
		free(auth);
		if (rc == 0 || !retryable(rc) || ++attempt >= pol.max_attempts) {
			free(retry_after);
			break;
		}
		lfs_retry_sleep(&pol, attempt, retry_after);
		free(retry_after);
	}
done:
	buf_dispose(&req);
	buf_dispose(&url);
	buf_dispose(&body);
	return rc;
}
