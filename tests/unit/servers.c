/* Test peers in Python (tests/servers/): started per test, stopped after it. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

static pid_t pids[8];
static size_t npids;

static void stop_all(void)
{
	while (npids) {
		pid_t p = pids[--npids];
		kill(p, SIGTERM);
		waitpid(p, NULL, 0);
	}
}

void unit_start_py_server(const char *script, const char *const *args, char port[16])
{
	const char *dir = getenv("CIH_TESTS_DIR");
	char path[1024], line[64];
	const char *argv[12] = { "python3", path };
	size_t n = 2;
	int fds[2];
	FILE *f;
	pid_t pid;

	if (!dir)
		unit_skip("CIH_TESTS_DIR is not set (scripts/run-tests sets it)");
	snprintf(path, sizeof(path), "%s/servers/%s", dir, script);
	for (; args && *args && n < 11; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	CHECK(npids < sizeof(pids) / sizeof(pids[0]));
	CHECK(pipe(fds) == 0);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(fds[1], 1);
		dup2(null, 2); /* never hold the test runner's output open */
		close(fds[0]);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	if (npids == 0)
		unit_defer(stop_all);
	pids[npids++] = pid;
	f = fdopen(fds[0], "r");
	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "PORT ", 5)) {
		if (f)
			fclose(f);
		unit_fail(__FILE__, __LINE__, "%s did not start", script);
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	snprintf(port, 16, "%.15s", line + 5);
}

const char *unit_fixture(const char *name)
{
	static char path[8][1024];
	static int next;
	const char *fx = getenv("CIH_FIXTURES");

	if (!fx)
		unit_skip("CIH_FIXTURES is not set (scripts/run-tests makes the test PKI)");
	next = (next + 1) % 8;
	snprintf(path[next], sizeof(path[next]), "%s/%s", fx, name);
	return path[next];
}
