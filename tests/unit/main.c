/* Runs every TEST (or those whose "file::name" contains argv[1]) and prints
 * "N passed, N failed" last. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../helper/buf.h"
#include "../../helper/log.h"
#include "../../helper/redact.h"
#include "unit.h"

struct unit_test {
	const char *name;
	void (*fn)(void);
};
extern const struct unit_test unit_tests[];
extern const size_t unit_ntests;

static jmp_buf jump;
static void (*deferred[8])(void);
static size_t ndeferred;
static char failure[2048];
static int log_fd = -1;
static struct buf log_text = BUF_INIT;

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(failure, sizeof(failure), "%s:%d: ", file, line);

	va_start(ap, fmt);
	vsnprintf(failure + n, sizeof(failure) - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(jump, 1);
}

void unit_defer(void (*fn)(void))
{
	if (ndeferred < sizeof(deferred) / sizeof(deferred[0]))
		deferred[ndeferred++] = fn;
}

static void run_deferred(void)
{
	while (ndeferred)
		deferred[--ndeferred]();
}

void unit_skip(const char *why)
{
	snprintf(failure, sizeof(failure), "%s", why);
	longjmp(jump, 2);
}

void unit_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		unit_fail(__FILE__, __LINE__, "cannot write %s", path);
}

void unit_log_capture(void)
{
	if (log_fd < 0 && (log_fd = open("log.out", O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		unit_fail(__FILE__, __LINE__, "cannot capture the log");
	log_set_fd(log_fd);
}

const char *unit_log_output(void)
{
	char chunk[4096];
	ssize_t n;

	buf_clear(&log_text);
	if (log_fd < 0)
		return "";
	lseek(log_fd, 0, SEEK_SET);
	while ((n = read(log_fd, chunk, sizeof(chunk))) > 0)
		buf_put(&log_text, chunk, (size_t)n);
	return buf_cstr(&log_text);
}

static void reset_state(void)
{
	log_set_level(LOG_INFO);
	log_set_format(LOG_FMT_RUNNER);
	log_set_fd(2);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	redact_clear();
	err_clear();
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	char top[4096], dir[4200];
	const char *tmp = getenv("TMPDIR");
	size_t passed = 0, failed = 0, skipped = 0;
	int how;

	if (!getcwd(top, sizeof(top)))
		return 2;
	for (size_t i = 0; i < unit_ntests; i++) {
		const struct unit_test *t = &unit_tests[i];

		if (filter && !strstr(t->name, filter))
			continue;
		snprintf(dir, sizeof(dir), "%s/cih-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir) || chdir(dir) < 0) {
			perror("scratch directory");
			return 2;
		}
		reset_state();
		if ((how = setjmp(jump)) == 0) {
			t->fn();
			printf("ok   %s\n", t->name);
			passed++;
		} else if (how == 2) {
			printf("skip %s: %s\n", t->name, failure);
			skipped++;
		} else {
			printf("FAIL %s\n     %s\n", t->name, failure);
			failed++;
		}
		fflush(stdout);
		run_deferred();
		reset_state();
		if (chdir(top) < 0)
			return 2;
		if (!getenv("CIH_KEEP_SCRATCH")) {
			char cmd[4300];
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
			if (system(cmd) != 0)
				fprintf(stderr, "cannot remove %s\n", dir);
		}
	}
	if (skipped)
		printf("%zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
	else
		printf("%zu passed, %zu failed\n", passed, failed);
	return failed ? 1 : 0;
}

void unit_describe_tree(const char *dir, struct buf *out)
{
	char cmd[512], line[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -mindepth 1 | LC_ALL=C sort | while read -r f; do "
		 "if [ -L \"$f\" ]; then echo \"$f link $(readlink \"$f\")\"; "
		 "elif [ -d \"$f\" ]; then echo \"$f dir $(stat -c %%a \"$f\")\"; "
		 "else echo \"$f $(stat -c '%%a %%s %%Y' \"$f\") $(sha256sum < \"$f\" | cut -c1-16)\"; fi; done",
		 dir);
	if (!(p = popen(cmd, "r")))
		unit_fail(__FILE__, __LINE__, "cannot run: %s", cmd);
	while (fgets(line, sizeof(line), p))
		buf_puts(out, line);
	if (pclose(p) != 0)
		unit_fail(__FILE__, __LINE__, "failed: %s", cmd);
}
