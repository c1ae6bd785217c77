#include "gocloud.h"
#include "gocloud_internal.h"
#include "aws_creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../net/http.h"
#include "../net/httpdate.h"
#include "../net/sigv4.h"
#include "../net/url.h"
#include "buf.h"
#include "error.h"
#include "redact.h"

#define AZURE_VERSION "2021-08-06"

struct gocloud {
	bool s3;
	char *bucket, *object;
	struct buf url; /* the object's URL; Azure: with the SAS query */
	/* s3 */
	char *access_key, *secret_key, *token, *region;
	char *sse, *kms_key;
};

static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strdup(v) : NULL;
}

/* Go's url.PathEscape: what stays literal in a path segment. */
static void path_escape(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~$&+:=@", *p))
			buf_putc(out, (char)*p);
		else
			buf_printf(out, "%%%02X", *p);
	}
}

static void unescape(struct buf *out, const char *s)
{
	char *d = url_unescape(s, strlen(s));
	if (d)
		buf_puts(out, d);
	free(d);
}

/* The value of name in a query string, decoded; NULL when absent. */
static char *query_param(const char *q, const char *name)
{
	size_t nl = strlen(name);

	while (q && *q) {
		size_t len = strcspn(q, "&");
		if (len > nl && !strncmp(q, name, nl) && q[nl] == '=') {
			struct buf b = BUF_INIT;
			char *raw = strndup(q + nl + 1, len - nl - 1);
			if (raw)
				unescape(&b, raw);
			free(raw);
			char *v = strdup(buf_cstr(&b));
			buf_dispose(&b);
			return v;
		}
		if (len == nl && !strncmp(q, name, nl))
			return strdup("");
		q += len + (q[len] == '&');
	}
	return NULL;
}

static bool is_true(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "t"));
}

static int open_s3(struct gocloud *g, const char *query)
{
	char *endpoint = query_param(query, "endpoint"), *v;
	bool path_style = is_true(v = query_param(query, "use_path_style"));
	free(v);
	path_style |= is_true(v = query_param(query, "hostname_immutable"));
	free(v);
	bool dualstack = is_true(v = query_param(query, "dualstack"));
	free(v);
	bool accelerate = is_true(v = query_param(query, "accelerate"));
	free(v);

	g->region = query_param(query, "region");
	if (!g->region)
		g->region = env_dup("AWS_REGION");
	if (!g->region)
		g->region = env_dup("AWS_DEFAULT_REGION");
	g->sse = query_param(query, "ssetype");
	g->kms_key = query_param(query, "kmskeyid");
	int rc = 0;
	struct aws_creds cr;
	if (!g->region) {
		rc = err_set(CIH_EUSAGE, "s3: no region: set ?region= in the URL, AWS_REGION or AWS_DEFAULT_REGION");
	} else if ((rc = aws_creds_load(&cr)) == 0) {
		g->access_key = cr.access_key;
		g->secret_key = cr.secret_key;
		g->token = cr.token;
	}
	if (rc == 0) {
		if (endpoint && *endpoint) {
			const char *hostpart = strstr(endpoint, "://");
			if (!hostpart)
				buf_puts(&g->url, "https://");
			if (path_style || !hostpart) {
				buf_puts(&g->url, endpoint);
			} else { /* virtual-hosted: the bucket in front of the endpoint's host */
				buf_put(&g->url, endpoint, (size_t)(hostpart + 3 - endpoint));
				buf_printf(&g->url, "%s.%s", g->bucket, hostpart + 3);
			}
			while (g->url.len && g->url.ptr[g->url.len - 1] == '/')
				g->url.ptr[--g->url.len] = '\0';
		} else if (accelerate) {
			buf_printf(&g->url, "https://%s.s3-accelerate%s.amazonaws.com", g->bucket,
				   dualstack ? ".dualstack" : "");
			path_style = false;
		} else {
			buf_printf(&g->url, "https://%s%ss3.%s%s.amazonaws.com", path_style ? "" : g->bucket,
				   path_style ? "" : ".", dualstack ? "dualstack." : "", g->region);
		}
		if (path_style && (endpoint && *endpoint ? true : !accelerate))
			buf_printf(&g->url, "/%s", g->bucket);
		buf_putc(&g->url, '/');
		sigv4_encode_key(&g->url, g->object);
	}
	free(endpoint);
	return rc;
}

static int open_azure(struct gocloud *g, const char *query)
{
	char *account = env_dup("AZURE_STORAGE_ACCOUNT"), *sas = env_dup("AZURE_STORAGE_SAS_TOKEN");
	char *domain = query_param(query, "domain"), *protocol = query_param(query, "protocol");
	char *localemu = query_param(query, "localemu");
	int rc = 0;

	if (!domain)
		domain = env_dup("AZURE_STORAGE_DOMAIN");
	if (!protocol)
		protocol = env_dup("AZURE_STORAGE_PROTOCOL");
	if (!localemu)
		localemu = env_dup("AZURE_STORAGE_IS_LOCAL_EMULATOR");
	if (sas)
		redact_add_secret(sas);
	if (!account)
		rc = err_set(CIH_EAUTH, "azblob: AZURE_STORAGE_ACCOUNT is not set");
	else if (!sas)
		rc = err_set(CIH_EAUTH, "azblob: no credentials: AZURE_STORAGE_SAS_TOKEN is not set "
				       "(shared keys and managed identities are not supported)");
	if (rc == 0) {
		const char *proto = protocol && *protocol ? protocol : "https";
		const char *dom = domain && *domain ? domain : "blob.core.windows.net";
		if (is_true(localemu)) /* azurite: the account is the first path segment */
			buf_printf(&g->url, "%s://%s/%s/", proto, dom, account);
		else
			buf_printf(&g->url, "%s://%s.%s/", proto, account, dom);
		sigv4_encode_key(&g->url, g->bucket);
		buf_putc(&g->url, '/');
		sigv4_encode_key(&g->url, g->object);
		buf_printf(&g->url, "?%s", sas[0] == '?' ? sas + 1 : sas);
	}
	free(account);
	free(sas);
	free(domain);
	free(protocol);
	free(localemu);
	return rc;
}

int gocloud_open(struct gocloud **out, const char *url)
{
	struct gocloud *g = calloc(1, sizeof(*g));
	const char *sep = strstr(url, "://"), *path, *query;
	int rc;

	*out = NULL;
	if (!g)
		return err_set(CIH_ENOMEM, "out of memory");
	if (!sep) {
		free(g);
		return err_set(CIH_EUSAGE, "open bucket %s: no scheme", url);
	}
	g->s3 = (size_t)(sep - url) == 2 && !strncmp(url, "s3", 2);
	if (!g->s3 && !((size_t)(sep - url) == 6 && !strncmp(url, "azblob", 6))) {
		free(g);
		return err_set(CIH_EUSAGE, "open blob.Bucket: no driver registered for \"%.*s\" for URL \"%.*s\"; "
				       "available schemes are: azblob, s3", (int)(sep - url), url, (int)strcspn(url, "?"), url);
	}
	path = sep + 3 + strcspn(sep + 3, "/?");
	query = strchr(url, '?');
	g->bucket = strndup(sep + 3, (size_t)(path - sep - 3));
	while (*path == '/')
		path++;
	struct buf obj = BUF_INIT;
	char *raw = strndup(path, query ? (size_t)(query - path) : strlen(path));
	if (raw)
		unescape(&obj, raw);
	free(raw);
	g->object = strdup(buf_cstr(&obj));
	buf_dispose(&obj);
	if (!g->bucket || !g->object) {
		gocloud_close(g);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	if (!*g->object) {
		gocloud_close(g);
		return err_set(CIH_EUSAGE, "no object name provided");
	}
	rc = g->s3 ? open_s3(g, query ? query + 1 : NULL) : open_azure(g, query ? query + 1 : NULL);
	if (rc < 0) {
		gocloud_close(g);
		return rc;
	}
	*out = g;
	return 0;
}

void gocloud_close(struct gocloud *g)
{
	if (!g)
		return;
	free(g->bucket);
	free(g->object);
	buf_dispose(&g->url);
	free(g->access_key);
	free(g->secret_key);
	free(g->token);
	free(g->region);
	free(g->sse);
	free(g->kms_key);
	free(g);
}

const char *gocloud_object(const struct gocloud *g)
{
	return g->object;
}

bool gocloud_is_s3(const struct gocloud *g)
{
	return g->s3;
}

const char *gocloud_url(const struct gocloud *g)
{
	return buf_cstr(&g->url);
}

void gocloud_clean_url(struct buf *out, const char *url)
{
	buf_put(out, url, strcspn(url, "?#"));
}

/* Headers for one request: given ones (pairs in extra) plus the backend's own. */
static int request_headers(struct gocloud *g, const char *method, const char *url,
			   const struct cache_meta *extra, struct cache_meta *out)
{
	int rc = 0;

	for (size_t i = 0; extra && i < extra->n && rc == 0; i++)
		rc = cache_meta_add(out, extra->keys[i], extra->vals[i]);
	if (rc < 0 || !g->s3)
		return rc < 0 ? rc : cache_meta_add(out, "x-ms-version", AZURE_VERSION);
	struct httpc_header h[40];
	size_t n = 0;
	for (size_t i = 0; i < out->n && n < 36; i++)
		h[n++] = (struct httpc_header){ out->keys[i], out->vals[i] };
	struct sigv4_key k = { g->access_key, g->secret_key, g->token, g->region, "s3" };
	struct sigv4_out so;
	if ((rc = sigv4_sign(&k, method, url, h, n, SIGV4_UNSIGNED, time(NULL), &so)) < 0 ||
	    (rc = cache_meta_add(out, "x-amz-date", so.amz_date)) < 0 ||
	    (rc = cache_meta_add(out, "x-amz-content-sha256", SIGV4_UNSIGNED)) < 0 ||
	    (g->token && (rc = cache_meta_add(out, "x-amz-security-token", g->token)) < 0))
		return rc;
	return cache_meta_add(out, "Authorization", so.authorization);
}

int gocloud_headers(struct gocloud *g, const char *method, const char *range, struct cache_meta *out)
{
	struct cache_meta extra = { 0 };
	int rc = range ? cache_meta_add(&extra, "Range", range) : 0;

	if (rc == 0)
		rc = request_headers(g, method, buf_cstr(&g->url), &extra, out);
	cache_meta_dispose(&extra);
	return rc;
}

int gocloud__send(struct gocloud *g, struct httpc *c, const char *method, const char *query,
		  const struct cache_meta *extra, const struct httpc_body *body, int64_t timeout_ms,
		  struct httpc_response **r)
{
	struct cache_meta hm = { 0 };
	struct httpc_header h[48];
	struct buf url = BUF_INIT;
	size_t n = 0;
	int rc;

	*r = NULL;
	buf_puts(&url, buf_cstr(&g->url));
	if (query)
		buf_printf(&url, "%c%s", strchr(buf_cstr(&g->url), '?') ? '&' : '?', query);
	if ((rc = request_headers(g, method, buf_cstr(&url), extra, &hm)) == 0) {
		for (size_t i = 0; i < hm.n && n < 48; i++)
			h[n++] = (struct httpc_header){ hm.keys[i], hm.vals[i] };
		rc = httpc_send(c, &(struct httpc_request){ .method = method, .url = buf_cstr(&url), .headers = h,
							     .nheaders = n, .body = body, .timeout_ms = timeout_ms },
				r);
	}
	cache_meta_dispose(&hm);
	buf_dispose(&url);
	return rc;
}

int gocloud_attributes(struct gocloud *g, struct httpc *c, int64_t timeout_ms, struct gocloud_attrs *a)
{
	struct httpc_response *r = NULL;
	const char *name, *value;
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = gocloud__send(g, c, "HEAD", NULL, NULL, NULL, timeout_ms, &r)) < 0)
		return rc;
	int status = httpc_resp_status(r);
	if (status == 404) {
		rc = err_set(CIH_ENOTFOUND, "blob (key \"%s\") (code=NotFound): object not found", g->object);
	} else if (status / 100 != 2) {
		rc = err_set(CIH_EHTTP, "blob (key \"%s\"): HEAD: StatusCode: %d%s", g->object, status,
			     g->s3 && status == 403 ? " (HeadObject needs s3:GetObject, and s3:ListBucket to tell a "
						     "missing object from a denied one)" : "");
	} else {
		const char *lm = httpc_resp_header(r, "Last-Modified");
		if (!lm || httpdate_parse(&a->mtime, lm, false) < 0)
			a->mtime = 0;
		a->size = httpc_resp_length(r);
		const char *prefix = g->s3 ? "x-amz-meta-" : "x-ms-meta-";
		for (size_t i = 0; rc == 0 && httpc_resp_header_at(r, i, &name, &value); i++) {
			if (strncasecmp(name, prefix, strlen(prefix)) || !name[strlen(prefix)])
				continue;
			struct buf k = BUF_INIT, v = BUF_INIT;
			unescape(&k, name + strlen(prefix));
			unescape(&v, value);
			rc = cache_meta_add(&a->meta, buf_cstr(&k), buf_cstr(&v));
			buf_dispose(&k);
			buf_dispose(&v);
		}
	}
	httpc_resp_free(r);
	return rc;
}

void gocloud_attrs_dispose(struct gocloud_attrs *a)
{
	cache_meta_dispose(&a->meta);
}

int gocloud_get(struct gocloud *g, struct httpc *c, const char *range, int64_t timeout_ms,
		struct httpc_response **r)
{
	struct cache_meta extra = { 0 };
	int rc = range ? cache_meta_add(&extra, "Range", range) : 0;

	if (rc == 0)
		rc = gocloud__send(g, c, "GET", NULL, &extra, NULL, timeout_ms, r);
	cache_meta_dispose(&extra);
	if (rc == 0 && httpc_resp_status(*r) / 100 != 2) {
		int status = httpc_resp_status(*r);
		rc = status == 404 ? err_set(CIH_ENOTFOUND, "blob (key \"%s\") (code=NotFound): object not found", g->object)
				   : cache_status_error(*r);
		httpc_resp_free(*r);
		*r = NULL;
	}
	return rc;
}

int gocloud__put_headers(struct gocloud *g, const struct cache_meta *meta, const char *content_type,
			 bool for_azure_list, struct cache_meta *extra)
{
	int rc = cache_meta_add(extra, for_azure_list ? "x-ms-blob-content-type" : "Content-Type", content_type);

	for (size_t i = 0; rc == 0 && meta && i < meta->n; i++) {
		struct buf k = BUF_INIT, v = BUF_INIT;
		buf_puts(&k, g->s3 ? "x-amz-meta-" : "x-ms-meta-");
		path_escape(&k, meta->keys[i]);
		path_escape(&v, meta->vals[i]);
		rc = cache_meta_add(extra, buf_cstr(&k), buf_cstr(&v));
		buf_dispose(&k);
		buf_dispose(&v);
	}
	if (rc == 0 && !g->s3 && !for_azure_list)
		rc = cache_meta_add(extra, "x-ms-blob-type", "BlockBlob");
	if (rc == 0 && g->s3 && g->sse && *g->sse)
		rc = cache_meta_add(extra, "x-amz-server-side-encryption", g->sse);
	if (rc == 0 && g->s3 && g->kms_key && *g->kms_key)
		rc = cache_meta_add(extra, "x-amz-server-side-encryption-aws-kms-key-id", g->kms_key);
	return rc;
}

int gocloud_put(struct gocloud *g, struct httpc *c, const struct httpc_body *body,
		const struct cache_meta *meta, const char *content_type, int64_t timeout_ms)
{
	struct cache_meta extra = { 0 };
	struct httpc_response *r = NULL;
	int rc = gocloud__put_headers(g, meta, content_type, false, &extra);

	if (rc == 0)
		rc = gocloud__send(g, c, "PUT", NULL, &extra, body, timeout_ms, &r);
	if (rc == 0 && httpc_resp_status(r) / 100 != 2)
		rc = cache_status_error(r);
	else if (rc == 0)
		httpc_resp_drain(r, 64 << 10);
	httpc_resp_free(r);
	cache_meta_dispose(&extra);
	return rc;
}
