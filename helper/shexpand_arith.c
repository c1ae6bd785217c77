/* Shell arithmetic as mvdan.cc/sh/v3 parses (parser_arithm.go) and evaluates it
 * (expand/arith.go): Go int64 wrapping, base-10 operands only, `?:` true only for 1. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shexpand_internal.h"

struct val {
	bool ok;   /* an expression was there */
	bool name; /* it was a lone variable name (may be assigned to) */
	int64_t v;
};

static const char *const ops[] = {
	"<<=", ">>=", "**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=",
	"/=", "%=", "&=", "|=", "^=", "++", "--", "+", "-", "*", "/", "%", "<", ">", "=", "!",
	"~", "^", "&", "|", "?", ":", ",", "(", ")", "[", "]", "#", ".",
};

static void skip_ws(struct sx *x)
{
	while (x->i < x->n && strchr(" \t\r\n", x->s[x->i]))
		x->i++;
}

/* The operator at x->i (after blanks), or NULL. */
static const char *peek_op(struct sx *x)
{
	skip_ws(x);
	if (x->failed || x->i >= x->n)
		return NULL;
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (!strncmp(x->s + x->i, ops[k], strlen(ops[k])))
			return ops[k];
	return NULL;
}

static bool is_op(struct sx *x, const char *op)
{
	const char *o = peek_op(x);

	return o && !strcmp(o, op);
}

static const char *take_op(struct sx *x)
{
	const char *o = peek_op(x);

	x->i += strlen(o);
	return o;
}

static uint64_t u(int64_t v)
{
	return (uint64_t)v;
}

static int64_t s64(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? -(int64_t)(~v) - 1 : (int64_t)v;
}

static int64_t apply(struct sx *x, const char *op, int64_t a, int64_t b)
{
	uint64_t p = 1, base = u(a);

	switch (op[0]) {
	case '+':
		return s64(u(a) + u(b));
	case '-':
		return s64(u(a) - u(b));
	case '*':
		if (op[1] == '*') {
			for (; b > 0; b >>= 1, base *= base)
				if (b & 1)
					p *= base;
			return s64(p);
		}
		return s64(u(a) * u(b));
	case '/':
	case '%':
		if (b == 0) {
			sx_fail(x, "division by zero");
			return 0;
		}
		if (b == -1)
			return op[0] == '/' ? s64(0 - u(a)) : 0;
		return op[0] == '/' ? a / b : a % b;
	case '<':
		if (op[1] == '<')
			return u(b) >= 64 ? 0 : s64(u(a) << u(b));
		return op[1] == '=' ? a <= b : a < b;
	case '>':
		if (op[1] == '>')
			return u(b) >= 64 ? (a < 0 ? -1 : 0) : a >> u(b);
		return op[1] == '=' ? a >= b : a > b;
	case '=':
		return a == b;
	case '!':
		return a != b;
	case '&':
		return op[1] == '&' ? (a != 0 && b != 0) : (a & b);
	case '|':
		return op[1] == '|' ? (a != 0 || b != 0) : (a | b);
	case '^':
		return a ^ b;
	}
	return 0;
}

static struct val comma(struct sx *x);
static struct val ternary(struct sx *x);
static struct val unary(struct sx *x);

static void follow_err(struct sx *x, size_t pos, const char *op)
{
	sx_syntax(x, pos, "`%s` must be followed by an expression", op);
}

static struct val value(struct sx *x)
{
	struct val r = { false, false, 0 };
	struct buf w = BUF_INIT;
	size_t pos;
	const char *o = peek_op(x);

	if (x->failed)
		return r;
	pos = x->i;
	if (o && (!strcmp(o, "++") || !strcmp(o, "--"))) {
		take_op(x);
		skip_ws(x);
		if (peek_op(x) || x->i >= x->n) {
			sx_syntax(x, pos, "`%s` must be followed by a literal", o);
			return r;
		}
		r = value(x);
		sx_fail(x, "environment is read-only");
		r.name = false;
		return r;
	}
	if (o && !strcmp(o, "(")) {
		take_op(x);
		r = comma(x);
		if (!r.ok && !x->failed)
			follow_err(x, pos, "(");
		if (x->failed)
			return r;
		if (!is_op(x, ")")) {
			char tok[64];
			const char *t = peek_op(x);
			snprintf(tok, sizeof(tok), x->i >= x->n ? "EOF" : "`%s`", t ? t : "word");
			sx_syntax(x, pos, "reached %s without matching `(` with `)`", tok);
			return r;
		}
		take_op(x);
		r.name = false;
	} else if (o && !strcmp(o, "[")) {
		sx_syntax(x, pos, "`[` must follow a name like a[i]");
		return r;
	} else if (o && !strcmp(o, ":")) {
		sx_syntax(x, pos, "ternary operator missing `?` before `:`");
		return r;
	} else if (!o && x->i < x->n && sx_arith_word(x, &w)) {
		const char *text = buf_cstr(&w) ? buf_cstr(&w) : "";
		/* isArithName looks at the source: one literal part, a valid name */
		r.name = sx_valid_name(x->s + pos, x->i - pos);
		r.ok = true;
		if (!x->quiet) {
			char cur[256];
			snprintf(cur, sizeof(cur), "%s", text);
			for (int depth = 0; sx_valid_name(cur, strlen(cur)) && depth < 100; depth++) {
				const char *v = sx_var(x, cur, strlen(cur));
				if (!*v)
					break;
				snprintf(cur, sizeof(cur), "%s", v);
			}
			r.v = sx_atoi(cur);
		}
		buf_dispose(&w);
	} else {
		buf_dispose(&w);
		return r;
	}
	o = peek_op(x);
	if (o && (!strcmp(o, "++") || !strcmp(o, "--"))) {
		if (!r.name) {
			sx_syntax(x, x->i, "`%s` must follow a name", o);
			return r;
		}
		take_op(x);
		sx_fail(x, "environment is read-only");
		r.name = false;
	}
	return r;
}

static struct val unary(struct sx *x)
{
	const char *o = peek_op(x);
	struct val r;
	size_t pos = x->i;

	if (!o || (strcmp(o, "!") && strcmp(o, "~") && strcmp(o, "+") && strcmp(o, "-")))
		return value(x);
	take_op(x);
	r = unary(x);
	if (!r.ok) {
		if (!x->failed)
			follow_err(x, pos, o);
		return r;
	}
	r.name = false;
	r.v = o[0] == '!' ? r.v == 0 : o[0] == '~' ? ~r.v : o[0] == '-' ? s64(0 - u(r.v)) : r.v;
	return r;
}

static struct val power(struct sx *x)
{
	struct val l = unary(x), r;
	size_t pos;

	if (x->failed || !is_op(x, "**"))
		return l;
	pos = x->i;
	if (!l.ok) {
		sx_syntax(x, pos, "`**` must follow an expression");
		return l;
	}
	take_op(x);
	r = power(x);
	if (!r.ok) {
		if (!x->failed)
			follow_err(x, pos, "**");
		return r;
	}
	l.v = apply(x, "**", l.v, r.v);
	l.name = false;
	return l;
}

/* Left-associative levels, loosest first. */
static const char *const levels[][4] = {
	{ "||" }, { "&&" }, { "|" }, { "^" }, { "&" }, { "==", "!=" },
	{ "<", ">", "<=", ">=" }, { "<<", ">>" }, { "+", "-" }, { "*", "/", "%" },
};

static struct val binary(struct sx *x, size_t level)
{
	struct val l, r;

	if (level == sizeof(levels) / sizeof(levels[0]))
		return power(x);
	l = binary(x, level + 1);
	for (;;) {
		const char *o = peek_op(x), *found = NULL;
		size_t pos = x->i;

		for (size_t k = 0; o && k < 4 && levels[level][k]; k++)
			if (!strcmp(o, levels[level][k]))
				found = o;
		if (x->failed || !found)
			return l;
		if (!l.ok) {
			sx_syntax(x, pos, "`%s` must follow an expression", found);
			return l;
		}
		take_op(x);
		r = binary(x, level + 1);
		if (!r.ok) {
			if (!x->failed)
				follow_err(x, pos, found);
			return r;
		}
		if (!x->quiet)
			l.v = apply(x, found, l.v, r.v);
		l.name = false;
	}
}

static struct val ternary(struct sx *x)
{
	struct val c = binary(x, 0), t, f;
	size_t qpos, cpos;
	bool take;

	if (x->failed || !is_op(x, "?"))
		return c;
	qpos = x->i;
	if (!c.ok) {
		sx_syntax(x, qpos, "`?` must follow an expression");
		return c;
	}
	take_op(x);
	if (is_op(x, ":")) {
		follow_err(x, qpos, "?");
		return c;
	}
	take = c.v == 1;
	x->quiet += !take;
	t = comma(x);
	x->quiet -= !take;
	if (!t.ok) {
		if (!x->failed)
			follow_err(x, qpos, "?");
		return t;
	}
	if (x->failed)
		return t;
	if (!is_op(x, ":")) {
		sx_syntax(x, qpos, "ternary operator missing `:` after `?`");
		return t;
	}
	cpos = x->i;
	take_op(x);
	x->quiet += take;
	f = ternary(x);
	x->quiet -= take;
	if (!f.ok) {
		if (!x->failed)
			follow_err(x, cpos, ":");
		return f;
	}
	c.v = take ? t.v : f.v;
	c.name = false;
	return c;
}

static const char *const assigns[] = { "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
				       "<<=", ">>=" };

static struct val assign(struct sx *x)
{
	struct val l = ternary(x), r;
	const char *o = peek_op(x);
	size_t pos = x->i;
	bool found = false;

	for (size_t k = 0; o && k < sizeof(assigns) / sizeof(assigns[0]); k++)
		found |= !strcmp(o, assigns[k]);
	if (x->failed || !found)
		return l;
	if (!l.name) {
		sx_syntax(x, pos, "`%s` must follow a name", o);
		return l;
	}
	take_op(x);
	r = assign(x);
	if (!r.ok) {
		if (!x->failed)
			follow_err(x, pos, o);
		return r;
	}
	if ((!strcmp(o, "/=") || !strcmp(o, "%=")) && r.v == 0)
		sx_fail(x, "division by zero");
	sx_fail(x, "environment is read-only");
	l.name = false;
	return l;
}

static struct val comma(struct sx *x)
{
	struct val l = assign(x), r;

	while (!x->failed && is_op(x, ",")) {
		size_t pos = x->i;

		take_op(x);
		r = assign(x);
		if (!r.ok) {
			if (!x->failed)
				follow_err(x, pos, ",");
			return r;
		}
		l = r;
		l.name = false;
	}
	return l;
}

bool sx_arith(struct sx *x, int64_t *v)
{
	struct val r = comma(x);

	*v = r.v;
	return r.ok;
}

void sx_arith_close(struct sx *x, enum sx_arith_end end, size_t open)
{
	static const char *const left[] = { "$((", "$[", "${", "[" };
	static const char *const right[] = { "))", "]", "}", "]" };
	const char *o;
	size_t pos;

	if (x->failed)
		return;
	skip_ws(x);
	pos = x->i;
	if (end == SX_END_DPAREN && !strncmp(x->s + pos, "))", 2)) {
		x->i += 2;
		return;
	}
	if ((end == SX_END_BRACK || end == SX_END_INDEX) && pos < x->n && x->s[pos] == ']') {
		x->i++;
		return;
	}
	if (end == SX_END_SLICE && pos < x->n && x->s[pos] == '}') {
		x->i++;
		return;
	}
	o = peek_op(x);
	if (pos >= x->n || (o && !strcmp(o, ")")) || (!o && x->s[pos] == '}'))
		sx_syntax(x, open, "reached %s without matching `%s` with `%s`",
			  pos >= x->n ? "EOF" : x->s[pos] == '}' ? "`}`" : "`)`", left[end], right[end]);
	else if (o && !strcmp(o, "["))
		sx_syntax(x, pos, "`[` must follow a name like a[i]");
	else if (o && !strcmp(o, ":"))
		sx_syntax(x, pos, "ternary operator missing `?` before `:`");
	else if (o && !strcmp(o, "."))
		sx_syntax(x, pos, "floating point arithmetic is a zsh feature; tried parsing as bash");
	else if (o)
		sx_syntax(x, pos, "not a valid arithmetic operator: `%s`", o);
	else {
		size_t e = pos;
		while (e < x->n && !strchr(" \t\r\n+-!~*/%()^<>:=,?|&[]#.}$\"'`", x->s[e]))
			e++;
		sx_syntax(x, pos, "not a valid arithmetic operator: `%.*s`", (int)(e - pos),
			  x->s + pos);
	}
}

/* strconv.ParseInt(s, 10, 64) after TrimSpace, errors ignored: junk gives 0, an
 * overflow saturates (ParseUint stops at the first digit that overflows uint64). */
int64_t sx_atoi(const char *s)
{
	size_t b = 0, e = strlen(s), i;
	bool neg = false;
	uint64_t v = 0;

	while (b < e && isspace((unsigned char)s[b]))
		b++;
	while (e > b && isspace((unsigned char)s[e - 1]))
		e--;
	i = b;
	if (i < e && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == e)
		return 0;
	for (; i < e; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (!isdigit((unsigned char)s[i]))
			return 0;
		if (v > (UINT64_MAX - d) / 10) {
			v = UINT64_MAX;
			break;
		}
		v = v * 10 + d;
	}
	if (!neg)
		return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
	return v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
}
