/* The config stack as git reads it (git 2.39 config.c: do_git_config_sequence,
 * git_config_from_parameters, git_config_include), for `git config` and, as a
 * libgit2 config object, for every other command. */
#include "gconf.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/sys/config.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gconf_backend.h"
#include "gconf_parse.h"
#include "gitcli.h"

#define MAX_INCLUDE_DEPTH 10
#define PARAMS_FAILED "unable to parse command-line config"

struct reader {
	gconf_each_fn fn;
	void *ctx;
	int includes, depth;
	struct gconf_origin origin;
	const char *path; /* the file being read; NULL for the command line */
	int rc;           /* what stops the walk: a callback's return or a death */
};

static void sq_quote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '!') {
			buf_puts(b, "'\\");
			buf_putc(b, *s);
			buf_putc(b, '\'');
		} else {
			buf_putc(b, *s);
		}
	}
	buf_putc(b, '\'');
}

int gconf_param_add(const char *kv)
{
	const char *eq = strchr(kv, '='), *old = getenv("GIT_CONFIG_PARAMETERS");
	struct buf b = BUF_INIT, key = BUF_INIT;
	int rc = 0;

	if (old && *old) {
		buf_puts(&b, old);
		buf_putc(&b, ' ');
	}
	buf_put(&key, kv, eq ? (size_t)(eq - kv) : strlen(kv));
	sq_quote(&b, buf_cstr(&key));
	buf_putc(&b, '=');
	if (eq)
		sq_quote(&b, eq + 1);
	if (b.failed || key.failed || setenv("GIT_CONFIG_PARAMETERS", b.ptr, 1) < 0)
		rc = err_set(CIH_ENOMEM, "out of memory");
	buf_dispose(&b);
	buf_dispose(&key);
	return rc;
}

char *gconf_expand_path(const char *path)
{
	struct buf b = BUF_INIT;
	const char *home, *rest;

	if (path[0] != '~')
		return strdup(path);
	rest = strchrnul(path, '/');
	if (rest == path + 1) {
		if (!(home = getenv("HOME")))
			return NULL;
	} else {
		char user[256];
		struct passwd *pw;

		if ((size_t)(rest - path - 1) >= sizeof(user))
			return NULL;
		memcpy(user, path + 1, (size_t)(rest - path - 1));
		user[rest - path - 1] = '\0';
		if (!(pw = getpwnam(user)))
			return NULL;
		home = pw->pw_dir;
	}
	buf_puts(&b, home);
	buf_puts(&b, rest);
	if (b.failed) {
		buf_dispose(&b);
		return NULL;
	}
	return b.ptr ? b.ptr : strdup("");
}

static int read_file(struct reader *r, const char *path, enum gconf_scope scope);

/* git_config_include's include.path: 0, or -1 (git's error printed) */
static int include_path(struct reader *r, const char *value)
{
	struct buf full = BUF_INIT;
	char *expanded;
	int rc = 0;

	if (!value)
		return gitcli_error("missing value for '%s'", "include.path");
	if (!(expanded = gconf_expand_path(value)))
		return gitcli_error("could not expand include path '%s'", value);
	if (expanded[0] != '/') {
		const char *slash;

		if (!r->path) {
			free(expanded);
			return gitcli_error("relative config includes must come from files");
		}
		if ((slash = strrchr(r->path, '/')))
			buf_put(&full, r->path, (size_t)(slash - r->path) + 1);
	}
	buf_puts(&full, expanded);
	free(expanded);
	if (access(buf_cstr(&full), R_OK) == 0) {
		if (++r->depth > MAX_INCLUDE_DEPTH) {
			r->rc = err_set(CIH_EUSAGE,
					"exceeded maximum include depth (%d) while including\n\t%s\nfrom\n\t%s\n"
					"This might be due to circular includes.",
					MAX_INCLUDE_DEPTH, buf_cstr(&full), r->path ? r->path : "the command line");
			rc = -1;
		} else {
			struct gconf_origin saved = r->origin;
			const char *saved_path = r->path;

			if (read_file(r, buf_cstr(&full), saved.scope) < 0)
				rc = -1;
			r->origin = saved;
			r->path = saved_path;
		}
		r->depth--;
	}
	buf_dispose(&full);
	return rc;
}

static int reader_entry(struct reader *r, const char *key, const char *value)
{
	int rc = r->fn(r->ctx, key, value, &r->origin);

	if (rc == GCONF_BAD_ENTRY)
		return -1;
	if (rc < 0) {
		r->rc = rc;
		return -1;
	}
	if (r->includes && !strcmp(key, "include.path"))
		return include_path(r, value);
	return 0;
}

static int parser_entry(struct gconf_parser *p, const char *key, const char *value)
{
	return reader_entry(p->ctx, key, value);
}

static int slurp(const char *path, struct buf *out)
{
	char chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return err_set(CIH_ENOTFOUND, "unable to read config file '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(out, chunk, n);
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		return err_set(CIH_ENOTFOUND, "unable to read config file '%s': %s", path, strerror(e));
	}
	fclose(f);
	return out->failed ? CIH_ENOMEM : 0;
}

static int read_file(struct reader *r, const char *path, enum gconf_scope scope)
{
	struct gconf_parser p = { .entry = parser_entry, .ctx = r };
	struct buf content = BUF_INIT;
	int rc;

	if ((rc = slurp(path, &content)) < 0) {
		buf_dispose(&content);
		return rc;
	}
	r->origin = (struct gconf_origin){ "file", path, scope };
	r->path = path;
	rc = gconf_parse(&p, content.ptr ? content.ptr : "", content.len);
	if (rc && r->rc < 0)
		rc = r->rc;
	else if (rc)
		rc = r->rc = err_set(CIH_ECORRUPT, "bad config line %d in file %s", p.linenr, path);
	gconf_parser_dispose(&p);
	buf_dispose(&content);
	return rc;
}

/* config_parse_pair: 0, or -1 with git's error printed (or r->rc set) */
static int param_pair(struct reader *r, const char *key, const char *value)
{
	struct buf canon = BUF_INIT;
	int rc;

	if (!*key)
		return gitcli_error("empty config key");
	if (gconf_key_parse(key, &canon, NULL)) {
		gitcli_error("%s", err_last()->msg);
		buf_dispose(&canon);
		return -1;
	}
	rc = reader_entry(r, buf_cstr(&canon), value);
	buf_dispose(&canon);
	return rc;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* quote.c's sq_dequote_step, in place: the word, *next past it (NULL at the end) */
static char *sq_dequote_step(char *arg, char **next)
{
	char *dst = arg, *src = arg;

	if (*src != '\'')
		return NULL;
	for (;;) {
		char c = *++src;

		if (!c)
			return NULL;
		if (c != '\'') {
			*dst++ = c;
			continue;
		}
		switch (*++src) {
		case '\0':
			*dst = '\0';
			*next = NULL;
			return arg;
		case '\\':
			if ((src[1] == '\'' || src[1] == '!') && src[2] == '\'') {
				*dst++ = src[1];
				src += 2;
				continue;
			}
			/* fallthrough */
		default:
			*dst = '\0';
			*next = src;
			return arg;
		}
	}
}

/* git_config_parse_parameter: an old-style 'key=value' word */
static int param_old_style(struct reader *r, const char *text)
{
	const char *eq = strchr(text, '='), *value = NULL;
	size_t b = 0, e = eq ? (size_t)(eq - text) : strlen(text);
	struct buf key = BUF_INIT;
	int rc;

	if (eq)
		value = eq + 1;
	while (b < e && is_space(text[b]))
		b++;
	while (e > b && is_space(text[e - 1]))
		e--;
	if (b == e)
		return gitcli_error("bogus config parameter: %s", text);
	buf_put(&key, text + b, e - b);
	rc = param_pair(r, buf_cstr(&key), value);
	buf_dispose(&key);
	return rc;
}

static int params_env_list(struct reader *r, char *cur)
{
	static const char bogus[] = "bogus format in GIT_CONFIG_PARAMETERS";

	while (cur && *cur) {
		const char *key = sq_dequote_step(cur, &cur), *value;

		if (!key)
			return gitcli_error(bogus);
		if (!cur || is_space(*cur)) {
			if (param_old_style(r, key) < 0)
				return -1;
		} else if (*cur == '=') {
			cur++;
			if (*cur == '\'') {
				value = sq_dequote_step(cur, &cur);
				if (!value || (cur && !is_space(*cur)))
					return gitcli_error(bogus);
			} else if (!*cur || is_space(*cur)) {
				value = NULL;
			} else {
				return gitcli_error(bogus);
			}
			if (param_pair(r, key, value) < 0)
				return -1;
		} else {
			return gitcli_error(bogus);
		}
		while (cur && is_space(*cur))
			cur++;
	}
	return 0;
}

static int params_count(struct reader *r)
{
	const char *env = getenv("GIT_CONFIG_COUNT");
	unsigned long count;
	char *end, name[64];

	if (!env)
		return 0;
	count = strtoul(env, &end, 10);
	if (*end)
		return gitcli_error("bogus count in GIT_CONFIG_COUNT");
	if (count > INT_MAX)
		return gitcli_error("too many entries in GIT_CONFIG_COUNT");
	for (unsigned long i = 0; i < count; i++) {
		const char *key, *value;

		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%lu", i);
		if (!(key = getenv(name)))
			return gitcli_error("missing config key %s", name);
		snprintf(name, sizeof(name), "GIT_CONFIG_VALUE_%lu", i);
		if (!(value = getenv(name)))
			return gitcli_error("missing config value %s", name);
		if (param_pair(r, key, value) < 0)
			return -1;
	}
	return 0;
}

static int read_params(struct reader *r)
{
	const char *env = getenv("GIT_CONFIG_PARAMETERS");
	char *copy = NULL;
	int rc;

	r->origin = (struct gconf_origin){ "command line", "", GCONF_SCOPE_COMMAND };
	r->path = NULL;
	rc = params_count(r);
	if (!rc && env) {
		if (!(copy = strdup(env)))
			return err_set(CIH_ENOMEM, "out of memory");
		rc = params_env_list(r, copy);
		free(copy);
	}
	if (rc < 0)
		return r->rc < 0 ? r->rc : err_set(CIH_EUSAGE, PARAMS_FAILED);
	return 0;
}

char *gconf_system_path(void)
{
	const char *env = getenv("GIT_CONFIG_SYSTEM");

	return strdup(env ? env : "/etc/gitconfig");
}

static int system_enabled(void)
{
	const char *v = getenv("GIT_CONFIG_NOSYSTEM");

	return !v || gconf_parse_bool(v) <= 0;
}

/* git_global_config: ~/.gitconfig and the XDG file (NULL when not applicable) */
static void global_paths(char **user, char **xdg)
{
	const char *env = getenv("GIT_CONFIG_GLOBAL"), *home = getenv("HOME");
	const char *xdg_home = getenv("XDG_CONFIG_HOME");
	struct buf b = BUF_INIT;

	*user = *xdg = NULL;
	if (env) {
		*user = strdup(env);
		return;
	}
	if (home) {
		buf_printf(&b, "%s/.gitconfig", home);
		*user = b.ptr;
		b = (struct buf)BUF_INIT;
	}
	if (xdg_home && *xdg_home)
		buf_printf(&b, "%s/git/config", xdg_home);
	else if (home)
		buf_printf(&b, "%s/.config/git/config", home);
	*xdg = b.ptr;
}

char *gconf_global_path(void)
{
	char *user, *xdg;

	global_paths(&user, &xdg);
	if (user && xdg && access(user, R_OK) && !access(xdg, R_OK)) {
		free(user);
		return xdg;
	}
	free(xdg);
	return user;
}

int gconf_each_file(const char *path, enum gconf_scope scope, int includes, gconf_each_fn fn, void *ctx)
{
	struct reader r = { .fn = fn, .ctx = ctx, .includes = includes };

	return read_file(&r, path, scope);
}

static int each_sequence(struct reader *r, const char *repo_config, int with_system)
{
	char *sys = gconf_system_path(), *user, *xdg;
	int rc = 0;

	global_paths(&user, &xdg);
	if (with_system && system_enabled() && !access(sys, R_OK))
		rc = read_file(r, sys, GCONF_SCOPE_SYSTEM);
	if (!rc && xdg && !access(xdg, R_OK))
		rc = read_file(r, xdg, GCONF_SCOPE_GLOBAL);
	if (!rc && user && !access(user, R_OK))
		rc = read_file(r, user, GCONF_SCOPE_GLOBAL);
	if (!rc && repo_config && !access(repo_config, R_OK))
		rc = read_file(r, repo_config, GCONF_SCOPE_LOCAL);
	if (!rc)
		rc = read_params(r);
	free(sys);
	free(user);
	free(xdg);
	return rc;
}

int gconf_each(const char *repo_config, int includes, gconf_each_fn fn, void *ctx)
{
	struct reader r = { .fn = fn, .ctx = ctx, .includes = includes };

	return each_sequence(&r, repo_config, 1);
}

static int ignore_entry(void *ctx, const char *key, const char *value, const struct gconf_origin *o)
{
	(void)ctx, (void)key, (void)value, (void)o;
	return 0;
}

int gconf_check_params(void)
{
	struct reader r = { .fn = ignore_entry, .includes = 1 };

	return read_params(&r);
}

static int add_file(git_config *cfg, const char *path, git_config_level_t level, git_repository *repo)
{
	if (!path || access(path, R_OK))
		return 0;
	if (git_config_add_file_ondisk(cfg, path, level, repo, 0) < 0)
		return err_set(CIH_EGIT, "%s", git_error_last()->message);
	return 0;
}

static int params_to_backend(void *ctx, const char *key, const char *value, const struct gconf_origin *o)
{
	(void)o;
	return gconf_backend_add(ctx, key, value);
}

static int add_params(git_config *cfg, git_repository *repo)
{
	struct reader r = { .fn = params_to_backend, .includes = 1 };
	git_config_backend *backend = NULL;
	int rc;

	if ((rc = gconf_backend_new(&backend)) < 0)
		return rc;
	r.ctx = backend;
	if ((rc = read_params(&r)) == 0 && git_config_add_backend(cfg, backend, GIT_CONFIG_LEVEL_APP, repo, 0) < 0)
		rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
	if (rc < 0)
		backend->free(backend);
	return rc;
}

int gconf_open(git_config **out, git_repository *repo)
{
	git_config_level_t write_level = repo ? GIT_CONFIG_LEVEL_LOCAL : GIT_CONFIG_LEVEL_GLOBAL;
	char *sys = system_enabled() ? gconf_system_path() : NULL, *user, *xdg;
	struct buf local = BUF_INIT;
	git_config *cfg = NULL;
	int rc;

	global_paths(&user, &xdg);
	if (repo)
		buf_printf(&local, "%sconfig", git_repository_commondir(repo));
	/* git's parser first, for git's messages about bad files and parameters */
	{
		struct reader r = { .fn = ignore_entry, .includes = 1 };

		if ((rc = each_sequence(&r, repo ? buf_cstr(&local) : NULL, 1)) < 0)
			goto out;
	}
	if (gitcli_libgit2() < 0) {
		rc = err_set(CIH_EGIT, "cannot initialise libgit2");
		goto out;
	}
	if (git_config_new(&cfg) < 0) {
		rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
		goto out;
	}
	rc = add_file(cfg, sys, GIT_CONFIG_LEVEL_SYSTEM, repo);
	if (!rc)
		rc = add_file(cfg, xdg, GIT_CONFIG_LEVEL_XDG, repo);
	if (!rc)
		rc = add_file(cfg, user, GIT_CONFIG_LEVEL_GLOBAL, repo);
	if (!rc && repo) {
		if (git_config_add_file_ondisk(cfg, buf_cstr(&local), GIT_CONFIG_LEVEL_LOCAL, repo, 0) < 0)
			rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
	}
	if (!rc)
		rc = add_params(cfg, repo);
	if (!rc)
		git_config_set_writeorder(cfg, &write_level, 1);
out:
	if (rc < 0)
		git_config_free(cfg);
	else
		*out = cfg;
	free(sys);
	free(user);
	free(xdg);
	buf_dispose(&local);
	return rc;
}

/* safe.directory as git reads it: system, global and command line only */
static int safe_dir_cb(void *ctx, const char *key, const char *value, const struct gconf_origin *o)
{
	const char **state = ctx; /* [0] the path, [1] non-NULL when safe */
	char *expanded;

	(void)o;
	if (strcmp(key, "safe.directory"))
		return 0;
	if (!value || !*value) {
		state[1] = NULL;
	} else if (!strcmp(value, "*")) {
		state[1] = "";
	} else if ((expanded = gconf_expand_path(value))) {
		if (!strcmp(expanded, state[0]))
			state[1] = "";
		free(expanded);
	}
	return 0;
}

int gconf_safe_directory(const char *path, int *safe)
{
	const char *state[2] = { path, NULL };
	struct reader r = { .fn = safe_dir_cb, .ctx = state, .includes = 1 };
	int rc = each_sequence(&r, NULL, 1);

	*safe = state[1] != NULL;
	return rc;
}
