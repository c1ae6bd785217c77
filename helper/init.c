/* The image's init (/usr/bin/dumb-init): PID 1 duties as Yelp's dumb-init
 * documents them. It starts the command in a new session (unless
 * --single-child), forwards every signal it gets to the command's process group
 * (or only to the command), rewrites signals on request, reaps every zombie, and
 * exits with the command's status (128+N after signal N), sending SIGTERM to what
 * is left of the group first. The runner also copies this file into Kubernetes
 * build containers and runs it as `<dir>/dumb-init -- <command>`. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"
#include "version.h"

#define INIT_MAXSIG 31 /* 1..31: the classic signals; real-time ones pass unchanged */
#define INIT_COMPAT_VERSION "1.2.5"

struct init_state {
	int rewrite[INIT_MAXSIG + 1]; /* -1: unchanged, 0: dropped */
	pid_t child;
	int setsid_mode;
	int verbose;
};

#define INIT_DEBUG(st, ...)                                                         \
	do {                                                                        \
		if ((st)->verbose) {                                                \
			fputs("[dumb-init] ", stderr);                              \
			fprintf(stderr, __VA_ARGS__);                               \
		}                                                                   \
	} while (0)

static void init_usage(const char *argv0)
{
	fprintf(stderr,
		"dumb-init v" INIT_COMPAT_VERSION " (cihelper %s, %s)\n"
		"Usage: %s [option] command [[arg] ...]\n"
		"\n"
		"dumb-init is a simple process supervisor that forwards signals to children.\n"
		"It is designed to run as PID1 in minimal container environments.\n"
		"\n"
		"Optional arguments:\n"
		"   -c, --single-child   Run in single-child mode.\n"
		"                        In this mode, signals are only proxied to the\n"
		"                        direct child and not any of its descendants.\n"
		"   -r, --rewrite s:r    Rewrite received signal s to new signal r before proxying.\n"
		"                        To ignore (not proxy) a signal, rewrite it to 0.\n"
		"                        This option can be specified multiple times.\n"
		"   -v, --verbose        Print debugging information to stderr.\n"
		"   -h, --help           Print this help message and exit.\n"
		"   -V, --version        Print the current version and exit.\n"
		"\n"
		"Environment: DUMB_INIT_SETSID=0 is --single-child, DUMB_INIT_DEBUG=1 is --verbose.\n",
		version_get()->version, version_get()->revision, argv0);
}

/* "s:r", both decimal, s in 1..31, r in 0..31 (0 drops the signal). */
int init_parse_rewrite(const char *arg, int *from, int *to)
{
	char *end;
	long s, r;

	errno = 0;
	s = strtol(arg, &end, 10);
	if (end == arg || *end != ':' || errno)
		return -1;
	arg = end + 1;
	r = strtol(arg, &end, 10);
	if (end == arg || *end || errno || s < 1 || s > INIT_MAXSIG || r < 0 || r > INIT_MAXSIG)
		return -1;
	*from = (int)s;
	*to = (int)r;
	return 0;
}

static void init_forward(struct init_state *st, int sig)
{
	if (sig >= 1 && sig <= INIT_MAXSIG && st->rewrite[sig] != -1) {
		INIT_DEBUG(st, "Translating signal %d to %d.\n", sig, st->rewrite[sig]);
		sig = st->rewrite[sig];
	}
	if (sig == 0) {
		INIT_DEBUG(st, "Not forwarding signal (ignored).\n");
		return;
	}
	kill(st->setsid_mode ? -st->child : st->child, sig);
	INIT_DEBUG(st, "Forwarded signal %d to children.\n", sig);
}

/* Reaps every child that has exited. Returns the command's exit status once it
 * is among them, else -1. */
static int init_reap(struct init_state *st)
{
	int status, code;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFEXITED(status))
			code = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			code = 128 + WTERMSIG(status);
		else
			continue;
		INIT_DEBUG(st, "A child with PID %d exited with exit status %d.\n", (int)pid, code);
		if (pid == st->child) {
			init_forward(st, SIGTERM); /* whatever is left of the group */
			INIT_DEBUG(st, "Child exited with status %d. Goodbye.\n", code);
			return code;
		}
	}
	return -1;
}

static void init_ignore(int sig)
{
	(void)sig;
}

/* Options and environment into st. Returns the exit status when init should end
 * now (--help, --version, a usage error), or -1 to go on and run the command. */
static int init_parse(struct init_state *st, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "single-child", no_argument, NULL, 'c' },
		{ "rewrite", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env;
	int opt, from, to;

	for (int i = 0; i <= INIT_MAXSIG; i++)
		st->rewrite[i] = -1;
	st->setsid_mode = 1;
	while ((opt = getopt_long(argc, argv, "+hvVcr:", longs, NULL)) != -1) {
		switch (opt) {
		case 'h':
			init_usage(argv[0]);
			return 0;
		case 'v':
			st->verbose = 1;
			break;
		case 'V':
			fprintf(stderr, "dumb-init v" INIT_COMPAT_VERSION "\n");
			return 0;
		case 'c':
			st->setsid_mode = 0;
			break;
		case 'r':
			if (init_parse_rewrite(optarg, &from, &to) < 0) {
				fprintf(stderr, "Usage: -r option takes <signum>:<signum>, where <signum> "
						"is between 1 and %d.\n"
						"This option can be specified multiple times.\n"
						"Use --help for full usage.\n", INIT_MAXSIG);
				return 1;
			}
			st->rewrite[from] = to;
			break;
		default:
			return 1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "Usage: %s [option] program [args]\nTry %s --help for full usage.\n",
			argv[0], argv[0]);
		return 1;
	}
	if ((env = getenv("DUMB_INIT_DEBUG")) && !strcmp(env, "1")) {
		st->verbose = 1;
		INIT_DEBUG(st, "Running in debug mode.\n");
	}
	if ((env = getenv("DUMB_INIT_SETSID")) && !strcmp(env, "0")) {
		st->setsid_mode = 0;
		INIT_DEBUG(st, "Not running in setsid mode.\n");
	}
	if (st->setsid_mode) { /* job control: the group stops, then init stops itself */
		static const int tty_stops[] = { SIGTSTP, SIGTTOU, SIGTTIN };
		for (size_t i = 0; i < sizeof(tty_stops) / sizeof(tty_stops[0]); i++)
			if (st->rewrite[tty_stops[i]] == -1)
				st->rewrite[tty_stops[i]] = SIGSTOP;
	}
	return -1;
}

/* The command runs with default dispositions and nothing blocked: main() ignores
 * SIGPIPE and an ignored signal would survive exec. */
static void init_exec_child(const struct init_state *st, char **cmd, const sigset_t *all)
{
	for (int s = 1; s <= INIT_MAXSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, all, NULL);
	if (st->setsid_mode) {
		if (setsid() < 0) {
			fprintf(stderr, "[dumb-init] Unable to setsid (errno=%d %s). Exiting.\n", errno,
				strerror(errno));
			_exit(1); /* forked child */
		}
		if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
			INIT_DEBUG(st, "Unable to attach to controlling tty (errno=%d %s).\n", errno,
				   strerror(errno));
		INIT_DEBUG(st, "setsid complete.\n");
	}
	execvp(cmd[0], cmd);
	fprintf(stderr, "[dumb-init] %s: %s\n", cmd[0], strerror(errno));
	_exit(2); /* forked child */
}

int init_main(int argc, char **argv)
{
	struct init_state st = { 0 };
	sigset_t all;
	int rc, sig, code;

	if ((rc = init_parse(&st, argc, argv)) >= 0)
		return rc;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	/* As PID 1 a signal with the default action is dropped by the kernel: every
	 * one gets a handler, then waits blocked for sigwait(). */
	for (int s = 1; s <= INIT_MAXSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, init_ignore);
	if (st.setsid_mode && ioctl(STDIN_FILENO, TIOCNOTTY) < 0)
		INIT_DEBUG(&st, "Unable to detach from controlling tty (errno=%d %s).\n", errno,
			   strerror(errno));
	fflush(NULL);
	st.child = fork();
	if (st.child < 0) {
		fprintf(stderr, "[dumb-init] Unable to fork. Exiting.\n");
		return 1;
	}
	if (st.child == 0)
		init_exec_child(&st, argv + optind, &all);
	INIT_DEBUG(&st, "Child spawned with PID %d.\n", (int)st.child);
	for (;;) {
		if (sigwait(&all, &sig) != 0)
			continue;
		INIT_DEBUG(&st, "Received signal %d.\n", sig);
		if (sig == SIGCHLD) {
			if ((code = init_reap(&st)) >= 0)
				return code;
			continue;
		}
		init_forward(&st, sig);
		if (sig == SIGTSTP || sig == SIGTTOU || sig == SIGTTIN) {
			INIT_DEBUG(&st, "Suspending self due to TTY signal.\n");
			kill(getpid(), SIGSTOP);
		}
	}
}
