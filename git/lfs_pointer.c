#include "lfs_pointer.h"

#include <stdio.h>
#include <string.h>

const char lfs_empty_oid[LFS_OID_HEX + 1] =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static const char latest_version[] = "https://git-lfs.github.com/spec/v1";
/* the URLs v1 pointers were written with, oldest first (git-lfs reads them all) */
static const char *const versions[] = {
	"http://git-media.io/v/2",
	"https://hawser.github.com/spec/v1",
	latest_version,
};

void lfs_oid_hex(const unsigned char digest[32], char out[LFS_OID_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 15];
	}
	out[LFS_OID_HEX] = '\0';
}

bool lfs_oid_valid(const char *s, size_t len)
{
	if (len != LFS_OID_HEX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The next line: [*pos, nl) holds "key value"; false without a '\n'. */
static bool next_line(const char *d, size_t len, size_t *pos, const char **key, size_t *klen,
		      const char **val, size_t *vlen)
{
	const char *s = d + *pos, *nl = memchr(s, '\n', len - *pos), *sp;

	if (!nl)
		return false;
	sp = memchr(s, ' ', (size_t)(nl - s));
	if (!sp || sp == s || sp + 1 == nl)
		return false;
	*key = s;
	*klen = (size_t)(sp - s);
	*val = sp + 1;
	*vlen = (size_t)(nl - sp - 1);
	*pos = (size_t)(nl - d) + 1;
	return true;
}

static bool is_key(const char *k, size_t klen, const char *want)
{
	return klen == strlen(want) && !memcmp(k, want, klen);
}

/* "sha256:<oid>" */
static bool parse_oid(const char *v, size_t vlen, char out[LFS_OID_HEX + 1])
{
	if (vlen != 7 + LFS_OID_HEX || memcmp(v, "sha256:", 7) || !lfs_oid_valid(v + 7, LFS_OID_HEX))
		return false;
	memcpy(out, v + 7, LFS_OID_HEX);
	out[LFS_OID_HEX] = '\0';
	return true;
}

/* ext-<digit>-<name>: the name in the characters keys may use */
static bool parse_ext_key(const char *k, size_t klen, struct lfs_ext *e)
{
	size_t n = klen - 6;

	if (klen < 7 || memcmp(k, "ext-", 4) || k[4] < '0' || k[4] > '9' || k[5] != '-' ||
	    n > LFS_EXT_NAME_MAX)
		return false;
	for (size_t i = 6; i < klen; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      (i > 6 && (c == '.' || c == '-'))))
			return false;
	}
	e->priority = k[4] - '0';
	memcpy(e->name, k + 6, n);
	e->name[n] = '\0';
	return true;
}

/* A decimal without sign or leading zeros, fitting int64_t. */
static bool parse_size(const char *v, size_t vlen, int64_t *out)
{
	int64_t n = 0;

	if (vlen == 0 || vlen > 19 || (v[0] == '0' && vlen > 1))
		return false;
	for (size_t i = 0; i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (INT64_MAX - (v[i] - '0')) / 10)
			return false;
		n = n * 10 + (v[i] - '0');
	}
	*out = n;
	return true;
}

int lfs_pointer_parse(const void *data, size_t len, struct lfs_pointer *p)
{
	const char *d = data, *k, *v;
	size_t pos = 0, klen, vlen;
	bool known = false;

	memset(p, 0, sizeof(*p));
	if (len == 0) {
		memcpy(p->oid, lfs_empty_oid, sizeof(p->oid));
		return 1;
	}
	if (len >= LFS_POINTER_MAX || d[len - 1] != '\n' || memchr(d, '\r', len) || memchr(d, '\0', len))
		return 0;
	if (!next_line(d, len, &pos, &k, &klen, &v, &vlen) || !is_key(k, klen, "version"))
		return 0;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		known |= vlen == strlen(versions[i]) && !memcmp(v, versions[i], vlen);
	if (!known || !next_line(d, len, &pos, &k, &klen, &v, &vlen))
		return 0;
	while (klen > 4 && !memcmp(k, "ext-", 4)) {
		struct lfs_ext *e = &p->ext[p->next];

		if (p->next == LFS_EXT_MAX || !parse_ext_key(k, klen, e) || !parse_oid(v, vlen, e->oid) ||
		    (p->next > 0 && e->priority <= p->ext[p->next - 1].priority))
			return 0;
		p->next++;
		if (!next_line(d, len, &pos, &k, &klen, &v, &vlen))
			return 0;
	}
	if (!is_key(k, klen, "oid") || !parse_oid(v, vlen, p->oid) ||
	    !next_line(d, len, &pos, &k, &klen, &v, &vlen) || !is_key(k, klen, "size") ||
	    !parse_size(v, vlen, &p->size) || pos != len)
		return 0;
	return 1;
}

int lfs_pointer_format(const struct lfs_pointer *p, char *out, size_t outsz)
{
	size_t n = 0;
	int w;

	if (p->size == 0) { /* git-lfs encodes every empty object as nothing */
		if (outsz < 1)
			return -1;
		out[0] = '\0';
		return 0;
	}
	w = snprintf(out, outsz, "version %s\n", latest_version);
	if (w < 0 || (size_t)w >= outsz)
		return -1;
	n = (size_t)w;
	for (int i = 0; i < p->next; i++) {
		w = snprintf(out + n, outsz - n, "ext-%d-%s sha256:%s\n", p->ext[i].priority,
			     p->ext[i].name, p->ext[i].oid);
		if (w < 0 || (size_t)w >= outsz - n)
			return -1;
		n += (size_t)w;
	}
	w = snprintf(out + n, outsz - n, "oid sha256:%s\nsize %lld\n", p->oid, (long long)p->size);
	if (w < 0 || (size_t)w >= outsz - n)
		return -1;
	return (int)(n + (size_t)w);
}
