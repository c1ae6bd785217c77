#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "../../git/gconf.h"
#include "../../git/gconf_parse.h"
#include "../../helper/buf.h"
#include "unit.h"

static const char *const env_vars[] = {
	"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0",
	"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "XDG_CONFIG_HOME",
	"GIT_TEST_ASSUME_DIFFERENT_OWNER", "GIT_DIR", "HOME",
};
static char *saved_env[sizeof(env_vars) / sizeof(env_vars[0])];

static void restore_env(void)
{
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++) {
		if (saved_env[i])
			setenv(env_vars[i], saved_env[i], 1);
		else
			unsetenv(env_vars[i]);
		free(saved_env[i]);
		saved_env[i] = NULL;
	}
}

/* A clean config environment: HOME is the scratch directory, no system file. */
static const char *clean_env(void)
{
	static char cwd[PATH_MAX];

	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++) {
		const char *v = getenv(env_vars[i]);

		saved_env[i] = v ? strdup(v) : NULL;
		unsetenv(env_vars[i]);
	}
	unit_defer(restore_env);
	CHECK(getcwd(cwd, sizeof(cwd)));
	setenv("HOME", cwd, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	return cwd;
}

static int collect(void *ctx, const char *key, const char *value, const struct gconf_origin *o)
{
	buf_printf(ctx, "%s%s%s@%d|", key, value ? "=" : "", value ? value : "", (int)o->scope);
	return 0;
}

static const char *walk(struct buf *b)
{
	buf_clear(b);
	buf_puts(b, "");
	CHECK_OK(gconf_each(NULL, 1, collect, b));
	return buf_cstr(b);
}

TEST(gconf_param_add_encodes_as_git)
{
	clean_env();
	CHECK_OK(gconf_param_add("a.b=1"));
	CHECK_OK(gconf_param_add("c.d"));
	CHECK_OK(gconf_param_add("w.x=it's!"));
	CHECK_OK(gconf_param_add("A.Sub.K=v v"));
	CHECK_OK(gconf_param_add("e.f="));
	CHECK_OK(gconf_param_add("x.y=a=b"));
	/* what git 2.39 exports for the same -c options */
	CHECK_STR(getenv("GIT_CONFIG_PARAMETERS"),
		  "'a.b'='1' 'c.d'= 'w.x'='it'\\''s'\\!'' 'A.Sub.K'='v v' 'e.f'='' 'x.y'='a=b'");
}

TEST(gconf_parameters_decode_old_and_new_style)
{
	struct buf b = BUF_INIT;

	clean_env();
	setenv("GIT_CONFIG_COUNT", "1", 1);
	setenv("GIT_CONFIG_KEY_0", "Count.Key", 1);
	setenv("GIT_CONFIG_VALUE_0", "v", 1);
	setenv("GIT_CONFIG_PARAMETERS", "'old.style=x=y' 'old.bool' 'New.Sub.K'='it'\\''s'  'n.b'= 'n.e'=''", 1);
	CHECK_STR(walk(&b), "count.key=v@4|old.style=x=y@4|old.bool@4|new.Sub.k=it's@4|n.b@4|n.e=@4|");
	setenv("GIT_CONFIG_PARAMETERS", "'nosection'='1'", 1);
	CHECK_FAILS(gconf_each(NULL, 1, collect, &b), CIH_EUSAGE);
	CHECK_ERR("unable to parse command-line config");
	setenv("GIT_CONFIG_PARAMETERS", "'a.b'x", 1);
	CHECK_FAILS(gconf_check_params(), CIH_EUSAGE);
	buf_dispose(&b);
}

TEST(gconf_includes_and_level_order)
{
	const char *home = clean_env();
	struct buf b = BUF_INIT, p = BUF_INIT;

	unit_write_file(".gitconfig", "[g]\n\tk = 1\n[include]\n\tpath = d/inc\n[g]\n\tafter = 1\n");
	CHECK(mkdir("d", 0755) == 0);
	unit_write_file("d/inc", "[inc]\n\tx = 1\n[include]\n\tpath = nested\n\tpath = missing\n");
	unit_write_file("d/nested", "[nested]\n\tx = ~\n[include]\n\tpath = ~/abs\n");
	unit_write_file("abs", "[abs]\n\tx = 1\n");
	buf_printf(&p, "include.path=%s/abs", home);
	CHECK_OK(gconf_param_add("p.first=1"));
	CHECK_OK(gconf_param_add(buf_cstr(&p)));
	CHECK_OK(gconf_param_add("p.last"));
	buf_clear(&p);
	buf_printf(&p, "g.k=1@2|include.path=d/inc@2|inc.x=1@2|include.path=nested@2|nested.x=~@2|"
		       "include.path=~/abs@2|abs.x=1@2|include.path=missing@2|g.after=1@2|"
		       "p.first=1@4|include.path=%s/abs@4|abs.x=1@4|p.last@4|", home);
	CHECK_STR(walk(&b), buf_cstr(&p));
	/* without includes, only the file itself */
	buf_clear(&b);
	CHECK_OK(gconf_each_file(".gitconfig", GCONF_SCOPE_GLOBAL, 0, collect, &b));
	CHECK_STR(buf_cstr(&b), "g.k=1@2|include.path=d/inc@2|g.after=1@2|");
	buf_dispose(&b);
	buf_dispose(&p);
}

TEST(gconf_stack_for_libgit2)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	const char *v;
	int on = 0;

	clean_env();
	unit_write_file(".gitconfig", "[k]\n\tv = global\n\tm = 1\n");
	unit_write_file("inc", "[k]\n\tv = included\n\tm = 4\n");
	git_libgit2_init();
	CHECK(git_repository_init(&repo, "r", 0) == 0);
	git_repository_free(repo);
	unit_write_file("r/.git/config", "[core]\n\trepositoryformatversion = 0\n[k]\n\tv = local\n\tm = 2\n");
	CHECK(chdir("r") == 0);
	CHECK_OK(gconf_param_add("k.m=3"));
	CHECK_OK(gconf_param_add("k.flag"));
	CHECK_OK(gconf_param_add("k.Sub.Q=\"quoted\\\" \t"));
	CHECK(chdir("..") == 0);
	{
		struct buf inc = BUF_INIT;
		char cwd[PATH_MAX];

		CHECK(getcwd(cwd, sizeof(cwd)));
		buf_printf(&inc, "include.path=%s/inc", cwd);
		CHECK_OK(gconf_param_add(buf_cstr(&inc)));
		buf_dispose(&inc);
	}
	CHECK(chdir("r") == 0);
	CHECK_OK(gconf_repo_open(&repo, NULL));
	CHECK(git_repository_config_snapshot(&cfg, repo) == 0);
	CHECK(git_config_get_string(&v, cfg, "k.v") == 0);
	CHECK_STR(v, "included");
	CHECK(git_config_get_string(&v, cfg, "k.m") == 0);
	CHECK_STR(v, "4");
	CHECK(git_config_get_bool(&on, cfg, "k.flag") == 0 && on == 1);
	CHECK(git_config_get_string(&v, cfg, "k.Sub.q") == 0);
	CHECK_STR(v, "\"quoted\\\" \t");
	git_config_free(cfg);
	{
		git_config_iterator *it;
		git_config_entry *e;
		struct buf order = BUF_INIT;

		CHECK(git_repository_config(&cfg, repo) == 0);
		CHECK(git_config_multivar_iterator_new(&it, cfg, "k.m", NULL) == 0);
		while (git_config_next(&e, it) == 0)
			buf_printf(&order, "%s,", e->value);
		git_config_iterator_free(it);
		CHECK_STR(buf_cstr(&order), "1,2,3,4,");
		/* libgit2's writes go to the repository's file */
		CHECK(git_config_set_string(cfg, "w.x", "y") == 0);
		git_config_free(cfg);
		buf_dispose(&order);
	}
	git_repository_free(repo);
	{
		struct buf b = BUF_INIT;

		CHECK_OK(gconf_each_file(".git/config", GCONF_SCOPE_LOCAL, 0, collect, &b));
		CHECK(strstr(buf_cstr(&b), "w.x=y@3|"));
		buf_dispose(&b);
	}
}

TEST(gconf_repo_open_checks_ownership)
{
	git_repository *repo = NULL;
	char cwd[PATH_MAX];

	clean_env();
	git_libgit2_init();
	CHECK(git_repository_init(&repo, "r", 0) == 0);
	git_repository_free(repo);
	CHECK(chdir("r") == 0);
	CHECK(getcwd(cwd, sizeof(cwd)));
	setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1", 1);
	CHECK_FAILS(gconf_repo_open(&repo, NULL), CIH_EUNSAFE);
	CHECK_ERR("detected dubious ownership in repository at '");
	CHECK_ERR("To add an exception for this directory, call:\n\n\tgit config --global --add safe.directory ");
	/* the repository's own config cannot vouch for itself */
	unit_write_file(".git/config", "[safe]\n\tdirectory = *\n");
	CHECK_FAILS(gconf_repo_open(&repo, NULL), CIH_EUNSAFE);
	{
		struct buf g = BUF_INIT;

		buf_printf(&g, "[safe]\n\tdirectory = /elsewhere\n\tdirectory = %s\n", cwd);
		unit_write_file("../.gitconfig", buf_cstr(&g));
		buf_dispose(&g);
	}
	CHECK_OK(gconf_repo_open(&repo, NULL));
	git_repository_free(repo);
	CHECK_OK(gconf_param_add("safe.directory="));
	CHECK_FAILS(gconf_repo_open(&repo, NULL), CIH_EUNSAFE);
	CHECK_OK(gconf_param_add("safe.directory=*"));
	CHECK_OK(gconf_repo_open(&repo, NULL));
	git_repository_free(repo);
	CHECK(chdir("/") == 0);
	CHECK_FAILS(gconf_repo_open(&repo, NULL), CIH_ENOTFOUND);
}

TEST(gconf_keys_and_values_as_git_writes_them)
{
	struct buf b = BUF_INIT;
	size_t baselen = 0;

	CHECK_INT(gconf_key_parse("HTTP.https://Host.SslCAInfo", &b, &baselen), 0);
	CHECK_STR(buf_cstr(&b), "http.https://Host.sslcainfo");
	CHECK_INT(baselen, 17);
	CHECK_INT(gconf_key_parse("foo", &b, NULL), GCONF_NO_SECTION_OR_NAME);
	CHECK_ERR("key does not contain a section: foo");
	CHECK_INT(gconf_key_parse("foo.", &b, NULL), GCONF_NO_SECTION_OR_NAME);
	CHECK_INT(gconf_key_parse("foo.1x", &b, NULL), GCONF_INVALID_KEY);
	CHECK_ERR("invalid key: foo.1x");
	CHECK_INT(gconf_key_parse("a.x\ny.b", &b, NULL), GCONF_INVALID_KEY);
	buf_clear(&b);
	gconf_format_section(&b, "Sec.Su\"b\\.Key", 9);
	gconf_format_section(&b, "sec.Key", 3);
	gconf_format_pair(&b, "K", " a#b\t\"\\\n ");
	gconf_format_pair(&b, "k", "plain");
	CHECK_STR(buf_cstr(&b), "[Sec \"Su\\\"b\\\\\"]\n[sec]\n\tK = \" a#b\\t\\\"\\\\\\n \"\n\tk = plain\n");
	CHECK_INT(gconf_parse_bool("On"), 1);
	CHECK_INT(gconf_parse_bool(""), 0);
	CHECK_INT(gconf_parse_bool(NULL), 1);
	CHECK_INT(gconf_parse_bool("2k"), 1);
	CHECK_INT(gconf_parse_bool("maybe"), -1);
	buf_dispose(&b);
}
