/* HTTP/1.1 client: plain or TLS (certs/), streaming bodies both ways, keep-alive,
 * redirects with origin rules, deadlines. Prefix httpc_ (http_parser_ is the
 * parser's). One client per process is typical; it is not thread-safe. */
#ifndef CIH_NET_HTTP_H
#define CIH_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct httpc;
struct httpc_response;

struct httpc_opts {
	int64_t connect_timeout_ms; /* TCP connect + TLS handshake; default 30 s */
	int64_t io_timeout_ms;      /* each read or write while waiting; default 30 s */
	int max_redirects;          /* default 10, as Go */
	const char *user_agent;     /* NULL: none */
	const char *ca_file;        /* extra roots (certs_opts.ca_file) */
	const char *cert_file;      /* client certificate and key (certs_opts) */
	const char *key_file;
	/* when set, ca_file, cert_file and key_file apply to this host only (the
	 * GitLab server, not the object storage it redirects to) */
	const char *tls_files_host;
	bool insecure; /* no certificate verification (git's http.sslVerify=false): warn first */
};

struct httpc_header {
	const char *name;
	const char *value;
};

/* A request body read in pieces; rewind is needed to resend it (307/308, a stale
 * keep-alive connection). len -1 sends it chunked. */
struct httpc_body {
	int64_t len;
	ssize_t (*read)(void *ctx, void *data, size_t size); /* bytes, 0 at end, < 0 error */
	int (*rewind)(void *ctx);
	void *ctx;
};

/* A body held in memory (len bytes at data, not copied): httpc_body_mem fills b. */
struct httpc_mem {
	const char *data;
	size_t len, pos;
};
void httpc_body_mem(struct httpc_body *b, struct httpc_mem *m, const void *data, size_t len);

#define HTTPC_NO_REDIRECTS 0x1u

struct httpc_request {
	const char *method;
	const char *url;
	const struct httpc_header *headers; /* Host, Content-Length and Transfer-Encoding
					     * are ours and ignored here */
	size_t nheaders;
	const struct httpc_body *body; /* NULL: none */
	int64_t timeout_ms;            /* the whole exchange, body included; 0: none */
	unsigned flags;
	/* header names (case-insensitive) to drop when a redirect leaves the origin,
	 * on top of Authorization, Cookie, JOB-TOKEN and PRIVATE-TOKEN */
	const char *const *sensitive;
	size_t nsensitive;
};

int httpc_new(struct httpc **out, const struct httpc_opts *opts);
/* A client for another thread: its own connections, the parent's options and
 * TLS configurations (built once per host, shared; either may be freed first). */
int httpc_new_sibling(struct httpc **out, struct httpc *parent);
void httpc_free(struct httpc *c);

/* Sends the request and reads the response head; the body is read with
 * httpc_resp_read. Any status is a success here: the caller judges it. */
int httpc_send(struct httpc *c, const struct httpc_request *req, struct httpc_response **out);
int httpc_resp_status(const struct httpc_response *r);
/* First value of a header (case-insensitive), or NULL. */
const char *httpc_resp_header(const struct httpc_response *r, const char *name);
/* Header i (in received order) for iteration; false past the last. */
bool httpc_resp_header_at(const struct httpc_response *r, size_t i, const char **name,
			  const char **value);
/* Content-Length, or -1 when the server did not say. */
int64_t httpc_resp_length(const struct httpc_response *r);
/* The URL that answered, after redirects, cleaned of user info and query. */
const char *httpc_resp_url(const struct httpc_response *r);
/* Body bytes, 0 at its end. A body cut short is an error, never a silent end. */
ssize_t httpc_resp_read(struct httpc_response *r, void *data, size_t size);
/* Go's http.StatusText: "Service Unavailable" for 503, "" when unknown. */
const char *httpc_status_text(int status);
/* Reads and drops up to limit bytes of what is left of the body (keep-alive). */
int httpc_resp_drain(struct httpc_response *r, size_t limit);
/* Gives the connection back for reuse when the body was read to its end. */
void httpc_resp_free(struct httpc_response *r);

#endif
