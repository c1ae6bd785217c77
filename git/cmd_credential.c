/* git credential fill|approve|reject: git-credential(1) on our helpers and config. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <git2.h>

#include "../helper/error.h"
#include "gconf.h"
#include "gcred.h"
#include "gitcli.h"

int gcmd_credential(int argc, char **argv);

/* The config git would read here: the repository's too when in one (git
 * credential sets up a repository gently). */
static int open_config(git_config **cfg, git_repository **repo)
{
	*repo = NULL;
	if (gconf_repo_open(repo, NULL) < 0) {
		*repo = NULL;
		err_clear();
	}
	if (gconf_open(cfg, *repo) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	return 0;
}

static int fatal_from(int rc)
{
	if (rc == CIH_ECORRUPT)
		return gitcli_fatal("unable to read credential from stdin");
	return gitcli_fatal("%s", err_last()->msg);
}

/* The credential travels through stdio: buffers of ours, zeroed afterwards. */
static char inbuf[4096], outbuf[4096];

static int run(const char *op, struct gcred *c)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int rc;

	if (strcmp(op, "fill") && strcmp(op, "approve") && strcmp(op, "reject"))
		return gitcli_usage("git credential (fill|approve|reject)");
	/* fill with both known asks nobody, as in git */
	if (!(!strcmp(op, "fill") && c->username && c->password)) {
		if (gitcli_libgit2() < 0)
			return 128;
		if ((rc = open_config(&cfg, &repo)) != 0)
			return rc;
	}
	if (!strcmp(op, "fill"))
		rc = gcred_fill(c, cfg);
	else if (!strcmp(op, "approve"))
		rc = gcred_approve(c, cfg);
	else
		rc = gcred_reject(c, cfg);
	git_config_free(cfg);
	git_repository_free(repo);
	if (rc < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (!strcmp(op, "fill")) {
		if (gcred_write(c, stdout) < 0) {
			/* git hits a BUG() here (abort, status 134) */
			fflush(stdout);
			fprintf(stderr, "BUG: %s\n", err_last()->msg);
			return 134;
		}
		if (fflush(stdout) != 0 || ferror(stdout))
			return gitcli_fatal("unable to write the credential: %s", strerror(errno));
	}
	return 0;
}

int gcmd_credential(int argc, char **argv)
{
	struct gcred c = { 0 };
	int rc;

	if (argc != 2 || !strcmp(argv[1], "-h"))
		return gitcli_usage("git credential (fill|approve|reject)");
	setvbuf(stdin, inbuf, _IOFBF, sizeof(inbuf));
	fflush(stdout);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if ((rc = gcred_read(&c, stdin)) < 0)
		rc = fatal_from(rc);
	else
		rc = run(argv[1], &c);
	gcred_dispose(&c);
	explicit_bzero(inbuf, sizeof(inbuf));
	explicit_bzero(outbuf, sizeof(outbuf));
	return rc;
}
