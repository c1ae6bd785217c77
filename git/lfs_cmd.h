/* What the git-lfs command files share. Prefix lfs_. */
#ifndef CIH_GIT_LFS_CMD_H
#define CIH_GIT_LFS_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "lfs_internal.h"
#include "lfs_scan.h"

#define LFS_EXIT_FAIL 2
#define LFS_EXIT_USAGE 1

/* The repository a command works on. */
struct lfs_repo {
	git_repository *repo;
	git_config *cfg;
	struct lfs_store store;
};

/* The message on stderr; returns LFS_EXIT_FAIL. */
int lfs_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "Usage: git lfs <text>"; returns LFS_EXIT_USAGE. */
int lfs_usage(const char *text);
/* 0, or the exit status after the message ("Not in a Git repository.": 128).
 * quiet (env): no message, no lfs.repositoryformatversion written. */
int lfs_repo_open(struct lfs_repo *r, bool quiet);
void lfs_repo_close(struct lfs_repo *r);
/* The pointers in ref's tree. */
int lfs_scan_ref(struct lfs_repo *r, const char *ref, const struct lfs_filter *f, struct lfs_entries *e);
void lfs_version_line(FILE *f);

/* lfs_cmd_misc.c */
int lfs_cmd_version(int argc, char **argv);
int lfs_cmd_install(int argc, char **argv);
int lfs_cmd_uninstall(int argc, char **argv);
int lfs_cmd_env(int argc, char **argv);
int lfs_cmd_pointer(int argc, char **argv);
int lfs_cmd_fsck(int argc, char **argv);
int lfs_cmd_hook_noop(int argc, char **argv);
int lfs_cmd_pre_push(int argc, char **argv);

#endif
