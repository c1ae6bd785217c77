/* Which proxy a request goes through: HTTPS_PROXY / HTTP_PROXY (or their lower-case
 * forms) and NO_PROXY, with the rules of Go's golang.org/x/net/http/httpproxy. */
#ifndef CIH_NET_PROXY_H
#define CIH_NET_PROXY_H

#include <stdbool.h>

struct url;

/* *found tells whether target goes through a proxy; if so *out is its URL. */
int proxy_select(struct url *out, bool *found, const struct url *target);
/* NO_PROXY matching alone: "*", host or domain suffix ("example.com" also matches
 * its subdomains, ".example.com" only them, "*.example.com" likewise), IP, CIDR,
 * each optionally with ":port". localhost and loopback addresses are never proxied. */
bool proxy_bypass(const char *no_proxy, const char *host, const char *port);

#endif
