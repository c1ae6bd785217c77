/* Git LFS inside cihelper: `git lfs <cmd>` (through the git look-alike) and
 * `git-lfs <cmd>` (argv[0]). Commands: version, install, uninstall, env, pull,
 * fetch, checkout, ls-files, smudge, clean, filter-process, pointer, fsck.
 * Exit statuses as git-lfs: 0, 2 for failures, 1 for usage errors. */
#ifndef CIH_GIT_LFS_H
#define CIH_GIT_LFS_H

/* argv[0] is "lfs" or "git-lfs". */
int lfs_main(int argc, char **argv);

/* lfs_filter.c */
int lfs_cmd_smudge(int argc, char **argv);
int lfs_cmd_clean(int argc, char **argv);
int lfs_cmd_filter_process(int argc, char **argv);

#endif
