/* First cut: libgit2's default stack plus -c parameters (encoding as git 2.31+).
 * The full layering of gconf.h replaces this. */
#include "gconf.h"

#include <stdlib.h>
#include <string.h>

#include <git2/sys/config.h>

#include "../helper/buf.h"
#include "../helper/error.h"

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
	if (b.failed || setenv("GIT_CONFIG_PARAMETERS", b.ptr, 1) < 0)
		rc = err_set(CIH_ENOMEM, "out of memory");
	buf_dispose(&b);
	buf_dispose(&key);
	return rc;
}

int gconf_open(git_config **out, git_repository *repo)
{
	if ((repo ? git_repository_config(out, repo) : git_config_open_default(out)) < 0)
		return err_set(CIH_EGIT, "%s", git_error_last()->message);
	return 0;
}

int gconf_repo_open(git_repository **out, const char *path)
{
	int rc = git_repository_open_ext(out, path, path ? GIT_REPOSITORY_OPEN_NO_SEARCH
						   : GIT_REPOSITORY_OPEN_FROM_ENV, NULL);

	if (rc == GIT_ENOTFOUND)
		return err_set(CIH_ENOTFOUND, "not a git repository (or any of the parent directories): .git");
	if (rc < 0)
		return err_set(CIH_EGIT, "%s", git_error_last()->message);
	return 0;
}
