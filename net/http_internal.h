/* Shared by the HTTP client files: the response and its parser. */
#ifndef CIH_NET_HTTP_INTERNAL_H
#define CIH_NET_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <http_parser.h>

#include "../helper/buf.h"
#include "http.h"

struct hdr {
	char *name;
	char *value;
};

struct httpc_response {
	struct httpc *client;
	struct conn *conn;
	char *key; /* pool key of conn */
	/* where response bytes come from (conn_read for the client, memory for fuzzing) */
	ssize_t (*source)(void *ctx, void *data, size_t size);
	void *source_ctx;
	http_parser parser;
	int status;
	struct hdr *headers;
	size_t nheaders;
	struct buf field, value;
	bool in_value, headers_done, message_done, is_head, got_bytes;
	bool no_reuse; /* the request body was cut short: the connection is spent */
	size_t head_bytes;
	char *rbuf;
	size_t rlen, rpos;
	const char *seg; /* pending body bytes inside rbuf */
	size_t seglen;
	int64_t deadline; /* monotonic ms; 0: none */
	int64_t content_length;
	struct buf url;
};

/* Sets up parsing; rbuf is allocated here. */
int httpc__resp_init(struct httpc_response *r, bool is_head);
/* Parses until one event: head complete, a body segment pending, or the end. */
int httpc__pump(struct httpc_response *r);
/* Frees what parsing allocated (not conn or key). */
void httpc__resp_dispose(struct httpc_response *r);

#endif
