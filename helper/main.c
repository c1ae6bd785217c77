/* Multi-call entry: the applet is the basename of argv[0], or argv[1] when the
 * binary is called as itself. The only exit() of the program lives here. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../git/gitcli.h"
#include "../git/lfs.h"
#include "app.h"
#include "entrypoint.h"
#include "init.h"
#include "redact.h"
#include "update_ca.h"

struct applet {
	const char *name;
	int (*entry)(int argc, char **argv);
	const char *summary;
};

static const struct applet applets[] = {
#define APPLET(name, entry, summary) { name, entry, summary },
#include "applets.h"
#undef APPLET
};
#define NAPPLETS (sizeof(applets) / sizeof(applets[0]))

static const struct applet *find_applet(const char *name)
{
	for (size_t i = 0; i < NAPPLETS; i++)
		if (!strcmp(applets[i].name, name))
			return &applets[i];
	return NULL;
}

/* A closed fd 0-2 would let the next open() become our stdout or stderr. */
static void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			_exit(127);
}

int main(int argc, char **argv)
{
	const struct applet *a;
	const char *base;
	int status;

	ensure_std_fds();
	signal(SIGPIPE, SIG_IGN);
	redact_add_job_secrets(); /* before anything can log or fail */
	if (argc < 1 || !argv[0])
		return 127;
	base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if ((a = find_applet(base))) {
		status = a->entry(argc, argv);
	} else if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < NAPPLETS; i++)
			printf("%s\n", applets[i].name);
		status = 0;
	} else if (argc > 1 && (a = find_applet(argv[1]))) {
		status = a->entry(argc - 1, argv + 1);
	} else {
		status = app_main(argc, argv);
	}
	fflush(stdout);
	exit(status);
}
