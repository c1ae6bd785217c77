/* doublestar's Glob traversal (glob.go: doGlob, globAlts, globDir, globDoubleStar)
 * with filesOnly off and noFollow on. Like upstream, a recursive call for the
 * directories gets the matches so far as its starting list, so they are searched too. */
#include <stdlib.h>
#include <string.h>

#include "../helper/error.h"
#include "glob_internal.h"
#include "spath.h"

static int do_glob(const char *base, const char *pattern, struct glob_list *m, bool first);

/* sortAndRemoveDups: merges the sorted runs [i1,i2) and [i2,l) in place. */
static void sort_dedupe(struct glob_list *m, size_t i1, size_t i2, size_t l)
{
	char **v = m->v;

	for (; i1 < i2; i1++) {
		int c = strcmp(v[i1], v[i2]);
		if (c < 0)
			continue;
		if (c > 0) {
			char *tmp = v[i1];
			size_t s = i2 + 1;

			v[i1] = v[i2];
			for (; s < l && strcmp(v[s], tmp) < 0; s++)
				v[s - 1] = v[s];
			v[s - 1] = tmp;
		} else {
			free(v[i2]);
			for (size_t s = i2 + 1; s < l; s++)
				v[s - 1] = v[s];
			if (--l == i2)
				break;
		}
	}
	for (size_t k = l; k < m->n; k++)
		v[k] = NULL;
	m->n = l;
}

static int glob_doublestar(const char *base, const char *dir, struct glob_list *m, bool files)
{
	struct dent *d;
	size_t n;
	int rc;

	if ((rc = glob_fs_readdir(base, dir, &d, &n)) < 0 || n == (size_t)-1)
		return rc;
	rc = glob_list_add(m, dir);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (d[i].dir) {
			char *p = spath_join(dir, d[i].name);
			rc = p ? glob_doublestar(base, p, m, files) : CIH_ENOMEM;
			free(p);
		} else if (files) {
			rc = glob_join_add(m, dir, d[i].name);
		}
	}
	glob_dents_free(d, n);
	return rc;
}

static int glob_dir(const char *base, const char *dir, const char *pattern, struct glob_list *m,
		    bool files)
{
	struct stat st;
	struct dent *d;
	size_t n;
	int rc;

	if (!*pattern) {
		if (glob_fs_stat(base, dir, &st) && S_ISDIR(st.st_mode))
			return glob_list_add(m, dir);
		return 0;
	}
	if (!strcmp(pattern, "**"))
		return glob_doublestar(base, dir, m, files);
	if ((rc = glob_fs_readdir(base, dir, &d, &n)) < 0 || n == (size_t)-1)
		return rc;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		if ((rc = glob_match_unvalidated(pattern, d[i].name)) > 0 && (files || d[i].dir))
			rc = glob_join_add(m, dir, d[i].name);
	}
	glob_dents_free(d, n);
	return rc < 0 ? rc : 0;
}

static int glob_alts(const char *base, const char *pat, size_t open, size_t close,
		     struct glob_list *m, bool first)
{
	struct glob_list dirs = GLOB_LIST_INIT;
	long split = glob_last_slash(pat, open, true);
	size_t start = 0, after = close + 1;
	int rc = 0;

	if (split < 0 || pat[split] == '}') {
		rc = glob_list_add(&dirs, "");
	} else {
		char *head = strndup(pat, (size_t)split);
		rc = head ? glob_list_copy(&dirs, m) : CIH_ENOMEM;
		if (rc == 0)
			rc = do_glob(base, head, &dirs, false);
		free(head);
		start = (size_t)split + 1;
	}
	for (size_t k = 0; k < dirs.n && rc == 0; k++) {
		size_t pi = open + 1, alt0 = m->n, this0 = alt0;

		while (pi < close && rc == 0) {
			long c = glob_next_alt(pat + pi, close - pi);
			size_t next = c < 0 ? close : pi + (size_t)c;
			char *alt = glob_build_alt(dirs.v[k], pat, start, open, pi, next, after);

			rc = alt ? do_glob(base, alt, m, first) : CIH_ENOMEM;
			free(alt);
			if (alt0 != this0 && this0 != m->n) {
				sort_dedupe(m, alt0, this0, m->n);
				this0 = m->n;
			} else {
				this0 = m->n;
			}
			pi = next + 1;
		}
	}
	glob_list_dispose(&dirs);
	return rc;
}

static int do_glob(const char *base, const char *pattern, struct glob_list *m, bool first)
{
	long meta = glob_index_meta(pattern), split;
	size_t len = strlen(pattern);
	struct glob_list dirs = GLOB_LIST_INIT;
	char *dir = NULL, *udir = NULL;
	const char *pat = pattern;
	struct stat st;
	int rc = 0;

	if (meta < 0) {
		char *path = glob_unescape_meta(pattern);
		if (!path)
			return CIH_ENOMEM;
		if (glob_exists(base, path, &st))
			rc = glob_list_add(m, path);
		free(path);
		return rc;
	}
	split = glob_last_slash(pattern, len, true);
	if (split >= 0) {
		if (pattern[split] == '}') {
			long open = glob_opening_alt(pattern, (size_t)split);
			if (open >= 0)
				return glob_alts(base, pattern, (size_t)open, (size_t)split, m, first);
			split = glob_last_slash(pattern, (size_t)split, false);
		}
		if (split >= 0) {
			if (!(dir = strndup(pattern, (size_t)split)))
				return err_set(CIH_ENOMEM, "out of memory");
			pat = pattern + split + 1;
		}
	}
	if (split <= meta) {
		udir = glob_unescape_meta(dir ? dir : ".");
		rc = udir ? glob_dir(base, udir, pat, m, first) : CIH_ENOMEM;
		goto out;
	}
	if ((rc = glob_list_copy(&dirs, m)) < 0 || (rc = do_glob(base, dir, &dirs, false)) < 0)
		goto out;
	for (size_t i = 0; i < dirs.n && rc == 0; i++)
		rc = glob_dir(base, dirs.v[i], pat, m, first);
out:
	glob_list_dispose(&dirs);
	free(dir);
	free(udir);
	return rc;
}

int glob_run(const char *base, const char *pattern, struct glob_list *out)
{
	return do_glob(base, pattern, out, true);
}
