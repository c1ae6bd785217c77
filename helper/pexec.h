/* proxy-exec's child: runs a command with stdin inherited and its stdout and
 * stderr through add-mask filters onto ours, forwarding SIGTERM and SIGINT. */
#ifndef CIH_PEXEC_H
#define CIH_PEXEC_H

#include <stdbool.h>

struct maskfilter;

/* How long the pipes may outlive the child (grandchildren holding them). */
#define PEXEC_IO_GRACE_MS 1000

struct pexec_result {
	bool signaled; /* code is then the signal number */
	int code;
	bool io_cut;   /* the pipes were still open PEXEC_IO_GRACE_MS after the exit */
};

/* argv[0] is looked up in PATH as Go's exec.LookPath does. A command that cannot
 * start is an error with Go's wording: `exec: "x": executable file not found in
 * $PATH`, `fork/exec ./x: permission denied`. */
int pexec_run(char *const argv[], struct maskfilter *out, struct maskfilter *err,
	      struct pexec_result *res);

#endif
