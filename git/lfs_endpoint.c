/* Where the LFS server is, found as git-lfs finds it: lfs.url, then
 * remote.<name>.lfsurl, then the remote's URL + "/info/lfs" (".git/info/lfs"
 * when it does not end in .git), each after url.*.insteadOf; the keys git-lfs
 * trusts in .lfsconfig (the worktree's file, else the index's, else HEAD's) come
 * below the git configuration. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../net/url.h"
#include "gtransport.h"
#include "lfs_internal.h"

static const char *const safe_keys[] = {
	"lfs.allowincompletepush", "lfs.fetchexclude", "lfs.fetchinclude", "lfs.gitprotocol",
	"lfs.locksverify", "lfs.pushurl", "lfs.skipdownloaderrors", "lfs.url",
};

static bool key_is_safe(const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < sizeof(safe_keys) / sizeof(safe_keys[0]); i++)
		if (!strcmp(key, safe_keys[i]))
			return true;
	return (!strncmp(key, "remote.", 7) && n > 14 && !strcmp(key + n - 7, ".lfsurl")) ||
	       (!strncmp(key, "lfs.", 4) && n > 11 && !strcmp(key + n - 7, ".access"));
}

/* The last repository's .lfsconfig, keyed by its git dir and worktree (a
 * repository pointer can be reused by the next submodule opened). */
static git_config *lfsconfig;
static char *lfsconfig_key;
static pthread_mutex_t lfsconfig_mu = PTHREAD_MUTEX_INITIALIZER;

static int write_blob(git_repository *repo, const git_oid *id, char *path, size_t pathsz)
{
	git_blob *b = NULL;
	FILE *f;
	int fd, rc = -1;

	snprintf(path, pathsz, "%s/lfsconfig-XXXXXX", git_repository_path(repo));
	if (git_blob_lookup(&b, repo, id) < 0 || (fd = mkstemp(path)) < 0) {
		git_blob_free(b);
		return -1;
	}
	if ((f = fdopen(fd, "w"))) {
		size_t n = (size_t)git_blob_rawsize(b);

		rc = fwrite(git_blob_rawcontent(b), 1, n, f) == n ? 0 : -1;
		if (fclose(f) != 0)
			rc = -1;
	} else {
		close(fd);
	}
	git_blob_free(b);
	return rc;
}

static git_config *load_lfsconfig(git_repository *repo)
{
	const char *wd = git_repository_workdir(repo);
	char path[4096], tmp[4096] = "";
	git_config *c = NULL;
	git_index *idx = NULL;
	const git_index_entry *e;
	git_object *o = NULL;

	char *key = NULL;

	if (asprintf(&key, "%s\n%s", git_repository_path(repo), wd ? wd : "") < 0)
		return NULL;
	if (lfsconfig_key && !strcmp(lfsconfig_key, key)) {
		free(key);
		return lfsconfig;
	}
	git_config_free(lfsconfig);
	lfsconfig = NULL;
	free(lfsconfig_key);
	lfsconfig_key = key;
	if (wd && snprintf(path, sizeof(path), "%s.lfsconfig", wd) < (int)sizeof(path) &&
	    access(path, R_OK) == 0) {
		git_config_open_ondisk(&c, path);
	} else if (git_repository_index(&idx, repo) == 0 && (e = git_index_get_bypath(idx, ".lfsconfig", 0))) {
		if (write_blob(repo, &e->id, tmp, sizeof(tmp)) == 0)
			git_config_open_ondisk(&c, tmp);
	} else if (git_revparse_single(&o, repo, "HEAD:.lfsconfig") == 0 &&
		   git_object_type(o) == GIT_OBJECT_BLOB) {
		if (write_blob(repo, git_object_id(o), tmp, sizeof(tmp)) == 0)
			git_config_open_ondisk(&c, tmp);
	}
	if (c) { /* a snapshot, so that the temp file can go now */
		git_config *snap = NULL;

		if (git_config_snapshot(&snap, c) == 0) {
			git_config_free(c);
			c = snap;
		}
	}
	if (*tmp)
		unlink(tmp);
	git_object_free(o);
	git_index_free(idx);
	git_error_clear();
	lfsconfig = c;
	return c;
}

char *lfs_config_get(git_repository *repo, git_config *cfg, const char *key)
{
	git_buf v = { 0 };
	git_config *lc;
	char *s = NULL;

	if (git_config_get_string_buf(&v, cfg, key) == 0) {
		s = strdup(v.ptr);
	} else if (key_is_safe(key)) {
		pthread_mutex_lock(&lfsconfig_mu);
		if ((lc = load_lfsconfig(repo)) && git_config_get_string_buf(&v, lc, key) == 0)
			s = strdup(v.ptr);
		pthread_mutex_unlock(&lfsconfig_mu);
	}
	git_buf_dispose(&v);
	git_error_clear();
	return s;
}

int64_t lfs_config_int(git_repository *repo, git_config *cfg, const char *key, int64_t def)
{
	char *v = lfs_config_get(repo, cfg, key), *end;
	long long n;

	if (!v)
		return def;
	n = strtoll(v, &end, 10);
	if (end == v || *end)
		n = def;
	free(v);
	return n;
}

struct alias_walk {
	const char *url;
	size_t best;
	char *base;
};

/* url.<base>.insteadOf = <alias>: the longest alias that prefixes the URL wins */
static int alias_cb(const git_config_entry *e, void *payload)
{
	struct alias_walk *w = payload;
	size_t n = e->value ? strlen(e->value) : 0;
	const char *name = e->name + 4, *end = strrchr(e->name, '.');

	if (n == 0 || n < w->best || strncmp(w->url, e->value, n) || !end || end <= name)
		return 0;
	free(w->base);
	w->base = strndup(name, (size_t)(end - name));
	w->best = n;
	return w->base ? 0 : -1;
}

static char *rewrite(git_config *cfg, const char *url)
{
	struct alias_walk w = { url, 0, NULL };
	struct buf out = BUF_INIT;

	git_config_foreach_match(cfg, "^url\\..*\\.insteadof$", alias_cb, &w);
	git_error_clear();
	if (!w.base)
		return strdup(url);
	buf_printf(&out, "%s%s", w.base, url + w.best);
	free(w.base);
	return out.failed ? NULL : out.ptr;
}

/* ssh://[user@]host[:port]/path, user@host:path and git://host/path are served
 * over https by the same host, as git-lfs assumes without git-lfs-authenticate. */
static char *to_http(const char *raw, const char *proto)
{
	struct buf b = BUF_INIT;
	const char *rest, *slash, *at, *colon;

	if (!strncmp(raw, "https://", 8) || !strncmp(raw, "http://", 7))
		return strdup(raw);
	if ((rest = strstr(raw, "://"))) {
		if (strncmp(raw, "ssh://", 6) && strncmp(raw, "git+ssh://", 10) &&
		    strncmp(raw, "ssh+git://", 10) && strncmp(raw, "git://", 6))
			return NULL;
		rest += 3;
		slash = rest + strcspn(rest, "/");
		at = memchr(rest, '@', (size_t)(slash - rest));
		if (at)
			rest = at + 1;
		colon = memchr(rest, ':', (size_t)(slash - rest));
		if (!strncmp(raw, "git://", 6))
			colon = NULL; /* git:// keeps its port */
		buf_printf(&b, "%s://%.*s%s", proto, (int)((colon ? colon : slash) - rest), rest, slash);
	} else if (raw[0] != '/' && (colon = strchr(raw, ':')) && !memchr(raw, '/', (size_t)(colon - raw))) {
		at = memchr(raw, '@', (size_t)(colon - raw));
		rest = at ? at + 1 : raw;
		buf_printf(&b, "%s://%.*s/%s", proto, (int)(colon - rest), rest, colon[1] == '/' ? colon + 2 : colon + 1);
	} else {
		return NULL;
	}
	return b.failed ? NULL : b.ptr;
}

static int set_endpoint(struct lfs_endpoint *ep, git_repository *repo, git_config *cfg, const char *raw,
			bool clone_url)
{
	char *proto = lfs_config_get(repo, cfg, "lfs.gitprotocol");
	char *rw = rewrite(cfg, raw), *http = rw ? to_http(rw, proto ? proto : "https") : NULL;
	struct url u = { 0 };
	struct buf b = BUF_INIT;
	size_t n;
	int rc = 0;

	free(proto);
	if (!rw) {
		rc = err_set(CIH_ENOMEM, "out of memory");
	} else if (!http) {
		char *anon = gtransport_anonymize(rw);

		rc = err_set(CIH_EUSAGE, "Git LFS: unsupported endpoint %s: only http(s) and ssh-style "
			     "remotes are supported", anon ? anon : "");
		free(anon);
	} else if (url_parse(&u, http) < 0) {
		rc = err_prefix("LFS endpoint");
	} else {
		const char *path = strstr(http, "://") + 3;

		path += strcspn(path, "/?#");
		buf_printf(&b, "%s://", u.scheme);
		if (strchr(u.host, ':'))
			buf_printf(&b, "[%s]", u.host);
		else
			buf_puts(&b, u.host);
		if (u.explicit_port)
			buf_printf(&b, ":%s", u.port);
		buf_puts(&b, path);
		while (b.len > 0 && b.ptr[b.len - 1] == '/')
			b.ptr[--b.len] = '\0';
		if (clone_url) {
			n = b.len;
			buf_puts(&b, n >= 4 && !strcmp(b.ptr + n - 4, ".git") ? "/info/lfs" : ".git/info/lfs");
		}
		if (b.failed)
			rc = err_set(CIH_ENOMEM, "out of memory");
		ep->url = b.ptr;
		b.ptr = NULL;
		if (rc == 0 && u.user && !(ep->user = strdup(u.user)))
			rc = err_set(CIH_ENOMEM, "out of memory");
		if (rc == 0 && u.password && !(ep->pass = strdup(u.password)))
			rc = err_set(CIH_ENOMEM, "out of memory");
	}
	buf_dispose(&b);
	url_dispose(&u);
	free(rw);
	free(http);
	return rc;
}

/* git-lfs's choice: remote.lfsdefault, the current branch's remote, origin, the
 * only remote. */
static char *default_remote(git_repository *repo, git_config *cfg)
{
	git_reference *head = NULL;
	git_strarray names = { 0 };
	char *r = lfs_config_get(repo, cfg, "remote.lfsdefault");

	if (!r && git_repository_head(&head, repo) == 0 && git_reference_is_branch(head)) {
		struct buf k = BUF_INIT;

		buf_printf(&k, "branch.%s.remote", git_reference_shorthand(head));
		if (!k.failed)
			r = lfs_config_get(repo, cfg, k.ptr);
		buf_dispose(&k);
	}
	git_reference_free(head);
	if (!r && git_remote_list(&names, repo) == 0) {
		for (size_t i = 0; i < names.count && !r; i++)
			if (!strcmp(names.strings[i], "origin"))
				r = strdup("origin");
		if (!r && names.count == 1)
			r = strdup(names.strings[0]);
		git_strarray_dispose(&names);
	}
	git_error_clear();
	return r ? r : strdup("origin");
}

int lfs_endpoint_find(git_repository *repo, git_config *cfg, const char *remote, struct lfs_endpoint *ep)
{
	struct buf k = BUF_INIT;
	char *v;
	int rc;

	memset(ep, 0, sizeof(*ep));
	if ((v = lfs_config_get(repo, cfg, "lfs.url"))) {
		rc = set_endpoint(ep, repo, cfg, v, false);
		free(v);
		return rc;
	}
	if (remote && (strstr(remote, "://") || strchr(remote, ':'))) /* a URL given for the remote */
		return set_endpoint(ep, repo, cfg, remote, true);
	if (!(ep->remote = remote ? strdup(remote) : default_remote(repo, cfg)))
		return err_set(CIH_ENOMEM, "out of memory");
	buf_printf(&k, "remote.%s.lfsurl", ep->remote);
	if (!k.failed && (v = lfs_config_get(repo, cfg, k.ptr))) {
		rc = set_endpoint(ep, repo, cfg, v, false);
		free(v);
		buf_dispose(&k);
		return rc;
	}
	buf_clear(&k);
	buf_printf(&k, "remote.%s.url", ep->remote);
	v = k.failed ? NULL : lfs_config_get(repo, cfg, k.ptr);
	buf_dispose(&k);
	if (!v)
		return err_set(CIH_ENOTFOUND, "Git LFS: no endpoint: remote \"%s\" has no URL and lfs.url is not set",
			       ep->remote);
	rc = set_endpoint(ep, repo, cfg, v, true);
	free(v);
	return rc;
}

void lfs_endpoint_dispose(struct lfs_endpoint *ep)
{
	free(ep->url);
	free(ep->user);
	if (ep->pass)
		explicit_bzero(ep->pass, strlen(ep->pass));
	free(ep->pass);
	free(ep->remote);
	memset(ep, 0, sizeof(*ep));
}
