#include "gitcli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "../helper/error.h"
#include "../helper/redact.h"
#include "gconf.h"
#include "lfs_gitfilter.h"
#include "tls_stream.h"

#define GITCMD(name, entry, flags) int entry(int argc, char **argv);
#include "gitcmds.h"
#undef GITCMD

struct gitcmd {
	const char *name;
	int (*entry)(int argc, char **argv);
	unsigned flags;
};

static const struct gitcmd gitcmds[] = {
#define GITCMD(name, entry, flags) { name, entry, flags },
#include "gitcmds.h"
#undef GITCMD
};

#if defined(__x86_64__)
#define CIH_GIT_CPU "x86_64"
#elif defined(__aarch64__)
#define CIH_GIT_CPU "aarch64"
#elif defined(__s390x__)
#define CIH_GIT_CPU "s390x"
#elif defined(__powerpc64__)
#define CIH_GIT_CPU "ppc64le"
#elif defined(__riscv)
#define CIH_GIT_CPU "riscv64"
#else
#define CIH_GIT_CPU "unknown"
#endif

static char self_path[PATH_MAX];

/* Messages can quote libgit2's errors and URLs: registered secrets (the job token,
 * passwords of URLs seen) are masked on the way out. */
static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	char line[4096], safe[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	redact_copy(safe, sizeof(safe), line);
	fflush(stdout);
	fprintf(stderr, "%s%s\n", prefix, safe);
}

int gitcli_unsupported(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "cihelper git: '%s' is not supported\n", what);
	return 129;
}

int gitcli_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap);
	va_end(ap);
	return 128;
}

int gitcli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void gitcli_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

int gitcli_fatal_git(const char *fallback)
{
	const git_error *e = git_error_last();

	return gitcli_fatal("%s", e && e->message && *e->message ? e->message : fallback);
}

int gitcli_usage(const char *text)
{
	fflush(stdout);
	fprintf(stderr, "usage: %s\n", text);
	return 129;
}

int gitcli_libgit2(void)
{
	static int done;

	if (done)
		return 0;
	if (git_libgit2_init() < 0)
		return gitcli_fatal("cannot initialise libgit2"), -1;
	if (gtls_register() < 0 || lfs_gitfilter_register() < 0)
		return gitcli_fatal("%s", err_last()->msg), -1;
	/* ownership is checked against our own config stack (gconf_repo_open) */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	/* git hashes objects when they arrive (index-pack), not on every read; libgit2's
	 * default re-hash of each object read cost ~20% of a checkout (bench-git) */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	done = 1;
	return 0;
}

const char *gitcli_self(void)
{
	return self_path;
}

static void find_self(const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	/* under qemu-user /proc/self/exe is the emulated binary too */
	if (n > 0) {
		self_path[n] = '\0';
		return;
	}
	snprintf(self_path, sizeof(self_path), "%s", argv0);
}

static const char usage_text[] =
	"git [-v | --version] [-C <path>] [-c <name>=<value>] <command> [<args>]";

static void print_commands(FILE *out)
{
	fprintf(out, "usage: %s\n\ncihelper's git look-alike runs these commands:\n", usage_text);
	for (size_t i = 0; i < sizeof(gitcmds) / sizeof(gitcmds[0]); i++)
		fprintf(out, "   %s\n", gitcmds[i].name);
}

/* "--opt=value" or "--opt value": the value, advancing *i past what was used. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (!strcmp(argv[*i], name) && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int gitcli_main(int argc, char **argv)
{
	int i;

	find_self(argv[0]);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v;

		if (!strcmp(a, "-c") || !strcmp(a, "--config-env")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "error: no config key given for %s\n", a);
				return gitcli_usage(usage_text);
			}
			if (!strcmp(a, "--config-env"))
				return gitcli_unsupported("--config-env");
			if (gconf_param_add(argv[++i]) < 0)
				return gitcli_fatal("%s", err_last()->msg);
		} else if (!strcmp(a, "-C")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "error: no directory given for '-C' option\n\n");
				return gitcli_usage(usage_text);
			}
			if (*argv[++i] && chdir(argv[i]) < 0)
				return gitcli_fatal("cannot change to '%s': %s", argv[i], strerror(errno));
		} else if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
			argv[i] = "version";
			break;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_commands(stdout);
			return 0;
		} else if (!strcmp(a, "-P") || !strcmp(a, "--no-pager") || !strcmp(a, "--no-replace-objects")) {
			continue;
		} else if ((v = opt_value(argc, argv, &i, "--git-dir"))) {
			if (setenv("GIT_DIR", v, 1) < 0)
				return gitcli_fatal("out of memory");
		} else if ((v = opt_value(argc, argv, &i, "--work-tree"))) {
			if (setenv("GIT_WORK_TREE", v, 1) < 0)
				return gitcli_fatal("out of memory");
		} else {
			return gitcli_unsupported("%s", a);
		}
	}
	if (i >= argc) {
		print_commands(stdout);
		return 1;
	}
	for (size_t k = 0; k < sizeof(gitcmds) / sizeof(gitcmds[0]); k++)
		if (!strcmp(gitcmds[k].name, argv[i]))
			return gitcmds[k].entry(argc - i, argv + i);
	return gitcli_unsupported("%s", argv[i]);
}

int gcmd_version(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--build-options"))
			return gitcli_usage("git version [--build-options]");
	printf("git version %s\n", GITCLI_VERSION);
	for (int i = 1; i < argc; i++)
		printf("cpu: %s\nno commit associated with this build\n"
		       "sizeof-long: %zu\nsizeof-size_t: %zu\nshell-path: /bin/sh\n"
		       "feature: cihelper (libgit2 %s)\n",
		       CIH_GIT_CPU, sizeof(long), sizeof(size_t), LIBGIT2_VERSION);
	return 0;
}
