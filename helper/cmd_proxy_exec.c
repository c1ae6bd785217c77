/* proxy-exec [--bootstrap] [--temp-dir D] <cmd> [args...]: runs a job command with
 * its stdout and stderr through the add-mask filter (helper/maskfilter.h), phrases
 * kept across calls in D's masking store (helper/maskstore.h). RUNNER_TEMP_PROJECT_DIR,
 * when not empty, overrides --temp-dir. The exit status is the command's; 255 when a
 * signal killed it; 0, after an ERROR line, when it could not start (upstream's quirk).
 *
 * --bootstrap installs this binary as D/gitlab-runner-helper first. An existing file
 * is kept when it is byte for byte /proc/self/exe (size first, then the content: a
 * few MiB read from the page cache, and no build id to trust or forget to bump). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../archive/spath.h"
#include "../git/fsutil.h"
#include "afile.h"
#include "app.h"
#include "error.h"
#include "flags.h"
#include "log.h"
#include "maskfilter.h"
#include "maskstore.h"
#include "pexec.h"
#include "redact.h"

#define SELF_EXE "/proc/self/exe"
#define COPY_CHUNK 65536

static ssize_t read_full(int fd, char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* 1 when the two open files hold the same bytes, 0 when not, or an error. */
static int same_content(int a, int b)
{
	static char ba[COPY_CHUNK], bb[COPY_CHUNK];

	for (;;) {
		ssize_t na = read_full(a, ba, sizeof(ba)), nb = read_full(b, bb, sizeof(bb));

		if (na < 0 || nb < 0)
			return err_os("comparing with the installed helper");
		if (na != nb || memcmp(ba, bb, (size_t)na))
			return 0;
		if (na == 0)
			return 1;
	}
}

static int is_installed(int self, const char *dest)
{
	struct stat s, d;
	int fd, rc;

	if (stat(dest, &d) < 0)
		return errno == ENOENT ? 0 : err_os("checking helper install: stat %s", dest);
	if (fstat(self, &s) < 0)
		return err_os("stat %s", SELF_EXE);
	if (!S_ISREG(d.st_mode) || d.st_size != s.st_size)
		return 0;
	if ((fd = open(dest, O_RDONLY | O_CLOEXEC)) < 0)
		return err_os("checking helper install: open %s", dest);
	rc = same_content(self, fd);
	close(fd);
	if (lseek(self, 0, SEEK_SET) < 0)
		return err_os("seek %s", SELF_EXE);
	return rc;
}

static int copy_self(int self, const char *dest)
{
	static char chunk[COPY_CHUNK];
	struct afile f;
	ssize_t n;
	int rc;

	if ((rc = afile_create(&f, dest)) < 0)
		return err_prefix("creating temp file");
	while ((n = read_full(self, chunk, sizeof(chunk))) > 0)
		if ((rc = afile_write(&f, chunk, (size_t)n)) < 0)
			break;
	if (n < 0)
		rc = err_os("copying helper: read %s", SELF_EXE);
	if (rc < 0) {
		afile_abort(&f);
		return rc;
	}
	return afile_commit(&f, 0777);
}

static int bootstrap(const char *dir)
{
	char *dest = spath_join(dir, "gitlab-runner-helper");
	int self = -1, rc;

	if (!dest)
		return CIH_ENOMEM;
	if (*dir && gfs_mkdir_p(dir) < 0)
		log_debug("%s", err_last()->msg); /* as upstream: the copy reports it */
	if ((self = open(SELF_EXE, O_RDONLY | O_CLOEXEC)) < 0)
		rc = err_os("opening helper");
	else if ((rc = is_installed(self, dest)) == 0)
		rc = copy_self(self, dest);
	if (self >= 0)
		close(self);
	free(dest);
	return rc < 0 ? rc : 0;
}

/* Our own log lines never show a phrase either. */
static void redact_phrase(const char *phrase, size_t len)
{
	char *z = strndup(phrase, len);

	if (z) {
		redact_add_secret(z);
		free(z);
	}
}

static int on_new_phrase(void *store, const char *phrase, size_t len)
{
	redact_phrase(phrase, len);
	if (maskstore_add(store, phrase, len) < 0)
		log_with_error(LOG_WARN, "add-mask phrase not stored");
	return 0;
}

static int load_phrase(void *set, const char *phrase, size_t len)
{
	int rc = maskfilter_set_add(set, phrase, len);

	if (rc > 0)
		redact_phrase(phrase, len);
	return rc < 0 ? rc : 0;
}

/* Go's os/exec error for a command that ran (nothing when it succeeded). */
static int report(const struct pexec_result *res)
{
	if (res->signaled) {
		const char *name = strsignal(res->code);

		log_error("signal: %c%s", name[0] >= 'A' && name[0] <= 'Z' ? name[0] + 32 : name[0],
			  name[0] ? name + 1 : "");
		return 255;
	}
	if (res->code != 0) {
		log_error("exit status %d", res->code);
		return res->code;
	}
	if (res->io_cut)
		log_error("exec: WaitDelay expired before I/O complete");
	return 0;
}

int cmd_proxy_exec(int argc, char **argv)
{
	bool boot = false;
	const char *dir = "", *env;
	const struct flag flags[] = {
		{ "bootstrap", NULL, FLAG_BOOL, &boot, NULL, "bootstrap helper binary", 0, NULL },
		{ "temp-dir", NULL, FLAG_STR, &dir, NULL, "temporary directory", 0, NULL },
	};
	struct maskfilter_set set = { 0 };
	struct maskfilter out, err;
	struct maskstore store = { -1, { 0 } };
	struct pexec_result res;
	int rc;

	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	if (argc == 0) {
		log_fatal("gitlab-runner-helper exec expected args");
		return 1;
	}
	if ((env = getenv("RUNNER_TEMP_PROJECT_DIR")) && *env)
		dir = env;
	if (boot && bootstrap(dir) < 0) {
		log_fatal("bootstrapping %s", err_last()->msg);
		return 1;
	}
	if (maskstore_open(&store, dir) < 0 || maskstore_each(&store, load_phrase, &set) < 0) {
		log_fatal("creating exec proxy %s", err_last()->msg);
		maskstore_close(&store);
		maskfilter_set_dispose(&set);
		return 1;
	}
	set.on_new = on_new_phrase;
	set.ctx = &store;
	maskfilter_init(&out, &set);
	maskfilter_init(&err, &set);
	if (pexec_run(argv, &out, &err, &res) < 0) {
		log_error("%s", err_last()->msg);
		rc = 0;
	} else {
		rc = report(&res);
	}
	maskfilter_dispose(&out);
	maskfilter_dispose(&err);
	maskfilter_set_dispose(&set);
	maskstore_close(&store);
	return rc;
}
