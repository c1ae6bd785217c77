/* git submodule init | sync | update | foreach, as the runner's scripts call them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gconf.h"
#include "gitcli.h"
#include "gsubmod.h"

extern char **environ;

struct sm_args {
	bool quiet, recursive;
	struct gsub_update_opts up;
	const char **paths;
	size_t npaths;
	char **cmd; /* foreach */
	int ncmd;
};

static int parse(const char *sub, int argc, char **argv, struct sm_args *a)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--")) {
			i++;
			break;
		}
		if (s[0] != '-')
			break;
		if (!strcmp(s, "-q") || !strcmp(s, "--quiet"))
			a->quiet = true;
		else if (!strcmp(s, "--recursive"))
			a->recursive = true;
		else if (!strcmp(sub, "update") && (!strcmp(s, "--init")))
			a->up.init = true;
		else if (!strcmp(sub, "update") && !strcmp(s, "--remote"))
			a->up.remote = true;
		else if (!strcmp(sub, "update") && (!strcmp(s, "--force") || !strcmp(s, "-f")))
			a->up.force = true;
		else if (!strcmp(sub, "update") && (!strcmp(s, "--checkout") || !strcmp(s, "--no-recommend-shallow") ||
						    !strcmp(s, "--recommend-shallow") || !strcmp(s, "--progress") ||
						    !strcmp(s, "--no-single-branch") || !strcmp(s, "--single-branch")))
			continue;
		else if (!strcmp(sub, "update") && !strcmp(s, "--no-fetch"))
			a->up.no_fetch = true;
		else if (!strcmp(sub, "update") && (!strcmp(s, "--depth") || !strncmp(s, "--depth=", 8) ||
						    !strcmp(s, "--jobs") || !strncmp(s, "--jobs=", 7) || !strcmp(s, "-j"))) {
			const char *v = strchr(s, '=') ? strchr(s, '=') + 1 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			long n;

			if (!v)
				return gitcli_usage("git submodule update [--init] [--remote] [-N|--no-fetch] [-f|--force] [--checkout] [--depth <depth>] [--recursive] [--jobs <n>] [--] [<path>...]");
			n = strtol(v, &end, 10);
			if (*end || n < 0)
				return gitcli_fatal("invalid value '%s'", v);
			if (!strncmp(s, "--depth", 7))
				a->up.depth = (int)n;
		} else
			return gitcli_unsupported("submodule %s %s", sub, s);
	}
	if (!strcmp(sub, "foreach")) {
		a->cmd = argv + i;
		a->ncmd = argc - i;
	} else {
		a->paths = (const char **)argv + i;
		a->npaths = (size_t)(argc - i);
	}
	a->up.quiet = a->quiet;
	a->up.recursive = a->recursive;
	return 0;
}

/* git's prepare_shell_cmd: metacharacters need the shell */
static bool needs_shell(const char *s)
{
	return strcspn(s, "|&;<>()$`\\\"' \t\n*?[#~=%") != strlen(s);
}

static int run_in(const char *dir, char **argv, int argc, char **extra_env)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return gitcli_fatal("cannot fork: %s", strerror(errno));
	if (pid == 0) {
		char *sh[5];

		for (char **e = extra_env; e && *e; e++)
			putenv(*e);
		if (chdir(dir) < 0)
			_Exit(127);
		if (needs_shell(argv[0])) {
			struct buf b = BUF_INIT;

			buf_puts(&b, argv[0]);
			if (argc > 1)
				buf_puts(&b, " \"$@\"");
			sh[0] = "/bin/sh";
			sh[1] = "-c";
			sh[2] = b.ptr;
			sh[3] = argv[0];
			sh[4] = NULL;
			if (argc > 1) {
				char **v = calloc((size_t)argc + 4, sizeof(char *));

				if (!v)
					_Exit(127);
				memcpy(v, sh, 4 * sizeof(char *));
				for (int i = 1; i < argc; i++)
					v[3 + i] = argv[i];
				execve("/bin/sh", v, environ);
			} else {
				execve("/bin/sh", sh, environ);
			}
		} else {
			execvp(argv[0], argv);
		}
		fprintf(stderr, "fatal: cannot run %s: %s\n", argv[0], strerror(errno));
		_Exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int foreach(git_repository *repo, const char *display, const struct sm_args *a)
{
	struct gsub_list l;
	char top[PATH_MAX];
	int rc = 0;

	if (gsub_list(repo, NULL, 0, &l) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	snprintf(top, sizeof(top), "%s", git_repository_workdir(repo));
	if (strlen(top) > 1 && top[strlen(top) - 1] == '/')
		top[strlen(top) - 1] = '\0';
	for (size_t i = 0; i < l.n && !rc; i++) {
		const struct gsub *s = &l.v[i];
		git_repository *sub = NULL;
		struct buf dp = BUF_INIT, dir = BUF_INIT, env[5] = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
		struct buf cmd = BUF_INIT;
		char *envp[6] = { 0 }, hex[GIT_OID_SHA1_HEXSIZE + 1], *one[2];
		int st;

		if (gsub_open(repo, s, &sub) != 0)
			continue; /* not populated */
		buf_printf(&dp, "%s%s", display, s->path);
		buf_printf(&dir, "%s/%s", top, s->path);
		if (!a->quiet)
			printf("Entering '%s'\n", dp.ptr);
		git_oid_tostr(hex, sizeof(hex), &s->oid);
		if (a->ncmd == 1) {
			/* one argument: through the shell, with git's variables */
			buf_printf(&env[0], "name=%s", s->name);
			buf_printf(&env[1], "sm_path=%s", s->path);
			buf_printf(&env[2], "displaypath=%s", dp.ptr);
			buf_printf(&env[3], "sha1=%s", hex);
			buf_printf(&env[4], "toplevel=%s", top);
			for (int k = 0; k < 5; k++)
				envp[k] = env[k].ptr;
			buf_puts(&cmd, "path='");
			for (const char *p = s->path; *p; p++)
				*p == '\'' ? buf_puts(&cmd, "'\\''") : buf_putc(&cmd, *p);
			buf_printf(&cmd, "'; %s", a->cmd[0]);
			one[0] = cmd.ptr;
			one[1] = NULL;
			st = run_in(dir.ptr, one, 1, envp);
		} else if (a->ncmd > 1) {
			st = run_in(dir.ptr, a->cmd, a->ncmd, NULL);
		} else {
			st = 0;
		}
		if (st != 0) {
			fflush(stdout);
			fprintf(stderr, "fatal: run_command returned non-zero status for %s\n.\n", dp.ptr);
			rc = 128;
		} else if (a->recursive) {
			struct buf nd = BUF_INIT;

			buf_printf(&nd, "%s/", dp.ptr);
			if (foreach(sub, nd.ptr, a) != 0) {
				fprintf(stderr, "fatal: run_command returned non-zero status while recursing in the nested submodules of %s\n.\n", dp.ptr);
				rc = 128;
			}
			buf_dispose(&nd);
		}
		for (int k = 0; k < 5; k++)
			buf_dispose(&env[k]);
		buf_dispose(&cmd);
		buf_dispose(&dp);
		buf_dispose(&dir);
		git_repository_free(sub);
	}
	gsub_list_dispose(&l);
	return rc;
}

int gcmd_submodule(int argc, char **argv)
{
	struct sm_args a = { 0 };
	git_repository *repo = NULL;
	struct gsub_list l = { 0 };
	const char *sub;
	int rc = 0;

	if (argc < 2)
		return gitcli_unsupported("submodule status");
	sub = argv[1];
	if (strcmp(sub, "init") && strcmp(sub, "sync") && strcmp(sub, "update") && strcmp(sub, "foreach"))
		return gitcli_unsupported("submodule %s", sub);
	if ((rc = parse(sub, argc - 1, argv + 1, &a)) != 0)
		return rc;
	if (!strcmp(sub, "foreach") && a.ncmd == 0)
		return gitcli_usage("git submodule foreach [--quiet] [--recursive] [--] <command>");
	if (gitcli_libgit2() < 0)
		return 128;
	if (gconf_repo_open(&repo, NULL) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (!git_repository_workdir(repo)) {
		rc = gitcli_fatal("this operation must be run in a work tree");
		goto out;
	}
	if (!strcmp(sub, "foreach")) {
		rc = foreach(repo, "", &a);
		goto out;
	}
	if (gsub_list(repo, a.paths, a.npaths, &l) < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	if (!strcmp(sub, "update"))
		rc = gsub_update(repo, &l, "", &a.up);
	for (size_t i = 0; i < l.n && !rc && strcmp(sub, "update"); i++) {
		if (!strcmp(sub, "init"))
			rc = gsub_init(repo, &l.v[i], "", a.quiet);
		else
			rc = gsub_sync(repo, &l.v[i], "", a.recursive, a.quiet);
	}
out:
	gsub_list_dispose(&l);
	git_repository_free(repo);
	return rc;
}
