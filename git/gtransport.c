#include "gtransport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/errors.h>
#include <mbedtls/base64.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/redact.h"
#include "gcred.h"
#include "gitcli.h"
#include "gurl.h"
#include "tls_stream.h"

char *gtransport_anonymize(const char *url)
{
	const char *s = strstr(url, "://"), *at, *end;
	struct buf b = BUF_INIT;

	if (!s)
		return strdup(url);
	end = s + 3 + strcspn(s + 3, "/?#");
	at = memchr(s + 3, '@', (size_t)(end - s - 3));
	if (!at)
		return strdup(url);
	/* the last '@' of the authority ends the user info */
	for (const char *p = at; p < end; p++)
		if (*p == '@')
			at = p;
	buf_put(&b, url, (size_t)(s + 3 - url));
	buf_puts(&b, at + 1);
	return b.failed ? NULL : b.ptr;
}

static void register_url_secret(const char *url)
{
	const char *s = strstr(url, "://"), *end, *colon, *at = NULL;

	if (!s)
		return;
	end = s + 3 + strcspn(s + 3, "/?#");
	for (const char *p = s + 3; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at || !(colon = memchr(s + 3, ':', (size_t)(at - s - 3))))
		return;
	{
		char secret[512];
		size_t n = (size_t)(at - colon - 1);

		if (n == 0 || n >= sizeof(secret))
			return;
		memcpy(secret, colon + 1, n);
		secret[n] = '\0';
		redact_add_secret(secret);
	}
}

static bool config_bool(git_config *cfg, const char *section, const char *key, const char *url, bool def)
{
	char *v = NULL;
	int b = def;

	if (gurl_get(cfg, section, key, url, &v) == 0 && git_config_parse_bool(&b, v) < 0)
		b = def;
	free(v);
	return b;
}

static int add_header(git_strarray *h, const char *line)
{
	char **v = realloc(h->strings, (h->count + 1) * sizeof(char *));

	if (!v)
		return err_set(CIH_ENOMEM, "out of memory");
	h->strings = v;
	if (!(v[h->count] = strdup(line)))
		return err_set(CIH_ENOMEM, "out of memory");
	h->count++;
	return 0;
}

/* http.<url>.proactiveAuth: send basic credentials with the first request. */
static int proactive_auth(struct gtransport *t)
{
	char *mode = NULL, enc[1024], hdr[1100];
	struct buf up = BUF_INIT;
	size_t n = 0;
	int rc = 0;

	if (gurl_get(t->cfg, "http", "proactiveauth", t->url, &mode) < 0)
		return 0;
	if (strcmp(mode, "basic") && strcmp(mode, "auto")) {
		free(mode);
		return 0;
	}
	free(mode);
	if (gcred_from_url(&t->cred, t->url) < 0)
		return CIH_ENOMEM;
	if ((!t->cred.username || !t->cred.password) && gcred_fill(&t->cred, t->cfg) < 0)
		return 0; /* git goes on without and asks after the 401 */
	t->cred_state = 1;
	buf_printf(&up, "%s:%s", t->cred.username, t->cred.password);
	if (up.failed || mbedtls_base64_encode((unsigned char *)enc, sizeof(enc), &n,
					       (const unsigned char *)up.ptr, up.len))
		rc = err_set(CIH_ETOOBIG, "credentials too long");
	else if (snprintf(hdr, sizeof(hdr), "Authorization: Basic %s", enc) > 0)
		rc = add_header(&t->headers, hdr);
	explicit_bzero(hdr, sizeof(hdr));
	explicit_bzero(enc, sizeof(enc));
	if (up.ptr)
		explicit_bzero(up.ptr, up.len);
	buf_dispose(&up);
	return rc;
}

int gtransport_init(struct gtransport *t, git_config *cfg, const char *url)
{
	struct gurl_values hv = { 0 };
	char *ua = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	const char *nv = getenv("GIT_SSL_NO_VERIFY");
	int rc;

	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	if (!(t->url = strdup(url)) || !(t->anon = gtransport_anonymize(url)))
		return err_set(CIH_ENOMEM, "out of memory");
	register_url_secret(url);
	if (gurl_get(cfg, "http", "useragent", url, &ua) == 0 || getenv("GIT_HTTP_USER_AGENT")) {
		const char *v = getenv("GIT_HTTP_USER_AGENT") ? getenv("GIT_HTTP_USER_AGENT") : ua;

		git_libgit2_opts(GIT_OPT_SET_USER_AGENT_PRODUCT, v);
		git_libgit2_opts(GIT_OPT_SET_USER_AGENT, "");
	} else {
		git_libgit2_opts(GIT_OPT_SET_USER_AGENT_PRODUCT, "git/" GITCLI_VERSION);
		git_libgit2_opts(GIT_OPT_SET_USER_AGENT, "cihelper");
	}
	free(ua);
	/* git: any value of GIT_SSL_NO_VERIFY, even an empty one, turns verification off */
	t->insecure = nv || !config_bool(cfg, "http", "sslverify", url, true);
	gurl_get(cfg, "http", "sslcainfo", url, &ca);
	gurl_get(cfg, "http", "sslcert", url, &cert);
	gurl_get(cfg, "http", "sslkey", url, &key);
	rc = gtls_set_files(ca, cert, key);
	free(ca);
	free(cert);
	free(key);
	if (rc < 0)
		return rc;
	if (gurl_get_all(cfg, "http", "extraheader", url, &hv) == 0) {
		for (size_t i = 0; i < hv.n && rc == 0; i++)
			rc = add_header(&t->headers, hv.v[i]);
		gurl_values_dispose(&hv);
	}
	if (rc == 0)
		gurl_get(cfg, "http", "proxy", url, &t->proxy);
	return rc < 0 ? rc : proactive_auth(t);
}

static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	struct gtransport *t = payload;

	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
		git_error_set_str(GIT_ERROR_NET, "no supported authentication method");
		return -1;
	}
	if (t->cred_state == 1) {
		/* the server refused what we sent */
		t->cred_state = 2;
		git_error_set_str(GIT_ERROR_HTTP, "cihelper: authentication failed");
		return GIT_EAUTH;
	}
	gcred_dispose(&t->cred);
	if (gcred_from_url(&t->cred, url) < 0)
		return -1;
	if (user_from_url && !t->cred.username)
		t->cred.username = strdup(user_from_url);
	if (gcred_fill(&t->cred, t->cfg) < 0) {
		t->prompt_failed = true;
		snprintf(t->prompt_msg, sizeof(t->prompt_msg), "%s", err_last()->msg);
		git_error_set_str(GIT_ERROR_HTTP, "cihelper: no credentials");
		return GIT_EAUTH;
	}
	t->cred_state = 1;
	return git_credential_userpass_plaintext_new(out, t->cred.username, t->cred.password);
}

static int on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct gtransport *t = payload;

	(void)cert;
	(void)host;
	return valid || t->insecure ? 0 : GIT_PASSTHROUGH;
}

void gtransport_apply(struct gtransport *t, git_remote_callbacks *cb, git_proxy_options *proxy,
		      git_strarray *headers)
{
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->payload = t;
	proxy->type = t->proxy && *t->proxy ? GIT_PROXY_SPECIFIED : GIT_PROXY_AUTO;
	proxy->url = t->proxy && *t->proxy ? t->proxy : NULL;
	proxy->certificate_check = on_certificate;
	proxy->payload = t;
	*headers = t->headers;
}

/* git shows the URL with a trailing slash in these messages */
static void shown_url(struct gtransport *t, char *out, size_t n)
{
	size_t l = strlen(t->anon);

	snprintf(out, n, "%s%s", t->anon, l && t->anon[l - 1] == '/' ? "" : "/");
}

int gtransport_fatal(struct gtransport *t)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "unknown error";
	char u[2048];
	int status = 0;

	shown_url(t, u, sizeof(u));
	if (t->prompt_failed)
		return gitcli_fatal("%s", t->prompt_msg);
	if (t->cred_state == 2 || strstr(m, "authentication replays") || strstr(m, "cihelper: authentication failed"))
		return gitcli_fatal("Authentication failed for '%s'", u);
	if (sscanf(m, "unexpected http status code: %d", &status) == 1 && status == 404)
		return gitcli_fatal("repository '%s' not found", u);
	if (status)
		return gitcli_fatal("unable to access '%s': The requested URL returned error: %d", u, status);
	if (e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSL || e->klass == GIT_ERROR_HTTP) &&
	    !strstr(m, "remote"))
		return gitcli_fatal("unable to access '%s': %s", u, m);
	return gitcli_fatal("%s", m);
}

void gtransport_finish(struct gtransport *t, bool ok)
{
	if (t->cred_state == 1 && ok)
		gcred_approve(&t->cred, t->cfg);
	else if (t->cred_state == 2)
		gcred_reject(&t->cred, t->cfg);
}

void gtransport_dispose(struct gtransport *t)
{
	for (size_t i = 0; i < t->headers.count; i++) {
		explicit_bzero(t->headers.strings[i], strlen(t->headers.strings[i]));
		free(t->headers.strings[i]);
	}
	free(t->headers.strings);
	gcred_dispose(&t->cred);
	free(t->url);
	free(t->anon);
	free(t->proxy);
	memset(t, 0, sizeof(*t));
}
