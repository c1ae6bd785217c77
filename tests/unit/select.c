/* File selection: the fileArchiver's walk, globs, excludes and messages, and the
 * untracked listing against Debian's `git ls-files -o -z`. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../archive/select.h"
#include "../../helper/buf.h"
#include "../../helper/log.h"
#include "unit.h"

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		unit_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

/* The set as "path path ...". */
static const char *names(const struct sel_set *s)
{
	static char out[8192];

	out[0] = '\0';
	for (size_t i = 0; i < s->n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "", s->v[i].path);
	return out;
}

/* The log goes to a file of the scratch directory: the tests select inside w/. */
static void enter(const char *setup)
{
	unit_log_capture();
	log_set_format(LOG_FMT_TEXT);
	sh("mkdir w");
	CHECK(chdir("w") == 0);
	if (setup)
		sh(setup);
}

static const char *select_(const char *const *paths, size_t np, const char *const *ex, size_t ne,
			   bool untracked, struct sel_set *set)
{
	struct sel_options o = { paths, np, ex, ne, untracked };

	CHECK_OK(sel_enumerate(&o, set));
	return names(set);
}

static void logged(const char *level, const char *msg)
{
	struct buf want = BUF_INIT;

	buf_printf(&want, "level=%s msg=", level);
	buf_put_quoted(&want, msg, BUF_QUOTE_GO);
	if (!strstr(unit_log_output(), buf_cstr(&want)))
		unit_fail(__FILE__, __LINE__, "log lacks %s:\n%s", buf_cstr(&want), unit_log_output());
	buf_dispose(&want);
}

#define N(a) (sizeof(a) / sizeof(a[0]))

TEST(select_walks_matches_in_byte_order_with_lstat)
{
	static const char *const p[] = { "dir", "top.txt", "missing" };
	struct sel_set s = SEL_SET_INIT;

	enter("mkdir -p dir/sub dir/a-b && echo hi > dir/sub/f && touch dir/a-b/x dir/.h top.txt && "
	   "ln -s sub dir/link && ln -s /etc outlink");
	CHECK_STR(select_(p, N(p), NULL, 0, false, &s),
		  "dir dir/.h dir/a-b dir/a-b/x dir/link dir/sub dir/sub/f top.txt");
	CHECK(S_ISLNK(s.v[4].st.st_mode));
	CHECK(S_ISDIR(s.v[5].st.st_mode));
	CHECK_INT(s.v[6].st.st_size, 3);
	logged("info", "dir: found 7 matching artifact files and directories");
	logged("info", "top.txt: found 1 matching artifact files and directories");
	{
		char wd[4096], msg[4300];
		CHECK(getcwd(wd, sizeof(wd)));
		snprintf(msg, sizeof(msg), "missing: no matching files. Ensure that the artifact path "
			 "is relative to the working directory (%s)", wd);
		logged("warning", msg);
	}
	sel_set_dispose(&s);
}

TEST(select_counts_every_walked_match_like_upstream)
{
	static const char *const p[] = { "d/**" };
	struct sel_set s = SEL_SET_INIT;

	enter("mkdir -p d/s && touch d/a d/s/b");
	/* matches d d/a d/s d/s/b, walked: 4 + 1 + 2 + 1 */
	CHECK_STR(select_(p, 1, NULL, 0, false, &s), "d d/a d/s d/s/b");
	logged("info", "d/**: found 8 matching artifact files and directories");
	sel_set_dispose(&s);
}

TEST(select_excludes_per_candidate_and_counts_per_rule)
{
	static const char *const p[] = { "." };
	static const char *const ex[] = { "d", "d/s/**", "*.log", "d/s/**" };
	struct sel_set s = SEL_SET_INIT;

	enter("mkdir -p d/s && touch d/a d/s/b x.log y");
	CHECK_STR(select_(p, 1, ex, N(ex), false, &s), ". d/a y");
	logged("info", "d: excluded 1 files");
	logged("info", "d/s/**: excluded 2 files");
	logged("info", "*.log: excluded 1 files");
	logged("info", ".: found 3 matching artifact files and directories");
	sel_set_dispose(&s);
}

TEST(select_refuses_paths_outside_and_reports_problems)
{
	static const char *const p[] = { "", "../x", "in/../../y*", "sub/../f", "$(pwd)", "in/[" };
	static const char *const ex[] = { "../z" };
	struct sel_set s = SEL_SET_INIT;

	enter("mkdir in sub && touch f in/g");
	CHECK_STR(select_(p, N(p), ex, 1, false, &s), "f");
	logged("warning", "No matching files. Path is empty.");
	logged("warning", "processPath: artifact path is not a subpath of project directory: ../x");
	logged("warning", "processPath: artifact path is not a subpath of project directory: in/../../y*");
	logged("warning", "invalid path \"\": unexpected command substitution at 1:1");
	logged("warning", "in/[: syntax error in pattern");
	logged("warning", "isExcluded: artifact path is not a subpath of project directory: ../z");
	sel_set_dispose(&s);
}

TEST(select_expands_variables_and_keeps_wd_as_dot)
{
	static const char *const p[] = { "${CIH_SEL_DIR}/*.txt", "$CIH_SEL_WD" };
	struct sel_set s = SEL_SET_INIT;
	char wd[4096];

	enter("mkdir out && touch out/a.txt out/b.bin");
	CHECK(getcwd(wd, sizeof(wd)));
	setenv("CIH_SEL_DIR", "out", 1);
	setenv("CIH_SEL_WD", wd, 1);
	CHECK_STR(select_(p, N(p), NULL, 0, false, &s), ". out out/a.txt out/b.bin");
	logged("info", "out/*.txt: found 1 matching artifact files and directories");
	unsetenv("CIH_SEL_DIR");
	unsetenv("CIH_SEL_WD");
	sel_set_dispose(&s);
}

/* Real git's listing for the scratch repository, with names NUL-separated. */
static void git_listing(struct buf *out)
{
	char chunk[4096];
	size_t n;
	FILE *p = popen("git ls-files -o -z", "r");

	CHECK(p != NULL);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_put(out, chunk, n);
	CHECK(pclose(p) == 0);
}

static void our_listing(struct buf *out)
{
	struct glob_list l = GLOB_LIST_INIT;
	struct sel_untracked_error why;

	CHECK_OK(sel_untracked_files(&l, &why));
	for (size_t i = 0; i < l.n; i++)
		buf_put(out, l.v[i], strlen(l.v[i]) + 1);
	glob_list_dispose(&l);
}

static void same_as_git(void)
{
	struct buf want = BUF_INIT, got = BUF_INIT;

	git_listing(&want);
	our_listing(&got);
	for (size_t i = 0; i < want.len; i++)
		want.ptr[i] = want.ptr[i] ? want.ptr[i] : '|';
	for (size_t i = 0; i < got.len; i++)
		got.ptr[i] = got.ptr[i] ? got.ptr[i] : '|';
	CHECK_STR(buf_cstr(&got) ? buf_cstr(&got) : "", buf_cstr(&want) ? buf_cstr(&want) : "");
	buf_dispose(&want);
	buf_dispose(&got);
}

TEST(select_untracked_matches_git_ls_files)
{
	static const char *const none[] = { NULL };
	struct sel_set s = SEL_SET_INIT;

	enter("git init -q r && cd r && mkdir -p tracked/deep sub/deep empty a-b nested gl/x sm && "
	   "echo x > tracked/t && echo y > tracked/deep/t && echo '*.log' > .gitignore && "
	   "git add tracked .gitignore && "
	   "git -c user.email=a@b -c user.name=n commit -qm i && "
	   "touch a 'sp ace' sub/b sub/deep/c ign.log tracked/new tracked/deep/x.log a-b/f && "
	   "ln -s sub lnk && ln -s nowhere dangling && mkfifo fifo && "
	   "(cd nested && git init -q && touch n) && "
	   "mkdir -p notrepo/.git && touch notrepo/.git/x notrepo/f && "
	   "echo 'gitdir: ../nested/.git' > gl/.git && touch gl/x/y");
	CHECK(chdir("r") == 0);
	same_as_git();
	CHECK(chdir("sub") == 0);
	same_as_git();
	CHECK(chdir("../tracked") == 0);
	same_as_git();
	CHECK(chdir("..") == 0);
	CHECK_STR(select_(none, 0, NULL, 0, true, &s),
		  "a a-b/f dangling gl ign.log lnk nested notrepo/f sp ace sub/b "
		  "sub/deep/c tracked/deep/x.log tracked/new");
	sel_set_dispose(&s);
	logged("info", "untracked: found 13 files");
}

TEST(select_untracked_outside_a_repository)
{
	struct sel_set s = SEL_SET_INIT;

	enter(NULL);
	setenv("GIT_CEILING_DIRECTORIES", "/", 1);
	CHECK_STR(select_(NULL, 0, NULL, 0, true, &s), "");
	unsetenv("GIT_CEILING_DIRECTORIES");
	logged("warning", "untracked: exit status 128");
	sel_set_dispose(&s);
}

TEST(select_takes_the_working_directory_from_pwd_like_go)
{
	static const char *const p[] = { "$CIH_SEL_LINK/f" };
	struct sel_set s = SEL_SET_INIT;
	char wd[4096], link[4200], old[4200];
	const char *pwd = getenv("PWD");

	enter("mkdir real && touch real/f");
	CHECK(getcwd(wd, sizeof(wd)));
	snprintf(link, sizeof(link), "%s/link", wd);
	snprintf(old, sizeof(old), "%s", pwd ? pwd : "");
	sh("ln -s real link");
	CHECK(chdir("link") == 0);
	setenv("PWD", link, 1);
	setenv("CIH_SEL_LINK", link, 1);
	CHECK_STR(select_(p, 1, NULL, 0, false, &s), "f");
	setenv("PWD", old, 1);
	unsetenv("CIH_SEL_LINK");
	sel_set_dispose(&s);
}
