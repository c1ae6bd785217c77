/* git lfs version, install, uninstall, env, pointer, fsck and the hooks git-lfs
 * installs. */
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
#include "lfs.h"
#include "lfs_cmd.h"
#include "lfs_internal.h"
#include "lfs_scan.h"

/* ---- version, install, uninstall, env ---- */

void lfs_version_line(FILE *f)
{
	const struct version_info *vi = version_get();

	fprintf(f, "git-lfs/%s (cihelper %s; %s %s; C)\n", LFS_VERSION, vi->version, vi->os, vi->arch);
}

int lfs_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	lfs_version_line(stdout);
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
			return lfs_usage(uninstall ? "uninstall [--local|--system|--global|--file=<path>] [--skip-repo]"
					       : "install [--local|--system|--global|--file=<path>] [--skip-repo] [--skip-smudge]");
	}
	if (!strcmp(scope, "local") || !strcmp(scope, "worktree")) {
		if (!(path = local_config_path()))
			return lfs_fail("Not in a Git repository.");
	} else if (!(path = scope_file(scope, file))) {
		return lfs_fail("cannot find the %s git configuration file (is HOME set?)", scope);
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
		return lfs_fail("error: cannot write the git configuration");
	if (!uninstall)
		printf("Git LFS initialized.\n");
	else if (!strcmp(scope, "system"))
		printf("System Git LFS configuration has been removed.\n");
	else if (!strcmp(scope, "global"))
		printf("Global Git LFS configuration has been removed.\n");
	return 0;
}

int lfs_cmd_install(int argc, char **argv)
{
	return install(argc, argv, false);
}

int lfs_cmd_uninstall(int argc, char **argv)
{
	return install(argc, argv, true);
}

int lfs_cmd_env(int argc, char **argv)
{
	struct lfs_repo r = { 0 };
	struct lfs_endpoint ep = { 0 };
	git_buf v = { 0 };
	bool have_repo;

	(void)argc;
	(void)argv;
	lfs_version_line(stdout);
	printf("git version %s\n\n", GITCLI_VERSION);
	have_repo = lfs_repo_open(&r, true) == 0;
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
		lfs_repo_close(&r);
	return 0;
}

/* ---- pointer, fsck ---- */

static int hash_file(const char *path, char oid[LFS_OID_HEX + 1], int64_t *size);

int lfs_cmd_pointer(int argc, char **argv)
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
			return lfs_usage("pointer [--file=<path>] [--pointer=<path>] [--stdin] [--check]");
	}
	if (check) {
		char buf[LFS_POINTER_MAX];
		FILE *in = file ? fopen(file, "rb") : stdin;
		size_t n;

		if (!in)
			return lfs_fail("cannot open %s", file);
		n = fread(buf, 1, sizeof(buf), in);
		if (file)
			fclose(in);
		return n < sizeof(buf) && lfs_pointer_parse(buf, n, &p) ? 0 : 1;
	}
	if (!file && !other && !use_stdin)
		return lfs_fail("Nothing to do!");
	if (file) {
		if (hash_file(file, p.oid, &p.size) < 0)
			return lfs_fail("%s", err_last()->msg);
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
			return lfs_fail("cannot open %s", other);
		n = fread(buf, 1, sizeof(buf), in);
		if (!use_stdin)
			fclose(in);
		fprintf(stderr, "\nPointer from %s\n\n", use_stdin ? "STDIN" : other);
		fwrite(buf, 1, n, stdout);
		if (n >= sizeof(buf) || !lfs_pointer_parse(buf, n, &q))
			return lfs_fail("Pointer file error: invalid header"), 1;
		if (file && (strcmp(q.oid, p.oid) || q.size != p.size))
			return lfs_fail("\nPointers do not match"), 1;
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

int lfs_cmd_fsck(int argc, char **argv)
{
	const char *ref = "HEAD";
	struct lfs_repo r;
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
			return lfs_usage("fsck [--objects] [--dry-run] [<ref>]");
	}
	if ((rc = lfs_repo_open(&r, false)))
		return rc;
	if (lfs_scan_ref(&r, ref, NULL, &e) < 0) {
		rc = lfs_fail("%s", err_last()->msg);
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
	lfs_repo_close(&r);
	return rc;
}

/* ---- the hooks git-lfs installs ---- */

/* post-checkout, post-commit, post-merge: git-lfs uses them for lockable files */
int lfs_cmd_hook_noop(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* pre-push: we do not upload, so a push that needs LFS objects the server lacks is
 * stopped here rather than leaving the server with pointers to nothing. */
int lfs_cmd_pre_push(int argc, char **argv)
{
	struct lfs_repo r;
	struct lfs_entries all = { 0 };
	char line[1024];
	int rc;

	if ((rc = lfs_repo_open(&r, false)))
		return rc;
	while (fgets(line, sizeof(line), stdin)) {
		char lref[512], lsha[128], rref[512], rsha[128];
		struct lfs_entries e;

		if (sscanf(line, "%511s %127s %511s %127s", lref, lsha, rref, rsha) != 4 ||
		    strspn(lsha, "0") == strlen(lsha))
			continue;
		if (lfs_scan_ref(&r, lsha, NULL, &e) < 0)
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
			rc = lfs_fail("pre-push: %s", w ? err_last()->msg : "out of memory");
		} else {
			for (size_t at = 0; at < all.n && rc == 0; at += 100) {
				size_t k = all.n - at < 100 ? all.n - at : 100;
				struct lfs_batch_reply rep;

				for (size_t i = 0; i < k; i++) {
					memcpy(w[i].oid, all.v[at + i].p.oid, sizeof(w[i].oid));
					w[i].size = all.v[at + i].p.size;
				}
				if (lfs_client_batch_op(&c, c.http, "upload", w, k, &rep) < 0) {
					rc = lfs_fail("pre-push: %s", err_last()->msg);
					break;
				}
				for (size_t i = 0; i < rep.nobj; i++)
					missing += rep.obj[i].has_upload;
				lfs_batch_reply_dispose(&rep);
			}
			lfs_client_dispose(&c);
			if (rc == 0 && missing)
				rc = lfs_fail("pre-push: the LFS server lacks %zu object(s) this push refers to, and cihelper's "
					  "git-lfs does not upload: push them with git-lfs", missing);
		}
		free(w);
	}
	lfs_entries_dispose(&all);
	lfs_repo_close(&r);
	return rc;
}

