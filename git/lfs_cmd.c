/* The git-lfs command line: the shared helpers, pull, fetch, checkout, ls-files and
 * the dispatch (the other commands are in lfs_cmd_misc.c). */
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
#include "lfs_cmd.h"
#include "lfs_internal.h"
#include "lfs_scan.h"


int lfs_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return LFS_EXIT_FAIL;
}

int lfs_usage(const char *text)
{
	fflush(stdout);
	fprintf(stderr, "Usage: git lfs %s\n", text);
	return LFS_EXIT_USAGE;
}

/* ---- the repository a command works on ---- */

int lfs_repo_open(struct lfs_repo *r, bool quiet)
{
	memset(r, 0, sizeof(*r));
	if (gitcli_libgit2() < 0)
		return LFS_EXIT_FAIL;
	if (gconf_repo_open(&r->repo, NULL) < 0) {
		if (quiet)
			return 128;
		lfs_fail("Not in a Git repository.");
		return 128;
	}
	if (!quiet && lfs_repo_version_check(r->repo) < 0) {
		lfs_fail("%s", err_last()->msg);
		return 128;
	}
	if (git_repository_config(&r->cfg, r->repo) < 0)
		return lfs_fail("cannot read the git configuration: %s", git_error_last()->message);
	if (lfs_store_open(&r->store, r->repo, r->cfg) < 0)
		return lfs_fail("%s", err_last()->msg);
	return 0;
}

void lfs_repo_close(struct lfs_repo *r)
{
	lfs_store_dispose(&r->store);
	git_config_free(r->cfg);
	git_repository_free(r->repo);
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
			return lfs_usage(use);
		else if (!s->remote)
			s->remote = a;
		else if (refs_ok && s->refs)
			s->refs[s->nrefs++] = argv[i];
		else
			return lfs_usage(use);
	}
	return 0;
}

static int make_filter(struct lfs_repo *r, const struct sel *s, struct lfs_filter *f)
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
static char *batch_ref(struct lfs_repo *r)
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
static bool filters_installed(struct lfs_repo *r)
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
static int fetch_entries(struct lfs_repo *r, struct lfs_entries *e, const char *remote, struct lfs_co *co,
			 bool pull_msg)
{
	struct lfs_xfer_obj *o = calloc(e->n ? e->n : 1, sizeof(*o));
	struct lfs_client c;
	struct lfs_xfer_stats st = { 0 };
	struct pull ctx = { e, co };
	size_t n = 0;
	int rc = 0;

	if (!o)
		return lfs_fail("out of memory");
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
			rc = lfs_fail("%s", err_last()->msg); /* what was checked out still gets its index entry */
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
			rc = lfs_fail(pull_msg ? "Failed to fetch some objects from '%s'"
					   : "error: failed to fetch some objects from '%s'", c.ep.url);
		}
		lfs_client_dispose(&c);
	}
finish:
	for (size_t i = 0; i < n; i++)
		free(o[i].err_msg);
	free(o);
	if (co && lfs_co_finish(co) < 0 && rc == 0)
		rc = lfs_fail("%s", err_last()->msg);
	if (co && co->failed && rc == 0)
		rc = LFS_EXIT_FAIL;
	flush_fs(r->store.root);
	if (co && co->workdir)
		flush_fs(co->workdir);
	return rc;
}

int lfs_scan_ref(struct lfs_repo *r, const char *ref, const struct lfs_filter *f, struct lfs_entries *e)
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
	struct lfs_repo r;
	struct lfs_filter f = { 0 };
	int rc = parse_sel(argc, argv, &s, true, "fetch [options] [<remote> [<ref>...]]");

	if (rc || (rc = lfs_repo_open(&r, false)))
		return free(s.refs), rc;
	if (make_filter(&r, &s, &f) < 0)
		rc = lfs_fail("%s", err_last()->msg);
	for (size_t i = 0; rc == 0 && i < (s.nrefs ? s.nrefs : 1); i++) {
		struct lfs_entries e;

		if (lfs_scan_ref(&r, s.nrefs ? s.refs[i] : "HEAD", &f, &e) < 0) {
			rc = lfs_fail("%s", err_last()->msg);
			break;
		}
		rc = fetch_entries(&r, &e, s.remote, NULL, false);
		lfs_entries_dispose(&e);
	}
	lfs_filter_dispose(&f);
	lfs_repo_close(&r);
	free(s.refs);
	return rc;
}

static int pull_or_checkout(int argc, char **argv, bool pull)
{
	struct sel s;
	struct lfs_repo r;
	struct lfs_filter f = { 0 };
	struct lfs_entries e = { 0 };
	struct lfs_co co;
	bool skip;
	int rc = parse_sel(argc, argv, &s, !pull, pull ? "pull [options] [<remote>]" : "checkout [<path>...]");

	if (rc || (rc = lfs_repo_open(&r, false)))
		return free(s.refs), rc;
	if (!git_repository_workdir(r.repo)) {
		rc = lfs_fail("This operation must be run in a work tree.");
		goto out;
	}
	if (!pull && s.remote) { /* checkout takes paths: an include list */
		struct buf inc = BUF_INIT;

		buf_puts(&inc, s.remote);
		for (size_t i = 0; i < s.nrefs; i++)
			buf_printf(&inc, ",%s", s.refs[i]);
		s.remote = NULL;
		rc = lfs_filter_init(&f, inc.ptr, NULL) < 0 ? lfs_fail("%s", err_last()->msg) : 0;
		buf_dispose(&inc);
	} else if (make_filter(&r, &s, &f) < 0) {
		rc = lfs_fail("%s", err_last()->msg);
	}
	if (rc == 0 && lfs_scan(r.repo, NULL, &f, &e) < 0)
		rc = lfs_fail("%s", err_last()->msg);
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
			rc = lfs_fail("%s", err_last()->msg);
		else if (co.failed)
			rc = LFS_EXIT_FAIL;
	}
	lfs_co_dispose(&co);
	if (skip && rc == 0)
		printf("Skipping object checkout, Git LFS is not installed for this repository.\n"
		       "Consider installing it with 'git lfs install'.\n");
out:
	lfs_entries_dispose(&e);
	lfs_filter_dispose(&f);
	lfs_repo_close(&r);
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

/* "*" when the worktree holds the content, "-" when it holds the pointer */
static char worktree_state(struct lfs_repo *r, const struct lfs_entry *e)
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
	struct lfs_repo r;
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
			return lfs_usage("ls-files [-l|--long] [-s|--size] [-n|--name-only] [<ref>]");
	}
	if ((rc = lfs_repo_open(&r, false)))
		return rc;
	if ((ref ? lfs_scan_ref(&r, ref, NULL, &e) : lfs_scan(r.repo, NULL, NULL, &e)) < 0) {
		rc = lfs_fail("%s", err_last()->msg);
	} else {
		for (size_t i = 0; i < e.n; i++) {
			if (names) {
				printf("%s\n", e.v[i].path);
				continue;
			}
			printf("%.*s %c %s", lng ? 64 : 10, e.v[i].p.oid, worktree_state(&r, &e.v[i]), e.v[i].path);
			if (size) {
				struct buf hs = BUF_INIT;

				lfs_human_bytes(&hs, (double)e.v[i].p.size);
				printf(" (%s)", buf_cstr(&hs));
				buf_dispose(&hs);
			}
			putchar('\n');
		}
	}
	lfs_entries_dispose(&e);
	lfs_repo_close(&r);
	return rc;
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	int (*fn)(int, char **);
} cmds[] = {
	{ "version", lfs_cmd_version },
	{ "install", lfs_cmd_install },
	{ "uninstall", lfs_cmd_uninstall },
	{ "env", lfs_cmd_env },
	{ "pull", cmd_pull },
	{ "fetch", cmd_fetch },
	{ "checkout", cmd_checkout },
	{ "ls-files", cmd_ls_files },
	{ "smudge", lfs_cmd_smudge },
	{ "clean", lfs_cmd_clean },
	{ "filter-process", lfs_cmd_filter_process },
	{ "pointer", lfs_cmd_pointer },
	{ "fsck", lfs_cmd_fsck },
	{ "post-checkout", lfs_cmd_hook_noop },
	{ "post-commit", lfs_cmd_hook_noop },
	{ "post-merge", lfs_cmd_hook_noop },
	{ "pre-push", lfs_cmd_pre_push },
};

int lfs_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		lfs_version_line(stdout);
		printf("git lfs <command> [<args>]\n\ncommands:");
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			printf(" %s", cmds[i].name);
		putchar('\n');
		return argc < 2 ? LFS_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version"))
		return lfs_cmd_version(0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "Error: unknown command \"%s\" for \"git-lfs\" (cihelper supports:", argv[1]);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, " %s", cmds[i].name);
	fprintf(stderr, ")\n");
	return LFS_EXIT_USAGE;
}
