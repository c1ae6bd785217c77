/* The "lfs" filter driver for libgit2 (our checkout and clone smudge LFS files). */
#ifndef CIH_GIT_LFS_GITFILTER_H
#define CIH_GIT_LFS_GITFILTER_H

/* Once, after libgit2's initialisation. */
int lfs_gitfilter_register(void);

#endif
