/* doublestar v4 Match, ported line by line (separator '/', case-sensitive). */
#include "glob.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/error.h"
#include "glob_internal.h"

#define BAD (-2) /* internal: ErrBadPattern */
#define NOMEM (-3)

/* utf8.DecodeRuneInString: invalid or short sequences decode as U+FFFD, length 1. */
static long rune_at(const char *s, size_t len, size_t i, size_t *size)
{
	const unsigned char *p = (const unsigned char *)s + i;
	size_t left = len - i, n;
	long r;

	*size = 1;
	if (p[0] < 0x80)
		return p[0];
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, r = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, r = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, r = p[0] & 0x07;
	else
		return 0xfffd;
	if (left < n)
		return 0xfffd;
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0xfffd;
		r = r << 6 | (p[k] & 0x3f);
	}
	if ((n == 3 && (r < 0x800 || (r >= 0xd800 && r <= 0xdfff))) || (n == 4 && (r < 0x10000 || r > 0x10ffff)))
		return 0xfffd;
	*size = n;
	return r;
}

static int index_unescaped_byte(const char *s, size_t len, char c)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == c)
			return (int)i;
	}
	return -1;
}

/* Index of the '}' closing an already opened '{', skipping nested pairs. */
static long index_matched_closing_alt(const char *s, size_t len)
{
	int alts = 1;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '{')
			alts++;
		else if (s[i] == '}' && --alts == 0)
			return (long)i;
	}
	return -1;
}

/* Index of the next top-level ','. */
long glob_next_alt(const char *s, size_t len)
{
	int alts = 1;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '{')
			alts++;
		else if (s[i] == '}')
			alts--;
		else if (s[i] == ',' && alts == 1)
			return (long)i;
	}
	return -1;
}

static bool valid_n(const char *s, size_t l)
{
	int depth = 0;

	for (size_t i = 0; i < l; i++) {
		switch (s[i]) {
		case '\\':
			if (++i >= l)
				return false;
			break;
		case '[':
			if (++i >= l)
				return false;
			if (s[i] == '^' || s[i] == '!')
				i++;
			if (i >= l || s[i] == ']')
				return false;
			for (; i < l; i++) {
				if (s[i] == '\\')
					i++;
				else if (s[i] == ']')
					break;
			}
			if (i >= l)
				return false;
			break;
		case '{':
			depth++;
			break;
		case '}':
			if (depth == 0)
				return false;
			depth--;
			break;
		}
	}
	return depth == 0;
}

int glob_valid(const char *pattern)
{
	return valid_n(pattern, strlen(pattern));
}

/* pattern[:cut1] + pattern[from:to] + pattern[rest:] */
static char *splice(const char *p, size_t cut1, size_t from, size_t to, size_t rest, size_t len)
{
	size_t n = cut1 + (to - from) + (len - rest);
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, p, cut1);
	memcpy(s + cut1, p + from, to - from);
	memcpy(s + cut1 + (to - from), p + rest, len - rest);
	s[n] = '\0';
	return s;
}

static int zero_length(const char *p, size_t len, bool validate)
{
	switch (len) {
	case 0:
		return 1;
	case 1:
		if (p[0] == '*')
			return 1;
		break;
	case 2:
		if (!memcmp(p, "**", 2))
			return 1;
		break;
	case 3:
		if (!memcmp(p, "/**", 3) || !memcmp(p, "**/", 3))
			return 1;
		break;
	case 4:
		if (!memcmp(p, "/**/", 4))
			return 1;
		break;
	}
	if (p[0] == '{') {
		long close = index_matched_closing_alt(p + 1, len - 1);
		size_t pi = 1;

		if (close < 0)
			return BAD;
		close += 1;
		for (;;) {
			long comma = glob_next_alt(p + pi, (size_t)close - pi);
			size_t end = comma < 0 ? (size_t)close : pi + (size_t)comma;
			char *alt = splice(p, 0, pi, end, (size_t)close + 1, len);
			int rc;

			if (!alt)
				return NOMEM;
			rc = zero_length(alt, strlen(alt), validate);
			free(alt);
			if (rc != 0 || comma < 0)
				return rc;
			pi = end + 1;
		}
	}
	if (validate && !valid_n(p, len))
		return BAD;
	return 0;
}

struct bt {
	long dpat, dname, spat, sname;
};

static int do_match(const char *pat, const char *name, bool validate, struct bt b, size_t pi, size_t ni)
{
	size_t plen = strlen(pat), nlen = strlen(name), rl, nl;
	bool start = true;
	long pr, nr;

match:
	while (ni < nlen) {
		if (pi < plen) {
			switch (pat[pi]) {
			case '*':
				if (++pi < plen && pat[pi] == '*') {
					pi++;
					if (start) {
						if (pi >= plen)
							return 1;
						if (pat[pi] == '/') {
							pi++;
							b.dpat = (long)pi;
							b.dname = (long)ni;
							b.spat = b.sname = -1;
							continue;
						}
					}
				}
				start = false;
				b.spat = (long)pi;
				b.sname = (long)ni;
				continue;
			case '?':
				start = false;
				nr = rune_at(name, nlen, ni, &nl);
				if (nr == '/')
					break;
				pi++;
				ni += nl;
				continue;
			case '[': {
				bool matched = false, negate;
				long last = 0x10ffff;
				long close;

				start = false;
				if (++pi >= plen)
					return BAD;
				nr = rune_at(name, nlen, ni, &nl);
				negate = pat[pi] == '!' || pat[pi] == '^';
				if (negate)
					pi++;
				if (pi >= plen || pat[pi] == ']')
					return BAD;
				while (pi < plen && pat[pi] != ']') {
					pr = rune_at(pat, plen, pi, &rl);
					pi += rl;
					if (last < 0x10ffff && pr == '-' && pi < plen && pat[pi] != ']') {
						if (pat[pi] == '\\')
							pi++;
						pr = rune_at(pat, plen, pi, &rl);
						pi += rl;
						if (last <= nr && nr <= pr) {
							matched = true;
							break;
						}
						last = 0x10ffff;
						continue;
					}
					if (pr == '\\') {
						pr = rune_at(pat, plen, pi, &rl);
						pi += rl;
					}
					if (pr == nr) {
						matched = true;
						break;
					}
					last = pr;
				}
				if (matched == negate) {
					if (pi >= plen)
						return BAD;
					break;
				}
				close = index_unescaped_byte(pat + pi, plen - pi, ']');
				if (close < 0)
					return BAD;
				pi += (size_t)close + 1;
				ni += nl;
				continue;
			}
			case '{': {
				size_t before = pi;
				long close;

				start = false;
				pi++;
				close = index_matched_closing_alt(pat + pi, plen - pi);
				if (close < 0)
					return BAD;
				close += (long)pi;
				for (;;) {
					long comma = glob_next_alt(pat + pi, (size_t)close - pi);
					size_t end = comma < 0 ? (size_t)close : pi + (size_t)comma;
					char *alt = splice(pat, before, pi, end, (size_t)close + 1, plen);
					int rc;

					if (!alt)
						return NOMEM;
					rc = do_match(alt, name, validate, b, before, ni);
					free(alt);
					if (rc != 0 || comma < 0)
						return rc;
					pi = end + 1;
				}
			}
			case '\\':
				if (++pi >= plen)
					return BAD;
				/* fall through */
			default:
				pr = rune_at(pat, plen, pi, &rl);
				nr = rune_at(name, nlen, ni, &nl);
				if (pr != nr) {
					if (pi > 0 && pat[pi - 1] == '\\')
						pi--;
					break;
				}
				pi += rl;
				ni += nl;
				start = pr == '/';
				continue;
			}
		}
		if (b.spat >= 0) {
			nr = rune_at(name, nlen, (size_t)b.sname, &nl);
			if (nr != '/') {
				b.sname += (long)nl;
				pi = (size_t)b.spat;
				ni = (size_t)b.sname;
				start = false;
				continue;
			}
		}
		if (b.dpat >= 0) {
			ni = (size_t)b.dname;
			while (ni < nlen) {
				nr = rune_at(name, nlen, ni, &nl);
				ni += nl;
				if (nr == '/') {
					b.dname = (long)ni;
					pi = (size_t)b.dpat;
					start = true;
					goto match;
				}
			}
		}
		if (validate && pi < plen && !valid_n(pat + pi, plen - pi))
			return BAD;
		return 0;
	}
	return zero_length(pat + pi, plen - pi, validate);
}

int glob_match(const char *pattern, const char *name)
{
	struct bt b = { -1, -1, -1, -1 };
	int rc = do_match(pattern, name, true, b, 0, 0);

	if (rc == BAD)
		return err_set(CIH_EUSAGE, "syntax error in pattern");
	if (rc == NOMEM)
		return err_set(CIH_ENOMEM, "out of memory");
	return rc;
}

int glob_match_unvalidated(const char *pattern, const char *name)
{
	struct bt b = { -1, -1, -1, -1 };
	int rc = do_match(pattern, name, false, b, 0, 0);

	if (rc == BAD)
		return err_set(CIH_EUSAGE, "syntax error in pattern");
	if (rc == NOMEM)
		return err_set(CIH_ENOMEM, "out of memory");
	return rc;
}
