/* git's urlmatch.c on libgit2's config: URL normalisation (RFC 3986 as git applies
 * it) and the per-URL config walk. */
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

struct best {
	char *key;
	struct gurl_match m;
};

struct walk_state {
	struct best *v;
	size_t n;
};

/* The best match so far for key; created zeroed (*fresh = 1) when none. */
static struct best *best_for(struct walk_state *s, const char *key, int *fresh)
{
	struct best *nv;

	*fresh = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	if (!(nv = realloc(s->v, (s->n + 1) * sizeof(*nv))))
		return NULL;
	s->v = nv;
	if (!(nv[s->n].key = strdup(key)))
		return NULL;
	memset(&nv[s->n].m, 0, sizeof(nv[s->n].m));
	*fresh = 1;
	return &nv[s->n++];
}

static char *lower_dup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	for (char *p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* Whether the entry's name (section.[url.]key) applies; *key is set to its key. */
static int entry_applies(const char *name, const char *section, const struct gurl_info *target,
			 const struct gurl_walk *w, const char **key, struct gurl_match *m)
{
	size_t slen = strlen(section);
	const char *k, *dot;
	struct gurl_info pat;
	char *config_url;
	int rc;

	memset(m, 0, sizeof(*m));
	if (strncmp(name, section, slen) || name[slen] != '.')
		return 0;
	k = name + slen + 1;
	if (!(dot = strrchr(k, '.'))) {
		*key = k;
		return 1;
	}
	if (!(config_url = strndup(k, (size_t)(dot - k))))
		return err_set(CIH_ENOMEM, "out of memory");
	if (gurl_normalize(config_url, 1, &pat) == 0) {
		rc = gurl_match(target, &pat, m);
		gurl_info_dispose(&pat);
	} else {
		err_clear();
		rc = w->fallback ? w->fallback(config_url, w->payload) : 0;
	}
	free(config_url);
	*key = dot + 1;
	return rc;
}

int gurl_foreach(git_config *cfg, const char *url, const struct gurl_walk *w)
{
	struct walk_state st = { NULL, 0 };
	git_config_iterator *it = NULL;
	git_config_entry *e;
	struct gurl_info target;
	char *section = lower_dup(w->section), *want = lower_dup(w->key);
	int rc = 0, gr;

	if (!section || (w->key && !want)) {
		free(section);
		free(want);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	/* a target that does not normalise matches no URL entry (as in git) */
	if (gurl_normalize(url ? url : "", 0, &target) < 0) {
		err_clear();
		memset(&target, 0, sizeof(target));
	}
	if (git_config_iterator_new(&it, cfg) < 0) {
		rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
		goto out;
	}
	while ((gr = git_config_next(&e, it)) == 0) {
		struct gurl_match m;
		struct best *b;
		const char *key = NULL;
		int fresh;

		if ((rc = entry_applies(e->name, section, &target, w, &key, &m)) <= 0) {
			if (rc < 0)
				goto out;
			continue;
		}
		rc = 0;
		if (want && strcmp(key, want))
			continue;
		if (!(b = best_for(&st, key, &fresh))) {
			rc = err_set(CIH_ENOMEM, "out of memory");
			goto out;
		}
		/* a match less specific than the best so far is not used */
		if (!fresh && !w->select_all && gurl_match_cmp(&m, &b->m) < 0)
			continue;
		b->m = m;
		if ((rc = w->collect(key, e->value, w->payload)) < 0)
			goto out;
	}
	if (gr != GIT_ITEROVER)
		rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
out:
	git_config_iterator_free(it);
	for (size_t i = 0; i < st.n; i++)
		free(st.v[i].key);
	free(st.v);
	gurl_info_dispose(&target);
	free(section);
	free(want);
	return rc;
}

struct one {
	char *value;
	int found;
};

static int collect_one(const char *key, const char *value, void *payload)
{
	struct one *o = payload;
	char *v = NULL;

	(void)key;
	if (value && !(v = strdup(value)))
		return err_set(CIH_ENOMEM, "out of memory");
	free(o->value);
	o->value = v;
	o->found = 1;
	return 0;
}

int gurl_get(git_config *cfg, const char *section, const char *key, const char *url, char **out)
{
	struct one o = { NULL, 0 };
	struct gurl_walk w = { section, key, 0, NULL, collect_one, &o };
	int rc;

	*out = NULL;
	if ((rc = gurl_foreach(cfg, url, &w)) < 0) {
		free(o.value);
		return rc;
	}
	if (!o.found)
		return err_set(CIH_ENOTFOUND, "%s.%s is not set", section, key);
	*out = o.value;
	return 0;
}

struct many {
	struct gurl_values *vals;
	const char *section;
};

static int collect_many(const char *key, const char *value, void *payload)
{
	struct many *m = payload;
	struct gurl_values *v = m->vals;
	char **nv;

	if (!value)
		return err_set(CIH_EUSAGE, "missing value for '%s.%s'", m->section, key);
	if (!*value) {
		gurl_values_dispose(v);
		return 0;
	}
	if (!(nv = realloc(v->v, (v->n + 1) * sizeof(*nv))))
		return err_set(CIH_ENOMEM, "out of memory");
	v->v = nv;
	if (!(nv[v->n] = strdup(value)))
		return err_set(CIH_ENOMEM, "out of memory");
	v->n++;
	return 0;
}

int gurl_get_all(git_config *cfg, const char *section, const char *key, const char *url,
		 struct gurl_values *out)
{
	struct many m = { out, section };
	struct gurl_walk w = { section, key, 0, NULL, collect_many, &m };
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = gurl_foreach(cfg, url, &w)) < 0)
		gurl_values_dispose(out);
	return rc;
}

void gurl_values_dispose(struct gurl_values *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}
