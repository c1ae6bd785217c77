/* Blob contents (untrusted: any file in any repository) through the Git LFS
 * pointer parser (git/lfs_pointer.c), as the smudge/checkout paths read them.
 * Checks on what parses: the fields are in range; the pointer formats (and not
 * into a buffer one byte short); the text formatted parses back to the same
 * pointer; a pointer written with the latest version URL is its own canonical
 * text, byte for byte. A pointer of size 0 formats to the empty text (git-lfs
 * writes every empty object so), whose pointer is the empty file's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../git/lfs_pointer.h"

static const char latest[] = "version https://git-lfs.github.com/spec/v1\n";

static void check_fields(const struct lfs_pointer *p)
{
	if (!lfs_oid_valid(p->oid, strlen(p->oid)) || p->size < 0 || p->next < 0 ||
	    p->next > LFS_EXT_MAX)
		abort();
	for (int i = 0; i < p->next; i++) {
		const struct lfs_ext *e = &p->ext[i];

		if (e->priority < 0 || e->priority > 9 || (i && e->priority <= p->ext[i - 1].priority) ||
		    !*e->name || strlen(e->name) > LFS_EXT_NAME_MAX ||
		    !lfs_oid_valid(e->oid, strlen(e->oid)))
			abort();
	}
}

static void same(const struct lfs_pointer *a, const struct lfs_pointer *b)
{
	if (strcmp(a->oid, b->oid) || a->size != b->size || a->next != b->next)
		abort();
	for (int i = 0; i < a->next; i++)
		if (a->ext[i].priority != b->ext[i].priority || strcmp(a->ext[i].name, b->ext[i].name) ||
		    strcmp(a->ext[i].oid, b->ext[i].oid))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lfs_pointer p, q;
	char text[2 * LFS_POINTER_MAX], small[2 * LFS_POINTER_MAX];
	bool canonical = size >= sizeof(latest) - 1 && !memcmp(data, latest, sizeof(latest) - 1);
	int n;

	if (!lfs_pointer_parse(data, size, &p))
		return 0;
	check_fields(&p);
	if (size == 0 && (p.size != 0 || p.next != 0 || strcmp(p.oid, lfs_empty_oid)))
		abort();
	if ((n = lfs_pointer_format(&p, text, sizeof(text))) < 0 || strlen(text) != (size_t)n)
		abort();
	/* exactly big enough works, a byte short does not */
	if (lfs_pointer_format(&p, small, (size_t)n + 1) != n || memcmp(small, text, (size_t)n + 1) ||
	    lfs_pointer_format(&p, small, (size_t)n) >= 0)
		abort();
	if (p.size == 0) {
		if (n != 0 || !lfs_pointer_parse(text, 0, &q) || q.size != 0 || q.next != 0 ||
		    strcmp(q.oid, lfs_empty_oid))
			abort();
		return 0;
	}
	if (canonical && ((size_t)n != size || memcmp(text, data, size)))
		abort();
	/* The older version URLs are shorter (git-media's by 11 bytes, hawser's by 1):
	 * a pointer of theirs just under 1024 bytes (many long extension names) has a
	 * canonical text of 1024 or more, which is not a pointer, for git-lfs too. */
	if (n >= LFS_POINTER_MAX) {
		if (canonical || (size_t)n > size + 11)
			abort();
		return 0;
	}
	if (!lfs_pointer_parse(text, (size_t)n, &q))
		abort();
	same(&p, &q);
	return 0;
}
