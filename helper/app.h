/* The gitlab-runner-helper application: global flags, help, command dispatch. */
#ifndef CIH_APP_H
#define CIH_APP_H

#include <stdbool.h>
#include <stddef.h>

struct flag;

#define CMD_RUNNER_LOG 0x1u

struct command {
	const char *name;
	int (*entry)(int argc, char **argv);
	unsigned opts;
	const char *usage;
};

/* Runs the application; returns the process exit status. */
int app_main(int argc, char **argv);

/* For commands: parses their flags (with --help/-h added). Returns true when the
 * command must return *status at once: help shown (0), or a usage error (1) after
 * "Incorrect Usage: ..." and the command help were printed. */
bool app_command_flags(const struct flag *flags, size_t n, int *argc, char ***argv, int *status);

/* Logs the current error at fatal level and returns exit status 1. */
int app_fatal_error(const char *what);

#endif
