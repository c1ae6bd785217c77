/* get-sources: the runner's get_sources stage, natively (helper/get_sources.h).
 * Inputs are the job's variables (each flag has its environment alias), parsed
 * as the runner does (common/build_settings.go: empty means the default,
 * "none" an empty flag list, a bad value the default with a warning). Up to
 * GET_SOURCES_ATTEMPTS attempts, clear_worktree before the second one, with the
 * runner's exponential backoff (5 s doubling to 5 min) in between. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../git/fsutil.h"
#include "app.h"
#include "buf.h"
#include "error.h"
#include "flags.h"
#include "get_sources.h"
#include "log.h"
#include "version.h"

#define BACKOFF_MAX_NS (300LL * 1000000000LL)

struct raw {
	const char *project_dir, *tmp_dir, *builds_dir, *repo_url, *sha, *ref, *strategy, *depth, *checkout;
	const char *clean_flags, *fetch_flags, *clone_flags, *subs, *sub_depth, *sub_paths, *sub_update_flags;
	const char *sub_force_https, *attempts, *correlation_id;
	struct flag_list refspecs, pre, post;
	bool clean_git_config, safe_directory;
	int64_t backoff;
};

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static bool var_bool(const char *name, const char *raw, bool def)
{
	bool b;

	if (!raw || !*raw)
		return def;
	if (flags_parse_bool(&b, raw) < 0) {
		log_warn("%s: expected bool got \"%s\", using default value: %s", name, raw, def ? "true" : "false");
		return def;
	}
	return b;
}

static int64_t var_int(const char *name, const char *raw, int64_t def)
{
	char *end;
	long long v;

	if (!raw || !*raw)
		return def;
	v = strtoll(raw, &end, 10);
	if (*end || end == raw) {
		log_warn("%s: expected int got \"%s\", using default value: %lld", name, raw, (long long)def);
		return def;
	}
	return v;
}

/* cmdFlags: empty → the default, "none" → nothing, else the words */
static int var_flags(struct gsrc_argv *out, const char *raw, const char *def)
{
	if (!raw || !*raw)
		raw = def;
	if (!raw || !strcmp(raw, "none"))
		return 0;
	return gsrc_argv_split(out, raw);
}

static bool ff(const char *name, bool def)
{
	return var_bool(name, getenv(name), def);
}

static const char *user_agent(struct buf *b)
{
	const char *arch = env("CI_RUNNER_EXECUTABLE_ARCH");

	buf_printf(b, "gitlab-runner %s ", env("CI_RUNNER_VERSION") ? env("CI_RUNNER_VERSION") : version_get()->version);
	if (arch)
		buf_puts(b, arch);
	else
		buf_printf(b, "linux/%s", version_get()->arch);
	return buf_cstr(b);
}

/* GitLab's refspecs for the pipeline (§A6) when none were given */
static int derive_refspecs(struct gsrc_opts *o)
{
	const char *pid = env("CI_PIPELINE_ID"), *tag = env("CI_COMMIT_TAG");
	int rc = 0;

	if (pid)
		rc |= gsrc_argv_pushf(&o->refspecs, "+refs/pipelines/%s:refs/pipelines/%s", pid, pid);
	if (o->depth > 0 && tag)
		rc |= gsrc_argv_pushf(&o->refspecs, "+refs/tags/%s:refs/tags/%s", tag, tag);
	else if (o->depth > 0 && *o->ref && strncmp(o->ref, "refs/", 5))
		rc |= gsrc_argv_pushf(&o->refspecs, "+refs/heads/%s:refs/remotes/origin/%s", o->ref, o->ref);
	else if (o->depth <= 0) {
		rc |= gsrc_argv_push(&o->refspecs, "+refs/heads/*:refs/remotes/origin/*");
		rc |= gsrc_argv_push(&o->refspecs, "+refs/tags/*:refs/tags/*");
	}
	return rc ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

static int resolve(struct gsrc_opts *o, struct raw *r, struct buf *tmp, struct buf *ua)
{
	const char *s;
	int rc = 0;

	if (!r->project_dir || r->project_dir[0] != '/')
		return err_set(CIH_EUSAGE, "the project dir (--project-dir, $CI_PROJECT_DIR) must be an absolute path");
	if (!r->repo_url || !strstr(r->repo_url, "://"))
		return err_set(CIH_EUSAGE, "the repository URL (--repository-url, $CI_REPOSITORY_URL) is missing or not a URL");
	if (!r->sha || !*r->sha)
		return err_set(CIH_EUSAGE, "the commit (--sha, $CI_COMMIT_SHA) is missing");
	o->project_dir = r->project_dir;
	if (r->tmp_dir && *r->tmp_dir) {
		o->tmp_dir = r->tmp_dir;
	} else {
		buf_printf(tmp, "%s.tmp", r->project_dir);
		o->tmp_dir = buf_cstr(tmp);
	}
	o->builds_dir = r->builds_dir;
	o->repo_url = r->repo_url;
	o->sha = r->sha;
	o->ref = r->ref ? r->ref : env("CI_COMMIT_REF_NAME") ? env("CI_COMMIT_REF_NAME") : "";
	o->token = getenv("CI_JOB_TOKEN");
	o->server_url = env("CI_SERVER_URL");
	o->server_host = env("CI_SERVER_HOST");
	o->ssh_host = env("CI_SERVER_SHELL_SSH_HOST");
	o->ssh_port = env("CI_SERVER_SHELL_SSH_PORT");
	o->tls_ca = env("CI_SERVER_TLS_CA_FILE");
	o->tls_cert = env("CI_SERVER_TLS_CERT_FILE");
	o->tls_key = env("CI_SERVER_TLS_KEY_FILE");

	s = r->strategy && *r->strategy ? r->strategy : "fetch";
	if (!strcmp(s, "fetch")) {
		o->strategy = GSRC_FETCH;
	} else if (!strcmp(s, "clone")) {
		o->strategy = GSRC_CLONE;
	} else if (!strcmp(s, "none")) {
		o->strategy = GSRC_NONE;
	} else if (!strcmp(s, "empty")) {
		o->strategy = GSRC_EMPTY;
	} else {
		log_warn("GIT_STRATEGY: expected either 'clone', 'fetch', 'none' or 'empty' got \"%s\", using default value 'fetch'", s);
		o->strategy = GSRC_FETCH;
	}
	s = r->subs && *r->subs ? r->subs : "none";
	if (!strcmp(s, "none"))
		o->subs = GSRC_SUB_NONE;
	else if (!strcmp(s, "normal"))
		o->subs = GSRC_SUB_NORMAL;
	else if (!strcmp(s, "recursive"))
		o->subs = GSRC_SUB_RECURSIVE;
	else
		return err_set(CIH_EUSAGE, "GIT_SUBMODULE_STRATEGY: expected either 'normal', 'recursive' or 'none' got \"%s\"", s);
	if (o->strategy == GSRC_NONE || o->strategy == GSRC_EMPTY)
		o->subs = GSRC_SUB_NONE;
	o->depth = var_int("GIT_DEPTH", r->depth, 0);
	o->sub_depth = var_int("GIT_SUBMODULE_DEPTH", r->sub_depth, o->depth);
	o->checkout = var_bool("GIT_CHECKOUT", r->checkout, true);
	o->sub_force_https = var_bool("GIT_SUBMODULE_FORCE_HTTPS", r->sub_force_https, false);
	o->lfs_skip_smudge = var_bool("GIT_LFS_SKIP_SMUDGE", getenv("GIT_LFS_SKIP_SMUDGE"), false);
	o->attempts = (int)var_int("GET_SOURCES_ATTEMPTS", r->attempts, 1);
	if (o->attempts < 1 || o->attempts > 10) {
		int c = o->attempts < 1 ? 1 : 10;

		log_warn("GET_SOURCES_ATTEMPTS: number of attempts out of the range [1, 10], clamping to: %d", c);
		o->attempts = c;
	}
	rc |= var_flags(&o->clean_flags, r->clean_flags, "-ffdx");
	rc |= var_flags(&o->fetch_flags, r->fetch_flags, "--prune --quiet");
	rc |= var_flags(&o->clone_flags, r->clone_flags, NULL);
	rc |= var_flags(&o->sub_update_flags, r->sub_update_flags, NULL);
	rc |= gsrc_argv_split(&o->sub_paths, r->sub_paths);
	for (size_t i = 0; i < r->refspecs.n; i++)
		rc |= gsrc_argv_split(&o->refspecs, r->refspecs.v[i]);
	if (rc)
		return CIH_ENOMEM;
	for (size_t i = 0; i < o->sub_paths.n; i++)
		if (!strcmp(o->sub_paths.v[i], ":(exclude)"))
			return err_set(CIH_EUSAGE, "GIT_SUBMODULE_PATHS: invalid submodule pathspec \":(exclude)\": "
						   "write the excluded path right after it, e.g. \":(exclude)path\"");
	if (!o->refspecs.n && (rc = derive_refspecs(o)) < 0)
		return rc;

	o->tokenless = ff("FF_GIT_URLS_WITHOUT_TOKENS", false);
	o->native_clone = ff("FF_USE_GIT_NATIVE_CLONE", false);
	o->bundle_uris = ff("FF_USE_GIT_BUNDLE_URIS", true);
	o->proactive_auth = ff("FF_USE_GIT_PROACTIVE_AUTH", false);
	o->correlation_id = ff("FF_USE_GITALY_CORRELATION_ID", true) && r->correlation_id && *r->correlation_id
				    ? r->correlation_id
				    : NULL;
	o->backoff_ns = ff("FF_USE_EXPONENTIAL_BACKOFF_STAGE_RETRY", true) ? r->backoff : 0;
	o->clean_git_config = r->clean_git_config && o->strategy != GSRC_NONE;
	o->safe_directory = r->safe_directory;
	o->user_agent = user_agent(ua);
	o->pre_hooks = r->pre.v;
	o->npre = r->pre.n;
	o->post_hooks = r->post.v;
	o->npost = r->post.n;
	return 0;
}

/* Without a `git` on PATH (an image with no git), the commands the stage hands
 * to a shell (submodule foreach) would find none: a private dir with `git` →
 * this binary goes first on PATH then. */
static int provide_git(struct buf *dir)
{
	const char *path = getenv("PATH"), *p = path, *tmp = getenv("TMPDIR");
	char self[PATH_MAX], link[PATH_MAX + 8];
	struct buf np = BUF_INIT;
	ssize_t n;

	while (p && *p) {
		size_t len = strcspn(p, ":");
		char cand[PATH_MAX];

		snprintf(cand, sizeof(cand), "%.*s/git", (int)len, len ? p : ".");
		if (access(cand, X_OK) == 0)
			return 0;
		p += len + (p[len] == ':');
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return 0;
	self[n] = '\0';
	buf_printf(dir, "%s/cihelper-git-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (dir->failed || !mkdtemp(dir->ptr)) {
		buf_clear(dir);
		return 0;
	}
	snprintf(link, sizeof(link), "%s/git", dir->ptr);
	if (symlink(self, link) < 0) {
		gfs_remove_tree(dir->ptr);
		buf_clear(dir);
		return 0;
	}
	buf_printf(&np, "%s%s%s", dir->ptr, path ? ":" : "", path ? path : "");
	setenv("PATH", buf_cstr(&np), 1);
	buf_dispose(&np);
	return 0;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static int run_attempts(const struct gsrc_opts *o)
{
	char cwd[PATH_MAX];
	int64_t wait = o->backoff_ns;
	int rc = 1;

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	for (int a = 1; a <= o->attempts; a++) {
		if (a == 2) {
			/* clear_worktree: its own stage; a failure fails this attempt */
			int c = gsrc_clear_worktree(o);

			if (chdir(cwd) < 0) {
				/* stay where clear_worktree left us */
			}
			if (c) {
				gsrc_warning("WARNING: clear_worktree failed with exit status %d", c);
				rc = c;
				goto next;
			}
		}
		rc = gsrc_get_sources(o);
		if (chdir(cwd) < 0) {
			/* the next attempt starts from the project dir */
		}
		if (rc == 0)
			return 0;
next:
		if (a < o->attempts) {
			gsrc_warning("WARNING: Retrying... attempt %d of %d failed with exit status %d", a, o->attempts, rc);
			if (wait > 0) {
				sleep_ns(wait);
				wait = wait * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : wait * 2;
			}
		}
	}
	log_error("get-sources failed after %d attempt%s: exit status %d", o->attempts, o->attempts > 1 ? "s" : "", rc);
	return rc;
}

int cmd_get_sources(int argc, char **argv)
{
	struct raw r = { .clean_git_config = true, .safe_directory = true, .backoff = 5000000000LL };
	const struct flag flags[] = {
		{ "project-dir", NULL, FLAG_STR, &r.project_dir, "CI_PROJECT_DIR", "the build dir (absolute)", 0, NULL },
		{ "temp-dir", NULL, FLAG_STR, &r.tmp_dir, "RUNNER_TEMP_PROJECT_DIR", "the job's temp dir (default: <project-dir>.tmp)", 0, NULL },
		{ "builds-dir", NULL, FLAG_STR, &r.builds_dir, "CI_BUILDS_DIR", "the builds root (ownership fix)", 0, NULL },
		{ "repository-url", NULL, FLAG_STR, &r.repo_url, "CI_REPOSITORY_URL", "the repository URL with gitlab-ci-token:<token>@", 0, NULL },
		{ "sha", NULL, FLAG_STR, &r.sha, "CI_COMMIT_SHA", "the commit to check out", 0, NULL },
		{ "ref", NULL, FLAG_STR, &r.ref, "CIHELPER_GIT_REF", "the job's git ref (default: $CI_COMMIT_REF_NAME)", 0, NULL },
		{ "refspec", NULL, FLAG_LIST, &r.refspecs, "CIHELPER_GIT_REFSPECS", "refspecs to fetch, repeatable or space separated (default: GitLab's for the pipeline)", 0, NULL },
		{ "strategy", NULL, FLAG_STR, &r.strategy, "GIT_STRATEGY", "fetch, clone, none or empty (default: fetch)", 0, NULL },
		{ "depth", NULL, FLAG_STR, &r.depth, "GIT_DEPTH", "fetch depth, 0 for all history", 0, NULL },
		{ "checkout", NULL, FLAG_STR, &r.checkout, "GIT_CHECKOUT", "check out the commit (default: true)", 0, NULL },
		{ "clean-flags", NULL, FLAG_STR, &r.clean_flags, "GIT_CLEAN_FLAGS", "git clean flags, none for no clean (default: -ffdx)", 0, NULL },
		{ "fetch-extra-flags", NULL, FLAG_STR, &r.fetch_flags, "GIT_FETCH_EXTRA_FLAGS", "git fetch flags (default: --prune --quiet)", 0, NULL },
		{ "clone-extra-flags", NULL, FLAG_STR, &r.clone_flags, "GIT_CLONE_EXTRA_FLAGS", "git clone flags (native clone only)", 0, NULL },
		{ "submodule-strategy", NULL, FLAG_STR, &r.subs, "GIT_SUBMODULE_STRATEGY", "none, normal or recursive", 0, NULL },
		{ "submodule-depth", NULL, FLAG_STR, &r.sub_depth, "GIT_SUBMODULE_DEPTH", "submodule depth (default: --depth)", 0, NULL },
		{ "submodule-paths", NULL, FLAG_STR, &r.sub_paths, "GIT_SUBMODULE_PATHS", "submodule pathspecs", 0, NULL },
		{ "submodule-update-flags", NULL, FLAG_STR, &r.sub_update_flags, "GIT_SUBMODULE_UPDATE_FLAGS", "git submodule update flags", 0, NULL },
		{ "submodule-force-https", NULL, FLAG_STR, &r.sub_force_https, "GIT_SUBMODULE_FORCE_HTTPS", "rewrite ssh submodule URLs to https", 0, NULL },
		{ "attempts", NULL, FLAG_STR, &r.attempts, "GET_SOURCES_ATTEMPTS", "attempts, 1..10 (default: 1)", 0, NULL },
		{ "correlation-id", NULL, FLAG_STR, &r.correlation_id, "CI_JOB_REQUEST_CORRELATION_ID", "X-Gitaly-Correlation-ID (none: no header)", 0, NULL },
		{ "clean-git-config", NULL, FLAG_BOOL, &r.clean_git_config, "CIHELPER_CLEAN_GIT_CONFIG", "remove git configs and hooks of earlier jobs (default: true)", 0, NULL },
		{ "safe-directory-checkout", NULL, FLAG_BOOL, &r.safe_directory, "CIHELPER_SAFE_DIRECTORY_CHECKOUT", "add the project dir to safe.directory (default: true)", 0, NULL },
		{ "pre-get-sources-script", NULL, FLAG_LIST, &r.pre, "CIHELPER_PRE_GET_SOURCES_SCRIPT", "command run by /bin/sh before the fetch, repeatable", 0, NULL },
		{ "post-get-sources-script", NULL, FLAG_LIST, &r.post, "CIHELPER_POST_GET_SOURCES_SCRIPT", "command run by /bin/sh after the checkout, repeatable", 0, NULL },
		{ "retry-backoff", NULL, FLAG_DURATION, &r.backoff, "CIHELPER_GET_SOURCES_RETRY_BACKOFF", "first wait between attempts, doubling up to 5m (default: 5s)", 0, NULL },
	};
	struct gsrc_opts o;
	struct buf tmp = BUF_INIT, ua = BUF_INIT, gitdir = BUF_INIT;
	int rc;

	memset(&o, 0, sizeof(o));
	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	if (argc > 0) {
		log_fatal("get-sources takes no arguments, got \"%s\"", argv[0]);
		return 1;
	}
	if (resolve(&o, &r, &tmp, &ua) < 0) {
		rc = app_fatal_error(NULL);
		goto out;
	}
	provide_git(&gitdir);
	rc = run_attempts(&o);
	if (gitdir.len)
		gfs_remove_tree(gitdir.ptr);
out:
	gsrc_argv_dispose(&o.refspecs);
	gsrc_argv_dispose(&o.fetch_flags);
	gsrc_argv_dispose(&o.clone_flags);
	gsrc_argv_dispose(&o.clean_flags);
	gsrc_argv_dispose(&o.sub_paths);
	gsrc_argv_dispose(&o.sub_update_flags);
	flags_list_dispose(&r.refspecs);
	flags_list_dispose(&r.pre);
	flags_list_dispose(&r.post);
	buf_dispose(&tmp);
	buf_dispose(&ua);
	buf_dispose(&gitdir);
	return rc;
}
