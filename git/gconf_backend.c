/* A read-only libgit2 config backend holding the command-line parameters (-c,
 * GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT and what they include). libgit2's own
 * in-memory backend (git_config_backend_from_string) hands out entries without
 * a reference on their list, so freeing one entry frees the whole list: any
 * libgit2 lookup on the live config (core.autocrlf during a checkout, say) of a
 * key given with -c crashed when the repository was freed. Every entry this
 * backend gives out is its own copy. */
#include "gconf_backend.h"

#include <stdlib.h>
#include <string.h>

#include <git2/sys/config.h>
#include <git2/sys/errors.h>

#include "../helper/error.h"

struct kv {
	char *key, *value;
};

struct params {
	git_config_backend parent;
	git_config_level_t level;
	struct kv *kv;
	size_t n, cap;
	/* what the iterators hand out (the library does not free those) */
	git_config_backend_entry *listed;
};

struct params_iter {
	git_config_iterator parent;
	struct params *b;
	size_t i;
};

static void entry_free(git_config_backend_entry *e)
{
	free((char *)e->entry.name);
	free((char *)e->entry.value);
	free(e);
}

static void fill_entry(git_config_entry *e, const struct kv *kv, git_config_level_t level)
{
	e->name = kv->key;
	e->value = kv->value;
	e->backend_type = "command line";
	e->origin_path = "";
	e->include_depth = 0;
	e->level = level;
}

static int readonly(void)
{
	git_error_set_str(GIT_ERROR_CONFIG, "this backend is read-only");
	return -1;
}

static int p_open(git_config_backend *cfg, git_config_level_t level, const git_repository *repo)
{
	struct params *b = (struct params *)cfg;

	(void)repo;
	b->level = level;
	return 0;
}

static int p_get(git_config_backend *cfg, const char *key, git_config_backend_entry **out)
{
	struct params *b = (struct params *)cfg;

	for (size_t i = b->n; i-- > 0;) {
		git_config_backend_entry *e;

		if (strcmp(b->kv[i].key, key))
			continue;
		if (!(e = calloc(1, sizeof(*e))))
			return -1;
		fill_entry(&e->entry, &b->kv[i], b->level);
		e->entry.name = strdup(b->kv[i].key);
		e->entry.value = b->kv[i].value ? strdup(b->kv[i].value) : NULL;
		e->free = entry_free;
		if (!e->entry.name || (b->kv[i].value && !e->entry.value)) {
			entry_free(e);
			return -1;
		}
		*out = e;
		return 0;
	}
	return GIT_ENOTFOUND;
}

static int p_set(git_config_backend *cfg, const char *key, const char *value)
{
	(void)cfg, (void)key, (void)value;
	return readonly();
}

static int p_set_multivar(git_config_backend *cfg, const char *name, const char *regexp, const char *value)
{
	(void)cfg, (void)name, (void)regexp, (void)value;
	return readonly();
}

static int p_del(git_config_backend *cfg, const char *key)
{
	(void)cfg, (void)key;
	return readonly();
}

static int p_del_multivar(git_config_backend *cfg, const char *key, const char *regexp)
{
	(void)cfg, (void)key, (void)regexp;
	return readonly();
}

static int iter_next(git_config_backend_entry **out, git_config_iterator *it)
{
	struct params_iter *pi = (struct params_iter *)it;

	if (pi->i >= pi->b->n)
		return GIT_ITEROVER;
	*out = &pi->b->listed[pi->i++];
	return 0;
}

static void iter_free(git_config_iterator *it)
{
	free(it);
}

static void listed_noop_free(git_config_backend_entry *e)
{
	(void)e;
}

static int p_iterator(git_config_iterator **out, git_config_backend *cfg)
{
	struct params *b = (struct params *)cfg;
	struct params_iter *it;

	if (!b->listed && b->n) {
		if (!(b->listed = calloc(b->n, sizeof(*b->listed))))
			return -1;
		for (size_t i = 0; i < b->n; i++) {
			fill_entry(&b->listed[i].entry, &b->kv[i], b->level);
			b->listed[i].free = listed_noop_free;
		}
	}
	if (!(it = calloc(1, sizeof(*it))))
		return -1;
	it->parent.backend = cfg;
	it->parent.next = iter_next;
	it->parent.free = iter_free;
	it->b = b;
	*out = &it->parent;
	return 0;
}

static int p_lock(git_config_backend *cfg)
{
	(void)cfg;
	return readonly();
}

static int p_unlock(git_config_backend *cfg, int success)
{
	(void)cfg, (void)success;
	return readonly();
}

static void p_free(git_config_backend *cfg)
{
	struct params *b = (struct params *)cfg;

	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->kv[i].key);
		free(b->kv[i].value);
	}
	free(b->kv);
	free(b->listed);
	free(b);
}

static int p_snapshot(git_config_backend **out, git_config_backend *cfg)
{
	struct params *src = (struct params *)cfg;
	git_config_backend *copy = NULL;

	if (gconf_backend_new(&copy) < 0)
		return -1;
	for (size_t i = 0; i < src->n; i++)
		if (gconf_backend_add(copy, src->kv[i].key, src->kv[i].value) < 0) {
			p_free(copy);
			return -1;
		}
	*out = copy;
	return 0;
}

int gconf_backend_new(git_config_backend **out)
{
	struct params *b = calloc(1, sizeof(*b));

	if (!b)
		return err_set(CIH_ENOMEM, "out of memory");
	b->parent.version = GIT_CONFIG_BACKEND_VERSION;
	b->parent.readonly = 1;
	b->parent.open = p_open;
	b->parent.get = p_get;
	b->parent.set = p_set;
	b->parent.set_multivar = p_set_multivar;
	b->parent.del = p_del;
	b->parent.del_multivar = p_del_multivar;
	b->parent.iterator = p_iterator;
	b->parent.snapshot = p_snapshot;
	b->parent.lock = p_lock;
	b->parent.unlock = p_unlock;
	b->parent.free = p_free;
	*out = &b->parent;
	return 0;
}

int gconf_backend_add(git_config_backend *cfg, const char *key, const char *value)
{
	struct params *b = (struct params *)cfg;
	struct kv kv = { strdup(key), value ? strdup(value) : NULL };

	if (!kv.key || (value && !kv.value) || b->listed)
		goto fail;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 8;
		struct kv *grown = realloc(b->kv, cap * sizeof(*grown));

		if (!grown)
			goto fail;
		b->kv = grown;
		b->cap = cap;
	}
	b->kv[b->n++] = kv;
	return 0;
fail:
	free(kv.key);
	free(kv.value);
	return err_set(CIH_ENOMEM, "out of memory");
}
