/* git configuration as git reads and layers it, on libgit2's config objects.
 *
 * The stack, lowest priority first: the system file ($GIT_CONFIG_SYSTEM, else /etc/gitconfig;
 * none with GIT_CONFIG_NOSYSTEM), global ($GIT_CONFIG_GLOBAL, else
 * $XDG_CONFIG_HOME/git/config or ~/.config/git/config, then ~/.gitconfig), the
 * repository's config, then the command's parameters: GIT_CONFIG_PARAMETERS and
 * GIT_CONFIG_COUNT/GIT_CONFIG_KEY_<n>/GIT_CONFIG_VALUE_<n> from the environment,
 * then this process's -c options. include.path (relative to the including file)
 * is honoured at every level, -c include.path=X included. */
#ifndef CIH_GIT_GCONF_H
#define CIH_GIT_GCONF_H

#include <git2.h>

/* One -c KEY=VALUE of this process (KEY alone means true). Validated as git does;
 * appended to the parameters of gconf_open() and to GIT_CONFIG_PARAMETERS (encoded
 * as git encodes it) so child processes see it. 0, or < 0 with the message set:
 * "bogus config parameter" style texts matching git. */
int gconf_param_add(const char *kv);

/* The stack above; repo may be NULL (no repository config). */
int gconf_open(git_config **out, git_repository *repo);

/* Opens the repository git would use (path NULL: $GIT_DIR, else discovery from
 * the cwd) and attaches the stack above as its config. CIH_ENOTFOUND when there
 * is none. */
int gconf_repo_open(git_repository **out, const char *path);

#endif
