/* git configuration as git reads and layers it, on libgit2's config objects.
 *
 * The stack, lowest priority first: the system file ($GIT_CONFIG_SYSTEM, else /etc/gitconfig;
 * none with GIT_CONFIG_NOSYSTEM), global ($GIT_CONFIG_GLOBAL, else
 * $XDG_CONFIG_HOME/git/config or ~/.config/git/config, then ~/.gitconfig), the
 * repository's config, then the command's parameters: GIT_CONFIG_COUNT/GIT_CONFIG_KEY_<n>/
 * GIT_CONFIG_VALUE_<n> and GIT_CONFIG_PARAMETERS from the environment (this process's
 * -c options are appended to the latter). include.path (relative to the including
 * file) is honoured at every level, -c include.path=X included.
 *
 * Like git, the readers print git's "error: ..." lines as they meet a bad parameter
 * or file and leave what git dies with as the message ("unable to parse
 * command-line config", "bad config line 3 in file x"). */
#ifndef CIH_GIT_GCONF_H
#define CIH_GIT_GCONF_H

#include <stdint.h>

#include <git2.h>

/* One -c KEY=VALUE of this process (KEY alone means true), appended to
 * GIT_CONFIG_PARAMETERS as git >= 2.31 encodes it ('key'='value'), so this process
 * and its children see it. Like git, validated only when the config is read. */
int gconf_param_add(const char *kv);

/* Reads the command-line parameters (and what they include) only: 0, or < 0 after
 * git's error lines, with what git dies with as the message. */
int gconf_check_params(void);

/* The stack above; repo may be NULL (no repository config). */
int gconf_open(git_config **out, git_repository *repo);

/* Opens the repository git would use (path NULL: $GIT_DIR, $GIT_WORK_TREE, else
 * discovery from the cwd), checks its ownership as git does (safe.directory from
 * the system, global and command-line config) and attaches the stack above as its
 * config. CIH_ENOTFOUND when there is none ("not a git repository ..."),
 * CIH_EUNSAFE with git's "detected dubious ownership ..." text (the lines after
 * "fatal: "). */
int gconf_repo_open(git_repository **out, const char *path);
/* The same without attaching a config (libgit2 reads the repository's own). */
int gconf_repo_find(git_repository **out, const char *path);

/* Whether safe.directory (system, global and command-line config, as git reads
 * it) lets a repository at path that is not ours be used. */
int gconf_safe_directory(const char *path, int *safe);

/* --- reading as `git config` does --- */

enum gconf_scope {
	GCONF_SCOPE_SYSTEM = 1,
	GCONF_SCOPE_GLOBAL,
	GCONF_SCOPE_LOCAL,
	GCONF_SCOPE_COMMAND,
};

struct gconf_origin {
	const char *type; /* "file" or "command line" */
	const char *name; /* the file's path as read, "" for the command line */
	enum gconf_scope scope;
};

/* Called for each entry in order (canonical key; value NULL for "key" alone). A
 * negative return stops the walk and is returned; GCONF_BAD_ENTRY fails the
 * entry as git fails a line its callback refused ("bad config line N in file F",
 * "unable to parse command-line config"). */
#define GCONF_BAD_ENTRY (-2000)
typedef int (*gconf_each_fn)(void *ctx, const char *key, const char *value, const struct gconf_origin *o);

/* One file (--file, --global, ...): CIH_ENOTFOUND (errno kept) when it cannot be
 * read; CIH_ECORRUPT for a syntax error. includes: follow include.path. */
int gconf_each_file(const char *path, enum gconf_scope scope, int includes, gconf_each_fn fn, void *ctx);
/* The whole sequence: system, global, repo_config (may be NULL), parameters. */
int gconf_each(const char *repo_config, int includes, gconf_each_fn fn, void *ctx);
/* Where `git config --global` reads and writes: ~/.gitconfig unless only the XDG
 * file exists, or $GIT_CONFIG_GLOBAL. malloc'd; NULL when $HOME is unset. */
char *gconf_global_path(void);
/* $GIT_CONFIG_SYSTEM or /etc/gitconfig, malloc'd. */
char *gconf_system_path(void);
/* ~/ and ~user/ expanded (git's interpolate_path); malloc'd, NULL when it cannot. */
char *gconf_expand_path(const char *path);

/* --- writing as `git config` does (gconf_write.c) --- */

#define GCONF_REGEX_NONE ((const char *)1)
/* git_config_set_multivar_in_file_gently: value NULL unsets; value_pattern NULL
 * matches every value, GCONF_REGEX_NONE none (--add), else an ERE ("!re" negates);
 * multi_replace: every match is replaced (or unset) instead of at most one. Prints
 * git's warnings and errors; returns git config's exit status (0 or GCONF_* of
 * gconf_parse.h, 128 when git would die). */
int gconf_set_in_file(const char *file, const char *key, const char *value,
		      const char *value_pattern, int multi_replace);

#endif
