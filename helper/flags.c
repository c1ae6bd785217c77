#include "flags.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

int flags_parse_bool(bool *out, const char *s)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < 6; i++) {
		if (!strcmp(s, t[i]) || !strcmp(s, f[i])) {
			*out = !strcmp(s, t[i]);
			return 0;
		}
	}
	return err_set(CIH_EUSAGE, "strconv.ParseBool: parsing \"%s\": invalid syntax", s);
}

static int parse_int(int64_t *out, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || s[0] == ' ' || s[0] == '\t')
		return err_set(CIH_EUSAGE, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
	if (errno == ERANGE)
		return err_set(CIH_EUSAGE, "strconv.ParseInt: parsing \"%s\": value out of range", s);
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 }, /* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 }, /* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000ull },
	{ "m", 60000000000ull },
	{ "h", 3600000000000ull },
};

int flags_parse_duration(int64_t *out_ns, const char *orig)
{
	const char *s = orig;
	uint64_t total = 0;
	bool neg = false;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*out_ns = 0;
		return 0;
	}
	if (!*s)
		goto invalid;
	while (*s) {
		uint64_t v = 0, frac = 0, scale = 1, unit = 0;
		bool digits = false, post = false;
		size_t ulen = 0;

		while (*s >= '0' && *s <= '9') {
			if (v > (UINT64_MAX - 9) / 10)
				goto invalid;
			v = v * 10 + (uint64_t)(*s++ - '0');
			digits = true;
		}
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9') {
				if (scale < UINT64_MAX / 10) { /* extra digits past 1e19 are dropped */
					frac = frac * 10 + (uint64_t)(*s - '0');
					scale *= 10;
				}
				s++;
				post = true;
			}
		}
		if (!digits && !post)
			goto invalid;
		while (s[ulen] && s[ulen] != '.' && (s[ulen] < '0' || s[ulen] > '9'))
			ulen++;
		if (!ulen)
			return err_set(CIH_EUSAGE, "time: missing unit in duration \"%s\"", orig);
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ulen && !strncmp(s, units[i].name, ulen))
				unit = units[i].ns;
		if (!unit)
			return err_set(CIH_EUSAGE, "time: unknown unit \"%.*s\" in duration \"%s\"",
				       (int)ulen, s, orig);
		s += ulen;
		if (v > (uint64_t)INT64_MAX / unit)
			goto invalid;
		v *= unit;
		if (frac)
			v += (uint64_t)((long double)frac * (long double)unit / (long double)scale);
		total += v;
		if (total > (uint64_t)INT64_MAX)
			goto invalid;
	}
	*out_ns = neg ? -(int64_t)total : (int64_t)total;
	return 0;
invalid:
	return err_set(CIH_EUSAGE, "time: invalid duration \"%s\"", orig);
}

/* Sets one value; the caller adds Go's context to the message. */
static int set_value(const struct flag *f, const char *val)
{
	switch (f->type) {
	case FLAG_BOOL:
		return flags_parse_bool((bool *)f->dest, val);
	case FLAG_STR:
		*(const char **)f->dest = val;
		return 0;
	case FLAG_INT:
		return parse_int((int64_t *)f->dest, val);
	case FLAG_DURATION:
		return flags_parse_duration((int64_t *)f->dest, val);
	case FLAG_LIST: {
		struct flag_list *l = f->dest;
		const char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
		if (!v)
			return err_set(CIH_ENOMEM, "out of memory");
		v[l->n++] = val;
		l->v = v;
		return 0;
	}
	}
	return err_set(CIH_ERR, "unknown flag type");
}

void flags_list_dispose(struct flag_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int apply_env(const struct flag *f)
{
	const char *val = f->env ? getenv(f->env) : NULL;
	char why[ERR_MSG_MAX];
	int rc;

	if (!val)
		return 0;
	if (f->type == FLAG_BOOL && !*val) {
		*(bool *)f->dest = !(f->opts & FLAG_ENV_EMPTY_FALSE);
		return 0;
	}
	if ((rc = set_value(f, val)) < 0) {
		snprintf(why, sizeof(why), "%s", err_last()->msg);
		return err_set(CIH_EUSAGE, "could not parse %s as %svalue for flag %s: %s", val,
			       (f->opts & FLAG_NATIVE) && f->type == FLAG_BOOL ? "bool " : "",
			       f->name, why);
	}
	if (f->seen)
		*f->seen = true;
	return 0;
}

/* Strips one or two leading dashes and any "=value": urfave's argIsFlag. */
static const struct flag *lookup(const struct flag *tbl, size_t n, const char *name, size_t len,
				 const char **which)
{
	for (size_t i = 0; i < n; i++) {
		const char *names[2] = { tbl[i].name, tbl[i].alias };
		for (int k = 0; k < 2; k++) {
			if (names[k] && strlen(names[k]) == len && !strncmp(names[k], name, len)) {
				*which = names[k];
				return &tbl[i];
			}
		}
	}
	return NULL;
}

static bool arg_is_known_flag(const struct flag *tbl, size_t n, const char *arg)
{
	const char *which;

	if (arg[0] != '-' || !strcmp(arg, "-") || !strcmp(arg, "--"))
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	return lookup(tbl, n, arg, strcspn(arg, "="), &which) != NULL;
}

/* urfave v1.22.17 reorderArgs: known flags, each with the argument after it when
 * that is not itself a known flag, move ahead; "--" leads what remains. */
static int reorder(const struct flag *tbl, size_t n, int argc, char **argv)
{
	char **front = malloc(((size_t)argc + 1) * sizeof(*front));
	char **rest = malloc(((size_t)argc + 2) * sizeof(*rest));
	size_t nf = 0, nr = 0;
	bool maybe_value = false;

	if (!front || !rest) {
		free(front);
		free(rest);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	for (int i = 0; i < argc; i++) {
		if (maybe_value && !arg_is_known_flag(tbl, n, argv[i])) {
			maybe_value = false;
			front[nf++] = argv[i];
		} else if (!strcmp(argv[i], "--")) {
			memmove(rest + 1, rest, nr * sizeof(*rest));
			rest[0] = argv[i++];
			nr++;
			while (i < argc)
				rest[nr++] = argv[i++];
			break;
		} else if (arg_is_known_flag(tbl, n, argv[i])) {
			front[nf++] = argv[i];
			maybe_value = !strchr(argv[i], '=');
		} else {
			rest[nr++] = argv[i];
		}
	}
	memcpy(argv, front, nf * sizeof(*argv));
	memcpy(argv + nf, rest, nr * sizeof(*argv));
	free(front);
	free(rest);
	return 0;
}

/* Go's flag.FlagSet.Parse over argv; records which names were used. */
static int go_parse(const struct flag *tbl, size_t n, int *argc, char ***argv,
		    const char **used)
{
	char **av = *argv;
	int ac = *argc;

	while (ac > 0) {
		const char *s = av[0], *name, *val = NULL, *which;
		const struct flag *f;
		size_t len;
		int dashes;
		char why[ERR_MSG_MAX];

		if (strlen(s) < 2 || s[0] != '-')
			break;
		dashes = s[1] == '-' ? 2 : 1;
		if (dashes == 2 && !s[2]) {
			av++, ac--;
			break;
		}
		name = s + dashes;
		if (!*name || *name == '-' || *name == '=')
			return err_set(CIH_EUSAGE, "bad flag syntax: %s", s);
		av++, ac--;
		len = strcspn(name, "=");
		if (name[len] == '=')
			val = name + len + 1;
		if (!(f = lookup(tbl, n, name, len, &which)))
			return err_set(CIH_EUSAGE, "flag provided but not defined: -%.*s", (int)len,
				       name);
		used[f - tbl] = used[f - tbl] && used[f - tbl] != which ? "" : which;
		if (f->type == FLAG_BOOL) {
			if (set_value(f, val ? val : "true") < 0)
				return err_set(CIH_EUSAGE,
					       "invalid boolean value \"%s\" for -%.*s: parse error",
					       val, (int)len, name);
		} else {
			if (!val) {
				if (ac == 0)
					return err_set(CIH_EUSAGE, "flag needs an argument: -%.*s",
						       (int)len, name);
				val = av[0];
				av++, ac--;
			}
			if (set_value(f, val) < 0) {
				snprintf(why, sizeof(why), "%s", err_last()->msg);
				return err_set(CIH_EUSAGE, "invalid value \"%s\" for flag -%.*s: %s",
					       val, (int)len, name, why);
			}
		}
		if (f->seen)
			*f->seen = true;
	}
	*argc = ac;
	*argv = av;
	return 0;
}

int flags_parse(const struct flag *tbl, size_t n, enum flags_mode mode, int *argc, char ***argv,
		enum flags_stage *stage)
{
	const char **used = calloc(n ? n : 1, sizeof(*used));
	enum flags_stage at = FLAGS_STAGE_ENV;
	int rc = 0;

	if (!used)
		return err_set(CIH_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = apply_env(&tbl[i]);
	if (rc == 0) {
		at = FLAGS_STAGE_ARGS;
		if (mode == FLAGS_COMMAND)
			rc = reorder(tbl, n, *argc, *argv);
		if (rc == 0)
			rc = go_parse(tbl, n, argc, argv, used);
		/* the app checks for both forms even after a parse error, and reports it
		 * first; a command stops at the parse error (urfave v1) */
		for (size_t i = 0; i < n && (rc == 0 || mode == FLAGS_APP); i++) {
			if (used[i] && !*used[i]) {
				rc = err_set(CIH_EUSAGE, "Cannot use two forms of the same flag: %s %s",
					     tbl[i].alias, tbl[i].name);
				at = FLAGS_STAGE_FORMS;
				break;
			}
		}
	}
	if (stage)
		*stage = at;
	free(used);
	return rc;
}

void flags_help(struct buf *out, const struct flag *tbl, size_t n)
{
	size_t width = 0;
	struct buf col = BUF_INIT;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const char *v = tbl[i].type == FLAG_BOOL ? "" : " value";
			buf_clear(&col);
			buf_printf(&col, "--%s%s", tbl[i].name, v);
			if (tbl[i].alias)
				buf_printf(&col, ", -%s%s", tbl[i].alias, v);
			if (pass == 0) {
				width = col.len > width ? col.len : width;
				continue;
			}
			buf_puts(out, "   ");
			buf_pad(out, buf_cstr(&col), width + 2);
			buf_puts(out, tbl[i].help ? tbl[i].help : "");
			if (tbl[i].env)
				buf_printf(out, " [$%s]", tbl[i].env);
			buf_putc(out, '\n');
		}
	}
	buf_dispose(&col);
}

/* Go's time.Duration.String: "1h2m3.5s", "1.5s", "150ms", "0s". */
void flags_format_duration(char *out, size_t size, int64_t ns)
{
	uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	const char *sign = ns < 0 ? "-" : "";
	char frac[16] = "";

	if (u == 0) {
		snprintf(out, size, "0s");
		return;
	}
	if (u < 1000) {
		snprintf(out, size, "%s%lluns", sign, (unsigned long long)u);
		return;
	}
	static const struct { uint64_t unit; int digits; const char *name; } small[] = {
		{ 1000, 3, "\xc2\xb5s" }, { 1000000, 6, "ms" },
	};
	for (size_t i = 0; i < 2; i++)
		if (u < small[i].unit * 1000) {
			uint64_t whole = u / small[i].unit, rest = u % small[i].unit;
			if (rest) {
				snprintf(frac, sizeof(frac), ".%0*llu", small[i].digits, (unsigned long long)rest);
				for (size_t l = strlen(frac); frac[l - 1] == '0'; l--)
					frac[l - 1] = '\0';
			}
			snprintf(out, size, "%s%llu%s%s", sign, (unsigned long long)whole, frac, small[i].name);
			return;
		}
	uint64_t secs = u / 1000000000u, rest = u % 1000000000u;
	if (rest) {
		snprintf(frac, sizeof(frac), ".%09llu", (unsigned long long)rest);
		for (size_t l = strlen(frac); frac[l - 1] == '0'; l--)
			frac[l - 1] = '\0';
	}
	uint64_t h = secs / 3600, m = secs / 60 % 60, s = secs % 60;
	if (h)
		snprintf(out, size, "%s%lluh%llum%llu%ss", sign, (unsigned long long)h, (unsigned long long)m,
			 (unsigned long long)s, frac);
	else if (m)
		snprintf(out, size, "%s%llum%llu%ss", sign, (unsigned long long)m, (unsigned long long)s, frac);
	else
		snprintf(out, size, "%s%llu%ss", sign, (unsigned long long)s, frac);
}
