/* git's urlmatch.c on libgit2's config: the per-URL config walk (normalisation and
 * matching are in gurl_norm.c). */
#include "gurl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/error.h"

struct best {
	char *key;
	struct gurl_match m;
};

struct walk_state {
	struct best *v;
	size_t n;
};

/* The best match so far for key; created zeroed (*fresh = 1) when none. */
static struct best *best_for(struct walk_state *s, const char *key, int *fresh)
{
	struct best *nv;

	*fresh = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return &s->v[i];
	if (!(nv = realloc(s->v, (s->n + 1) * sizeof(*nv))))
		return NULL;
	s->v = nv;
	if (!(nv[s->n].key = strdup(key)))
		return NULL;
	memset(&nv[s->n].m, 0, sizeof(nv[s->n].m));
	*fresh = 1;
	return &nv[s->n++];
}

static char *lower_dup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	for (char *p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* Whether the entry's name (section.[url.]key) applies; *key is set to its key. */
static int entry_applies(const char *name, const char *section, const struct gurl_info *target,
			 const struct gurl_walk *w, const char **key, struct gurl_match *m)
{
	size_t slen = strlen(section);
	const char *k, *dot;
	struct gurl_info pat;
	char *config_url;
	int rc;

	memset(m, 0, sizeof(*m));
	if (strncmp(name, section, slen) || name[slen] != '.')
		return 0;
	k = name + slen + 1;
	if (!(dot = strrchr(k, '.'))) {
		*key = k;
		return 1;
	}
	if (!(config_url = strndup(k, (size_t)(dot - k))))
		return err_set(CIH_ENOMEM, "out of memory");
	if (gurl_normalize(config_url, 1, &pat) == 0) {
		rc = gurl_match(target, &pat, m);
		gurl_info_dispose(&pat);
	} else {
		err_clear();
		rc = w->fallback ? w->fallback(config_url, w->payload) : 0;
	}
	free(config_url);
	*key = dot + 1;
	return rc;
}

int gurl_foreach(git_config *cfg, const char *url, const struct gurl_walk *w)
{
	struct walk_state st = { NULL, 0 };
	git_config_iterator *it = NULL;
	git_config_entry *e;
	struct gurl_info target;
	char *section = lower_dup(w->section), *want = lower_dup(w->key);
	int rc = 0, gr;

	if (!section || (w->key && !want)) {
		free(section);
		free(want);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	/* a target that does not normalise matches no URL entry (as in git) */
	if (gurl_normalize(url ? url : "", 0, &target) < 0) {
		err_clear();
		memset(&target, 0, sizeof(target));
	}
	if (git_config_iterator_new(&it, cfg) < 0) {
		rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
		goto out;
	}
	while ((gr = git_config_next(&e, it)) == 0) {
		struct gurl_match m;
		struct best *b;
		const char *key = NULL;
		int fresh;

		if ((rc = entry_applies(e->name, section, &target, w, &key, &m)) <= 0) {
			if (rc < 0)
				goto out;
			continue;
		}
		rc = 0;
		if (want && strcmp(key, want))
			continue;
		if (!(b = best_for(&st, key, &fresh))) {
			rc = err_set(CIH_ENOMEM, "out of memory");
			goto out;
		}
		/* a match less specific than the best so far is not used */
		if (!fresh && !w->select_all && gurl_match_cmp(&m, &b->m) < 0)
			continue;
		b->m = m;
		if ((rc = w->collect(key, e->value, w->payload)) < 0)
			goto out;
	}
	if (gr != GIT_ITEROVER)
		rc = err_set(CIH_EGIT, "%s", git_error_last()->message);
out:
	git_config_iterator_free(it);
	for (size_t i = 0; i < st.n; i++)
		free(st.v[i].key);
	free(st.v);
	gurl_info_dispose(&target);
	free(section);
	free(want);
	return rc;
}

struct one {
	char *value;
	int found;
};

static int collect_one(const char *key, const char *value, void *payload)
{
	struct one *o = payload;
	char *v = NULL;

	(void)key;
	if (value && !(v = strdup(value)))
		return err_set(CIH_ENOMEM, "out of memory");
	free(o->value);
	o->value = v;
	o->found = 1;
	return 0;
}

int gurl_get(git_config *cfg, const char *section, const char *key, const char *url, char **out)
{
	struct one o = { NULL, 0 };
	struct gurl_walk w = { section, key, 0, NULL, collect_one, &o };
	int rc;

	*out = NULL;
	if ((rc = gurl_foreach(cfg, url, &w)) < 0) {
		free(o.value);
		return rc;
	}
	if (!o.found)
		return err_set(CIH_ENOTFOUND, "%s.%s is not set", section, key);
	*out = o.value;
	return 0;
}

struct many {
	struct gurl_values *vals;
	const char *section;
};

static int collect_many(const char *key, const char *value, void *payload)
{
	struct many *m = payload;
	struct gurl_values *v = m->vals;
	char **nv;

	if (!value)
		return err_set(CIH_EUSAGE, "missing value for '%s.%s'", m->section, key);
	if (!*value) {
		gurl_values_dispose(v);
		return 0;
	}
	if (!(nv = realloc(v->v, (v->n + 1) * sizeof(*nv))))
		return err_set(CIH_ENOMEM, "out of memory");
	v->v = nv;
	if (!(nv[v->n] = strdup(value)))
		return err_set(CIH_ENOMEM, "out of memory");
	v->n++;
	return 0;
}

int gurl_get_all(git_config *cfg, const char *section, const char *key, const char *url,
		 struct gurl_values *out)
{
	struct many m = { out, section };
	struct gurl_walk w = { section, key, 0, NULL, collect_many, &m };
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = gurl_foreach(cfg, url, &w)) < 0)
		gurl_values_dispose(out);
	return rc;
}

void gurl_values_dispose(struct gurl_values *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}
