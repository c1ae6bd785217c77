/* tar.zst: our writer + zstd against GNU tar and the zstd CLI, GNU tar's formats
 * through our reader, and broken or hostile streams. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../archive/level.h"
#include "../../archive/tar_read.h"
#include "../../archive/tar_write.h"
#include "../../archive/zst_stream.h"
#include "../../helper/buf.h"
#include "unit.h"

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

static void need_tools(void)
{
	if (system("command -v zstd >/dev/null && tar --version 2>/dev/null | grep -q GNU") != 0)
		unit_skip("zstd or GNU tar missing (scripts/install-test-deps)");
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static void line(struct buf *out, char t, const char *name, const char *link, uint32_t mode,
		 uint32_t uid, uint32_t gid, int64_t mtime, uint64_t size, uint64_t h)
{
	buf_printf(out, "%c %s%s%s %o %u/%u %lld %llu %016llx\n", t, name, *link ? " -> " : "",
		   link, mode, uid, gid, (long long)mtime, (unsigned long long)size,
		   (unsigned long long)h);
}

/* The sorted relative paths under dir, as "find" gives them without "./". */
static FILE *walk(const char *dir)
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -mindepth 1 | LC_ALL=C sort | cut -c3-", dir);
	CHECK((p = popen(cmd, "r")) != NULL);
	return p;
}

/* What an archive of dir should list: one line per path, directories with '/'. */
static void describe_fs(const char *dir, struct buf *out)
{
	char rel[8192], path[8300], link[4200];
	FILE *p = walk(dir);

	while (fgets(rel, sizeof(rel), p)) {
		struct stat st;
		uint64_t h = 0xcbf29ce484222325ull;
		char t = 'f';

		rel[strcspn(rel, "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		CHECK(lstat(path, &st) == 0);
		link[0] = '\0';
		if (S_ISDIR(st.st_mode)) {
			size_t l = strlen(rel);
			t = 'd';
			rel[l] = '/';
			rel[l + 1] = '\0';
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(path, link, sizeof(link) - 1);
			CHECK(n > 0);
			link[n] = '\0';
			t = 'l';
		} else {
			unsigned char b[65536];
			ssize_t n;
			int fd = open(path, O_RDONLY);
			CHECK(fd >= 0);
			while ((n = read(fd, b, sizeof(b))) > 0)
				h = fnv(h, b, (size_t)n);
			close(fd);
		}
		line(out, t, rel, link, st.st_mode & 07777, st.st_uid, st.st_gid, st.st_mtim.tv_sec,
		     t == 'f' ? (uint64_t)st.st_size : 0, h);
	}
	pclose(p);
}

static ssize_t fd_source(void *ctx, void *buf, size_t len)
{
	ssize_t n = read(*(int *)ctx, buf, len);
	return n < 0 ? err_os("read") : n;
}

/* Our reader's view of path (zstd-compressed when zst), in describe_fs's format;
 * returns the reader's final code. */
static int describe_archive(const char *path, bool zst, struct buf *out)
{
	int fd = open(path, O_RDONLY), rc;
	struct zst_reader *z = NULL;
	struct tar_reader *r = NULL;
	const struct tar_entry *e;

	CHECK(fd >= 0);
	if (zst)
		CHECK_OK(zst_reader_open(&z, fd, path));
	CHECK_OK(tar_reader_new(&r, zst ? zst_source : fd_source, zst ? (void *)z : &fd, path));
	while ((rc = tar_reader_next(r, &e)) == 1) {
		static const char types[] = "fdlhcbpo";
		unsigned char b[70000];
		uint64_t h = 0xcbf29ce484222325ull, total = 0;
		ssize_t n;

		while ((n = tar_reader_read(r, b, sizeof(b))) > 0) {
			h = fnv(h, b, (size_t)n);
			total += (uint64_t)n;
		}
		if (n < 0) {
			rc = (int)n;
			break;
		}
		CHECK_INT(total, e->size);
		line(out, types[e->type], e->name, e->linkname, e->mode, e->uid, e->gid, e->mtime,
		     e->size, h);
	}
	tar_reader_free(r);
	zst_reader_free(z);
	close(fd);
	return rc;
}

/* dir's tree as the archiver will write it: sorted, through our writer and zstd. */
static void pack(const char *dir, const char *path, int level, int workers)
{
	char rel[8192], full[8300], link[4200];
	struct zst_writer *z;
	struct tar_writer *w;
	struct tar_entry e;
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FILE *p = walk(dir);

	CHECK(out >= 0);
	CHECK_OK(zst_writer_open(&z, out, level, workers));
	CHECK_OK(tar_writer_new(&w, zst_sink, z));
	while (fgets(rel, sizeof(rel), p)) {
		struct stat st;
		ssize_t n = 0;

		rel[strcspn(rel, "\n")] = '\0';
		snprintf(full, sizeof(full), "%s/%s", dir, rel);
		CHECK(lstat(full, &st) == 0);
		if (S_ISLNK(st.st_mode))
			CHECK((n = readlink(full, link, sizeof(link) - 1)) > 0);
		link[n] = '\0';
		if (!tar_entry_from_stat(&e, rel, &st, link))
			continue;
		if (e.type == TAR_FILE) {
			int fd = open(full, O_RDONLY);
			CHECK(fd >= 0);
			CHECK_OK(tar_writer_file(w, &e, fd));
			close(fd);
		} else {
			CHECK_OK(tar_writer_header(w, &e));
		}
	}
	pclose(p);
	CHECK_OK(tar_writer_finish(w));
	CHECK_OK(zst_writer_finish(z));
	tar_writer_free(w);
	zst_writer_free(z);
	CHECK(close(out) == 0);
}

/* Files, dirs, symlinks, odd modes, long and non-ASCII names, whole-second mtimes. */
static void make_tree(bool big_ids)
{
	sh("mkdir -p src/dir/sub src/empty && cd src && printf hello > a.txt && : > zero && "
	   "head -c 511 /dev/urandom > dir/b511 && head -c 512 /dev/urandom > dir/b512 && "
	   "head -c 513 /dev/urandom > dir/b513 && head -c 1500000 /dev/urandom > dir/sub/big && "
	   "seq 1 200000 > dir/sub/seq.txt && printf x > run.sh && chmod 755 run.sh && "
	   "chmod 600 a.txt && chmod 4755 dir/b511 && chmod 1777 empty && chmod 2750 dir/sub && "
	   "L=$(printf '%0150d' 0) && mkdir -p long_$L/deeper_$L && printf l > long_$L/deeper_$L/f_$L && "
	   "printf u > 'häßlich-名前.txt' && ln -s dir/sub/seq.txt link && ln -s ../a.txt dir/up && "
	   "ln -s \"does/not/exist/$L\" dangling && "
	   "find . -exec touch -h -d @1600000000 {} + && touch -d @1234567890 a.txt && "
	   "touch -d @1 zero");
	if (big_ids)
		sh("cd src && chown -h 3000000:4000000 a.txt link && chown 1000:2097152 zero");
}

TEST(tar_written_by_us_reads_back_with_gnu_tar_and_zstd)
{
	struct buf want = BUF_INIT, got = BUF_INIT, ours = BUF_INIT;
	bool root = geteuid() == 0;

	need_tools();
	make_tree(root);
	describe_fs("src", &want);
	pack("src", "x.tar.zst", 3, 0);
	sh("zstd -q -t x.tar.zst && zstd -lv x.tar.zst 2>&1 | grep -q 'Check: XXH64'");
	sh("mkdir out && zstd -dc x.tar.zst | tar -xpf - -C out --numeric-owner");
	describe_fs("out", &got);
	CHECK_STR(buf_cstr(&got), buf_cstr(&want));
	CHECK_OK(describe_archive("x.tar.zst", true, &ours));
	CHECK_STR(buf_cstr(&ours), buf_cstr(&want));
	/* GNU tar lists the ids and times from the headers, PAX records included. */
	sh("zstd -dc x.tar.zst | TZ=UTC tar -tvf - --numeric-owner --full-time > list && "
	   "grep -q '^-rw------- .* 2009-02-13 23:31:30 a.txt$' list && "
	   "grep -q '^-rwsr-xr-x .* dir/b511$' list && grep -q '^drwxrwxrwt .* empty/$' list && "
	   "grep -q '^lrwxrwxrwx .* link -> dir/sub/seq.txt$' list && "
	   "grep -q 'häßlich-名前.txt$' list && test $(wc -l < list) = 18");
	if (root)
		sh("grep -q ' 3000000/4000000 .* a.txt$' list && grep -q ' 1000/2097152 .* zero$' list");
	buf_dispose(&want);
	buf_dispose(&got);
	buf_dispose(&ours);
}

TEST(tar_levels_and_workers_all_round_trip)
{
	static const char *names[] = { "fastest", "fast", "", "default", "slow", "slowest" };
	struct buf src = BUF_INIT, got = BUF_INIT;
	enum level l;

	need_tools();
	sh("mkdir src && seq 1 3000000 > src/seq && head -c 3000000 /dev/urandom > src/rnd && "
	   "touch -d @1600000000 src/seq src/rnd");
	describe_fs("src", &src);
	for (int workers = 1; workers <= 4; workers += 3) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			CHECK(level_parse(names[i], &l));
			buf_clear(&got);
			pack("src", "x.tar.zst", level_zstd(l, false), workers);
			CHECK_OK(describe_archive("x.tar.zst", true, &got));
			CHECK_STR(buf_cstr(&got), buf_cstr(&src));
		}
	}
	sh("zstd -q -t x.tar.zst");
	buf_dispose(&src);
	buf_dispose(&got);
}

TEST(tar_writer_rounds_mtime_and_picks_ustar_or_pax_as_go)
{
	struct buf got = BUF_INIT;
	struct stat st = { .st_mode = S_IFREG | 04755, .st_size = 3 };
	struct tar_entry e;

	/* Go rounds to the nearest second (qemu-user drops st_mtim's nanoseconds on some
	 * arches, so the stat is made up). */
	st.st_mtim.tv_sec = 1600000000;
	st.st_mtim.tv_nsec = 500000000;
	CHECK(tar_entry_from_stat(&e, "f", &st, NULL));
	CHECK_INT(e.mtime, 1600000001);
	CHECK_INT(e.mode, 04755);
	CHECK_INT(e.size, 3);
	st.st_mtim.tv_nsec = 499999999;
	CHECK(tar_entry_from_stat(&e, "f", &st, NULL));
	CHECK_INT(e.mtime, 1600000000);
	st.st_mode = S_IFIFO | 0644;
	CHECK(!tar_entry_from_stat(&e, "f", &st, NULL));

	need_tools();
	sh("mkdir -p src && cd src && printf a > up && touch -d @1600000000 up && "
	   "L=$(printf '%060d' 0) && mkdir -p p_$L/q_$L && printf c > p_$L/q_$L/f && "
	   "touch -d @-100 p_$L/q_$L/f");
	pack("src", "x.tar.zst", 1, 1);
	CHECK_OK(describe_archive("x.tar.zst", true, &got));
	CHECK(strstr(buf_cstr(&got), "f up 644 "));
	CHECK(strstr(buf_cstr(&got), " 1600000000 1 "));
	CHECK(strstr(buf_cstr(&got), "/f 644 "));
	CHECK(strstr(buf_cstr(&got), " -100 1 "));
	/* p_<60>/q_<60>/ (124 bytes) fits USTAR with a prefix; f does not (negative
	 * mtime): one PAX header. */
	sh("zstd -dc x.tar.zst > x.tar && tar -tf x.tar > names && test $(wc -l < names) = 4 && "
	   "python3 -c 'import tarfile; print([sorted(m.pax_headers) for m in tarfile.open(\"x.tar\")])'"
	   " | grep -qxF \"[[], [], ['mtime', 'path'], []]\" && "
	   "TZ=UTC tar --full-time -tvf x.tar | grep -q ' 1969-12-31 23:58:20 p_0*/q_0*/f$'");
	buf_dispose(&got);
}

/* GNU tar's formats through our reader (plain and through zstd). */
static void gnu_tar_reads_as_fs(const char *format)
{
	struct buf want = BUF_INIT, got = BUF_INIT;
	char cmd[512];

	describe_fs("src", &want);
	snprintf(cmd, sizeof(cmd), "cd src && find . -mindepth 1 | LC_ALL=C sort | cut -c3- | "
		 "tar --format=%s --no-recursion -T - -cf ../%s.tar && zstd -q ../%s.tar",
		 format, format, format);
	sh(cmd);
	snprintf(cmd, sizeof(cmd), "%s.tar", format);
	CHECK_OK(describe_archive(cmd, false, &got));
	CHECK_STR(buf_cstr(&got), buf_cstr(&want));
	buf_clear(&got);
	snprintf(cmd, sizeof(cmd), "%s.tar.zst", format);
	CHECK_OK(describe_archive(cmd, true, &got));
	CHECK_STR(buf_cstr(&got), buf_cstr(&want));
	buf_dispose(&want);
	buf_dispose(&got);
}

TEST(tar_reader_reads_gnu_tar_pax_and_gnu_formats)
{
	need_tools();
	make_tree(geteuid() == 0);
	/* The GNU format's negative and huge numbers are base-256. */
	sh("touch -d @-100 src/dir/b513");
	gnu_tar_reads_as_fs("pax");
	gnu_tar_reads_as_fs("gnu");
	sh("rm -rf src/long_* src/dangling");
	gnu_tar_reads_as_fs("posix");
	if (geteuid() == 0)
		sh("chown -R 0:0 src");
	sh("touch -h -d @1600000000 src/dir/b513");
	gnu_tar_reads_as_fs("ustar");
	gnu_tar_reads_as_fs("oldgnu");
}

TEST(tar_reader_reads_v7_and_reports_links_devices_fifos)
{
	struct tar_reader *r;
	const struct tar_entry *e;
	struct buf got = BUF_INIT;
	int fd;

	need_tools();
	sh("mkdir src && cd src && printf data > f && ln f hard && mkfifo pipe && mkdir d && "
	   "tar --format=v7 -cf ../v7.tar f d && tar --format=pax -cf ../links.tar f hard pipe d");
	CHECK_OK(describe_archive("v7.tar", false, &got));
	CHECK(strstr(buf_cstr(&got), "f f 644 "));
	CHECK(strstr(buf_cstr(&got), "d d/ "));
	CHECK((fd = open("links.tar", O_RDONLY)) >= 0);
	CHECK_OK(tar_reader_new(&r, fd_source, &fd, "links.tar"));
	CHECK_INT(tar_reader_next(r, &e), 1);
	CHECK_STR(e->name, "f");
	CHECK_INT(e->type, TAR_FILE);
	CHECK_INT(tar_reader_next(r, &e), 1); /* the body of f is skipped */
	CHECK_STR(e->name, "hard");
	CHECK_INT(e->type, TAR_HARDLINK);
	CHECK_STR(e->linkname, "f");
	CHECK_INT(e->size, 0);
	CHECK_INT(tar_reader_next(r, &e), 1);
	CHECK_INT(e->type, TAR_FIFO);
	CHECK_INT(tar_reader_next(r, &e), 1);
	CHECK_INT(e->type, TAR_DIR);
	CHECK_STR(e->name, "d/");
	CHECK_INT(tar_reader_next(r, &e), 0);
	CHECK_INT(tar_reader_next(r, &e), 0);
	tar_reader_free(r);
	close(fd);
	buf_dispose(&got);
}

TEST(tar_reader_keeps_pax_fractional_mtimes)
{
	struct tar_reader *r;
	const struct tar_entry *e;
	int fd;

	need_tools();
	sh("printf x > f && touch -d @1600000000.25 f && printf y > g && touch -d @-1.5 g && "
	   "tar --format=pax -cf p.tar f g");
	CHECK((fd = open("p.tar", O_RDONLY)) >= 0);
	CHECK_OK(tar_reader_new(&r, fd_source, &fd, "p.tar"));
	CHECK_INT(tar_reader_next(r, &e), 1);
	CHECK_INT(e->mtime, 1600000000);
	CHECK_INT(e->mtime_nsec, 250000000);
	CHECK_INT(tar_reader_next(r, &e), 1);
	CHECK_INT(e->mtime, -2);
	CHECK_INT(e->mtime_nsec, 500000000);
	tar_reader_free(r);
	close(fd);
}

static int read_all(const char *path, bool zst)
{
	struct buf b = BUF_INIT;
	int rc = describe_archive(path, zst, &b);

	buf_dispose(&b);
	return rc;
}

/* Python's tarfile crafts what GNU tar will not write. */
static void py(const char *script)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "python3 -c '%s'", script);
	sh(cmd);
}

TEST(tar_reader_fails_cleanly_on_broken_input)
{
	need_tools();
	sh("head -c 300000 /dev/urandom > f && seq 1 100000 > s && tar -cf t.tar f s && "
	   "zstd -q -k t.tar");
	CHECK_OK(read_all("t.tar", false));
	CHECK_OK(read_all("t.tar.zst", true));

	sh("cp t.tar c.tar && printf Z | dd of=c.tar bs=1 seek=3 conv=notrunc status=none");
	CHECK_FAILS(read_all("c.tar", false), CIH_ECORRUPT);
	CHECK_ERR("header checksum mismatch");
	sh("head -c 100000 t.tar > cut.tar");
	CHECK_FAILS(read_all("cut.tar", false), CIH_ECORRUPT);
	CHECK_ERR("truncated archive");
	sh("head -c 1000 t.tar > cut2.tar"); /* ends inside the second block of f's body */
	CHECK_FAILS(read_all("cut2.tar", false), CIH_ECORRUPT);
	sh("head -c 300644 t.tar > cut3.tar"); /* inside the header of s */
	CHECK_FAILS(read_all("cut3.tar", false), CIH_ECORRUPT);
	CHECK_ERR("truncated archive");

	sh("head -c $(($(stat -c %s t.tar.zst) - 9)) t.tar.zst > cut.tar.zst");
	CHECK_FAILS(read_all("cut.tar.zst", true), CIH_ECORRUPT);
	CHECK_ERR("truncated stream");
	sh("cp t.tar.zst bad.tar.zst && size=$(stat -c %s t.tar.zst) && "
	   "printf '\\377\\377\\377\\377' | dd of=bad.tar.zst bs=1 seek=$((size / 2)) conv=notrunc status=none");
	CHECK_FAILS(read_all("bad.tar.zst", true), CIH_ECORRUPT);
	CHECK_ERR("corrupt stream");
	sh(": > empty.zst && printf 'not zstd at all' > junk.zst && cat t.tar.zst > trail.zst && "
	   "printf junk >> trail.zst");
	CHECK_FAILS(read_all("empty.zst", true), CIH_ECORRUPT);
	CHECK_ERR("empty file");
	CHECK_FAILS(read_all("junk.zst", true), CIH_ECORRUPT);
	CHECK_FAILS(read_all("trail.zst", true), CIH_ECORRUPT);
	/* Two frames back to back are one stream, as for zstd -d. */
	sh("head -c 10240 t.tar | zstd -q > two.zst && tail -c +10241 t.tar | zstd -q >> two.zst");
	CHECK_OK(read_all("two.zst", true));
	/* A window above 128 MiB is refused before any memory is taken for it. */
	sh("head -c 1000 /dev/zero | zstd -q --long=28 -c > wide.zst || true");
	if (system("zstd -lv wide.zst 2>/dev/null | grep -q 'Window Size: 256'") == 0) {
		CHECK_FAILS(read_all("wide.zst", true), CIH_ETOOBIG);
		CHECK_ERR("window above the 128 MiB cap");
	}
}

TEST(tar_reader_refuses_hostile_headers)
{
	need_tools();
	py("import tarfile, io\n"
	   "def mk(path, info, data=b\"\", fmt=tarfile.PAX_FORMAT):\n"
	   "    with tarfile.open(path, \"w\", format=fmt) as t:\n"
	   "        info.size = len(data); t.addfile(info, io.BytesIO(data))\n"
	   "i = tarfile.TarInfo(\"a\"); i.pax_headers = {\"comment\": \"x\" * (2 << 20)}; mk(\"hugepax.tar\", i)\n"
	   "i = tarfile.TarInfo(\"b\"); i.pax_headers = {\"path\": \"p/\" * 2100}; mk(\"longpax.tar\", i)\n"
	   "i = tarfile.TarInfo(\"c\" * 5000); mk(\"longgnu.tar\", i, fmt=tarfile.GNU_FORMAT)\n"
	   "i = tarfile.TarInfo(\"d\"); i.pax_headers = {\"size\": \"-5\"}; mk(\"negsize.tar\", i)\n"
	   "i = tarfile.TarInfo(\"e\"); i.pax_headers = {\"uid\": \"99999999999\"}; mk(\"biguid.tar\", i)\n"
	   "i = tarfile.TarInfo(\"f\"); i.pax_headers = {\"GNU.sparse.major\": \"1\", \"GNU.sparse.minor\": \"0\"}; mk(\"sparse.tar\", i)\n"
	   "i = tarfile.TarInfo(\"g\" * 300); i.linkname = \"t\" * 300; i.type = tarfile.SYMTYPE; mk(\"gnulinks.tar\", i, fmt=tarfile.GNU_FORMAT)\n");
	CHECK_FAILS(read_all("hugepax.tar", false), CIH_ETOOBIG);
	CHECK_ERR("PAX header of 2097");
	CHECK_FAILS(read_all("longpax.tar", false), CIH_ETOOBIG);
	CHECK_ERR("longer than 4095 bytes");
	CHECK_FAILS(read_all("longgnu.tar", false), CIH_ETOOBIG);
	CHECK_ERR("GNU long name of 5001 bytes");
	CHECK_FAILS(read_all("negsize.tar", false), CIH_ECORRUPT);
	CHECK_FAILS(read_all("biguid.tar", false), CIH_ECORRUPT);
	CHECK_ERR("out of range");
	CHECK_FAILS(read_all("sparse.tar", false), CIH_EUNSAFE);
	CHECK_ERR("sparse entries are not supported");
	CHECK_OK(read_all("gnulinks.tar", false));

	sh("dd if=/dev/zero of=sp bs=1 count=0 seek=1M status=none && printf x >> sp && "
	   "tar --format=gnu --sparse -cf gsparse.tar sp");
	CHECK_FAILS(read_all("gsparse.tar", false), CIH_EUNSAFE);
	/* A zero block followed by a header, and a PAX record whose length lies. */
	sh("printf x > f && tar -cf ok.tar f && { head -c 512 /dev/zero; cat ok.tar; } > zerohdr.tar");
	CHECK_FAILS(read_all("zerohdr.tar", false), CIH_ECORRUPT);
	CHECK_ERR("a header follows a single zero block");
	py("import tarfile, io\n"
	   "i = tarfile.TarInfo(\"h\"); i.pax_headers = {\"path\": \"abc\"}\n"
	   "b = i.tobuf(tarfile.PAX_FORMAT)\n"
	   "b = b.replace(b\"12 path=abc\\n\", b\"99 path=abc\\n\")\n"
	   "import struct\n"
	   "h = bytearray(b[:512]); h[148:156] = b\"        \"; s = sum(h); h[148:156] = b\"%06o\\0 \" % s\n"
	   "open(\"liar.tar\", \"wb\").write(bytes(h) + b[512:] + bytes(1024))\n");
	CHECK_FAILS(read_all("liar.tar", false), CIH_ECORRUPT);
	CHECK_ERR("malformed PAX record");
}

static int mem_sink(void *ctx, const void *data, size_t len)
{
	return buf_put(ctx, data, len);
}

struct mem_src {
	const struct buf *b;
	size_t pos;
};

static ssize_t mem_source(void *ctx, void *out, size_t len)
{
	struct mem_src *m = ctx;
	size_t n = m->b->len - m->pos < len ? m->b->len - m->pos : len;

	memcpy(out, m->b->ptr + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

TEST(tar_writer_uses_pax_for_big_sizes_and_checks_file_sizes)
{
	struct buf out = BUF_INIT;
	struct tar_writer *w;
	struct tar_reader *r;
	const struct tar_entry *got;
	struct tar_entry e = { .name = "huge", .type = TAR_FILE, .mode = 0644,
			       .mtime = 1600000000, .size = 9000000000ull };
	struct mem_src src = { &out, 0 };
	int fd;

	CHECK_OK(tar_writer_new(&w, mem_sink, &out));
	CHECK_OK(tar_writer_header(w, &e));
	CHECK(memmem(out.ptr, out.len, "19 size=9000000000\n", 19) != NULL);
	CHECK_FAILS(tar_writer_finish(w), CIH_ERR);
	CHECK_ERR("9000000000 bytes of its data were not written");
	tar_writer_free(w);
	CHECK_OK(tar_reader_new(&r, mem_source, &src, "mem"));
	CHECK_INT(tar_reader_next(r, &got), 1);
	CHECK_INT(got->size, 9000000000ull);
	CHECK_STR(got->name, "huge");
	tar_reader_free(r);

	/* A file that changed size since its stat fails the archive, naming the file. */
	unit_write_file("f", "12345");
	e.name = "f";
	buf_clear(&out);
	for (int i = 0; i < 2; i++) {
		e.size = i == 0 ? 4 : 6;
		CHECK((fd = open("f", O_RDONLY)) >= 0);
		CHECK_OK(tar_writer_new(&w, mem_sink, &out));
		CHECK_FAILS(tar_writer_file(w, &e, fd), CIH_ERR);
		CHECK_ERR(i == 0 ? "'f' grew while it was archived" : "'f' shrank while it was archived");
		CHECK_FAILS(tar_writer_finish(w), CIH_ERR);
		tar_writer_free(w);
		close(fd);
	}
	e.type = TAR_FIFO;
	CHECK_OK(tar_writer_new(&w, mem_sink, &out));
	CHECK_FAILS(tar_writer_header(w, &e), CIH_EUSAGE);
	tar_writer_free(w);
	buf_dispose(&out);
}
