/* The get_sources and clear_worktree stages, step by step in the order the
 * runner's bash script runs them (shells/abstract.go writeGetSourcesScript;
 * tests/integration/git/lib/runner-script get_sources()/clear_worktree()). A step
 * that fails ends the stage with its exit status, as the script's errexit does. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../git/fsutil.h"
#include "buf.h"
#include "error.h"
#include "get_sources.h"

#define EXT_CONF ".gitlab-runner.ext.conf"
#define EXT_CONF_RE "\\.gitlab-runner\\.ext\\.conf$"
#define SEED ".glr.gconf"
#define CRED_HELPER "!f(){ if [ \"$1\" = \"get\" ] ; then echo \"password=${CI_JOB_TOKEN}\" ; fi ; } ; f"

struct ctx {
	const struct gsrc_opts *o;
	char *remote_with, *remote_without, *host; /* host: scheme://host[:port] */
	char *ext, *seed, *template_dir, *template;
	struct gsrc_argv proactive; /* -c http.<host>.proactiveAuth=basic, or nothing */
};

/* The step's status: 0 goes on, anything else ends the stage with it. */
#define STEP(expr)                         \
	do {                               \
		if ((rc = (expr)) != 0)    \
			goto out;          \
	} while (0)

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, f);
	buf_vprintf(&b, f, ap);
	va_end(ap);
	if (b.failed) {
		buf_dispose(&b);
		return NULL;
	}
	return b.ptr ? b.ptr : strdup("");
}

static char *host_part(const struct gsrc_url *u, const char *userinfo)
{
	return fmt("%s://%s%s%s%s", u->scheme, userinfo ? userinfo : "", u->host, *u->port ? ":" : "", u->port);
}

/* scheme://host[:port] of url */
static char *scheme_host(const char *url)
{
	struct gsrc_url u;
	char *s;

	if (gsrc_url_split(&u, url) < 0)
		return NULL;
	s = host_part(&u, NULL);
	gsrc_url_dispose(&u);
	return s;
}

/* url without its user info */
static char *strip_user(const char *url)
{
	struct gsrc_url u;
	char *h, *s;

	if (gsrc_url_split(&u, url) < 0)
		return NULL;
	h = host_part(&u, NULL);
	s = h ? fmt("%s%s", h, u.path) : NULL;
	free(h);
	gsrc_url_dispose(&u);
	return s;
}

/* url with gitlab-ci-token:<token>@ (ssh URLs unchanged), trailing '/' dropped */
static char *with_creds(const char *url, const char *token)
{
	struct gsrc_url u;
	char *h, *s, *ui;
	size_t n;

	if (gsrc_url_split(&u, url) < 0)
		return NULL;
	if (!strcmp(u.scheme, "ssh")) {
		gsrc_url_dispose(&u);
		return strdup(url);
	}
	ui = fmt("gitlab-ci-token:%s@", token ? token : "");
	h = ui ? host_part(&u, ui) : NULL;
	s = h ? fmt("%s%s", h, u.path) : NULL;
	free(ui);
	free(h);
	gsrc_url_dispose(&u);
	for (n = s ? strlen(s) : 0; n && s[n - 1] == '/'; n--)
		s[n - 1] = '\0';
	return s;
}

/* Go's regexp.QuoteMeta */
static char *quote_meta(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (strchr("\\.+*?()|[]{}^$", *s))
			buf_putc(&b, '\\');
		buf_putc(&b, *s);
	}
	return b.failed ? NULL : b.ptr ? b.ptr : strdup("");
}

struct pair {
	char *repl, *orig;
};
struct pairs {
	struct pair v[16];
	size_t n;
};

static void pairs_add(struct pairs *p, char *repl, char *orig)
{
	if (!repl || !orig || p->n == sizeof(p->v) / sizeof(p->v[0])) {
		free(repl);
		free(orig);
		return;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (!strcmp(p->v[i].repl, repl) && !strcmp(p->v[i].orig, orig)) {
			free(repl);
			free(orig);
			return;
		}
	}
	p->v[p->n].repl = repl;
	p->v[p->n++].orig = orig;
}

/* GIT_SUBMODULE_FORCE_HTTPS rewrites of the ssh URLs to base b */
static void ssh_pairs(struct pairs *p, const struct gsrc_opts *o, const char *b)
{
	const char *h = o->ssh_host && *o->ssh_host ? o->ssh_host : o->server_host ? o->server_host : "";
	const char *port = o->ssh_port ? o->ssh_port : "";

	if (!o->sub_force_https)
		return;
	if (!*port || !strcmp(port, "22")) {
		pairs_add(p, fmt("%s/", b), fmt("git@%s:", h));
		pairs_add(p, strdup(b), fmt("ssh://git@%s", h));
	} else {
		pairs_add(p, strdup(b), fmt("ssh://git@%s:%s", h, port));
	}
}

/* The insteadOf rules (helpers/url/gitauth.go), in the runner's order, deduplicated */
static void insteadofs(struct pairs *p, const struct ctx *c)
{
	const struct gsrc_opts *o = c->o;
	const char *base = o->server_url ? o->server_url : "";
	char *authed, *rb;

	if (strcmp(c->remote_with, c->remote_without))
		pairs_add(p, strdup(c->remote_with), strdup(c->remote_without));
	if (strncasecmp(base, "http://", 7) && strncasecmp(base, "https://", 8))
		return;
	if (o->tokenless) {
		ssh_pairs(p, o, base);
		return;
	}
	if (!(authed = with_creds(base, o->token)))
		return;
	pairs_add(p, strdup(authed), strdup(base));
	ssh_pairs(p, o, authed);
	free(authed);
	if ((rb = scheme_host(o->repo_url)))
		pairs_add(p, with_creds(rb, o->token), strdup(rb));
	free(rb);
}

static void pairs_dispose(struct pairs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].repl);
		free(p->v[i].orig);
	}
}

/* `git [-c k=v]... <args>` built from a prefix vector and a tail */
static int push_words(struct gsrc_argv *a, const struct gsrc_argv *pre, const char *first, ...)
{
	va_list ap;
	int rc = pre ? gsrc_argv_append(a, pre) : 0;

	va_start(ap, first);
	for (const char *s = first; s && !rc; s = va_arg(ap, const char *))
		rc = gsrc_argv_push(a, s);
	va_end(ap);
	return rc;
}

static int cd(const char *dir)
{
	if (chdir(dir) < 0) {
		fflush(stdout);
		fprintf(stderr, "cd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

static int cred_helper(const struct ctx *c)
{
	char *h = fmt("credential.%s.helper", c->host), *u = fmt("credential.%s.username", c->host);
	int rc = h && u ? 0 : CIH_ENOMEM;

	/* `a && b && c`: the chain's status is the first failure's */
	if (!rc)
		rc = gsrc_gitl(GSRC_IO_PASS, "config", "-f", c->ext, "--replace-all", h, "", NULL);
	if (!rc)
		rc = gsrc_gitl(GSRC_IO_PASS, "config", "-f", c->ext, "--add", h, CRED_HELPER, NULL);
	if (!rc)
		rc = gsrc_gitl(GSRC_IO_PASS, "config", "-f", c->ext, u, "gitlab-ci-token", NULL);
	free(h);
	free(u);
	return rc;
}

/* Step 1 (the part after the job variables): GITLAB_ENV, sourced line by line */
static int exports(const struct ctx *c)
{
	char *env = fmt("%s/gitlab_runner_env", c->o->tmp_dir), line[8192];
	FILE *f;
	int rc = 0;

	if (!env)
		return CIH_ENOMEM;
	if ((rc = gsrc_mkdir(c->o->tmp_dir)) == 0) {
		setenv("GITLAB_ENV", env, 1);
		if (!(f = fopen(env, "a+"))) {
			fflush(stdout);
			fprintf(stderr, "touch: cannot touch '%s': %s\n", env, strerror(errno));
			rc = 1;
		} else {
			rewind(f);
			while (fgets(line, sizeof(line), f)) {
				char *s = line + strspn(line, " \t"), *eq;
				size_t n = strlen(s);

				while (n && strchr(" \t\r\n", s[n - 1]))
					s[--n] = '\0';
				if ((eq = strchr(s, '=')) && eq > s) {
					*eq = '\0';
					setenv(s, eq + 1, 1);
				}
			}
			fclose(f);
		}
	}
	if (!rc && c->o->tokenless)
		setenv("GIT_CONFIG_GLOBAL", c->seed, 1);
	free(env);
	return rc;
}

/* Step 3: the GIT_CONFIG_GLOBAL seed of tokenless mode */
static int tokenless_seed(const struct ctx *c)
{
	const char *home = getenv("HOME") ? getenv("HOME") : "";
	const char *user[] = { "/.gitconfig", "/.config/git/config" };
	int rc;

	if ((rc = gsrc_rm_file(c->seed)) != 0)
		return rc;
	for (size_t i = 0; i < 2; i++) {
		char *p = fmt("%s%s", home, user[i]);

		if (!p)
			return CIH_ENOMEM;
		if (access(p, R_OK) == 0)
			rc = gsrc_gitl(GSRC_IO_PASS, "config", "--file", c->seed, "--add", "include.path", p, NULL);
		free(p);
		if (rc)
			return rc;
	}
	if ((rc = gsrc_gitl(GSRC_IO_PASS, "config", "--file", c->seed, "--add", "include.path", c->ext, NULL)))
		return rc;
	if (c->o->strategy == GSRC_NONE || c->o->strategy == GSRC_EMPTY) {
		if ((rc = gsrc_rm_file(c->ext)) != 0)
			return rc;
		return cred_helper(c);
	}
	return 0;
}

/* Step 4: TLS for the GitLab host, in the global config (docker: not shared) */
static int ssl_config(const struct ctx *c)
{
	const struct gsrc_opts *o = c->o;
	const char *keys[] = { "sslCAInfo", "sslCert", "sslKey" };
	const char *vals[] = { o->tls_ca, o->tls_cert && o->tls_key ? o->tls_cert : NULL,
			       o->tls_cert && o->tls_key ? o->tls_key : NULL };
	int rc = 0;

	for (size_t i = 0; i < 3 && !rc; i++) {
		char *k;

		if (!vals[i])
			continue;
		if (!(k = fmt("http.%s.%s", c->host, keys[i])))
			return CIH_ENOMEM;
		rc = gsrc_gitl(GSRC_IO_PASS, "config", "--global", k, vals[i], NULL);
		free(k);
	}
	return rc;
}

/* Steps 5 and 9: each hook command echoed as `$ <cmd>`, then run */
static int hooks(const char **cmds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = cmds[i];
		size_t len;
		char *cmd, *nl;
		int rc;

		s += strspn(s, " \t\r\n\v\f");
		len = strlen(s);
		while (len && strchr(" \t\r\n\v\f", s[len - 1]))
			len--;
		if (!(cmd = fmt("%.*s", (int)len, s)))
			return CIH_ENOMEM;
		if (*cmd) {
			if ((nl = strchr(cmd, '\n')))
				gsrc_notice("$ %.*s # collapsed multi-line command", (int)(nl - cmd), cmd);
			else
				gsrc_notice("$ %s", cmd);
			rc = gsrc_shell(cmd);
		} else {
			fputc('\n', stdout);
			rc = 0;
		}
		free(cmd);
		if (rc)
			return rc;
	}
	return 0;
}

/* Step 6b.1-2: locks, hooks and (clean_git_config) configs of earlier jobs */
static int cleanup(const struct ctx *c)
{
	const struct gsrc_opts *o = c->o;
	const char *files[] = { "index.lock", "shallow.lock", "HEAD.lock", "hooks/post-checkout", "config.lock" };
	bool subs = o->subs != GSRC_SUB_NONE;
	char *mods = fmt("%s/.git/modules", o->project_dir), *refs = fmt("%s/.git/refs", o->project_dir);
	int rc = mods && refs ? 0 : CIH_ENOMEM;

	for (size_t i = 0; i < 5 && !rc; i++) {
		char *p = fmt("%s/.git/%s", o->project_dir, files[i]);
		const char *base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];

		rc = p ? gsrc_rm_file(p) : CIH_ENOMEM;
		if (!rc && subs)
			rc = gsrc_rm_named(mods, base, false);
		free(p);
	}
	if (!rc)
		rc = gsrc_rm_named(refs, "*.lock", false);
	if (!rc && o->clean_git_config) {
		char *dot = fmt("%s/.git", o->project_dir);
		const char *dirs[] = { c->template_dir, dot };

		for (size_t i = 0; i < 2 && !rc; i++) {
			char *cf = fmt("%s/config", dirs[i]), *hk = fmt("%s/hooks", dirs[i]);

			rc = cf && hk ? gsrc_rm_file(cf) : CIH_ENOMEM;
			if (!rc)
				rc = gsrc_rm_dir(hk);
			free(cf);
			free(hk);
		}
		free(dot);
		if (!rc && subs)
			rc = gsrc_rm_named(mods, "config", false);
		if (!rc && subs)
			rc = gsrc_rm_named(mods, "hooks", true);
	}
	free(mods);
	free(refs);
	return rc;
}

/* Step 6b.3: template dir, safe.directory, ext config (§A4) */
static int template_and_ext(const struct ctx *c)
{
	const struct gsrc_opts *o = c->o;
	const char *tk[][2] = { { "init.defaultBranch", "none" }, { "fetch.recurseSubmodules", "false" },
				{ "credential.interactive", "never" }, { "gc.autoDetach", "false" } };
	struct pairs p = { .n = 0 };
	int rc;

	STEP(gsrc_mkdir(c->template_dir));
	if (o->safe_directory)
		STEP(gsrc_gitl(GSRC_IO_PASS, "config", "--global", "--add", "safe.directory", o->project_dir, NULL));
	for (size_t i = 0; i < 4; i++)
		STEP(gsrc_gitl(GSRC_IO_PASS, "config", "-f", c->template, tk[i][0], tk[i][1], NULL));
	STEP(gsrc_rm_file(c->ext));
	if (o->correlation_id) {
		char *h = fmt("X-Gitaly-Correlation-ID: %s", o->correlation_id);

		rc = h ? gsrc_gitl(GSRC_IO_PASS, "config", "-f", c->ext, "http.extraHeader", h, NULL) : CIH_ENOMEM;
		free(h);
		if (rc)
			goto out;
		gsrc_notice("Gitaly correlation ID: %s", o->correlation_id);
	}
	if (o->bundle_uris)
		STEP(gsrc_gitl(GSRC_IO_PASS, "config", "-f", c->ext, "transfer.bundleURI", "true", NULL));
	insteadofs(&p, c);
	for (size_t i = 0; i < p.n; i++) {
		char *k = fmt("url.%s.insteadOf", p.v[i].repl), *q = quote_meta(p.v[i].orig), *re = q ? fmt("^%s$", q) : NULL;

		rc = k && re ? gsrc_gitl(GSRC_IO_PASS, "config", "--file", c->ext, "--replace-all", k, p.v[i].orig, re, NULL)
			     : CIH_ENOMEM;
		free(k);
		free(q);
		free(re);
		if (rc)
			goto out;
	}
	if (o->tokenless)
		STEP(cred_helper(c));
	STEP(gsrc_gitl(GSRC_IO_PASS, "config", "--file", c->template, "--replace-all", "include.path", c->ext,
		       EXT_CONF_RE, NULL));
	setenv("GLR_EXT_GIT_CONFIG_PATH", c->ext, 1);
out:
	pairs_dispose(&p);
	return rc;
}

static int push_depth(struct gsrc_argv *a, int64_t depth)
{
	int rc = gsrc_argv_push(a, "--depth");

	return rc ? rc : gsrc_argv_pushf(a, "%lld", (long long)depth);
}

/* Step 6b.5: init, remote, fetch */
static int fetch_cmds(const struct ctx *c)
{
	const struct gsrc_opts *o = c->o;
	struct gsrc_argv a = { 0 };
	int rc;

	if (o->depth > 0)
		gsrc_notice("Fetching changes with git depth set to %lld...", (long long)o->depth);
	else
		gsrc_notice("Fetching changes...");
	STEP(gsrc_gitl(GSRC_IO_PASS, "init", o->project_dir, "--template", c->template_dir, NULL));
	STEP(cd(o->project_dir));
	if (gsrc_gitl(GSRC_IO_QUIET, "remote", "add", "origin", c->remote_without, NULL) == 0) {
		gsrc_notice("Created fresh repository.");
	} else {
		STEP(gsrc_gitl(GSRC_IO_PASS, "remote", "set-url", "origin", c->remote_without, NULL));
		STEP(gsrc_gitl(GSRC_IO_PASS, "config", "--file", ".git/config", "--replace-all", "include.path",
			       c->ext, EXT_CONF_RE, NULL));
	}
	STEP(gsrc_argv_push(&a, "-c"));
	STEP(gsrc_argv_pushf(&a, "http.userAgent=%s", o->user_agent));
	STEP(push_words(&a, &c->proactive, "fetch", "origin", "--no-recurse-submodules", NULL));
	STEP(gsrc_argv_append(&a, &o->refspecs));
	if (o->depth > 0)
		STEP(push_depth(&a, o->depth));
	STEP(gsrc_argv_append(&a, &o->fetch_flags));
	if (o->depth <= 0 && gfs_exists(".git/shallow"))
		STEP(gsrc_argv_push(&a, "--unshallow"));
	rc = gsrc_git(&a, GSRC_IO_PASS, NULL);
out:
	gsrc_argv_dispose(&a);
	return rc;
}

/* A3-clone: FF_USE_GIT_NATIVE_CLONE; ours is git 2.49, past the script's test */
static int clone_cmds(const struct ctx *c)
{
	const struct gsrc_opts *o = c->o;
	struct gsrc_argv a = { 0 };
	int rc;

	gsrc_printf("Git version at least \"2.49\"");
	if (o->depth > 0)
		gsrc_notice("Cloning repository for %s with git depth set to %lld...", o->ref, (long long)o->depth);
	else if (*o->ref)
		gsrc_notice("Cloning repository for %s...", o->ref);
	else
		gsrc_notice("Cloning repository...");
	STEP(gsrc_argv_push(&a, "-c"));
	STEP(gsrc_argv_pushf(&a, "http.userAgent=%s", o->user_agent));
	STEP(push_words(&a, &c->proactive, "clone", "--no-checkout", c->remote_without, o->project_dir, "--template",
		      c->template_dir, NULL));
	if (o->depth > 0)
		STEP(push_depth(&a, o->depth));
	if (!strncmp(o->ref, "refs/", 5))
		STEP(push_words(&a, NULL, "--revision", o->ref, NULL));
	else if (*o->ref)
		STEP(push_words(&a, NULL, "--branch", o->ref, NULL));
	STEP(gsrc_argv_append(&a, &o->clone_flags));
	STEP(gsrc_git(&a, GSRC_IO_PASS, NULL));
	rc = cd(o->project_dir);
out:
	gsrc_argv_dispose(&a);
	return rc;
}

/* Step 7 */
static int checkout(const struct ctx *c)
{
	const struct gsrc_opts *o = c->o;
	struct gsrc_argv a = { 0 };
	int rc;

	gsrc_notice("Checking out %.8s as detached HEAD (ref is %s)...", o->sha, o->ref);
	STEP(push_words(&a, NULL, "-c", "submodule.recurse=false", NULL));
	STEP(push_words(&a, &c->proactive, "checkout", "-f", "-q", o->sha, NULL));
	STEP(gsrc_git(&a, GSRC_IO_PASS, NULL));
	if (o->clean_flags.n) {
		gsrc_argv_dispose(&a);
		STEP(push_words(&a, NULL, "clean", NULL));
		STEP(gsrc_argv_append(&a, &o->clean_flags));
		STEP(gsrc_git(&a, GSRC_IO_PASS, NULL));
	}
	if (!o->lfs_skip_smudge && gsrc_gitl(GSRC_IO_QUIET, "lfs", "version", NULL) == 0) {
		STEP(gsrc_gitl(GSRC_IO_PASS, "lfs", "pull", NULL));
		fputc('\n', stdout);
		fflush(stdout);
	}
out:
	gsrc_argv_dispose(&a);
	return rc;
}

int gsrc_get_sources(const struct gsrc_opts *o)
{
	struct ctx c = { .o = o };
	bool setup = o->strategy == GSRC_FETCH || o->strategy == GSRC_CLONE;
	int rc;

	c.remote_without = strip_user(o->repo_url);
	c.remote_with = o->tokenless ? strip_user(o->repo_url) : strdup(o->repo_url);
	c.host = scheme_host(o->repo_url);
	c.ext = fmt("%s/%s", o->tmp_dir, EXT_CONF);
	c.seed = fmt("%s/%s", o->tmp_dir, SEED);
	c.template_dir = fmt("%s/git-template", o->tmp_dir);
	c.template = fmt("%s/git-template/config", o->tmp_dir);
	rc = c.remote_with && c.remote_without && c.host && c.ext && c.seed && c.template_dir && c.template
		     ? 0
		     : err_set(CIH_EUSAGE, "cannot parse the repository URL");
	if (rc)
		goto out;
	if (o->proactive_auth) {
		STEP(gsrc_argv_push(&c.proactive, "-c"));
		STEP(gsrc_argv_pushf(&c.proactive, "http.%s.proactiveAuth=basic", c.host));
	}
	STEP(exports(&c));
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	setenv("GCM_INTERACTIVE", "Never", 1);
	if (o->tokenless)
		STEP(tokenless_seed(&c));
	STEP(ssl_config(&c));
	if (setup)
		STEP(hooks(o->pre_hooks, o->npre));
	if (!o->lfs_skip_smudge)
		setenv("GIT_LFS_SKIP_SMUDGE", "1", 1);
	switch (o->strategy) {
	case GSRC_FETCH:
	case GSRC_CLONE:
		STEP(cleanup(&c));
		STEP(template_and_ext(&c));
		if (o->strategy == GSRC_CLONE) {
			STEP(gsrc_rm_dir(o->project_dir));
			STEP(o->native_clone ? clone_cmds(&c) : fetch_cmds(&c));
		} else {
			STEP(fetch_cmds(&c));
		}
		break;
	case GSRC_NONE:
		gsrc_notice("Skipping Git repository setup");
		STEP(gsrc_mkdir(o->project_dir));
		break;
	case GSRC_EMPTY:
		gsrc_notice("Skipping Git repository setup and creating an empty build directory");
		STEP(gsrc_rm_dir(o->project_dir));
		STEP(gsrc_mkdir(o->project_dir));
		break;
	}
	if (o->checkout && setup)
		STEP(checkout(&c));
	else
		gsrc_notice("Skipping Git checkout");
	if (!setup || o->subs == GSRC_SUB_NONE)
		gsrc_notice("Skipping Git submodules setup");
	else
		STEP(gsrc_submodules(o, c.ext));
	if (setup)
		STEP(hooks(o->post_hooks, o->npost));
	STEP(gsrc_fix_ownership(o->builds_dir));
	{
		struct gsrc_url u;

		if (gsrc_url_split(&u, c.remote_with) == 0) {
			if (*u.host && (!strcmp(u.scheme, "http") || !strcmp(u.scheme, "https") || !strcmp(u.scheme, "ssh"))) {
				char *in = fmt("url=%s\nusername=gitlab-ci-token\n", c.host);
				struct gsrc_argv a = { 0 };

				/* `| git credential reject || true`: best effort */
				if (in && push_words(&a, NULL, "credential", "reject", NULL) == 0)
					gsrc_git(&a, GSRC_IO_PASS, in);
				gsrc_argv_dispose(&a);
				free(in);
			}
			gsrc_url_dispose(&u);
		}
	}
out:
	if (rc < 0) {
		fflush(stdout);
		fprintf(stderr, "get-sources: %s\n", err_last()->msg);
		rc = 1;
	}
	gsrc_argv_dispose(&c.proactive);
	free(c.remote_with);
	free(c.remote_without);
	free(c.host);
	free(c.ext);
	free(c.seed);
	free(c.template_dir);
	free(c.template);
	return rc;
}

int gsrc_clear_worktree(const struct gsrc_opts *o)
{
	int rc;

	gsrc_notice("Deleting tracked and untracked files...");
	if (!gfs_is_dir(o->project_dir))
		return 0;
	if ((rc = cd(o->project_dir)))
		return rc;
	if ((rc = gsrc_gitl(GSRC_IO_PASS, "rm", "-rf", "--ignore-unmatch", "--quiet", ".", NULL)))
		return rc < 0 ? 1 : rc;
	rc = gsrc_gitl(GSRC_IO_PASS, "clean", "-ffdx", "-q", NULL);
	return rc < 0 ? 1 : rc;
}
