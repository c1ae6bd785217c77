/* `cihelper get-sources`: the runner's get_sources stage (shells/abstract.go
 * writeGetSourcesScript, the bash shell's script) done natively. Every git step
 * runs our git look-alike in a forked child (gitcli_main) with the script's
 * argv and environment; file operations the script does with rm/mkdir/find/
 * chmod/chown are done here. tests/integration/git/lib/runner-script is the
 * executable specification of the step order and the printed lines. */
#ifndef CIH_GET_SOURCES_H
#define CIH_GET_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* A NULL-terminated, growable argument vector (strings owned). */
struct gsrc_argv {
	char **v;
	size_t n, cap;
};

enum gsrc_strategy { GSRC_FETCH, GSRC_CLONE, GSRC_NONE, GSRC_EMPTY };
enum gsrc_subs { GSRC_SUB_NONE, GSRC_SUB_NORMAL, GSRC_SUB_RECURSIVE };

/* Everything the stage needs, resolved from flags and the job environment. */
struct gsrc_opts {
	const char *project_dir; /* CI_PROJECT_DIR */
	const char *tmp_dir;     /* RUNNER_TEMP_PROJECT_DIR, default <project>.tmp */
	const char *builds_dir;  /* CI_BUILDS_DIR (ownership fix), may be NULL */
	const char *repo_url;    /* CI_REPOSITORY_URL, with gitlab-ci-token:<token>@ */
	const char *sha;
	const char *ref; /* git_info.ref */
	const char *token;
	const char *server_url;  /* CI_SERVER_URL without trailing '/' */
	const char *server_host; /* CI_SERVER_HOST */
	const char *ssh_host, *ssh_port;
	const char *correlation_id; /* NULL: no header, no line */
	const char *user_agent;
	const char *tls_ca, *tls_cert, *tls_key; /* CI_SERVER_TLS_*_FILE or NULL */
	struct gsrc_argv refspecs, fetch_flags, clone_flags, clean_flags, sub_paths, sub_update_flags;
	const char **pre_hooks, **post_hooks;
	size_t npre, npost;
	enum gsrc_strategy strategy;
	enum gsrc_subs subs;
	int64_t depth, sub_depth;
	int attempts;
	int64_t backoff_ns; /* first retry wait; doubles up to 5 min; 0: none */
	bool checkout, sub_force_https, lfs_skip_smudge, tokenless, native_clone, proactive_auth;
	bool bundle_uris, clean_git_config, safe_directory;
};

/* URL pieces as Python's urlsplit gives them (what runner-script uses). */
struct gsrc_url {
	char *scheme, *host, *port, *path; /* host lowercased; port "" when absent */
};
int gsrc_url_split(struct gsrc_url *u, const char *url);
void gsrc_url_dispose(struct gsrc_url *u);

int gsrc_argv_push(struct gsrc_argv *a, const char *s);
int gsrc_argv_pushf(struct gsrc_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gsrc_argv_append(struct gsrc_argv *a, const struct gsrc_argv *more);
/* Whitespace-split words of s appended (nothing for NULL). */
int gsrc_argv_split(struct gsrc_argv *a, const char *s);
void gsrc_argv_dispose(struct gsrc_argv *a);

/* Lines as the script echoes them, on stdout: notice (bold green), warning
 * (yellow), printf (reset prefix). */
void gsrc_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gsrc_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gsrc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* How a child's standard streams are set up. */
enum gsrc_io {
	GSRC_IO_PASS,  /* stdin /dev/null, stdout/stderr inherited (the script's `< /dev/null`) */
	GSRC_IO_QUIET, /* everything to /dev/null (`>/dev/null 2>&1`) */
};
/* Runs `git <argv...>` (argv without "git") in a forked child calling
 * gitcli_main; stdin_data (may be NULL) is fed on stdin. Returns the exit status
 * (0..255), or a negative CIH_E* when the child could not be started. */
int gsrc_git(const struct gsrc_argv *argv, enum gsrc_io io, const char *stdin_data);
/* gsrc_git with the arguments listed, NULL-terminated. */
int gsrc_gitl(enum gsrc_io io, const char *arg, ...) __attribute__((sentinel));
/* /bin/sh -c cmd, for the pre/post hooks; exit status like gsrc_git. */
int gsrc_shell(const char *cmd);

/* rm -f; RmDir (chmod -R u+rwX, rm -rf); find DIR -name NAME -type f|d -exec rm.
 * Each returns 0, or 1 after printing what rm would on failure. */
int gsrc_rm_file(const char *path);
int gsrc_rm_dir(const char *path);
int gsrc_rm_named(const char *dir, const char *pattern, bool dirs);
int gsrc_mkdir(const char *path);
/* chown -R to the owner of <builds>/.gitlab-build-uid-gid when it exists. */
int gsrc_fix_ownership(const char *builds_dir);

/* One get_sources attempt / the clear_worktree stage: the script's exit status. */
int gsrc_get_sources(const struct gsrc_opts *o);
int gsrc_clear_worktree(const struct gsrc_opts *o);
/* Step 8, GIT_SUBMODULE_STRATEGY normal/recursive, with ext the ext config path. */
int gsrc_submodules(const struct gsrc_opts *o, const char *ext);

#endif
