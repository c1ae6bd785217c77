/* The gpack ODB backend: git's delta format (hand-made deltas, malformed ones
 * refused), every object of packs that Debian's git wrote (OFS_DELTA and REF_DELTA
 * chains) read back and hashed, new packs found on refresh, and damaged packs
 * (cut short, bytes flipped, a REF_DELTA cycle) giving errors rather than crashes. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <zlib.h>

#include "../../git/gpack.h"
#include "../../git/gpack_int.h"
#include "unit.h"

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

/* Applies delta (dlen bytes) to base; the result as a string, or "ERR <message>". */
static const char *apply(const char *base, const unsigned char *delta, size_t dlen)
{
	static char out[1100];
	unsigned char *r = NULL;
	size_t n = 0;

	if (gpack_delta_apply((const unsigned char *)base, strlen(base), delta, dlen, &r, &n) < 0) {
		CHECK(r == NULL);
		snprintf(out, sizeof(out), "ERR %s", err_last()->msg);
	} else {
		CHECK(r[n] == '\0');
		snprintf(out, sizeof(out), "%.*s", (int)n, (const char *)r);
	}
	free(r);
	return out;
}

#define APPLY(base, ...) apply(base, (const unsigned char[]){ __VA_ARGS__ }, \
			       sizeof((const unsigned char[]){ __VA_ARGS__ }))

TEST(gpack_delta_copy_insert)
{
	/* "say " inserted, then "hello" (offset 0, size 5) and "world" (offset 6, size 5) copied */
	CHECK_STR(APPLY("hello world", 11, 14, 4, 's', 'a', 'y', ' ', 0x90, 5, 0x91, 6, 5),
		  "say helloworld");
	/* offset and size bytes beyond the first: offset 0x0006 as two bytes, size as one */
	CHECK_STR(APPLY("hello world", 11, 5, 0x93, 6, 0, 5), "world");
	CHECK_STR(APPLY("", 0, 2, 2, 'h', 'i'), "hi");
	CHECK_STR(APPLY("abc", 3, 0), "");
}

TEST(gpack_delta_copy_size_zero_is_64k)
{
	size_t n = 0x10000 + 7, got = 0;
	unsigned char *base = malloc(n), *out = NULL;
	/* src 0x10007, tgt 0x10000; copy with no offset or size bytes: offset 0, 0x10000 bytes */
	const unsigned char delta[] = { 0x87, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80 };
	const unsigned char shifted[] = { 0x87, 0x80, 0x04, 0x80, 0x80, 0x04, 0x81, 7 };

	CHECK(base != NULL);
	for (size_t i = 0; i < n; i++)
		base[i] = (unsigned char)(i * 7 + i / 251);
	CHECK_OK(gpack_delta_apply(base, n, delta, sizeof(delta), &out, &got));
	CHECK_INT(got, 0x10000);
	CHECK(!memcmp(out, base, 0x10000) && out[got] == 0);
	free(out);
	CHECK_OK(gpack_delta_apply(base, n, shifted, sizeof(shifted), &out, &got));
	CHECK(got == 0x10000 && !memcmp(out, base + 7, 0x10000));
	free(out);
	/* one byte short of the base: the copy runs outside it */
	CHECK_FAILS(gpack_delta_apply(base, 0x10006, (const unsigned char[]){ 0x86, 0x80, 0x04, 0x80, 0x80, 0x04, 0x81, 7 },
				      8, &out, &got), CIH_ECORRUPT);
	CHECK_ERR("outside the 65542-byte base");
	free(base);
}

TEST(gpack_delta_malformed)
{
	CHECK_STR(APPLY("hello", 0x80), "ERR delta: truncated size header");
	CHECK_STR(APPLY("hello", 5), "ERR delta: truncated size header");
	CHECK_STR(APPLY("hello", 5, 0x85), "ERR delta: truncated size header");
	CHECK_STR(APPLY("hello", 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0),
		  "ERR delta: size header overflows");
	CHECK_STR(APPLY("hello", 4, 4, 0x90, 4), "ERR delta: source size 4, base has 5 bytes");
	CHECK_STR(APPLY("hello", 5, 3, 0x91, 3, 3), "ERR delta: copy of 3 bytes at 3 is outside the 5-byte base");
	CHECK_STR(APPLY("hello", 5, 3, 0x91, 0xff, 1), "ERR delta: copy of 1 bytes at 255 is outside the 5-byte base");
	CHECK_STR(APPLY("hello", 5, 3, 0x91), "ERR delta: truncated copy op");
	CHECK_STR(APPLY("hello", 5, 4, 0x90, 3), "ERR delta: result has 3 bytes, header says 4");
	CHECK_STR(APPLY("hello", 5, 2, 0x90, 3), "ERR delta: copy runs past the 2-byte target");
	CHECK_STR(APPLY("hello", 5, 2, 3, 'a', 'b', 'c'), "ERR delta: insert runs past the 2-byte target");
	CHECK_STR(APPLY("hello", 5, 3, 3, 'a', 'b'), "ERR delta: truncated insert op");
	CHECK_STR(APPLY("hello", 5, 1, 0, 'a'), "ERR delta: reserved op 0");
	CHECK_STR(APPLY("hello", 5, 1), "ERR delta: target size 1 but no ops");
	/* a target bigger than a few ops could ever write is refused before allocating */
	CHECK_STR(APPLY("hello", 5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x90, 5),
		  "ERR delta: target size 4294967295 is more than its 2 bytes of ops can produce");
}

/* Against zlib's, at every length around the 32-byte blocks and the reductions. */
TEST(gpack_adler32_matches_zlib)
{
	size_t n = 3 * 512 * 32 + 100;
	unsigned char *buf = malloc(n);
	uint32_t seed = 12345;

	CHECK(buf != NULL);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (unsigned char)(i < 40000 ? 0xff : seed >> 24); /* all-0xff: the largest sums */
	}
	for (size_t len = 0; len < 300; len++)
		CHECK_INT(gpack_adler32(buf + 7, len), adler32_z(1, buf + 7, len));
	for (size_t len = 16300; len < 16500; len += 3)
		CHECK_INT(gpack_adler32(buf, len), adler32_z(1, buf, len));
	CHECK_INT(gpack_adler32(buf, n), adler32_z(1, buf, n));
	CHECK_INT(gpack_adler32(buf + 40000, n - 40000), adler32_z(1, buf + 40000, n - 40000));
	free(buf);
}

/* Many similar versions of a few files, so that git stores delta chains. */
static void make_history(const char *dir, int commits)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "set -e; git init -q %s; cd %s; git config user.name t; git config user.email t@e; "
		 "for i in $(seq 1 %d); do "
		 "  seq 1 $((200 + i * 3)) | sed \"s/^$i\\$/changed $i/\" > a.txt; "
		 "  (seq 1 150; echo v$i; seq 151 400) > b.txt; mkdir -p d/e; "
		 "  printf 'line %%s\\n' $(seq $i $((i + 300))) > d/e/c.txt; "
		 "  head -c $((i * 37)) /dev/zero | tr '\\0' x > d/grow.txt; "
		 "  git add -A; git commit -q -m \"commit $i\"; "
		 "  if [ $((i %% 10)) = 0 ]; then git tag -a -m \"tag $i\" t$i; fi; "
		 "done",
		 dir, dir, commits);
	sh(cmd);
}

struct listing {
	git_oid *ids;
	size_t n, cap;
};

static int collect(const git_oid *id, void *payload)
{
	struct listing *l = payload;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->ids = realloc(l->ids, l->cap * sizeof(*l->ids));
		CHECK(l->ids != NULL);
	}
	git_oid_cpy(&l->ids[l->n++], id);
	return 0;
}

/* Every object of the repository, listed by libgit2's own backends. */
static void list_objects(git_repository *repo, struct listing *l)
{
	git_odb *odb;

	CHECK(git_repository_odb(&odb, repo) == 0);
	CHECK(git_odb_foreach(odb, collect, l) == 0);
	git_odb_free(odb);
	CHECK(l->n > 0);
}

static git_odb_backend *our_backend(git_repository *repo)
{
	git_odb_backend *be = NULL;
	git_odb *odb;

	CHECK(git_repository_odb(&odb, repo) == 0);
	for (size_t i = 0; i < git_odb_num_backends(odb); i++) {
		git_odb_backend *b;

		if (git_odb_get_backend(&b, odb, i) == 0 && b->free && b->read_prefix == NULL && b->refresh &&
		    b->write == NULL && b->read_header)
			be = be ? be : b;
	}
	git_odb_free(odb);
	CHECK(be != NULL);
	return be;
}

/* Counts the delta objects of each kind in the repository's packs. */
static void count_deltas(const char *packdir, int *ofs, int *ref)
{
	char cmd[600], name[256];
	FILE *f;

	*ofs = *ref = 0;
	snprintf(cmd, sizeof(cmd), "cd %s && ls pack-*.idx", packdir);
	CHECK((f = popen(cmd, "r")) != NULL);
	while (fscanf(f, "%255s", name) == 1) {
		struct gpack_pack *p;

		CHECK(gpack_pack_open(&p, packdir, name) == 0);
		for (uint32_t i = 0; i < p->nr; i++) {
			const unsigned char *oid = p->idx + 8 + 1024 + 20 * (size_t)i;
			struct gpack_hdr h;
			uint64_t off;

			CHECK(gpack_pack_find(p, oid, &off) == 1);
			CHECK_OK(gpack_pack_header(p, off, &h));
			*ofs += h.type == GPACK_OBJ_OFS_DELTA;
			*ref += h.type == GPACK_OBJ_REF_DELTA;
		}
		gpack_pack_close(p);
	}
	pclose(f);
}

/* Reads every listed object through our backend: type and size as libgit2's
 * header says, the data hashing to the id. Returns how many were found in packs. */
static size_t read_all(git_odb_backend *be, git_odb *plain, const struct listing *l)
{
	size_t found = 0;

	for (size_t i = 0; i < l->n; i++) {
		git_object_t type, htype, ptype;
		size_t len, hlen, plen;
		void *data = NULL;
		git_oid h;
		int rc = be->read(&data, &len, &type, be, &l->ids[i]);

		if (rc == GIT_ENOTFOUND) {
			CHECK(be->exists(be, &l->ids[i]) == 0);
			continue;
		}
		CHECK_INT(rc, 0);
		CHECK(((unsigned char *)data)[len] == '\0');
		CHECK(git_odb_hash(&h, data, len, type) == 0);
		CHECK(git_oid_equal(&h, &l->ids[i]));
		CHECK_INT(be->read_header(&hlen, &htype, be, &l->ids[i]), 0);
		CHECK_INT(hlen, len);
		CHECK_INT(htype, type);
		CHECK(git_odb_read_header(&plen, &ptype, plain, &l->ids[i]) == 0);
		CHECK_INT(plen, len);
		CHECK_INT(ptype, type);
		CHECK(be->exists(be, &l->ids[i]) == 1);
		git_odb_backend_data_free(be, data);
		found++;
	}
	return found;
}

static void check_repo(const char *dir, int want_ofs, int want_ref)
{
	struct listing l = { 0 };
	git_repository *repo;
	git_odb *plain;
	char path[512];
	int ofs, ref;

	snprintf(path, sizeof(path), "%s/.git/objects/pack", dir);
	count_deltas(path, &ofs, &ref);
	CHECK(want_ofs ? ofs > 50 : ofs == 0);
	CHECK(want_ref ? ref > 50 : ref == 0);
	CHECK(git_repository_open(&repo, dir) == 0);
	list_objects(repo, &l);
	CHECK_OK(gpack_attach(repo));
	CHECK_OK(gpack_attach(repo)); /* once */
	snprintf(path, sizeof(path), "%s/.git/objects", dir);
	CHECK(git_odb_open(&plain, path) == 0);
	CHECK_INT(read_all(our_backend(repo), plain, &l), l.n);
	git_odb_free(plain);
	git_repository_free(repo);
	free(l.ids);
}

TEST(gpack_reads_ofs_delta_chains)
{
	git_libgit2_init();
	make_history("r", 60);
	sh("cd r && git -c pack.threads=1 repack -adf -q --depth=50 --window=50");
	check_repo("r", 1, 0);
	git_libgit2_shutdown();
}

TEST(gpack_reads_ref_delta_chains)
{
	git_libgit2_init();
	make_history("r", 60);
	sh("cd r && git -c repack.useDeltaBaseOffset=false -c pack.threads=1 repack -adf -q --depth=50 --window=50");
	check_repo("r", 0, 1);
	git_libgit2_shutdown();
}

/* Loose objects are not ours; a pack that appears later is found on refresh. */
TEST(gpack_loose_and_refresh)
{
	struct listing l = { 0 };
	git_repository *repo;
	git_odb_backend *be;
	git_odb *odb, *plain;
	git_odb_object *obj;
	git_oid id;

	git_libgit2_init();
	make_history("r", 12);
	sh("cd r && git repack -adq && echo loose > l.txt && git hash-object -w l.txt > ../loose.id");
	CHECK(git_repository_open(&repo, "r") == 0);
	CHECK_OK(gpack_attach(repo));
	be = our_backend(repo);
	{
		FILE *f = fopen("loose.id", "r");
		char hex[64] = "";

		CHECK(f && fscanf(f, "%63s", hex) == 1);
		fclose(f);
		CHECK(git_oid_fromstr(&id, hex) == 0);
	}
	CHECK(be->exists(be, &id) == 0);
	CHECK(git_repository_odb(&odb, repo) == 0);
	CHECK(git_odb_read(&obj, odb, &id) == 0); /* served by libgit2's loose backend */
	CHECK_INT(git_odb_object_size(obj), 6);
	git_odb_object_free(obj);

	make_history("r", 5); /* more commits (and the loose blob) in a second pack */
	sh("cd r && git repack -dq && test $(ls .git/objects/pack/*.idx | wc -l) = 2");
	list_objects(repo, &l);
	CHECK(git_odb_open(&plain, "r/.git/objects") == 0);
	CHECK(read_all(be, plain, &l) < l.n); /* the new pack is not seen yet */
	CHECK(be->refresh(be) == 0);
	CHECK_INT(read_all(be, plain, &l), l.n);
	git_odb_free(plain);
	git_odb_free(odb);
	git_repository_free(repo);
	free(l.ids);
	git_libgit2_shutdown();
}

/* Reads every object of repo dir through our backend: how many failed. Success is
 * allowed only with the right data. */
static size_t read_damaged(const char *dir, const struct listing *l)
{
	git_repository *repo;
	git_odb_backend *be;
	size_t failed = 0;

	CHECK(git_repository_open(&repo, dir) == 0);
	CHECK_OK(gpack_attach(repo));
	be = our_backend(repo);
	for (size_t i = 0; i < l->n; i++) {
		git_object_t type;
		size_t len;
		void *data = NULL;
		git_oid h;
		int rc = be->read(&data, &len, &type, be, &l->ids[i]);

		if (rc == 0) {
			CHECK(git_odb_hash(&h, data, len, type) == 0);
			failed += !git_oid_equal(&h, &l->ids[i]); /* a flipped type bit: a hash mismatch */
			git_odb_backend_data_free(be, data);
			continue;
		}
		CHECK(rc < 0 && rc != GIT_ENOTFOUND);
		CHECK(git_error_last() && strstr(git_error_last()->message, "gpack: "));
		CHECK(be->read_header(&len, &type, be, &l->ids[i]) <= 0);
		failed++;
	}
	git_repository_free(repo);
	return failed;
}

TEST(gpack_damaged_packs_fail_cleanly)
{
	struct listing l = { 0 };
	git_repository *repo;

	git_libgit2_init();
	make_history("r", 40);
	sh("cd r && git repack -adfq --depth=50");
	CHECK(git_repository_open(&repo, "r") == 0);
	list_objects(repo, &l);
	git_repository_free(repo);

	/* cut to its first half, with the trailer put back so that the pack is taken */
	sh("git clone -q --bare --no-local r cut && cd cut/objects/pack && p=$(ls *.pack) && "
	   "s=$(stat -c %s $p) && tail -c 20 $p > trailer && head -c $((s / 2)) $p > half && "
	   "cat half trailer > $p.new && chmod u+w $p && mv $p.new $p && rm half trailer");
	CHECK(read_damaged("cut", &l) > 0);

	/* bytes flipped all over the data (header and trailer left alone) */
	sh("git clone -q --bare --no-local r flip && cd flip/objects/pack && p=$(ls *.pack) && chmod u+w $p && "
	   "s=$(stat -c %s $p) && for o in $(seq 40 211 $((s - 40))); do "
	   "printf '\\377' | dd of=$p bs=1 seek=$o conv=notrunc status=none; done");
	CHECK(read_damaged("flip", &l) > 0);

	/* index offsets pointing past the pack, or at large-offset entries that are not there */
	sh("git clone -q --bare --no-local r offs && cd offs/objects/pack && i=$(ls *.idx) && chmod u+w $i && "
	   "n=$(git show-index < $i | wc -l) && for k in $(seq 0 3 $((n - 2))); do "
	   "printf '\\377\\377\\377\\377' | dd of=$i bs=1 seek=$((1032 + n * 24 + k * 4)) conv=notrunc status=none; "
	   "printf '\\177\\377\\377\\360' | dd of=$i bs=1 seek=$((1032 + n * 24 + k * 4 + 4)) conv=notrunc status=none; done");
	CHECK(read_damaged("offs", &l) > l.n / 2);
	free(l.ids);
	git_libgit2_shutdown();
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
	p[3] = (unsigned char)v;
}

static void write_bytes(const char *path, const unsigned char *d, size_t n)
{
	FILE *f = fopen(path, "wb");

	CHECK(f && fwrite(d, 1, n, f) == n);
	fclose(f);
}

/* Two REF_DELTA objects, each the other's base: an endless chain. */
TEST(gpack_ref_delta_cycle_is_refused)
{
	const unsigned char delta[] = { 1, 1, 0x90, 1 };
	unsigned char pack[256], idx[8 + 1024 + 2 * 28 + 40], z[64], ids[2][20];
	uLongf zn = sizeof(z);
	size_t n = 12, offs[2];
	git_repository *repo;
	git_odb_backend *be;
	git_object_t type;
	void *data;
	size_t len;
	git_oid id;

	git_libgit2_init();
	sh("git init -q --bare c");
	memset(ids[0], 0x11, 20);
	memset(ids[1], 0x22, 20);
	CHECK(compress(z, &zn, delta, sizeof(delta)) == Z_OK);
	memcpy(pack, "PACK", 4);
	put_be32(pack + 4, 2);
	put_be32(pack + 8, 2);
	for (int i = 0; i < 2; i++) {
		offs[i] = n;
		pack[n++] = 0x70 | sizeof(delta); /* REF_DELTA, size 4 */
		memcpy(pack + n, ids[!i], 20);
		n += 20;
		memcpy(pack + n, z, zn);
		n += zn;
	}
	memset(pack + n, 0xab, 20); /* the trailer: any checksum, as long as the idx agrees */
	n += 20;
	write_bytes("c/objects/pack/pack-cycle.pack", pack, n);

	memset(idx, 0, sizeof(idx));
	memcpy(idx, "\377tOc", 4);
	put_be32(idx + 4, 2);
	for (int b = 0; b < 256; b++)
		put_be32(idx + 8 + 4 * b, (b >= 0x11) + (b >= 0x22));
	memcpy(idx + 1032, ids[0], 20);
	memcpy(idx + 1052, ids[1], 20);
	put_be32(idx + 1032 + 48, (uint32_t)offs[0]);
	put_be32(idx + 1032 + 52, (uint32_t)offs[1]);
	memset(idx + 1032 + 56, 0xab, 20);
	write_bytes("c/objects/pack/pack-cycle.idx", idx, sizeof(idx));

	CHECK(git_repository_open(&repo, "c") == 0);
	CHECK_OK(gpack_attach(repo));
	be = our_backend(repo);
	git_oid_fromraw(&id, ids[0]);
	CHECK(be->read(&data, &len, &type, be, &id) == GIT_ERROR);
	CHECK(strstr(git_error_last()->message, "deeper than 10000"));
	CHECK(be->read_header(&len, &type, be, &id) == GIT_ERROR);
	CHECK(strstr(git_error_last()->message, "deeper than 10000"));
	git_repository_free(repo);
	git_libgit2_shutdown();
}
