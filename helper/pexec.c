#include "pexec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "error.h"
#include "maskfilter.h"

extern char **environ;

static volatile sig_atomic_t child_pid;
static int wake_fd = -1; /* SIGCHLD's self-pipe, write end */

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGCHLD) {
		if (write(wake_fd, "", 1) < 0) {
			/* full: a wake-up is pending anyway */
		}
	} else if (child_pid > 0) {
		kill((pid_t)child_pid, sig);
	}
	errno = saved;
}

static const int handled[] = { SIGCHLD, SIGTERM, SIGINT };
#define NHANDLED (sizeof(handled) / sizeof(handled[0]))

/* exec.LookPath: a name with a slash is used as is; otherwise the first executable
 * non-directory in PATH (an empty element is the working directory). */
static int look_path(const char *name, char **found)
{
	const char *path = getenv("PATH"), *p, *end;
	struct buf b = BUF_INIT;
	struct stat st;

	if (strchr(name, '/'))
		return (*found = strdup(name)) ? 0 : err_set(CIH_ENOMEM, "out of memory");
	for (p = path ? path : ""; path && *name; p = end + 1) {
		end = strchr(p, ':');
		end = end ? end : p + strlen(p);
		buf_clear(&b);
		buf_printf(&b, "%.*s/%s", end == p ? 1 : (int)(end - p), end == p ? "." : p, name);
		if (!b.failed && stat(b.ptr, &st) == 0 && !S_ISDIR(st.st_mode) &&
		    access(b.ptr, X_OK) == 0) {
			*found = b.ptr;
			return 0;
		}
		if (!*end)
			break;
	}
	buf_clear(&b);
	buf_puts(&b, "exec: ");
	buf_put_quoted(&b, name, BUF_QUOTE_GO);
	err_set(CIH_ENOTFOUND, "%s: executable file not found in $PATH", buf_cstr(&b));
	buf_dispose(&b);
	return CIH_ENOTFOUND;
}

static int spawn(pid_t *pid, const char *path, char *const argv[], int out_w, int err_w,
		 const sigset_t *mask)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t dfl;
	int rc;

	sigemptyset(&dfl);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaddset(&dfl, handled[i]);
	sigaddset(&dfl, SIGPIPE); /* main() ignores it; the child must not inherit that */
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err_w, STDERR_FILENO);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setsigmask(&at, mask);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc ? err_errno(CIH_EOS, rc, "fork/exec %s", path) : 0;
}

/* Ignores write errors: a closed stdout must not stop the child's output being
 * drained. */
static void flush_to(int fd, struct buf *b)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t w = write(fd, b->ptr + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	buf_clear(b);
}

struct stream {
	int fd; /* read end, -1 once closed */
	int to;
	struct maskfilter *f;
};

static int pump(struct stream *s)
{
	char chunk[65536];
	ssize_t n = read(s->fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n > 0)
		return maskfilter_feed(s->f, chunk, (size_t)n);
	close(s->fd);
	s->fd = -1;
	return 0;
}

static void drain_wake(int fd)
{
	char junk[64];

	while (read(fd, junk, sizeof(junk)) > 0)
		;
}

/* Until the child exited and both pipes closed, or PEXEC_IO_GRACE_MS after the exit. */
static int relay(pid_t pid, int wake_r, struct stream st[2], struct pexec_result *res)
{
	int64_t deadline = 0;
	bool exited = false;
	int status, rc = 0;

	for (;;) {
		struct pollfd pfd[3] = {
			{ wake_r, POLLIN, 0 }, { st[0].fd, POLLIN, 0 }, { st[1].fd, POLLIN, 0 },
		};
		int timeout = -1;

		if (exited && st[0].fd < 0 && st[1].fd < 0)
			break;
		if (exited) {
			int64_t left = deadline - clock_now_ms();
			if (left <= 0) {
				res->io_cut = true;
				break;
			}
			timeout = (int)left;
		}
		if (poll(pfd, 3, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return err_os("poll");
		}
		if (pfd[0].revents) {
			drain_wake(wake_r);
			if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
				child_pid = 0; /* reaped: its pid may be reused */
				exited = true;
				deadline = clock_now_ms() + PEXEC_IO_GRACE_MS;
				res->signaled = WIFSIGNALED(status);
				res->code = res->signaled ? WTERMSIG(status) : WEXITSTATUS(status);
			}
		}
		/* read both before printing either: a phrase announced on one stream is
		 * registered before the other's bytes of the same round go out */
		for (int i = 0; i < 2; i++)
			if (pfd[i + 1].revents && (rc = pump(&st[i])) < 0)
				return rc;
		for (int i = 0; i < 2; i++) {
			if ((rc = maskfilter_drain(st[i].f, st[i].fd < 0)) < 0)
				return rc;
			flush_to(st[i].to, &st[i].f->out);
		}
	}
	for (int i = 0; i < 2; i++) {
		if ((rc = maskfilter_drain(st[i].f, true)) < 0)
			return rc;
		flush_to(st[i].to, &st[i].f->out);
	}
	return 0;
}

int pexec_run(char *const argv[], struct maskfilter *out, struct maskfilter *err,
	      struct pexec_result *res)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART }, old[NHANDLED];
	struct stream st[2] = { { -1, STDOUT_FILENO, out }, { -1, STDERR_FILENO, err } };
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, wake[2] = { -1, -1 }, rc;
	sigset_t block, oldmask;
	char *path = NULL;
	pid_t pid;

	*res = (struct pexec_result){ 0 };
	if ((rc = look_path(argv[0], &path)) < 0)
		return rc;
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 ||
	    pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = err_os("pipe");
		goto out;
	}
	sigemptyset(&block);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaddset(&block, handled[i]);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	wake_fd = wake[1];
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaction(handled[i], &sa, &old[i]);
	rc = spawn(&pid, path, argv, out_p[1], err_p[1], &oldmask);
	if (rc == 0)
		child_pid = pid; /* set while the signals are blocked: none is lost */
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	close(out_p[1]), close(err_p[1]);
	out_p[1] = err_p[1] = -1;
	if (rc == 0) {
		st[0].fd = out_p[0], st[1].fd = err_p[0];
		out_p[0] = err_p[0] = -1;
		rc = relay(pid, wake[0], st, res);
		if (rc < 0) { /* the child is not left running unseen */
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	}
	sigprocmask(SIG_BLOCK, &block, NULL);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaction(handled[i], &old[i], NULL);
	child_pid = 0;
	wake_fd = -1;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
out:
	for (int i = 0; i < 2; i++) {
		if (st[i].fd >= 0)
			close(st[i].fd);
		if (out_p[i] >= 0)
			close(out_p[i]);
		if (err_p[i] >= 0)
			close(err_p[i]);
		if (wake[i] >= 0)
			close(wake[i]);
	}
	free(path);
	return rc;
}
