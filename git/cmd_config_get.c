/* git config --get, --get-all, --get-regexp and --list (builtin/config.c's
 * get_value, format_config, show_all_config). */
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "cmd_config.h"
#include "gconf.h"
#include "gconf_parse.h"
#include "gitcli.h"

/* a callback's return once git's fatal was printed */
#define DIED (-1000)

static const char *scope_name(int scope)
{
	switch (scope) {
	case GCONF_SCOPE_SYSTEM: return "system";
	case GCONF_SCOPE_GLOBAL: return "global";
	case GCONF_SCOPE_LOCAL: return "local";
	case GCONF_SCOPE_COMMAND: return "command";
	}
	return "unknown";
}

/* quote.c's quote_c_style with quote_path_fully */
static void c_quote(struct buf *b, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			break;
	if (!*p) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '"');
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		const char *esc = strchr("\a\b\t\n\v\f\r", c);

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c && esc)
			buf_printf(b, "\\%c", "abtnvfr"[esc - "\a\b\t\n\v\f\r"]);
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(b, "\\%03o", c);
		else
			buf_putc(b, (char)c);
	}
	buf_putc(b, '"');
}

static void origin_prefix(const struct cfg_opts *o, struct buf *b, const struct gconf_origin *org)
{
	char term = o->end_nul ? '\0' : '\t';

	if (o->show_scope) {
		buf_puts(b, scope_name(org->scope));
		buf_putc(b, term);
	}
	if (o->show_origin) {
		buf_printf(b, "%s:", org->type);
		if (o->end_nul)
			buf_puts(b, org->name);
		else
			c_quote(b, org->name);
		buf_putc(b, term);
	}
}

static int bad_number(const char *key, const char *value, int range, const struct gconf_origin *org)
{
	const char *what = range ? "out of range" : "invalid unit";

	if (org && !strcmp(org->type, "file"))
		return gitcli_fatal("bad numeric config value '%s' for '%s' in file %s: %s", value, key,
				    org->name, what);
	return gitcli_fatal("bad numeric config value '%s' for '%s': %s", value, key, what);
}

/* git_config_int64 / git_config_int: 0, or DIED */
static int config_int(const char *key, const char *value, int64_t *out, int int_only,
		      const struct gconf_origin *org)
{
	int range;

	if (gconf_parse_int64(value, out, &range) < 0 ||
	    (int_only && (*out > INT32_MAX || *out < INT32_MIN) && (range = 1)))
		return bad_number(key, value ? value : "", range, org), DIED;
	return 0;
}

static int config_bool(const char *key, const char *value, int *out)
{
	if ((*out = gconf_parse_bool(value)) < 0)
		return gitcli_fatal("bad boolean config value '%s' for '%s'", value, key), DIED;
	return 0;
}

/* format_config: 0, or DIED */
static int format(const struct cfg_opts *o, struct buf *b, const char *key, const char *value,
		  int show_keys, const struct gconf_origin *org)
{
	int64_t n;
	int v;

	if (org)
		origin_prefix(o, b, org);
	if (show_keys)
		buf_puts(b, key);
	if (!o->name_only) {
		if (show_keys)
			buf_putc(b, o->end_nul ? '\n' : ' ');
		if (o->type == T_INT) {
			if (config_int(key, value ? value : "", &n, 0, org) < 0)
				return DIED;
			buf_printf(b, "%" PRId64, n);
		} else if (o->type == T_BOOL) {
			if (config_bool(key, value, &v) < 0)
				return DIED;
			buf_puts(b, v ? "true" : "false");
		} else if (o->type == T_BOOL_OR_INT) {
			if ((v = gconf_parse_bool_text(value)) >= 0)
				buf_puts(b, v ? "true" : "false");
			else if (config_int(key, value, &n, 1, org) < 0)
				return DIED;
			else
				buf_printf(b, "%d", (int)n);
		} else if (o->type == T_BOOL_OR_STR) {
			v = gconf_parse_bool(value);
			buf_puts(b, v < 0 ? value : v ? "true" : "false");
		} else if (o->type == T_PATH) {
			char *p;

			if (!value)
				return gitcli_error("missing value for '%s'", key), GCONF_BAD_ENTRY;
			if (!(p = gconf_expand_path(value)))
				return gitcli_fatal("failed to expand user dir in: '%s'", value), DIED;
			buf_puts(b, p);
			free(p);
		} else if (value) {
			buf_puts(b, value);
		} else if (show_keys) {
			b->len--; /* no value: the key alone */
		}
	}
	buf_putc(b, o->end_nul ? '\0' : '\n');
	return 0;
}

struct get_ctx {
	const struct cfg_opts *o;
	const char *key;
	regex_t *key_re, *val_re;
	int not_match, all, show_keys;
	size_t nr;
	struct buf out;
};

static int collect(void *ctx, const char *key, const char *value, const struct gconf_origin *org)
{
	struct get_ctx *g = ctx;

	if (!g->key_re && strcmp(key, g->key))
		return 0;
	if (g->key_re && regexec(g->key_re, key, 0, NULL, 0))
		return 0;
	if (g->val_re && (g->not_match ^ !!regexec(g->val_re, value ? value : "", 0, NULL, 0)))
		return 0;
	if (!g->all)
		buf_clear(&g->out);
	g->nr++;
	return format(g->o, &g->out, key, value, g->show_keys, org);
}

static int walk(const struct cfg_opts *o, gconf_each_fn fn, void *ctx, int list)
{
	int rc = o->file ? gconf_each_file(o->file, o->scope, o->includes, fn, ctx)
			 : gconf_each(o->repo_config, o->includes, fn, ctx);

	if (rc == DIED)
		return 128;
	if (rc == CIH_ENOTFOUND && o->file && !list)
		return 0;
	if (rc < 0)
		return gitcli_fatal("%s", err_last()->msg);
	return 0;
}

static void emit(const struct buf *b)
{
	if (b->len)
		fwrite(b->ptr, 1, b->len, stdout);
}

int cfg_get(const struct cfg_opts *o, const char *key, const char *pattern, int all, int key_regexp)
{
	struct get_ctx g = { .o = o, .all = all, .show_keys = key_regexp };
	regex_t kre, vre;
	struct buf canon = BUF_INIT;
	int rc = GCONF_GENERIC_ERROR;

	if (key_regexp) {
		char *k = strdup(key), *t;

		if (!k)
			return gitcli_fatal("out of memory");
		for (t = k + strlen(k); t > k && t[-1] != '.'; t--)
			t[-1] = (char)(t[-1] >= 'A' && t[-1] <= 'Z' ? t[-1] + 32 : t[-1]);
		for (t = k; *t && *t != '.'; t++)
			*t = (char)(*t >= 'A' && *t <= 'Z' ? *t + 32 : *t);
		if (regcomp(&kre, k, REG_EXTENDED)) {
			free(k);
			gitcli_error("invalid key pattern: %s", key);
			return GCONF_INVALID_PATTERN;
		}
		free(k);
		g.key_re = &kre;
	} else if (gconf_key_parse(key, &canon, NULL)) {
		gitcli_error("%s", err_last()->msg);
		buf_dispose(&canon);
		return GCONF_INVALID_KEY;
	}
	g.key = buf_cstr(&canon);
	if (pattern) {
		if (pattern[0] == '!') {
			g.not_match = 1;
			pattern++;
		}
		if (regcomp(&vre, pattern, REG_EXTENDED)) {
			gitcli_error("invalid pattern: %s", pattern);
			rc = GCONF_INVALID_PATTERN;
			goto out;
		}
		g.val_re = &vre;
	}
	if ((rc = walk(o, collect, &g, 0)))
		goto out;
	if (!g.nr && o->default_value) {
		g.nr = 1;
		if (format(o, &g.out, key, o->default_value, g.show_keys, NULL) == DIED) {
			rc = 128;
			goto out;
		}
	}
	emit(&g.out);
	rc = !g.nr;
out:
	if (g.key_re)
		regfree(g.key_re);
	if (g.val_re)
		regfree(g.val_re);
	buf_dispose(&canon);
	buf_dispose(&g.out);
	return rc;
}

static int show_all(void *ctx, const char *key, const char *value, const struct gconf_origin *org)
{
	const struct cfg_opts *o = ctx;
	struct buf b = BUF_INIT;

	origin_prefix(o, &b, org);
	buf_puts(&b, key);
	if (!o->name_only && value) {
		buf_putc(&b, o->end_nul ? '\n' : '=');
		buf_puts(&b, value);
	}
	buf_putc(&b, o->end_nul ? '\0' : '\n');
	emit(&b);
	buf_dispose(&b);
	return 0;
}

int cfg_list(const struct cfg_opts *o)
{
	return walk(o, show_all, (void *)o, 1);
}

char *cfg_normalize(const struct cfg_opts *o, const char *key, const char *value)
{
	struct buf b = BUF_INIT;
	int64_t n;
	int v;

	if (o->type == T_INT) {
		if (config_int(key, value, &n, 0, NULL) < 0)
			return NULL;
		buf_printf(&b, "%" PRId64, n);
	} else if (o->type == T_BOOL) {
		if (config_bool(key, value, &v) < 0)
			return NULL;
		buf_puts(&b, v ? "true" : "false");
	} else if (o->type == T_BOOL_OR_INT) {
		if ((v = gconf_parse_bool_text(value)) >= 0)
			buf_puts(&b, v ? "true" : "false");
		else if (config_int(key, value, &n, 1, NULL) < 0)
			return NULL;
		else
			buf_printf(&b, "%d", (int)n);
	} else if (o->type == T_BOOL_OR_STR && (v = gconf_parse_bool(value)) >= 0) {
		buf_puts(&b, v ? "true" : "false");
	} else {
		buf_puts(&b, value);
	}
	return b.ptr;
}
