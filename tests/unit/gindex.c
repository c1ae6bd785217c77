/* The pack indexer of fetches (git/gindex.h): packs written by Debian's git are fed
 * in chunks of many sizes, on one thread and on several, and must give the very
 * .idx that `git index-pack` writes; thin packs are completed from the repository;
 * damaged, lying or cancelled streams fail with a message and leave nothing in
 * the pack directory. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <mbedtls/sha1.h>
#include <zlib.h>

#include "../../git/gindex.h"
#include "unit.h"

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d;
	long len;

	CHECK(f != NULL);
	CHECK(fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0);
	rewind(f);
	CHECK((d = malloc((size_t)len + 1)) != NULL);
	CHECK(fread(d, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return d;
}

struct feed {
	size_t chunk;
	unsigned threads;
	int cancel_at; /* the progress call that cancels (0: none) */
	int calls;
	git_indexer_progress stats;
	char msg[1024];
};

static int on_progress(const git_indexer_progress *stats, void *payload)
{
	struct feed *f = payload;

	(void)stats;
	return ++f->calls == f->cancel_at ? -42 : 0;
}

/* Feeds pack (n bytes) to a writepack for repo_dir: what append or commit
 * returned, libgit2's message in f->msg. */
static int feed(const char *repo_dir, const unsigned char *pack, size_t n, struct feed *f)
{
	git_odb_backend be = { 0 };
	git_odb_writepack *w = NULL;
	git_repository *repo;
	char dir[512];
	git_odb *odb;
	int rc = 0;

	memset(&f->stats, 0, sizeof(f->stats));
	f->msg[0] = 0;
	snprintf(dir, sizeof(dir), "%s/objects/pack", repo_dir);
	CHECK(git_repository_open(&repo, repo_dir) == 0);
	CHECK(git_repository_odb(&odb, repo) == 0);
	CHECK_OK(gindex_new(&w, &be, odb, dir, f->threads, on_progress, f));
	for (size_t off = 0; off < n && rc == 0; off += f->chunk)
		rc = w->append(w, pack + off, n - off < f->chunk ? n - off : f->chunk, &f->stats);
	if (rc == 0)
		rc = w->commit(w, &f->stats);
	if (rc && git_error_last())
		snprintf(f->msg, sizeof(f->msg), "%s", git_error_last()->message);
	w->free(w);
	git_odb_free(odb);
	git_repository_free(repo);
	return rc;
}

/* The names in the pack directory, space-separated and sorted by ls. */
static const char *pack_dir(const char *repo_dir)
{
	static char out[4096];
	char cmd[600];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls %s/objects/pack | tr '\\n' ' '", repo_dir);
	CHECK((p = popen(cmd, "r")) != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	pclose(p);
	return out;
}

/* Versions of a few files, blobs big and small, trees and annotated tags. */
static void make_repo(const char *dir, int commits)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd),
		 "set -e; git init -q %s; cd %s; git config user.name i; git config user.email i@e; mkdir s; "
		 "for i in $(seq 1 %d); do "
		 "  seq $i $((3000 + i * 5)) | sed \"s/^$((i * 2))\\$/edit $i/\" > big.txt; "
		 "  (seq 1 90; echo r$i; seq 91 200) > s/mid.txt; "
		 "  head -c $((i * 101)) /dev/zero | tr '\\0' y > s/grows.bin; echo $i > n.txt; "
		 "  git add -A; git commit -q -m \"c $i\"; "
		 "  [ $((i %% 7)) = 0 ] && git tag -a -m \"t $i\" t$i || true; "
		 "done",
		 dir, dir, commits);
	sh(cmd);
}

/* A pack of everything in src (git repack) as whole.pack, and its .idx by git
 * index-pack as whole.idx. */
static unsigned char *git_pack(const char *src, const char *config, size_t *n)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; git %s repack -adfq; cp .git/objects/pack/pack-*.pack ../whole.pack; cd ..;"
		 "rm -f whole.idx; git index-pack -o whole.idx whole.pack > /dev/null",
		 src, config);
	sh(cmd);
	return slurp("whole.pack", n);
}

static void check_same_idx(const char *repo_dir, const char *git_idx)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "set -e; cd %s/objects/pack; ls pack-*.idx >/dev/null; cmp pack-*.idx ../../../%s; "
		 "git verify-pack pack-*.idx >/dev/null; ! ls tmp_* 2>/dev/null",
		 repo_dir, git_idx);
	sh(cmd);
}

static void round_trip(const char *gitconfig)
{
	static const size_t chunks[] = { 1, 7, 1000, 65536, 1 << 22 };
	static const unsigned threads[] = { 1, 3 };
	struct feed f = { 0 };
	unsigned char *pack;
	size_t n;

	git_libgit2_init();
	make_repo("src", 60);
	pack = git_pack("src", gitconfig, &n);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(*chunks); c++) {
		for (size_t t = 0; t < 2; t++) {
			if (chunks[c] == 1 && threads[t] == 3)
				continue; /* byte by byte is slow: once is enough */
			sh("rm -rf dst; git init -q --bare dst");
			f.chunk = chunks[c];
			f.threads = threads[t];
			if (feed("dst", pack, n, &f) != 0)
				unit_fail(__FILE__, __LINE__, "chunk %zu, %u threads: %s", chunks[c], threads[t], f.msg);
			check_same_idx("dst", "whole.idx");
			CHECK(f.stats.total_objects > 200 && f.stats.received_objects == f.stats.total_objects);
			CHECK(f.stats.indexed_objects == f.stats.total_objects && f.stats.total_deltas > 50);
			CHECK(f.stats.indexed_deltas == f.stats.total_deltas && f.stats.received_bytes == n);
			CHECK(f.stats.local_objects == 0);
		}
	}
	/* and libgit2 (and git) can read it all: every ref's history */
	sh("git -C src for-each-ref --format='update %(refname) %(objectname)' | git -C dst update-ref --stdin;"
	   "git -C dst fsck --strict --no-dangling 2>&1 | grep -v '^Checking\\|^notice' | (! grep .)");
	free(pack);
	git_libgit2_shutdown();
}

TEST(gindex_ofs_delta_pack_gives_git_idx)
{
	round_trip("");
}

TEST(gindex_ref_delta_pack_gives_git_idx)
{
	round_trip("-c repack.useDeltaBaseOffset=false -c pack.useDeltaBaseOffset=false");
	/* REF_DELTA only, or this test proves nothing about them */
	sh("git verify-pack -v whole.idx | awk '$2 ~ /blob|tree/ && NF == 7' | grep -q . &&"
	   " ! git verify-pack -v whole.idx | grep -q OFS");
}

/* A pack of `tip ^base` whose deltas use bases the receiver has. */
TEST(gindex_thin_pack_is_completed)
{
	struct feed f = { .chunk = 4096, .threads = 2 };
	unsigned char *pack;
	size_t n;

	git_libgit2_init();
	make_repo("src", 40);
	sh("set -e; git init -q --bare have;"
	   "echo HEAD~10 | git -C src pack-objects --revs --stdout -q > old.pack;"
	   "git -C have index-pack --stdin < old.pack > /dev/null;"
	   "printf 'HEAD\\n^HEAD~10\\n' | git -C src pack-objects --revs --thin --stdout -q > thin.pack;"
	   /* it really leans on the old objects: git takes it only with --fix-thin */
	   "! git -C have index-pack --stdin < thin.pack > /dev/null 2>&1; rm -f have/objects/pack/tmp_*");
	pack = slurp("thin.pack", &n);
	if (feed("have", pack, n, &f) != 0)
		unit_fail(__FILE__, __LINE__, "thin pack refused: %s", f.msg);
	CHECK(f.stats.local_objects > 0);
	sh("set -e; cd have; git update-ref refs/heads/new $(git -C ../src rev-parse HEAD);"
	   "git fsck --strict --no-dangling 2>&1 | grep -v '^Checking\\|^notice' | (! grep .);"
	   "for i in objects/pack/pack-*.idx; do git verify-pack $i; done > /dev/null;"
	   "test \"$(git rev-list --objects new | wc -l)\" = \"$(git -C ../src rev-list --objects HEAD | wc -l)\"");
	free(pack);
	git_libgit2_shutdown();
}

TEST(gindex_thin_pack_without_its_bases_fails)
{
	struct feed f = { .chunk = 65536, .threads = 2 };
	unsigned char *pack;
	size_t n;

	git_libgit2_init();
	make_repo("src", 30);
	sh("git init -q --bare empty; printf 'HEAD\\n^HEAD~5\\n' | git -C src pack-objects --revs --thin --stdout -q > thin.pack");
	pack = slurp("thin.pack", &n);
	CHECK(feed("empty", pack, n, &f) < 0);
	if (!strstr(f.msg, "is neither in the pack nor in the repository"))
		unit_fail(__FILE__, __LINE__, "message: %s", f.msg);
	CHECK_STR(pack_dir("empty"), "");
	free(pack);
	git_libgit2_shutdown();
}

static void sha1(const unsigned char *p, size_t n, unsigned char out[20])
{
	CHECK(mbedtls_sha1(p, n, out) == 0);
}

/* Damaged copies of a good pack: each one an error, nothing left behind. */
TEST(gindex_damaged_streams_fail_cleanly)
{
	struct {
		const char *what, *msg;
	} cases[] = {
		{ "cut", "truncated or corrupt" },
		{ "cut-trailer", "checksum is missing" },
		{ "flip", "" },
		{ "trailer", "checksum mismatch" },
		{ "extra", "unexpected data after the last object" },
		{ "magic", "not a pack" },
		{ "version", "version 4 is not supported" },
		{ "count", "" },
	};
	unsigned char *pack, *bad;
	size_t n, m;

	git_libgit2_init();
	make_repo("src", 20);
	pack = git_pack("src", "", &n);
	CHECK((bad = malloc(n + 100)) != NULL);
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		const char *w = cases[c].what;
		struct feed f = { .chunk = 3000, .threads = 2 };

		memcpy(bad, pack, n);
		m = n;
		if (!strcmp(w, "cut"))
			m = n / 2;
		else if (!strcmp(w, "cut-trailer"))
			m = n - 7;
		else if (!strcmp(w, "flip"))
			bad[n / 3] ^= 0x5a;
		else if (!strcmp(w, "trailer"))
			bad[n - 1] ^= 1;
		else if (!strcmp(w, "extra"))
			memset(bad + n, 0, 100), m = n + 100;
		else if (!strcmp(w, "magic"))
			bad[0] = 'J';
		else if (!strcmp(w, "version"))
			bad[7] = 4;
		else if (!strcmp(w, "count"))
			bad[11] += 3, sha1(bad, n - 20, bad + n - 20);
		sh("rm -rf dst; git init -q --bare dst");
		if (feed("dst", bad, m, &f) == 0)
			unit_fail(__FILE__, __LINE__, "%s: accepted", w);
		if (!*f.msg || !strstr(f.msg, cases[c].msg))
			unit_fail(__FILE__, __LINE__, "%s: message \"%s\" lacks \"%s\"", w, f.msg, cases[c].msg);
		CHECK_STR(pack_dir("dst"), "");
	}
	free(bad);
	free(pack);
	git_libgit2_shutdown();
}

static size_t put_obj(unsigned char *p, int type, size_t size)
{
	size_t n = 0;
	unsigned char c = (unsigned char)(type << 4 | (size & 15));

	for (size >>= 4; size; size >>= 7) {
		p[n++] = c | 0x80;
		c = size & 0x7f;
	}
	p[n++] = c;
	return n;
}

/* A pack of hand-made objects: header, the objects, a correct trailer. */
struct handmade {
	unsigned char b[4096];
	size_t n;
	uint32_t count;
};

static void hm_start(struct handmade *h)
{
	memcpy(h->b, "PACK\0\0\0\2\0\0\0\0", 12);
	h->n = 12;
	h->count = 0;
}

/* An object whose header says size but whose zlib stream holds data. */
static void hm_obj(struct handmade *h, int type, size_t size, const unsigned char *pre, size_t pre_len,
		   const void *data, size_t len)
{
	uLongf zn = sizeof(h->b) - h->n - 64;

	h->n += put_obj(h->b + h->n, type, size);
	memcpy(h->b + h->n, pre, pre_len);
	h->n += pre_len;
	CHECK(compress(h->b + h->n, &zn, data, len) == Z_OK);
	h->n += zn;
	h->count++;
}

static void hm_end(struct handmade *h)
{
	h->b[8] = (unsigned char)(h->count >> 24), h->b[9] = (unsigned char)(h->count >> 16);
	h->b[10] = (unsigned char)(h->count >> 8), h->b[11] = (unsigned char)h->count;
	sha1(h->b, h->n, h->b + h->n);
	h->n += 20;
}

TEST(gindex_lying_and_cyclic_packs_fail_cleanly)
{
	const unsigned char delta[] = { 1, 1, 0x90, 1 }, ofs_far = 5;
	unsigned char id1[20], id2[20];
	struct feed f = { .chunk = 100, .threads = 2 };
	struct handmade h;

	git_libgit2_init();
	sh("git init -q --bare dst");
	/* a blob that claims a terabyte: no terabyte is allocated, the stream ends short */
	hm_start(&h);
	hm_obj(&h, 3, (size_t)1 << 40, NULL, 0, "hello", 5);
	hm_end(&h);
	CHECK(feed("dst", h.b, h.n, &f) < 0 && strstr(f.msg, "object 1 of 1 at offset 12 is truncated or corrupt"));
	/* a size that disagrees with the stream */
	hm_start(&h);
	hm_obj(&h, 3, 4, NULL, 0, "hello", 5);
	hm_end(&h);
	CHECK(feed("dst", h.b, h.n, &f) < 0 && strstr(f.msg, "truncated or corrupt"));
	/* two REF_DELTAs, each on the other */
	memset(id1, 0x11, 20);
	memset(id2, 0x22, 20);
	hm_start(&h);
	hm_obj(&h, 7, sizeof(delta), id2, 20, delta, sizeof(delta));
	hm_obj(&h, 7, sizeof(delta), id1, 20, delta, sizeof(delta));
	hm_end(&h);
	CHECK(feed("dst", h.b, h.n, &f) < 0 && strstr(f.msg, "neither in the pack nor in the repository"));
	/* an OFS_DELTA whose base offset lands inside another object */
	hm_start(&h);
	hm_obj(&h, 3, 1, NULL, 0, "a", 1);
	hm_obj(&h, 6, sizeof(delta), &ofs_far, 1, delta, sizeof(delta));
	hm_end(&h);
	CHECK(feed("dst", h.b, h.n, &f) < 0 && strstr(f.msg, "is not an object"));
	/* a delta that does not fit its base */
	hm_start(&h);
	hm_obj(&h, 3, 2, NULL, 0, "ab", 2);
	/* the OFS distance back to the blob */
	hm_obj(&h, 6, sizeof(delta), (const unsigned char[]){ (unsigned char)(h.n - 12) }, 1, delta, sizeof(delta));
	hm_end(&h);
	CHECK(feed("dst", h.b, h.n, &f) < 0 && strstr(f.msg, "source size 1, base has 2 bytes"));
	CHECK_STR(pack_dir("dst"), "");
	/* no objects: nothing written, no error */
	hm_start(&h);
	hm_end(&h);
	CHECK_INT(feed("dst", h.b, h.n, &f), 0);
	CHECK_STR(pack_dir("dst"), "");
	git_libgit2_shutdown();
}

TEST(gindex_progress_callback_cancels)
{
	struct feed f = { .chunk = 500, .threads = 2, .cancel_at = 3 };
	unsigned char *pack;
	size_t n;

	git_libgit2_init();
	make_repo("src", 10);
	pack = git_pack("src", "", &n);
	sh("git init -q --bare dst");
	CHECK_INT(feed("dst", pack, n, &f), -42);
	CHECK_INT(f.calls, 3);
	CHECK_STR(pack_dir("dst"), "");
	free(pack);
	git_libgit2_shutdown();
}
