/* The runner's fileArchiver (commands/helpers/file_archiver.go), message for message.
 * Paths are made relative with lexical Abs/Rel; symlinks are never resolved. */
#include "select.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/log.h"
#include "../helper/shexpand.h"
#include "spath.h"

struct excl {
	const char *pattern; /* as expanded: the key of the counts */
	char *rel;           /* relative pattern, or NULL */
	char err[600];       /* why rel could not be made */
	size_t count;
};

struct run {
	const char *wd;
	struct sel_set *set;
	struct excl *ex;
	size_t nex;
	int rc; /* an out-of-memory error stops the run */
};

static int nomem(void)
{
	return err_set(CIH_ENOMEM, "out of memory");
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int rehash(struct sel_set *set, size_t nslots)
{
	size_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return nomem();
	for (size_t i = 0; i < set->n; i++) {
		size_t k = hash(set->v[i].path) & (nslots - 1);
		while (slots[k])
			k = (k + 1) & (nslots - 1);
		slots[k] = i + 1;
	}
	free(set->slots);
	set->slots = slots;
	set->nslots = nslots;
	return 0;
}

/* map[path] = st: a later lstat of the same path replaces the earlier one. */
static int set_put(struct sel_set *set, const char *path, const struct stat *st)
{
	size_t k;

	if ((set->n + 1) * 2 > set->nslots && rehash(set, set->nslots ? set->nslots * 2 : 1024) < 0)
		return CIH_ENOMEM;
	for (k = hash(path) & (set->nslots - 1); set->slots[k]; k = (k + 1) & (set->nslots - 1)) {
		struct sel_entry *e = &set->v[set->slots[k] - 1];
		if (!strcmp(e->path, path)) {
			e->st = *st;
			return 0;
		}
	}
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		struct sel_entry *v = realloc(set->v, cap * sizeof(*v));
		if (!v)
			return nomem();
		set->v = v;
		set->cap = cap;
	}
	if (!(set->v[set->n].path = strdup(path)))
		return nomem();
	set->v[set->n].st = *st;
	set->slots[k] = ++set->n;
	return 0;
}

/* NULL (and the set unchanged) when out of memory. */
static struct sel_entry *realloc_entries(struct sel_set *set, size_t cap)
{
	struct sel_entry *v = realloc(set->v, cap * sizeof(*v));

	if (!v)
		return NULL;
	set->cap = cap;
	return v;
}

void sel_set_dispose(struct sel_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].path);
	free(set->v);
	free(set->slots);
	*set = (struct sel_set)SEL_SET_INIT;
}

static bool outside(const char *rel)
{
	return !strcmp(rel, "..") || !strncmp(rel, "../", 3);
}

/* findRelativePathInProject: NULL with *why set when outside, or out of memory. */
static char *relative_in_project(const char *wd, const char *path, char *why, size_t whylen)
{
	char *clean = spath_clean(path), *base = NULL, *abs = NULL, *rel = NULL, *out = NULL;
	const char *pat = "";

	why[0] = '\0';
	if (!clean)
		return NULL;
	if (!strcmp(clean, wd)) {
		free(clean);
		return strdup(".");
	}
	if (strpbrk(path, "*?[{")) {
		if (glob_split_pattern(path, &base, &pat) < 0)
			goto done;
	} else if (!(base = strdup(path))) {
		goto done;
	}
	if (!(abs = spath_abs(wd, base)) || !(rel = spath_rel(wd, abs)))
		goto done;
	if (outside(rel)) {
		snprintf(why, whylen, "artifact path is not a subpath of project directory: %s", path);
		goto done;
	}
	out = spath_join(rel, pat);
done:
	free(clean);
	free(base);
	free(abs);
	free(rel);
	return out;
}

/* isExcluded: the first rule that matches, or NULL. */
static struct excl *excluded(struct run *r, const char *path)
{
	for (size_t i = 0; i < r->nex; i++) {
		if (!r->ex[i].rel) {
			log_warn("isExcluded: %s", r->ex[i].err);
			return NULL;
		}
		if (glob_match(r->ex[i].rel, path) == 1) {
			for (size_t k = 0; k < i; k++)
				if (!strcmp(r->ex[k].pattern, r->ex[i].pattern))
					return &r->ex[k];
			return &r->ex[i];
		}
	}
	return NULL;
}

/* process: true when the path was added. */
static bool process(struct run *r, const char *match)
{
	char *abs = spath_abs(r->wd, match), *rel = abs ? spath_rel(r->wd, abs) : NULL;
	struct excl *rule;
	struct stat st;
	bool added = false;

	if (!rel) {
		r->rc = CIH_ENOMEM;
	} else if (!strncmp(rel, "../", 3)) {
		log_warn("%s: not supported: outside build directory", match);
	} else if ((rule = excluded(r, rel))) {
		rule->count++;
	} else if (lstat(rel, &st) == 0) {
		if (set_put(r->set, rel, &st) < 0)
			r->rc = CIH_ENOMEM;
		added = r->rc == 0;
	} else if (errno != ENOENT) {
		err_os("lstat %s", rel);
		log_warn("%s: %s", match, err_last()->msg);
	}
	free(abs);
	free(rel);
	return added;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* filepath.Walk: lexical order, symlinks not followed, the directory itself first
 * (after its names were read; an unreadable directory is visited, not entered). */
static void walk(struct run *r, const char *path, size_t *found)
{
	struct glob_list names = GLOB_LIST_INIT;
	struct stat st;
	struct dirent *de;
	DIR *d;

	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*found += process(r, path);
		return;
	}
	if ((d = opendir(path))) {
		while ((de = readdir(d)) && r->rc == 0) {
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
			    glob_list_add(&names, de->d_name) < 0)
				r->rc = CIH_ENOMEM;
		}
		closedir(d);
		if (names.n)
			qsort(names.v, names.n, sizeof(char *), by_name);
	}
	*found += process(r, path);
	for (size_t i = 0; i < names.n && r->rc == 0; i++) {
		char *child = spath_join(path, names.v[i]);
		if (!child) {
			r->rc = CIH_ENOMEM;
			break;
		}
		walk(r, child, found);
		free(child);
	}
	glob_list_dispose(&names);
}

static void process_path(struct run *r, const char *path)
{
	struct glob_list matches = GLOB_LIST_INIT;
	char why[600], *rel;
	size_t found = 0;

	if (!*path) {
		log_warn("No matching files. Path is empty.");
		return;
	}
	if (!(rel = relative_in_project(r->wd, path, why, sizeof(why)))) {
		if (why[0])
			log_warn("processPath: %s", why);
		else
			r->rc = CIH_ENOMEM;
		return;
	}
	if (glob_filepath(rel, 0, &matches) < 0) {
		if (err_last()->code == CIH_ENOMEM)
			r->rc = CIH_ENOMEM;
		else
			log_warn("%s: %s", path, err_last()->msg);
		goto out;
	}
	for (size_t i = 0; i < matches.n && r->rc == 0; i++)
		walk(r, matches.v[i], &found);
	if (found == 0)
		log_warn("%s: no matching files. Ensure that the artifact path is relative to the "
			 "working directory (%s)", path, r->wd);
	else
		log_info("%s: found %zu matching artifact files and directories", path, found);
out:
	glob_list_dispose(&matches);
	free(rel);
}

static void process_untracked(struct run *r)
{
	struct glob_list files = GLOB_LIST_INIT;
	struct sel_untracked_error why;
	size_t found = 0;

	log_debug("Executing command: git ls-files -o -z");
	if (sel_untracked_files(&files, &why) < 0) {
		if (err_last()->code == CIH_ENOMEM) {
			r->rc = CIH_ENOMEM;
		} else {
			if (why.stderr_text[0] && write(2, why.stderr_text, strlen(why.stderr_text)) < 0)
				why.stderr_text[0] = '\0';
			log_warn("untracked: %s", err_last()->msg);
		}
		glob_list_dispose(&files);
		return;
	}
	for (size_t i = 0; i < files.n && r->rc == 0; i++)
		found += process(r, files.v[i]);
	if (found == 0)
		log_warn("untracked: no files");
	else
		log_info("untracked: found %zu files", found);
	glob_list_dispose(&files);
}

char *sel_expand(const char *value)
{
	char *out = NULL;
	int rc = shexp_expand(value, &out);

	if (rc == CIH_ENOMEM)
		return NULL;
	if (rc < 0) {
		log_warn("invalid path \"\": %s", err_last()->msg);
		if (!(out = strdup(value)))
			nomem();
	}
	return out;
}

/* os.Getwd: $PWD when it names the current directory (it may go through symlinks,
 * and so may the paths users give, like $CI_PROJECT_DIR/x), else getcwd. */
static int go_getwd(char *wd, size_t size)
{
	const char *pwd = getenv("PWD");
	struct stat a, b;

	if (pwd && pwd[0] == '/' && strlen(pwd) < size && stat(pwd, &a) == 0 && stat(".", &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		memcpy(wd, pwd, strlen(pwd) + 1);
		return 0;
	}
	if (!getcwd(wd, size))
		return err_os("failed to get current working directory: getwd");
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sel_entry *)a)->path, ((const struct sel_entry *)b)->path);
}

int sel_enumerate(const struct sel_options *opt, struct sel_set *out)
{
	struct run r = { NULL, out, NULL, opt->nexcludes, 0 };
	char **paths = calloc(opt->npaths + 1, sizeof(char *));
	char wd[4096];

	if (go_getwd(wd, sizeof(wd)) < 0) {
		free(paths);
		return CIH_EOS;
	}
	r.wd = wd;
	if (!paths || !(r.ex = calloc(opt->nexcludes + 1, sizeof(*r.ex)))) {
		r.rc = nomem();
		goto out;
	}
	for (size_t i = 0; i < opt->npaths && r.rc == 0; i++)
		if (!(paths[i] = sel_expand(opt->paths[i])))
			r.rc = CIH_ENOMEM;
	for (size_t i = 0; i < opt->nexcludes && r.rc == 0; i++) {
		struct excl *e = &r.ex[i];
		if (!(e->pattern = sel_expand(opt->excludes[i])))
			r.rc = CIH_ENOMEM;
		else if (!(e->rel = relative_in_project(wd, e->pattern, e->err, sizeof(e->err))) && !e->err[0])
			r.rc = CIH_ENOMEM;
	}
	for (size_t i = 0; i < opt->npaths && r.rc == 0; i++)
		process_path(&r, paths[i]);
	if (opt->untracked && r.rc == 0)
		process_untracked(&r);
	for (size_t i = 0; i < r.nex && r.rc == 0; i++)
		if (r.ex[i].count)
			log_info("%s: excluded %zu files", r.ex[i].pattern, r.ex[i].count);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
	/* the hash indexes the old order */
	free(out->slots);
	out->slots = NULL;
	out->nslots = 0;
out:
	for (size_t i = 0; i < opt->npaths; i++)
		free(paths ? paths[i] : NULL);
	free(paths);
	for (size_t i = 0; r.ex && i < r.nex; i++) {
		free((char *)r.ex[i].pattern);
		free(r.ex[i].rel);
	}
	free(r.ex);
	if (r.rc < 0)
		return r.rc == CIH_ENOMEM ? nomem() : r.rc;
	return 0;
}

/* fileArchiver.process of one more path after enumeration (the artifacts metadata
 * file): the excludes apply, no walk, the set stays sorted. */
int sel_add(const struct sel_options *opt, struct sel_set *set, const char *path)
{
	struct sel_set one = SEL_SET_INIT;
	struct run r = { NULL, &one, NULL, opt->nexcludes, 0 };
	char wd[4096];
	size_t pos;

	if (go_getwd(wd, sizeof(wd)) < 0)
		return CIH_EOS;
	r.wd = wd;
	if (!(r.ex = calloc(opt->nexcludes + 1, sizeof(*r.ex))))
		return nomem();
	for (size_t i = 0; i < opt->nexcludes && r.rc == 0; i++) {
		struct excl *e = &r.ex[i];
		char *x = NULL;
		if (shexp_expand(opt->excludes[i], &x) < 0 && !(x = strdup(opt->excludes[i])))
			r.rc = CIH_ENOMEM;
		else if (!(e->pattern = x) ||
			 (!(e->rel = relative_in_project(wd, x, e->err, sizeof(e->err))) && !e->err[0]))
			r.rc = CIH_ENOMEM;
	}
	if (r.rc == 0 && process(&r, path)) {
		struct sel_entry e = one.v[0], *grown = set->v;
		for (pos = 0; pos < set->n && strcmp(set->v[pos].path, e.path) < 0; pos++)
			;
		if (pos < set->n && !strcmp(set->v[pos].path, e.path)) {
			set->v[pos].st = e.st;
			free(e.path);
		} else if (set->n == set->cap && !(grown = realloc_entries(set, set->cap ? set->cap * 2 : 8))) {
			free(e.path);
			r.rc = CIH_ENOMEM;
		} else {
			set->v = grown;
			memmove(&set->v[pos + 1], &set->v[pos], (set->n - pos) * sizeof(*set->v));
			set->v[pos] = e;
			set->n++;
		}
		one.n = 0;
	}
	sel_set_dispose(&one);
	for (size_t i = 0; i < r.nex; i++) {
		free((char *)r.ex[i].pattern);
		free(r.ex[i].rel);
	}
	free(r.ex);
	return r.rc == CIH_ENOMEM ? nomem() : r.rc;
}
