/* The "lfs" filter driver inside libgit2, so that our own checkout, clone, reset
 * and status-like comparisons smudge and clean LFS files as git does with
 * git-lfs installed: active when filter.lfs.smudge/process (to the worktree) or
 * filter.lfs.clean/process (to the object database) is configured; smudging is
 * skipped with GIT_LFS_SKIP_SMUDGE or a "--skip" driver. Streams: the content
 * never sits whole in memory. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/sys/filter.h>

#include "../helper/error.h"
#include "lfs_gitfilter.h"
#include "lfs_internal.h"

struct lstream {
	git_writestream base;
	git_writestream *next;
	git_repository *repo;
	bool to_worktree;
	char head[LFS_POINTER_MAX];
	size_t nhead;
	bool passthrough; /* smudge: more than a pointer came, so it is not one */
	struct lfs_cleaner clean; /* begun with the first byte to clean */
	bool cleaning;
	struct lfs_store store;
	bool store_open;
};

static bool skip_smudge(void)
{
	const char *v = getenv("GIT_LFS_SKIP_SMUDGE");

	return v && *v && strcmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no");
}

static int check(git_filter *self, void **payload, const git_filter_source *src, const char **attr_values)
{
	git_repository *repo = git_filter_source_repo(src);
	bool smudge = git_filter_source_mode(src) == GIT_FILTER_TO_WORKTREE;
	git_config *cfg = NULL;
	git_buf v = { 0 };
	bool active = false;

	(void)self;
	(void)payload;
	(void)attr_values;
	if (!repo || git_repository_config(&cfg, repo) < 0) {
		git_error_clear();
		return GIT_PASSTHROUGH;
	}
	if (git_config_get_string_buf(&v, cfg, "filter.lfs.process") == 0 ||
	    git_config_get_string_buf(&v, cfg, smudge ? "filter.lfs.smudge" : "filter.lfs.clean") == 0)
		active = !(smudge && strstr(v.ptr, "--skip"));
	git_buf_dispose(&v);
	git_config_free(cfg);
	git_error_clear();
	if (!active || (smudge && skip_smudge()))
		return GIT_PASSTHROUGH;
	return 0;
}

static int fail(const char *what)
{
	git_error_set_str(GIT_ERROR_FILTER, what);
	return -1;
}

static int open_store(struct lstream *s)
{
	git_config *cfg = NULL;
	int rc;

	if (s->store_open)
		return 0;
	if (git_repository_config(&cfg, s->repo) < 0)
		return -1;
	rc = lfs_store_open(&s->store, s->repo, cfg);
	git_config_free(cfg);
	if (rc < 0)
		return fail(err_last()->msg);
	s->store_open = true;
	return 0;
}

static int clean_write(struct lstream *s, const char *data, size_t len)
{
	if (!s->cleaning) {
		if (open_store(s) < 0)
			return -1;
		if (lfs_cleaner_begin(&s->clean, &s->store) < 0) {
			lfs_cleaner_dispose(&s->clean);
			return fail(err_last()->msg);
		}
		s->cleaning = true;
	}
	return lfs_cleaner_feed(&s->clean, data, len) < 0 ? fail(err_last()->msg) : 0;
}

static int stream_write(git_writestream *ws, const char *data, size_t len)
{
	struct lstream *s = (struct lstream *)ws;

	if (s->to_worktree && s->passthrough)
		return s->next->write(s->next, data, len);
	if (s->nhead < sizeof(s->head)) {
		size_t k = len < sizeof(s->head) - s->nhead ? len : sizeof(s->head) - s->nhead;

		memcpy(s->head + s->nhead, data, k);
		s->nhead += k;
		if (s->to_worktree) {
			if (k < len || s->nhead == sizeof(s->head)) { /* too big to be a pointer */
				s->passthrough = true;
				if (s->next->write(s->next, s->head, s->nhead) < 0)
					return -1;
				return k < len ? s->next->write(s->next, data + k, len - k) : 0;
			}
			return 0;
		}
	} else if (s->to_worktree) {
		return s->next->write(s->next, data, len);
	}
	return clean_write(s, data, len);
}

/* smudge: the object's bytes to next, downloaded first when not local */
static int smudge_emit(struct lstream *s)
{
	struct lfs_pointer p;
	git_config *cfg = NULL;
	char buf[65536], *path;
	int fd, rc = 0;
	ssize_t n;

	if (s->passthrough || !lfs_pointer_parse(s->head, s->nhead, &p) || p.size == 0 || p.next > 0) {
		if (!s->passthrough && s->nhead && s->next->write(s->next, s->head, s->nhead) < 0)
			return -1;
		return 0;
	}
	if (open_store(s) < 0)
		return -1;
	if (!lfs_store_has(&s->store, p.oid, p.size)) {
		struct lfs_client c;
		struct lfs_xfer_obj o = { 0 };
		struct lfs_xfer_stats st;

		if (git_repository_config(&cfg, s->repo) < 0)
			return -1;
		if ((rc = lfs_client_init(&c, s->repo, cfg, NULL)) == 0) {
			memcpy(o.w.oid, p.oid, sizeof(o.w.oid));
			o.w.size = p.size;
			rc = lfs_xfer_download(&c, &s->store, &o, 1, NULL, NULL, &st);
			if (rc < 0 && o.err_msg)
				err_set(rc, "Error downloading object (%.7s): %s", p.oid, o.err_msg);
			free(o.err_msg);
			lfs_client_dispose(&c);
		}
		git_config_free(cfg);
		if (rc < 0)
			return fail(err_last()->msg);
	}
	if (!(path = lfs_store_object_path(s->store.root, p.oid)))
		return fail("out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return fail("cannot open an LFS object");
	while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		rc = s->next->write(s->next, buf, (size_t)n);
	close(fd);
	if (rc == 0 && n < 0)
		return fail("cannot read an LFS object");
	return rc < 0 ? -1 : 0;
}

static int clean_emit(struct lstream *s)
{
	char text[LFS_POINTER_MAX + 64];
	int len = 0;

	/* nothing written: the empty file, whose pointer is nothing */
	if (s->cleaning && (len = lfs_cleaner_finish(&s->clean, text, sizeof(text))) < 0)
		return fail(err_last()->msg);
	if (len > 0 && s->next->write(s->next, text, (size_t)len) < 0)
		return -1;
	return 0;
}

/* next is closed exactly once, failure or not (libgit2 asserts its writer is
 * closed); our error is the one reported. */
static int stream_close(git_writestream *ws)
{
	struct lstream *s = (struct lstream *)ws;
	int rc = s->to_worktree ? smudge_emit(s) : clean_emit(s);
	char msg[ERR_MSG_MAX];

	if (rc == 0)
		return s->next->close(s->next);
	snprintf(msg, sizeof(msg), "%s", git_error_last() && git_error_last()->message ? git_error_last()->message
											: "LFS filter failed");
	s->next->close(s->next);
	git_error_set_str(GIT_ERROR_FILTER, msg);
	return -1;
}

static void stream_free(git_writestream *ws)
{
	struct lstream *s = (struct lstream *)ws;

	if (s->cleaning)
		lfs_cleaner_dispose(&s->clean);
	if (s->store_open)
		lfs_store_dispose(&s->store);
	free(s);
}

static int stream(git_writestream **out, git_filter *self, void **payload, const git_filter_source *src,
		  git_writestream *next)
{
	struct lstream *s = calloc(1, sizeof(*s));

	(void)self;
	(void)payload;
	if (!s)
		return fail("out of memory");
	s->base.write = stream_write;
	s->base.close = stream_close;
	s->base.free = stream_free;
	s->next = next;
	s->repo = git_filter_source_repo(src);
	s->to_worktree = git_filter_source_mode(src) == GIT_FILTER_TO_WORKTREE;
	*out = &s->base;
	return 0;
}

static git_filter lfs_filter = {
	.version = GIT_FILTER_VERSION,
	.attributes = "filter=lfs",
	.check = check,
	.stream = stream,
};

int lfs_gitfilter_register(void)
{
	if (git_filter_register("lfs", &lfs_filter, GIT_FILTER_DRIVER_PRIORITY) < 0)
		return err_set(CIH_EGIT, "cannot register the lfs filter: %s", git_error_last()->message);
	return 0;
}
