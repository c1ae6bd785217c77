/* Shared by the doublestar port's files (glob*.c); not an API. */
#ifndef CIH_ARCHIVE_GLOB_INTERNAL_H
#define CIH_ARCHIVE_GLOB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "glob.h"

struct dent {
	char *name;
	bool dir; /* the entry itself is a directory (symlinks are not) */
};

/* Match without validating the rest of the pattern (MatchUnvalidated); a broken
 * class can still give CIH_EUSAGE. */
int glob_match_unvalidated(const char *pattern, const char *name);
long glob_next_alt(const char *s, size_t len);

int glob_list_copy(struct glob_list *dst, const struct glob_list *src);
/* stat (following symlinks) and sorted readdir inside os.DirFS(base). */
bool glob_fs_stat(const char *base, const char *name, struct stat *st);
int glob_fs_readdir(const char *base, const char *name, struct dent **out, size_t *n);
void glob_dents_free(struct dent *d, size_t n);
/* Appends path.Join(dir, name). */
int glob_join_add(struct glob_list *m, const char *dir, const char *name);
long glob_index_meta(const char *s);
/* Last unescaped '/' (or '}' too when alt) in s[:n]. */
long glob_last_slash(const char *s, size_t n, bool alt);
long glob_opening_alt(const char *s, size_t n);
char *glob_build_alt(const char *prefix, const char *pat, size_t start, size_t open, size_t cur,
		     size_t next, size_t after);

/* The two traversals: Glob's (glob_dir.c) and GlobWalk's (glob_walk.c), appending
 * paths relative to base. */
int glob_run(const char *base, const char *pattern, struct glob_list *out);
int glob_run_walk(const char *base, const char *pattern, struct glob_list *out);
bool glob_exists(const char *base, const char *name, struct stat *st);

#endif
