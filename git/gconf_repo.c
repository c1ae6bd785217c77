/* Opening the repository git would use, with git's ownership check (setup.c's
 * ensure_valid_ownership; libgit2's own check is off, see gitcli_libgit2). */
#include "gconf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/repository.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gconf_parse.h"
#include "gitcli.h"

/* git-compat-util.h's is_path_owned_by_current_uid: root may use its own files and
 * those of the user it sudo'ed from */
static int owned_by_us(const char *path)
{
	const char *sudo = getenv("SUDO_UID");
	uid_t euid = geteuid();
	struct stat st;

	if (lstat(path, &st))
		return 0;
	if (euid == 0) {
		if (st.st_uid == 0)
			return 1;
		if (sudo && *sudo) {
			char *end;
			unsigned long v = strtoul(sudo, &end, 10);

			if (!*end && v <= (uid_t)-1)
				euid = (uid_t)v;
		}
	}
	return st.st_uid == euid;
}

static void strip_slash(struct buf *b, const char *path)
{
	buf_clear(b);
	buf_puts(b, path);
	while (b->len > 1 && b->ptr[b->len - 1] == '/')
		b->ptr[--b->len] = '\0';
}

/* sq_quote_buf_pretty */
static void quote_pretty(struct buf *b, const char *s)
{
	const char *p;

	if (!*s) {
		buf_puts(b, "''");
		return;
	}
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("+,-./:=@_^", *p)))
			break;
	if (!*p) {
		buf_puts(b, s);
		return;
	}
	buf_putc(b, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'' || *p == '!')
			buf_printf(b, "'\\%c'", *p);
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

static int check_ownership(git_repository *repo)
{
	const char *workdir = git_repository_workdir(repo);
	const char *v = getenv("GIT_TEST_ASSUME_DIFFERENT_OWNER");
	struct buf path = BUF_INIT, gitdir = BUF_INIT, gitfile = BUF_INIT, quoted = BUF_INIT;
	int ok, safe = 0, rc = 0;

	strip_slash(&gitdir, git_repository_path(repo));
	if (workdir) {
		struct stat st;

		strip_slash(&path, workdir);
		buf_printf(&gitfile, "%s/.git", buf_cstr(&path));
		if (lstat(buf_cstr(&gitfile), &st) || !S_ISREG(st.st_mode))
			buf_clear(&gitfile);
	} else {
		buf_puts(&path, buf_cstr(&gitdir));
	}
	ok = !(v && gconf_parse_bool(v) > 0) && (!gitfile.len || owned_by_us(buf_cstr(&gitfile))) &&
	     (!workdir || owned_by_us(buf_cstr(&path))) && owned_by_us(buf_cstr(&gitdir));
	if (!ok && (rc = gconf_safe_directory(buf_cstr(&path), &safe)) == 0 && !safe) {
		quote_pretty(&quoted, buf_cstr(&path));
		rc = err_set(CIH_EUNSAFE,
			     "detected dubious ownership in repository at '%s'\n"
			     "To add an exception for this directory, call:\n\n"
			     "\tgit config --global --add safe.directory %s",
			     buf_cstr(&path), buf_cstr(&quoted));
	}
	buf_dispose(&path);
	buf_dispose(&gitdir);
	buf_dispose(&gitfile);
	buf_dispose(&quoted);
	return rc;
}

int gconf_repo_find(git_repository **out, const char *path)
{
	git_repository *repo = NULL;
	int rc;

	if (gitcli_libgit2() < 0)
		return err_set(CIH_EGIT, "cannot initialise libgit2");
	rc = git_repository_open_ext(&repo, path,
				     path ? GIT_REPOSITORY_OPEN_NO_SEARCH : GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	if (rc == GIT_ENOTFOUND)
		return err_set(CIH_ENOTFOUND, "not a git repository (or any of the parent directories): .git");
	if (rc < 0)
		return err_set(CIH_EGIT, "%s", git_error_last()->message);
	if ((rc = check_ownership(repo)) < 0) {
		git_repository_free(repo);
		return rc;
	}
	*out = repo;
	return 0;
}

int gconf_repo_open(git_repository **out, const char *path)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int rc;

	if ((rc = gconf_repo_find(&repo, path)) < 0)
		return rc;
	if ((rc = gconf_open(&cfg, repo)) < 0) {
		git_repository_free(repo);
		return rc;
	}
	git_repository_set_config(repo, cfg);
	git_config_free(cfg);
	*out = repo;
	return 0;
}
