/* Cleaning: content in, its pointer out, the content kept in the store (what
 * `git-lfs clean`, filter-process and the libgit2 filter driver share). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../helper/error.h"
#include "../helper/fdio.h"
#include "lfs_internal.h"

int lfs_cleaner_begin(struct lfs_cleaner *c, const struct lfs_store *s)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	mbedtls_sha256_init(&c->sha);
	mbedtls_sha256_starts(&c->sha, 0);
	c->fd = lfs_store_tmpfile(s, &c->tmp);
	return c->fd < 0 ? c->fd : 0;
}

int lfs_cleaner_feed(struct lfs_cleaner *c, const void *data, size_t len)
{
	if (c->nhead < sizeof(c->head)) {
		size_t k = len < sizeof(c->head) - c->nhead ? len : sizeof(c->head) - c->nhead;

		memcpy(c->head + c->nhead, data, k);
		c->nhead += k;
	}
	mbedtls_sha256_update(&c->sha, data, len);
	c->size += (int64_t)len;
	return fdio_write_all(c->fd, data, len) < 0 ? err_os("cannot write an LFS object") : 0;
}

int lfs_cleaner_finish(struct lfs_cleaner *c, char *text, size_t size)
{
	struct lfs_pointer p = { 0 };
	unsigned char d[32];

	/* a pointer given as content stays itself */
	if (c->size > 0 && c->size < LFS_POINTER_MAX && lfs_pointer_parse(c->head, (size_t)c->size, &p)) {
		if ((size_t)c->size > size)
			return err_set(CIH_ETOOBIG, "pointer buffer too small");
		memcpy(text, c->head, (size_t)c->size);
		return (int)c->size;
	}
	mbedtls_sha256_finish(&c->sha, d);
	lfs_oid_hex(d, p.oid);
	p.size = c->size;
	if (c->size > 0 && !lfs_store_has(c->s, p.oid, p.size)) {
		close(c->fd);
		c->fd = -1;
		if (lfs_store_commit(c->s, c->tmp, p.oid) < 0)
			return err_last()->code;
	}
	{
		int len = lfs_pointer_format(&p, text, size);

		return len < 0 ? err_set(CIH_ETOOBIG, "pointer buffer too small") : len;
	}
}

void lfs_cleaner_dispose(struct lfs_cleaner *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->tmp) {
		unlink(c->tmp); /* nothing there after a commit */
		free(c->tmp);
		c->tmp = NULL;
	}
	mbedtls_sha256_free(&c->sha);
}
