/* Go's lexical slash-path helpers (path.Clean, path.Join, filepath.Rel, filepath.Abs)
 * for POSIX paths. Each returns a malloc'd string or NULL with CIH_ENOMEM set. */
#ifndef CIH_ARCHIVE_SPATH_H
#define CIH_ARCHIVE_SPATH_H

char *spath_clean(const char *path);
/* Empty elements are ignored; the result is cleaned ("" when both are empty). */
char *spath_join(const char *a, const char *b);
/* filepath.Abs: path cleaned, joined to wd when relative. */
char *spath_abs(const char *wd, const char *path);
/* filepath.Rel for two absolute paths: "." when equal, "../x" when outside. */
char *spath_rel(const char *base, const char *target);

#endif
