/* http and https URLs: parse, resolve a redirect's Location, print without secrets. */
#ifndef CIH_NET_URL_H
#define CIH_NET_URL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

struct url {
	char *scheme;   /* "http" or "https" */
	char *user;     /* percent-decoded user info, or NULL */
	char *password; /* percent-decoded, or NULL */
	char *host;     /* without brackets */
	char *port;     /* explicit or the scheme's default */
	char *target;   /* path and query as sent on the request line: starts with '/' */
	bool https;
	bool explicit_port;
};

int url_parse(struct url *out, const char *s);
void url_dispose(struct url *u);
/* Location header value relative to base (absolute, "//host/x", "/x" or "x"). */
int url_resolve(struct url *out, const struct url *base, const char *location);
/* The Host header value: host[:port], brackets for IPv6, default port left out. */
void url_host_header(struct buf *out, const struct url *u);
/* scheme://host[:port]/path: no user info, query or fragment (for logs and errors). */
void url_clean(struct buf *out, const struct url *u);
/* Percent-decoding of n bytes (malloc'd; NULL when out of memory); a malformed
 * escape is kept as it is. */
char *url_unescape(const char *p, size_t n);
bool url_same_origin(const struct url *a, const struct url *b);

#endif
