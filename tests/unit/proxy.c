/* Proxy selection (NO_PROXY rules) and requests through tests/servers/proxy_fake.py. */
#include <stdio.h>
#include <stdlib.h>

#include "../../helper/buf.h"
#include "../../net/http.h"
#include "../../net/proxy.h"
#include "../../net/url.h"
#include "unit.h"

static void clear_proxy_env(void)
{
	const char *names[] = { "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
				"NO_PROXY", "no_proxy" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
}

TEST(proxy_no_proxy_rules_follow_go)
{
	/* host, port, NO_PROXY, bypassed? */
	static const struct { const char *host, *port, *list; bool bypass; } cases[] = {
		{ "localhost", "80", "", true },            /* never proxied */
		{ "127.0.0.5", "80", "", true },
		{ "::1", "443", "", true },
		{ "example.com", "443", "", false },
		{ "example.com", "443", "*", true },
		{ "example.com", "443", "example.com", true },
		{ "api.example.com", "443", "example.com", true }, /* a domain covers subdomains */
		{ "badexample.com", "443", "example.com", false },
		{ "example.com", "443", ".example.com", false },   /* a leading dot: subdomains only */
		{ "a.example.com", "443", ".example.com", true },
		{ "a.example.com", "443", "*.example.com", true },
		{ "example.com", "443", "example.com:8443", false },
		{ "example.com", "8443", " other.org , example.com:8443 ", true },
		{ "10.1.2.3", "80", "10.0.0.0/8", true },
		{ "11.1.2.3", "80", "10.0.0.0/8", false },
		{ "10.1.2.3", "80", "10.1.2.3", true },
		{ "2001:db8::1", "80", "2001:db8::/32", true },
		{ "2001:db9::1", "80", "2001:db8::/32", false },
		{ "2001:db8::1", "443", "[2001:db8::1]:443", true },
		{ "EXAMPLE.com", "80", "example.COM", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (proxy_bypass(cases[i].list, cases[i].host, cases[i].port) != cases[i].bypass)
			unit_fail(__FILE__, __LINE__, "%s:%s with NO_PROXY=\"%s\": want %s", cases[i].host,
				  cases[i].port, cases[i].list, cases[i].bypass ? "direct" : "proxy");
}

TEST(proxy_selection_by_scheme_and_case)
{
	struct url target, proxy;
	bool found;

	clear_proxy_env();
	CHECK_OK(url_parse(&target, "https://gitlab.example.com/x"));
	setenv("https_proxy", "proxy.lower:3128", 1);
	CHECK_OK(proxy_select(&proxy, &found, &target));
	CHECK(found);
	CHECK_STR(proxy.host, "proxy.lower"); /* no scheme: http:// */
	CHECK_STR(proxy.port, "3128");
	url_dispose(&proxy);
	setenv("HTTPS_PROXY", "http://u:p@proxy.upper:8080", 1); /* upper case wins */
	CHECK_OK(proxy_select(&proxy, &found, &target));
	CHECK_STR(proxy.host, "proxy.upper");
	CHECK_STR(proxy.user, "u");
	url_dispose(&proxy);
	setenv("no_proxy", ".example.com", 1);
	CHECK_OK(proxy_select(&proxy, &found, &target));
	CHECK(!found);
	setenv("HTTPS_PROXY", "https://tls.proxy:443", 1);
	unsetenv("no_proxy");
	CHECK_FAILS(proxy_select(&proxy, &found, &target), CIH_EUSAGE);
	CHECK_ERR("https proxies are not supported");
	url_dispose(&target);
	CHECK_OK(url_parse(&target, "http://plain.example.com/"));
	CHECK_OK(proxy_select(&proxy, &found, &target)); /* HTTPS_PROXY is not for http */
	CHECK(!found);
	url_dispose(&target);
	clear_proxy_env();
}

static int fetch(const char *url, struct buf *doc)
{
	struct httpc *c = NULL;
	struct httpc_response *r = NULL;
	char piece[4096];
	ssize_t n;
	int status;

	CHECK_OK(httpc_new(&c, NULL));
	int rc = httpc_send(c, &(struct httpc_request){ .method = "GET", .url = url }, &r);
	if (rc < 0) {
		httpc_free(c);
		return rc;
	}
	status = httpc_resp_status(r);
	while ((n = httpc_resp_read(r, piece, sizeof(piece))) > 0)
		buf_put(doc, piece, (size_t)n);
	httpc_resp_free(r);
	httpc_free(c);
	return n < 0 ? (int)n : status;
}

TEST(proxy_plain_http_goes_through_with_basic_auth)
{
	const char *auth[] = { "--auth", "alice:s3cret", NULL };
	char origin[16], proxy[16], url[128], env[128];
	struct buf doc = BUF_INIT;

	clear_proxy_env();
	unit_start_py_server("http_fake.py", NULL, origin);
	unit_start_py_server("proxy_fake.py", auth, proxy);
	snprintf(url, sizeof(url), "http://backend.invalid:%s/echo", origin);
	snprintf(env, sizeof(env), "http://alice:s3cret@127.0.0.1:%s", proxy);
	setenv("HTTP_PROXY", env, 1);
	CHECK_INT(fetch(url, &doc), 200);
	CHECK(strstr(buf_cstr(&doc), "\"via\": \"1.1 fake-proxy\""));
	CHECK(strstr(buf_cstr(&doc), "\"target\": \"/echo\""));
	CHECK(!strstr(buf_cstr(&doc), "proxy-authorization"));
	snprintf(env, sizeof(env), "http://alice:wrong@127.0.0.1:%s", proxy);
	setenv("HTTP_PROXY", env, 1);
	buf_clear(&doc);
	CHECK_INT(fetch(url, &doc), 407);
	clear_proxy_env();
	buf_dispose(&doc);
}

TEST(proxy_https_tunnels_with_connect_and_verifies_the_origin)
{
	const char *tls[] = { "--tls", unit_fixture("server.pem"), unit_fixture("server.key"), NULL };
	const char *auth[] = { "--auth", "bob:pw", NULL };
	char origin[16], proxy[16], url[128], env[128];
	struct buf doc = BUF_INIT;

	clear_proxy_env();
	unsetenv("SSL_CERT_DIR");
	unsetenv("GIT_SSL_CAINFO");
	setenv("SSL_CERT_FILE", unit_fixture("ca.pem"), 1);
	unit_start_py_server("http_fake.py", tls, origin);
	unit_start_py_server("proxy_fake.py", auth, proxy);
	snprintf(url, sizeof(url), "https://backend.invalid:%s/chunked/5000", origin);
	snprintf(env, sizeof(env), "bob:pw@127.0.0.1:%s", proxy);
	setenv("HTTPS_PROXY", env, 1);
	CHECK_INT(fetch(url, &doc), 200);
	CHECK_INT(doc.len, 5000);
	snprintf(env, sizeof(env), "bob:nope@127.0.0.1:%s", proxy);
	setenv("HTTPS_PROXY", env, 1);
	CHECK_FAILS(fetch(url, &doc), CIH_ENET);
	CHECK_ERR("refused CONNECT to backend.invalid:");
	CHECK_ERR("407 Proxy Authentication Required");
	setenv("NO_PROXY", "backend.invalid", 1); /* direct: the name does not resolve */
	CHECK(fetch(url, &doc) < 0);
	CHECK_ERR("lookup backend.invalid");
	clear_proxy_env();
	unsetenv("SSL_CERT_FILE");
	buf_dispose(&doc);
}
