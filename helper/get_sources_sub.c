/* get-sources step 8: submodules (shells/abstract.go writeSubmoduleUpdateCmds;
 * runner-script submodules()), with the script's if/else around the update. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"
#include "get_sources.h"

struct subargs {
	struct gsrc_argv sync, update, foreach, clean, inc, cred;
};

static int build(struct subargs *s, const struct gsrc_opts *o, const char *ext)
{
	bool rec = o->subs == GSRC_SUB_RECURSIVE;
	struct gsrc_argv paths = { 0 };
	int rc = 0;

	if (o->sub_paths.n) {
		rc |= gsrc_argv_push(&paths, "--");
		rc |= gsrc_argv_append(&paths, &o->sub_paths);
	}
	rc |= gsrc_argv_push(&s->sync, "submodule");
	rc |= gsrc_argv_push(&s->sync, "sync");
	if (rec)
		rc |= gsrc_argv_push(&s->sync, "--recursive");
	rc |= gsrc_argv_append(&s->sync, &paths);

	rc |= gsrc_argv_push(&s->inc, "-c");
	rc |= gsrc_argv_pushf(&s->inc, "include.path=%s", ext);

	rc |= gsrc_argv_push(&s->update, "submodule");
	rc |= gsrc_argv_push(&s->update, "update");
	rc |= gsrc_argv_push(&s->update, "--init");
	if (rec)
		rc |= gsrc_argv_push(&s->update, "--recursive");
	if (o->sub_depth > 0) {
		rc |= gsrc_argv_push(&s->update, "--depth");
		rc |= gsrc_argv_pushf(&s->update, "%lld", (long long)o->sub_depth);
	}
	rc |= gsrc_argv_append(&s->update, &o->sub_update_flags);
	rc |= gsrc_argv_append(&s->update, &paths);

	rc |= gsrc_argv_push(&s->foreach, "submodule");
	rc |= gsrc_argv_push(&s->foreach, "foreach");
	if (rec)
		rc |= gsrc_argv_push(&s->foreach, "--recursive");

	rc |= gsrc_argv_push(&s->clean, "git");
	rc |= gsrc_argv_push(&s->clean, "clean");
	if (o->clean_flags.n)
		rc |= gsrc_argv_append(&s->clean, &o->clean_flags);
	else
		rc |= gsrc_argv_push(&s->clean, "-ffdx");
	gsrc_argv_dispose(&paths);
	return rc ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

/* git [pre...] [mid...] [tail...], where tail is NULL-terminated words */
static int run(const struct gsrc_argv *pre, const struct gsrc_argv *mid, const struct gsrc_argv *mid2, ...)
{
	struct gsrc_argv a = { 0 };
	va_list ap;
	int rc = 0;

	if (pre)
		rc |= gsrc_argv_append(&a, pre);
	if (mid)
		rc |= gsrc_argv_append(&a, mid);
	if (mid2)
		rc |= gsrc_argv_append(&a, mid2);
	va_start(ap, mid2);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		rc |= gsrc_argv_push(&a, s);
	va_end(ap);
	rc = rc ? err_set(CIH_ENOMEM, "out of memory") : gsrc_git(&a, GSRC_IO_PASS, NULL);
	gsrc_argv_dispose(&a);
	return rc;
}

#define STEP(expr)                         \
	do {                               \
		if ((rc = (expr)) != 0)    \
			goto out;          \
	} while (0)

int gsrc_submodules(const struct gsrc_opts *o, const char *ext)
{
	bool rec = o->subs == GSRC_SUB_RECURSIVE, remote = false;
	struct subargs s;
	int rc;

	memset(&s, 0, sizeof(s));
	if (rec && o->sub_depth > 0)
		gsrc_notice("Updating/initializing submodules recursively with git depth set to %lld...",
			    (long long)o->sub_depth);
	else if (rec)
		gsrc_notice("Updating/initializing submodules recursively...");
	else if (o->sub_depth > 0)
		gsrc_notice("Updating/initializing submodules with git depth set to %lld...", (long long)o->sub_depth);
	else
		gsrc_notice("Updating/initializing submodules...");
	STEP(build(&s, o, ext));
	for (size_t i = 0; i < o->sub_update_flags.n; i++)
		remote |= !strcasecmp(o->sub_update_flags.v[i], "--remote");
	STEP(run(NULL, NULL, NULL, "submodule", "init", NULL));
	STEP(run(&s.sync, NULL, NULL, NULL));
	STEP(run(&s.foreach, &s.clean, NULL, NULL));
	STEP(run(&s.foreach, NULL, NULL, "git", "reset", "--hard", NULL));
	if (run(&s.inc, &s.update, NULL, NULL) == 0) {
		gsrc_notice("Updated submodules");
		STEP(run(&s.sync, NULL, NULL, NULL));
	} else {
		gsrc_warning("Updating submodules failed. Retrying...");
		if (remote)
			STEP(run(&s.inc, &s.foreach, NULL, "git", "fetch", "origin", "+refs/heads/*:refs/remotes/origin/*",
				 NULL));
		STEP(run(&s.sync, NULL, NULL, NULL));
		STEP(run(&s.inc, &s.update, NULL, NULL));
		STEP(run(&s.foreach, NULL, NULL, "git", "reset", "--hard", NULL));
	}
	STEP(run(&s.foreach, &s.clean, NULL, NULL));
	gsrc_notice("Configuring submodules to use parent git credentials...");
	/* always recursive, even for normal */
	STEP(gsrc_argv_append(&s.cred, &s.foreach));
	if (!rec)
		STEP(gsrc_argv_push(&s.cred, "--recursive"));
	STEP(run(&s.cred, NULL, NULL, "git", "config", "--replace-all", "include.path", ext, NULL));
	if (!o->lfs_skip_smudge && gsrc_gitl(GSRC_IO_QUIET, "lfs", "version", NULL) == 0) {
		gsrc_notice("Pulling LFS files...");
		STEP(run(&s.inc, &s.foreach, NULL, "git", "lfs", "pull", NULL));
	}
out:
	gsrc_argv_dispose(&s.sync);
	gsrc_argv_dispose(&s.update);
	gsrc_argv_dispose(&s.foreach);
	gsrc_argv_dispose(&s.clean);
	gsrc_argv_dispose(&s.inc);
	gsrc_argv_dispose(&s.cred);
	return rc;
}
