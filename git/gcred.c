/* The credential protocol and config of git's credential.c: reading and writing
 * key=value lines, URLs into credentials, credential.* config through gurl. */
#include "gcred.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/redact.h"
#include "gitcli.h"
#include "gurl.h"

void gcred_zfree(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void gcred_dispose(struct gcred *c)
{
	free(c->protocol);
	free(c->host);
	free(c->path);
	gcred_zfree(c->username);
	gcred_zfree(c->password);
	gcred_zfree(c->url);
	memset(c, 0, sizeof(*c));
}

char *gcred_mask_url(const char *url)
{
	const char *cp = strstr(url, "://"), *end, *at, *colon;
	struct buf b = BUF_INIT;

	cp = cp ? cp + 3 : url;
	end = cp + strcspn(cp, "/?#");
	at = memchr(cp, '@', (size_t)(end - cp));
	colon = at ? memchr(cp, ':', (size_t)(at - cp)) : NULL;
	if (colon) {
		buf_put(&b, url, (size_t)(colon + 1 - url));
		buf_puts(&b, REDACT_MASK);
		buf_puts(&b, at);
	} else {
		buf_puts(&b, url);
	}
	if (b.failed) {
		buf_dispose(&b);
		return NULL;
	}
	return b.ptr ? b.ptr : strdup("");
}

/* "<what><url>" as a warning, the URL's password masked. */
static void warn_url(const char *what, const char *url)
{
	char *masked = gcred_mask_url(url);

	gitcli_warning("%s%s", what, masked ? masked : "");
	free(masked);
}

static int hex2chr(const char *s)
{
	int v = 0;

	for (int i = 0; i < 2; i++) {
		char ch = s[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* git's url_decode_mem(): what precedes a first ':' is copied as it is (git
 * takes it for a scheme), the rest is %XX-decoded (%00 stays). */
static char *url_decode_mem(const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);
	struct buf b = BUF_INIT;

	buf_grow(&b, len);
	if (colon && s < colon) {
		buf_put(&b, s, (size_t)(colon - s));
		len -= (size_t)(colon - s);
		s = colon;
	}
	while (len && *s) {
		int v;

		if (*s == '%' && len >= 3 && (v = hex2chr(s + 1)) > 0) {
			buf_putc(&b, (char)v);
			s += 3;
			len -= 3;
			continue;
		}
		buf_putc(&b, *s++);
		len--;
	}
	buf_put(&b, "", 0); /* terminated even when empty */
	if (b.failed)
		return NULL;
	return b.ptr ? b.ptr : strdup("");
}

static int check_component(const char *url, bool quiet, const char *name, const char *value)
{
	if (!value || !strchr(value, '\n'))
		return 0;
	if (!quiet) {
		char what[64];

		snprintf(what, sizeof(what), "url contains a newline in its %s component: ", name);
		warn_url(what, url);
	}
	return -1;
}

int gcred_parse_url(struct gcred *c, const char *url, bool allow_partial, bool quiet)
{
	const char *at, *colon, *cp, *slash, *host, *proto_end = strstr(url, "://");

	gcred_dispose(c);
	if (!allow_partial && (!proto_end || proto_end == url)) {
		if (!quiet)
			warn_url("url has no scheme: ", url);
		return -1;
	}
	cp = proto_end ? proto_end + 3 : url;
	at = strchr(cp, '@');
	colon = strchr(cp, ':');
	/* a query or fragment marker ends the host too */
	slash = cp + strcspn(cp, "/?#");
	if (!at || slash <= at) {
		host = cp;
	} else if (!colon || at <= colon) {
		c->username = url_decode_mem(cp, (size_t)(at - cp));
		c->username_from_proto = c->username && *c->username;
		host = at + 1;
	} else {
		c->username = url_decode_mem(cp, (size_t)(colon - cp));
		c->username_from_proto = c->username && *c->username;
		c->password = url_decode_mem(colon + 1, (size_t)(at - (colon + 1)));
		host = at + 1;
	}
	if (proto_end && proto_end > url)
		c->protocol = strndup(url, (size_t)(proto_end - url));
	if (!allow_partial || slash > host)
		c->host = url_decode_mem(host, (size_t)(slash - host));
	while (*slash == '/')
		slash++;
	if (*slash) {
		char *p;

		c->path = url_decode_mem(slash, strlen(slash));
		for (p = c->path ? c->path + strlen(c->path) - 1 : NULL; p && p > c->path && *p == '/'; p--)
			*p = '\0';
	}
	if (check_component(url, quiet, "username", c->username) < 0 ||
	    check_component(url, quiet, "password", c->password) < 0 ||
	    check_component(url, quiet, "protocol", c->protocol) < 0 ||
	    check_component(url, quiet, "host", c->host) < 0 ||
	    check_component(url, quiet, "path", c->path) < 0)
		return -1;
	return 0;
}

int gcred_from_url(struct gcred *c, const char *url)
{
	if (gcred_parse_url(c, url, false, false) < 0) {
		char *masked = gcred_mask_url(url);
		int rc = err_set(CIH_EUSAGE, "credential url cannot be parsed: %s", masked ? masked : "");

		free(masked);
		return rc;
	}
	if (!(c->url = strdup(url)))
		return err_set(CIH_ENOMEM, "out of memory");
	return 0;
}

int gcred_parse_bool(const char *v)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off", "" };
	char *end;
	long n;

	for (size_t i = 0; i < 3; i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	for (size_t i = 0; i < 4; i++)
		if (!strcasecmp(v, no[i]))
			return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end || errno)
		return -1;
	return n != 0;
}

/* One line of at most GCRED_LINE_MAX bytes without its "\n" (and a "\r" before
 * it). 1 read, 0 at EOF, < 0 refused. */
static int read_line(FILE *in, struct buf *line)
{
	int ch, any = 0;

	buf_clear(line);
	while ((ch = getc(in)) != EOF) {
		any = 1;
		if (ch == '\n') {
			if (line->len && line->ptr[line->len - 1] == '\r')
				line->ptr[--line->len] = '\0';
			return 1;
		}
		if (!ch)
			return err_set(CIH_ECORRUPT, "credential line contains a NUL byte");
		if (line->len >= GCRED_LINE_MAX)
			return err_set(CIH_ECORRUPT, "credential line longer than %d bytes", GCRED_LINE_MAX);
		if (buf_putc(line, (char)ch) < 0)
			return CIH_ENOMEM;
	}
	return any;
}

static int set_field(char **field, const char *value, bool secret)
{
	char *v = strdup(value);

	if (!v)
		return err_set(CIH_ENOMEM, "out of memory");
	if (secret)
		gcred_zfree(*field);
	else
		free(*field);
	*field = v;
	return 0;
}

static int read_pair(struct gcred *c, const char *key, const char *value)
{
	int rc = 0, b;

	if (!strcmp(key, "username")) {
		rc = set_field(&c->username, value, true);
		c->username_from_proto = true;
	} else if (!strcmp(key, "password")) {
		rc = set_field(&c->password, value, true);
	} else if (!strcmp(key, "protocol")) {
		rc = set_field(&c->protocol, value, false);
	} else if (!strcmp(key, "host")) {
		rc = set_field(&c->host, value, false);
	} else if (!strcmp(key, "path")) {
		rc = set_field(&c->path, value, false);
	} else if (!strcmp(key, "url")) {
		rc = gcred_from_url(c, value);
	} else if (!strcmp(key, "quit")) {
		if ((b = gcred_parse_bool(value)) < 0)
			return err_set(CIH_EUSAGE, "bad boolean config value '%s' for 'quit'", value);
		c->quit = b;
	}
	/* other keys are for later protocol versions: ignored, as git does */
	return rc;
}

int gcred_read(struct gcred *c, FILE *in)
{
	struct buf line = BUF_INIT;
	int rc;

	/* sized once: no realloc leaves a copy of a secret behind */
	if (buf_grow(&line, GCRED_LINE_MAX + 1) < 0)
		return CIH_ENOMEM;
	while ((rc = read_line(in, &line)) != 0) {
		char *value;

		if (rc < 0) {
			if (rc == CIH_ECORRUPT)
				gitcli_warning("%s", err_last()->msg);
			break;
		}

		if (!line.len)
			break;
		if (!(value = strchr(line.ptr, '='))) {
			/* git prints the line; it may be a bare secret */
			gitcli_warning("invalid credential line: %s", REDACT_MASK);
			rc = err_set(CIH_ECORRUPT, "invalid credential line");
			break;
		}
		*value++ = '\0';
		if ((rc = read_pair(c, line.ptr, value)) < 0)
			break;
	}
	if (line.ptr)
		explicit_bzero(line.ptr, line.cap);
	buf_dispose(&line);
	return rc < 0 ? rc : 0;
}

static int format_item(struct buf *b, const char *key, const char *value, bool required)
{
	if (!value) {
		if (required)
			return err_set(CIH_EUSAGE, "credential value for %s is missing", key);
		return 0;
	}
	if (strchr(value, '\n'))
		return err_set(CIH_EUSAGE, "credential value for %s contains newline", key);
	buf_printf(b, "%s=%s\n", key, value);
	return 0;
}

int gcred_format(const struct gcred *c, struct buf *b)
{
	const char *const v[] = { c->protocol, c->host, c->path, c->username, c->password };
	size_t need = 64;
	int rc;

	/* sized up front: a realloc would leave a copy of the password behind */
	for (size_t i = 0; i < 5; i++)
		need += v[i] ? strlen(v[i]) : 0;
	if (buf_grow(b, need) < 0)
		return CIH_ENOMEM;

	if ((rc = format_item(b, "protocol", c->protocol, true)) < 0 ||
	    (rc = format_item(b, "host", c->host, true)) < 0 ||
	    (rc = format_item(b, "path", c->path, false)) < 0 ||
	    (rc = format_item(b, "username", c->username, false)) < 0 ||
	    (rc = format_item(b, "password", c->password, false)) < 0)
		return rc;
	return b->failed ? CIH_ENOMEM : 0;
}

int gcred_write(const struct gcred *c, FILE *out)
{
	struct buf b = BUF_INIT;
	int rc = gcred_format(c, &b);

	if (rc == 0 && b.len && fwrite(b.ptr, 1, b.len, out) != b.len)
		rc = err_os("cannot write the credential");
	if (b.ptr)
		explicit_bzero(b.ptr, b.cap);
	buf_dispose(&b);
	return rc;
}

bool gcred_match(const struct gcred *want, const struct gcred *have)
{
#define SAME(x) (!want->x || (have->x && !strcmp(want->x, have->x)))
	return SAME(protocol) && SAME(host) && SAME(path) && SAME(username);
#undef SAME
}
