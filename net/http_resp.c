#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../helper/error.h"
#include "http_internal.h"
#include "../helper/clock.h"

#define READ_BUF 16384
#define MAX_HEAD_BYTES (64 * 1024)
#define MAX_HEADERS 200

static int push_header(struct httpc_response *r)
{
	struct hdr *h;

	if (!r->field.len)
		return 0;
	if (r->nheaders == MAX_HEADERS)
		return -1;
	if (!(h = realloc(r->headers, (r->nheaders + 1) * sizeof(*h))))
		return -1;
	r->headers = h;
	h[r->nheaders].name = strdup(buf_cstr(&r->field));
	h[r->nheaders].value = strdup(buf_cstr(&r->value));
	if (!h[r->nheaders].name || !h[r->nheaders].value) {
		free(h[r->nheaders].name);
		free(h[r->nheaders].value);
		return -1;
	}
	r->nheaders++;
	buf_clear(&r->field);
	buf_clear(&r->value);
	r->in_value = false;
	return 0;
}

static void clear_headers(struct httpc_response *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	r->nheaders = 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct httpc_response *r = p->data;

	if (r->in_value && push_header(r) < 0)
		return -1;
	r->head_bytes += len;
	return r->head_bytes > MAX_HEAD_BYTES || buf_put(&r->field, at, len) < 0 ? -1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct httpc_response *r = p->data;

	r->in_value = true;
	r->head_bytes += len;
	return r->head_bytes > MAX_HEAD_BYTES || buf_put(&r->value, at, len) < 0 ? -1 : 0;
}

static int on_headers_complete(http_parser *p)
{
	struct httpc_response *r = p->data;

	if (push_header(r) < 0)
		return -1;
	if (p->status_code >= 100 && p->status_code < 200)
		return 0; /* an interim response: the real one follows */
	r->status = p->status_code;
	r->headers_done = true;
	r->content_length = (p->flags & F_CONTENTLENGTH) ? (int64_t)p->content_length : -1;
	return r->is_head ? 1 : 0; /* 1: this message has no body */
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct httpc_response *r = p->data;

	r->seg = at;
	r->seglen = len;
	http_parser_pause(p, 1); /* hand it to the reader before parsing further */
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct httpc_response *r = p->data;

	if (!r->headers_done) { /* the end of an interim 1xx response */
		clear_headers(r);
		r->head_bytes = 0;
		return 0;
	}
	r->message_done = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* Parses buffered bytes, reading more as needed, until one event: the head is
 * complete, a body segment is pending, or the message ended. */
int httpc__pump(struct httpc_response *r)
{
	for (;;) {
		bool was_done = r->headers_done;

		if (r->rpos < r->rlen) {
			size_t n = http_parser_execute(&r->parser, &settings, r->rbuf + r->rpos,
						       r->rlen - r->rpos);
			enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);

			r->rpos += n;
			if (e == HPE_PAUSED) {
				http_parser_pause(&r->parser, 0);
				return 0;
			}
			if (e != HPE_OK)
				return err_set(CIH_ENET, "malformed HTTP response from %s: %s",
					       buf_cstr(&r->url), http_errno_description(e));
			if (!was_done && r->headers_done)
				return 0;
			continue;
		}
		if (r->deadline && clock_now_ms() > r->deadline)
			return err_set(CIH_ETIMEOUT, "%s: timeout exceeded while %s", buf_cstr(&r->url),
				       r->headers_done ? "reading the body" : "awaiting headers");
		r->rpos = r->rlen = 0;
		ssize_t n = r->source(r->source_ctx, r->rbuf, READ_BUF);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			/* end of stream: completes a read-until-close body, else it is cut short */
			http_parser_execute(&r->parser, &settings, NULL, 0);
			if (HTTP_PARSER_ERRNO(&r->parser) == HPE_PAUSED)
				http_parser_pause(&r->parser, 0);
			if (r->message_done)
				return 0;
			return err_set(CIH_ENET, "%s: connection closed before the %s ended",
				       buf_cstr(&r->url), r->headers_done ? "response body" : "response");
		}
		r->got_bytes = true;
		r->rlen = (size_t)n;
	}
}

int httpc__resp_init(struct httpc_response *r, bool is_head)
{
	if (!(r->rbuf = malloc(READ_BUF)))
		return err_set(CIH_ENOMEM, "out of memory");
	r->is_head = is_head;
	http_parser_init(&r->parser, HTTP_RESPONSE);
	r->parser.data = r;
	return 0;
}

void httpc__resp_dispose(struct httpc_response *r)
{
	clear_headers(r);
	free(r->headers);
	buf_dispose(&r->field);
	buf_dispose(&r->value);
	buf_dispose(&r->url);
	free(r->rbuf);
	r->rbuf = NULL;
}

int httpc_resp_status(const struct httpc_response *r)
{
	return r->status;
}

const char *httpc_resp_header(const struct httpc_response *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

bool httpc_resp_header_at(const struct httpc_response *r, size_t i, const char **name,
			  const char **value)
{
	if (i >= r->nheaders)
		return false;
	*name = r->headers[i].name;
	*value = r->headers[i].value;
	return true;
}

int64_t httpc_resp_length(const struct httpc_response *r)
{
	return r->content_length;
}

const char *httpc_resp_url(const struct httpc_response *r)
{
	return buf_cstr(&r->url);
}

ssize_t httpc_resp_read(struct httpc_response *r, void *data, size_t size)
{
	int rc;

	while (!r->seglen) {
		if (r->message_done || r->is_head)
			return 0;
		if ((rc = httpc__pump(r)) < 0)
			return rc;
	}
	if (size > r->seglen)
		size = r->seglen;
	memcpy(data, r->seg, size);
	r->seg += size;
	r->seglen -= size;
	return (ssize_t)size;
}

int httpc_resp_drain(struct httpc_response *r, size_t limit)
{
	char tmp[4096];
	ssize_t n;

	while (limit && (n = httpc_resp_read(r, tmp, limit < sizeof(tmp) ? limit : sizeof(tmp))) > 0)
		limit -= (size_t)n;
	return 0;
}

