/* read-logs --path P [--offset N] [--wait-file-timeout D]: follows a job log for the
 * kubernetes executor. Each chunk (a line, 16 KiB of a longer line, or what is there
 * at end of file) goes to stdout as "<offset after the chunk> <chunk>", with a newline
 * added but not counted when the chunk lacks one. At end of file it polls every
 * 500 ms; it ends only when the path is gone (exit 100) or on an error (exit 1).
 * A file replaced under the same path is not reopened: as upstream, the descriptor
 * opened first is read until the path disappears. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "error.h"
#include "flags.h"

#define CHUNK_MAX (16 * 1024)
#define WAIT_STEP_NS 1000000000LL
#define POLL_MS 500
#define EXIT_PATH_GONE 100

/* A wait, signal or not; only a process-ending signal stops read-logs anyway. */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int open_when_created(int *fd, const char *path, int64_t timeout_ns)
{
	int64_t attempts = timeout_ns / WAIT_STEP_NS;

	if (attempts < 1)
		return err_set(CIH_EUSAGE, "no attempts to open log file configured");
	for (int64_t i = 0; i < attempts; i++) {
		if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
			return 0;
		if (errno != ENOENT)
			return err_os("open %s", path);
		sleep_ms(WAIT_STEP_NS / 1000000);
	}
	return err_set(CIH_ETIMEOUT, "timeout waiting for file to be created");
}

/* Unbuffered, so that a kubernetes exec sees each chunk as it comes. */
static int emit(int64_t offset, const char *chunk, size_t n)
{
	char head[24];
	int hn = snprintf(head, sizeof(head), "%" PRId64 " ", offset);
	struct iovec iov[3] = {
		{ head, (size_t)hn },
		{ (void *)chunk, n },
		{ "\n", chunk[n - 1] == '\n' ? 0 : 1 },
	};
	struct iovec *v = iov;
	int cnt = 3;

	while (cnt > 0) {
		ssize_t w = writev(STDOUT_FILENO, v, cnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return err_os("write");
		}
		while (cnt > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++, cnt--;
		}
		if (cnt > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Go's bufio.Reader.ReadSlice('\n') over a 16 KiB buffer, chunk by chunk, for ever.
 * Returns EXIT_PATH_GONE or a negative error. */
static int follow(int fd, const char *path, int64_t offset)
{
	static char buf[CHUNK_MAX];
	size_t r = 0, w = 0;
	struct stat st;
	int rc;

	for (;;) {
		char *nl = memchr(buf + r, '\n', w - r);
		size_t n = nl ? (size_t)(nl - (buf + r)) + 1 : w - r;
		ssize_t got;

		if (nl || n == CHUNK_MAX) {
			offset += (int64_t)n;
			if ((rc = emit(offset, buf + r, n)) < 0)
				return rc;
			r += n;
			continue;
		}
		if (r > 0) {
			memmove(buf, buf + r, w - r);
			w -= r;
			r = 0;
		}
		got = read(fd, buf + w, CHUNK_MAX - w);
		if (got > 0) {
			w += (size_t)got;
			continue;
		}
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return err_os("read %s", path);
		}
		if (w > 0) {
			offset += (int64_t)w;
			if ((rc = emit(offset, buf, w)) < 0)
				return rc;
			w = 0;
		}
		if (stat(path, &st) < 0 && errno == ENOENT)
			return EXIT_PATH_GONE;
		sleep_ms(POLL_MS);
	}
}

int cmd_read_logs(int argc, char **argv)
{
	const char *path = "";
	int64_t offset = 0, wait_ns = WAIT_STEP_NS;
	const struct flag flags[] = {
		{ "path", NULL, FLAG_STR, &path, NULL, "", 0, NULL },
		{ "offset", NULL, FLAG_INT, &offset, NULL, "", 0, NULL },
		{ "wait-file-timeout", NULL, FLAG_DURATION, &wait_ns, NULL, "", 0, NULL },
	};
	int fd = -1, rc;

	argc--, argv++;
	if (app_command_flags(flags, sizeof(flags) / sizeof(flags[0]), &argc, &argv, &rc))
		return rc;
	if ((rc = open_when_created(&fd, path, wait_ns)) == 0) {
		if (lseek(fd, (off_t)offset, SEEK_SET) < 0)
			rc = err_os("seek %s", path);
		else
			rc = follow(fd, path, offset);
	}
	if (fd >= 0)
		close(fd);
	if (rc == EXIT_PATH_GONE)
		return EXIT_PATH_GONE;
	/* stdout, as upstream: the executor shows it in the job log */
	printf("error reading logs from %s: %s\n", path, err_last()->msg);
	return 1;
}
