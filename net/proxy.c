#include "proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "url.h"

struct ip {
	int family;
	unsigned char a[16];
};

static bool parse_ip(struct ip *ip, const char *s)
{
	ip->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(ip->family, s, ip->a) == 1;
}

static bool is_loopback(const struct ip *ip)
{
	static const unsigned char v6[16] = { [15] = 1 };
	return ip->family == AF_INET ? ip->a[0] == 127 : !memcmp(ip->a, v6, 16);
}

static bool cidr_contains(const char *cidr, const struct ip *ip)
{
	char net[64];
	const char *slash = strchr(cidr, '/');
	struct ip n;
	long bits;
	char *end;

	if ((size_t)(slash - cidr) >= sizeof(net))
		return false;
	memcpy(net, cidr, (size_t)(slash - cidr));
	net[slash - cidr] = '\0';
	bits = strtol(slash + 1, &end, 10);
	if (*end || !parse_ip(&n, net) || n.family != ip->family || bits < 0 ||
	    bits > (n.family == AF_INET ? 32 : 128))
		return false;
	for (long i = 0; i < bits; i++)
		if (((n.a[i / 8] ^ ip->a[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

/* One NO_PROXY entry (lower case, trimmed) against host:port. */
static bool entry_matches(char *e, const char *host, const char *port, const struct ip *ip,
			  bool is_ip)
{
	char *eport = NULL, *colon;
	struct ip eip;
	size_t hl, el;

	if (strchr(e, '/'))
		return is_ip && cidr_contains(e, ip);
	/* "[v6]:port", "host:port", a bare v6 address or a bare name */
	if (*e == '[' && (colon = strstr(e, "]:"))) {
		*colon = '\0';
		eport = colon + 2;
		e++;
	} else if ((colon = strchr(e, ':')) && colon == strrchr(e, ':')) { /* not a bare v6 */
		*colon = '\0';
		eport = colon + 1;
	}
	if (eport && strcmp(eport, port))
		return false;
	if (parse_ip(&eip, e))
		return is_ip && eip.family == ip->family &&
		       !memcmp(eip.a, ip->a, eip.family == AF_INET ? 4 : 16);
	if (e[0] == '*' && e[1] == '.')
		e++;
	hl = strlen(host);
	el = strlen(e);
	if (*e == '.') /* subdomains only */
		return hl > el && !strcasecmp(host + hl - el, e);
	return !strcasecmp(host, e) || (hl > el && host[hl - el - 1] == '.' && !strcasecmp(host + hl - el, e));
}

bool proxy_bypass(const char *no_proxy, const char *host, const char *port)
{
	struct ip ip;
	bool is_ip = parse_ip(&ip, host), hit = false;
	struct buf list = BUF_INIT;
	char *save, *e;

	if (!strcasecmp(host, "localhost") || (is_ip && is_loopback(&ip)))
		return true;
	if (!no_proxy || !*no_proxy)
		return false;
	if (buf_puts(&list, no_proxy) < 0)
		return false;
	for (e = strtok_r(list.ptr, ",", &save); e && !hit; e = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*e))
			e++;
		for (char *t = e + strlen(e); t > e && isspace((unsigned char)t[-1]); t--)
			t[-1] = '\0';
		if (!strcmp(e, "*"))
			hit = true;
		else if (*e)
			hit = entry_matches(e, host, port, &ip, is_ip);
	}
	buf_dispose(&list);
	return hit;
}

static const char *env_any(const char *upper, const char *lower)
{
	const char *v = getenv(upper);
	return v && *v ? v : (v = getenv(lower)) && *v ? v : NULL;
}

int proxy_select(struct url *out, bool *found, const struct url *target)
{
	const char *var = target->https ? "HTTPS_PROXY" : "HTTP_PROXY";
	const char *v = env_any(var, target->https ? "https_proxy" : "http_proxy");
	struct buf withscheme = BUF_INIT;
	int rc;

	*found = false;
	if (!v || proxy_bypass(env_any("NO_PROXY", "no_proxy"), target->host, target->port))
		return 0;
	/* Go accepts "host:port" and reads it as http://host:port */
	if (!strstr(v, "://"))
		buf_printf(&withscheme, "http://%s", v);
	else
		buf_puts(&withscheme, v);
	rc = url_parse(out, buf_cstr(&withscheme));
	buf_dispose(&withscheme);
	if (rc < 0)
		return err_prefix("invalid proxy URL in %s", var);
	if (out->https) {
		url_dispose(out);
		return err_set(CIH_EUSAGE, "invalid proxy URL in %s: https proxies are not supported", var);
	}
	*found = true;
	return 0;
}
