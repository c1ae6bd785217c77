#include "gfetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/errors.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gitcli.h"
#include "gpack.h"
#include "gtransport.h"

struct update {
	char *local;
	char *remote;
	git_oid old, new;
	bool followed; /* a tag followed automatically: git lists those last */
	bool early;    /* a followed tag git lists before the others (find_non_local_tags) */
	const char *kind; /* FETCH_HEAD only: "branch", "tag"... */
};

struct oid_set {
	git_oid *v;
	size_t n;
};

static bool oid_set_has(const struct oid_set *s, const git_oid *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (git_oid_equal(&s->v[i], id))
			return true;
	return false;
}

struct report {
	struct update *v;
	size_t n, cap;
	bool failed;
};

/* gtransport first: its callbacks take the payload as a struct gtransport */
struct fetch_ctx {
	struct gtransport t;
	struct report rep;
	git_repository *repo;
	const struct gfetch_opts *opts;
	struct oid_set had; /* advertised tag objects present before the download */
	bool progress;
};

static int on_update(const char *refname, const git_oid *a, const git_oid *b, git_refspec *spec, void *data)
{
	struct fetch_ctx *c = data;
	struct report *r = &c->rep;
	git_buf remote = GIT_BUF_INIT;
	struct update *u;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct update *v = realloc(r->v, cap * sizeof(*v));

		if (!v) {
			r->failed = true;
			return 0;
		}
		r->v = v;
		r->cap = cap;
	}
	u = &r->v[r->n];
	*u = (struct update){ 0 };
	if (spec && git_refspec_dst_matches(spec, refname) && git_refspec_rtransform(&remote, spec, refname) == 0)
		u->remote = strdup(remote.ptr);
	else
		u->remote = strdup(refname);
	git_buf_dispose(&remote);
	/* libgit2 reports a followed tag under the first refspec */
	u->followed = !spec || !git_refspec_dst_matches(spec, refname);
	u->local = strdup(refname);
	git_oid_cpy(&u->old, a);
	git_oid_cpy(&u->new, b);
	if (!u->local || !u->remote) {
		free(u->local);
		free(u->remote);
		r->failed = true;
		return 0;
	}
	r->n++;
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	struct fetch_ctx *c = payload;

	if (c->progress)
		fprintf(stderr, "remote: %.*s", len, str);
	return 0;
}

static const char *pretty(const char *ref)
{
	static const char *const prefixes[] = { "refs/heads/", "refs/tags/", "refs/remotes/" };

	for (size_t i = 0; i < 3; i++)
		if (!strncmp(ref, prefixes[i], strlen(prefixes[i])))
			return ref + strlen(prefixes[i]);
	return ref;
}

/* git's "From" line: the URL without user info, trailing slashes and ".git" */
static void print_from(const struct gtransport *t, bool *shown)
{
	size_t n = strlen(t->anon);

	if (*shown)
		return;
	while (n > 0 && t->anon[n - 1] == '/')
		n--;
	if (n > 4 && !strncmp(t->anon + n - 4, ".git", 4))
		n -= 4;
	fprintf(stderr, "From %.*s\n", (int)n, t->anon);
	*shown = true;
}

static void abbrev(char *out, const git_oid *id)
{
	git_oid_tostr(out, 8, id);
}

static void print_updates(struct fetch_ctx *c, int verbosity)
{
	struct report *r = &c->rep;
	int width = 10;
	bool shown = false;

	if (verbosity < 0)
		return;
	for (size_t i = 0; i < r->n; i++) {
		const struct update *u = &r->v[i];
		int rlen = (int)strlen(pretty(u->remote)), llen = (int)strlen(pretty(u->local));

		if (u->kind || git_oid_is_zero(&u->new) || (verbosity <= 0 && git_oid_equal(&u->old, &u->new)))
			continue;
		if (21 + rlen + 4 + llen < 80 && rlen > width)
			width = rlen;
	}
	/* git's find_non_local_tags: followed tags whose object is a fetched tip or was
	 * already here come first, the others after */
	for (size_t i = 0; i < r->n; i++) {
		struct update *u = &r->v[i];
		git_object *tag = NULL, *peeled = NULL;
		git_oid target;

		if (!u->followed)
			continue;
		git_oid_cpy(&target, &u->new);
		if (git_object_lookup(&tag, c->repo, &u->new, GIT_OBJECT_ANY) == 0 &&
		    git_object_peel(&peeled, tag, GIT_OBJECT_COMMIT) == 0)
			git_oid_cpy(&target, git_object_id(peeled));
		git_object_free(peeled);
		git_object_free(tag);
		u->early = oid_set_has(&c->had, &u->new);
		for (size_t k = 0; k < r->n && !u->early; k++)
			if (!r->v[k].followed && git_oid_equal(&r->v[k].new, &target))
				u->early = true;
	}
	/* pruned refs first, as git prunes before it stores; followed tags last */
	for (int pass = 0; pass < 4; pass++) {
		for (size_t i = 0; i < r->n; i++) {
			const struct update *u = &r->v[i];
			char a[8], b[8], summary[40], code = ' ';
			const char *why = NULL;

			if (pass == 0 && git_oid_is_zero(&u->new)) {
				print_from(&c->t, &shown);
				/* git prints these before it sizes the column */
				fprintf(stderr, " - %-17s %-*s -> %s\n", "[deleted]", 10, "(none)", pretty(u->local));
				continue;
			}
			if (pass == 0 || git_oid_is_zero(&u->new) || u->followed != (pass >= 2) ||
			    (pass == 2 && !u->early) || (pass == 3 && u->early))
				continue;
			if (u->kind) {
				code = '*';
				snprintf(summary, sizeof(summary), "%s", u->kind);
			} else if (git_oid_equal(&u->old, &u->new)) {
				if (verbosity <= 0)
					continue;
				code = '=';
				snprintf(summary, sizeof(summary), "[up to date]");
			} else if (git_oid_is_zero(&u->old)) {
				code = '*';
				snprintf(summary, sizeof(summary), "%s",
					 !strncmp(u->remote, "refs/tags/", 10) ? "[new tag]"
					 : !strncmp(u->remote, "refs/heads/", 11) ? "[new branch]" : "[new ref]");
			} else if (!strncmp(u->local, "refs/tags/", 10)) {
				code = 't';
				snprintf(summary, sizeof(summary), "[tag update]");
			} else {
				git_oid base;
				bool ff = git_merge_base(&base, c->repo, &u->old, &u->new) == 0 &&
					  git_oid_equal(&base, &u->old);

				abbrev(a, &u->old);
				abbrev(b, &u->new);
				code = ff ? ' ' : '+';
				snprintf(summary, sizeof(summary), "%s%s%s", a, ff ? ".." : "...", b);
				why = ff ? NULL : "forced update";
			}
			print_from(&c->t, &shown);
			fprintf(stderr, " %c %-17s %-*s -> %s%s%s%s\n", code, summary, width,
				u->kind ? u->remote : pretty(u->remote), pretty(u->local), why ? "  (" : "", why ? why : "", why ? ")" : "");
		}
	}
}

static bool is_hex_oid(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n == GIT_OID_SHA1_HEXSIZE && !s[n];
}

/* git's dwim rules for a refspec source that names a ref (remote.c ref_rev_parse_rules) */
static bool advertised(const git_remote_head **heads, size_t n, const char *src)
{
	static const char *const pre[] = { "", "refs/", "refs/tags/", "refs/heads/", "refs/remotes/",
					   "refs/remotes/" };
	size_t sl = strlen(src);

	for (size_t r = 0; r < sizeof(pre) / sizeof(pre[0]); r++) {
		const char *suffix = r == 5 ? "/HEAD" : "";
		size_t pl = strlen(pre[r]);

		for (size_t i = 0; i < n; i++) {
			const char *name = heads[i]->name;

			if (!strncmp(name, pre[r], pl) && !strncmp(name + pl, src, sl) &&
			    !strcmp(name + pl + sl, suffix))
				return true;
		}
	}
	return false;
}

static int check_refspecs(git_remote *remote, const struct gfetch_opts *o, bool *any_dst)
{
	const git_remote_head **heads = NULL;
	size_t nh = 0;

	if (git_remote_ls(&heads, &nh, remote) < 0)
		return gitcli_fatal_git("cannot list the remote's references");
	for (size_t i = 0; i < o->nrefspecs; i++) {
		git_refspec *rs = NULL;
		const char *src, *dst;

		if (git_refspec_parse(&rs, o->refspecs[i], 1) < 0)
			return gitcli_fatal("invalid refspec '%s'", o->refspecs[i]);
		src = git_refspec_src(rs);
		dst = git_refspec_dst(rs);
		if (dst && *dst)
			*any_dst = true;
		if (src && *src && !strchr(src, '*') && !is_hex_oid(src) && !advertised(heads, nh, src)) {
			int rc = gitcli_fatal("couldn't find remote ref %s", src);

			git_refspec_free(rs);
			return rc;
		}
		git_refspec_free(rs);
	}
	return 0;
}

static bool head_listed(const git_remote_head **heads, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, name))
			return true;
	return false;
}

static int prune_with(struct fetch_ctx *c, const git_remote_head **heads, size_t nh, git_refspec *spec)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc = 0;

	if (is_hex_oid(git_refspec_src(spec)) || !git_refspec_dst(spec) || !*git_refspec_dst(spec))
		return 0;
	if (git_reference_iterator_new(&it, c->repo) < 0)
		return -1;
	while (rc == 0 && git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref);
		git_buf src = GIT_BUF_INIT;

		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT && git_refspec_dst_matches(spec, name) &&
		    git_refspec_rtransform(&src, spec, name) == 0 && !head_listed(heads, nh, src.ptr)) {
			git_oid old;

			git_oid_cpy(&old, git_reference_target(ref));
			if ((rc = git_reference_delete(ref)) == 0)
				on_update(name, &old, &(git_oid){ 0 }, spec, c);
		}
		git_buf_dispose(&src);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return rc;
}

static int prune(struct fetch_ctx *c, git_remote *remote, const struct gfetch_opts *o)
{
	const git_remote_head **heads = NULL;
	size_t nh = 0, n = o->nrefspecs ? o->nrefspecs : git_remote_refspec_count(remote);
	int rc = 0;

	if (git_remote_ls(&heads, &nh, remote) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		git_refspec *spec = NULL;

		if (o->nrefspecs) {
			if ((rc = git_refspec_parse(&spec, o->refspecs[i], 1)) == 0) {
				rc = prune_with(c, heads, nh, spec);
				git_refspec_free(spec);
			}
		} else {
			const git_refspec *cs = git_remote_get_refspec(remote, i);

			if (git_refspec_direction(cs) == GIT_DIRECTION_FETCH)
				rc = prune_with(c, heads, nh, (git_refspec *)cs);
		}
	}
	return rc;
}

/* What only went to FETCH_HEAD (refspecs without a destination, or the remote's
 * HEAD when nothing is configured): git reports it as " * branch X -> FETCH_HEAD". */
static void note_one(struct fetch_ctx *c, const git_remote_head **heads, size_t nh, const char *src)
{
	static const char *const pre[] = { "", "refs/", "refs/tags/", "refs/heads/", "refs/remotes/" };
	const char *name = src, *what, *kind = "";
	char full[1100];
	struct update *u;

	if (!is_hex_oid(src) && strcmp(src, "HEAD")) {
		for (size_t r = 0; r < sizeof(pre) / sizeof(pre[0]); r++) {
			snprintf(full, sizeof(full), "%s%s", pre[r], src);
			if (head_listed(heads, nh, full)) {
				name = full;
				break;
			}
		}
	}
	what = name;
	if (!strcmp(name, "HEAD"))
		what = "";
	else if (!strncmp(name, "refs/heads/", 11))
		kind = "branch", what = name + 11;
	else if (!strncmp(name, "refs/tags/", 10))
		kind = "tag", what = name + 10;
	else if (!strncmp(name, "refs/remotes/", 13))
		kind = "remote-tracking branch", what = name + 13;
	if (on_update("FETCH_HEAD", &(git_oid){ { 0 } }, &(git_oid){ { 1 } }, NULL, c) < 0 || c->rep.failed)
		return;
	u = &c->rep.v[c->rep.n - 1];
	u->followed = false;
	u->kind = *kind ? kind : "branch";
	free(u->remote);
	if (!(u->remote = strdup(*what ? what : "HEAD")))
		c->rep.failed = true;
}

static void note_fetch_head_only(struct fetch_ctx *c, git_remote *remote, const struct gfetch_opts *o)
{
	const git_remote_head **heads = NULL;
	size_t nh = 0;

	if (git_remote_ls(&heads, &nh, remote) < 0)
		return;
	if (!o->nrefspecs) {
		if (git_remote_refspec_count(remote) == 0)
			note_one(c, heads, nh, "HEAD");
		return;
	}
	for (size_t i = 0; i < o->nrefspecs; i++) {
		git_refspec *spec = NULL;

		if (git_refspec_parse(&spec, o->refspecs[i], 1) == 0) {
			if (!git_refspec_dst(spec) || !*git_refspec_dst(spec))
				note_one(c, heads, nh, git_refspec_src(spec));
			git_refspec_free(spec);
		}
	}
}

static void note_present_tags(struct fetch_ctx *c, git_remote *remote)
{
	const git_remote_head **heads = NULL;
	git_odb *odb = NULL;
	size_t nh = 0;

	if (git_remote_ls(&heads, &nh, remote) < 0 || git_repository_odb(&odb, c->repo) < 0)
		return;
	for (size_t i = 0; i < nh; i++) {
		git_oid *v;

		if (strncmp(heads[i]->name, "refs/tags/", 10) || !git_odb_exists(odb, &heads[i]->oid))
			continue;
		if (!(v = realloc(c->had.v, (c->had.n + 1) * sizeof(*v))))
			break;
		c->had.v = v;
		git_oid_cpy(&v[c->had.n++], &heads[i]->oid);
	}
	git_odb_free(odb);
}

/* An upload-pack "ERR not our ref" after the wants reaches us from libgit2 only
 * as a protocol error; with object ids asked for, that is what it means. */
static bool refused_oid(const struct gfetch_opts *o)
{
	const git_error *e = git_error_last();

	if (!e || !e->message || (strcmp(e->message, "unexpected packet type") &&
				  strcmp(e->message, "could not read from remote repository")))
		return false;
	for (size_t i = 0; i < o->nrefspecs; i++) {
		git_refspec *spec = NULL;
		bool oid = false;

		if (git_refspec_parse(&spec, o->refspecs[i], 1) == 0) {
			oid = is_hex_oid(git_refspec_src(spec));
			if (oid)
				gitcli_fatal("remote error: upload-pack refused %s (not our ref, or not there)",
					     git_refspec_src(spec));
			git_refspec_free(spec);
		}
		if (oid)
			return true;
	}
	return false;
}

static bool looks_like_url(const char *s)
{
	return strstr(s, "://") || s[0] == '/' || s[0] == '.' || strchr(s, ':');
}

static void report_dispose(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].local);
		free(r->v[i].remote);
	}
	free(r->v);
}

int gfetch_run(git_repository *repo, struct gfetch_opts *o)
{
	struct fetch_ctx c = { .repo = repo, .opts = o, .progress = o->progress };
	const char *name = o->remote ? o->remote : "origin";
	git_fetch_options fo;
	git_remote_connect_options co;
	git_strarray specs = { (char **)o->refspecs, o->nrefspecs };
	git_remote *remote = NULL;
	git_config *cfg = NULL;
	bool any_dst = o->nrefspecs == 0, connected = false;
	struct buf msg = BUF_INIT;
	int rc = 128;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
	if (git_repository_config(&cfg, repo) < 0)
		return gitcli_fatal_git("cannot read the repository configuration");
	/* its writepack indexes what we download: git/gindex.h */
	if (gpack_attach(repo) < 0)
		return gitcli_fatal("%s", err_last()->msg);
	if (git_remote_lookup(&remote, repo, name) < 0) {
		if (!looks_like_url(name)) {
			fprintf(stderr, "fatal: '%s' does not appear to be a git repository\n"
					"fatal: Could not read from remote repository.\n\n"
					"Please make sure you have the correct access rights\n"
					"and the repository exists.\n", name);
			goto out;
		}
		if (git_remote_create_anonymous(&remote, repo, name) < 0) {
			rc = gitcli_fatal_git("invalid remote URL");
			goto out;
		}
	}
	if (!git_remote_url(remote)) {
		rc = gitcli_fatal("remote '%s' has no URL", name);
		goto out;
	}
	if (o->unshallow && !git_repository_is_shallow(repo)) {
		rc = gitcli_fatal("--unshallow on a complete repository does not make sense");
		goto out;
	}
	if (gtransport_init(&c.t, cfg, git_remote_url(remote)) < 0) {
		rc = gitcli_fatal("%s", err_last()->msg);
		goto out;
	}
	gtransport_apply(&c.t, &fo.callbacks, &fo.proxy_opts, &fo.custom_headers);
	fo.callbacks.update_refs = on_update;
	fo.callbacks.sideband_progress = on_sideband;
	fo.callbacks.payload = &c;
	fo.proxy_opts.payload = &c;
	fo.depth = o->unshallow ? GIT_FETCH_DEPTH_UNSHALLOW : o->depth;
	fo.update_fetchhead = !o->no_fetch_head;
	fo.follow_redirects = GIT_REMOTE_REDIRECT_INITIAL;
	co.callbacks = fo.callbacks;
	co.proxy_opts = fo.proxy_opts;
	co.custom_headers = fo.custom_headers;
	co.follow_redirects = fo.follow_redirects;
	if (git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co) < 0) {
		rc = gtransport_fatal(&c.t);
		goto out;
	}
	connected = true;
	if (o->connected && (rc = o->connected(remote, o, o->data)) != 0)
		goto out;
	rc = 128;
	specs.strings = (char **)o->refspecs;
	specs.count = o->nrefspecs;
	any_dst = o->nrefspecs == 0;
	if (o->nrefspecs && check_refspecs(remote, o, &any_dst) != 0)
		goto out;
	/* git follows tags only when a refspec stores something */
	fo.download_tags = o->tags == GFETCH_TAGS_NONE ? GIT_REMOTE_DOWNLOAD_TAGS_NONE
			 : o->tags == GFETCH_TAGS_ALL ? GIT_REMOTE_DOWNLOAD_TAGS_ALL
			 : any_dst ? GIT_REMOTE_DOWNLOAD_TAGS_UNSPECIFIED : GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	note_present_tags(&c, remote);
	if (git_remote_download(remote, o->nrefspecs ? &specs : NULL, &fo) < 0) {
		rc = refused_oid(o) ? 128 : gtransport_fatal(&c.t);
		goto out;
	}
	git_remote_disconnect(remote);
	connected = false;
	buf_printf(&msg, "fetch %s", name);
	/* git prunes before it stores, and never for a refspec naming an object id */
	if (((o->prune || git_remote_prune_refs(remote)) && prune(&c, remote, o) < 0) ||
	    git_remote_update_tips(remote, &fo.callbacks, fo.update_fetchhead, fo.download_tags,
				   msg.ptr) < 0) {
		rc = gitcli_fatal_git("cannot update the references");
		goto out;
	}
	note_fetch_head_only(&c, remote, o);
	if (c.rep.failed) {
		rc = gitcli_fatal("out of memory");
		goto out;
	}
	print_updates(&c, o->verbosity);
	gtransport_finish(&c.t, true);
	rc = 0;
out:
	if (rc)
		gtransport_finish(&c.t, false);
	if (connected)
		git_remote_disconnect(remote);
	buf_dispose(&msg);
	report_dispose(&c.rep);
	free(c.had.v);
	gtransport_dispose(&c.t);
	git_remote_free(remote);
	git_config_free(cfg);
	return rc;
}
