/* The command-line parameters as a read-only libgit2 config backend. */
#ifndef CIH_GIT_GCONF_BACKEND_H
#define CIH_GIT_GCONF_BACKEND_H

#include <git2.h>

int gconf_backend_new(git_config_backend **out);
/* Appends key (canonical: lowercase section and name) = value (NULL for a bare
 * key); the last of several values is the one a lookup finds. */
int gconf_backend_add(git_config_backend *b, const char *key, const char *value);

#endif
