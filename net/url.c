#include "url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../helper/buf.h"
#include "../helper/error.h"

static char *dup_range(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : isxdigit((unsigned char)c) ? (tolower((unsigned char)c) - 'a' + 10) : -1;
}

char *url_unescape(const char *p, size_t n)
{
	char *s = malloc(n + 1), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			*o++ = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		} else {
			*o++ = p[i];
		}
	}
	*o = '\0';
	return s;
}

void url_dispose(struct url *u)
{
	free(u->scheme);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->port);
	free(u->target);
	memset(u, 0, sizeof(*u));
}

int url_parse(struct url *u, const char *s)
{
	const char *p = strstr(s, "://"), *auth, *auth_end, *at, *hp, *colon = NULL;
	size_t slen;

	memset(u, 0, sizeof(*u));
	if (!p)
		return err_set(CIH_EUSAGE, "invalid URL: missing scheme");
	slen = (size_t)(p - s);
	if (slen == 4 && !strncasecmp(s, "http", 4))
		u->https = false;
	else if (slen == 5 && !strncasecmp(s, "https", 5))
		u->https = true;
	else
		return err_set(CIH_EUSAGE, "unsupported URL scheme \"%.*s\": only http and https",
			       (int)(slen < 16 ? slen : 16), s);
	auth = p + 3;
	auth_end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (const char *q = auth; q < auth_end; q++)
		if (*q == '@')
			at = q;
	hp = at ? at + 1 : auth;
	if (*hp == '[') {
		const char *close = memchr(hp, ']', (size_t)(auth_end - hp));
		if (!close || (close + 1 < auth_end && close[1] != ':'))
			return err_set(CIH_EUSAGE, "invalid URL: bad IPv6 host");
		u->host = dup_range(hp + 1, (size_t)(close - hp - 1));
		colon = close + 1 < auth_end ? close + 1 : NULL;
	} else {
		colon = memchr(hp, ':', (size_t)(auth_end - hp));
		u->host = dup_range(hp, (size_t)((colon ? colon : auth_end) - hp));
	}
	if (colon && colon + 1 < auth_end) {
		for (const char *q = colon + 1; q < auth_end; q++)
			if (!isdigit((unsigned char)*q))
				goto bad_port;
		u->port = dup_range(colon + 1, (size_t)(auth_end - colon - 1));
		u->explicit_port = true;
	} else {
		u->port = strdup(u->https ? "443" : "80");
	}
	if (at) {
		const char *pc = memchr(auth, ':', (size_t)(at - auth));
		u->user = url_unescape(auth, (size_t)((pc ? pc : at) - auth));
		if (pc)
			u->password = url_unescape(pc + 1, (size_t)(at - pc - 1));
	}
	u->scheme = strdup(u->https ? "https" : "http");
	if (*auth_end == '/') {
		u->target = dup_range(auth_end, strcspn(auth_end, "#"));
	} else { /* "" or "?query": the path is "/" */
		size_t qlen = strcspn(auth_end, "#");
		if ((u->target = malloc(qlen + 2))) {
			u->target[0] = '/';
			memcpy(u->target + 1, auth_end, qlen);
			u->target[qlen + 1] = '\0';
		}
	}
	if (!u->scheme || !u->host || !u->port || !u->target || (at && !u->user)) {
		url_dispose(u);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	if (!*u->host) {
		url_dispose(u);
		return err_set(CIH_EUSAGE, "invalid URL: missing host");
	}
	for (const char *q = u->target; *q; q++) {
		if ((unsigned char)*q <= ' ' || *q == 0x7f) {
			url_dispose(u);
			return err_set(CIH_EUSAGE, "invalid URL: control character or space in path");
		}
	}
	return 0;
bad_port:
	url_dispose(u);
	return err_set(CIH_EUSAGE, "invalid URL: bad port");
}

int url_resolve(struct url *out, const struct url *base, const char *loc)
{
	struct buf b = BUF_INIT;
	int rc;

	if (strstr(loc, "://") && strcspn(loc, "/?#") > (size_t)(strstr(loc, "://") - loc))
		return url_parse(out, loc);
	buf_printf(&b, "%s:", base->scheme);
	if (!strncmp(loc, "//", 2)) {
		buf_puts(&b, loc);
	} else {
		buf_puts(&b, "//");
		url_host_header(&b, base);
		if (*loc == '/') {
			buf_puts(&b, loc);
		} else {
			/* relative: replace the last path segment of the base */
			size_t plen = strcspn(base->target, "?");
			const char *slash = base->target;
			for (size_t i = 0; i < plen; i++)
				if (base->target[i] == '/')
					slash = base->target + i;
			buf_put(&b, base->target, (size_t)(slash - base->target) + 1);
			buf_puts(&b, loc);
		}
	}
	rc = b.failed ? err_set(CIH_ENOMEM, "out of memory") : url_parse(out, buf_cstr(&b));
	buf_dispose(&b);
	return rc;
}

void url_host_header(struct buf *out, const struct url *u)
{
	buf_printf(out, strchr(u->host, ':') ? "[%s]" : "%s", u->host);
	if (u->explicit_port && strcmp(u->port, u->https ? "443" : "80"))
		buf_printf(out, ":%s", u->port);
}

void url_clean(struct buf *out, const struct url *u)
{
	buf_printf(out, "%s://", u->scheme);
	url_host_header(out, u);
	buf_put(out, u->target, strcspn(u->target, "?"));
}

bool url_same_origin(const struct url *a, const struct url *b)
{
	return a->https == b->https && !strcasecmp(a->host, b->host) && !strcmp(a->port, b->port);
}
