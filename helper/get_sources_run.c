/* get-sources plumbing: argument vectors, the script's echo lines, git steps in
 * forked children, and the rm/mkdir/find/chmod/chown the script runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../git/fsutil.h"
#include "../git/gitcli.h"
#include "buf.h"
#include "error.h"
#include "get_sources.h"

int gsrc_argv_push(struct gsrc_argv *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return err_set(CIH_ENOMEM, "out of memory");
		a->v = v;
		a->cap = cap;
	}
	if (!(a->v[a->n] = strdup(s)))
		return err_set(CIH_ENOMEM, "out of memory");
	a->v[++a->n] = NULL;
	return 0;
}

int gsrc_argv_pushf(struct gsrc_argv *a, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = b.failed ? err_set(CIH_ENOMEM, "out of memory") : gsrc_argv_push(a, buf_cstr(&b));
	buf_dispose(&b);
	return rc;
}

int gsrc_argv_append(struct gsrc_argv *a, const struct gsrc_argv *more)
{
	for (size_t i = 0; i < more->n; i++)
		if (gsrc_argv_push(a, more->v[i]) < 0)
			return CIH_ENOMEM;
	return 0;
}

int gsrc_argv_split(struct gsrc_argv *a, const char *s)
{
	while (s && *s) {
		size_t n;
		char w[4096];

		s += strspn(s, " \t\r\n\v\f");
		n = strcspn(s, " \t\r\n\v\f");
		if (!n)
			break;
		if (n >= sizeof(w))
			return err_set(CIH_EUSAGE, "argument too long: %.40s...", s);
		memcpy(w, s, n);
		w[n] = '\0';
		if (gsrc_argv_push(a, w) < 0)
			return CIH_ENOMEM;
		s += n;
	}
	return 0;
}

void gsrc_argv_dispose(struct gsrc_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static void echo(const char *pre, const char *post, const char *fmt, va_list ap)
{
	fflush(stderr);
	fputs(pre, stdout);
	vfprintf(stdout, fmt, ap);
	fputs(post, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

void gsrc_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	echo("\033[32;1m", "\033[0;m", fmt, ap);
	va_end(ap);
}

void gsrc_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	echo("\033[0;33m", "\033[0;m", fmt, ap);
	va_end(ap);
}

void gsrc_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	echo("\033[0;m", "", fmt, ap);
	va_end(ap);
}

/* Ends a forked child. The one process end outside helper/main.c (scripts/
 * check-src allows it here): a child that returned into the parent's code
 * would run the rest of the stage twice, and a full process exit would flush stdio buffers
 * the parent still owns. */
static _Noreturn void child_end(int status)
{
	fflush(stdout);
	fflush(stderr);
	_exit(status & 0xff); /* forked child */
}

static void child_stdio(enum gsrc_io io, int in_fd)
{
	int fd;

	if (in_fd >= 0) {
		dup2(in_fd, 0);
		close(in_fd);
	} else if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (io == GSRC_IO_QUIET && (fd = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_os("waitpid");
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int gsrc_git(const struct gsrc_argv *argv, enum gsrc_io io, const char *stdin_data)
{
	int in[2] = { -1, -1 };
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (stdin_data && pipe(in) < 0)
		return err_os("pipe");
	pid = fork();
	if (pid < 0) {
		int rc = err_os("fork");

		if (stdin_data) {
			close(in[0]);
			close(in[1]);
		}
		return rc;
	}
	if (pid == 0) {
		char **v = calloc(argv->n + 2, sizeof(*v));

		if (stdin_data)
			close(in[1]);
		child_stdio(io, in[0]);
		if (!v) {
			fputs("fatal: out of memory\n", stderr);
			child_end(128);
		}
		v[0] = "git";
		memcpy(v + 1, argv->v, argv->n * sizeof(*v));
		child_end(gitcli_main((int)argv->n + 1, v));
	}
	if (stdin_data) {
		size_t len = strlen(stdin_data), off = 0;

		close(in[0]);
		while (off < len) {
			ssize_t w = write(in[1], stdin_data + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break; /* the child stopped reading: its status tells */
			off += (size_t)w;
		}
		close(in[1]);
	}
	return wait_child(pid);
}

int gsrc_gitl(enum gsrc_io io, const char *arg, ...)
{
	struct gsrc_argv a = { 0 };
	va_list ap;
	int rc = 0;

	va_start(ap, arg);
	for (const char *s = arg; s && !rc; s = va_arg(ap, const char *))
		rc = gsrc_argv_push(&a, s);
	va_end(ap);
	if (!rc)
		rc = gsrc_git(&a, io, NULL);
	gsrc_argv_dispose(&a);
	return rc;
}

int gsrc_shell(const char *cmd)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return err_os("fork");
	if (pid == 0) {
		child_stdio(GSRC_IO_PASS, -1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		fprintf(stderr, "cannot run /bin/sh: %s\n", strerror(errno));
		child_end(127);
	}
	return wait_child(pid);
}

static int rm_failed(const char *path)
{
	fflush(stdout);
	fprintf(stderr, "rm: cannot remove '%s': %s\n", path, err_last()->msg);
	return 1;
}

int gsrc_rm_file(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		fflush(stdout);
		fprintf(stderr, "rm: cannot remove '%s': Is a directory\n", path);
		return 1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		err_os("unlink");
		return rm_failed(path);
	}
	return 0;
}

static int chmod_urwx(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	mode_t m = st->st_mode & 07777;

	(void)ftw;
	if (type == FTW_SL || type == FTW_SLN)
		return 0;
	m |= S_IRUSR | S_IWUSR;
	if (S_ISDIR(st->st_mode) || (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		m |= S_IXUSR;
	if (m != (st->st_mode & 07777))
		chmod(p, m); /* chmod -R reports, the script goes on to rm -rf */
	return 0;
}

int gsrc_rm_dir(const char *path)
{
	if (gfs_is_dir(path))
		nftw(path, chmod_urwx, 32, FTW_PHYS);
	if (gfs_remove_tree(path) < 0)
		return rm_failed(path);
	return 0;
}

static int rm_named_walk(const char *dir, const char *pattern, bool dirs)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= sizeof(p) || lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc |= rm_named_walk(p, pattern, dirs); /* find -depth: contents first */
		if (fnmatch(pattern, e->d_name, 0))
			continue;
		if (dirs && S_ISDIR(st.st_mode)) {
			if (gfs_remove_tree(p) < 0)
				rc |= rm_failed(p);
		} else if (!dirs && S_ISREG(st.st_mode)) {
			rc |= gsrc_rm_file(p);
		}
	}
	closedir(d);
	return rc;
}

int gsrc_rm_named(const char *dir, const char *pattern, bool dirs)
{
	if (!gfs_is_dir(dir))
		return 0;
	return rm_named_walk(dir, pattern, dirs);
}

int gsrc_mkdir(const char *path)
{
	if (gfs_mkdir_p(path) < 0) {
		fflush(stdout);
		fprintf(stderr, "mkdir: cannot create directory '%s': %s\n", path, err_last()->msg);
		return 1;
	}
	return 0;
}

static uid_t own_uid;
static gid_t own_gid;

static int chown_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	if (lchown(p, own_uid, own_gid) < 0) {
		fflush(stdout);
		fprintf(stderr, "chown: changing ownership of '%s': %s\n", p, strerror(errno));
		return 1;
	}
	return 0;
}

int gsrc_fix_ownership(const char *builds_dir)
{
	char marker[4096];
	struct stat st;

	if (!builds_dir || !*builds_dir)
		return 0;
	if ((size_t)snprintf(marker, sizeof(marker), "%s/.gitlab-build-uid-gid", builds_dir) >= sizeof(marker))
		return 0;
	if (stat(marker, &st) < 0 || !gfs_is_dir(builds_dir))
		return 0;
	own_uid = st.st_uid;
	own_gid = st.st_gid;
	return nftw(builds_dir, chown_one, 32, FTW_PHYS) ? 1 : 0;
}

int gsrc_url_split(struct gsrc_url *u, const char *url)
{
	const char *p = strstr(url, "://"), *net, *end, *at, *hs, *colon;

	memset(u, 0, sizeof(*u));
	if (!p)
		return err_set(CIH_EUSAGE, "not a URL with a scheme (scheme://host/path)");
	net = p + 3;
	end = net + strcspn(net, "/?#");
	at = NULL;
	for (const char *q = net; q < end; q++)
		if (*q == '@')
			at = q;
	hs = at ? at + 1 : net;
	colon = NULL;
	for (const char *q = hs; q < end; q++)
		if (*q == ':')
			colon = q;
	u->scheme = strndup(url, (size_t)(p - url));
	u->host = strndup(hs, (size_t)((colon ? colon : end) - hs));
	u->port = colon ? strndup(colon + 1, (size_t)(end - colon - 1)) : strdup("");
	u->path = strdup(end);
	if (!u->scheme || !u->host || !u->port || !u->path) {
		gsrc_url_dispose(u);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	for (char *c = u->scheme; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	for (char *c = u->host; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	return 0;
}

void gsrc_url_dispose(struct gsrc_url *u)
{
	free(u->scheme);
	free(u->host);
	free(u->port);
	free(u->path);
	memset(u, 0, sizeof(*u));
}
