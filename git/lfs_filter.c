/* The filters git runs: smudge (pointer in, content out), clean (content in,
 * pointer out, the object kept in the store) and filter-process, git's
 * long-running filter protocol (gitattributes(5), pkt-lines, version 2). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../helper/fdio.h"
#include "gconf.h"
#include "gitcli.h"
#include "lfs.h"
#include "lfs_internal.h"

#define PKT_MAX 65516
#define EXIT_FAIL 2

int lfs_hash_fd(int fd, char oid[LFS_OID_HEX + 1], int64_t *size);
int lfs_hash_fd(int fd, char oid[LFS_OID_HEX + 1], int64_t *size)
{
	mbedtls_sha256_context c;
	unsigned char buf[65536], d[32];
	ssize_t n;

	*size = 0;
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts(&c, 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		mbedtls_sha256_update(&c, buf, (size_t)n);
		*size += n;
	}
	mbedtls_sha256_finish(&c, d);
	mbedtls_sha256_free(&c);
	if (n < 0)
		return err_os("read");
	lfs_oid_hex(d, oid);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	return fdio_write_all(fd, data, len) < 0 ? err_os("write") : 0;
}

/* ---- one filter session: the repository is opened once, the client when first needed ---- */

struct delayed {
	char *path;
	struct lfs_pointer p;
};

struct fsess {
	struct delayed *dl; /* smudges git let us delay: fetched together */
	size_t ndl;
	struct delayed *ready; /* named to git: asked again with empty content */
	size_t nready;
	git_repository *repo;
	git_config *cfg;
	struct lfs_store store;
	bool have_client;
	struct lfs_client client;
	bool skip;
};

static int sess_open(struct fsess *s, bool skip)
{
	const char *v = getenv("GIT_LFS_SKIP_SMUDGE");

	memset(s, 0, sizeof(*s));
	s->skip = skip || (v && *v && strcmp(v, "0") && strcasecmp(v, "false"));
	if (gitcli_libgit2() < 0 || gconf_repo_open(&s->repo, NULL) < 0 ||
	    git_repository_config(&s->cfg, s->repo) < 0 || lfs_store_open(&s->store, s->repo, s->cfg) < 0)
		return err_set(CIH_ENOTFOUND, "Not in a Git repository.");
	if (lfs_repo_version_check(s->repo) < 0)
		return CIH_EUSAGE;
	return 0;
}

static void sess_close(struct fsess *s)
{
	for (size_t i = 0; i < s->ndl; i++)
		free(s->dl[i].path);
	free(s->dl);
	for (size_t i = 0; i < s->nready; i++)
		free(s->ready[i].path);
	free(s->ready);
	if (s->have_client)
		lfs_client_dispose(&s->client);
	lfs_store_dispose(&s->store);
	git_config_free(s->cfg);
	git_repository_free(s->repo);
}

/* The object for p, downloaded when it is not local. */
static int ensure_object(struct fsess *s, const struct lfs_pointer *p, const char *path)
{
	struct lfs_xfer_obj o = { 0 };
	struct lfs_xfer_stats st;
	int rc;

	if (lfs_store_has(&s->store, p->oid, p->size))
		return 0;
	if (!s->have_client) {
		if ((rc = lfs_client_init(&s->client, s->repo, s->cfg, NULL)) < 0)
			return rc;
		s->have_client = true;
	}
	memcpy(o.w.oid, p->oid, sizeof(o.w.oid));
	o.w.size = p->size;
	rc = lfs_xfer_download(&s->client, &s->store, &o, 1, NULL, NULL, &st);
	if (rc < 0)
		rc = err_set(rc, "Error downloading object: %s (%.7s): %s", path ? path : "", p->oid,
			     o.err_msg ? o.err_msg : err_last()->msg);
	free(o.err_msg);
	return rc;
}

/* Smudges data (what git gave) to out: the content for a pointer, the bytes
 * unchanged otherwise (or when skipping). */
static int smudge(struct fsess *s, const char *data, size_t len, const char *path, int out)
{
	struct lfs_pointer p;
	char *obj;
	int fd, rc;
	char buf[65536];
	ssize_t n;

	if (s->skip || len >= LFS_POINTER_MAX || !lfs_pointer_parse(data, len, &p) || p.size == 0 || p.next > 0)
		return write_all(out, data, len);
	if ((rc = ensure_object(s, &p, path)) < 0)
		return rc;
	if (!(obj = lfs_store_object_path(s->store.root, p.oid)))
		return CIH_ENOMEM;
	fd = open(obj, O_RDONLY | O_CLOEXEC);
	free(obj);
	if (fd < 0)
		return err_os("cannot open LFS object %s", p.oid);
	while ((n = read(fd, buf, sizeof(buf))) > 0 && (rc = write_all(out, buf, (size_t)n)) == 0)
		;
	close(fd);
	return n < 0 ? err_os("read") : rc;
}

/* The cleaner's pointer to out (ok), or nothing; the cleaner is released. */
static int clean_end(struct lfs_cleaner *c, int out, bool ok)
{
	char text[LFS_POINTER_MAX + 64];
	int len = ok ? lfs_cleaner_finish(c, text, sizeof(text)) : CIH_ERR;

	lfs_cleaner_dispose(c);
	return len < 0 ? len : write_all(out, text, (size_t)len);
}

static int read_all_fd(int fd, struct buf *b, size_t max)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		buf_put(b, chunk, (size_t)n); /* kept either way: it goes out unchanged */
		if (b->len > max)
			return 1; /* too big to be a pointer */
	}
	return n < 0 ? err_os("read") : 0;
}

static const char *path_arg(int argc, char **argv, bool *skip)
{
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--skip") || !strcmp(argv[i], "-s"))
			*skip = true;
		else if (strcmp(argv[i], "--"))
			path = argv[i];
	}
	return path;
}

int lfs_cmd_smudge(int argc, char **argv)
{
	bool skip = false;
	const char *path = path_arg(argc, argv, &skip);
	struct buf in = BUF_INIT;
	struct fsess s;
	int r = read_all_fd(0, &in, LFS_POINTER_MAX), rc;

	if (r < 0)
		return fprintf(stderr, "%s\n", err_last()->msg), EXIT_FAIL;
	if (r == 1) { /* not a pointer: what was read, then the rest, unchanged */
		char chunk[65536];
		ssize_t n;

		if (write_all(1, in.ptr, in.len) < 0)
			return EXIT_FAIL;
		while ((n = read(0, chunk, sizeof(chunk))) > 0)
			if (write_all(1, chunk, (size_t)n) < 0)
				return EXIT_FAIL;
		buf_dispose(&in);
		return n < 0 ? EXIT_FAIL : 0;
	}
	if (sess_open(&s, skip) < 0) {
		fprintf(stderr, "%s\n", err_last()->msg);
		buf_dispose(&in);
		return EXIT_FAIL;
	}
	rc = smudge(&s, in.ptr ? in.ptr : "", in.len, path, 1);
	if (rc < 0)
		fprintf(stderr, "%s\n", err_last()->msg);
	sess_close(&s);
	buf_dispose(&in);
	return rc < 0 ? EXIT_FAIL : 0;
}

int lfs_cmd_clean(int argc, char **argv)
{
	bool skip = false;
	struct fsess s;
	struct lfs_cleaner c;
	char chunk[65536];
	ssize_t n = 0;
	int rc;

	path_arg(argc, argv, &skip);
	if (sess_open(&s, false) < 0 || lfs_cleaner_begin(&c, &s.store) < 0) {
		fprintf(stderr, "%s\n", err_last()->msg);
		return EXIT_FAIL;
	}
	rc = 0;
	while (rc == 0 && (n = read(0, chunk, sizeof(chunk))) > 0)
		rc = lfs_cleaner_feed(&c, chunk, (size_t)n);
	rc = clean_end(&c, 1, rc == 0 && n == 0);
	if (rc < 0)
		fprintf(stderr, "%s\n", err_last()->msg);
	sess_close(&s);
	return rc < 0 ? EXIT_FAIL : 0;
}

/* ---- pkt-line ---- */

static int read_full(int fd, void *data, size_t len)
{
	char *p = data;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 1 : err_os("read");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One packet into buf (NUL-terminated): its length, 0 for a flush, 1 at EOF
 * before a packet (*eof set), < 0 on error. */
static int pkt_read(int fd, char *buf, size_t *len, bool *eof)
{
	char h[5] = { 0 };
	unsigned n;
	int rc;

	*eof = false;
	if ((rc = read_full(fd, h, 4)) != 0) {
		*eof = rc == 1;
		return rc < 0 ? rc : 0;
	}
	if (sscanf(h, "%4x", &n) != 1 || (n > 0 && n < 4) || n > PKT_MAX + 4)
		return err_set(CIH_ECORRUPT, "filter-process: bad pkt-line header");
	*len = n ? n - 4 : 0;
	if (n == 0)
		return 0;
	if ((rc = read_full(fd, buf, *len)) != 0)
		return rc < 0 ? rc : err_set(CIH_ECORRUPT, "filter-process: truncated pkt-line");
	buf[*len] = '\0';
	return 1;
}

static int pkt_write(int fd, const void *data, size_t len)
{
	char h[5];

	snprintf(h, sizeof(h), "%04x", (unsigned)(len + 4));
	if (write_all(fd, h, 4) < 0)
		return CIH_EOS;
	return write_all(fd, data, len);
}

static int pkt_text(int fd, const char *s)
{
	static char line[PKT_MAX + 1];
	int n = snprintf(line, sizeof(line), "%s\n", s);

	if (n < 0 || (size_t)n > PKT_MAX)
		return err_set(CIH_ETOOBIG, "filter-process: a line longer than a packet");
	return pkt_write(fd, line, (size_t)n);
}

static int pkt_flush(int fd)
{
	return write_all(fd, "0000", 4);
}

/* Reads "key=value" lines until a flush; returns the count or < 0. */
static int pkt_lines(int fd, char lines[][PKT_MAX + 1], int max, bool *eof)
{
	static char buf[PKT_MAX + 1];
	size_t len;
	int n = 0, rc;

	while ((rc = pkt_read(fd, buf, &len, eof)) == 1) {
		if (len && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (n < max) {
			size_t k = len;

			memcpy(lines[n], buf, k);
			lines[n++][k] = '\0';
		}
	}
	return rc < 0 ? rc : (*eof ? -1 : n);
}

/* Packets of content until a flush, to a buffer (smudge: a pointer is small)
 * or to the cleaner. */
struct pkt_out {
	int fd;
	char buf[PKT_MAX];
	size_t len;
};

static int pout_write(struct pkt_out *o, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		size_t k = sizeof(o->buf) - o->len < len ? sizeof(o->buf) - o->len : len;

		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		len -= k;
		if (o->len == sizeof(o->buf)) {
			if (pkt_write(o->fd, o->buf, o->len) < 0)
				return CIH_EOS;
			o->len = 0;
		}
	}
	return 0;
}

/* The result sits in a temp file until it is complete, so that a failure can
 * still be answered with status=error; then it goes out as packets. */
static int send_file(int fd)
{
	struct pkt_out o = { .fd = 1 };
	char buf[65536];
	ssize_t n;
	int rc = 0;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return err_os("filter-process: temp file");
	while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		rc = pout_write(&o, buf, (size_t)n);
	if (rc == 0 && n < 0)
		rc = err_os("filter-process: temp file");
	if (rc == 0 && o.len)
		rc = pkt_write(1, o.buf, o.len);
	return rc;
}

/* A smudge whose object is not local, when git allows delaying it: answered
 * "delayed" now, fetched with the others at list_available_blobs. 1 when delayed. */
static int maybe_delay(struct fsess *s, const struct buf *in, const char *path)
{
	struct lfs_pointer p;
	struct delayed *v;

	if (s->skip || !path || in->len >= LFS_POINTER_MAX || !lfs_pointer_parse(in->ptr ? in->ptr : "", in->len, &p) ||
	    p.size == 0 || p.next > 0 || lfs_store_has(&s->store, p.oid, p.size))
		return 0;
	if (!(v = realloc(s->dl, (s->ndl + 1) * sizeof(*v))))
		return err_set(CIH_ENOMEM, "out of memory");
	s->dl = v;
	if (!(v[s->ndl].path = strdup(path)))
		return err_set(CIH_ENOMEM, "out of memory");
	v[s->ndl++].p = p;
	if (pkt_text(1, "status=delayed") < 0 || pkt_flush(1) < 0)
		return CIH_EOS;
	return 1;
}

/* Fetches every delayed object at once, then names their paths. */
static int list_available(struct fsess *s)
{
	struct lfs_xfer_obj *o = calloc(s->ndl ? s->ndl : 1, sizeof(*o));
	struct lfs_xfer_stats st;
	size_t n = 0;
	int rc = 0;

	if (!o)
		return err_set(CIH_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->ndl; i++) {
		bool dup = false;

		for (size_t j = 0; j < n && !dup; j++)
			dup = !strcmp(o[j].w.oid, s->dl[i].p.oid);
		if (!dup && !lfs_store_has(&s->store, s->dl[i].p.oid, s->dl[i].p.size)) {
			memcpy(o[n].w.oid, s->dl[i].p.oid, sizeof(o[n].w.oid));
			o[n++].w.size = s->dl[i].p.size;
		}
	}
	if (n > 0 && !s->have_client) {
		if (lfs_client_init(&s->client, s->repo, s->cfg, NULL) == 0)
			s->have_client = true;
	}
	/* failures are reported when git asks for those paths again (status=error) */
	if (n > 0 && s->have_client)
		lfs_xfer_download(&s->client, &s->store, o, n, NULL, NULL, &st);
	for (size_t i = 0; i < n; i++)
		free(o[i].err_msg);
	free(o);
	err_clear();
	for (size_t i = 0; i < s->ndl && rc == 0; i++) {
		static char line[PKT_MAX];

		snprintf(line, sizeof(line), "pathname=%s", s->dl[i].path);
		rc = pkt_text(1, line);
	}
	{
		struct delayed *v = realloc(s->ready, (s->nready + s->ndl + 1) * sizeof(*v));

		if (!v) {
			rc = err_set(CIH_ENOMEM, "out of memory");
		} else {
			s->ready = v;
			memcpy(v + s->nready, s->dl, s->ndl * sizeof(*v));
			s->nready += s->ndl;
			s->ndl = 0;
		}
	}
	if (rc == 0 && (pkt_flush(1) < 0 || pkt_text(1, "status=success") < 0 || pkt_flush(1) < 0))
		rc = CIH_EOS;
	return rc;
}

/* A temp file in the store's tmp/, already unlinked: fd or < 0. */
static int anon_tmp(struct fsess *s)
{
	char *tpath = NULL;
	int fd = lfs_store_tmpfile(&s->store, &tpath);

	if (fd >= 0)
		unlink(tpath);
	free(tpath);
	return fd;
}

static int handle(struct fsess *s, const char *cmd, const char *path, bool can_delay)
{
	static char buf[PKT_MAX + 1];
	bool is_clean = !strcmp(cmd, "clean"), eof, big = false;
	struct buf in = BUF_INIT;
	struct lfs_cleaner c;
	int rc = 0, r, tfd = -1;
	size_t len;

	if (is_clean && lfs_cleaner_begin(&c, &s->store) < 0)
		rc = CIH_EOS;
	while ((r = pkt_read(0, buf, &len, &eof)) == 1) {
		if (rc < 0)
			continue;
		if (is_clean) {
			rc = lfs_cleaner_feed(&c, buf, len);
		} else if (big) { /* not a pointer: straight through, never whole in memory */
			rc = fdio_write_all(tfd, buf, len) < 0 ? err_os("filter-process: temp file") : 0;
		} else if (buf_put(&in, buf, len) < 0) {
			rc = err_set(CIH_ENOMEM, "out of memory");
		} else if (in.len >= LFS_POINTER_MAX) {
			big = true;
			if ((tfd = anon_tmp(s)) < 0)
				rc = tfd;
			else if (fdio_write_all(tfd, in.ptr, in.len) < 0)
				rc = err_os("filter-process: temp file");
			buf_clear(&in);
		}
	}
	if (r < 0 || eof) {
		if (is_clean && c.tmp)
			clean_end(&c, -1, false);
		if (tfd >= 0)
			close(tfd);
		buf_dispose(&in);
		return r < 0 ? r : err_set(CIH_ECORRUPT, "filter-process: git went away mid-file");
	}
	if (!is_clean && rc == 0 && !big && in.len == 0 && path) {
		for (size_t i = 0; i < s->nready; i++) {
			if (strcmp(s->ready[i].path, path))
				continue;
			char text[LFS_POINTER_MAX + 64];
			int tl = lfs_pointer_format(&s->ready[i].p, text, sizeof(text));

			if (tl > 0)
				buf_put(&in, text, (size_t)tl);
			free(s->ready[i].path);
			s->ready[i] = s->ready[--s->nready];
			break;
		}
	}
	if (!is_clean && !big && can_delay && rc == 0 && (rc = maybe_delay(s, &in, path)) != 0) {
		buf_dispose(&in);
		return rc < 0 ? rc : 0;
	}
	if (tfd < 0 && (tfd = anon_tmp(s)) < 0) {
		if (is_clean && c.tmp)
			clean_end(&c, -1, false);
		buf_dispose(&in);
		return tfd;
	}
	if (is_clean)
		rc = c.tmp ? clean_end(&c, tfd, rc == 0) : rc;
	else if (rc == 0 && !big)
		rc = smudge(s, in.ptr ? in.ptr : "", in.len, path, tfd);
	buf_dispose(&in);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err_last()->msg);
		close(tfd);
		return pkt_text(1, "status=error") < 0 || pkt_flush(1) < 0 ? CIH_EOS : 0;
	}
	/* status, the content, then an empty list: the status stays success */
	if (pkt_text(1, "status=success") < 0 || pkt_flush(1) < 0 || send_file(tfd) < 0 || pkt_flush(1) < 0 ||
	    pkt_flush(1) < 0)
		rc = CIH_EOS;
	close(tfd);
	return rc;
}

int lfs_cmd_filter_process(int argc, char **argv)
{
	static char lines[16][PKT_MAX + 1];
	bool skip = false, eof;
	struct fsess s;
	int n, rc = 0;

	path_arg(argc, argv, &skip);
	if ((n = pkt_lines(0, lines, 16, &eof)) < 2 || strcmp(lines[0], "git-filter-client") ||
	    strcmp(lines[1], "version=2")) {
		fprintf(stderr, "error: filter-process: bad handshake from git\n");
		return EXIT_FAIL;
	}
	if (pkt_text(1, "git-filter-server") < 0 || pkt_text(1, "version=2") < 0 || pkt_flush(1) < 0)
		return EXIT_FAIL;
	if ((n = pkt_lines(0, lines, 16, &eof)) < 0)
		return EXIT_FAIL;
	for (int i = 0; i < n; i++)
		if (!strcmp(lines[i], "capability=clean") || !strcmp(lines[i], "capability=smudge") ||
		    !strcmp(lines[i], "capability=delay"))
			if (pkt_text(1, lines[i]) < 0)
				return EXIT_FAIL;
	if (pkt_flush(1) < 0)
		return EXIT_FAIL;
	if (sess_open(&s, skip) < 0) {
		fprintf(stderr, "%s\n", err_last()->msg);
		return EXIT_FAIL;
	}
	for (;;) {
		const char *cmd = NULL, *path = NULL;
		bool can_delay = false;

		if ((n = pkt_lines(0, lines, 16, &eof)) < 0) {
			rc = eof ? 0 : EXIT_FAIL; /* git closes the pipe when done */
			break;
		}
		for (int i = 0; i < n; i++) {
			if (!strncmp(lines[i], "command=", 8))
				cmd = lines[i] + 8;
			else if (!strncmp(lines[i], "pathname=", 9))
				path = lines[i] + 9;
			else if (!strcmp(lines[i], "can-delay=1"))
				can_delay = true;
		}
		if (cmd && !strcmp(cmd, "list_available_blobs")) {
			if (list_available(&s) < 0) {
				rc = EXIT_FAIL;
				break;
			}
			continue;
		}
		if (!cmd || (strcmp(cmd, "smudge") && strcmp(cmd, "clean"))) {
			fprintf(stderr, "error: filter-process: unknown command %s\n", cmd ? cmd : "(none)");
			rc = EXIT_FAIL;
			break;
		}
		if (handle(&s, cmd, path, can_delay) < 0) {
			fprintf(stderr, "%s\n", err_last()->msg);
			rc = EXIT_FAIL;
			break;
		}
	}
	sess_close(&s);
	return rc;
}
