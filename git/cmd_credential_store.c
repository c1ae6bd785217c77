/* git credential-store [--file F] get|store|erase: git's plain-text store, one
 * "protocol://user:password@host[/path]" line per credential (percent-encoded),
 * in ~/.git-credentials or $XDG_CONFIG_HOME/git/credentials, rewritten through
 * "<file>.lock" (mode 0600) and rename, as git's builtin/credential-store.c. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gconf.h"
#include "gcred.h"
#include "gitcli.h"

int gcmd_credential_store(int argc, char **argv);

static const char usage_text[] = "usage: git credential-store [<options>] <action>\n\n"
				 "    --file <path>         fetch and store credentials in <path>\n\n";

struct store {
	struct gcred *c;
	int lock_fd;
	int failed; /* a write to the lock file failed (errno in err) */
	int err;
};

static bool unreserved(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

static bool reserved_or_unreserved(char ch)
{
	return unreserved(ch) || (ch && strchr("!*'();:@&=+$,/?#[]", ch));
}

/* strbuf_addstr_urlencode(): lower-case %xx for the rest. */
static void urlencode(struct buf *b, const char *s, bool (*keep)(char))
{
	for (; *s; s++) {
		if (keep(*s))
			buf_putc(b, *s);
		else
			buf_printf(b, "%%%02x", (unsigned char)*s);
	}
}

static void print_line(struct store *s, const char *line, size_t n)
{
	const char nl = '\n';

	if (s->failed)
		return;
	while (n) {
		ssize_t w = write(s->lock_fd, line, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			s->failed = 1;
			s->err = errno;
			return;
		}
		line += w;
		n -= (size_t)w;
	}
	if (write(s->lock_fd, &nl, 1) != 1) {
		s->failed = 1;
		s->err = errno ? errno : EIO;
	}
}

/* Reads fn line by line: a line that is a credential matching s->c is printed
 * (get: the first one, then stop) or dropped (rewrite); the others go to the lock
 * file when rewriting. 1 when a credential matched, 0 when not, 128 fatal. */
static int parse_file(const char *fn, struct store *s, bool print_match)
{
	struct gcred entry = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int found = 0;
	FILE *fh = fopen(fn, "re");

	if (!fh) {
		if (errno != ENOENT && errno != EACCES)
			return gitcli_fatal("unable to open %s: %s", fn, strerror(errno));
		return 0;
	}
	while ((n = getline(&line, &cap, fh)) >= 0) {
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (gcred_parse_url(&entry, line, false, true) == 0 && entry.username &&
		    entry.password && gcred_match(s->c, &entry)) {
			found = 1;
			if (print_match) {
				printf("username=%s\npassword=%s\n", entry.username, entry.password);
				fflush(stdout);
				break;
			}
		} else if (!print_match) {
			print_line(s, line, (size_t)n);
		}
	}
	gcred_dispose(&entry);
	if (line) {
		explicit_bzero(line, cap);
		free(line);
	}
	fclose(fh);
	return found;
}

/* lockfile.c's resolve_symlink(): the lock goes next to the link's target. */
static void resolve_symlink(struct buf *path)
{
	char target[4096];

	for (int depth = 5; depth--;) {
		ssize_t n = readlink(path->ptr, target, sizeof(target) - 1);

		if (n < 0)
			break;
		target[n] = '\0';
		if (target[0] == '/') {
			buf_clear(path);
		} else {
			size_t len = path->len;

			while (len && path->ptr[len - 1] == '/')
				len--;
			while (len && path->ptr[len - 1] != '/')
				len--;
			path->len = len;
			path->ptr[len] = '\0';
		}
		buf_puts(path, target);
	}
}

static int lock_timeout_ms(void)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int32_t v = 1000;

	if (gitcli_libgit2() < 0)
		return 1000;
	if (gconf_repo_open(&repo, NULL) < 0) {
		repo = NULL;
		err_clear();
	}
	if (gconf_open(&cfg, repo) == 0 && git_config_get_int32(&v, cfg, "credentialstore.locktimeoutms") < 0)
		v = 1000;
	err_clear();
	git_config_free(cfg);
	git_repository_free(repo);
	return v;
}

/* lock_file_timeout(): O_EXCL on "<path>.lock", retried while it exists with a
 * growing back-off (1, 4, 9... ms) for timeout_ms (< 0: for ever). */
static int take_lock(const char *lock, int timeout_ms)
{
	long remaining = timeout_ms, mult = 1, n = 1;

	for (;;) {
		int fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		struct timespec ts;

		if (fd >= 0 || errno != EEXIST || timeout_ms == 0 || (timeout_ms > 0 && remaining <= 0))
			return fd;
		ts.tv_sec = mult / 1000;
		ts.tv_nsec = (mult % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		remaining -= mult;
		mult += 2 * n + 1;
		if (mult > 1000)
			mult = 1000;
		else
			n++;
	}
}

static int rewrite_file(const char *fn, struct store *s, const struct buf *extra)
{
	struct buf path = BUF_INIT, lock = BUF_INIT;
	int timeout = lock_timeout_ms(), rc = 0;

	buf_puts(&path, fn);
	resolve_symlink(&path);
	buf_printf(&lock, "%s.lock", buf_cstr(&path));
	if (path.failed || lock.failed) {
		rc = gitcli_fatal("out of memory");
		goto out;
	}
	if ((s->lock_fd = take_lock(lock.ptr, timeout)) < 0) {
		rc = gitcli_fatal("unable to get credential storage lock in %d ms: %s", timeout, strerror(errno));
		goto out;
	}
	if (extra)
		print_line(s, extra->ptr, extra->len);
	if ((rc = parse_file(path.ptr, s, false)) == 128) {
		close(s->lock_fd);
		unlink(lock.ptr);
		goto out;
	}
	rc = 0;
	if (close(s->lock_fd) < 0 && !s->failed) {
		s->failed = 1;
		s->err = errno;
	}
	if (s->failed || rename(lock.ptr, path.ptr) < 0) {
		int e = s->failed ? s->err : errno;

		unlink(lock.ptr);
		rc = gitcli_fatal("unable to write credential store: %s", strerror(e));
	}
out:
	buf_dispose(&path);
	buf_dispose(&lock);
	return rc;
}

static int store_one(const char *fn, struct store *s)
{
	const struct gcred *c = s->c;
	struct buf b = BUF_INIT;
	int rc;

	/* sized up front: a realloc would leave a copy of the password behind */
	buf_grow(&b, 3 * (strlen(c->protocol) + strlen(c->username) + strlen(c->password) +
			  (c->host ? strlen(c->host) : 0) + (c->path ? strlen(c->path) : 0)) + 16);
	buf_printf(&b, "%s://", c->protocol);
	urlencode(&b, c->username, unreserved);
	buf_putc(&b, ':');
	urlencode(&b, c->password, unreserved);
	buf_putc(&b, '@');
	if (c->host)
		urlencode(&b, c->host, unreserved);
	if (c->path) {
		buf_putc(&b, '/');
		urlencode(&b, c->path, reserved_or_unreserved);
	}
	rc = b.failed ? gitcli_fatal("out of memory") : rewrite_file(fn, s, &b);
	if (b.ptr)
		explicit_bzero(b.ptr, b.cap);
	buf_dispose(&b);
	return rc;
}

static int do_store(char **fns, size_t n, struct store *s)
{
	const struct gcred *c = s->c;

	/* no URL without a protocol, no key without host or path, nothing to
	 * store without username and password */
	if (!c->protocol || !(c->host || c->path) || !c->username || !c->password)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!access(fns[i], F_OK))
			return store_one(fns[i], s);
	return n ? store_one(fns[0], s) : 0;
}

static int do_erase(char **fns, size_t n, struct store *s)
{
	const struct gcred *c = s->c;
	int rc;

	/* an empty pattern would erase everything: refused */
	if (!c->protocol && !c->host && !c->path && !c->username)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!access(fns[i], F_OK) && (rc = rewrite_file(fns[i], s, NULL)) != 0)
			return rc;
	return 0;
}

static int do_get(char **fns, size_t n, struct store *s)
{
	for (size_t i = 0; i < n; i++) {
		int rc = parse_file(fns[i], s, true);

		if (rc)
			return rc == 1 ? 0 : rc;
	}
	return 0;
}

/* ~/.git-credentials, then $XDG_CONFIG_HOME/git/credentials (or
 * ~/.config/git/credentials). */
static size_t default_files(char *fns[2])
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t n = 0;

	if (home) {
		buf_printf(&a, "%s/.git-credentials", home);
		fns[n++] = a.ptr;
	}
	if (xdg && *xdg)
		buf_printf(&b, "%s/git/credentials", xdg);
	else if (home)
		buf_printf(&b, "%s/.config/git/credentials", home);
	if (b.ptr)
		fns[n++] = b.ptr;
	return n;
}

/* "error: unknown <kind> `<what>'" and the usage. */
static int usage_error(const char *kind, const char *what)
{
	fflush(stdout);
	fprintf(stderr, "error: unknown %s `%s'\n", kind, what);
	fputs(usage_text, stderr);
	return 129;
}

/* parse-options for "--file <path>" (abbreviations, --file=, --no-file, --). */
static int parse_args(int argc, char **argv, const char **file, const char **op)
{
	int nonopt = 0, dashdash = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t n;

		if (dashdash || a[0] != '-' || !a[1]) {
			*op = a;
			nonopt++;
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help-all") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 129;
		}
		if (a[1] != '-')
			return usage_error("switch", (char[]){ a[1], 0 });
		if (!strcmp(a, "--no-file")) {
			*file = NULL;
			continue;
		}
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (!n || n > 4 || strncmp(a + 2, "file", n))
			return usage_error("option", a + 2);
		if (eq) {
			*file = eq + 1;
		} else if (i + 1 < argc) {
			*file = argv[++i];
		} else {
			fflush(stdout);
			fputs("error: option `file' requires a value\n", stderr);
			return 129;
		}
	}
	if (nonopt != 1) {
		fflush(stdout);
		fputs(usage_text, stderr);
		return 129;
	}
	return 0;
}

static char inbuf[4096], outbuf[4096];

int gcmd_credential_store(int argc, char **argv)
{
	const char *file = NULL, *op = NULL;
	struct gcred c = { 0 };
	struct store s = { &c, -1, 0, 0 };
	char *fns[2] = { NULL, NULL };
	size_t n = 0;
	int rc;

	umask(077);
	if ((rc = parse_args(argc, argv, &file, &op)) != 0)
		return rc;
	if (file) {
		fns[n++] = (char *)file;
	} else if (!(n = default_files(fns))) {
		return gitcli_fatal("unable to set up default path; use --file");
	}
	setvbuf(stdin, inbuf, _IOFBF, sizeof(inbuf));
	fflush(stdout);
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if ((rc = gcred_read(&c, stdin)) < 0)
		rc = gitcli_fatal("%s", rc == CIH_ECORRUPT ? "unable to read credential" : err_last()->msg);
	else if (!strcmp(op, "get"))
		rc = do_get(fns, n, &s);
	else if (!strcmp(op, "erase"))
		rc = do_erase(fns, n, &s);
	else if (!strcmp(op, "store"))
		rc = do_store(fns, n, &s);
	/* other operations are ignored, as git does */
	fflush(stdout);
	gcred_dispose(&c);
	explicit_bzero(inbuf, sizeof(inbuf));
	explicit_bzero(outbuf, sizeof(outbuf));
	if (!file)
		for (size_t i = 0; i < n; i++)
			free(fns[i]);
	return rc;
}
