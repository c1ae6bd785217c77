#include <fcntl.h>
#include <mbedtls/base64.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../helper/buf.h"
#include "../../helper/maskstore.h"
#include "../../helper/xchacha.h"
#include "unit.h"

static void slurp(const char *path, struct buf *out)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		unit_fail(__FILE__, __LINE__, "cannot open %s", path);
	buf_clear(out);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_put(out, chunk, (size_t)n);
	close(fd);
}

/* "d/runner" + hex sha256 of "d/masking.db", computed here, not by the store. */
static const char *key_file(const char *dir)
{
	static char path[256];
	unsigned char sum[32];
	char db[128];
	int n;

	snprintf(db, sizeof(db), "%s/masking.db", dir);
	mbedtls_sha256((const unsigned char *)db, strlen(db), sum, 0);
	n = snprintf(path, sizeof(path), "%s/runner", dir);
	for (int i = 0; i < 32; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "%02x", sum[i]);
	return path;
}

/* Decrypts masking.db with the key file, without the store's code: "p1|p2|". */
static void decrypt_by_hand(const char *dir, struct buf *out)
{
	struct buf db = BUF_INIT, kf = BUF_INIT;
	unsigned char key[32], raw[512], plain[512];
	char path[128];
	size_t pos = 32, raw_len;

	snprintf(path, sizeof(path), "%s/masking.db", dir);
	slurp(path, &db);
	slurp(key_file(dir), &kf);
	CHECK_INT(kf.len, 32);
	CHECK(db.len >= 32);
	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)(db.ptr[i] ^ kf.ptr[i]);
	buf_clear(out);
	buf_puts(out, "");
	while (pos < db.len) {
		char *nl = memchr(db.ptr + pos, '\n', db.len - pos);

		CHECK(nl);
		CHECK(mbedtls_base64_decode(raw, sizeof(raw), &raw_len, (unsigned char *)db.ptr + pos,
					    (size_t)(nl - db.ptr) - pos) == 0);
		CHECK(raw_len >= 24 + 16);
		CHECK_OK(xchacha_open(plain, key, raw, NULL, 0, raw + 24, raw_len - 24));
		buf_put(out, plain, raw_len - 24 - 16);
		buf_putc(out, '|');
		pos = (size_t)(nl - db.ptr) + 1;
	}
	buf_dispose(&db);
	buf_dispose(&kf);
}

static int collect(void *ctx, const char *phrase, size_t len)
{
	buf_put(ctx, phrase, len);
	buf_putc(ctx, '|');
	return 0;
}

static const char *list(struct maskstore *s, struct buf *out)
{
	buf_clear(out);
	buf_puts(out, "");
	CHECK_OK(maskstore_each(s, collect, out));
	return buf_cstr(out);
}

TEST(maskstore_format_and_read_back)
{
	struct maskstore s;
	struct buf got = BUF_INIT, key1 = BUF_INIT, key2 = BUF_INIT;
	struct stat st;

	CHECK_OK(maskstore_open(&s, "d/"));
	CHECK_STR(list(&s, &got), "");
	CHECK_OK(maskstore_add(&s, "alpha", 5));
	CHECK_OK(maskstore_add(&s, "beta\0gamma", 10));
	maskstore_close(&s);

	CHECK(stat("d/masking.db", &st) == 0);
	CHECK_INT(st.st_mode & 07777, 0666);
	CHECK(stat(key_file("d"), &st) == 0);
	CHECK_INT(st.st_mode & 07777, 0644);
	decrypt_by_hand("d", &got);
	CHECK(got.len == 17 && !memcmp(got.ptr, "alpha|beta\0gamma|", 17));

	/* reopened: same key, the phrases are there, new ones append */
	slurp(key_file("d"), &key1);
	CHECK_OK(maskstore_open(&s, "d"));
	list(&s, &got);
	CHECK(got.len == 17 && !memcmp(got.ptr, "alpha|beta\0gamma|", 17));
	CHECK_OK(maskstore_add(&s, "delta", 5));
	maskstore_close(&s);
	slurp(key_file("d"), &key2);
	CHECK(key1.len == 32 && key2.len == 32 && !memcmp(key1.ptr, key2.ptr, 32));
	decrypt_by_hand("d", &got);
	CHECK(got.len == 23 && !memcmp(got.ptr + 17, "delta|", 6));

	/* a store made anew gets a new key file */
	CHECK(unlink("d/masking.db") == 0);
	CHECK_OK(maskstore_open(&s, "d"));
	CHECK_STR(list(&s, &got), "");
	maskstore_close(&s);
	slurp(key_file("d"), &key2);
	CHECK(memcmp(key1.ptr, key2.ptr, 32));
	buf_dispose(&got);
	buf_dispose(&key1);
	buf_dispose(&key2);
}

TEST(maskstore_in_the_working_directory)
{
	struct maskstore s;
	struct stat st;
	char want[80] = "runner";
	unsigned char sum[32];

	CHECK_OK(maskstore_open(&s, ""));
	maskstore_close(&s);
	mbedtls_sha256((const unsigned char *)"masking.db", 10, sum, 0);
	for (int i = 0; i < 32; i++)
		snprintf(want + 6 + 2 * i, 3, "%02x", sum[i]);
	CHECK(stat("masking.db", &st) == 0);
	CHECK(stat(want, &st) == 0);
}

TEST(maskstore_damage_is_an_error)
{
	struct maskstore s;
	struct buf got = BUF_INIT;
	int fd;

	CHECK_OK(maskstore_open(&s, "d"));
	CHECK_OK(maskstore_add(&s, "alpha", 5));
	maskstore_close(&s);

	/* a changed ciphertext byte fails authentication (a base64 digit that differs
	 * from the one there: writing a fixed 'A' changed nothing one time in 64) */
	char c;
	fd = open("d/masking.db", O_RDWR);
	CHECK(pread(fd, &c, 1, 32 + 40) == 1);
	c = c == 'A' ? 'B' : 'A';
	CHECK(pwrite(fd, &c, 1, 32 + 40) == 1);
	close(fd);
	CHECK_OK(maskstore_open(&s, "d"));
	CHECK_FAILS(maskstore_each(&s, collect, &got), CIH_ECORRUPT);
	CHECK_ERR("masking store entry 1");
	maskstore_close(&s);

	/* not base64 */
	unit_write_file("d/masking.db", "0123456789abcdef0123456789abcdef!!!\n");
	CHECK_OK(maskstore_open(&s, "d"));
	CHECK_FAILS(maskstore_each(&s, collect, &got), CIH_ECORRUPT);
	maskstore_close(&s);

	/* the key file is gone while the store is not */
	CHECK(unlink(key_file("d")) == 0);
	CHECK_FAILS(maskstore_open(&s, "d"), CIH_EOS);
	CHECK_ERR("deriving key");

	/* a head shorter than a key */
	unit_write_file("d/masking.db", "short");
	unit_write_file(key_file("d"), "0123456789abcdef0123456789abcdef");
	CHECK_FAILS(maskstore_open(&s, "d"), CIH_ECORRUPT);
	buf_dispose(&got);
}
