#include "gobj.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned long packed_objects(git_repository *repo)
{
	char dir[4096];
	unsigned long count = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%sobjects/pack", git_repository_commondir(repo));
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		unsigned char hdr[8 + 256 * 4];
		char p[4400];
		FILE *f;

		if (n < 5 || strcmp(e->d_name + n - 4, ".idx"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (!(f = fopen(p, "rb")))
			continue;
		/* v2 index: magic, version, then the 256-entry fanout; its last entry is the count */
		if (fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr) && !memcmp(hdr, "\377tOc", 4)) {
			const unsigned char *c = hdr + 8 + 255 * 4;

			count += (unsigned long)c[0] << 24 | (unsigned long)c[1] << 16 | (unsigned long)c[2] << 8 | c[3];
		}
		fclose(f);
	}
	closedir(d);
	return count;
}

static int auto_len(git_repository *repo)
{
	git_config *cfg = NULL;
	int32_t v = -1;
	int len;
	unsigned long count;

	if (git_repository_config_snapshot(&cfg, repo) == 0) {
		git_buf s = GIT_BUF_INIT;

		if (git_config_get_string_buf(&s, cfg, "core.abbrev") == 0) {
			if (!strcmp(s.ptr, "no"))
				v = GIT_OID_SHA1_HEXSIZE;
			else if (strcmp(s.ptr, "auto"))
				git_config_get_int32(&v, cfg, "core.abbrev");
		}
		git_buf_dispose(&s);
		git_config_free(cfg);
	}
	if (v >= 4)
		return v > GIT_OID_SHA1_HEXSIZE ? GIT_OID_SHA1_HEXSIZE : v;
	count = packed_objects(repo);
	for (len = 0; count; count >>= 1)
		len++;
	len = (len + 1) / 2;
	return len < 7 ? 7 : len;
}

void gobj_abbrev(git_repository *repo, const git_oid *id, char out[GOBJ_HEX_MAX])
{
	git_odb *odb = NULL;
	int len = auto_len(repo);

	git_oid_tostr(out, GOBJ_HEX_MAX, id);
	if (git_repository_odb(&odb, repo) == 0) {
		git_oid full;

		for (; len < GIT_OID_SHA1_HEXSIZE; len++) {
			git_oid prefix;

			if (git_oid_fromstrn(&prefix, out, (size_t)len) < 0 ||
			    git_odb_exists_prefix(&full, odb, &prefix, (size_t)len) != GIT_EAMBIGUOUS)
				break;
		}
		git_odb_free(odb);
	}
	out[len] = '\0';
}

void gobj_oneline(git_repository *repo, const git_oid *id, char *out, size_t n)
{
	char hex[GOBJ_HEX_MAX];
	git_commit *c = NULL;
	const char *msg = "";
	size_t sl;

	gobj_abbrev(repo, id, hex);
	if (git_commit_lookup(&c, repo, id) == 0 && git_commit_message(c))
		msg = git_commit_message(c);
	/* the subject: the first paragraph, its lines joined with spaces */
	sl = strcspn(msg, "\n");
	while (msg[sl] == '\n' && msg[sl + 1] && msg[sl + 1] != '\n')
		sl += 1 + strcspn(msg + sl + 1, "\n");
	{
		size_t k = (size_t)snprintf(out, n, "%s ", hex);

		for (size_t i = 0; i < sl && k + 1 < n; i++)
			out[k++] = msg[i] == '\n' ? ' ' : msg[i];
		out[k < n ? k : n - 1] = '\0';
	}
	git_commit_free(c);
}
