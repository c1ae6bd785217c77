/* AWS Signature Version 4 for header-signed S3 requests (the --gocloud-url s3://
 * path): the canonical request, the derived key and the Authorization header,
 * with mbedTLS's SHA-256 and HMAC. */
#ifndef CIH_NET_SIGV4_H
#define CIH_NET_SIGV4_H

#include <stddef.h>
#include <time.h>

struct buf;
struct httpc_header;

struct sigv4_key {
	const char *access_key, *secret_key, *session_token; /* token may be NULL */
	const char *region, *service;
};

#define SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sigv4_out {
	char amz_date[17];        /* x-amz-date: 20130524T000000Z */
	char authorization[1024]; /* Authorization */
};

/* Signs method + url (its host, path and query as sent: already percent-encoded)
 * with the host header, every header of hdrs (names any case) and x-amz-date,
 * x-amz-content-sha256 (payload_hash) and x-amz-security-token when there is a
 * token; those three must also be sent, with these values. */
int sigv4_sign(const struct sigv4_key *k, const char *method, const char *url,
	       const struct httpc_header *hdrs, size_t n, const char *payload_hash, time_t now,
	       struct sigv4_out *out);
/* The hex SHA-256 of data (65 bytes with the NUL). */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);
/* S3's URI encoding of an object key: unreserved characters and '/' kept. */
void sigv4_encode_key(struct buf *out, const char *key);

#endif
