/* The HTTP client against tests/servers/http_fake.py (plain and TLS). */
#include <stdio.h>
#include <stdlib.h>

#include "../../helper/buf.h"
#include "../../net/http.h"
#include "unit.h"

static char base[128];

/* Starts the fake server; base becomes "http(s)://HOST:PORT". */
static void start(bool tls, const char *host)
{
	const char *args[] = { "--tls", NULL, NULL, NULL };
	char port[16];

	if (tls) {
		args[1] = unit_fixture("server.pem");
		args[2] = unit_fixture("server.key");
	}
	unit_start_py_server("http_fake.py", tls ? args : NULL, port);
	snprintf(base, sizeof(base), "%s://%s:%s", tls ? "https" : "http", host, port);
}

static struct httpc *client(int64_t io_timeout_ms)
{
	struct httpc *c = NULL;
	struct httpc_opts o = { .io_timeout_ms = io_timeout_ms, .user_agent = "cihelper-test" };

	CHECK_OK(httpc_new(&c, &o));
	return c;
}

static int get(struct httpc *c, const char *method, const char *path, struct httpc_response **r)
{
	char url[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	return httpc_send(c, &(struct httpc_request){ .method = method, .url = url }, r);
}

/* Reads the whole body in odd-sized pieces. */
static int slurp(struct httpc_response *r, struct buf *out)
{
	char piece[7777];
	ssize_t n;

	while ((n = httpc_resp_read(r, piece, sizeof(piece) - (out->len % 13))) > 0)
		buf_put(out, piece, (size_t)n);
	return (int)n;
}

static bool is_pattern(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->ptr[i] != (unsigned char)(i % 256))
			return false;
	return true;
}

static void check_body(struct httpc *c, const char *path, size_t want, int64_t want_len)
{
	struct httpc_response *r = NULL;
	struct buf b = BUF_INIT;
	int rc;

	CHECK_OK(get(c, "GET", path, &r));
	CHECK_INT(httpc_resp_status(r), 200);
	CHECK_INT(httpc_resp_length(r), want_len);
	rc = slurp(r, &b);
	httpc_resp_free(r);
	CHECK_OK(rc);
	CHECK_INT(b.len, want);
	CHECK(is_pattern(&b));
	buf_dispose(&b);
}

static int conns(struct httpc *c)
{
	struct httpc_response *r = NULL;
	struct buf b = BUF_INIT;
	int n;

	CHECK_OK(get(c, "GET", "/conns", &r));
	CHECK_OK(slurp(r, &b));
	httpc_resp_free(r);
	n = atoi(buf_cstr(&b));
	buf_dispose(&b);
	return n;
}

TEST(http_bodies_by_length_chunked_and_close)
{
	struct httpc *c;

	start(false, "127.0.0.1");
	c = client(5000);
	check_body(c, "/bytes/100000", 100000, 100000);
	check_body(c, "/chunked/250001", 250001, -1);
	check_body(c, "/close/5000", 5000, -1);
	check_body(c, "/bytes/0", 0, 0);
	httpc_free(c);
}

TEST(http_keep_alive_reuses_one_connection)
{
	struct httpc *c;
	struct httpc_response *r = NULL;
	int before, after;

	start(false, "127.0.0.1");
	c = client(5000);
	before = conns(c);
	check_body(c, "/bytes/10", 10, 10);
	check_body(c, "/chunked/10", 10, -1);
	CHECK_OK(get(c, "HEAD", "/bytes/5000", &r)); /* a HEAD has no body to wait for */
	CHECK_INT(httpc_resp_length(r), 5000);
	httpc_resp_free(r);
	after = conns(c);
	httpc_free(c);
	CHECK_INT(after, before);
}

struct mem_body {
	const unsigned char *data;
	size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *out, size_t size)
{
	struct mem_body *m = ctx;
	size_t n = m->len - m->pos < size ? m->len - m->pos : size;

	memcpy(out, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int mem_rewind(void *ctx)
{
	((struct mem_body *)ctx)->pos = 0;
	return 0;
}

/* Sends a request to /echo-like path and returns the echo document. */
static void echo(struct httpc *c, const char *method, const char *url, const struct httpc_body *body,
		 const struct httpc_header *h, size_t nh, struct buf *doc, int *status)
{
	struct httpc_response *r = NULL;

	CHECK_OK(httpc_send(c, &(struct httpc_request){ .method = method, .url = url, .headers = h,
							 .nheaders = nh, .body = body },
			    &r));
	*status = httpc_resp_status(r);
	CHECK_OK(slurp(r, doc));
	httpc_resp_free(r);
}

TEST(http_request_bodies_stream_with_length_or_chunked)
{
	static unsigned char data[1 << 20];
	struct mem_body m = { data, sizeof(data), 0 };
	struct httpc_body sized = { sizeof(data), mem_read, mem_rewind, &m };
	struct httpc_body chunked = { -1, mem_read, mem_rewind, &m };
	struct httpc_header h[] = { { "Host", "evil.example" }, { "X-Test", "yes" } };
	struct buf doc = BUF_INIT;
	char url[256];
	int status;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	start(false, "127.0.0.1");
	struct httpc *c = client(5000);
	snprintf(url, sizeof(url), "%s/echo", base);
	echo(c, "PUT", url, &sized, h, 2, &doc, &status);
	CHECK_INT(status, 200);
	CHECK(strstr(buf_cstr(&doc), "\"length\": 1048576"));
	CHECK(strstr(buf_cstr(&doc), "\"content-length\": \"1048576\""));
	CHECK(strstr(buf_cstr(&doc), "\"x-test\": \"yes\""));
	CHECK(!strstr(buf_cstr(&doc), "evil.example")); /* Host is ours */
	CHECK(strstr(buf_cstr(&doc), "\"user-agent\": \"cihelper-test\""));
	buf_clear(&doc);
	m.pos = 0;
	echo(c, "POST", url, &chunked, NULL, 0, &doc, &status);
	CHECK(strstr(buf_cstr(&doc), "\"length\": 1048576"));
	CHECK(strstr(buf_cstr(&doc), "\"transfer-encoding\": \"chunked\""));
	buf_clear(&doc);
	echo(c, "PUT", url, NULL, NULL, 0, &doc, &status);
	CHECK(strstr(buf_cstr(&doc), "\"content-length\": \"0\""));
	buf_dispose(&doc);
	httpc_free(c);
}

TEST(http_redirects_follow_method_rules_and_drop_credentials_across_origins)
{
	static const unsigned char payload[] = "the body";
	struct mem_body m = { payload, sizeof(payload) - 1, 0 };
	struct httpc_body body = { sizeof(payload) - 1, mem_read, mem_rewind, &m };
	struct httpc_header h[] = { { "Authorization", "Bearer s3cret" }, { "X-Api-Key", "k" },
				    { "JOB-TOKEN", "jt" } };
	const char *const sens[] = { "X-Api-Key" };
	struct httpc_response *r = NULL;
	struct buf doc = BUF_INIT;
	char url[512], port[16];
	struct httpc *c;
	int status;

	start(false, "127.0.0.1");
	c = client(5000);
	snprintf(port, sizeof(port), "%s", strrchr(base, ':') + 1);
	/* 302 after a POST: GET without the body, same origin keeps the credentials */
	snprintf(url, sizeof(url), "%s/redirect/302?to=/echo", base);
	echo(c, "POST", url, &body, h, 3, &doc, &status);
	CHECK_INT(status, 200);
	CHECK(strstr(buf_cstr(&doc), "\"method\": \"GET\""));
	CHECK(strstr(buf_cstr(&doc), "\"length\": 0"));
	CHECK(strstr(buf_cstr(&doc), "\"authorization\": \"Bearer s3cret\""));
	/* 307: same method, the body sent again */
	buf_clear(&doc);
	snprintf(url, sizeof(url), "%s/redirect/307?to=/echo", base);
	echo(c, "PUT", url, &body, h, 3, &doc, &status);
	CHECK(strstr(buf_cstr(&doc), "\"method\": \"PUT\""));
	CHECK(strstr(buf_cstr(&doc), "\"length\": 8"));
	/* another origin (localhost is not 127.0.0.1): credentials and marked headers go */
	buf_clear(&doc);
	snprintf(url, sizeof(url), "%s/redirect/308?to=http://localhost:%s/echo", base, port);
	CHECK_OK(httpc_send(c, &(struct httpc_request){ .method = "GET", .url = url, .headers = h,
							 .nheaders = 3, .sensitive = sens,
							 .nsensitive = 1 },
			    &r));
	CHECK_OK(slurp(r, &doc));
	CHECK(strstr(httpc_resp_url(r), "http://localhost:"));
	httpc_resp_free(r);
	CHECK(!strstr(buf_cstr(&doc), "authorization"));
	CHECK(!strstr(buf_cstr(&doc), "x-api-key"));
	CHECK(!strstr(buf_cstr(&doc), "job-token"));
	/* a loop ends with an error */
	snprintf(url, sizeof(url), "%s/loop", base);
	CHECK_FAILS(httpc_send(c, &(struct httpc_request){ .method = "GET", .url = url }, &r), CIH_ENET);
	CHECK_ERR("stopped after 11 redirects");
	/* without following: the redirect itself */
	CHECK_OK(httpc_send(c, &(struct httpc_request){ .method = "GET", .url = url,
							 .flags = HTTPC_NO_REDIRECTS },
			    &r));
	CHECK_INT(httpc_resp_status(r), 302);
	httpc_resp_free(r);
	buf_dispose(&doc);
	httpc_free(c);
}

TEST(http_truncated_body_and_stalled_server_are_errors)
{
	struct httpc_response *r = NULL;
	struct buf b = BUF_INIT;
	struct httpc *c;

	start(false, "127.0.0.1");
	c = client(1000);
	CHECK_OK(get(c, "GET", "/truncate/10000", &r));
	CHECK_FAILS(slurp(r, &b), CIH_ENET);
	CHECK_ERR("connection closed before the response body ended");
	httpc_resp_free(r);
	CHECK_OK(get(c, "GET", "/stall", &r));
	CHECK_FAILS(slurp(r, &b), CIH_ETIMEOUT);
	CHECK_ERR("i/o timeout");
	httpc_resp_free(r);
	buf_dispose(&b);
	httpc_free(c);
}

TEST(http_bad_input_is_refused_before_sending)
{
	struct httpc_header bad[] = { { "X-Split", "a\r\nInjected: 1" } };
	struct httpc_response *r = NULL;
	struct httpc *c = client(1000);

	CHECK_FAILS(httpc_send(c, &(struct httpc_request){ .method = "GET", .url = "ftp://x/y" }, &r),
		    CIH_EUSAGE);
	CHECK_ERR("unsupported URL scheme \"ftp\"");
	CHECK_FAILS(httpc_send(c, &(struct httpc_request){ .method = "GET", .url = "http://h/a b" }, &r),
		    CIH_EUSAGE);
	CHECK_FAILS(httpc_send(c, &(struct httpc_request){ .method = "GET", .url = "http://127.0.0.1:1/",
							    .headers = bad, .nheaders = 1 },
			       &r),
		    CIH_EUSAGE);
	CHECK_ERR("invalid value for HTTP header X-Split");
	httpc_free(c);
}

TEST(http_user_info_becomes_basic_auth_and_tls_works)
{
	struct buf doc = BUF_INIT;
	char url[256], ca[1024];
	struct httpc *c;
	int status;

	start(true, "localhost");
	snprintf(ca, sizeof(ca), "%s/ca.pem", getenv("CIH_FIXTURES"));
	unsetenv("SSL_CERT_DIR");
	unsetenv("GIT_SSL_CAINFO");
	setenv("SSL_CERT_FILE", ca, 1);
	c = client(5000);
	snprintf(url, sizeof(url), "https://user:p%%40ss@%s/echo", base + 8);
	echo(c, "GET", url, NULL, NULL, 0, &doc, &status);
	unsetenv("SSL_CERT_FILE");
	CHECK_INT(status, 200);
	/* base64("user:p@ss") */
	CHECK(strstr(buf_cstr(&doc), "\"authorization\": \"Basic dXNlcjpwQHNz\""));
	check_body(c, "/chunked/70000", 70000, -1);
	buf_dispose(&doc);
	httpc_free(c);
}
