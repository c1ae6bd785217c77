/* doublestar v4 FilepathGlob with WithNoFollow, ported from glob.go and globwalk.go:
 * patterns with a "**" before their end go through the walking variant, as upstream,
 * because the two differ in order and duplicates. */
#include "glob.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../helper/error.h"
#include "glob_internal.h"
#include "spath.h"

static _Thread_local bool follow; /* for the duration of one glob_filepath */

static int nomem(void)
{
	return err_set(CIH_ENOMEM, "out of memory");
}

int glob_list_add(struct glob_list *l, const char *s)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return nomem();
		l->v = v;
		l->cap = cap;
	}
	if (!(copy = strdup(s)))
		return nomem();
	l->v[l->n++] = copy;
	return 0;
}

void glob_list_dispose(struct glob_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int glob_list_copy(struct glob_list *dst, const struct glob_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (glob_list_add(dst, src->v[i]) < 0)
			return CIH_ENOMEM;
	return 0;
}

char *glob_unescape_meta(const char *s)
{
	size_t n = strlen(s), w = 0;
	char *out = malloc(n + 1);

	if (!out) {
		nomem();
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && s[i + 1] && strchr("*?[]{}", s[i + 1]))
			i++;
		out[w++] = s[i];
	}
	out[w] = '\0';
	return out;
}

int glob_split_pattern(const char *p, char **base, const char **pattern)
{
	long split = -1;
	size_t n = strlen(p);

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\')
			i++;
		else if (c == '/')
			split = (long)i;
		else if (c == '*' || c == '?' || c == '[' || c == '{')
			break;
	}
	*pattern = p;
	if (split == 0) {
		*base = strdup("/");
		*pattern = p + 1;
	} else if (split > 0) {
		char *head = strndup(p, (size_t)split);
		*base = head ? glob_unescape_meta(head) : NULL;
		free(head);
		*pattern = p + split + 1;
	} else {
		*base = strdup(".");
	}
	return *base ? 0 : nomem();
}

/* fs.ValidPath: os.DirFS refuses anything else. */
static bool valid_path(const char *name)
{
	if (!strcmp(name, "."))
		return true;
	for (;;) {
		size_t c = strcspn(name, "/");
		if (c == 0 || (c == 1 && name[0] == '.') || (c == 2 && !strncmp(name, "..", 2)))
			return false;
		if (!name[c])
			return true;
		name += c + 1;
	}
}

/* The OS path of name inside os.DirFS(base); NULL for an invalid name. */
static char *fs_path(const char *base, const char *name)
{
	size_t bl = strlen(base), nl = strlen(name);
	char *p;

	if (!valid_path(name))
		return NULL;
	if (!(p = malloc(bl + nl + 2)))
		return NULL;
	memcpy(p, base, bl);
	p[bl] = '/';
	memcpy(p + bl + 1, name, nl + 1);
	return p;
}

bool glob_fs_stat(const char *base, const char *name, struct stat *st)
{
	char *p = fs_path(base, name);
	bool ok = p && stat(p, st) == 0;

	free(p);
	return ok;
}

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

void glob_dents_free(struct dent *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].name);
	free(d);
}

/* fs.ReadDir: entries sorted by name; *n = (size_t)-1 when unreadable. */
int glob_fs_readdir(const char *base, const char *name, struct dent **out, size_t *n)
{
	char *p = fs_path(base, name);
	struct dent *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = (size_t)-1;
	if (!p || !(d = opendir(p))) {
		free(p);
		return 0;
	}
	*n = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (*n == cap) {
			struct dent *nv = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
		}
		if (!(v[*n].name = strdup(de->d_name)))
			goto oom;
		v[*n].dir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN || (follow && de->d_type == DT_LNK)) {
			struct stat st;
			char *full = fs_path(p, de->d_name);
			int r = !full ? -1 : follow ? stat(full, &st) : lstat(full, &st);
			v[*n].dir = r == 0 && S_ISDIR(st.st_mode);
			free(full);
		}
		++*n;
	}
	closedir(d);
	free(p);
	qsort(v, *n, sizeof(*v), dent_cmp);
	*out = v;
	return 0;
oom:
	closedir(d);
	free(p);
	glob_dents_free(v, *n);
	*n = (size_t)-1;
	return nomem();
}

int glob_join_add(struct glob_list *m, const char *dir, const char *name)
{
	char *p = spath_join(dir, name);
	int rc = p ? glob_list_add(m, p) : CIH_ENOMEM;

	free(p);
	return rc;
}

long glob_index_meta(const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '{')
			return (long)i;
		if (s[i] == '\\' && s[i + 1])
			i++;
		else if (s[i] == '\\')
			break;
	}
	return -1;
}

long glob_last_slash(const char *s, size_t n, bool alt)
{
	for (size_t i = n; i-- > 0;)
		if ((s[i] == '/' || (alt && s[i] == '}')) && (i == 0 || s[i - 1] != '\\'))
			return (long)i;
	return -1;
}

long glob_opening_alt(const char *s, size_t n)
{
	int alts = 1;

	for (size_t i = n; i-- > 0;) {
		if (s[i] == '}' && (i == 0 || s[i - 1] != '\\'))
			alts++;
		else if (s[i] == '{' && (i == 0 || s[i - 1] != '\\') && --alts == 0)
			return (long)i;
	}
	return -1;
}

char *glob_build_alt(const char *prefix, const char *pat, size_t start, size_t open, size_t cur,
		       size_t next, size_t after)
{
	size_t pl = strlen(prefix), len = strlen(pat), w = 0;
	bool pre = pl && strcmp(prefix, ".");
	char *s = malloc(pl + 1 + (open - start) + (next - cur) + (len - after) + 1);

	if (!s)
		return NULL;
	if (pre) {
		memcpy(s, prefix, pl);
		s[pl] = '/';
		w = pl + 1;
	}
	memcpy(s + w, pat + start, open - start);
	w += open - start;
	memcpy(s + w, pat + cur, next - cur);
	w += next - cur;
	memcpy(s + w, pat + after, len - after);
	w += len - after;
	s[w] = '\0';
	return s;
}


bool glob_exists(const char *base, const char *name, struct stat *st)
{
	size_t n = strlen(name);
	char *trimmed;
	bool ok;

	if (n <= 1 || name[n - 1] != '/')
		return glob_fs_stat(base, name, st);
	if (!(trimmed = strndup(name, n - 1)))
		return false;
	ok = glob_fs_stat(base, trimmed, st);
	free(trimmed);
	return ok;
}

/* A "**" anywhere but at the very end (hasMidDoubleStar). */
static bool mid_doublestar(const char *p)
{
	size_t n = strlen(p);

	for (size_t i = 0; i + 3 < n; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '*' && p[i + 1] == '*')
			return true;
	}
	return false;
}

int glob_filepath(const char *pattern, int flags, struct glob_list *out)
{
	struct glob_list rel = GLOB_LIST_INIT;
	char *clean, *base = NULL;
	const char *f;
	struct stat st;
	int rc;

	if (!*pattern)
		return 0;
	if (!(clean = spath_clean(pattern)))
		return CIH_ENOMEM;
	if ((rc = glob_split_pattern(clean, &base, &f)) < 0)
		goto out;
	if (!*f || !strcmp(f, ".") || !strcmp(f, "..")) {
		char *plain;

		if (!glob_valid(clean)) {
			rc = err_set(CIH_EUSAGE, "syntax error in pattern");
			goto out;
		}
		if (!(plain = glob_unescape_meta(clean))) {
			rc = CIH_ENOMEM;
			goto out;
		}
		if (lstat(plain, &st) == 0)
			rc = glob_list_add(out, plain);
		free(plain);
		goto out;
	}
	if (!glob_valid(f)) {
		rc = err_set(CIH_EUSAGE, "syntax error in pattern");
		goto out;
	}
	follow = flags & GLOB_FOLLOW;
	rc = mid_doublestar(f) ? glob_run_walk(base, f, &rel) : glob_run(base, f, &rel);
	follow = false;
	for (size_t i = 0; i < rel.n && rc >= 0; i++)
		rc = glob_join_add(out, base, rel.v[i]);
out:
	glob_list_dispose(&rel);
	free(base);
	free(clean);
	return rc < 0 ? rc : 0;
}
