/* The zip writer: fastzip layout, every level and zipzstd, read back by Info-ZIP
 * unzip, Python's zipfile and our own extractor. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../archive/extract.h"
#include "../../archive/zip.h"
#include "../../archive/zip_write.h"
#include "../../helper/buf.h"
#include "unit.h"

struct tree {
	struct sel_entry *items;
	char **names;
	size_t n;
};

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

/* Every path under the cwd as the selection gives them ("." included). */
static void list_tree(struct tree *t)
{
	char line[4096];
	FILE *p = popen("find . | sed 's|^\\./||' | LC_ALL=C sort", "r");

	CHECK(p != NULL);
	t->items = calloc(10000, sizeof(*t->items));
	t->names = calloc(10000, sizeof(*t->names));
	t->n = 0;
	while (fgets(line, sizeof(line), p) && t->n < 10000) {
		line[strcspn(line, "\n")] = '\0';
		t->names[t->n] = strdup(line);
		t->items[t->n].path = t->names[t->n];
		CHECK(lstat(line, &t->items[t->n].st) == 0);
		t->n++;
	}
	pclose(p);
}

static void free_tree(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->items);
}

static void archive_dir(const char *dir, const char *zip, struct zip_write_opts *o,
			struct zip_write_stats *st)
{
	struct tree t;
	char *cwd = getcwd(NULL, 0);
	int fd = open(zip, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && cwd);
	CHECK(chdir(dir) == 0);
	list_tree(&t);
	int rc = zip_write_archive(fd, t.items, t.n, o, st);
	free_tree(&t);
	CHECK(chdir(cwd) == 0);
	free(cwd);
	close(fd);
	CHECK_OK(rc);
}

static void make_tree(void)
{
	sh("mkdir -p src/dir/sub src/emptydir && cd src && printf hello > a.txt && : > empty && "
	   "head -c 300000 /dev/urandom > dir/random.bin && "
	   "head -c 9000000 /dev/urandom > dir/big-random.bin && "
	   "seq 1 700000 > dir/sub/seq.txt && "
	   "printf '#!/bin/sh\\n' > run.sh && chmod 755 run.sh && chmod 600 a.txt && "
	   "printf x > 'caf\xc3\xa9 \\\\ name.txt' && "
	   "ln -s dir/sub/seq.txt link && ln -s ../a.txt dir/up && mkfifo fifo && "
	   "touch -d '2021-03-04 05:06:07' a.txt dir/random.bin dir && touch -d '2020-01-01' emptydir");
}

/* Python's zipfile re-reads every entry with its CRC check and lists the names. */
static void python_check(const char *zip, const char *expect_names)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
		 "assert z.testzip() is None; names=z.namelist(); "
		 "assert names==sorted(names, key=lambda n: n.encode()), names; "
		 "missing=[n for n in sys.argv[2].split() if n not in names]; "
		 "assert not missing, missing' '%s' '%s'",
		 zip, expect_names);
	sh(cmd);
}

TEST(zip_write_levels_read_back_by_unzip_python_and_us)
{
	static const enum level levels[] = { LEVEL_FASTEST, LEVEL_FAST, LEVEL_DEFAULT, LEVEL_SLOW, LEVEL_SLOWEST };
	struct buf want = BUF_INIT;

	make_tree();
	sh("rm src/fifo");
	unit_describe_tree("src", &want);
	sh("mkfifo src/fifo");
	for (size_t i = 0; i < 5; i++) {
		struct zip_write_opts o = { .level = levels[i], .concurrency = i % 2 ? 1 : 3 };
		struct zip_write_stats st;
		struct extract_stats xs;
		struct buf got = BUF_INIT;

		sh("rm -rf out t.zip && mkdir out");
		archive_dir("src", "t.zip", &o, &st);
		CHECK_INT(st.files, 7);
		CHECK_INT(st.symlinks, 2);
		CHECK_INT(st.dirs, 4); /* ".", dir, dir/sub, emptydir */
		CHECK_INT(st.skipped, 1); /* the fifo */
		sh("unzip -tqq t.zip");
		python_check("t.zip", "./ a.txt dir/ dir/sub/seq.txt emptydir/ empty link");
		CHECK(chdir("out") == 0);
		CHECK_OK(extract_zip("../t.zip", 2, &xs));
		CHECK(chdir("..") == 0);
		unit_describe_tree("out", &got);
		CHECK_STR(buf_cstr(&got), buf_cstr(&want));
		sh("rm -rf out2 && mkdir out2 && cd out2 && unzip -qq ../t.zip");
		buf_clear(&got);
		unit_describe_tree("out2", &got);
		CHECK(strstr(buf_cstr(&got), "./dir/sub/seq.txt 644 4788895"));
		CHECK(strstr(buf_cstr(&got), "./dir/big-random.bin 644 9000000"));
		CHECK(strstr(buf_cstr(&got), "./link link dir/sub/seq.txt"));
		buf_dispose(&got);
	}
	buf_dispose(&want);
}

TEST(zip_write_fastzip_layout)
{
	struct zip_write_opts o = { .level = LEVEL_DEFAULT, .concurrency = 2 };
	struct zip_reader *r;
	int fd;

	make_tree();
	archive_dir("src", "t.zip", &o, NULL);
	CHECK((fd = open("t.zip", O_RDONLY)) >= 0);
	CHECK_OK(zip_reader_open(&r, fd, "t.zip"));
	for (size_t i = 0; i < zip_reader_count(r); i++) {
		const struct zip_entry *e = zip_reader_entry(r, i);
		struct stat st;
		const char *name = !strcmp(e->name, "./") ? "." : e->name;
		char path[4096];
		snprintf(path, sizeof(path), "src/%s", name);
		CHECK(lstat(path, &st) == 0);
		CHECK(e->has_owner && e->uid == st.st_uid && e->gid == st.st_gid);
		CHECK_INT(e->mtime, st.st_mtim.tv_sec);
		CHECK_INT(e->mode, st.st_mode);
		if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
			CHECK(e->method == 0 && !(e->flags & 8));
		else if (!strcmp(e->name, "dir/sub/seq.txt") || !strcmp(e->name, "dir/big-random.bin"))
			CHECK(e->method == 8 && (e->flags & 8)); /* a cut file stays deflate */
		else /* empty, random or tiny: did not shrink, stored */
			CHECK(e->method == 0 && (e->flags & 8));
		CHECK(!!(e->flags & 0x800) == !!strstr(e->name, "caf"));
	}
	zip_reader_free(r);
	close(fd);
	/* zipinfo: Unix host, and the timestamps/owner extras ("UT", "ux") on every entry */
	sh("zipinfo -v t.zip | grep -c 'file system or operating system of origin:      Unix' | grep -qx 13");
	sh("test $(zipinfo -v t.zip | grep -c 'subfield with ID 0x5455') -eq 13");
	sh("test $(zipinfo -v t.zip | grep -c 'subfield with ID 0x7875') -eq 13");
}

TEST(zip_write_zstd_entries_are_method_93)
{
	struct zip_write_opts o = { .level = LEVEL_DEFAULT, .zstd = true, .concurrency = 2 };
	struct zip_reader *r;
	struct extract_stats xs;
	struct buf want = BUF_INIT, got = BUF_INIT;
	int fd;

	make_tree();
	sh("rm src/fifo && head -c 9000000 /dev/zero > src/zeros"); /* three zstd chunks */
	unit_describe_tree("src", &want);
	archive_dir("src", "t.zip", &o, NULL);
	CHECK((fd = open("t.zip", O_RDONLY)) >= 0);
	CHECK_OK(zip_reader_open(&r, fd, "t.zip"));
	size_t zstd = 0;
	for (size_t i = 0; i < zip_reader_count(r); i++)
		zstd += zip_reader_entry(r, i)->method == 93;
	CHECK_INT(zstd, 3); /* seq.txt, zeros, big-random (cut): not the small random or tiny ones */
	zip_reader_free(r);
	close(fd);
	sh("mkdir out");
	CHECK(chdir("out") == 0);
	CHECK_OK(extract_zip("../t.zip", 2, &xs));
	CHECK(chdir("..") == 0);
	unit_describe_tree("out", &got);
	CHECK_STR(buf_cstr(&got), buf_cstr(&want));
	buf_dispose(&want);
	buf_dispose(&got);
}

TEST(zip_write_big_file_is_cut_into_one_valid_deflate_stream)
{
	struct zip_write_opts o = { .level = LEVEL_FAST, .concurrency = 4 };
	struct zip_write_stats st;

	/* Compressible text mixed with random runs: chunks both shrink and grow. */
	sh("mkdir src && (for i in 1 2 3 4 5 6; do seq 1 400000; head -c 1500000 /dev/urandom; done) > src/mixed && "
	   "cp src/mixed src/copy");
	archive_dir("src", "t.zip", &o, &st);
	CHECK(st.out_bytes < st.in_bytes);
	sh("unzip -tqq t.zip");
	sh("unzip -p t.zip mixed | cmp - src/mixed");
	python_check("t.zip", "mixed copy");
}

TEST(zip_write_a_file_that_changes_while_read)
{
	struct zip_write_opts o = { .level = LEVEL_DEFAULT, .concurrency = 2 };
	struct sel_entry items[2];
	int fd;

	sh("mkdir src && seq 1 1000 > src/small && head -c 5000000 /dev/zero > src/big");
	CHECK(chdir("src") == 0);
	items[0].path = "small";
	items[1].path = "big";
	CHECK(lstat("small", &items[0].st) == 0 && lstat("big", &items[1].st) == 0);
	sh("seq 1 10 > small"); /* shrank: what is there is archived */
	CHECK((fd = open("../t.zip", O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	CHECK_OK(zip_write_archive(fd, items, 1, &o, NULL));
	close(fd);
	sh("unzip -p ../t.zip small | cmp - small");
	sh("head -c 10 /dev/zero > big"); /* a cut file that shrank is an error */
	CHECK((fd = open("../t.zip", O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	CHECK_FAILS(zip_write_archive(fd, items, 2, &o, NULL), CIH_ERR);
	CHECK_ERR("big: file changed size while being archived");
	close(fd);
	sh("rm big");
	CHECK((fd = open("../t.zip", O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	CHECK_FAILS(zip_write_archive(fd, items, 2, &o, NULL), CIH_EOS);
	CHECK_ERR("open big: no such file or directory");
	close(fd);
	CHECK(chdir("..") == 0);
}

TEST(zip_write_legacy_layout)
{
	struct zip_write_opts o = { .level = LEVEL_FASTEST, .concurrency = 2, .legacy = true };
	struct zip_reader *r;
	int fd;

	make_tree();
	archive_dir("src", "t.zip", &o, NULL);
	sh("unzip -tqq t.zip");
	python_check("t.zip", "./ a.txt empty link");
	CHECK((fd = open("t.zip", O_RDONLY)) >= 0);
	CHECK_OK(zip_reader_open(&r, fd, "t.zip"));
	for (size_t i = 0; i < zip_reader_count(r); i++) {
		const struct zip_entry *e = zip_reader_entry(r, i);
		CHECK(e->flags & 0x800); /* UTF-8 always */
		if (S_ISREG(e->mode))
			CHECK(e->method == 8 && (e->flags & 8)); /* level ignored: deflate, even when it grows */
		else if (S_ISLNK(e->mode))
			CHECK(e->method == 0 && (e->flags & 8));
		else
			CHECK(e->method == 0 && !(e->flags & 8));
	}
	zip_reader_free(r);
	close(fd);
	sh("test $(zipinfo -v t.zip | grep -c 'subfield with ID 0x5455') -eq 26"); /* twice each */
}

/* Thousands of small files: the ring of pending chunks wraps many times while
 * the writer still holds the slot it was handed last. */
TEST(zip_write_many_small_files_in_order)
{
	struct zip_write_opts o = { .level = LEVEL_DEFAULT, .concurrency = 4 };
	struct zip_write_stats st;

	sh("mkdir -p src && cd src && for d in 0 1 2 3 4 5 6 7 8 9; do mkdir d$d; "
	   "for f in $(seq 1 300); do echo \"$d $f\" > d$d/f$f; done; done");
	for (int round = 0; round < 3; round++) {
		sh("rm -f t.zip");
		archive_dir("src", "t.zip", &o, &st);
		CHECK_INT(st.files, 3000);
		sh("unzip -tqq t.zip && unzip -p t.zip d7/f123 | grep -qx '7 123'");
	}
}
