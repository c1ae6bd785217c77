/* godotenv v1.5.1 parser.go, transcribed with its quirks: keys are checked byte by
 * byte (as Latin-1 runes), a quoted value ends at the first quote not preceded by a
 * backslash, the quote characters are trimmed from both ends of it, an inline comment
 * starts at the last " #", and $VAR expands from the keys read before. */
#include "dotenv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "redact.h"

struct pair {
	char *key, *val;
	size_t vlen;
};

struct env {
	struct pair *v;
	size_t n, cap;
};

/* utf8.DecodeRune: an invalid or cut sequence is U+FFFD, one byte wide. */
static size_t dec(const unsigned char *s, size_t n, unsigned *r)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t w, i;

	*r = 0xfffd;
	if (c < 0x80)
		return *r = c, 1;
	if (c < 0xc2 || c > 0xf4)
		return 1;
	w = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : lo;
	hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : hi;
	if (n < w || s[1] < lo || s[1] > hi)
		return 1;
	for (i = 2; i < w; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 1;
	*r = c & (0x7fu >> w);
	for (i = 1; i < w; i++)
		*r = *r << 6 | (s[i] & 0x3fu);
	return w;
}

/* unicode.IsSpace */
static int uspace(unsigned r)
{
	return (r >= '\t' && r <= '\r') || r == ' ' || r == 0x85 || r == 0xa0 || r == 0x1680 ||
	       (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f ||
	       r == 0x205f || r == 0x3000;
}

/* godotenv's isSpace: unicode.IsSpace without the line break (and the rarer spaces). */
static int gspace(unsigned r)
{
	return r == '\t' || r == '\v' || r == '\f' || r == '\r' || r == ' ' || r == 0x85 || r == 0xa0;
}

/* Width of the isSpace rune starting at s, or 0. */
static size_t space_at(const char *s, size_t n)
{
	unsigned r;
	size_t w = n ? dec((const unsigned char *)s, n, &r) : 0;

	return w && gspace(r) ? w : 0;
}

/* Width of the isSpace rune ending at s + n (utf8.DecodeLastRune), or 0. */
static size_t space_before(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (n && u[n - 1] < 0x80)
		return gspace(u[n - 1]) ? 1 : 0;
	return n >= 2 && u[n - 2] == 0xc2 && (u[n - 1] == 0x85 || u[n - 1] == 0xa0) ? 2 : 0;
}

/* One byte of a key, as rune(byte): [A-Za-z0-9_.], isSpace, Latin-1 letters and numbers. */
static int name_byte(unsigned c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	    c == '.' || gspace(c))
		return 1;
	return c == 0xaa || c == 0xb5 || c == 0xba || (c >= 0xc0 && c != 0xd7 && c != 0xf7) ||
	       c == 0xb2 || c == 0xb3 || c == 0xb9 || (c >= 0xbc && c <= 0xbe);
}

static size_t line_of(const char *s, size_t pos)
{
	size_t line = 1;

	for (size_t i = 0; i < pos; i++)
		line += s[i] == '\n';
	return line;
}

static const struct pair *lookup(const struct env *e, const char *k, size_t kl)
{
	for (size_t i = e->n; i-- > 0;)
		if (!strncmp(e->v[i].key, k, kl) && !e->v[i].key[kl])
			return &e->v[i];
	return NULL;
}

/* expandVariables: (\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}? , greedy, left to right. */
static void expand(struct buf *b, const char *s, size_t n, const struct env *e)
{
	size_t i = 0;

	while (i < n) {
		size_t st = i, name, nl;
		int esc = s[i] == '\\' && i + 1 < n && s[i + 1] == '$';
		const struct pair *p;

		if (!esc && s[i] != '$') {
			buf_putc(b, s[i++]);
			continue;
		}
		i += (size_t)esc + 1;
		i += i < n && s[i] == '(';
		i += i < n && s[i] == '{';
		for (name = i; i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
					 s[i] == '_'); i++)
			;
		nl = i - name;
		i += i < n && s[i] == '}';
		if (esc) /* the original tests the wrong group for "(", so only \$ escapes */
			buf_put(b, s + st + 1, i - st - 1);
		else if (!nl) /* no name: the match is kept */
			buf_put(b, s + st, i - st);
		else if ((p = lookup(e, s + name, nl)))
			buf_put(b, p->val, p->vlen);
	}
}

/* expandEscapes: `\\.` with \n and \r unescaped, then `\\([^$])` reduced to $1. */
static void unescape(struct buf *b, const char *s, size_t n)
{
	struct buf t = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] != '\n') {
			char c = s[++i];

			if (c != 'n' && c != 'r')
				buf_putc(&t, '\\');
			buf_putc(&t, c == 'n' ? '\n' : c == 'r' ? '\r' : c);
		} else {
			buf_putc(&t, s[i]);
		}
	}
	for (size_t i = 0; i < t.len; i++)
		buf_putc(b, t.ptr[i] == '\\' && i + 1 < t.len && t.ptr[i + 1] != '$' ? t.ptr[++i] : t.ptr[i]);
	b->failed |= t.failed;
	buf_dispose(&t);
}

/* Go's %q of string(rune(c)) for a byte c. */
static void quote_byte(char out[16], unsigned c)
{
	static const char esc[] = "\a\b\f\n\r\t\v\"\\", let[] = "abfnrtv\"\\";
	const char *x = c ? strchr(esc, (int)c) : NULL;

	if (x)
		snprintf(out, 16, "\"\\%c\"", let[x - esc]);
	else if (c < 0x20 || c == 0x7f)
		snprintf(out, 16, "\"\\x%02x\"", c);
	else if (c < 0x80)
		snprintf(out, 16, "\"%c\"", c);
	else if (c <= 0xa0 || c == 0xad)
		snprintf(out, 16, "\"\\u%04x\"", c);
	else
		snprintf(out, 16, "\"%c%c\"", 0xc0 | c >> 6, 0x80 | (c & 0x3f));
}

/* One statement at *pp (after blank and comment lines): its key and value. */
static int statement(const char *s, size_t n, size_t *pp, struct env *e, struct buf *v, char **key)
{
	size_t p = *pp, i, ks, ke, w;
	char q[16];

	if (n - p >= 6 && !memcmp(s + p, "export", 6) && space_at(s + p + 6, n - p - 6))
		for (p += 6; (w = space_at(s + p, n - p));)
			p += w;
	if (p == n)
		return err_set(CIH_ECORRUPT, "zero length string");
	for (ks = ke = i = p; i < n && s[i] != '=' && s[i] != ':'; i++) {
		if (!name_byte((unsigned char)s[i])) {
			quote_byte(q, (unsigned char)s[i]);
			return err_set(CIH_ECORRUPT, "unexpected character %s in variable name on line %zu",
				       q, line_of(s, i));
		}
	}
	if (i < n) /* else no '=': the key is "" and the value starts here */
		ke = i, p = i + 1;
	while (ke > ks && (w = space_before(s + ks, ke - ks)))
		ke -= w;
	while ((w = space_at(s + p, n - p)))
		p += w;
	if (!(*key = strndup(s + ks, ke - ks)))
		return err_set(CIH_ENOMEM, "out of memory");
	if (p < n && (s[p] == '"' || s[p] == '\'')) {
		char quote = s[p];
		size_t a = p, b;

		for (i = p + 1; i < n && (s[i] != quote || s[i - 1] == '\\'); i++)
			;
		if (i == n)
			return err_set(CIH_ECORRUPT, "unterminated quoted value on line %zu", line_of(s, p));
		for (b = i; b > a && s[b - 1] == quote; b--)
			;
		while (a < b && s[a] == quote)
			a++;
		if (quote == '"') {
			struct buf t = BUF_INIT;

			unescape(&t, s + a, b - a);
			expand(v, t.ptr, t.len, e);
			v->failed |= t.failed;
			buf_dispose(&t);
		} else {
			buf_put(v, s + a, b - a);
		}
		*pp = i + 1;
	} else {
		struct buf t = BUF_INIT;
		size_t a = 0, b, eol = p;

		while (eol < n && s[eol] != '\n' && s[eol] != '\r')
			eol++;
		/* []rune(line): invalid bytes become U+FFFD */
		for (i = p; i < eol; i += w) {
			unsigned r;

			w = dec((const unsigned char *)s + i, eol - i, &r);
			if (r == 0xfffd && w == 1)
				buf_put(&t, "\xef\xbf\xbd", 3);
			else
				buf_put(&t, s + i, w);
		}
		for (b = t.len, i = t.len; i-- > 1;)
			if (t.ptr[i] == '#' && space_before(t.ptr, i)) {
				b = i;
				break;
			}
		while (a < b && (w = space_at(t.ptr + a, b - a)))
			a += w;
		while (b > a && (w = space_before(t.ptr + a, b - a)))
			b -= w;
		expand(v, buf_cstr(&t) + a, b - a, e);
		v->failed |= t.failed;
		buf_dispose(&t);
		*pp = eol;
	}
	return v->failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

int dotenv_parse(const char *text, size_t len, int (*set)(void *ctx, const char *key, const char *value),
		 void *ctx)
{
	struct buf src = BUF_INIT;
	struct env e = { NULL, 0, 0 };
	size_t p = 0, i;
	int rc = 0;

	for (i = 0; i < len; i++) /* \r\n becomes \n */
		if (text[i] != '\r' || i + 1 == len || text[i + 1] != '\n')
			buf_putc(&src, text[i]);
	if (src.failed)
		return CIH_ENOMEM;
	while (rc == 0) {
		struct buf v = BUF_INIT;
		char *key = NULL;

		for (;;) { /* getStatementStart */
			unsigned r;
			size_t w;

			for (; p < src.len; p += w)
				if (w = dec((const unsigned char *)src.ptr + p, src.len - p, &r), !uspace(r))
					break;
			if (p == src.len || src.ptr[p] != '#')
				break;
			while (p < src.len && src.ptr[p] != '\n')
				p++;
		}
		if (p == src.len)
			break;
		if ((rc = statement(src.ptr, src.len, &p, &e, &v, &key)) == 0 && e.n == e.cap) {
			struct pair *nv = realloc(e.v, (e.cap = e.cap ? 2 * e.cap : 16) * sizeof(*nv));

			if (!nv)
				rc = err_set(CIH_ENOMEM, "out of memory");
			else
				e.v = nv;
		}
		if (rc == 0 && !(v.ptr = v.ptr ? v.ptr : strdup("")))
			rc = err_set(CIH_ENOMEM, "out of memory");
		if (rc == 0) {
			e.v[e.n++] = (struct pair){ key, v.ptr, v.len };
		} else {
			free(key);
			buf_dispose(&v);
		}
	}
	for (i = 0; rc == 0 && i < e.n; i++) {
		if (strlen(e.v[i].val) != e.v[i].vlen)
			rc = err_set(CIH_ECORRUPT, "value of %s holds a NUL byte", e.v[i].key);
		else
			rc = set(ctx, e.v[i].key, e.v[i].val);
	}
	for (i = 0; i < e.n; i++) {
		free(e.v[i].key);
		free(e.v[i].val);
	}
	free(e.v);
	buf_dispose(&src);
	return rc;
}

/* Keys whose values are credentials, in any case. */
static int secret_key(const char *k)
{
	static const char *const words[] = { "_KEY", "_TOKEN", "SECRET", "PASSWORD" };
	size_t n = strlen(k);

	for (size_t w = 0; w < 4; w++) {
		size_t l = strlen(words[w]);

		for (size_t i = w < 2 && n >= l ? n - l : 0; i + l <= n; i++)
			if (!strncasecmp(k + i, words[w], l))
				return 1;
	}
	return 0;
}

static int load_one(void *ctx, const char *key, const char *value)
{
	int rc;

	(void)ctx;
	if (secret_key(key) && (rc = redact_add_secret(value)) < 0)
		return rc;
	if (setenv(key, value, 1) < 0)
		return err_errno(CIH_EUSAGE, errno, "failed to set environment variable %s: setenv", key);
	return 0;
}

int dotenv_load(const char *path)
{
	struct buf b = BUF_INIT;
	ssize_t r = 1;
	int fd, rc = 0;

	if (!path || !*path)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(errno == ENOENT ? CIH_ENOTFOUND : CIH_EOS, errno,
				 "failed to read env file: open %s", path);
	while (r > 0 && (rc = buf_grow(&b, 65536)) == 0) {
		while ((r = read(fd, b.ptr + b.len, b.cap - b.len - 1)) < 0 && errno == EINTR)
			;
		if (r < 0)
			rc = err_os("failed to read env file: read %s", path);
		else
			b.len += (size_t)r;
	}
	close(fd);
	if (rc == 0 && (rc = dotenv_parse(b.ptr, b.len, load_one, NULL)) == CIH_ECORRUPT)
		err_prefix("failed to read env file");
	buf_dispose(&b);
	return rc;
}
