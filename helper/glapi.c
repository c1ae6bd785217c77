#include "glapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "../net/httpdate.h"
#include "../net/retry.h"
#include "../net/url.h"
#include "buf.h"
#include "error.h"
#include "flags.h"
#include "version.h"

#define API_ATTEMPTS 5

struct glapi {
	struct httpc *http;
	struct buf base, ua;
	char *token;
	char *host;
	int64_t timeout_ms; /* each request, body included (Go's Client.Timeout) */
};

void glapi_request_id(char out[33])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)rand();
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

void glapi_user_agent(struct buf *out)
{
	const struct version_info *v = version_get();

	buf_printf(out, "gitlab-runner-helper %s (%s; %s; %s/%s)", v->version, v->branch, v->toolchain,
		   v->os, v->arch);
}

/* Upstream logs the token's first 9 characters (after its known prefix); that is
 * 9 characters of a secret. The field here identifies the token just as well
 * without disclosing any of it: the first 9 hex digits of its SHA-256. */
void glapi_short_token(char *out, size_t size, const char *t)
{
	unsigned char d[32];

	mbedtls_sha256((const unsigned char *)t, strlen(t), d, 0);
	snprintf(out, size, "%02x%02x%02x%02x%x", d[0], d[1], d[2], d[3], d[4] >> 4);
}

/* client.go fixCIURL and the API suffix */
static int base_url(struct buf *out, const char *raw)
{
	size_t n = strlen(raw);

	while (n && raw[n - 1] == '/')
		n--;
	if (n >= 3 && !strncmp(raw + n - 3, "/ci", 3))
		n -= 3;
	buf_printf(out, "%.*s/api/v4/", (int)n, raw);
	return out->failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

int glapi_open(struct glapi **out, const struct glapi_opts *o)
{
	struct glapi *a = calloc(1, sizeof(*a));
	struct url u;
	int rc;

	*out = NULL;
	if (!a)
		return err_set(CIH_ENOMEM, "out of memory");
	if ((rc = base_url(&a->base, o->url)) < 0 || (rc = url_parse(&u, buf_cstr(&a->base))) < 0)
		goto fail;
	a->host = strdup(u.host);
	url_dispose(&u);
	glapi_user_agent(&a->ua);
	a->token = strdup(o->token ? o->token : "");
	a->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60 * 60000;
	if (!a->host || !a->token || a->ua.failed) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto fail;
	}
	struct httpc_opts ho = {
		.io_timeout_ms = o->header_timeout_ms > 0 ? o->header_timeout_ms : 10 * 60000,
		.user_agent = buf_cstr(&a->ua),
		.ca_file = o->ca_file && *o->ca_file ? o->ca_file : NULL,
		.cert_file = o->cert_file && *o->cert_file ? o->cert_file : NULL,
		.key_file = o->key_file && *o->key_file ? o->key_file : NULL,
		.tls_files_host = a->host,
	};
	if ((rc = httpc_new(&a->http, &ho)) < 0)
		goto fail;
	*out = a;
	return 0;
fail:
	glapi_close(a);
	return rc;
}

void glapi_close(struct glapi *a)
{
	if (!a)
		return;
	httpc_free(a->http);
	buf_dispose(&a->base);
	buf_dispose(&a->ua);
	free(a->token);
	free(a->host);
	free(a);
}

const char *glapi_base(const struct glapi *a)
{
	return buf_cstr(&a->base);
}

struct httpc *glapi_http(struct glapi *a)
{
	return a->http;
}

static void clean_url(char *out, size_t size, const char *url)
{
	snprintf(out, size, "%.*s", (int)strcspn(url, "?#"), url);
}

/* The headers that steer the wait, with upstream's warnings for bad values. */
static void check_wait_headers(struct httpc_response *r, const char **retry_after, const char **reset)
{
	time_t t;
	char *end;

	*reset = httpc_resp_header(r, "RateLimit-ResetTime");
	*retry_after = httpc_resp_header(r, "Retry-After");
	if (*reset && *reset[0] && httpdate_parse(&t, *reset, true) < 0)
		log_write(LOG_WARN,
			  (struct log_field[]){ { "error", "cannot parse as RFC 1123 time" },
						{ "header", "RateLimit-ResetTime" }, { "headerValue", *reset } },
			  3, "Couldn't parse rate limit header");
	if (*retry_after && *retry_after[0] && (strtol(*retry_after, &end, 10), *end))
		log_write(LOG_WARN,
			  (struct log_field[]){ { "error", "invalid syntax" }, { "header", "Retry-After" },
						{ "headerValue", *retry_after } },
			  3, "Couldn't parse retry after header");
}

int glapi_send(struct glapi *a, struct glapi_call *call, struct httpc_response **out)
{
	const struct retry_policy policy = RETRY_POLICY_API;
	struct httpc_header h[16];
	struct buf url = BUF_INIT;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	if (strstr(call->uri, "://"))
		buf_puts(&url, call->uri);
	else
		buf_printf(&url, "%s%s", buf_cstr(&a->base), call->uri);
	if (url.failed)
		return err_set(CIH_ENOMEM, "out of memory");
	clean_url(call->url, sizeof(call->url), buf_cstr(&url));
	if (call->nextra > 12) {
		buf_dispose(&url);
		return err_set(CIH_EUSAGE, "too many headers");
	}
	/* Go's canonical names, sorted as its Header.Write sends them */
	if (call->flags & GLAPI_NO_UA)
		h[n++] = (struct httpc_header){ "User-Agent", "Go-http-client/1.1" };
	if (call->content_type)
		h[n++] = (struct httpc_header){ "Content-Type", call->content_type };
	if (!(call->flags & GLAPI_NO_TOKEN))
		h[n++] = (struct httpc_header){ "Job-Token", a->token };
	for (size_t i = 0; i < call->nextra; i++)
		h[n++] = call->extra[i];
	h[n++] = (struct httpc_header){ "X-Request-Id", call->request_id };
	for (int attempt = 1;; attempt++) {
		struct httpc_response *r = NULL;
		const char *retry_after, *reset;
		char dur[32];
		int64_t wait;

		glapi_request_id(call->request_id);
		struct httpc_request req = { .method = call->method, .url = buf_cstr(&url), .headers = h,
					     .nheaders = n, .body = call->body, .timeout_ms = a->timeout_ms,
					     .flags = (call->flags & GLAPI_NO_REDIRECTS) ? HTTPC_NO_REDIRECTS : 0 };
		if ((rc = httpc_send(a->http, &req, &r)) < 0) {
			err_prefix("couldn't execute %s against %s", call->method, buf_cstr(&url));
			break;
		}
		if ((call->flags & GLAPI_NO_RETRY) || !retry_status_is_retryable(httpc_resp_status(r)) ||
		    attempt >= API_ATTEMPTS) {
			*out = r;
			break;
		}
		check_wait_headers(r, &retry_after, &reset);
		wait = retry_wait_ms(&policy, attempt, retry_after, reset, time(NULL));
		flags_format_duration(dur, sizeof(dur), wait * 1000000);
		log_write(LOG_INFO,
			  (struct log_field[]){ { "context", "ratelimit-requester-gitlab-request" },
						{ "duration", dur }, { "method", call->method },
						{ "url", call->url } },
			  4, "Waiting before making the next call");
		httpc_resp_drain(r, 1 << 20);
		httpc_resp_free(r);
		nanosleep(&(struct timespec){ wait / 1000, (wait % 1000) * 1000000 }, NULL);
		if (call->body && (!call->body->rewind || (rc = call->body->rewind(call->body->ctx)) < 0)) {
			if (!call->body->rewind)
				rc = err_set(CIH_ERR, "the request body cannot be sent again");
			err_prefix("failed to get body");
			break;
		}
	}
	buf_dispose(&url);
	return rc;
}

