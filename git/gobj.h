/* Object naming as git prints it: abbreviated ids and commit subjects. */
#ifndef CIH_GIT_GOBJ_H
#define CIH_GIT_GOBJ_H

#include <git2.h>

#define GOBJ_HEX_MAX 41

/* git's abbreviation: core.abbrev, else "auto" (grows with the packed object
 * count, at least 7), extended until unique. */
void gobj_abbrev(git_repository *repo, const git_oid *id, char out[GOBJ_HEX_MAX]);
/* "HEAD is now at <abbrev> <subject>" style: abbrev + ' ' + subject into out. */
void gobj_oneline(git_repository *repo, const git_oid *id, char *out, size_t n);

#endif
