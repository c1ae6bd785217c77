/* doublestar's GlobWalk traversal (globwalk.go), which Glob uses for patterns with
 * a "**" before their end. Callbacks never stop the walk here. */
#include <stdlib.h>
#include <string.h>

#include "../helper/error.h"
#include "glob_internal.h"
#include "spath.h"

struct fn {
	int (*call)(struct fn *self, const char *path);
};

struct add_fn {
	struct fn fn;
	struct glob_list *list;
};

static int add_call(struct fn *self, const char *path)
{
	return glob_list_add(((struct add_fn *)(void *)self)->list, path);
}

static int do_walk(const char *base, const char *pattern, bool first, struct fn *fn);

static int doublestar_walk(const char *base, const char *dir, bool files, struct fn *fn)
{
	struct dent *d;
	size_t n;
	int rc;

	if ((rc = glob_fs_readdir(base, dir, &d, &n)) < 0 || n == (size_t)-1)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *p;

		if (!d[i].dir && !files)
			continue;
		if (!(p = spath_join(dir, d[i].name))) {
			rc = CIH_ENOMEM;
			break;
		}
		rc = fn->call(fn, p);
		if (rc == 0 && d[i].dir)
			rc = doublestar_walk(base, p, files, fn);
		free(p);
	}
	glob_dents_free(d, n);
	return rc;
}

static int dir_walk(const char *base, const char *dir, const char *pattern, bool files,
		    struct fn *fn)
{
	struct stat st;
	struct dent *d;
	size_t n;
	int rc;

	if (!*pattern) {
		if (glob_fs_stat(base, dir, &st) && S_ISDIR(st.st_mode))
			return fn->call(fn, dir);
		return 0;
	}
	if (!strcmp(pattern, "**")) {
		if (!glob_exists(base, dir, &st) || !S_ISDIR(st.st_mode))
			return 0;
		if ((rc = fn->call(fn, dir)) < 0)
			return rc;
		return doublestar_walk(base, dir, files, fn);
	}
	if ((rc = glob_fs_readdir(base, dir, &d, &n)) < 0 || n == (size_t)-1)
		return rc;
	for (size_t i = 0; i < n && rc >= 0; i++) {
		if ((rc = glob_match_unvalidated(pattern, d[i].name)) > 0 && (files || d[i].dir)) {
			char *p = spath_join(dir, d[i].name);
			rc = p ? fn->call(fn, p) : CIH_ENOMEM;
			free(p);
		}
	}
	glob_dents_free(d, n);
	return rc < 0 ? rc : 0;
}

/* The rest of the pattern, searched under each directory the prefix matched. */
struct dir_fn {
	struct fn fn;
	const char *base, *pattern;
	bool first;
	struct fn *next;
};

static int dir_call(struct fn *self, const char *path)
{
	struct dir_fn *f = (struct dir_fn *)(void *)self;

	return dir_walk(f->base, path, f->pattern, f->first, f->next);
}

struct alts_fn {
	struct fn fn;
	const char *base, *pattern;
	size_t start, open, close, after;
	bool first;
	struct glob_list *matches;
};

static int alts_collect(struct alts_fn *a, const char *d)
{
	struct add_fn add = { { add_call }, a->matches };
	size_t pi = a->open + 1;
	int rc = 0;

	while (pi < a->close && rc == 0) {
		long c = glob_next_alt(a->pattern + pi, a->close - pi);
		size_t next = c < 0 ? a->close : pi + (size_t)c;
		char *alt = glob_build_alt(d, a->pattern, a->start, a->open, pi, next, a->after);

		rc = alt ? do_walk(a->base, alt, a->first, &add.fn) : CIH_ENOMEM;
		free(alt);
		pi = next + 1;
	}
	return rc;
}

static int alts_call(struct fn *self, const char *path)
{
	return alts_collect((struct alts_fn *)(void *)self, path);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Upstream keeps the alternatives' results sorted without duplicates by insertion;
 * sorting once at the end gives the same list. */
static int alts_walk(const char *base, const char *pat, size_t open, size_t close, bool first,
		     struct fn *fn)
{
	struct glob_list matches = GLOB_LIST_INIT;
	struct alts_fn a = { { alts_call }, base, pat, 0, open, close, close + 1, first, &matches };
	long split = glob_last_slash(pat, open, true);
	size_t w = 0;
	int rc;

	if (split < 0 || pat[split] == '}') {
		rc = alts_collect(&a, "");
	} else {
		char *head = strndup(pat, (size_t)split);
		a.start = (size_t)split + 1;
		rc = head ? do_walk(base, head, false, &a.fn) : CIH_ENOMEM;
		free(head);
	}
	if (matches.n)
		qsort(matches.v, matches.n, sizeof(char *), str_cmp);
	for (size_t i = 0; i < matches.n; i++) {
		if (w && !strcmp(matches.v[w - 1], matches.v[i])) {
			free(matches.v[i]);
			continue;
		}
		matches.v[w++] = matches.v[i];
	}
	matches.n = w;
	for (size_t i = 0; i < matches.n && rc == 0; i++)
		rc = fn->call(fn, matches.v[i]);
	glob_list_dispose(&matches);
	return rc;
}

static int do_walk(const char *base, const char *pattern, bool first, struct fn *fn)
{
	long meta = glob_index_meta(pattern), split;
	char *dir = NULL, *udir = NULL;
	const char *pat = pattern;
	struct stat st;
	int rc = 0;

	if (meta < 0) {
		char *path = glob_unescape_meta(pattern);
		if (!path)
			return CIH_ENOMEM;
		if (glob_exists(base, path, &st))
			rc = fn->call(fn, path);
		free(path);
		return rc;
	}
	split = glob_last_slash(pattern, strlen(pattern), true);
	if (split >= 0) {
		if (pattern[split] == '}') {
			long open = glob_opening_alt(pattern, (size_t)split);
			if (open >= 0)
				return alts_walk(base, pattern, (size_t)open, (size_t)split, first, fn);
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
		rc = udir ? dir_walk(base, udir, pat, first, fn) : CIH_ENOMEM;
	} else {
		struct dir_fn f = { { dir_call }, base, pat, first, fn };
		rc = do_walk(base, dir, false, &f.fn);
	}
	free(dir);
	free(udir);
	return rc;
}

int glob_run_walk(const char *base, const char *pattern, struct glob_list *out)
{
	struct add_fn add = { { add_call }, out };

	return do_walk(base, pattern, true, &add.fn);
}
