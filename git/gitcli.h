/* The `git` look-alike: `cihelper` called as `git` (argv[0]) or `cihelper git ...`.
 * It accepts the invocations a GitLab Runner's get-sources scripts make
 * (README "The git look-alike") with git's semantics, output and exit codes;
 * anything else is refused with exit status 129, never a silent success.
 *
 * Subcommands are `int gcmd_<name>(int argc, char **argv)` (git/gitcmds.h), called
 * with argv[0] = the subcommand name after the global options were consumed, and
 * return the exit status. They print what git prints: "fatal: ..." (128),
 * "error: ...", "usage: ..." (129). */
#ifndef CIH_GIT_GITCLI_H
#define CIH_GIT_GITCLI_H

#include <stdarg.h>

#define GITCLI_VERSION "2.49.0"

/* The applet entry (argv[0] is "git" or a path ending in it). */
int gitcli_main(int argc, char **argv);

/* "cihelper git: '<what>' is not supported" on stderr; returns 129. */
int gitcli_unsupported(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fatal: <msg>" on stderr; returns 128. */
int gitcli_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "error: <msg>" on stderr; returns -1. */
int gitcli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gitcli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "fatal: <msg>" from libgit2's last error (or the fallback); returns 128. */
int gitcli_fatal_git(const char *fallback);
/* "usage: <text>" on stderr; returns 129. */
int gitcli_usage(const char *text);

/* libgit2 initialised once, with our TLS stream and settings. 0 or -1 (message
 * printed as fatal). */
int gitcli_libgit2(void);

/* The path to run ourselves again as `git` (for hooks and foreach children):
 * /proc/self/exe, or the argv[0] we were started with. */
const char *gitcli_self(void);

#endif
