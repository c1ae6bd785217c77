/* ${...}: parsing as mvdan's paramExp (syntax/parser.go) and evaluation as its
 * Config.paramExp (expand/param.go) with a read-only environment of strings. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "shexpand_internal.h"

static bool number(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (s[k] < '0' || s[k] > '9')
			return false;
	return n > 0;
}

static size_t rune(const char *s, size_t len, size_t i, long *r)
{
	const unsigned char *p = (const unsigned char *)s + i;
	size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (n == 0 || i + n > len) {
		*r = 0xfffd;
		return 1;
	}
	*r = n == 1 ? p[0] : p[0] & (0x7f >> n);
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80) {
			*r = 0xfffd;
			return 1;
		}
		*r = *r << 6 | (p[k] & 0x3f);
	}
	return n;
}

static bool boundary(const char *s, size_t len, size_t i)
{
	return i == 0 || i >= len || ((unsigned char)s[i] & 0xc0) != 0x80;
}

/* One bracket expression at p[0] == '['; *len its size, 0 when unclosed. */
static bool klass(const char *p, size_t pl, long r, size_t *len)
{
	size_t k = 1;
	bool neg = false, hit = false;

	if (k < pl && (p[k] == '!' || p[k] == '^'))
		neg = true, k++;
	for (bool first = true; k < pl; first = false) {
		long lo, hi;
		if (p[k] == ']' && !first) {
			*len = k + 1;
			return hit != neg;
		}
		if (p[k] == '[' && k + 1 < pl && p[k + 1] == ':') {
			const char *end = strstr(p + k + 2, ":]");
			char name[16];
			if (end && (size_t)(end - p) < pl && (size_t)(end - (p + k + 2)) < sizeof(name)) {
				wctype_t t;
				snprintf(name, sizeof(name), "%.*s", (int)(end - (p + k + 2)), p + k + 2);
				t = wctype(name);
				hit |= t && iswctype((wint_t)r, t);
				k = (size_t)(end - p) + 2;
				continue;
			}
		}
		if (p[k] == '\\' && k + 1 < pl)
			k++;
		k += rune(p, pl, k, &lo);
		hi = lo;
		if (k + 1 < pl && p[k] == '-' && p[k + 1] != ']') {
			k++;
			if (p[k] == '\\' && k + 1 < pl)
				k++;
			k += rune(p, pl, k, &hi);
		}
		hit |= lo <= r && r <= hi;
	}
	*len = 0;
	return false;
}

int sx_pattern_ok(const char *p)
{
	size_t pl = strlen(p), len;

	for (size_t k = 0; k < pl; k++) {
		if (p[k] == '\\' && ++k >= pl)
			return 0;
		if (p[k] == '[') {
			klass(p + k, pl - k, 0, &len);
			if (!len)
				return 0;
			k += len - 1;
		}
	}
	return 1;
}

/* The whole of s[0..len) against the pattern ('*' crosses '/', as in mode 0). */
bool sx_pmatch(const char *p, const char *s, size_t len)
{
	size_t pl = strlen(p), pi = 0, si = 0, star_p = (size_t)-1, star_s = 0, n, cl;
	long r, pr;

	while (si < len || pi < pl) {
		if (pi < pl) {
			switch (p[pi]) {
			case '*':
				star_p = ++pi;
				star_s = si;
				continue;
			case '?':
				if (si < len) {
					pi++;
					si += rune(s, len, si, &r);
					continue;
				}
				break;
			case '[':
				if (si < len) {
					n = rune(s, len, si, &r);
					if (klass(p + pi, pl - pi, r, &cl) && cl) {
						pi += cl;
						si += n;
						continue;
					}
				}
				break;
			default:
				if (p[pi] == '\\' && pi + 1 < pl)
					pi++;
				if (si < len) {
					size_t m = rune(p, pl, pi, &pr);
					n = rune(s, len, si, &r);
					if (pr == r) {
						pi += m;
						si += n;
						continue;
					}
				}
			}
		}
		if (star_p != (size_t)-1 && star_s < len) {
			star_s += rune(s, len, star_s, &r);
			pi = star_p;
			si = star_s;
			continue;
		}
		return false;
	}
	return true;
}

static void remove_pattern(struct buf *v, const char *pat, bool suffix, bool small)
{
	size_t len = v->len, k;
	const char *s = v->ptr ? v->ptr : "";

	if (!sx_pattern_ok(pat))
		return;
	for (size_t step = 0; step <= len; step++) {
		/* prefix: end k; suffix: start k; small tries the shortest span first */
		k = suffix ? (small ? len - step : step) : (small ? step : len - step);
		if (!boundary(s, len, k))
			continue;
		if (suffix && sx_pmatch(pat, s + k, len - k)) {
			v->len = k;
			v->ptr[k] = '\0';
			return;
		}
		if (!suffix && sx_pmatch(pat, s, k)) {
			memmove(v->ptr, v->ptr + k, len - k + 1);
			v->len -= k;
			return;
		}
	}
}

/* regexp FindAllStringIndex of the pattern: leftmost, greedy, no empty match
 * right after a match. */
static void replace(struct buf *v, const char *pat, const char *with, bool all)
{
	struct buf out = BUF_INIT;
	const char *s = v->ptr ? v->ptr : "";
	size_t len = v->len, pos = 0, last = 0, prev = (size_t)-1;
	long r;

	if (!sx_pattern_ok(pat))
		return;
	while (pos <= len) {
		size_t b, e = 0;
		bool found = false;
		for (b = pos; b <= len && !found; b++) {
			if (!boundary(s, len, b))
				continue;
			for (e = len + 1; e-- > b;)
				if (boundary(s, len, e) && sx_pmatch(pat, s + b, e - b)) {
					found = true;
					break;
				}
		}
		if (!found)
			break;
		b--;
		if (e == b) {
			bool accept = b != prev;
			pos = b < len ? b + rune(s, len, b, &r) : len + 1;
			prev = e;
			if (!accept)
				continue;
		} else {
			pos = e;
			prev = e;
		}
		buf_put(&out, s + last, b - last);
		buf_puts(&out, with);
		last = e;
		if (!all)
			break;
	}
	buf_put(&out, s + last, len - last);
	buf_clear(v);
	buf_put(v, out.ptr ? out.ptr : "", out.len);
	buf_dispose(&out);
}

static void put_rune(struct buf *b, long r)
{
	char u[4];

	if (r < 0x80) {
		buf_putc(b, (char)r);
		return;
	}
	if (r < 0x800) {
		u[0] = (char)(0xc0 | r >> 6), u[1] = (char)(0x80 | (r & 0x3f));
		buf_put(b, u, 2);
	} else if (r < 0x10000) {
		u[0] = (char)(0xe0 | r >> 12), u[1] = (char)(0x80 | (r >> 6 & 0x3f));
		u[2] = (char)(0x80 | (r & 0x3f));
		buf_put(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | r >> 18), u[1] = (char)(0x80 | (r >> 12 & 0x3f));
		u[2] = (char)(0x80 | (r >> 6 & 0x3f)), u[3] = (char)(0x80 | (r & 0x3f));
		buf_put(b, u, 4);
	}
}

/* ${x^pat} ${x^^pat} ${x,pat} ${x,,pat}: runes the pattern matches (unanchored). */
static void change_case(struct buf *v, const char *pat, bool upper, bool all)
{
	struct buf out = BUF_INIT;
	bool done = false;
	long r;

	if (!sx_pattern_ok(pat))
		return;
	for (size_t k = 0, n; k < v->len; k += n) {
		n = rune(v->ptr, v->len, k, &r);
		if (!done && (sx_pmatch(pat, "", 0) || sx_pmatch(pat, v->ptr + k, n))) {
			r = upper ? (long)towupper((wint_t)r) : (long)towlower((wint_t)r);
			done = !all;
		}
		put_rune(&out, r);
	}
	buf_clear(v);
	buf_put(v, out.ptr ? out.ptr : "", out.len);
	buf_dispose(&out);
}

static bool name_rune(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static char at(const struct sx *x, size_t k)
{
	return k < x->n ? x->s[k] : '\0';
}

/* %#q of one rune of the input, as the parser's messages quote it. */
static void quote_rune(const struct sx *x, size_t k, char out[16])
{
	long r;
	size_t n = rune(x->s, x->n, k, &r);

	if (r >= 0x20 && r != 0x7f && r != '`' && r != 0xfffd)
		snprintf(out, 16, "`%.*s`", (int)n, x->s + k);
	else if (r == '`')
		snprintf(out, 16, "\"`\"");
	else
		snprintf(out, 16, "\"\\x%02x\"", (unsigned char)x->s[k]);
}

struct pe {
	size_t dollar;
	bool length, excl, index_all, set;
	const char *name;
	size_t name_len;
	struct buf val;
};

static void close_brace(struct sx *x, const struct pe *pe)
{
	if (x->failed)
		return;
	if (at(x, x->i) != '}' || x->i >= x->n) {
		sx_syntax(x, pe->dollar, "reached EOF without matching `${` with `}`");
		return;
	}
	x->i++;
}

/* The operand word of an operator, evaluated (as upstream) whether used or not. */
static void operand(struct sx *x, struct buf *arg)
{
	sx_word(x, SX_EXP, arg, NULL);
}

static void slice(struct sx *x, struct pe *pe, size_t colon)
{
	int64_t off = 0, cnt = 0;
	bool has_len = false, has_off = false;
	size_t len = pe->val.len, cpos;

	x->i = colon + 1;
	while (x->i < x->n && strchr(" \t\r\n", x->s[x->i]))
		x->i++;
	if (at(x, x->i) != ':') {
		if (!(has_off = sx_arith(x, &off)) && !x->failed)
			sx_syntax(x, colon, "`:` must be followed by an expression");
	}
	while (x->i < x->n && strchr(" \t\r\n", x->s[x->i]))
		x->i++;
	if (!x->failed && at(x, x->i) == ':' && x->i < x->n) {
		cpos = x->i++;
		if (!(has_len = sx_arith(x, &cnt)) && !x->failed)
			sx_syntax(x, cpos, "`:` must be followed by an expression");
	}
	sx_arith_close(x, SX_END_SLICE, pe->dollar);
	if (x->failed)
		return;
	if (has_off) {
		int64_t n = off < 0 ? (int64_t)len + off : off;
		size_t k = n < 0 || n > (int64_t)len ? len : (size_t)n;
		memmove(pe->val.ptr, pe->val.ptr + k, len - k + 1);
		pe->val.len = len = len - k;
	}
	if (has_len) {
		int64_t n = cnt < 0 ? (int64_t)len + cnt : cnt;
		size_t k = n < 0 || n > (int64_t)len ? len : (size_t)n;
		pe->val.len = k;
		if (pe->val.ptr)
			pe->val.ptr[k] = '\0';
	}
}

static bool name_and_index(struct sx *x, struct pe *pe)
{
	size_t j = x->i, start;
	char c = at(x, j);

	if (c == '"' || (c == '$' && strchr("{(", at(x, j + 1)) && j + 1 < x->n)) {
		size_t d = c == '"' ? j + 1 : j;
		if (at(x, d) == '$' && strchr("{(", at(x, d + 1)) && d + 1 < x->n)
			sx_syntax(x, d, "nested parameter expansions are a zsh feature; tried parsing as bash");
		else
			sx_syntax(x, pe->dollar, "invalid nested parameter expansion");
		return false;
	}
	if ((c == '?' || c == '-') && pe->length && at(x, j + 1) != '}') {
		pe->length = false;
		pe->name = "#";
		pe->name_len = 1;
	} else if (j < x->n && strchr("?-@*#!$", c)) {
		pe->name = x->s + j++;
		pe->name_len = 1;
	} else {
		for (start = j; j < x->n && name_rune(x->s[j]);)
			j++;
		pe->name = x->s + start;
		pe->name_len = j - start;
		if (!number(pe->name, pe->name_len) && !sx_valid_name(pe->name, pe->name_len)) {
			sx_syntax(x, start, "invalid parameter name");
			return false;
		}
	}
	x->i = j;
	if (pe->name_len == 6 && !memcmp(pe->name, "LINENO", 6)) {
		char line[32];
		sx_pos(x, pe->dollar, line);
		line[strcspn(line, ":")] = '\0';
		buf_puts(&pe->val, line);
	} else {
		buf_puts(&pe->val, sx_var(x, pe->name, pe->name_len));
	}
	pe->set = pe->val.len > 0;
	if (at(x, j) == '[' && j < x->n) {
		int64_t idx = 0;
		size_t k;
		if (!sx_valid_name(pe->name, pe->name_len)) {
			sx_syntax(x, j, "cannot index a special parameter name");
			return false;
		}
		for (k = j + 1; k < x->n && strchr(" \t\r\n", x->s[k]);)
			k++;
		if (k < x->n && (x->s[k] == '@' || x->s[k] == '*')) {
			x->i = k + 1;
			pe->index_all = true;
		} else {
			x->i = j + 1;
			x->quiet += !pe->set;
			if (!sx_arith(x, &idx) && !x->failed)
				sx_syntax(x, j, "`[` must be followed by an expression");
			x->quiet -= !pe->set;
			if (idx != 0)
				buf_clear(&pe->val);
		}
		sx_arith_close(x, SX_END_INDEX, j);
	}
	return !x->failed;
}

static void length_of(struct pe *pe)
{
	size_t n = 0;
	long r;

	if (pe->index_all) {
		n = pe->set;
	} else {
		for (size_t k = 0; k < pe->val.len; k += rune(pe->val.ptr, pe->val.len, k, &r))
			n++;
	}
	buf_clear(&pe->val);
	buf_printf(&pe->val, "%zu", n);
}

static void indirect(struct sx *x, struct pe *pe)
{
	char *name;

	if (!pe->set) {
		sx_fail(x, "invalid indirect expansion");
		return;
	}
	name = strdup(pe->val.ptr);
	buf_clear(&pe->val);
	if (name)
		buf_puts(&pe->val, sx_var(x, name, strlen(name)));
	free(name);
}

/* The operator after the name, its operand and the closing brace. */
static void operation(struct sx *x, struct pe *pe)
{
	struct buf arg = BUF_INIT, with = BUF_INIT;
	size_t j = x->i;
	char c = at(x, j), d = at(x, j + 1), q[16];
	char op[3] = { c, 0, 0 };

	if (j >= x->n) {
		close_brace(x, pe);
		return;
	}
	if (c == '}') {
		x->i++;
		if (pe->length)
			length_of(pe);
		else if (pe->excl)
			indirect(x, pe);
		return;
	}
	if (pe->length) {
		sx_syntax(x, j, "cannot combine multiple parameter expansion operators");
		return;
	}
	if (pe->excl) /* upstream looks only at the indirection */
		x->quiet++;
	if (c == ':' && strchr("#|*", d) && j + 1 < x->n) {
		sx_syntax(x, j, "${name:%carg} is a zsh feature; tried parsing as bash", d);
	} else if (c == ':' && !(strchr("+-?=", d) && j + 1 < x->n)) {
		slice(x, pe, j);
	} else if (c == '/') {
		bool all = d == '/';
		struct buf pat = BUF_INIT;
		x->i = j + 1 + all;
		sx_word(x, SX_REPL, &arg, &pat);
		if (!x->failed && at(x, x->i) == '/' && x->i < x->n) {
			x->i++;
			x->quiet += !arg.len;
			operand(x, &with);
			x->quiet -= !arg.len;
		}
		close_brace(x, pe);
		if (!x->failed && arg.len)
			replace(&pe->val, buf_cstr(&pat), with.ptr ? with.ptr : "", all);
		buf_dispose(&pat);
	} else if (strchr("+-?=%#^,:", c) && j < x->n) {
		bool colon = c == ':';
		if (colon)
			op[0] = d, c = d, d = at(x, j + 2), op[1] = 0;
		x->i = j + 1 + colon;
		if (strchr("%#^,", c) && d == c) {
			op[1] = c;
			x->i++;
		}
		operand(x, &arg);
		close_brace(x, pe);
		if (!x->failed && !x->quiet) {
			const char *a = arg.ptr ? arg.ptr : "";
			bool empty = !pe->val.len, use = colon ? empty : !pe->set;
			switch (c) {
			case '+':
				if ((colon && !empty) || (!colon && pe->set)) {
					buf_clear(&pe->val);
					buf_puts(&pe->val, a);
				} else {
					buf_clear(&pe->val);
				}
				break;
			case '-':
				if (use)
					buf_puts(&pe->val, a);
				break;
			case '?':
				if (use)
					sx_fail(x, "%.*s: %s", (int)pe->name_len, pe->name, a);
				break;
			case '=':
				if (use)
					sx_fail(x, "environment is read-only");
				break;
			case '%':
			case '#':
				remove_pattern(&pe->val, a, c == '%', !op[1]);
				break;
			default:
				change_case(&pe->val, a, c == '^', op[1] != 0);
			}
		}
	} else if (c == '@' && !pe->excl) {
		size_t k = j + 1;
		while (k < x->n && name_rune(x->s[k]))
			k++;
		if (k == j + 1 || !strchr("akuAEKLPUQ", x->s[j + 1]) || k != j + 2) {
			sx_syntax(x, j + 1, k == j + 1 ? "@ expansion operator requires a literal" :
				  "invalid @ expansion operator `%.*s`", (int)(k - j - 1), x->s + j + 1);
		} else {
			x->i = k;
			close_brace(x, pe);
			if (x->s[j + 1] != 'P')
				sx_fail(x, "unsupported expansion operator @%c", x->s[j + 1]);
		}
	} else if ((c == '*' || c == '@') && pe->excl && d == '}') {
		x->i = j + 2;
		buf_clear(&pe->val); /* ${!prefix*}: the environment cannot list names */
	} else if (name_rune(c)) {
		sx_syntax(x, j, "`%.*s` cannot be followed by a word", (int)pe->name_len, pe->name);
	} else {
		quote_rune(x, j, q);
		sx_syntax(x, j, "not a valid parameter expansion operator: %s", q);
	}
	if (pe->excl) {
		x->quiet--;
		if (!x->failed && !(c == '*' || c == '@'))
			indirect(x, pe);
	}
	buf_dispose(&arg);
	buf_dispose(&with);
}

void sx_param(struct sx *x, struct buf *out)
{
	struct pe pe = { .dollar = x->i, .val = BUF_INIT };
	size_t j = x->i + 2;
	char c = at(x, j), p = at(x, j + 1);
	bool starts = j + 1 >= x->n || strchr("@*#$?!-", p) || isdigit((unsigned char)p) ||
		      name_rune(p) || p == '"';

	if (j < x->n && strchr("#%!+", c) && starts) {
		if (c == '%') {
			sx_syntax(x, pe.dollar, "`${%%foo}` is a mksh feature; tried parsing as bash");
			return;
		}
		if (c == '+') {
			sx_syntax(x, pe.dollar, "`${+foo}` is a zsh feature; tried parsing as bash");
			return;
		}
		pe.length = c == '#';
		pe.excl = c == '!';
		j++;
	}
	x->i = j;
	if (name_and_index(x, &pe))
		operation(x, &pe);
	if (!x->failed && pe.val.len)
		buf_put(out, pe.val.ptr, pe.val.len);
	buf_dispose(&pe.val);
}
