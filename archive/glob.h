/* doublestar v4 globbing on slash paths: Match, SplitPattern and
 * FilepathGlob(pattern, WithNoFollow()). */
#ifndef CIH_ARCHIVE_GLOB_H
#define CIH_ARCHIVE_GLOB_H

#include <stddef.h>

struct glob_list {
	char **v;
	size_t n, cap;
};

#define GLOB_LIST_INIT { NULL, 0, 0 }

/* 1 when name matches pattern, 0 when not, CIH_EUSAGE ("syntax error in pattern")
 * for a malformed pattern. */
int glob_match(const char *pattern, const char *name);
/* 1 when the pattern is well formed (doublestar ValidatePattern). */
int glob_valid(const char *pattern);
/* The literal directory before the first meta character (unescaped, malloc'd in
 * *base) and the rest (*pattern points into p): "a/b*" gives "a" and "b*". */
int glob_split_pattern(const char *p, char **base, const char **pattern);
/* Unescapes \* \? \[ \] \{ \} (malloc'd). */
char *glob_unescape_meta(const char *s);
/* FilepathGlob(pattern, WithNoFollow()): a symlink is never searched as a directory
 * ("**" does not descend into it), but the literal base is resolved by the OS.
 * GLOB_FOLLOW drops WithNoFollow. I/O errors are ignored. Matches are appended in
 * doublestar's order, duplicates included. CIH_EUSAGE for a bad pattern. */
enum { GLOB_FOLLOW = 1 };
int glob_filepath(const char *pattern, int flags, struct glob_list *out);

int glob_list_add(struct glob_list *l, const char *s);
void glob_list_dispose(struct glob_list *l);

#endif
