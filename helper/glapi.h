/* The GitLab jobs API as the helper's artifact commands use it
 * (runner-helper-cli.md 2.1): base URL, common headers, the network-layer retry
 * on 408/429/5xx honouring RateLimit-ResetTime and Retry-After, and the texts made
 * from error replies. The job token is only ever sent as JOB-TOKEN to the GitLab
 * origin: net/http drops it when a redirect leaves that origin. */
#ifndef CIH_GLAPI_H
#define CIH_GLAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../net/http.h"
#include "log.h"

struct buf;

struct glapi_opts {
	const char *url;   /* --url: ".../ci" and trailing slashes are trimmed */
	const char *token; /* sent as JOB-TOKEN */
	const char *ca_file, *cert_file, *key_file; /* --tls-*: for the GitLab host */
	int64_t timeout_ms;        /* one whole request, body included; 0: 60 min */
	int64_t header_timeout_ms; /* waiting for the response head; 0: 10 min */
};

struct glapi;

/* common.JobCredentials: the flags both artifact commands take (their options struct
 * has id, token, url, ca_file, cert_file and key_file). */
#define GLAPI_JOB_FLAGS(o)                                                                        \
	{ "id", NULL, FLAG_INT, &(o).id, "CI_JOB_ID", "The build ID to download and upload artifacts for", 0, NULL }, \
	{ "token", NULL, FLAG_STR, &(o).token, "CI_JOB_TOKEN", "Build token", 0, NULL },             \
	{ "url", NULL, FLAG_STR, &(o).url, "CI_SERVER_URL", "GitLab CI URL", 0, NULL },              \
	{ "tls-ca-file", NULL, FLAG_STR, &(o).ca_file, "CI_SERVER_TLS_CA_FILE",                       \
	  "File containing the certificates to verify the peer when using HTTPS", 0, NULL },          \
	{ "tls-cert-file", NULL, FLAG_STR, &(o).cert_file, "CI_SERVER_TLS_CERT_FILE",                 \
	  "File containing certificate for TLS client auth with runner when using HTTPS", 0, NULL },  \
	{ "tls-key-file", NULL, FLAG_STR, &(o).key_file, "CI_SERVER_TLS_KEY_FILE",                    \
	  "File containing private key for TLS client auth with runner when using HTTPS", 0, NULL }

int glapi_open(struct glapi **out, const struct glapi_opts *o);
void glapi_close(struct glapi *a);
/* "<scheme>://<host>/.../api/v4/" */
const char *glapi_base(const struct glapi *a);
/* The client, for requests outside the API (object storage probes). */
struct httpc *glapi_http(struct glapi *a);

#define GLAPI_NO_REDIRECTS 0x1u /* the caller handles 3xx itself */
#define GLAPI_NO_RETRY 0x2u     /* one attempt: no 408/429/5xx loop */
#define GLAPI_NO_UA 0x4u        /* no User-Agent (Go's default client did not send ours) */
#define GLAPI_NO_TOKEN 0x8u     /* no JOB-TOKEN (object storage) */

struct glapi_call {
	const char *method;
	const char *uri; /* relative to the base ("jobs/1/artifacts?"), or absolute */
	const struct httpc_body *body;
	const char *content_type;
	const struct httpc_header *extra;
	size_t nextra;
	unsigned flags;
	char request_id[33]; /* out: the X-Request-Id of the last attempt */
	char url[2048];      /* out: the URL asked, without query (for messages) */
};

/* Sends the call, retrying retryable statuses up to 5 attempts in total (the body
 * is rewound for each). A transport failure is an error:
 * "couldn't execute <METHOD> against <url>: <why>". */
int glapi_send(struct glapi *a, struct glapi_call *call, struct httpc_response **out);

/* Reads up to limit bytes of the reply body into body (the rest stays unread). */
int glapi_read_body(struct httpc_response *r, struct buf *body, size_t limit);
/* The text between <tag> and </tag> of an XML body, "" when absent. */
void glapi_xml_text(char *out, size_t size, const char *body, const char *tag);
/* The status text the runner logs: "201 Created" for 2xx; for a JSON reply
 * "<METHOD> <url>: <code> <text> (<message>)"; with xml, an object-storage
 * <Error> as "<code> <text> (<Code>: <Message>)"; else "<code> <text>". */
void glapi_status_text(struct buf *out, struct httpc_response *r, const char *body, size_t len,
		       const char *method, bool xml);
/* The response's X-Request-Id, else the one sent. */
const char *glapi_correlation_id(struct httpc_response *r, const char *sent);
/* CI_DEBUG_TRACE: "received response" at warning level with header[Name]=[values]
 * and body=<first 512 bytes>[...]; base fields (sorted) come first. */
void glapi_trace_response(struct httpc_response *r, const char *body, size_t len,
			  const struct log_field *base, size_t nbase);

/* The log field "token": 9 hex digits of the token's SHA-256 (upstream's
 * ShortenToken shows 9 characters of the token itself). */
void glapi_short_token(char *out, size_t size, const char *token);
/* "gitlab-runner-helper <version> (<branch>; <toolchain>; linux/<arch>)" */
void glapi_user_agent(struct buf *out);
/* 32 lowercase hex digits: a v4 UUID without dashes. */
void glapi_request_id(char out[33]);

#endif
