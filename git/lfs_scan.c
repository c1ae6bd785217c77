#include "lfs_scan.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/errors.h>

#include "../helper/error.h"

static char **split(const char *list)
{
	size_t n = 1, k = 0;
	char **v, *copy, *tok, *save = NULL;

	if (!list || !*list)
		return NULL;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	if (!(v = calloc(n + 1, sizeof(*v))) || !(copy = strdup(list))) {
		free(v);
		return NULL;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t len = strlen(tok);

		while (len && (tok[len - 1] == ' ' || tok[len - 1] == '/'))
			tok[--len] = '\0';
		if (len && !(v[k++] = strdup(tok)))
			break;
	}
	free(copy);
	return v;
}

int lfs_filter_init(struct lfs_filter *f, const char *include, const char *exclude)
{
	f->inc = split(include);
	f->exc = split(exclude);
	if ((include && *include && !f->inc) || (exclude && *exclude && !f->exc))
		return err_set(CIH_ENOMEM, "out of memory");
	return 0;
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void lfs_filter_dispose(struct lfs_filter *f)
{
	free_list(f->inc);
	free_list(f->exc);
	f->inc = f->exc = NULL;
}

/* gitignore style: a pattern without '/' matches any path component (and so
 * everything under a matching directory); with one, it is anchored at the top
 * and matches the path or one of its leading directories. */
static bool match(const char *pat, const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return false;
	if (!strchr(pat, '/')) {
		for (const char *c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
			size_t len = strcspn(c, "/");

			memcpy(buf, c, len);
			buf[len] = '\0';
			if (fnmatch(pat, buf, 0) == 0)
				return true;
		}
		return false;
	}
	if (*pat == '/')
		pat++;
	memcpy(buf, path, n + 1);
	for (;;) {
		char *slash;

		if (fnmatch(pat, buf, 0) == 0)
			return true;
		if (!(slash = strrchr(buf, '/')))
			return false;
		*slash = '\0';
	}
}

bool lfs_filter_allows(const struct lfs_filter *f, const char *path)
{
	bool in = !f->inc;

	for (size_t i = 0; f->inc && f->inc[i] && !in; i++)
		in = match(f->inc[i], path);
	for (size_t i = 0; in && f->exc && f->exc[i]; i++)
		in = !match(f->exc[i], path);
	return in;
}

static int add(git_odb *odb, const char *path, unsigned mode, const git_oid *id, const struct lfs_filter *f,
	       struct lfs_entries *out)
{
	size_t size;
	git_object_t type;
	git_odb_object *o = NULL;
	struct lfs_pointer p;
	int yes;

	if ((mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) || (f && !lfs_filter_allows(f, path)))
		return 0;
	if (git_odb_read_header(&size, &type, odb, id) < 0) {
		git_error_clear();
		return 0; /* a missing blob (partial fetch) is nobody's pointer */
	}
	if (type != GIT_OBJECT_BLOB || size >= LFS_POINTER_MAX || size == 0)
		return 0;
	if (git_odb_read(&o, odb, id) < 0)
		return err_set(CIH_EGIT, "cannot read blob for %s: %s", path, git_error_last()->message);
	yes = lfs_pointer_parse(git_odb_object_data(o), git_odb_object_size(o), &p);
	git_odb_object_free(o);
	if (!yes)
		return 0;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64;
		struct lfs_entry *v = realloc(out->v, cap * sizeof(*v));

		if (!v)
			return err_set(CIH_ENOMEM, "out of memory");
		out->v = v;
		out->cap = cap;
	}
	if (!(out->v[out->n].path = strdup(path)))
		return err_set(CIH_ENOMEM, "out of memory");
	out->v[out->n].mode = mode;
	out->v[out->n].blob = *id;
	out->v[out->n++].p = p;
	return 0;
}

struct walk {
	git_odb *odb;
	const struct lfs_filter *f;
	struct lfs_entries *out;
	int rc;
};

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct walk *w = payload;
	char path[4096];

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, git_tree_entry_name(e)) >= sizeof(path))
		return 0;
	w->rc = add(w->odb, path, git_tree_entry_filemode(e), git_tree_entry_id(e), w->f, w->out);
	return w->rc < 0 ? -1 : 0;
}

int lfs_scan(git_repository *repo, git_tree *tree, const struct lfs_filter *f, struct lfs_entries *out)
{
	git_odb *odb = NULL;
	git_index *idx = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (git_repository_odb(&odb, repo) < 0)
		return err_set(CIH_EGIT, "%s", git_error_last()->message);
	if (tree) {
		struct walk w = { odb, f, out, 0 };

		if (git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w) < 0)
			rc = w.rc < 0 ? w.rc : err_set(CIH_EGIT, "%s", git_error_last()->message);
	} else if (git_repository_index(&idx, repo) < 0) {
		rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
	} else {
		size_t n = git_index_entrycount(idx);

		for (size_t i = 0; i < n && rc == 0; i++) {
			const git_index_entry *e = git_index_get_byindex(idx, i);

			if (GIT_INDEX_ENTRY_STAGE(e) == 0)
				rc = add(odb, e->path, e->mode, &e->id, f, out);
		}
	}
	git_index_free(idx);
	git_odb_free(odb);
	if (rc < 0)
		lfs_entries_dispose(out);
	return rc;
}

void lfs_entries_dispose(struct lfs_entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].path);
	free(e->v);
	memset(e, 0, sizeof(*e));
}
