/* mvdan.cc/sh/v3 shell.Expand: its parser's Document mode (syntax/parser.go) and
 * expand.Document (expand/expand.go, param.go), in one pass. A syntax error stops
 * the parse and wins; the first expansion error is kept otherwise. */
#include "shexpand.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "shexpand_internal.h"


void sx_pos(const struct sx *x, size_t off, char out[32])
{
	size_t line = 1, col = 1;

	for (size_t k = 0; k < off && k < x->n; k++, col++)
		if (x->s[k] == '\n')
			line++, col = 0;
	snprintf(out, 32, "%zu:%zu", line, col);
}

void sx_syntax(struct sx *x, size_t pos, const char *fmt, ...)
{
	char where[32];
	va_list ap;
	int n;

	if (x->failed)
		return;
	x->failed = true;
	sx_pos(x, pos, where);
	n = snprintf(x->perr, sizeof(x->perr), "%s: ", where);
	va_start(ap, fmt);
	vsnprintf(x->perr + n, sizeof(x->perr) - (size_t)n, fmt, ap);
	va_end(ap);
	x->i = x->n;
}

void sx_fail(struct sx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->quiet || x->eerr[0])
		return;
	va_start(ap, fmt);
	vsnprintf(x->eerr, sizeof(x->eerr), fmt, ap);
	va_end(ap);
}

const char *sx_var(struct sx *x, const char *name, size_t len)
{
	char key[256];
	const char *v;

	if (x->quiet || len >= sizeof(key))
		return "";
	memcpy(key, name, len);
	key[len] = '\0';
	v = x->lookup(key, x->ctx);
	return v ? v : "";
}

static bool name_rune(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool sx_valid_name(const char *s, size_t n)
{
	if (!n || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t k = 0; k < n; k++)
		if (!name_rune(s[k]))
			return false;
	return true;
}

static char at(const struct sx *x, size_t k)
{
	return k < x->n ? x->s[k] : '\0';
}

static void cmdsubst_failed(struct sx *x, size_t open)
{
	char where[32];

	sx_pos(x, open, where);
	sx_fail(x, "unexpected command substitution at %s", where);
}

/* Skips a command substitution's body up to its closing byte; the commands
 * themselves are not parsed, only quotes and nesting are followed. */
static bool skip_commands(struct sx *x, size_t k, char close, size_t *end)
{
	int depth = 0;

	for (; k < x->n; k++) {
		char c = x->s[k];
		if (c == '\\') {
			k++;
		} else if (c == '\'') {
			const char *q = memchr(x->s + k + 1, '\'', x->n - k - 1);
			if (!q)
				return false;
			k = (size_t)(q - x->s);
		} else if (c == '"') {
			for (k++; k < x->n && x->s[k] != '"'; k++)
				k += x->s[k] == '\\';
			if (k >= x->n)
				return false;
		} else if (c == '(' && close == ')') {
			depth++;
		} else if (c == close && depth-- == 0) {
			*end = k + 1;
			return true;
		}
	}
	return false;
}

static void backquote(struct sx *x)
{
	size_t open = x->i, k;

	for (k = open + 1; k < x->n && x->s[k] != '`'; k++)
		k += x->s[k] == '\\';
	if (k >= x->n) {
		sx_syntax(x, open, "reached EOF without closing quote \"`\"");
		return;
	}
	x->i = k + 1;
	cmdsubst_failed(x, open);
}


void sx_dollar(struct sx *x, struct buf *out)
{
	size_t open = x->i, j = open + 1, end;
	char c = at(x, j);
	const char *v;
	char line[32];

	if (c == '{' && strchr(" \t\n|", at(x, j + 1)) && j + 1 < x->n) {
		if (!skip_commands(x, j + 1, '}', &end))
			sx_syntax(x, open, "reached EOF without matching `${` with `}`");
		else
			x->i = end, cmdsubst_failed(x, open);
		return;
	}
	if (c == '{') {
		sx_param(x, out);
		return;
	}
	if (c == '[' || (c == '(' && at(x, j + 1) == '(')) {
		int64_t val;
		bool brack = c == '[';
		x->i = j + (brack ? 1 : 2);
		if (!sx_arith(x, &val)) {
			if (!x->failed)
				sx_syntax(x, open, "`%s` must be followed by an expression", brack ? "$[" : "$((");
			return;
		}
		sx_arith_close(x, brack ? SX_END_BRACK : SX_END_DPAREN, open);
		buf_printf(out, "%lld", (long long)val);
		return;
	}
	if (c == '(') {
		if (!skip_commands(x, j + 1, ')', &end))
			sx_syntax(x, open, "reached EOF without matching `$(` with `)`");
		else
			x->i = end, cmdsubst_failed(x, open);
		return;
	}
	if (j < x->n && (strchr("?-@*#!$", c) || (c >= '0' && c <= '9'))) {
		end = j + 1;
	} else if (j < x->n && name_rune(c)) {
		for (end = j; end < x->n && name_rune(x->s[end]);)
			end++;
	} else {
		buf_putc(out, '$');
		x->i = j;
		return;
	}
	x->i = end;
	if (end - j == 6 && !memcmp(x->s + j, "LINENO", 6)) {
		sx_pos(x, open, line);
		line[strcspn(line, ":")] = '\0';
		v = line;
	} else {
		v = sx_var(x, x->s + j, end - j);
	}
	buf_puts(out, v);
}

static void squoted(struct sx *x, struct buf *lit, struct buf *pat)
{
	size_t open = x->i;
	const char *q = memchr(x->s + open + 1, '\'', x->n - open - 1);

	if (!q) {
		sx_syntax(x, open, "reached EOF without closing quote `'`");
		return;
	}
	for (const char *p = x->s + open + 1; p < q; p++) {
		buf_putc(lit, *p);
		if (pat && strchr("*?[\\", *p))
			buf_putc(pat, '\\');
		if (pat)
			buf_putc(pat, *p);
	}
	x->i = (size_t)(q - x->s) + 1;
}

static void dquoted(struct sx *x, struct buf *lit, struct buf *pat)
{
	size_t open = x->i, start;
	struct buf in = BUF_INIT;

	x->i++;
	start = in.len;
	sx_word(x, SX_DQ, &in, NULL);
	if (!x->failed && at(x, x->i) != '"')
		sx_syntax(x, open, "reached EOF without closing quote `\"`");
	x->i++;
	for (size_t k = start; k < in.len; k++) {
		buf_putc(lit, in.ptr[k]);
		if (pat && strchr("*?[\\", in.ptr[k]))
			buf_putc(pat, '\\');
		if (pat)
			buf_putc(pat, in.ptr[k]);
	}
	buf_dispose(&in);
}

static bool stops(enum sx_mode m, char c)
{
	switch (m) {
	case SX_DOC:
		return c == '$' || c == '`';
	case SX_DQ:
		return c == '$' || c == '`' || c == '"';
	case SX_EXP:
		return strchr("$`'\"}", c) != NULL;
	case SX_REPL:
		return strchr("$`'\"}/", c) != NULL;
	case SX_ARITH:
		return strchr(" \t\r\n+-!~*/%()^<>:=,?|&[]#.;}$`'\"", c) != NULL;
	}
	return true;
}

/* ~ and ~user at the start of a ${...} word (expandUser). */
static void tilde(struct sx *x, struct buf *lit, size_t litlen, bool more)
{
	const char *s = buf_cstr(lit), *slash, *home = NULL;
	size_t nl;
	struct buf out = BUF_INIT;
	char key[300];

	if (!s || s[0] != '~' || x->quiet)
		return;
	slash = memchr(s, '/', litlen);
	if (!slash && more)
		return;
	nl = (slash ? (size_t)(slash - s) : litlen) - 1;
	if (nl == 0) {
		home = sx_var(x, "HOME", 4);
	} else if (nl < 256) {
		snprintf(key, sizeof(key), "HOME %.*s", (int)nl, s + 1);
		home = sx_var(x, key, strlen(key));
		if (!*home) {
			struct passwd *pw;
			snprintf(key, sizeof(key), "%.*s", (int)nl, s + 1);
			pw = getpwnam(key);
			home = pw && pw->pw_dir ? pw->pw_dir : "";
			if (!pw)
				return;
		}
	}
	if (!home || (!*home && nl == 0))
		return;
	buf_puts(&out, home);
	buf_puts(&out, s + 1 + nl);
	buf_clear(lit);
	buf_put(lit, out.ptr, out.len);
	buf_dispose(&out);
}

/* One word: its parts up to a byte that ends it in this mode. lit gets the value
 * with quotes removed; pat (if any) the same with quoted glob characters escaped. */
void sx_word(struct sx *x, enum sx_mode m, struct buf *lit, struct buf *pat)
{
	size_t parts = 0, first_lit = 0;
	bool first_is_lit = false;

	while (!x->failed && x->i < x->n) {
		char c = x->s[x->i];
		size_t before = lit->len;

		if (m == SX_DOC || m == SX_DQ || !strchr("'\"", c) || m == SX_ARITH) {
			if (c == '$') {
				sx_dollar(x, lit);
			} else if (c == '`') {
				backquote(x);
			} else if (m == SX_ARITH && (c == '\'' || c == '"')) {
				if (c == '\'')
					squoted(x, lit, NULL);
				else
					dquoted(x, lit, NULL);
			} else if (stops(m, c)) {
				break;
			} else {
				while (x->i < x->n && !stops(m, x->s[x->i])) {
					char d = x->s[x->i], e = at(x, x->i + 1);
					if (d == '\\' && x->i + 1 < x->n) {
						bool special = strchr("\\$`", e) || (m == SX_DQ && e == '"');
						if ((m == SX_DOC || m == SX_DQ) && e == '\n') {
							x->i += 2;
							continue;
						}
						if ((m == SX_DOC || m == SX_DQ) && special) {
							buf_putc(lit, e);
						} else {
							buf_putc(lit, d);
							buf_putc(lit, e);
						}
						x->i += 2;
						continue;
					}
					buf_putc(lit, d);
					x->i++;
				}
				if (pat)
					buf_put(pat, lit->ptr + before, lit->len - before);
				if (parts == 0) {
					first_is_lit = true;
					first_lit = lit->len;
				}
				parts++;
				continue;
			}
			if (pat && lit->len > before)
				buf_put(pat, lit->ptr + before, lit->len - before);
		} else if (c == '\'') {
			squoted(x, lit, pat);
		} else {
			dquoted(x, lit, pat);
		}
		parts++;
	}
	if ((m == SX_EXP || m == SX_REPL) && first_is_lit) {
		tilde(x, lit, first_lit, parts > 1);
		if (pat)
			tilde(x, pat, first_lit, parts > 1);
	}
}

bool sx_arith_word(struct sx *x, struct buf *out)
{
	size_t start = x->i;

	sx_word(x, SX_ARITH, out, NULL);
	return x->i > start;
}


int shexp_expand_with(const char *in, shexp_lookup_fn lookup, void *ctx, char **out)
{
	struct sx x = { .s = in, .n = strlen(in), .lookup = lookup, .ctx = ctx };
	struct buf b = BUF_INIT;

	*out = NULL;
	sx_word(&x, SX_DOC, &b, NULL);
	if (x.failed || x.eerr[0]) {
		buf_dispose(&b);
		return err_set(CIH_EUSAGE, "%s", x.failed ? x.perr : x.eerr);
	}
	if (b.failed) {
		buf_dispose(&b);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	*out = b.ptr ? b.ptr : strdup("");
	return *out ? 0 : err_set(CIH_ENOMEM, "out of memory");
}

static const char *getenv_lookup(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

int shexp_expand(const char *in, char **out)
{
	return shexp_expand_with(in, getenv_lookup, NULL, out);
}
