/* git's urlmatch.c, the pure part: URL normalisation (RFC 3986 as git applies it)
 * and matching/ranking; no libgit2 calls (the config walk is in gurl.c). */
#include "gurl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/buf.h"
#include "../helper/error.h"

#define URL_ALPHA "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define URL_DIGIT "0123456789"
#define URL_ALPHADIGIT URL_ALPHA URL_DIGIT
#define URL_SCHEME_CHARS URL_ALPHADIGIT "+.-"
#define URL_HOST_CHARS URL_ALPHADIGIT ".-_[:]" /* IPv6 literals need [:] */
#define URL_UNSAFE_CHARS " <>\"%{}|\\^`"     /* plus 0x00-0x1F, 0x7F-0xFF */
#define URL_RESERVED ":/?#[]@" "!$&'()*+,;="

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends n bytes of from, decoding escapes that need none and encoding the
 * characters that must be; 0 on a malformed escape, 1 otherwise. Escaped
 * characters of esc_ok (delimiters) stay escaped. */
static int append_normalized(struct buf *b, const char *from, size_t n, const char *esc_ok)
{
	while (n) {
		int ch = (unsigned char)*from++, was_esc = 0;

		n--;
		if (ch == '%') {
			int hi, lo;

			if (n < 2 || (hi = hexval(from[0])) < 0 || (lo = hexval(from[1])) < 0)
				return 0;
			ch = hi << 4 | lo;
			from += 2;
			n -= 2;
			was_esc = 1;
		}
		if (ch <= 0x1F || ch >= 0x7F || strchr(URL_UNSAFE_CHARS, ch) ||
		    (was_esc && strchr(esc_ok, ch)))
			buf_printf(b, "%%%02X", (unsigned)ch);
		else
			buf_putc(b, (char)ch);
	}
	return 1;
}

static int fail(struct buf *b, const char *why)
{
	buf_dispose(b);
	return err_set(CIH_EUSAGE, "%s", why);
}

static void set_len(struct buf *b, size_t n)
{
	b->len = n;
	if (b->ptr)
		b->ptr[n] = '\0';
}

/* The path from url (at '/' or the end of the authority) into b, dot segments
 * resolved; *end is where the path stops. */
static int normalize_path(struct buf *b, const char *url, const char **end)
{
	size_t path_off = b->len;

	buf_putc(b, '/');
	if (*url == '/')
		url++;
	for (;;) {
		size_t seg_off = b->len, n = strcspn(url, "/?#");
		int skip_slash = 0;

		if (!append_normalized(b, url, n, URL_RESERVED))
			return err_set(CIH_EUSAGE, "invalid %%XX escape sequence");
		if (b->failed)
			return CIH_ENOMEM;
		if (b->len - seg_off == 1 && b->ptr[seg_off] == '.') {
			/* a "." segment goes; the initial '/' stays */
			if (seg_off == path_off + 1) {
				set_len(b, b->len - 1);
				skip_slash = 1;
			} else {
				set_len(b, b->len - 2);
			}
		} else if (b->len - seg_off == 2 && !memcmp(b->ptr + seg_off, "..", 2)) {
			/* ".." removes the previous segment, never the initial '/' */
			size_t prev = b->len - 3;

			if (prev == path_off)
				return err_set(CIH_EUSAGE, "invalid '..' path segment");
			while (b->ptr[--prev] != '/') {
			}
			if (prev == path_off) {
				set_len(b, prev + 1);
				skip_slash = 1;
			} else {
				set_len(b, prev);
			}
		}
		url += n;
		if (*url != '/')
			break;
		url++;
		if (!skip_slash)
			buf_putc(b, '/');
	}
	*end = url;
	return 0;
}

/* Port after ':' (colon) up to slash: appended unless the scheme's default. */
static int normalize_port(struct buf *b, const char *colon, const char *slash, struct gurl_info *o)
{
	const char *p = colon + 1;
	unsigned long pnum = 0;

	p += strspn(p, "0");
	if (p > slash)
		p = slash;
	if (p == slash && p[-1] == '0')
		p--;
	if (p == slash)
		return 0; /* ":" alone is the default */
	if (slash - p == 2 && !strncmp(b->ptr, "http:", 5) && !strncmp(p, "80", 2))
		return 0;
	if (slash - p == 3 && !strncmp(b->ptr, "https:", 6) && !strncmp(p, "443", 3))
		return 0;
	if (strspn(p, URL_DIGIT) < (size_t)(slash - p))
		return err_set(CIH_EUSAGE, "invalid port number");
	if (slash - p <= 5)
		pnum = strtoul(p, NULL, 10);
	if (pnum == 0 || pnum > 65535)
		return err_set(CIH_EUSAGE, "invalid port number");
	buf_putc(b, ':');
	o->port_off = b->len;
	buf_put(b, p, (size_t)(slash - p));
	o->port_len = (size_t)(slash - p);
	return 0;
}

int gurl_normalize(const char *url, int allow_globs, struct gurl_info *o)
{
	size_t url_len = strlen(url), spanned, scheme_len;
	const char *slash, *at, *colon, *end = "";
	struct buf b = BUF_INIT;
	int rc;

	memset(o, 0, sizeof(*o));
	spanned = strspn(url, URL_SCHEME_CHARS);
	if (!spanned || !isalpha((unsigned char)url[0]) || spanned + 3 > url_len ||
	    url[spanned] != ':' || url[spanned + 1] != '/' || url[spanned + 2] != '/')
		return err_set(CIH_EUSAGE, "invalid URL scheme name or missing '://' suffix");
	scheme_len = spanned;
	for (size_t i = 0; i < spanned + 3; i++)
		buf_putc(&b, (char)tolower((unsigned char)url[i]));
	url += spanned + 3;

	/* user[:password]@, escapes normalised */
	at = strchr(url, '@');
	slash = url + strcspn(url, "/?#");
	if (at && at < slash) {
		o->user_off = b.len;
		if (at > url) {
			const char *pc;

			if (!append_normalized(&b, url, (size_t)(at - url), URL_RESERVED))
				return fail(&b, "invalid %XX escape sequence");
			if (b.failed)
				return fail(&b, "out of memory");
			pc = strchr(b.ptr + scheme_len + 3, ':');
			if (pc) {
				o->passwd_off = (size_t)(pc + 1 - b.ptr);
				o->passwd_len = b.len - o->passwd_off;
				o->user_len = o->passwd_off - 1 - (scheme_len + 3);
			} else {
				o->user_len = b.len - (scheme_len + 3);
			}
		}
		buf_putc(&b, '@');
		url = at + 1;
	}

	/* host, lowercased, no escapes; only file: may have none */
	if (!*url || strchr(":/?#", *url)) {
		if (strncmp(b.ptr, "file:", 5))
			return fail(&b, "missing host and scheme is not 'file:'");
	} else {
		o->host_off = b.len;
	}
	colon = slash;
	while (colon > url && colon[-1] != ':' && colon[-1] != ']')
		colon--;
	if (colon > url && colon[-1] == ':') {
		colon--;
		if (!o->host_off && colon + 1 != slash)
			return fail(&b, "a 'file:' URL may not have a port number");
	} else {
		colon = slash;
	}
	spanned = strspn(url, allow_globs ? URL_HOST_CHARS "*" : URL_HOST_CHARS);
	if (spanned < (size_t)(colon - url))
		return fail(&b, "invalid characters in host name");
	for (; url < colon; url++)
		buf_putc(&b, (char)tolower((unsigned char)*url));
	if (b.failed)
		return fail(&b, "out of memory");

	if (colon < slash) {
		if ((rc = normalize_port(&b, colon, slash, o)) < 0) {
			buf_dispose(&b);
			return rc;
		}
		url = slash;
	}
	if (o->host_off)
		o->host_len = b.len - o->host_off - (o->port_len ? o->port_len + 1 : 0);

	o->path_off = b.len;
	if ((rc = normalize_path(&b, url, &end)) < 0) {
		buf_dispose(&b);
		return rc;
	}
	o->path_len = b.len - o->path_off;
	/* query and fragment: escapes only */
	if (*end && !append_normalized(&b, end, strlen(end), URL_RESERVED))
		return fail(&b, "invalid %XX escape sequence");
	if (b.failed)
		return fail(&b, "out of memory");
	o->scheme_len = scheme_len;
	o->url = b.ptr;
	o->url_len = b.len;
	return 0;
}

void gurl_info_dispose(struct gurl_info *i)
{
	if (i->url) {
		memset(i->url, 0, i->url_len); /* may hold a password */
		free(i->url);
	}
	memset(i, 0, sizeof(*i));
}

static const char *token_end(const char *s, int c, size_t n)
{
	const char *next = memchr(s, c, n);

	return next ? next : s + n;
}

/* Host names label by label, "*" matching any one label. */
static int match_host(const struct gurl_info *u, const struct gurl_info *p)
{
	const char *url = u->url + u->host_off, *pat = p->url + p->host_off;
	size_t url_len = u->host_len, pat_len = p->host_len;

	while (url_len && pat_len) {
		const char *un = token_end(url, '.', url_len), *pn = token_end(pat, '.', pat_len);

		if (!(pn == pat + 1 && pat[0] == '*') &&
		    !(pn - pat == un - url && !memcmp(url, pat, (size_t)(un - url))))
			return 0;
		if (un < url + url_len)
			un++;
		url_len -= (size_t)(un - url);
		url = un;
		if (pn < pat + pat_len)
			pn++;
		pat_len -= (size_t)(pn - pat);
		pat = pn;
	}
	return !url_len && !pat_len;
}

/* Length of the match of prefix on url's path at a '/' boundary (both with an
 * implicit final '/'), 0 when none. */
static size_t match_path(const char *url, const char *prefix, size_t n)
{
	if (!n || (n == 1 && *prefix == '/'))
		return (!*url || *url == '/') ? 1 : 0;
	if (prefix[n - 1] == '/')
		n--;
	if (strncmp(url, prefix, n))
		return 0;
	if (strlen(url) == n || url[n] == '/')
		return n + 1;
	return 0;
}

int gurl_match(const struct gurl_info *url, const struct gurl_info *pat, struct gurl_match *m)
{
	int user_matched = 0;
	size_t path_len;

	if (!url->url || !pat->url)
		return 0;
	if (pat->scheme_len != url->scheme_len || strncmp(url->url, pat->url, url->scheme_len))
		return 0;
	if (pat->user_off) {
		if (!url->user_off || url->user_len != pat->user_len ||
		    strncmp(url->url + url->user_off, pat->url + pat->user_off, url->user_len))
			return 0;
		user_matched = 1;
	}
	if (!match_host(url, pat))
		return 0;
	if (pat->port_len != url->port_len ||
	    strncmp(url->url + url->port_off, pat->url + pat->port_off, url->port_len))
		return 0;
	path_len = match_path(url->url + url->path_off, pat->url + pat->path_off,
			      pat->url_len - pat->path_off);
	if (!path_len)
		return 0;
	if (m) {
		m->host_len = pat->host_len;
		m->path_len = path_len;
		m->user_matched = user_matched;
	}
	return 1;
}

int gurl_match_cmp(const struct gurl_match *a, const struct gurl_match *b)
{
	if (a->host_len != b->host_len)
		return a->host_len < b->host_len ? -1 : 1;
	if (a->path_len != b->path_len)
		return a->path_len < b->path_len ? -1 : 1;
	if (a->user_matched != b->user_matched)
		return b->user_matched ? -1 : 1;
	return 0;
}
