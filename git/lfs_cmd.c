/* The git-lfs command line. */
#include "lfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/version.h"
#include "fsutil.h"
#include "gconf.h"
#include "gitcli.h"
#include "lfs_checkout.h"
#include "lfs_internal.h"
#include "lfs_scan.h"

#define EXIT_FAIL 2
#define EXIT_USAGE 1

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

static int usage(const char *text)
{
	fflush(stdout);
	fprintf(stderr, "Usage: git lfs %s\n", text);
	return EXIT_USAGE;
}

/* ---- the repository a command works on ---- */

struct repo {
	git_repository *repo;
	git_config *cfg;
	struct lfs_store store;
};

/* env: no message outside a repository, no lfs.repositoryformatversion written */
static bool env_mode;

static int repo_open(struct repo *r)
{
	memset(r, 0, sizeof(*r));
	if (gitcli_libgit2() < 0)
		return EXIT_FAIL;
	if (gconf_repo_open(&r->repo, NULL) < 0) {
		if (env_mode)
			return 128;
		fail("Not in a Git repository.");
		return 128;
	}
	if (!env_mode && lfs_repo_version_check(r->repo) < 0) {
		fail("%s", err_last()->msg);
		return 128;
	}
	if (git_repository_config(&r->cfg, r->repo) < 0)
		return fail("cannot read the git configuration: %s", git_error_last()->message);
	if (lfs_store_open(&r->store, r->repo, r->cfg) < 0)
		return fail("%s", err_last()->msg);
	return 0;
}

static void repo_close(struct repo *r)
{
	lfs_store_dispose(&r->store);
	git_config_free(r->cfg);
	git_repository_free(r->repo);
}

/* ---- version, install, uninstall, env ---- */

static void version_line(FILE *f)
{
	const struct version_info *vi = version_get();

	fprintf(f, "git-lfs/%s (cihelper %s; %s %s; C)\n", LFS_VERSION, vi->version, vi->os, vi->arch);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	version_line(stdout);
	return 0;
}

static const char *const filter_keys[] = { "filter.lfs.clean", "filter.lfs.smudge", "filter.lfs.process",
					   "filter.lfs.required" };

static char *scope_file(const char *scope, const char *file)
{
	if (file)
		return strdup(file);
	if (!strcmp(scope, "system"))
		return gconf_system_path();
	if (!strcmp(scope, "global"))
		return gconf_global_path();
	return NULL;
}

static char *local_config_path(void)
{
	git_repository *repo = NULL;
	struct buf p = BUF_INIT;

	if (gitcli_libgit2() < 0 || gconf_repo_open(&repo, NULL) < 0)
		return NULL;
	buf_printf(&p, "%sconfig", git_repository_path(repo));
	git_repository_free(repo);
	return p.failed ? NULL : p.ptr;
}

static int install(int argc, char **argv, bool uninstall)
{
	const char *scope = "global", *file = NULL;
	bool skip_smudge = false;
	char *path;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--skip-repo") || !strcmp(a, "--force") || !strcmp(a, "-f") || !strcmp(a, "--manual") ||
		    !strcmp(a, "-m"))
			continue; /* no hooks are installed: nothing to skip or force */
		else if (!strcmp(a, "--skip-smudge") || !strcmp(a, "-s"))
			skip_smudge = true;
		else if (!strcmp(a, "--system") || !strcmp(a, "--global") || !strcmp(a, "--local") ||
			 !strcmp(a, "-l") || !strcmp(a, "--worktree") || !strcmp(a, "-w"))
			scope = a[2] ? a + 2 : (a[1] == 'l' ? "local" : "worktree");
		else if (!strncmp(a, "--file=", 7))
			file = a + 7;
		else if (!strcmp(a, "--file") && i + 1 < argc)
			file = argv[++i];
		else
			return usage(uninstall ? "uninstall [--local|--system|--global|--file=<path>] [--skip-repo]"
					       : "install [--local|--system|--global|--file=<path>] [--skip-repo] [--skip-smudge]");
	}
	if (!strcmp(scope, "local") || !strcmp(scope, "worktree")) {
		if (!(path = local_config_path()))
			return fail("Not in a Git repository.");
	} else if (!(path = scope_file(scope, file))) {
		return fail("cannot find the %s git configuration file (is HOME set?)", scope);
	}
	for (size_t i = 0; i < 4 && rc == 0; i++) {
		const char *v = NULL;

		if (!uninstall)
			v = i == 0 ? "git-lfs clean -- %f"
			    : i == 1 ? (skip_smudge ? "git-lfs smudge --skip -- %f" : "git-lfs smudge -- %f")
			    : i == 2 ? (skip_smudge ? "git-lfs filter-process --skip" : "git-lfs filter-process")
				     : "true";
		rc = gconf_set_in_file(path, filter_keys[i], v, NULL, 0);
		if (uninstall && rc == 5) /* nothing to unset */
			rc = 0;
	}
	free(path);
	if (rc != 0)
		return fail("error: cannot write the git configuration");
	if (!uninstall)
		printf("Git LFS initialized.\n");
	else if (!strcmp(scope, "system"))
		printf("System Git LFS configuration has been removed.\n");
	else if (!strcmp(scope, "global"))
		printf("Global Git LFS configuration has been removed.\n");
	return 0;
}

static int cmd_install(int argc, char **argv)
{
	return install(argc, argv, false);
}

static int cmd_uninstall(int argc, char **argv)
{
	return install(argc, argv, true);
}

static int cmd_env(int argc, char **argv)
{
	struct repo r = { 0 };
	struct lfs_endpoint ep = { 0 };
	git_buf v = { 0 };
	bool have_repo;

	(void)argc;
	(void)argv;
	version_line(stdout);
	printf("git version %s\n\n", GITCLI_VERSION);
	env_mode = true;
	have_repo = repo_open(&r) == 0;
	err_clear();
	if (have_repo && lfs_endpoint_find(r.repo, r.cfg, NULL, &ep) == 0)
		printf("Endpoint=%s (auth=%s)\n", ep.url, ep.user ? "basic" : "none");
	else
		printf("Endpoint=\n");
	if (have_repo) {
		const char *wd = git_repository_workdir(r.repo);

		printf("LocalWorkingDir=%.*s\n", wd ? (int)strlen(wd) - 1 : 0, wd ? wd : "");
		printf("LocalGitDir=%.*s\n", (int)strlen(git_repository_path(r.repo)) - 1, git_repository_path(r.repo));
		printf("LocalGitStorageDir=%.*s\n", (int)strlen(git_repository_commondir(r.repo)) - 1,
		       git_repository_commondir(r.repo));
		printf("LocalMediaDir=%s/objects\n", r.store.root);
		printf("LocalReferenceDirs=%s%s\n", r.store.shared ? r.store.shared : "", r.store.shared ? "/objects" : "");
		printf("TempDir=%s/tmp\n", r.store.root);
		printf("ConcurrentTransfers=%lld\n", (long long)lfs_config_int(r.repo, r.cfg, "lfs.concurrenttransfers", 8));
	} else {
		printf("LocalWorkingDir=\nLocalGitDir=\nLocalGitStorageDir=\nLocalMediaDir=\nLocalReferenceDirs=\nTempDir=\n"
		       "ConcurrentTransfers=8\n");
	}
	printf("BasicTransfersOnly=true\nSkipDownloadErrors=false\nDownloadTransfers=basic\nUploadTransfers=basic\n");
	printf("GIT_LFS_SKIP_SMUDGE=%s\n", getenv("GIT_LFS_SKIP_SMUDGE") ? getenv("GIT_LFS_SKIP_SMUDGE") : "");
	for (size_t i = 0; i < 3; i++) {
		git_config *cfg = have_repo ? r.cfg : NULL;

		if (!cfg && gconf_open(&cfg, NULL) < 0)
			cfg = NULL;
		if (cfg && git_config_get_string_buf(&v, cfg, filter_keys[i]) == 0)
			printf("git config %s = \"%s\"\n", filter_keys[i], v.ptr);
		else
			printf("git config %s = \"\"\n", filter_keys[i]);
		git_buf_dispose(&v);
		if (!have_repo)
			git_config_free(cfg);
	}
	git_error_clear();
	lfs_endpoint_dispose(&ep);
	if (have_repo)
		repo_close(&r);
	return 0;
}

/* ---- fetch, checkout, pull, ls-files ---- */

struct sel {
	const char *include, *exclude;
	const char *remote;
	char **refs;
	size_t nrefs;
};

/* -I/--include, -X/--exclude, then [remote [refs...]] */
static int parse_sel(int argc, char **argv, struct sel *s, bool refs_ok, const char *use)
{
	memset(s, 0, sizeof(*s));
	s->refs = calloc((size_t)argc, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((!strcmp(a, "-I") || !strcmp(a, "--include")) && i + 1 < argc)
			s->include = argv[++i];
		else if (!strncmp(a, "--include=", 10))
			s->include = a + 10;
		else if ((!strcmp(a, "-X") || !strcmp(a, "--exclude")) && i + 1 < argc)
			s->exclude = argv[++i];
		else if (!strncmp(a, "--exclude=", 10))
			s->exclude = a + 10;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			continue;
		else if (a[0] == '-')
			return usage(use);
		else if (!s->remote)
			s->remote = a;
		else if (refs_ok && s->refs)
			s->refs[s->nrefs++] = argv[i];
		else
			return usage(use);
	}
	return 0;
}

static int make_filter(struct repo *r, const struct sel *s, struct lfs_filter *f)
{
	char *inc = s->include ? NULL : lfs_config_get(r->repo, r->cfg, "lfs.fetchinclude");
	char *exc = s->exclude ? NULL : lfs_config_get(r->repo, r->cfg, "lfs.fetchexclude");
	int rc = lfs_filter_init(f, s->include ? s->include : inc, s->exclude ? s->exclude : exc);

	free(inc);
	free(exc);
	return rc;
}

/* The batch's "ref": the current branch's upstream (branch.<b>.merge), the
 * branch, or "HEAD" when detached, as git-lfs sends it. */
static char *batch_ref(struct repo *r)
{
	git_reference *head = NULL;
	char *ref = NULL;

	if (git_repository_head_detached(r->repo) == 1)
		return strdup("HEAD");
	if (git_repository_head(&head, r->repo) == 0 && git_reference_is_branch(head)) {
		struct buf k = BUF_INIT;

		buf_printf(&k, "branch.%s.merge", git_reference_shorthand(head));
		if (!k.failed)
			ref = lfs_config_get(r->repo, r->cfg, k.ptr);
		buf_dispose(&k);
		if (!ref)
			ref = strdup(git_reference_name(head));
	}
	git_reference_free(head);
	git_error_clear();
	return ref;
}

struct pull {
	struct lfs_entries *e;
	struct lfs_co *co; /* NULL: fetch only */
};

static int by_oid(const void *a, const void *b)
{
	return strcmp(((const struct lfs_entry *)a)->p.oid, ((const struct lfs_entry *)b)->p.oid);
}

/* entries are sorted by oid: every path of the object that arrived */
static void on_downloaded(void *ctx, struct lfs_xfer_obj *o)
{
	struct pull *p = ctx;
	size_t lo = 0, hi = p->e->n;

	if (!p->co)
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(p->e->v[mid].p.oid, o->w.oid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->e->n && !strcmp(p->e->v[lo].p.oid, o->w.oid); lo++)
		lfs_co_file(p->co, &p->e->v[lo]);
}

/* git-lfs checks out only when filter.lfs.clean is set (`git lfs install`) */
static bool filters_installed(struct repo *r)
{
	git_buf v = { 0 };
	bool yes = git_config_get_string_buf(&v, r->cfg, "filter.lfs.clean") == 0 && v.size > 0;

	git_buf_dispose(&v);
	git_error_clear();
	return yes;
}

/* git-lfs shows its meter only when stdout is a terminal (or GIT_LFS_FORCE_PROGRESS) */
static bool show_progress(void)
{
	const char *f = getenv("GIT_LFS_FORCE_PROGRESS");

	return isatty(1) || (f && (!strcmp(f, "1") || !strcasecmp(f, "true")));
}

/* One flush of the file system for every object and file written, instead of an
 * fsync per file (renames made them appear whole already). */
static void flush_fs(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		syncfs(fd);
		close(fd);
	}
}

/* Downloads what entries need (oids unique, local ones skipped) and, with co,
 * checks out every entry whose object is there. */
static int fetch_entries(struct repo *r, struct lfs_entries *e, const char *remote, struct lfs_co *co,
			 bool pull_msg)
{
	struct lfs_xfer_obj *o = calloc(e->n ? e->n : 1, sizeof(*o));
	struct lfs_client c;
	struct lfs_xfer_stats st = { 0 };
	struct pull ctx = { e, co };
	size_t n = 0;
	int rc = 0;

	if (!o)
		return fail("out of memory");
	qsort(e->v, e->n, sizeof(*e->v), by_oid);
	for (size_t i = 0; i < e->n; i++) {
		bool local;

		if (i > 0 && !strcmp(e->v[i].p.oid, e->v[i - 1].p.oid)) {
			if (co && (n == 0 || strcmp(o[n - 1].w.oid, e->v[i].p.oid)))
				lfs_co_file(co, &e->v[i]); /* its object is local */
			continue;
		}
		local = e->v[i].p.size == 0 || lfs_store_has(&r->store, e->v[i].p.oid, e->v[i].p.size);
		if (local) {
			if (co) /* what is local already goes out first */
				lfs_co_file(co, &e->v[i]);
			continue;
		}
		memcpy(o[n].w.oid, e->v[i].p.oid, sizeof(o[n].w.oid));
		o[n++].w.size = e->v[i].p.size;
	}
	if (n > 0) {
		if (lfs_client_init(&c, r->repo, r->cfg, remote) < 0) {
			rc = fail("%s", err_last()->msg); /* what was checked out still gets its index entry */
			n = 0;
			goto finish;
		}
		c.ref = batch_ref(r);
		rc = lfs_xfer_download(&c, &r->store, o, n, on_downloaded, &ctx, &st);
		if (st.files > 0 && show_progress()) {
			struct buf line = BUF_INIT;

			lfs_xfer_summary(&st, (int)n, &line);
			printf("%s, done.\n", buf_cstr(&line));
			fflush(stdout);
			buf_dispose(&line);
		}
		if (rc < 0) {
			bool batch_told = false;

			for (size_t i = 0; i < n; i++) {
				if (!o[i].err)
					continue;
				if (o[i].batch_failed) { /* the whole request failed: said once */
					if (!batch_told)
						fprintf(stderr, "%s\n", o[i].err_msg ? o[i].err_msg : err_last()->msg);
					batch_told = true;
					continue;
				}
				const char *path = "";

				for (size_t j = 0; j < e->n && !*path; j++)
					if (!strcmp(e->v[j].p.oid, o[i].w.oid))
						path = e->v[j].path;
				fprintf(stderr, "Error downloading object: %s (%.7s): %s\n", path, o[i].w.oid,
					o[i].err_msg ? o[i].err_msg : err_last()->msg);
			}
			rc = fail(pull_msg ? "Failed to fetch some objects from '%s'"
					   : "error: failed to fetch some objects from '%s'", c.ep.url);
		}
		lfs_client_dispose(&c);
	}
finish:
	for (size_t i = 0; i < n; i++)
		free(o[i].err_msg);
	free(o);
	if (co && lfs_co_finish(co) < 0 && rc == 0)
		rc = fail("%s", err_last()->msg);
	if (co && co->failed && rc == 0)
		rc = EXIT_FAIL;
	flush_fs(r->store.root);
	if (co && co->workdir)
		flush_fs(co->workdir);
	return rc;
}

static int scan_ref(struct repo *r, const char *ref, const struct lfs_filter *f, struct lfs_entries *e)
{
	git_object *obj = NULL;
	git_tree *tree = NULL;
	int rc;

	if (git_revparse_single(&obj, r->repo, ref) < 0 || git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE) < 0) {
		git_object_free(obj);
		return err_set(CIH_ENOTFOUND, "Git can't resolve ref: \"%s\"", ref);
	}
	rc = lfs_scan(r->repo, tree, f, e);
	git_tree_free(tree);
	git_object_free(obj);
	return rc;
}

static int cmd_fetch(int argc, char **argv)
{
	struct sel s;
	struct repo r;
	struct lfs_filter f = { 0 };
	int rc = parse_sel(argc, argv, &s, true, "fetch [options] [<remote> [<ref>...]]");

	if (rc || (rc = repo_open(&r)))
		return free(s.refs), rc;
	if (make_filter(&r, &s, &f) < 0)
		rc = fail("%s", err_last()->msg);
	for (size_t i = 0; rc == 0 && i < (s.nrefs ? s.nrefs : 1); i++) {
		struct lfs_entries e;

		if (scan_ref(&r, s.nrefs ? s.refs[i] : "HEAD", &f, &e) < 0) {
			rc = fail("%s", err_last()->msg);
			break;
		}
		rc = fetch_entries(&r, &e, s.remote, NULL, false);
		lfs_entries_dispose(&e);
	}
	lfs_filter_dispose(&f);
	repo_close(&r);
	free(s.refs);
	return rc;
}

static int pull_or_checkout(int argc, char **argv, bool pull)
{
	struct sel s;
	struct repo r;
	struct lfs_filter f = { 0 };
	struct lfs_entries e = { 0 };
	struct lfs_co co;
	bool skip;
	int rc = parse_sel(argc, argv, &s, !pull, pull ? "pull [options] [<remote>]" : "checkout [<path>...]");

	if (rc || (rc = repo_open(&r)))
		return free(s.refs), rc;
	if (!git_repository_workdir(r.repo)) {
		rc = fail("This operation must be run in a work tree.");
		goto out;
	}
	if (!pull && s.remote) { /* checkout takes paths: an include list */
		struct buf inc = BUF_INIT;

		buf_puts(&inc, s.remote);
		for (size_t i = 0; i < s.nrefs; i++)
			buf_printf(&inc, ",%s", s.refs[i]);
		s.remote = NULL;
		rc = lfs_filter_init(&f, inc.ptr, NULL) < 0 ? fail("%s", err_last()->msg) : 0;
		buf_dispose(&inc);
	} else if (make_filter(&r, &s, &f) < 0) {
		rc = fail("%s", err_last()->msg);
	}
	if (rc == 0 && lfs_scan(r.repo, NULL, &f, &e) < 0)
		rc = fail("%s", err_last()->msg);
	if (rc)
		goto out;
	skip = !filters_installed(&r);
	lfs_co_init(&co, r.repo, &r.store);
	if (pull) {
		rc = fetch_entries(&r, &e, s.remote, skip ? NULL : &co, true);
	} else if (!skip) {
		for (size_t i = 0; i < e.n; i++) {
			if (e.v[i].p.size == 0 || lfs_store_has(&r.store, e.v[i].p.oid, e.v[i].p.size))
				lfs_co_file(&co, &e.v[i]);
			else
				fprintf(stderr, "Skipped checkout for \"%s\", content not local. Use fetch to download.\n",
					e.v[i].path);
		}
		if (lfs_co_finish(&co) < 0)
			rc = fail("%s", err_last()->msg);
		else if (co.failed)
			rc = EXIT_FAIL;
	}
	lfs_co_dispose(&co);
	if (skip && rc == 0)
		printf("Skipping object checkout, Git LFS is not installed for this repository.\n"
		       "Consider installing it with 'git lfs install'.\n");
out:
	lfs_entries_dispose(&e);
	lfs_filter_dispose(&f);
	repo_close(&r);
	free(s.refs);
	return rc;
}

static int cmd_pull(int argc, char **argv)
{
	return pull_or_checkout(argc, argv, true);
}

static int cmd_checkout(int argc, char **argv)
{
	return pull_or_checkout(argc, argv, false);
}

static void human(char *out, size_t sz, int64_t v)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB", "PB" };
	double d = (double)v;
	int e = 0;

	while (d >= 1000 && e < 5) {
		d /= 1000;
		e++;
	}
	if (e == 0)
		snprintf(out, sz, "%lld B", (long long)v);
	else
		snprintf(out, sz, d < 10 ? "%.1f %s" : "%.0f %s", d, units[e]);
}

/* "*" when the worktree holds the content, "-" when it holds the pointer */
static char worktree_state(struct repo *r, const struct lfs_entry *e)
{
	const char *wd = git_repository_workdir(r->repo);
	struct buf p = BUF_INIT;
	struct stat st;
	char c = '-';

	if (!wd)
		return '-';
	buf_printf(&p, "%s%s", wd, e->path);
	if (!p.failed && lstat(p.ptr, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == e->p.size &&
	    (e->p.size >= LFS_POINTER_MAX || lfs_store_has(&r->store, e->p.oid, e->p.size)))
		c = '*';
	buf_dispose(&p);
	return c;
}

static int cmd_ls_files(int argc, char **argv)
{
	bool lng = false, size = false, names = false;
	const char *ref = NULL;
	struct repo r;
	struct lfs_entries e = { 0 };
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-l") || !strcmp(a, "--long"))
			lng = true;
		else if (!strcmp(a, "-s") || !strcmp(a, "--size"))
			size = true;
		else if (!strcmp(a, "-n") || !strcmp(a, "--name-only"))
			names = true;
		else if (a[0] != '-' && !ref)
			ref = a;
		else
			return usage("ls-files [-l|--long] [-s|--size] [-n|--name-only] [<ref>]");
	}
	if ((rc = repo_open(&r)))
		return rc;
	if ((ref ? scan_ref(&r, ref, NULL, &e) : lfs_scan(r.repo, NULL, NULL, &e)) < 0) {
		rc = fail("%s", err_last()->msg);
	} else {
		for (size_t i = 0; i < e.n; i++) {
			char hs[32];

			if (names) {
				printf("%s\n", e.v[i].path);
				continue;
			}
			printf("%.*s %c %s", lng ? 64 : 10, e.v[i].p.oid, worktree_state(&r, &e.v[i]), e.v[i].path);
			if (size) {
				human(hs, sizeof(hs), e.v[i].p.size);
				printf(" (%s)", hs);
			}
			putchar('\n');
		}
	}
	lfs_entries_dispose(&e);
	repo_close(&r);
	return rc;
}

/* ---- pointer, fsck ---- */

static int hash_file(const char *path, char oid[LFS_OID_HEX + 1], int64_t *size);

static int cmd_pointer(int argc, char **argv)
{
	const char *file = NULL, *other = NULL;
	bool use_stdin = false, check = false;
	struct lfs_pointer p = { 0 };
	char text[LFS_POINTER_MAX + 64];

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--file=", 7))
			file = argv[i] + 7;
		else if (!strcmp(argv[i], "--file") && i + 1 < argc)
			file = argv[++i];
		else if (!strncmp(argv[i], "--pointer=", 10))
			other = argv[i] + 10;
		else if (!strcmp(argv[i], "--stdin"))
			use_stdin = true;
		else if (!strcmp(argv[i], "--check"))
			check = true;
		else
			return usage("pointer [--file=<path>] [--pointer=<path>] [--stdin] [--check]");
	}
	if (check) {
		char buf[LFS_POINTER_MAX];
		FILE *in = file ? fopen(file, "rb") : stdin;
		size_t n;

		if (!in)
			return fail("cannot open %s", file);
		n = fread(buf, 1, sizeof(buf), in);
		if (file)
			fclose(in);
		return n < sizeof(buf) && lfs_pointer_parse(buf, n, &p) ? 0 : 1;
	}
	if (!file && !other && !use_stdin)
		return fail("Nothing to do!");
	if (file) {
		if (hash_file(file, p.oid, &p.size) < 0)
			return fail("%s", err_last()->msg);
		lfs_pointer_format(&p, text, sizeof(text));
		fprintf(stderr, "Git LFS pointer for %s\n\n", file);
		fputs(text, stdout);
	}
	if (other || use_stdin) {
		char buf[LFS_POINTER_MAX];
		FILE *in = use_stdin ? stdin : fopen(other, "rb");
		struct lfs_pointer q;
		size_t n;

		if (!in)
			return fail("cannot open %s", other);
		n = fread(buf, 1, sizeof(buf), in);
		if (!use_stdin)
			fclose(in);
		fprintf(stderr, "\nPointer from %s\n\n", use_stdin ? "STDIN" : other);
		fwrite(buf, 1, n, stdout);
		if (n >= sizeof(buf) || !lfs_pointer_parse(buf, n, &q))
			return fail("Pointer file error: invalid header"), 1;
		if (file && (strcmp(q.oid, p.oid) || q.size != p.size))
			return fail("\nPointers do not match"), 1;
	}
	return 0;
}

static int hash_file(const char *path, char oid[LFS_OID_HEX + 1], int64_t *size)
{
	extern int lfs_hash_fd(int fd, char oid[LFS_OID_HEX + 1], int64_t *size);
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		return err_os("cannot open %s", path);
	rc = lfs_hash_fd(fileno(f), oid, size);
	fclose(f);
	return rc;
}

static int cmd_fsck(int argc, char **argv)
{
	const char *ref = "HEAD";
	struct repo r;
	struct lfs_entries e = { 0 };
	int rc, bad = 0, moved = 0;
	bool dry_run = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--objects") || !strcmp(argv[i], "--pointers"))
			continue;
		if (!strcmp(argv[i], "--dry-run") || !strcmp(argv[i], "-d")) {
			dry_run = true;
			continue;
		}
		if (argv[i][0] != '-')
			ref = argv[i];
		else
			return usage("fsck [--objects] [--dry-run] [<ref>]");
	}
	if ((rc = repo_open(&r)))
		return rc;
	if (scan_ref(&r, ref, NULL, &e) < 0) {
		rc = fail("%s", err_last()->msg);
		goto out;
	}
	for (size_t i = 0; i < e.n; i++) {
		char *path = lfs_store_object_path(r.store.root, e.v[i].p.oid), oid[LFS_OID_HEX + 1];
		int64_t size;

		if (e.v[i].p.size == 0) {
			free(path);
			continue;
		}
		if (!path || hash_file(path, oid, &size) < 0) {
			printf("objects: openError: %s (%s) could not be checked: no such file or directory\n",
			       e.v[i].path, e.v[i].p.oid);
			bad++;
		} else if (strcmp(oid, e.v[i].p.oid) || size != e.v[i].p.size) {
			printf("objects: corruptObject: %s (%s) is corrupt\n", e.v[i].path, e.v[i].p.oid);
			bad++;
			/* git-lfs's repair: out of the store, so that a pull fetches it again */
			if (!dry_run) {
				struct buf dst = BUF_INIT;

				buf_printf(&dst, "%s/bad", r.store.root);
				if (!dst.failed && (moved++ || (printf("objects: repair: moving corrupt objects to %s\n",
								      dst.ptr), 1)) && gfs_mkdir_p(dst.ptr) == 0) {
					buf_printf(&dst, "/%s", e.v[i].p.oid);
					if (!dst.failed && rename(path, dst.ptr) < 0)
						fprintf(stderr, "cannot move %s aside\n", path);
				}
				buf_dispose(&dst);
			}
		}
		free(path);
	}
	if (bad == 0)
		printf("Git LFS fsck OK\n");
	rc = bad ? 1 : 0;
out:
	lfs_entries_dispose(&e);
	repo_close(&r);
	return rc;
}

/* ---- the hooks git-lfs installs ---- */

/* post-checkout, post-commit, post-merge: git-lfs uses them for lockable files */
static int cmd_hook_noop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* pre-push: we do not upload, so a push that needs LFS objects the server lacks is
 * stopped here rather than leaving the server with pointers to nothing. */
static int cmd_pre_push(int argc, char **argv)
{
	struct repo r;
	struct lfs_entries all = { 0 };
	char line[1024];
	int rc;

	if ((rc = repo_open(&r)))
		return rc;
	while (fgets(line, sizeof(line), stdin)) {
		char lref[512], lsha[128], rref[512], rsha[128];
		struct lfs_entries e;

		if (sscanf(line, "%511s %127s %511s %127s", lref, lsha, rref, rsha) != 4 ||
		    strspn(lsha, "0") == strlen(lsha))
			continue;
		if (scan_ref(&r, lsha, NULL, &e) < 0)
			continue;
		for (size_t i = 0; i < e.n; i++) {
			struct lfs_entry *v = all.n == all.cap ? realloc(all.v, (all.cap = all.cap ? all.cap * 2 : 64) *
							sizeof(*v)) : all.v;

			if (!v)
				break;
			all.v = v;
			all.v[all.n++] = e.v[i];
			e.v[i].path = NULL;
		}
		lfs_entries_dispose(&e);
	}
	if (all.n > 0) {
		struct lfs_client c;
		struct lfs_want *w = calloc(all.n, sizeof(*w));
		size_t missing = 0;

		if (!w || lfs_client_init(&c, r.repo, r.cfg, argc > 1 ? argv[1] : NULL) < 0) {
			rc = fail("pre-push: %s", w ? err_last()->msg : "out of memory");
		} else {
			for (size_t at = 0; at < all.n && rc == 0; at += 100) {
				size_t k = all.n - at < 100 ? all.n - at : 100;
				struct lfs_batch_reply rep;

				for (size_t i = 0; i < k; i++) {
					memcpy(w[i].oid, all.v[at + i].p.oid, sizeof(w[i].oid));
					w[i].size = all.v[at + i].p.size;
				}
				if (lfs_client_batch_op(&c, c.http, "upload", w, k, &rep) < 0) {
					rc = fail("pre-push: %s", err_last()->msg);
					break;
				}
				for (size_t i = 0; i < rep.nobj; i++)
					missing += rep.obj[i].has_upload;
				lfs_batch_reply_dispose(&rep);
			}
			lfs_client_dispose(&c);
			if (rc == 0 && missing)
				rc = fail("pre-push: the LFS server lacks %zu object(s) this push refers to, and cihelper's "
					  "git-lfs does not upload: push them with git-lfs", missing);
		}
		free(w);
	}
	lfs_entries_dispose(&all);
	repo_close(&r);
	return rc;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{ "version", cmd_version },     { "install", cmd_install },   { "uninstall", cmd_uninstall },
	{ "env", cmd_env },             { "pull", cmd_pull },         { "fetch", cmd_fetch },
	{ "checkout", cmd_checkout },   { "ls-files", cmd_ls_files }, { "smudge", lfs_cmd_smudge },
	{ "clean", lfs_cmd_clean },     { "filter-process", lfs_cmd_filter_process },
	{ "pointer", cmd_pointer },     { "fsck", cmd_fsck },
	{ "post-checkout", cmd_hook_noop }, { "post-commit", cmd_hook_noop },
	{ "post-merge", cmd_hook_noop },    { "pre-push", cmd_pre_push },
};

int lfs_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		version_line(stdout);
		printf("git lfs <command> [<args>]\n\ncommands:");
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			printf(" %s", cmds[i].name);
		putchar('\n');
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "Error: unknown command \"%s\" for \"git-lfs\" (cihelper supports:", argv[1]);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, " %s", cmds[i].name);
	fprintf(stderr, ")\n");
	return EXIT_USAGE;
}
