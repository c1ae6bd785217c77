/* git's urlmatch.c: normalisation (t0110-urlmatch-normalization's rules) and the
 * per-URL config precedence. The precedence table's answers are real git's
 * (`git config -f cfg --get-urlmatch http.key URL`, git 2.39). */
#include <stdio.h>
#include <stdlib.h>

#include <git2.h>

#include "../../git/gurl.h"
#include "../../helper/buf.h"
#include "unit.h"

static const char *norm(const char *url, int globs)
{
	static char out[1100];
	struct gurl_info i;

	if (gurl_normalize(url, globs, &i) < 0)
		snprintf(out, sizeof(out), "ERR %s", err_last()->msg);
	else
		snprintf(out, sizeof(out), "%s", i.url);
	gurl_info_dispose(&i);
	return out;
}

TEST(gurl_normalize_table)
{
	static const struct { const char *in, *want; } t[] = {
		{ "HTTP://EXAMPLE.COM", "http://example.com/" },
		{ "http://example.com:80/", "http://example.com/" },
		{ "https://example.com:443", "https://example.com/" },
		{ "http://example.com:443", "http://example.com:443/" },
		{ "https://example.com:80", "https://example.com:80/" },
		{ "http://example.com:0080", "http://example.com/" },
		{ "http://example.com:008", "http://example.com:8/" },
		{ "http://example.com:", "http://example.com/" },
		{ "http://example.com:65535/", "http://example.com:65535/" },
		{ "http://example.com:000", "ERR invalid port number" },
		{ "http://example.com:65536/", "ERR invalid port number" },
		{ "http://example.com:123456/", "ERR invalid port number" },
		{ "http://example.com:8a/", "ERR invalid port number" },
		{ "http://%41%62:%7e@Example.com/", "http://Ab:~@example.com/" },
		{ "http://a%3ab@example.com/", "http://a%3Ab@example.com/" },
		{ "http://@example.com", "http://@example.com/" },
		{ "http://example.com/%2f%3A%41%7e%25", "http://example.com/%2F%3AA~%25" },
		{ "http://example.com/a b\x01", "http://example.com/a%20b%01" },
		{ "http://example.com/\xc3\xa9", "http://example.com/%C3%A9" },
		{ "http://example.com/a/./b/../c", "http://example.com/a/c" },
		{ "http://example.com/a/..", "http://example.com/" },
		{ "http://example.com/./", "http://example.com/" },
		{ "http://example.com/a/%2e%2E/b", "http://example.com/b" },
		{ "http://example.com/a//b/", "http://example.com/a//b/" },
		{ "http://example.com/..", "ERR invalid '..' path segment" },
		{ "http://example.com/a/../..", "ERR invalid '..' path segment" },
		{ "https://example.com?Q=%41#%7e", "https://example.com/?Q=A#~" },
		{ "https://example.com:443?x", "https://example.com/?x" },
		{ "https://[::1]:8080/x", "https://[::1]:8080/x" },
		{ "https://[::1]/x", "https://[::1]/x" },
		{ "file:///tmp/x", "file:///tmp/x" },
		{ "file://:80/x", "ERR a 'file:' URL may not have a port number" },
		{ "https://exa mple.com", "ERR invalid characters in host name" },
		{ "https://*.example.com", "ERR invalid characters in host name" },
		{ "https://example.com/%zz", "ERR invalid %XX escape sequence" },
		{ "https://%4@example.com", "ERR invalid %XX escape sequence" },
		{ "example.com", "ERR invalid URL scheme name or missing '://' suffix" },
		{ "1http://example.com", "ERR invalid URL scheme name or missing '://' suffix" },
		{ "https:/example.com", "ERR invalid URL scheme name or missing '://' suffix" },
		{ "https://", "ERR missing host and scheme is not 'file:'" },
		{ "https://u@/x", "ERR missing host and scheme is not 'file:'" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = norm(t[i].in, 0);

		if (strcmp(got, t[i].want))
			unit_fail(__FILE__, __LINE__, "case %zu \"%s\":\n  got  \"%s\"\n  want \"%s\"", i,
				  t[i].in, got, t[i].want);
	}
	CHECK_STR(norm("https://*.Example.com/", 1), "https://*.example.com/");
}

TEST(gurl_normalize_offsets)
{
	struct gurl_info i;

	CHECK_OK(gurl_normalize("https://u:p@Host.COM:8080/x", 0, &i));
	CHECK_STR(i.url, "https://u:p@host.com:8080/x");
	CHECK_INT(i.scheme_len, 5);
	CHECK_INT(i.user_off, 8);
	CHECK_INT(i.user_len, 1);
	CHECK_INT(i.passwd_off, 10);
	CHECK_INT(i.passwd_len, 1);
	CHECK_INT(i.host_off, 12);
	CHECK_INT(i.host_len, 8);
	CHECK_INT(i.port_off, 21);
	CHECK_INT(i.port_len, 4);
	CHECK_INT(i.path_off, 25);
	CHECK_INT(i.path_len, 2);
	gurl_info_dispose(&i);
	CHECK_OK(gurl_normalize("https://example.com", 0, &i));
	CHECK_INT(i.user_off, 0);
	CHECK_INT(i.port_len, 0);
	gurl_info_dispose(&i);
}

static int matches(const char *pattern, const char *url, struct gurl_match *m)
{
	struct gurl_info p, u;
	int r;

	CHECK_OK(gurl_normalize(pattern, 1, &p));
	CHECK_OK(gurl_normalize(url, 0, &u));
	r = gurl_match(&u, &p, m);
	gurl_info_dispose(&p);
	gurl_info_dispose(&u);
	return r;
}

TEST(gurl_match_rules)
{
	struct gurl_match a, b;

	CHECK(matches("https://example.com", "https://example.com/x/y", &a));
	CHECK_INT(a.host_len, 11);
	CHECK_INT(a.path_len, 1);
	CHECK(!matches("https://example.com", "http://example.com/", &a));
	CHECK(!matches("https://example.com", "https://example.com:8443/", &a));
	CHECK(!matches("https://example.com/a", "https://example.com/ab", &a));
	CHECK(matches("https://example.com/a/", "https://example.com/a", &a));
	CHECK_INT(a.path_len, 3);
	/* "*" is one label, never two */
	CHECK(matches("https://*.example.com", "https://www.example.com", &a));
	CHECK(!matches("https://*.example.com", "https://a.b.example.com", &a));
	CHECK(!matches("https://*.example.com", "https://example.com", &a));
	/* a pattern with a user needs that user; one without takes any */
	CHECK(!matches("https://bob@example.com", "https://example.com", &a));
	CHECK(!matches("https://bob@example.com", "https://alice@example.com", &a));
	CHECK(matches("https://bob@example.com", "https://bob:pw@example.com", &a));
	CHECK_INT(a.user_matched, 1);
	CHECK(matches("https://example.com", "https://bob@example.com", &b));
	CHECK_INT(b.user_matched, 0);
	CHECK(gurl_match_cmp(&a, &b) > 0);
	/* host before path before user */
	CHECK(matches("https://www.example.com", "https://www.example.com/a/b", &a));
	CHECK(matches("https://*.example.com/a/b", "https://www.example.com/a/b", &b));
	CHECK(gurl_match_cmp(&a, &b) > 0);
	CHECK(matches("https://bob@example.com/a", "https://bob@example.com/a/b", &a));
	CHECK(matches("https://example.com/a/b", "https://bob@example.com/a/b", &b));
	CHECK(gurl_match_cmp(&a, &b) < 0);
	CHECK_INT(gurl_match_cmp(&a, &a), 0);
}

static git_config *open_cfg(const char *text)
{
	git_config *cfg;

	git_libgit2_init();
	unit_write_file("cfg", text);
	CHECK(git_config_open_ondisk(&cfg, "cfg") == 0);
	return cfg;
}

static const char precedence_cfg[] =
	"[http]\n\tkey = plain\n"
	"[http \"https://example.com\"]\n\tkey = host\n"
	"[http \"https://*.example.com\"]\n\tkey = wild\n"
	"[http \"https://www.example.com\"]\n\tkey = www\n"
	"[http \"https://example.com/a\"]\n\tkey = pa\n"
	"[http \"https://example.com/a/b/\"]\n\tkey = pab\n"
	"[http \"https://user@example.com\"]\n\tkey = user\n"
	"[http \"https://user@example.com/a\"]\n\tkey = userpa\n"
	"[http \"https://example.com:8443/\"]\n\tkey = port\n"
	"[http \"HTTPS://EXAMPLE.ORG:443/x/./y/../z\"]\n\tkey = norm\n"
	"[http \"http://example.org:080/%7euser\"]\n\tkey = tilde\n"
	"[http \"https://*.*.example.net\"]\n\tkey = wild2\n"
	"[http \"https://example.net/%2Fenc\"]\n\tkey = enc\n"
	"[http \"https://[::1]:8080/\"]\n\tkey = v6\n"
	"[http \"example.com\"]\n\tkey = partial\n"
	"[http \"https://example.com/a\"]\n\tkey = pa-again\n"
	"[http \"https://ex%41mple.com\"]\n\tkey = badhost\n"
	"[http \"https://example.info/p%zz\"]\n\tkey = badesc\n"
	"[http \"https://a.b.example.info\"]\n\tkey = abinfo\n"
	"[http \"https://*.b.example.info\"]\n\tkey = wabinfo\n"
	"[http \"https://a.*.example.info\"]\n\tkey = awinfo\n"
	"[http \"https://:@example.io\"]\n\tkey = emptyuser\n"
	"[http \"https://example.edu/a/..\"]\n\tkey = dotdot\n"
	"[http \"https://example.edu/../a\"]\n\tkey = baddot\n";

TEST(gurl_get_precedence_as_git)
{
	static const struct { const char *url, *want; } t[] = {
		{ "https://example.com", "host" },
		{ "https://EXAMPLE.com:443/x", "host" },
		{ "https://example.com/a", "pa-again" }, /* last of equal specificity */
		{ "https://example.com/ab", "host" },
		{ "https://example.com/a/", "pa-again" },
		{ "https://example.com/a/b", "pab" },
		{ "https://example.com/a/bc", "pa-again" },
		{ "https://example.com/a/b/c", "pab" },
		{ "https://user@example.com/", "user" },
		{ "https://user@example.com/a/b", "pab" }, /* path before user */
		{ "https://other@example.com/a", "pa-again" },
		{ "https://user:pw@example.com/a", "userpa" },
		{ "https://www.example.com/", "www" },
		{ "https://foo.example.com/", "wild" },
		{ "https://a.foo.example.com/", "plain" },
		{ "https://example.com:8443/x", "port" },
		{ "https://example.com:08443", "port" },
		{ "http://example.com/", "plain" },
		{ "https://example.org/x/z", "norm" },
		{ "https://example.org/x/z/q", "norm" },
		{ "https://example.org/x/y/z", "plain" },
		{ "http://example.org/~user", "tilde" },
		{ "http://example.org/%7Euser/x", "tilde" },
		{ "https://a.b.example.net/", "wild2" },
		{ "https://b.example.net/", "plain" },
		{ "https://example.net//enc", "plain" },
		{ "https://example.net/%2fenc", "enc" },
		{ "https://example.net/%2Fenc/x", "enc" },
		{ "https://[::1]:8080/x", "v6" },
		{ "https://[::1]/x", "plain" },
		{ "not a url", "plain" }, /* as http.c: only the URL-less entries */
		{ "https://a.b.example.info/", "awinfo" },
		{ "https://x.b.example.info/", "wabinfo" },
		{ "https://a.x.example.info/", "awinfo" },
		{ "https://@example.io/", "emptyuser" },
		{ "https://example.io/", "plain" },
		{ "https://example.edu/x", "dotdot" },
		{ "https://example.edu/./a", "dotdot" },
		{ "https://example.com/a/../a/b", "pab" },
		{ "https://example.com/a%2fb", "host" },
		{ "https://example.com/%61", "pa-again" },
		{ "https://example.com?q=1", "host" },
		{ "https://example.com/a?q", "host" },
		{ "https://user%40x@example.com/", "host" },
	};
	git_config *cfg = open_cfg(precedence_cfg);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *v = NULL;

		if (gurl_get(cfg, "http", "Key", t[i].url, &v) < 0 || strcmp(v, t[i].want))
			unit_fail(__FILE__, __LINE__, "case %zu \"%s\":\n  got  \"%s\"\n  want \"%s\"", i,
				  t[i].url, v ? v : err_last()->msg, t[i].want);
		free(v);
	}
	git_config_free(cfg);
}

TEST(gurl_get_unset_and_valueless)
{
	git_config *cfg = open_cfg("[http \"https://h\"]\n\tsslVerify\n[other]\n\tkey = x\n");
	char *v = (char *)"sentinel";

	CHECK_FAILS(gurl_get(cfg, "http", "key", "https://h/", &v), CIH_ENOTFOUND);
	CHECK(v == NULL);
	CHECK_OK(gurl_get(cfg, "http", "sslverify", "https://h/x", &v));
	CHECK(v == NULL); /* valueless: git's boolean true */
	CHECK_FAILS(gurl_get(cfg, "http", "sslverify", "https://other/", &v), CIH_ENOTFOUND);
	git_config_free(cfg);
}

static const char *all(git_config *cfg, const char *url)
{
	static struct buf b;
	struct gurl_values v;

	buf_clear(&b);
	buf_puts(&b, "");
	if (gurl_get_all(cfg, "http", "extraHeader", url, &v) < 0)
		return err_last()->msg;
	for (size_t i = 0; i < v.n; i++)
		buf_printf(&b, "%s|", v.v[i]);
	gurl_values_dispose(&v);
	return buf_cstr(&b);
}

TEST(gurl_get_all_collects_as_git_http)
{
	/* checked against git 2.39's requests (GIT_TRACE_CURL): a less specific entry
	 * after a more specific one is dropped */
	git_config *cfg = open_cfg("[http]\n\textraHeader = B\n"
				   "[http \"http://127.0.0.1:18765/a\"]\n\textraHeader = A\n"
				   "[http \"http://127.0.0.1:18765\"]\n\textraHeader = C\n"
				   "[http]\n\textraHeader = D\n"
				   "[http \"http://127.0.0.1:18765/a\"]\n\textraHeader = E\n");

	CHECK_STR(all(cfg, "http://127.0.0.1:18765/a/b.git"), "B|A|E|");
	CHECK_STR(all(cfg, "http://127.0.0.1:18765/x"), "B|C|");
	CHECK_STR(all(cfg, "http://other/"), "B|D|");
	git_config_free(cfg);
	cfg = open_cfg("[http]\n\textraHeader = B\n\textraHeader =\n\textraHeader = D\n"
		       "[http \"https://h\"]\n\textraHeader = H\n\textraHeader = \n\textraHeader = I\n");
	CHECK_STR(all(cfg, "http://x/"), "D|");
	CHECK_STR(all(cfg, "https://h/"), "I|");
	git_config_free(cfg);
	cfg = open_cfg("[http]\n\textraHeader\n");
	CHECK_STR(all(cfg, "http://x/"), "missing value for 'http.extraheader'");
	git_config_free(cfg);
}

TEST(gurl_levels_lowest_priority_first)
{
	git_config *cfg;
	char *v = NULL;

	git_libgit2_init();
	unit_write_file("global", "[http]\n\tkey = g\n\textraHeader = G\n"
				  "[http \"https://h/p\"]\n\tkey = g-path\n");
	unit_write_file("local", "[http]\n\tkey = l\n\textraHeader = L\n"
				 "[http \"https://h\"]\n\tkey = l-host\n");
	CHECK(git_config_new(&cfg) == 0);
	CHECK(git_config_add_file_ondisk(cfg, "local", GIT_CONFIG_LEVEL_LOCAL, NULL, 0) == 0);
	CHECK(git_config_add_file_ondisk(cfg, "global", GIT_CONFIG_LEVEL_GLOBAL, NULL, 0) == 0);
	CHECK_OK(gurl_get(cfg, "http", "key", "https://other/", &v));
	CHECK_STR(v, "l");
	free(v);
	/* more specific wins whatever the level */
	CHECK_OK(gurl_get(cfg, "http", "key", "https://h/p/x", &v));
	CHECK_STR(v, "g-path");
	free(v);
	CHECK_OK(gurl_get(cfg, "http", "key", "https://h/q", &v));
	CHECK_STR(v, "l-host");
	free(v);
	CHECK_STR(all(cfg, "https://x/"), "G|L|");
	git_config_free(cfg);
}
