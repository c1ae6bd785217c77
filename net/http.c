#include "http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/base64.h>

#include "../certs/certs.h"
#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/log.h"
#include "conn.h"
#include "http_internal.h"
#include "proxy.h"
#include "tcp.h"
#include "url.h"
#include "../helper/clock.h"

#define POOL_SIZE 4
#define WRITE_BUF 65536

struct pooled {
	struct conn *conn;
	char *key;
};

struct tls_entry {
	char *host;
	struct certs_tls *tls;
};

/* TLS configurations by host, shared by a client and its siblings (threads):
 * entries are only added, so a configuration handed out stays valid. */
struct tls_table {
	pthread_mutex_t mu;
	int refs;
	struct tls_entry *v;
	size_t n;
};

struct httpc {
	struct httpc_opts o;
	struct pooled idle[POOL_SIZE];
	struct tls_table *tls;
};

/* ---- connections ----------------------------------------------------------- */

static const struct certs_tls *tls_lookup(struct httpc *c, struct tls_table *tt, const char *host)
{
	struct tls_entry *t;
	struct certs_tls *tls;

	for (size_t i = 0; i < tt->n; i++)
		if (!strcasecmp(tt->v[i].host, host))
			return tt->v[i].tls;
	bool files = !c->o.tls_files_host || !strcasecmp(c->o.tls_files_host, host);
	if (certs_tls_new(&tls, &(struct certs_opts){ .host = host,
						     .ca_file = files ? c->o.ca_file : NULL,
						     .cert_file = files ? c->o.cert_file : NULL,
						     .key_file = files ? c->o.key_file : NULL,
						     .insecure = c->o.insecure }) < 0)
		return NULL;
	if (!(t = realloc(tt->v, (tt->n + 1) * sizeof(*t))) || !(t[tt->n].host = strdup(host))) {
		if (t)
			tt->v = t;
		certs_tls_free(tls);
		err_set(CIH_ENOMEM, "out of memory");
		return NULL;
	}
	tt->v = t;
	t[tt->n++].tls = tls;
	return tls;
}

static const struct certs_tls *tls_for(struct httpc *c, const char *host)
{
	const struct certs_tls *tls;

	pthread_mutex_lock(&c->tls->mu);
	tls = tls_lookup(c, c->tls, host);
	pthread_mutex_unlock(&c->tls->mu);
	return tls;
}

static char *pool_key(const struct url *u, const struct url *proxy)
{
	struct buf k = BUF_INIT;

	buf_printf(&k, "%s://%s:%s", u->scheme, u->host, u->port);
	if (proxy)
		buf_printf(&k, " via %s:%s:%s", proxy->host, proxy->port, proxy->user ? proxy->user : "");
	return k.failed ? NULL : k.ptr;
}

static struct conn *pool_take(struct httpc *c, const char *key)
{
	for (size_t i = 0; i < POOL_SIZE; i++) {
		if (c->idle[i].conn && !strcmp(c->idle[i].key, key)) {
			struct conn *conn = c->idle[i].conn;
			free(c->idle[i].key);
			c->idle[i] = (struct pooled){ 0 };
			return conn;
		}
	}
	return NULL;
}

static void pool_put(struct httpc *c, struct conn *conn, char *key)
{
	size_t slot = 0;

	for (size_t i = 0; i < POOL_SIZE; i++) {
		if (!c->idle[i].conn) {
			slot = i;
			break;
		}
		slot = POOL_SIZE - 1; /* full: the last one makes room */
	}
	if (c->idle[slot].conn) {
		conn_close(c->idle[slot].conn);
		free(c->idle[slot].key);
	}
	c->idle[slot] = (struct pooled){ conn, key };
}

/* ---- requests -------------------------------------------------------------- */

static ssize_t conn_source(void *ctx, void *data, size_t size)
{
	return conn_read(ctx, data, size);
}

static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+-.^_`|~", *s))
			return false;
	return true;
}

static bool ours(const char *name)
{
	return !strcasecmp(name, "Host") || !strcasecmp(name, "Content-Length") ||
	       !strcasecmp(name, "Transfer-Encoding");
}

static bool sensitive(const struct httpc_request *req, const char *name)
{
	static const char *const always[] = { "Authorization", "Cookie", "Cookie2", "JOB-TOKEN",
					      "PRIVATE-TOKEN", "WWW-Authenticate" };

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (!strcasecmp(name, always[i]))
			return true;
	for (size_t i = 0; i < req->nsensitive; i++)
		if (!strcasecmp(name, req->sensitive[i]))
			return true;
	return false;
}

/* "<header>: Basic base64(user:password)" from a URL's user info. */
static void put_basic(struct buf *h, const char *header, const struct url *u)
{
	struct buf cred = BUF_INIT;
	unsigned char out[1024];
	size_t olen;

	buf_printf(&cred, "%s:%s", u->user, u->password ? u->password : "");
	if (!cred.failed && mbedtls_base64_encode(out, sizeof(out), &olen,
						  (const unsigned char *)cred.ptr, cred.len) == 0)
		buf_printf(h, "%s: Basic %.*s\r\n", header, (int)olen, out);
	buf_dispose(&cred);
}

static int build_head(struct buf *h, const struct httpc *c, const struct httpc_request *req,
		      const char *method, const struct url *u, const struct url *proxy,
		      const struct httpc_body *body, bool drop_sensitive)
{
	bool have_ua = false, have_auth = false;

	if (!is_token(method))
		return err_set(CIH_EUSAGE, "invalid HTTP method \"%s\"", method);
	buf_printf(h, "%s ", method);
	if (proxy && !u->https) { /* a plain-HTTP proxy gets the absolute form */
		buf_printf(h, "http://");
		url_host_header(h, u);
	}
	buf_printf(h, "%s HTTP/1.1\r\nHost: ", u->target);
	url_host_header(h, u);
	buf_puts(h, "\r\n");
	/* Go's order: Host, User-Agent, the body framing, then the other headers */
	for (size_t i = 0; i < req->nheaders && !have_ua; i++)
		if (!strcasecmp(req->headers[i].name, "User-Agent") && !strpbrk(req->headers[i].value, "\r\n")) {
			buf_printf(h, "User-Agent: %s\r\n", req->headers[i].value);
			have_ua = true;
		}
	if (!have_ua && c->o.user_agent)
		buf_printf(h, "User-Agent: %s\r\n", c->o.user_agent);
	if (body && body->len >= 0)
		buf_printf(h, "Content-Length: %lld\r\n", (long long)body->len);
	else if (body)
		buf_puts(h, "Transfer-Encoding: chunked\r\n");
	else if (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH"))
		buf_puts(h, "Content-Length: 0\r\n");
	if (proxy && !u->https && proxy->user)
		put_basic(h, "Proxy-Authorization", proxy);
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct httpc_header *x = &req->headers[i];
		if (!is_token(x->name))
			return err_set(CIH_EUSAGE, "invalid HTTP header name \"%s\"", x->name);
		if (strpbrk(x->value, "\r\n") || strchr(x->value, '\0') != x->value + strlen(x->value))
			return err_set(CIH_EUSAGE, "invalid value for HTTP header %s", x->name);
		if (ours(x->name) || (drop_sensitive && sensitive(req, x->name)) ||
		    !strcasecmp(x->name, "User-Agent"))
			continue;
		have_auth |= !strcasecmp(x->name, "Authorization");
		buf_printf(h, "%s: %s\r\n", x->name, x->value);
	}
	if (!have_auth && u->user && !drop_sensitive)
		put_basic(h, "Authorization", u);
	buf_puts(h, "\r\n");
	return h->failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

/* *conn_failed: the connection broke (the server may have answered early and
 * closed), as opposed to the body source failing. */
static int send_body(struct conn *conn, const struct httpc_body *body, int64_t deadline,
		     const char *url, bool *conn_failed)
{
	char *chunk = malloc(WRITE_BUF + 32);
	int64_t sent = 0;
	int rc = 0;

	if (!chunk)
		return err_set(CIH_ENOMEM, "out of memory");
	for (;;) {
		size_t want = WRITE_BUF;
		ssize_t n;

		if (body->len >= 0 && (int64_t)want > body->len - sent)
			want = (size_t)(body->len - sent);
		if (want == 0 && body->len >= 0)
			break;
		if (deadline && clock_now_ms() > deadline) {
			rc = err_set(CIH_ETIMEOUT, "%s: timeout exceeded while sending the body", url);
			break;
		}
		if ((n = body->read(body->ctx, chunk + 16, want)) < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			if (body->len >= 0)
				rc = err_set(CIH_ERR, "request body for %s ended after %lld of %lld bytes",
					     url, (long long)sent, (long long)body->len);
			else if ((rc = conn_write_all(conn, "0\r\n\r\n", 5)) < 0)
				*conn_failed = true;
			break;
		}
		sent += n;
		if (body->len < 0) {
			char size[20];
			int sl = snprintf(size, sizeof(size), "%zx\r\n", (size_t)n);
			/* the size line goes right before the data, the CRLF right after */
			memcpy(chunk + 16 - sl, size, (size_t)sl);
			memcpy(chunk + 16 + n, "\r\n", 2);
			rc = conn_write_all(conn, chunk + 16 - sl, (size_t)sl + (size_t)n + 2);
		} else {
			rc = conn_write_all(conn, chunk + 16, (size_t)n);
		}
		if (rc < 0) {
			*conn_failed = true;
			break;
		}
	}
	free(chunk);
	return rc;
}

static void resp_free_now(struct httpc_response *r, bool reuse)
{
	if (!r)
		return;
	if (reuse && r->conn)
		pool_put(r->client, r->conn, r->key);
	else {
		conn_close(r->conn);
		free(r->key);
	}
	httpc__resp_dispose(r);
	free(r);
}

/* CONNECT host:port through the proxy on conn; the tunnel is ready on 200. */
static int connect_tunnel(struct conn *conn, const struct url *u, const struct url *proxy)
{
	struct buf req = BUF_INIT;
	char head[8192], hp[300];
	size_t len = 0;
	ssize_t n;
	int rc, status = 0;

	tcp_join_host_port(hp, sizeof(hp), u->host, u->port);
	buf_printf(&req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", hp, hp);
	if (proxy->user)
		put_basic(&req, "Proxy-Authorization", proxy);
	buf_puts(&req, "\r\n");
	rc = req.failed ? err_set(CIH_ENOMEM, "out of memory") : conn_write_all(conn, req.ptr, req.len);
	buf_dispose(&req);
	if (rc < 0)
		return rc;
	head[0] = '\0';
	while (!strstr(head, "\r\n\r\n")) {
		if (len == sizeof(head) - 1)
			return err_set(CIH_ENET, "proxy %s:%s: response to CONNECT too long", proxy->host,
				       proxy->port);
		if ((n = conn_read(conn, head + len, sizeof(head) - 1 - len)) < 0)
			return (int)n;
		if (n == 0)
			return err_set(CIH_ENET, "proxy %s:%s closed the connection during CONNECT",
				       proxy->host, proxy->port);
		len += (size_t)n;
		head[len] = '\0';
	}
	head[strcspn(head, "\r\n")] = '\0';
	if (sscanf(head, "HTTP/1.%*1d %3d", &status) != 1 || status != 200)
		return err_set(CIH_ENET, "proxy %s:%s refused CONNECT to %s: %.100s", proxy->host,
			       proxy->port, hp, head);
	return 0;
}

/* A new connection to u: direct, through a plain proxy, or tunnelled to TLS. */
static int open_conn(struct httpc *c, const struct url *u, const struct url *proxy,
		     struct conn **out)
{
	struct conn_opts o = { .connect_timeout_ms = c->o.connect_timeout_ms,
			       .io_timeout_ms = c->o.io_timeout_ms };
	int rc;

	if (u->https && !(o.tls = tls_for(c, u->host)))
		return err_last()->code;
	if (!proxy)
		return conn_open(out, u->host, u->port, &o);
	struct conn_opts plain = o;
	plain.tls = NULL;
	if ((rc = conn_open(out, proxy->host, proxy->port, &plain)) < 0)
		return err_prefix("proxy");
	if (u->https && ((rc = connect_tunnel(*out, u, proxy)) < 0 ||
			 (rc = conn_start_tls(*out, u->host, &o)) < 0)) {
		conn_close(*out);
		*out = NULL;
	}
	return rc;
}

/* The response head after a failed body write, if the server sent one. */
static int early_answer(struct httpc_response *r)
{
	int rc = 0;
	int saved = err_last()->code;
	char msg[ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "%s", err_last()->msg);
	while (!r->headers_done && rc == 0)
		rc = httpc__pump(r);
	if (rc < 0 || !r->headers_done)
		return err_set(saved, "%s", msg);
	return 0;
}

/* One request/response head on one connection (reused or new). *retry_fresh is set
 * when a reused connection turned out dead before anything was answered. */
static int exchange(struct httpc *c, const struct httpc_request *req, const char *method,
		    const struct url *u, const struct httpc_body *body, bool drop_sensitive,
		    int64_t deadline, bool allow_reuse, struct httpc_response **out, bool *retry_fresh)
{
	struct httpc_response *r = calloc(1, sizeof(*r));
	struct buf head = BUF_INIT;
	struct url proxy;
	bool reused = false, via = false, conn_failed = false;
	int rc;

	*out = NULL;
	*retry_fresh = false;
	if ((rc = proxy_select(&proxy, &via, u)) < 0) {
		free(r);
		return rc;
	}
	if (!r || httpc__resp_init(r, !strcmp(method, "HEAD")) < 0) {
		free(r);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	r->client = c;
	r->deadline = deadline;
	url_clean(&r->url, u);
	if (!(r->key = pool_key(u, via ? &proxy : NULL))) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = build_head(&head, c, req, method, u, via ? &proxy : NULL, body, drop_sensitive)) < 0)
		goto fail;
	if (allow_reuse && (r->conn = pool_take(c, r->key)))
		reused = true;
	else if ((rc = open_conn(c, u, via ? &proxy : NULL, &r->conn)) < 0)
		goto fail;
	conn_set_deadline(r->conn, deadline);
	if ((rc = conn_write_all(r->conn, head.ptr, head.len)) < 0)
		goto fail;
	r->source = conn_source;
	r->source_ctx = r->conn;
	if (body && (rc = send_body(r->conn, body, deadline, buf_cstr(&r->url), &conn_failed)) < 0) {
		/* A server refusing a body (403, 413) answers and closes while we write:
		 * its answer, when one arrived, says more than the broken pipe. */
		if (!conn_failed || early_answer(r) < 0)
			goto fail;
		err_clear();
		r->no_reuse = true;
	}
	while (!r->headers_done)
		if ((rc = httpc__pump(r)) < 0)
			goto fail;
	buf_dispose(&head);
	if (via)
		url_dispose(&proxy);
	*out = r;
	return 0;
fail:
	if (reused && !r->got_bytes && rc != CIH_ETIMEOUT)
		*retry_fresh = true;
	buf_dispose(&head);
	if (via)
		url_dispose(&proxy);
	resp_free_now(r, false);
	return rc;
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

int httpc_send(struct httpc *c, const struct httpc_request *req, struct httpc_response **out)
{
	struct url first, cur, next;
	const char *method = req->method;
	const struct httpc_body *body = req->body;
	int64_t deadline = req->timeout_ms > 0 ? clock_now_ms() + req->timeout_ms : 0;
	int rc;

	*out = NULL;
	if ((rc = url_parse(&first, req->url)) < 0)
		return rc;
	if ((rc = url_parse(&cur, req->url)) < 0) {
		url_dispose(&first);
		return rc;
	}
	for (int hops = 0;; hops++) {
		struct httpc_response *r;
		bool drop = !url_same_origin(&first, &cur), fresh;
		const char *loc;

		rc = exchange(c, req, method, &cur, body, drop, deadline, true, &r, &fresh);
		if (rc < 0 && fresh && (!body || (body->rewind && body->rewind(body->ctx) == 0))) {
			log_debug("reused connection to %s was closed by the server, retrying", cur.host);
			rc = exchange(c, req, method, &cur, body, drop, deadline, false, &r, &fresh);
		}
		if (rc < 0)
			break;
		loc = httpc_resp_header(r, "Location");
		if ((req->flags & HTTPC_NO_REDIRECTS) || !is_redirect(r->status) || !loc) {
			*out = r;
			break;
		}
		if ((r->status == 307 || r->status == 308) && body &&
		    (!body->rewind || body->rewind(body->ctx) < 0)) {
			*out = r; /* the body cannot be sent again: the caller gets the redirect */
			break;
		}
		if (hops + 1 > (c->o.max_redirects > 0 ? c->o.max_redirects : 10)) {
			rc = err_set(CIH_ENET, "%s %s: stopped after %d redirects", method,
				     buf_cstr(&r->url), hops + 1);
			httpc_resp_free(r);
			break;
		}
		if ((rc = url_resolve(&next, &cur, loc)) < 0) {
			err_prefix("%s: bad redirect", buf_cstr(&r->url));
			httpc_resp_free(r);
			break;
		}
		if (r->status != 307 && r->status != 308) {
			if (strcmp(method, "GET") && strcmp(method, "HEAD"))
				method = "GET";
			body = NULL;
		}
		log_debug("following a %d redirect to another %s", r->status,
			  url_same_origin(&first, &next) ? "path" : "origin");
		httpc_resp_drain(r, 1 << 20);
		httpc_resp_free(r);
		url_dispose(&cur);
		cur = next;
	}
	url_dispose(&first);
	url_dispose(&cur);
	return rc;
}

void httpc_resp_free(struct httpc_response *r)
{
	bool reuse;

	if (!r)
		return;
	reuse = !r->no_reuse && (r->message_done || (r->is_head && r->headers_done)) && !r->seglen &&
		r->rpos == r->rlen && http_should_keep_alive(&r->parser);
	resp_free_now(r, reuse);
}

int httpc_new(struct httpc **out, const struct httpc_opts *opts)
{
	struct httpc *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return err_set(CIH_ENOMEM, "out of memory");
	if (opts)
		c->o = *opts;
	if (!(c->tls = calloc(1, sizeof(*c->tls)))) {
		free(c);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&c->tls->mu, NULL);
	c->tls->refs = 1;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = 30000;
	if (c->o.io_timeout_ms <= 0)
		c->o.io_timeout_ms = 30000;
	*out = c;
	return 0;
}

void httpc_free(struct httpc *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < POOL_SIZE; i++) {
		conn_close(c->idle[i].conn);
		free(c->idle[i].key);
	}
	pthread_mutex_lock(&c->tls->mu);
	if (--c->tls->refs == 0) {
		pthread_mutex_unlock(&c->tls->mu);
		for (size_t i = 0; i < c->tls->n; i++) {
			free(c->tls->v[i].host);
			certs_tls_free(c->tls->v[i].tls);
		}
		free(c->tls->v);
		pthread_mutex_destroy(&c->tls->mu);
		free(c->tls);
	} else {
		pthread_mutex_unlock(&c->tls->mu);
	}
	free(c);
}

static ssize_t mem_read(void *ctx, void *data, size_t size)
{
	struct httpc_mem *m = ctx;
	size_t n = m->len - m->pos < size ? m->len - m->pos : size;

	memcpy(data, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int mem_rewind(void *ctx)
{
	((struct httpc_mem *)ctx)->pos = 0;
	return 0;
}

void httpc_body_mem(struct httpc_body *b, struct httpc_mem *m, const void *data, size_t len)
{
	*m = (struct httpc_mem){ data, len, 0 };
	*b = (struct httpc_body){ (int64_t)len, mem_read, mem_rewind, m };
}

int httpc_new_sibling(struct httpc **out, struct httpc *parent)
{
	struct httpc *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return err_set(CIH_ENOMEM, "out of memory");
	c->o = parent->o;
	c->tls = parent->tls;
	pthread_mutex_lock(&c->tls->mu);
	c->tls->refs++;
	pthread_mutex_unlock(&c->tls->mu);
	*out = c;
	return 0;
}
