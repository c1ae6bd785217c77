/* doublestar v4 semantics: its own test table for Match, ValidatePattern and
 * FilepathGlob (with and without WithNoFollow), SplitPattern, and the path helpers. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../archive/glob.h"
#include "../../archive/spath.h"
#include "unit.h"

struct ds_case {
	const char *pattern, *path;
	int match, glob_lists, bad, on_disk, results, io_error;
};

/* Generated from doublestar v4 doublestar_test.go matchTests (pattern, path, match,
 * glob should list path, bad pattern, on disk, number of Glob results, needs an
 * I/O error). */
static const struct ds_case ds_cases[] = {
	{ "", "", 1, 0, 0, 1, 0, 1 },
	{ "*", "", 1, 1, 0, 0, 0, 0 },
	{ "*", "/", 0, 0, 0, 0, 0, 0 },
	{ "/*", "/", 1, 1, 0, 0, 0, 0 },
	{ "/*", "/debug/", 0, 0, 0, 0, 0, 0 },
	{ "/*", "//", 0, 0, 0, 0, 0, 0 },
	{ "abc", "abc", 1, 1, 0, 1, 1, 0 },
	{ "*", "abc", 1, 1, 0, 1, 24, 0 },
	{ "*c", "abc", 1, 1, 0, 1, 2, 0 },
	{ "*/", "a/", 1, 1, 0, 0, 0, 0 },
	{ "a*", "a", 1, 1, 0, 1, 9, 0 },
	{ "a*", "abc", 1, 1, 0, 1, 9, 0 },
	{ "a*", "ab/c", 0, 0, 0, 1, 9, 0 },
	{ "a*/b", "abc/b", 1, 1, 0, 1, 2, 0 },
	{ "a*/b", "a/c/b", 0, 0, 0, 1, 2, 0 },
	{ "a*/c/", "a/b", 0, 0, 0, 1, 1, 0 },
	{ "a*b*c*d*e*", "axbxcxdxe", 1, 1, 0, 1, 3, 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxe/f", 1, 1, 0, 1, 2, 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxexxx/f", 1, 1, 0, 1, 2, 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0, 0, 0, 1, 2, 0 },
	{ "a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0, 0, 0, 1, 2, 0 },
	{ "a*b?c*x", "abxbbxdbxebxczzx", 1, 1, 0, 1, 2, 0 },
	{ "a*b?c*x", "abxbbxdbxebxczzy", 0, 0, 0, 1, 2, 0 },
	{ "ab[c]", "abc", 1, 1, 0, 1, 1, 0 },
	{ "ab[b-d]", "abc", 1, 1, 0, 1, 1, 0 },
	{ "ab[e-g]", "abc", 0, 0, 0, 1, 0, 0 },
	{ "ab[^c]", "abc", 0, 0, 0, 1, 0, 0 },
	{ "ab[^b-d]", "abc", 0, 0, 0, 1, 0, 0 },
	{ "ab[^e-g]", "abc", 1, 1, 0, 1, 1, 0 },
	{ "a\\*b", "ab", 0, 0, 0, 1, 0, 0 },
	{ "a?b", "a\342\230\272b", 1, 1, 0, 1, 1, 0 },
	{ "a[^a]b", "a\342\230\272b", 1, 1, 0, 1, 1, 0 },
	{ "a[!a]b", "a\342\230\272b", 1, 1, 0, 1, 1, 0 },
	{ "a???b", "a\342\230\272b", 0, 0, 0, 1, 0, 0 },
	{ "a[^a][^a][^a]b", "a\342\230\272b", 0, 0, 0, 1, 0, 0 },
	{ "[a-\316\266]*", "\316\261", 1, 1, 0, 1, 21, 0 },
	{ "*[a-\316\266]", "A", 0, 0, 0, 1, 21, 0 },
	{ "a?b", "a/b", 0, 0, 0, 1, 1, 0 },
	{ "a*b", "a/b", 0, 0, 0, 1, 1, 0 },
	{ "[\\]a]", "]", 1, 1, 0, 1, 2, 0 },
	{ "[\\-]", "-", 1, 1, 0, 1, 1, 0 },
	{ "[x\\-]", "x", 1, 1, 0, 1, 2, 0 },
	{ "[x\\-]", "-", 1, 1, 0, 1, 2, 0 },
	{ "[x\\-]", "z", 0, 0, 0, 1, 2, 0 },
	{ "[\\-x]", "x", 1, 1, 0, 1, 2, 0 },
	{ "[\\-x]", "-", 1, 1, 0, 1, 2, 0 },
	{ "[\\-x]", "a", 0, 0, 0, 1, 2, 0 },
	{ "[]a]", "]", 0, 0, 1, 1, 0, 0 },
	{ "[-]", "-", 1, 1, 0, 1, 1, 0 },
	{ "[x-]", "x", 1, 1, 0, 1, 2, 0 },
	{ "[x-]", "-", 1, 1, 0, 1, 2, 0 },
	{ "[x-]", "z", 0, 0, 0, 1, 2, 0 },
	{ "[-x]", "x", 1, 1, 0, 1, 2, 0 },
	{ "[-x]", "-", 1, 1, 0, 1, 2, 0 },
	{ "[-x]", "a", 0, 0, 0, 1, 2, 0 },
	{ "[a-b-d]", "a", 1, 1, 0, 1, 3, 0 },
	{ "[a-b-d]", "b", 1, 1, 0, 1, 3, 0 },
	{ "[a-b-d]", "-", 1, 1, 0, 1, 3, 0 },
	{ "[a-b-d]", "c", 0, 0, 0, 1, 3, 0 },
	{ "[a-b-x]", "x", 1, 1, 0, 1, 4, 0 },
	{ "\\", "a", 0, 0, 1, 1, 0, 0 },
	{ "[", "a", 0, 0, 1, 1, 0, 0 },
	{ "[^", "a", 0, 0, 1, 1, 0, 0 },
	{ "[^bc", "a", 0, 0, 1, 1, 0, 0 },
	{ "a[", "a", 0, 0, 1, 1, 0, 0 },
	{ "a[", "ab", 0, 0, 1, 1, 0, 0 },
	{ "ad[", "ab", 0, 0, 1, 1, 0, 0 },
	{ "*x", "xxx", 1, 1, 0, 1, 4, 0 },
	{ "[abc]", "b", 1, 1, 0, 1, 3, 0 },
	{ "[abc123]", "1", 1, 1, 0, 1, 4, 0 },
	{ "[a-z0-9]", "1", 1, 1, 0, 1, 7, 0 },
	{ "**", "", 1, 1, 0, 0, 38, 0 },
	{ "a/**", "a", 1, 1, 0, 1, 7, 0 },
	{ "a/**/", "a", 1, 1, 0, 1, 4, 0 },
	{ "a/**", "a/", 1, 1, 0, 0, 7, 0 },
	{ "a/**/", "a/", 1, 1, 0, 0, 4, 0 },
	{ "a/**", "a/b", 1, 1, 0, 1, 7, 0 },
	{ "a/**", "a/b/c", 1, 1, 0, 1, 7, 0 },
	{ "**/c", "c", 1, 1, 0, 1, 5, 1 },
	{ "**/c", "b/c", 1, 1, 0, 1, 5, 1 },
	{ "**/c", "a/b/c", 1, 1, 0, 1, 5, 1 },
	{ "**/c", "a/b", 0, 0, 0, 1, 5, 1 },
	{ "**/c", "abcd", 0, 0, 0, 1, 5, 1 },
	{ "**/c", "a/abc", 0, 0, 0, 1, 5, 1 },
	{ "a/**/b", "a/b", 1, 1, 0, 1, 2, 0 },
	{ "a/**/c", "a/b/c", 1, 1, 0, 1, 2, 0 },
	{ "a/**/d", "a/b/c/d", 1, 1, 0, 1, 1, 0 },
	{ "a/\\**", "a/b/c", 0, 0, 0, 1, 0, 0 },
	{ "a/\\[*\\]", "a/bc", 0, 0, 0, 1, 0, 0 },
	{ "a/b/c", "a/b//c", 0, 0, 0, 1, 1, 0 },
	{ "a/", "a", 0, 0, 0, 0, 0, 0 },
	{ "ab{c,d}", "abc", 1, 1, 0, 1, 1, 0 },
	{ "ab{c,d,*}", "abcde", 1, 1, 0, 1, 5, 0 },
	{ "ab{c,d}[", "abcd", 0, 0, 1, 1, 0, 0 },
	{ "a{,bc}", "a", 1, 1, 0, 1, 2, 0 },
	{ "a{,bc}", "abc", 1, 1, 0, 1, 2, 0 },
	{ "a/{b/c,c/b}", "a/b/c", 1, 1, 0, 1, 2, 0 },
	{ "a/{b/c,c/b}", "a/c/b", 1, 1, 0, 1, 2, 0 },
	{ "a/a*{b,c}", "a/abc", 1, 1, 0, 1, 1, 0 },
	{ "{a/{b,c},abc}", "a/b", 1, 1, 0, 1, 3, 0 },
	{ "{a/{b,c},abc}", "a/c", 1, 1, 0, 1, 3, 0 },
	{ "{a/{b,c},abc}", "abc", 1, 1, 0, 1, 3, 0 },
	{ "{a/{b,c},abc}", "a/b/c", 0, 0, 0, 1, 3, 0 },
	{ "{a/ab*}", "a/abc", 1, 1, 0, 1, 1, 0 },
	{ "{a/*}", "a/b", 1, 1, 0, 1, 3, 0 },
	{ "{a/abc}", "a/abc", 1, 1, 0, 1, 1, 0 },
	{ "{a/b,a/c}", "a/c", 1, 1, 0, 1, 2, 0 },
	{ "abc/**", "abc/b", 1, 1, 0, 1, 3, 0 },
	{ "**/abc", "abc", 1, 1, 0, 1, 2, 1 },
	{ "abc**", "abc/b", 0, 0, 0, 1, 3, 0 },
	{ "**/*.txt", "abc/\343\200\220test\343\200\221.txt", 1, 1, 0, 1, 1, 1 },
	{ "**/\343\200\220*", "abc/\343\200\220test\343\200\221.txt", 1, 1, 0, 1, 1, 1 },
	{ "**/{a,b}", "a/b", 1, 1, 0, 1, 5, 1 },
	{ "a/*/*/d", "a/b/c/d", 1, 1, 0, 1, 1, 0 },
	{ "broken-symlink", "broken-symlink", 1, 1, 0, 0, 1, 0 },
	{ "broken-symlink/*", "a", 0, 0, 0, 1, 0, 0 },
	{ "broken*/*", "a", 0, 0, 0, 1, 0, 0 },
	{ "working-symlink/c/*", "working-symlink/c/d", 1, 1, 0, 1, 1, 0 },
	{ "working-sym*/*", "working-symlink/c", 1, 1, 0, 1, 1, 0 },
	{ "b/**/f", "b/symlink-dir/f", 1, 1, 0, 1, 2, 0 },
	{ "*/symlink-dir/*", "b/symlink-dir/f", 1, 1, 0, 1, 2, 1 },
	{ "e/\\[x\\]/*", "e/[x]/[y]", 1, 1, 0, 1, 1, 0 },
	{ "e/\\[x\\]/*/z", "e/[x]/[y]/z", 1, 1, 0, 1, 1, 0 },
	{ "e/**", "e/**", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/*", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/?", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/[", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/]", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/[]", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/{", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/}", 1, 1, 0, 1, 14, 0 },
	{ "e/**", "e/\\", 1, 1, 0, 1, 14, 0 },
	{ "e/*", "e/*", 1, 1, 0, 1, 11, 0 },
	{ "e/?", "e/?", 1, 1, 0, 1, 7, 0 },
	{ "e/?", "e/*", 1, 1, 0, 1, 7, 0 },
	{ "e/?", "e/[", 1, 1, 0, 1, 7, 0 },
	{ "e/?", "e/]", 1, 1, 0, 1, 7, 0 },
	{ "e/?", "e/{", 1, 1, 0, 1, 7, 0 },
	{ "e/?", "e/}", 1, 1, 0, 1, 7, 0 },
	{ "e/\\[", "e/[", 1, 1, 0, 1, 1, 0 },
	{ "e/[", "e/[", 0, 0, 1, 1, 0, 0 },
	{ "e/]", "e/]", 1, 1, 0, 1, 1, 0 },
	{ "e/\\]", "e/]", 1, 1, 0, 1, 1, 0 },
	{ "e/\\{", "e/{", 1, 1, 0, 1, 1, 0 },
	{ "e/\\}", "e/}", 1, 1, 0, 1, 1, 0 },
	{ "e/[\\*\\?]", "e/*", 1, 1, 0, 1, 2, 0 },
	{ "e/[\\*\\?]", "e/?", 1, 1, 0, 1, 2, 0 },
	{ "e/[\\*\\?]", "e/**", 0, 0, 0, 1, 2, 0 },
	{ "e/[\\*\\?]?", "e/**", 1, 1, 0, 1, 1, 0 },
	{ "e/{\\*,\\?}", "e/*", 1, 1, 0, 1, 2, 0 },
	{ "e/{\\*,\\?}", "e/?", 1, 1, 0, 1, 2, 0 },
	{ "e/\\*", "e/*", 1, 1, 0, 1, 1, 0 },
	{ "e/\\?", "e/?", 1, 1, 0, 1, 1, 0 },
	{ "e/\\?", "e/**", 0, 0, 0, 1, 1, 0 },
	{ "*\\}", "}", 1, 1, 0, 1, 1, 0 },
	{ "case-sensitive/fi*", "case-sensitive/file", 1, 1, 0, 1, 1, 0 },
	{ "case-sensitive/FI*", "case-sensitive/FILE", 1, 1, 0, 1, 1, 0 },
	{ "case-sensitive/Fi*", "case-sensitive/File", 1, 1, 0, 1, 1, 0 },
	{ "nonexistent-path", "a", 0, 0, 0, 1, 0, 0 },
	{ "nonexistent-path/", "a", 0, 0, 0, 1, 0, 0 },
	{ "nonexistent-path/file", "a", 0, 0, 0, 1, 0, 0 },
	{ "nonexistent-path/*", "a", 0, 0, 0, 1, 0, 0 },
	{ "nonexistent-path/**", "a", 0, 0, 0, 1, 0, 0 },
	{ "nopermission/*", "nopermission/file", 1, 0, 0, 1, 0, 1 },
	{ "nopermission/dir/", "nopermission/dir", 0, 0, 0, 1, 0, 1 },
	{ "nopermission/file", "nopermission/file", 1, 0, 0, 1, 0, 1 },
};

#define NCASES (sizeof(ds_cases) / sizeof(ds_cases[0]))

TEST(glob_match_doublestar_table)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct ds_case *c = &ds_cases[i];
		int rc = glob_match(c->pattern, c->path);
		int want = c->bad ? CIH_EUSAGE : c->match;

		if (rc != want)
			unit_fail(__FILE__, __LINE__, "#%zu Match(`%s`, `%s`) = %d, want %d", i,
				  c->pattern, c->path, rc, want);
		if (glob_valid(c->pattern) != !c->bad)
			unit_fail(__FILE__, __LINE__, "#%zu ValidatePattern(`%s`)", i, c->pattern);
	}
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

/* doublestar_test.go TestMain's tree. */
static void make_tree(void)
{
	sh("mkdir -p test/a/b/c test/a/c test/abc test/axbxcxdxe/xxx test/axbxcxdxexxx test/b "
	   "'test/e/[x]/[y]' test/case-sensitive test/nopermission/dir && cd test && "
	   "touch 1 a/abc a/b/c/d a/c/b abc/b abcd abcde abxbbxdbxebxczzx abxbbxdbxebxczzy "
	   "axbxcxdxe/f axbxcxdxe/xxx/f axbxcxdxexxx/f axbxcxdxexxx/fff 'a\342\230\272b' b/c c x xxx z "
	   "'\316\261' 'abc/\343\200\220test\343\200\221.txt' 'e/[' 'e/]' 'e/{' 'e/}' 'e/[]' "
	   "'e/[x]/[y]/z' case-sensitive/file case-sensitive/FILE case-sensitive/File '}' "
	   "./- ']' 'e/*' 'e/**' 'e/****' 'e/?' 'e/\\' nopermission/file && "
	   "ln -s ../axbxcxdxe/ b/symlink-dir && "
	   "ln -s /tmp/nonexistant-file-20160902155705 broken-symlink && "
	   "ln -s a/b working-symlink");
}

static bool listed(const struct glob_list *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], p))
			return true;
	return false;
}

/* The upstream tests derive WithNoFollow's counts from the followed results. */
static size_t nofollow_count(const char *pattern, const struct glob_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const char *p = l->v[i];
		if ((!strncmp(pattern, "working-symlink", 15) || !strstr(p, "working-symlink/")) &&
		    !strstr(p, "/symlink-dir/"))
			n++;
	}
	return n;
}

TEST(glob_filepath_doublestar_table)
{
	make_tree();
	CHECK(chdir("test") == 0);
	for (size_t i = 0; i < NCASES; i++) {
		const struct ds_case *c = &ds_cases[i];
		struct glob_list fol = GLOB_LIST_INIT, nof = GLOB_LIST_INIT;
		size_t len = strlen(c->pattern);
		int rc1, rc2;

		if (!c->on_disk || (len && c->pattern[len - 1] == '/') ||
		    !strncmp(c->pattern, "nopermission", 12))
			continue;
		rc1 = glob_filepath(c->pattern, GLOB_FOLLOW, &fol);
		rc2 = glob_filepath(c->pattern, 0, &nof);
		if (c->bad) {
			if (rc1 != CIH_EUSAGE || rc2 != CIH_EUSAGE)
				unit_fail(__FILE__, __LINE__, "#%zu `%s`: %d %d, want errors", i,
					  c->pattern, rc1, rc2);
		} else if (rc1 < 0 || rc2 < 0 || fol.n != (size_t)c->results ||
			   listed(&fol, c->path) != c->glob_lists ||
			   nof.n != nofollow_count(c->pattern, &fol)) {
			unit_fail(__FILE__, __LINE__,
				  "#%zu FilepathGlob(`%s`): rc %d/%d, %zu results (want %d), "
				  "nofollow %zu (want %zu), lists `%s`: %d", i, c->pattern, rc1, rc2,
				  fol.n, c->results, nof.n, nofollow_count(c->pattern, &fol), c->path,
				  listed(&fol, c->path));
		}
		glob_list_dispose(&fol);
		glob_list_dispose(&nof);
	}
}

TEST(glob_split_pattern_and_path_helpers)
{
	static const struct { const char *in, *base, *pat; } split[] = {
		{ "../../path/to/meta*/**", "../../path/to", "meta*/**" },
		{ "meta*/**", ".", "meta*/**" },
		{ "/a*", "/", "a*" },
		{ "a\\*b/c\\[d/e*", "a*b/c[d", "e*" },
		{ "a/b/c", "a/b", "c" },
		{ "a/{b,c}/d", "a", "{b,c}/d" },
	};
	static const struct { const char *in, *out; } clean[] = {
		{ "", "." }, { "a//b/./c/..", "a/b" }, { "/../x", "/x" }, { "../../a/..", "../.." },
		{ "./", "." }, { "a/", "a" }, { "/", "/" }, { "a/../..", ".." },
	};
	static const struct { const char *base, *targ, *out; } rel[] = {
		{ "/w", "/w", "." }, { "/w", "/w/a/b", "a/b" }, { "/w/x", "/w/y", "../y" },
		{ "/w/x/y", "/w", "../.." }, { "/", "/a", "a" }, { "/w", "/", ".." },
		{ "/w/ab", "/w/a", "../a" },
	};

	for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
		char *base;
		const char *pat;
		CHECK_OK(glob_split_pattern(split[i].in, &base, &pat));
		CHECK_STR(base, split[i].base);
		CHECK_STR(pat, split[i].pat);
		free(base);
	}
	for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		char *s = spath_clean(clean[i].in);
		CHECK_STR(s, clean[i].out);
		free(s);
	}
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char *s = spath_rel(rel[i].base, rel[i].targ);
		CHECK_STR(s, rel[i].out);
		free(s);
	}
}

static void joined(const char *pattern, int flags, const char *want)
{
	struct glob_list l = GLOB_LIST_INIT;
	char got[4096] = "";

	CHECK_OK(glob_filepath(pattern, flags, &l));
	for (size_t i = 0; i < l.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", l.v[i]);
	glob_list_dispose(&l);
	if (strcmp(got, want))
		unit_fail(__FILE__, __LINE__, "`%s`: got \"%s\", want \"%s\"", pattern, got, want);
}

/* Order and duplicates are upstream's: the archiver counts every match it walks. */
TEST(glob_filepath_nofollow_order_and_duplicates)
{
	sh("mkdir -p d/sub/deep real && touch d/a d/.hidden d/sub/b d/sub/deep/c real/r && "
	   "ln -s ../real d/link && ln -s real top");
	joined("d/**", 0, "d d/.hidden d/a d/link d/sub d/sub/b d/sub/deep d/sub/deep/c");
	joined("d/**", GLOB_FOLLOW, "d d/.hidden d/a d/link d/link/r d/sub d/sub/b d/sub/deep "
				  "d/sub/deep/c");
	joined("top/*", 0, "top/r");
	joined("*/l*", 0, "d/link");
	joined("*/link/*", 0, "");
	joined("**/c", 0, "d/sub/deep/c");
	joined("d/**/deep/**", 0, "d/sub/deep d/sub/deep/c");
	/* sortAndRemoveDups compares only the first run's length of elements: a duplicate stays */
	joined("d/{sub,*}", 0, "d/.hidden d/a d/link d/sub d/sub");
	joined("d/{sub/b,a}", 0, "d/a d/sub/b");
	joined("d/**/*", 0, "d/.hidden d/a d/link d/sub d/sub/b d/sub/deep d/sub/deep/c");
	joined("./d/../d/a", 0, "d/a");
	joined("d/missing*", 0, "");
	joined(".", 0, ".");
	CHECK_FAILS(glob_filepath("d/[", 0, &(struct glob_list)GLOB_LIST_INIT), CIH_EUSAGE);
	CHECK_ERR("syntax error in pattern");
}
