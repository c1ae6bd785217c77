/* The gzip artifact writer: members read back one by one with zlib's own header
 * parser. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../../archive/gzip_write.h"
#include "../../helper/buf.h"
#include "unit.h"

struct member {
	char name[256], comment[256];
	uLong time;
	int os, flags, xfl;
	struct buf data;
};

static void put_file(const char *path, const void *data, size_t len, time_t mtime)
{
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(data, 1, len, f) == len && fclose(f) == 0);
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	CHECK(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static void add_item(struct sel_entry *items, size_t *n, const char *path)
{
	items[*n].path = (char *)path;
	memset(&items[*n].st, 0, sizeof(items[*n].st));
	lstat(path, &items[*n].st); /* a missing path keeps a zeroed stat */
	(*n)++;
}

static void read_all(const char *path, struct buf *out)
{
	char chunk[65536];
	size_t r;
	FILE *f = fopen(path, "rb");

	CHECK(f != NULL);
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(out, chunk, r);
	fclose(f);
}

/* Splits the concatenated members; returns how many. */
static size_t decode(const struct buf *gz, struct member *m, size_t max)
{
	const unsigned char *p = (const unsigned char *)gz->ptr;
	size_t left = gz->len, k = 0;
	unsigned char out[65536];

	while (left) {
		z_stream z = { 0 };
		gz_header h = { 0 };
		CHECK(k < max);
		memset(&m[k], 0, sizeof(m[k]));
		m[k].flags = p[3];
		m[k].xfl = p[8];
		h.name = (Bytef *)m[k].name;
		h.name_max = sizeof(m[k].name);
		h.comment = (Bytef *)m[k].comment;
		h.comm_max = sizeof(m[k].comment);
		CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
		CHECK(inflateGetHeader(&z, &h) == Z_OK);
		z.next_in = (Bytef *)p;
		z.avail_in = (uInt)left;
		int zr;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			zr = inflate(&z, Z_NO_FLUSH);
			CHECK(zr == Z_OK || zr == Z_STREAM_END);
			buf_put(&m[k].data, out, sizeof(out) - z.avail_out);
		} while (zr != Z_STREAM_END);
		CHECK(h.done == 1);
		m[k].time = h.time;
		m[k].os = h.os;
		size_t used = left - z.avail_in;
		p += used;
		left -= used;
		inflateEnd(&z);
		k++;
	}
	return k;
}

static void free_members(struct member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_dispose(&m[i].data);
}

static int write_to(const char *out, const struct sel_entry *items, size_t n, struct gzipw_stats *st)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	int rc = gzipw_write_archive(fd, items, n, st);
	close(fd);
	return rc;
}

TEST(gzipw_members_sorted_with_names_comments_mtime)
{
	struct sel_entry items[8];
	struct member m[8];
	struct gzipw_stats st;
	struct buf gz = BUF_INIT;
	size_t n = 0;
	unsigned char *big = malloc(3 << 20);

	CHECK(big != NULL);
	for (size_t i = 0; i < (3u << 20); i++) /* compressible, but more than one buffer */
		big[i] = (unsigned char)((i * 2654435761u) >> 27);
	CHECK(mkdir("dir", 0755) == 0);
	put_file("b.txt", "bee\n", 4, 1700000000);
	put_file("dir/big.bin", big, 3 << 20, 1600000000);
	put_file("empty", "", 0, 1234);
	put_file("x y.txt", "plain", 5, 0);
	add_item(items, &n, "x y.txt");
	add_item(items, &n, "dir/big.bin");
	add_item(items, &n, "empty");
	add_item(items, &n, "b.txt");
	CHECK_OK(write_to("out.gz", items, n, &st));
	CHECK_INT(st.files, 4);
	CHECK_INT(st.ignored, 0);
	CHECK_INT(st.in_bytes, 4 + (3 << 20) + 5);
	read_all("out.gz", &gz);
	CHECK_INT(st.out_bytes, gz.len);
	CHECK_INT(decode(&gz, m, 8), 4);

	CHECK_STR(m[0].name, "b.txt");
	CHECK_STR(m[0].comment, "b.txt");
	CHECK_INT(m[0].time, 1700000000);
	CHECK_INT(m[0].os, 255);
	CHECK_INT(m[0].flags, 0x18); /* FNAME | FCOMMENT */
	CHECK_INT(m[0].xfl, 0);
	CHECK(m[0].data.len == 4 && !memcmp(m[0].data.ptr, "bee\n", 4));
	CHECK_STR(m[1].name, "big.bin");
	CHECK_STR(m[1].comment, "dir/big.bin");
	CHECK_INT(m[1].time, 1600000000);
	CHECK(m[1].data.len == (3u << 20) && !memcmp(m[1].data.ptr, big, 3 << 20));
	CHECK_STR(m[2].name, "empty");
	CHECK_INT(m[2].data.len, 0);
	CHECK_STR(m[3].comment, "x y.txt"); /* no '%' nor non-ASCII byte: as is */
	CHECK_INT(m[3].time, 0);            /* the epoch itself: unset, as pgzip */
	free_members(m, 4);
	buf_dispose(&gz);
	free(big);
}

TEST(gzipw_sanitises_percent_and_non_ascii_as_go_path_escape)
{
	struct sel_entry items[4];
	struct member m[4];
	struct buf gz = BUF_INIT;
	size_t n = 0;

	CHECK(mkdir("d", 0755) == 0);
	put_file("a%b", "1", 1, 1000);
	put_file("d/caf\xc3\xa9 ;,?!'()*[]#$&+:=@~", "2", 1, 1000);
	put_file("d/\xff", "3", 1, 1000);
	add_item(items, &n, "a%b");
	add_item(items, &n, "d/caf\xc3\xa9 ;,?!'()*[]#$&+:=@~");
	add_item(items, &n, "d/\xff");
	CHECK_OK(write_to("out.gz", items, n, NULL));
	read_all("out.gz", &gz);
	CHECK_INT(decode(&gz, m, 4), 3);
	CHECK_STR(m[0].name, "e:a%25b");
	CHECK_STR(m[0].comment, "e:a%25b");
	CHECK_STR(m[1].name, "e:caf%C3%A9%20%3B%2C%3F%21%27%28%29%2A%5B%5D%23$&+:=@~");
	CHECK_STR(m[1].comment, "e:d%2Fcaf%C3%A9%20%3B%2C%3F%21%27%28%29%2A%5B%5D%23$&+:=@~");
	CHECK_STR(m[2].name, "e:%FF");
	CHECK_STR(m[2].comment, "e:d%2F%FF");
	CHECK(m[1].data.len == 1 && m[1].data.ptr[0] == '2');
	free_members(m, 3);
	buf_dispose(&gz);
}

TEST(gzipw_directory_and_symlink_are_errors)
{
	struct sel_entry items[2];
	size_t n = 0;

	CHECK(mkdir("dir", 0755) == 0);
	put_file("f", "x", 1, 1000);
	CHECK(symlink("f", "link") == 0);
	add_item(items, &n, "dir");
	CHECK_FAILS(write_to("out.gz", items, n, NULL), CIH_EUNSAFE);
	CHECK_STR(err_last()->msg, "the \"dir\" is not a regular file");
	n = 0;
	add_item(items, &n, "f");
	add_item(items, &n, "link");
	CHECK_FAILS(write_to("out.gz", items, n, NULL), CIH_EUNSAFE);
	CHECK_STR(err_last()->msg, "the \"link\" is not a regular file");
}

TEST(gzipw_vanished_file_is_warned_and_skipped)
{
	struct sel_entry items[2];
	struct member m[2];
	struct gzipw_stats st;
	struct buf gz = BUF_INIT;
	size_t n = 0;

	put_file("here", "x", 1, 1000);
	add_item(items, &n, "gone");
	add_item(items, &n, "here");
	unit_log_capture();
	CHECK_OK(write_to("out.gz", items, n, &st));
	CHECK(strstr(unit_log_output(),
		     "WARNING: File ignored: lstat gone: no such file or directory"));
	CHECK_INT(st.files, 1);
	CHECK_INT(st.ignored, 1);
	read_all("out.gz", &gz);
	CHECK_INT(decode(&gz, m, 2), 1);
	CHECK_STR(m[0].comment, "here");
	free_members(m, 1);
	buf_dispose(&gz);
}

TEST(gzipw_writes_to_a_pipe)
{
	struct sel_entry items[1];
	struct member m[1];
	struct buf gz = BUF_INIT;
	size_t n = 0;
	int p[2];
	char chunk[4096];
	ssize_t r;

	put_file("f", "through a pipe", 14, 1000);
	add_item(items, &n, "f");
	CHECK(pipe(p) == 0);
	CHECK_OK(gzipw_write_archive(p[1], items, n, NULL));
	close(p[1]);
	while ((r = read(p[0], chunk, sizeof(chunk))) > 0)
		buf_put(&gz, chunk, (size_t)r);
	close(p[0]);
	CHECK_INT(decode(&gz, m, 1), 1);
	CHECK(m[0].data.len == 14 && !memcmp(m[0].data.ptr, "through a pipe", 14));
	free_members(m, 1);
	buf_dispose(&gz);
}
