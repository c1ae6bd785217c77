/* URLs from .gitmodules and remote/credential config (untrusted) through git's
 * urlmatch normalisation (git/gurl_norm.c). The first byte picks allow_globs.
 * Checks: the offsets lie in the result; normalising it again changes nothing
 * unless it has no host or its host holds a ':' (url_normalize of git's
 * urlmatch.c is not idempotent there; neither is this); a URL matches itself
 * as a pattern. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../git/gurl.h"

static void in_range(const struct gurl_info *i, size_t off, size_t len)
{
	if (off > i->url_len || len > i->url_len - off)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gurl_info a, b = { 0 };
	struct gurl_match m;
	int globs;
	char *s;

	if (size < 1)
		return 0;
	globs = data[0] & 1;
	if (!(s = malloc(size)))
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (gurl_normalize(s, globs, &a) == 0) {
		if (strlen(a.url) != a.url_len)
			abort();
		in_range(&a, 0, a.scheme_len);
		in_range(&a, a.user_off, a.user_len);
		in_range(&a, a.passwd_off, a.passwd_len);
		in_range(&a, a.host_off, a.host_len);
		in_range(&a, a.port_off, a.port_len);
		in_range(&a, a.path_off, a.path_len);
		/* as git's, a host with a ':' of its own normalises again differently
		 * ("http://[::" gives "http://[:/", then "http://[/"), and so may a
		 * file: URL without a host ("file://u@:x://" keeps ":x", then takes
		 * it for a port); others are fixed points */
		if (a.host_off && !memchr(a.url + a.host_off, ':', a.host_len) &&
		    (gurl_normalize(a.url, globs, &b) != 0 || strcmp(a.url, b.url)))
			abort();
		if (!gurl_match(&a, &a, &m) || gurl_match_cmp(&m, &m))
			abort();
		gurl_info_dispose(&b);
	}
	gurl_info_dispose(&a);
	free(s);
	return 0;
}
