#include "spath.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/error.h"

static char *oom(void)
{
	err_set(CIH_ENOMEM, "out of memory");
	return NULL;
}

/* path.Clean: one pass over the elements, like Go's lazybuf version. */
char *spath_clean(const char *path)
{
	size_t n = strlen(path), r = 0, w = 0, dotdot = 0;
	bool rooted = n && path[0] == '/';
	char *out;

	if (!n)
		return (out = strdup(".")) ? out : oom();
	if (!(out = malloc(n + 2)))
		return oom();
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

char *spath_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *tmp, *out;

	if (!la && !lb)
		return (out = strdup("")) ? out : oom();
	if (!(tmp = malloc(la + lb + 2)))
		return oom();
	memcpy(tmp, a, la);
	if (la && lb)
		tmp[la++] = '/';
	memcpy(tmp + la, b, lb + 1);
	out = spath_clean(tmp);
	free(tmp);
	return out;
}

char *spath_abs(const char *wd, const char *path)
{
	return path[0] == '/' ? spath_clean(path) : spath_join(wd, path);
}

/* filepath.Rel, specialised for two absolute inputs (it cannot fail then). */
char *spath_rel(const char *base, const char *target)
{
	char *b = spath_clean(base), *t = spath_clean(target), *out = NULL;
	size_t bl, tl, b0 = 0, bi = 0, t0 = 0, ti = 0, seps = 0, n = 0;

	if (!b || !t)
		goto done;
	if (!strcmp(b, t)) {
		out = strdup(".");
		goto done;
	}
	bl = strlen(b);
	tl = strlen(t);
	for (;;) {
		while (bi < bl && b[bi] != '/')
			bi++;
		while (ti < tl && t[ti] != '/')
			ti++;
		if (bi - b0 != ti - t0 || memcmp(b + b0, t + t0, bi - b0))
			break;
		if (bi < bl)
			bi++;
		if (ti < tl)
			ti++;
		b0 = bi;
		t0 = ti;
	}
	if (b0 == bl) {
		out = strdup(t + t0);
		goto done;
	}
	for (size_t i = b0; i < bl; i++)
		seps += b[i] == '/';
	if (!(out = malloc(3 * (seps + 1) + (tl - t0) + 2)))
		goto done;
	memcpy(out, "..", 2);
	n = 2;
	for (size_t i = 0; i < seps; i++, n += 3)
		memcpy(out + n, "/..", 3);
	if (t0 != tl) {
		out[n++] = '/';
		memcpy(out + n, t + t0, tl - t0);
		n += tl - t0;
	}
	out[n] = '\0';
done:
	free(b);
	free(t);
	return out ? out : oom();
}
