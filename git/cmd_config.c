/* git config (git 2.39 builtin/config.c): options, actions and exit statuses as
 * git's; reading through gconf_each*, writing through gconf_set_in_file. */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "cmd_config.h"
#include "gconf.h"
#include "gconf_parse.h"
#include "gitcli.h"

static const char usage_text[] =
	"usage: git config [<options>]\n"
	"\n"
	"Config file location\n"
	"    --global              use global config file\n"
	"    --system              use system config file\n"
	"    --local               use repository config file\n"
	"    --worktree            use per-worktree config file\n"
	"    -f, --file <file>     use given config file\n"
	"    --blob <blob-id>      read config from given blob object\n"
	"\n"
	"Action\n"
	"    --get                 get value: name [value-pattern]\n"
	"    --get-all             get all values: key [value-pattern]\n"
	"    --get-regexp          get values for regexp: name-regex [value-pattern]\n"
	"    --get-urlmatch        get value specific for the URL: section[.var] URL\n"
	"    --replace-all         replace all matching variables: name value [value-pattern]\n"
	"    --add                 add a new variable: name value\n"
	"    --unset               remove a variable: name [value-pattern]\n"
	"    --unset-all           remove all matches: name [value-pattern]\n"
	"    --rename-section      rename section: old-name new-name\n"
	"    --remove-section      remove a section: name\n"
	"    -l, --list            list all\n"
	"    --fixed-value         use string equality when comparing values to 'value-pattern'\n"
	"    -e, --edit            open an editor\n"
	"    --get-color           find the color configured: slot [default]\n"
	"    --get-colorbool       find the color setting: slot [stdout-is-tty]\n"
	"\n"
	"Type\n"
	"    -t, --type <type>     value is given this type\n"
	"    --bool                value is \"true\" or \"false\"\n"
	"    --int                 value is decimal number\n"
	"    --bool-or-int         value is --bool or --int\n"
	"    --bool-or-str         value is --bool or string\n"
	"    --path                value is a path (file or directory name)\n"
	"    --expiry-date         value is an expiry date\n"
	"\n"
	"Other\n"
	"    -z, --null            terminate values with NUL byte\n"
	"    --name-only           show variable names only\n"
	"    --includes            respect include directives on lookup\n"
	"    --show-origin         show origin of config (file, standard input, blob, command line)\n"
	"    --show-scope          show scope of config (worktree, local, global, system, command)\n"
	"    --default <value>     with --get, use default value when missing entry\n"
	"\n"
	;

enum {
	A_GET = 1 << 0, A_GET_ALL = 1 << 1, A_GET_REGEXP = 1 << 2, A_GET_URLMATCH = 1 << 3,
	A_REPLACE_ALL = 1 << 4, A_ADD = 1 << 5, A_UNSET = 1 << 6, A_UNSET_ALL = 1 << 7,
	A_RENAME_SECTION = 1 << 8, A_REMOVE_SECTION = 1 << 9, A_LIST = 1 << 10,
	A_EDIT = 1 << 11, A_GET_COLOR = 1 << 12, A_GET_COLORBOOL = 1 << 13,
	A_SET = 1 << 14, A_SET_ALL = 1 << 15,
};
/* actions we leave to real git */
#define A_UNSUPPORTED (A_GET_URLMATCH | A_RENAME_SECTION | A_REMOVE_SECTION | A_EDIT | A_GET_COLOR | A_GET_COLORBOOL)

struct parsed {
	int global, system, local, worktree, includes, show_origin, show_scope, name_only, end_nul;
	int fixed_value;
	unsigned actions;
	int type;
	const char *file, *blob, *default_value;
};

enum kind { K_BOOL, K_BIT, K_STRING, K_TYPE, K_TYPE_ARG };

struct opt {
	char short_name;
	const char *name;
	enum kind kind;
	size_t off; /* into struct parsed */
	int value;  /* the bit, or the type */
};

#define OFF(f) offsetof(struct parsed, f)
static const struct opt opts[] = {
	{ 0, "global", K_BOOL, OFF(global), 0 },
	{ 0, "system", K_BOOL, OFF(system), 0 },
	{ 0, "local", K_BOOL, OFF(local), 0 },
	{ 0, "worktree", K_BOOL, OFF(worktree), 0 },
	{ 'f', "file", K_STRING, OFF(file), 0 },
	{ 0, "blob", K_STRING, OFF(blob), 0 },
	{ 0, "get", K_BIT, OFF(actions), A_GET },
	{ 0, "get-all", K_BIT, OFF(actions), A_GET_ALL },
	{ 0, "get-regexp", K_BIT, OFF(actions), A_GET_REGEXP },
	{ 0, "get-urlmatch", K_BIT, OFF(actions), A_GET_URLMATCH },
	{ 0, "replace-all", K_BIT, OFF(actions), A_REPLACE_ALL },
	{ 0, "add", K_BIT, OFF(actions), A_ADD },
	{ 0, "unset", K_BIT, OFF(actions), A_UNSET },
	{ 0, "unset-all", K_BIT, OFF(actions), A_UNSET_ALL },
	{ 0, "rename-section", K_BIT, OFF(actions), A_RENAME_SECTION },
	{ 0, "remove-section", K_BIT, OFF(actions), A_REMOVE_SECTION },
	{ 'l', "list", K_BIT, OFF(actions), A_LIST },
	{ 0, "fixed-value", K_BOOL, OFF(fixed_value), 0 },
	{ 'e', "edit", K_BIT, OFF(actions), A_EDIT },
	{ 0, "get-color", K_BIT, OFF(actions), A_GET_COLOR },
	{ 0, "get-colorbool", K_BIT, OFF(actions), A_GET_COLORBOOL },
	{ 't', "type", K_TYPE_ARG, OFF(type), 0 },
	{ 0, "bool", K_TYPE, OFF(type), T_BOOL },
	{ 0, "int", K_TYPE, OFF(type), T_INT },
	{ 0, "bool-or-int", K_TYPE, OFF(type), T_BOOL_OR_INT },
	{ 0, "bool-or-str", K_TYPE, OFF(type), T_BOOL_OR_STR },
	{ 0, "path", K_TYPE, OFF(type), T_PATH },
	{ 0, "expiry-date", K_TYPE, OFF(type), 100 },
	{ 'z', "null", K_BOOL, OFF(end_nul), 0 },
	{ 0, "name-only", K_BOOL, OFF(name_only), 0 },
	{ 0, "includes", K_BOOL, OFF(includes), 0 },
	{ 0, "show-origin", K_BOOL, OFF(show_origin), 0 },
	{ 0, "show-scope", K_BOOL, OFF(show_scope), 0 },
	{ 0, "default", K_STRING, OFF(default_value), 0 },
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (fmt) {
		va_start(ap, fmt);
		fputs("error: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	fputs(usage_text, stderr);
	return 129;
}

/* parse-options: a bad option value is reported without the usage */
static int value_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int value_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	fputs("error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 129;
}

static int set_type(struct parsed *p, int t)
{
	if (p->type && p->type != t) {
		fflush(stdout);
		fputs("error: only one type at a time\n", stderr);
		return usage_error(NULL);
	}
	p->type = t;
	return 0;
}

static int type_arg(struct parsed *p, const char *arg)
{
	static const char *const names[] = { "bool", "int", "bool-or-int", "path", "bool-or-str" };
	static const int types[] = { T_BOOL, T_INT, T_BOOL_OR_INT, T_PATH, T_BOOL_OR_STR };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(arg, names[i]))
			return set_type(p, types[i]);
	if (!strcmp(arg, "expiry-date") || !strcmp(arg, "color"))
		return set_type(p, 100);
	return gitcli_fatal("unrecognized --type argument, %s", arg);
}

/* One option (o) with its value if it takes one: 0 or an exit status. */
static int apply(struct parsed *p, const struct opt *o, int unset, const char *arg)
{
	char *field = (char *)p + o->off;

	switch (o->kind) {
	case K_BOOL:
		*(int *)field = !unset;
		break;
	case K_BIT:
		if (unset)
			p->actions &= ~(unsigned)o->value;
		else
			p->actions |= (unsigned)o->value;
		break;
	case K_STRING:
		*(const char **)field = unset ? NULL : arg;
		break;
	case K_TYPE:
		if (unset)
			p->type = 0;
		else
			return set_type(p, o->value);
		break;
	case K_TYPE_ARG:
		if (unset)
			p->type = 0;
		else
			return type_arg(p, arg);
		break;
	}
	return 0;
}

static int takes_arg(const struct opt *o)
{
	return o->kind == K_STRING || o->kind == K_TYPE_ARG;
}

static int parse_long(struct parsed *p, int argc, char **argv, int *i)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	int unset = 0;

	if (n > 3 && !strncmp(a, "no-", 3)) {
		unset = 1;
		a += 3;
		n -= 3;
	}
	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		const struct opt *o = &opts[k];

		if (strlen(o->name) != n || strncmp(o->name, a, n))
			continue;
		if (unset && o->kind == K_TYPE)
			return usage_error("unknown option `%s'", argv[*i] + 2);
		if (eq && (unset || !takes_arg(o)))
			return value_error("option `%s' takes no value", o->name);
		if (!unset && takes_arg(o) && !eq) {
			if (*i + 1 >= argc)
				return value_error("option `%s' requires a value", o->name);
			return apply(p, o, 0, argv[++*i]);
		}
		return apply(p, o, unset, eq ? eq + 1 : NULL);
	}
	return usage_error("unknown option `%s'", argv[*i] + 2);
}

static int parse_short(struct parsed *p, int argc, char **argv, int *i)
{
	for (const char *s = argv[*i] + 1; *s; s++) {
		const struct opt *o = NULL;
		char name[2] = { *s, '\0' };
		int rc;

		if (*s == 'h') {
			fputs(usage_text, stdout);
			return 129;
		}
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (opts[k].short_name == *s)
				o = &opts[k];
		if (!o)
			return usage_error("unknown switch `%s'", name);
		if (!takes_arg(o)) {
			if ((rc = apply(p, o, 0, NULL)))
				return rc;
			continue;
		}
		if (s[1])
			return apply(p, o, 0, s + 1);
		if (*i + 1 >= argc)
			return value_error("switch `%s' requires a value", name);
		return apply(p, o, 0, argv[++*i]);
	}
	return 0;
}

/* parse-options with PARSE_OPT_STOP_AT_NON_OPTION; *first: the first argument */
static int parse_args(struct parsed *p, int argc, char **argv, int *first)
{
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 129;
		}
		rc = a[1] == '-' ? parse_long(p, argc, argv, &i) : parse_short(p, argc, argv, &i);
		if (rc)
			return rc;
	}
	*first = i;
	return 0;
}

static int check_argc(int argc, int min, int max)
{
	char msg[96];

	if (argc >= min && argc <= max)
		return 0;
	if (min == max)
		snprintf(msg, sizeof(msg), "wrong number of arguments, should be %d", min);
	else
		snprintf(msg, sizeof(msg), "wrong number of arguments, should be from %d to %d", min, max);
	return usage_error("%s", msg);
}

/* Like git's setup: finds the repository and, from inside its work tree, moves
 * to the top of it; *prefix is where we were (with a trailing '/', "" at the
 * top). Returns the repository's config file as git names it then (".git/config"
 * when discovered), NULL outside a repository. */
static char *setup_repo(struct buf *prefix)
{
	git_repository *repo = NULL;
	const char *common, *workdir;
	struct buf b = BUF_INIT;
	char cwd[PATH_MAX];
	size_t n;

	if (gconf_repo_find(&repo, NULL) < 0)
		return NULL;
	common = git_repository_commondir(repo);
	workdir = git_repository_workdir(repo);
	if (workdir && !getenv("GIT_DIR") && getcwd(cwd, sizeof(cwd)) && (n = strlen(workdir)) &&
	    !strncmp(cwd, workdir, n - 1) && (cwd[n - 1] == '/' || !cwd[n - 1]) &&
	    chdir(workdir) == 0) {
		if (cwd[n - 1])
			buf_printf(prefix, "%s/", cwd + n);
		if (!strncmp(common, workdir, n) && !strcmp(common + n, ".git/"))
			buf_puts(&b, ".git/config");
	}
	if (!b.len)
		buf_printf(&b, "%sconfig", common);
	git_repository_free(repo);
	return b.ptr;
}

/* Once the key is valid, git's write path reads the command-line config. */
static int check_params(const char *key)
{
	struct buf canon = BUF_INIT;
	int bad = gconf_key_parse(key, &canon, NULL);

	buf_dispose(&canon);
	if (!bad && gconf_check_params() < 0)
		return gitcli_fatal("%s", err_last()->msg);
	return 0;
}

static int write_action(const struct parsed *p, const struct cfg_opts *o, int argc, char **argv)
{
	const char *file = o->file ? o->file : o->repo_config;
	char *value = NULL;
	int rc;

	if (!file)
		return gitcli_fatal("not in a git directory");
	switch (p->actions) {
	case A_SET:
	case A_SET_ALL:
	case A_ADD:
	case A_REPLACE_ALL:
		if ((rc = check_argc(argc, 2, p->actions == A_SET || p->actions == A_ADD ? 2 : 3)))
			return rc;
		if (!(value = cfg_normalize(o, argv[0], argv[1])))
			return 128;
		if ((rc = check_params(argv[0]))) {
			free(value);
			return rc;
		}
		if (p->actions == A_SET) {
			rc = gconf_set_in_file(file, argv[0], value, NULL, 0);
			if (rc == GCONF_NOTHING_SET)
				gitcli_error("cannot overwrite multiple values with a single value\n"
					     "       Use a regexp, --add or --replace-all to change %s.", argv[0]);
		} else {
			rc = gconf_set_in_file(file, argv[0], value,
					       p->actions == A_ADD ? GCONF_REGEX_NONE : argv[2],
					       p->actions == A_REPLACE_ALL);
		}
		free(value);
		return rc;
	default: /* A_UNSET, A_UNSET_ALL */
		if ((rc = check_argc(argc, 1, 2)) || (rc = check_params(argv[0])))
			return rc;
		return gconf_set_in_file(file, argv[0], NULL, argc == 2 ? argv[1] : NULL,
					 p->actions == A_UNSET_ALL);
	}
}

/* The checks of cmd_config, in git's order: 0 or an exit status. */
static int check_usage(struct parsed *p, int argc, int nongit)
{
	if (p->global + p->system + p->local + p->worktree + !!p->file + !!p->blob > 1)
		return usage_error("only one config file at a time");
	if (nongit && p->local)
		return gitcli_fatal("--local can only be used inside a git repository");
	if (p->blob || p->worktree)
		return gitcli_unsupported("config %s", p->blob ? "--blob" : "--worktree");
	if (p->file && !strcmp(p->file, "-"))
		return gitcli_unsupported("config --file -");
	if ((p->actions & (A_GET_COLOR | A_GET_COLORBOOL)) && p->type)
		return usage_error("--get-color and variable type are incoherent");
	if (p->actions & (p->actions - 1))
		return usage_error("only one action at a time");
	if (!p->actions) {
		if (argc < 1 || argc > 3)
			return usage_error(NULL);
		p->actions = argc == 1 ? A_GET : argc == 2 ? A_SET : A_SET_ALL;
	}
	if (p->name_only && p->actions != A_LIST && p->actions != A_GET_REGEXP)
		return usage_error("--name-only is only applicable to --list or --get-regexp");
	if (p->show_origin && !(p->actions & (A_GET | A_GET_ALL | A_GET_REGEXP | A_LIST)))
		return usage_error("--show-origin is only applicable to --get, --get-all, "
				   "--get-regexp, and --list");
	if (p->default_value && !(p->actions & A_GET))
		return usage_error("--default is only applicable to --get");
	if (p->actions & A_UNSUPPORTED)
		return gitcli_unsupported("config (this action)");
	if (p->fixed_value)
		return gitcli_unsupported("config --fixed-value");
	if (p->type == 100)
		return gitcli_unsupported("config --type=expiry-date|color");
	return 0;
}

static int resolve_file(struct parsed *p, struct cfg_opts *o, const char *prefix, char **owned)
{
	if (p->global) {
		if (!(*owned = gconf_global_path()))
			return gitcli_fatal("$HOME not set");
		o->scope = GCONF_SCOPE_GLOBAL;
	} else if (p->system) {
		*owned = gconf_system_path();
		o->scope = GCONF_SCOPE_SYSTEM;
	} else if (p->local) {
		*owned = o->repo_config ? strdup(o->repo_config) : NULL;
		o->scope = GCONF_SCOPE_LOCAL;
	} else if (p->file) {
		o->scope = GCONF_SCOPE_COMMAND;
		if (p->file[0] != '/' && *prefix) {
			struct buf b = BUF_INIT;

			buf_printf(&b, "%s%s", prefix, p->file);
			*owned = b.ptr;
		} else {
			o->file = p->file;
			return 0;
		}
	}
	if (*owned)
		o->file = *owned;
	return 0;
}

int gcmd_config(int argc, char **argv)
{
	struct parsed p = { .includes = -1, .file = getenv("GIT_CONFIG") };
	struct cfg_opts o = { 0 };
	char *repo_config = NULL, *owned = NULL;
	struct buf prefix = BUF_INIT;
	int first = 1, rc;

	if ((rc = parse_args(&p, argc, argv, &first)))
		return rc;
	argc -= first;
	argv += first;
	o.repo_config = repo_config = setup_repo(&prefix);
	if ((rc = check_usage(&p, argc, !repo_config)) ||
	    (rc = resolve_file(&p, &o, buf_cstr(&prefix), &owned)))
		goto out;
	/* the pager setup of git's listing actions reads the command-line config */
	if ((p.actions & (A_LIST | A_GET_ALL | A_GET_REGEXP)) && gconf_check_params() < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	o.includes = p.includes >= 0 ? p.includes : !o.file;
	o.show_origin = p.show_origin;
	o.show_scope = p.show_scope;
	o.name_only = p.name_only;
	o.end_nul = p.end_nul;
	o.type = p.type;
	o.default_value = p.default_value;
	if (p.actions == A_LIST)
		rc = check_argc(argc, 0, 0) ? 129 : cfg_list(&o);
	else if (p.actions & (A_GET | A_GET_ALL | A_GET_REGEXP))
		rc = check_argc(argc, 1, 2) ? 129
					    : cfg_get(&o, argv[0], argc > 1 ? argv[1] : NULL,
						      p.actions != A_GET, p.actions == A_GET_REGEXP);
	else
		rc = write_action(&p, &o, argc, argv);
out:
	fflush(stdout);
	free(repo_config);
	free(owned);
	buf_dispose(&prefix);
	return rc;
}
