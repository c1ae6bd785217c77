/* Whether libgit2's checkout filters (crlf, ident) can change any file of a fresh
 * checkout. Loading the filter list costs two attribute lookups per file, each a
 * realpath() of the file's directory (one readlink per path component on musl):
 * about a third of a large checkout's time. When no attribute source names an
 * attribute those filters read and core.autocrlf does not convert, every file is
 * written as stored, so the checkout may skip the filters. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <git2/sys/errors.h>

#include "../helper/buf.h"
#include "gcheckout.h"

/* The attributes crlf and ident read (text, eol, crlf, ident), and "filter" for the
 * drivers a later libgit2 filter may serve. */
static const char *const keywords[] = { "text", "eol", "crlf", "ident", "filter" };

static bool is_keyword(const char *tok, size_t n)
{
	if (n && (*tok == '-' || *tok == '!'))
		tok++, n--;
	for (size_t i = 0; i < n; i++)
		if (tok[i] == '=')
			n = i;
	for (size_t k = 0; k < sizeof(keywords) / sizeof(*keywords); k++)
		if (strlen(keywords[k]) == n && !memcmp(tok, keywords[k], n))
			return true;
	return false;
}

/* Every whitespace-separated word of every line that is not a comment: patterns
 * too (a false alarm only keeps the filters), "[attr]" macro bodies included. */
static bool mentions_keyword(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t eol = i;

		while (eol < len && data[eol] != '\n')
			eol++;
		while (i < eol && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'))
			i++;
		if (i < eol && data[i] != '#') {
			while (i < eol) {
				size_t w = i;

				while (w < eol && data[w] != ' ' && data[w] != '\t' && data[w] != '\r')
					w++;
				if (is_keyword(data + i, w - i))
					return true;
				while (w < eol && (data[w] == ' ' || data[w] == '\t' || data[w] == '\r'))
					w++;
				i = w;
			}
		}
		i = eol + 1;
	}
	return false;
}

/* true when path is absent or names no keyword; false when it does or cannot be read */
static bool file_inert(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf data = BUF_INIT;
	char chunk[8192];
	size_t n;
	bool inert;

	if (!f)
		return errno == ENOENT || errno == ENOTDIR;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_put(&data, chunk, n) < 0)
			break;
	inert = !ferror(f) && feof(f) && !data.failed && !mentions_keyword(data.ptr ? data.ptr : "", data.len);
	fclose(f);
	buf_dispose(&data);
	return inert;
}

/* Each directory of a libgit2 search path (':'-separated) + "/" + name. */
static bool search_path_inert(int level, const char *name)
{
	git_buf paths = { 0 };
	bool inert = true;

	if (git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH, level, &paths) < 0)
		return false;
	for (const char *p = paths.ptr ? paths.ptr : ""; inert && *p;) {
		size_t n = strcspn(p, ":");
		struct buf path = BUF_INIT;

		if (n) {
			buf_printf(&path, "%.*s/%s", (int)n, p, name);
			inert = path.len && file_inert(buf_cstr(&path));
			buf_dispose(&path);
		}
		p += n + (p[n] == ':');
	}
	git_buf_dispose(&paths);
	return inert;
}

static bool config_inert(git_repository *repo)
{
	git_config *cfg = NULL;
	git_buf v = { 0 };
	bool inert = false;
	int b;

	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return false;
	/* autocrlf=true converts text files without any attribute; input does not on checkout */
	if (git_config_get_string_buf(&v, cfg, "core.autocrlf") == 0) {
		if (strcasecmp(v.ptr, "input") && (git_config_parse_bool(&b, v.ptr) < 0 || b))
			goto out;
	}
	git_buf_dispose(&v);
	if (git_config_get_path(&v, cfg, "core.attributesfile") == 0 && !file_inert(v.ptr))
		goto out;
	inert = true;
out:
	git_buf_dispose(&v);
	git_config_free(cfg);
	return inert;
}

static bool user_files_inert(git_repository *repo)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct buf p = BUF_INIT;
	bool inert;

	buf_printf(&p, "%s/info/attributes", git_repository_path(repo));
	inert = file_inert(buf_cstr(&p));
	if (inert && xdg && *xdg) {
		buf_clear(&p);
		buf_printf(&p, "%s/git/attributes", xdg);
		inert = file_inert(buf_cstr(&p));
	}
	if (inert && home && *home) {
		buf_clear(&p);
		buf_printf(&p, "%s/.config/git/attributes", home);
		inert = file_inert(buf_cstr(&p));
	}
	buf_dispose(&p);
	return inert && search_path_inert(GIT_CONFIG_LEVEL_XDG, "attributes") &&
	       search_path_inert(GIT_CONFIG_LEVEL_SYSTEM, "gitattributes");
}

/* Only the worktree's .git entry: nothing on disk can hold a .gitattributes. */
static bool worktree_empty(git_repository *repo)
{
	const char *wd = git_repository_workdir(repo);
	DIR *d = wd ? opendir(wd) : NULL;
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".git");
	closedir(d);
	return empty;
}

struct tree_scan {
	git_repository *repo;
	bool inert;
};

static int scan_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct tree_scan *s = payload;
	git_blob *blob = NULL;

	(void)root;
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || strcmp(git_tree_entry_name(entry), ".gitattributes"))
		return 0;
	if (git_blob_lookup(&blob, s->repo, git_tree_entry_id(entry)) < 0 ||
	    mentions_keyword(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)))
		s->inert = false;
	git_blob_free(blob);
	return s->inert ? 0 : -1;
}

bool gcheckout_filters_inert(git_repository *repo, git_tree *tree)
{
	git_index *index = NULL;
	struct tree_scan s = { repo, true };
	size_t entries = 1;

	if (git_repository_index(&index, repo) == 0)
		entries = git_index_entrycount(index);
	git_index_free(index);
	if (entries || !worktree_empty(repo) || !config_inert(repo) || !user_files_inert(repo))
		return false;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, scan_entry, &s) < 0)
		s.inert = false;
	git_error_clear();
	return s.inert;
}
