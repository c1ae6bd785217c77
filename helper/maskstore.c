#include "maskstore.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/base64.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../archive/spath.h"
#include "../git/fsutil.h"
#include "afile.h"
#include "buf.h"
#include "error.h"
#include "xchacha.h"

#define KEY_FILE_MODE 0644
#define DB_MODE 0666

static int random_bytes(unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return err_os("getrandom");
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

char *maskstore_key_path(const char *dir, const char *db_path)
{
	unsigned char sum[32];
	char name[7 + 64];
	char *path;

	mbedtls_sha256((const unsigned char *)db_path, strlen(db_path), sum, 0);
	memcpy(name, "runner", 6);
	for (size_t i = 0; i < sizeof(sum); i++) {
		name[6 + 2 * i] = "0123456789abcdef"[sum[i] >> 4];
		name[7 + 2 * i] = "0123456789abcdef"[sum[i] & 15];
	}
	name[6 + 64] = '\0';
	if (!(path = spath_join(dir, name)))
		err_set(CIH_ENOMEM, "out of memory");
	return path;
}

static int write_random_file(const char *path, mode_t mode)
{
	unsigned char key[MASKSTORE_KEY_LEN];
	struct afile f;
	int rc;

	if ((rc = random_bytes(key, sizeof(key))) < 0 || (rc = afile_create(&f, path)) < 0)
		return rc;
	if ((rc = afile_write(&f, key, sizeof(key))) < 0)
		afile_abort(&f);
	else
		rc = afile_commit(&f, mode);
	mbedtls_platform_zeroize(key, sizeof(key));
	return rc;
}

static int read_exact(int fd, unsigned char *p, size_t n, off_t at, const char *what)
{
	while (n > 0) {
		ssize_t got = pread(fd, p, n, at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return err_os("reading %s", what);
		if (got == 0)
			return err_set(CIH_ECORRUPT, "%s: shorter than its %d key bytes", what,
				       MASKSTORE_KEY_LEN);
		p += got, n -= (size_t)got, at += got;
	}
	return 0;
}

/* Key = A (masking.db's head) ^ B (the key file). */
static int derive_key(struct maskstore *s, const char *db_path, const char *key_path)
{
	unsigned char a[MASKSTORE_KEY_LEN], b[MASKSTORE_KEY_LEN];
	struct stat st;
	int kfd, rc;

	if (fstat(s->fd, &st) < 0)
		return err_os("stat %s", db_path);
	if (st.st_size == 0) {
		if ((rc = random_bytes(a, sizeof(a))) < 0)
			return rc;
		if (write(s->fd, a, sizeof(a)) != (ssize_t)sizeof(a) || fsync(s->fd) < 0)
			return err_os("writing store key to %s", db_path);
	}
	if ((rc = read_exact(s->fd, a, sizeof(a), 0, db_path)) < 0)
		return rc;
	if ((kfd = open(key_path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_os("reading key");
	rc = read_exact(kfd, b, sizeof(b), 0, key_path);
	close(kfd);
	for (size_t i = 0; rc == 0 && i < sizeof(a); i++)
		s->key[i] = a[i] ^ b[i];
	mbedtls_platform_zeroize(a, sizeof(a));
	mbedtls_platform_zeroize(b, sizeof(b));
	return rc;
}

int maskstore_open(struct maskstore *s, const char *dir)
{
	char *db = spath_join(dir, "masking.db"), *key = db ? maskstore_key_path(dir, db) : NULL;
	struct stat st;
	int rc = 0;

	s->fd = -1;
	if (!db || !key) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	if (*dir && gfs_mkdir_p(dir) < 0)
		err_clear(); /* as upstream: opening the store reports it */
	if (stat(db, &st) < 0) {
		if (errno != ENOENT) {
			rc = err_os("stat %s", db);
			goto out;
		}
		/* a new store gets a new key; the key file first, so that a store never
		 * exists without one */
		if ((rc = write_random_file(key, KEY_FILE_MODE)) < 0 ||
		    (rc = write_random_file(db, DB_MODE)) < 0) {
			err_prefix("writing key");
			goto out;
		}
	}
	if ((s->fd = open(db, O_RDWR | O_APPEND | O_CLOEXEC)) < 0) {
		rc = err_os("opening store file");
		goto out;
	}
	if ((rc = derive_key(s, db, key)) < 0)
		err_prefix("deriving key");
out:
	if (rc < 0)
		maskstore_close(s);
	free(db);
	free(key);
	return rc;
}

int maskstore_add(struct maskstore *s, const char *phrase, size_t len)
{
	size_t sealed_len = XCHACHA_NONCE_LEN + len + XCHACHA_TAG_LEN, b64_len;
	unsigned char *sealed = malloc(sealed_len);
	struct buf line = BUF_INIT;
	int rc;

	if (!sealed || buf_grow(&line, 4 * (sealed_len / 3 + 1) + 2) < 0) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = random_bytes(sealed, XCHACHA_NONCE_LEN)) < 0 ||
	    (rc = xchacha_seal(sealed + XCHACHA_NONCE_LEN, s->key, sealed, NULL, 0,
			       (const unsigned char *)phrase, len)) < 0)
		goto out;
	if (mbedtls_base64_encode((unsigned char *)line.ptr, line.cap, &b64_len, sealed,
				  sealed_len)) {
		rc = err_set(CIH_ERR, "base64 encoding failed");
		goto out;
	}
	line.ptr[b64_len] = '\n';
	/* one write per entry: with O_APPEND, lines never interleave */
	if (write(s->fd, line.ptr, b64_len + 1) != (ssize_t)(b64_len + 1) || fsync(s->fd) < 0)
		rc = err_os("writing to the masking store");
out:
	if (sealed)
		mbedtls_platform_zeroize(sealed, sealed_len);
	free(sealed);
	buf_dispose(&line);
	return rc;
}

static int open_line(struct maskstore *s, const char *b64, size_t n, struct buf *plain,
		     size_t lineno)
{
	size_t raw_len;
	unsigned char *raw = malloc(n);
	int rc = 0;

	buf_clear(plain);
	if (!raw || buf_grow(plain, n + 1) < 0) {
		rc = err_set(CIH_ENOMEM, "out of memory");
	} else if (mbedtls_base64_decode(raw, n, &raw_len, (const unsigned char *)b64, n) ||
		   raw_len < XCHACHA_NONCE_LEN + XCHACHA_TAG_LEN) {
		rc = err_set(CIH_ECORRUPT, "masking store entry %zu: not a sealed phrase", lineno);
	} else if (xchacha_open((unsigned char *)plain->ptr, s->key, raw, NULL, 0,
				raw + XCHACHA_NONCE_LEN, raw_len - XCHACHA_NONCE_LEN) < 0) {
		rc = err_prefix("masking store entry %zu", lineno);
	} else {
		plain->len = raw_len - XCHACHA_NONCE_LEN - XCHACHA_TAG_LEN;
		plain->ptr[plain->len] = '\0';
	}
	free(raw);
	return rc;
}

int maskstore_each(struct maskstore *s, int (*fn)(void *ctx, const char *phrase, size_t len),
		   void *ctx)
{
	struct buf all = BUF_INIT, plain = BUF_INIT;
	char chunk[8192];
	off_t at = MASKSTORE_KEY_LEN;
	size_t pos = 0, lineno = 0;
	ssize_t got;
	int rc = 0;

	while ((got = pread(s->fd, chunk, sizeof(chunk), at)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = err_os("reading the masking store");
			goto out;
		}
		if (buf_put(&all, chunk, (size_t)got) < 0) {
			rc = err_set(CIH_ENOMEM, "out of memory");
			goto out;
		}
		at += got;
	}
	while (rc == 0 && pos < all.len) {
		char *nl = memchr(all.ptr + pos, '\n', all.len - pos);
		size_t n = (nl ? (size_t)(nl - all.ptr) : all.len) - pos;

		lineno++;
		if ((rc = open_line(s, all.ptr + pos, n, &plain, lineno)) == 0)
			rc = fn(ctx, plain.ptr, plain.len);
		pos += n + 1;
	}
out:
	if (plain.ptr)
		mbedtls_platform_zeroize(plain.ptr, plain.cap);
	buf_dispose(&plain);
	buf_dispose(&all);
	return rc;
}

void maskstore_close(struct maskstore *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	mbedtls_platform_zeroize(s->key, sizeof(s->key));
}
