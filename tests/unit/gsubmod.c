/* Relative .gitmodules URLs against the superproject's remote (git's
 * resolve_relative_url), without a repository. */
#include <stdio.h>
#include <stdlib.h>

#include <git2.h>

#include "../../git/gsubmod.h"
#include "unit.h"

static const char *resolve(const char *remote, const char *url)
{
	static char out[1100];
	char *r = NULL;

	if (gsub_resolve_relative(remote, url, &r) < 0)
		snprintf(out, sizeof(out), "ERR %s", err_last()->msg);
	else
		snprintf(out, sizeof(out), "%s", r);
	free(r);
	return out;
}

TEST(gsub_resolve_relative_table)
{
	CHECK_STR(resolve("https://h/g/super.git", "../sub.git"), "https://h/g/sub.git");
	CHECK_STR(resolve("https://h/g/super.git/", "./sub"), "https://h/g/super.git/sub");
	CHECK_STR(resolve("https://h/g/super.git", "../../o/sub.git"), "https://h/o/sub.git");
	CHECK_STR(resolve("git@h:g/super.git", "../sub.git"), "git@h:g/sub.git");
	CHECK_STR(resolve("git@h:super.git", "../sub.git"), "git@h:sub.git");
	CHECK_STR(resolve("/srv/super", "../sub"), "/srv/sub");
	CHECK_STR(resolve("https://h", "../x"), "ERR cannot strip one component off url 'https://h'");
}
