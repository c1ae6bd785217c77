/* git's credential.c: the protocol reader and writer, URLs into credentials (with
 * git's decoding quirks), credential.* config (every match in config order,
 * partial URLs), and helpers run through /bin/sh. */
#include <stdio.h>
#include <stdlib.h>

#include <git2.h>

#include "../../git/gcred.h"
#include "../../helper/buf.h"
#include "unit.h"

static FILE *text(const char *s, size_t n)
{
	FILE *f = fmemopen((void *)s, n, "r");

	CHECK(f != NULL);
	return f;
}

static int read_str(struct gcred *c, const char *s)
{
	FILE *f = text(s, strlen(s));
	int rc = gcred_read(c, f);

	fclose(f);
	return rc;
}

static const char *written(const struct gcred *c)
{
	static struct buf b;

	buf_clear(&b);
	buf_puts(&b, "");
	if (gcred_format(c, &b) < 0)
		return err_last()->msg;
	return buf_cstr(&b);
}

TEST(gcred_read_protocol)
{
	struct gcred c = { 0 };

	CHECK_OK(read_str(&c, "protocol=https\nhost=h.example:8443\npath=a/b\nusername=u\n"
			      "password=p=q\r\nwwwauth[]=Basic\ncapability[]=authtype\nfuture=1\n\n"
			      "password=after-blank\n"));
	CHECK_STR(c.protocol, "https");
	CHECK_STR(c.host, "h.example:8443");
	CHECK_STR(c.path, "a/b");
	CHECK_STR(c.username, "u");
	CHECK_STR(c.password, "p=q"); /* first '=' splits; CR before LF dropped */
	CHECK(c.username_from_proto);
	CHECK_STR(written(&c), "protocol=https\nhost=h.example:8443\npath=a/b\nusername=u\npassword=p=q\n");
	gcred_dispose(&c);

	/* url= starts over, as git's credential_from_url() clears first */
	CHECK_OK(read_str(&c, "username=gone\nquit=true\nurl=https://bob:s%3Ac@Host/x/y.git//\nquit=0"));
	CHECK_STR(c.protocol, "https");
	CHECK_STR(c.host, "Host");
	CHECK_STR(c.path, "x/y.git");
	CHECK_STR(c.username, "bob");
	CHECK_STR(c.password, "s:c");
	CHECK(!c.quit);
	gcred_dispose(&c);
	CHECK_OK(read_str(&c, "quit=YES\n"));
	CHECK(c.quit);
	gcred_dispose(&c);
	CHECK_OK(read_str(&c, "quit=1\n"));
	CHECK(c.quit);
	gcred_dispose(&c);
}

TEST(gcred_read_refuses)
{
	struct gcred c = { 0 };
	struct buf big = BUF_INIT;
	FILE *f;

	CHECK_FAILS(read_str(&c, "protocol=https\nno-equals\nhost=h\n"), CIH_ECORRUPT);
	CHECK_STR(c.protocol, "https"); /* what came before stays */
	CHECK(c.host == NULL);
	gcred_dispose(&c);
	f = text("host=a\0b\n", 9);
	CHECK_FAILS(gcred_read(&c, f), CIH_ECORRUPT);
	CHECK_ERR("NUL");
	fclose(f);
	gcred_dispose(&c);
	buf_puts(&big, "path=");
	for (int i = 0; i < GCRED_LINE_MAX; i++)
		buf_putc(&big, 'a');
	buf_puts(&big, "\n");
	CHECK_FAILS(read_str(&c, big.ptr), CIH_ECORRUPT);
	CHECK_ERR("longer than");
	buf_dispose(&big);
	gcred_dispose(&c);
	CHECK_FAILS(read_str(&c, "quit=maybe\n"), CIH_EUSAGE);
	CHECK_ERR("bad boolean config value 'maybe' for 'quit'");
	CHECK_FAILS(read_str(&c, "url=host-only\n"), CIH_EUSAGE);
	CHECK_ERR("credential url cannot be parsed: host-only");
	CHECK_FAILS(read_str(&c, "url=https://u:sec%0aret@h\n"), CIH_EUSAGE);
	CHECK(!strstr(err_last()->msg, "sec"));
	CHECK_ERR("https://u:[MASKED]@h");
	gcred_dispose(&c);
}

TEST(gcred_write_refuses)
{
	struct gcred c = { 0 };

	c.host = strdup("h");
	CHECK_STR(written(&c), "credential value for protocol is missing");
	c.protocol = strdup("https");
	c.username = strdup("a\nb");
	CHECK_STR(written(&c), "credential value for username contains newline");
	gcred_dispose(&c);
}

TEST(gcred_parse_url_quirks)
{
	struct gcred c = { 0 };

	/* git's url_decode_mem(): what precedes a first ':' is not decoded */
	CHECK_OK(gcred_parse_url(&c, "https://u%41:p%41:x%41@h%41:8%30/a%20b:c%20d", false, true));
	CHECK_STR(c.username, "uA");
	CHECK_STR(c.password, "p%41:xA");
	CHECK_STR(c.host, "h%41:80");
	CHECK_STR(c.path, "a%20b:c d");
	gcred_dispose(&c);
	CHECK_OK(gcred_parse_url(&c, "https://%00@h/x?q=1#f", false, true));
	CHECK_STR(c.username, "%00");
	CHECK(!c.username_from_proto || strlen(c.username));
	CHECK_STR(c.path, "x?q=1#f");
	gcred_dispose(&c);
	CHECK_OK(gcred_parse_url(&c, "https://h?x@y", false, true));
	CHECK_STR(c.host, "h");
	CHECK(c.username == NULL);
	gcred_dispose(&c);
	CHECK_OK(gcred_parse_url(&c, "https://@h", false, true));
	CHECK_STR(c.username, "");
	CHECK(!c.username_from_proto);
	gcred_dispose(&c);
	CHECK_FAILS(gcred_parse_url(&c, "://h", false, true), -1);
	CHECK_FAILS(gcred_parse_url(&c, "h", false, true), -1);
	/* partial: only what is there */
	CHECK_OK(gcred_parse_url(&c, "example.com", true, true));
	CHECK(c.protocol == NULL);
	CHECK_STR(c.host, "example.com");
	gcred_dispose(&c);
	CHECK_OK(gcred_parse_url(&c, "https://", true, true));
	CHECK_STR(c.protocol, "https");
	CHECK(c.host == NULL);
	gcred_dispose(&c);
	CHECK_OK(gcred_parse_url(&c, "/repo/", true, true));
	CHECK(c.host == NULL);
	CHECK_STR(c.path, "repo");
	gcred_dispose(&c);
}

TEST(gcred_match_and_mask)
{
	struct gcred want = { 0 }, have = { 0 };
	char *m;

	have.protocol = strdup("https");
	have.host = strdup("h");
	have.username = strdup("u");
	CHECK(gcred_match(&want, &have));
	want.host = strdup("h");
	CHECK(gcred_match(&want, &have));
	want.path = strdup("p");
	CHECK(!gcred_match(&want, &have));
	free(want.path);
	want.path = NULL;
	want.username = strdup("v");
	CHECK(!gcred_match(&want, &have));
	gcred_dispose(&want);
	gcred_dispose(&have);
	CHECK_STR((m = gcred_mask_url("https://u:secret@h/p:q@r")), "https://u:[MASKED]@h/p:q@r");
	free(m);
	CHECK_STR((m = gcred_mask_url("https://u@h:80/x")), "https://u@h:80/x");
	free(m);
	CHECK_INT(gcred_parse_bool("On"), 1);
	CHECK_INT(gcred_parse_bool(""), 0);
	CHECK_INT(gcred_parse_bool("-2"), 1);
	CHECK_INT(gcred_parse_bool("nope"), -1);
}

static git_config *open_cfg(const char *text)
{
	git_config *cfg;

	git_libgit2_init();
	unit_write_file("cfg", text);
	CHECK(git_config_open_ondisk(&cfg, "cfg") == 0);
	return cfg;
}

static const char *config_of(git_config *cfg, const char *url, struct gcred *c)
{
	static struct buf b;
	char **h;
	size_t n;

	buf_clear(&b);
	buf_puts(&b, "");
	gcred_dispose(c);
	CHECK_OK(gcred_from_url(c, url));
	if (gcred_config(c, cfg, &h, &n) < 0)
		return err_last()->msg;
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s|", h[i]);
		free(h[i]);
	}
	free(h);
	buf_printf(&b, "u=%s p=%s", c->username ? c->username : "-", c->path ? c->path : "-");
	return buf_cstr(&b);
}

TEST(gcred_config_every_match_in_order)
{
	git_config *cfg = open_cfg("[credential \"https://h.example/deep/path\"]\n\thelper = path\n"
				   "\tusername = from-path\n"
				   "[credential \"h.example\"]\n\thelper = partial-host\n"
				   "[credential \"https://\"]\n\thelper = partial-proto\n"
				   "[credential \"/deep\"]\n\thelper = partial-path\n"
				   "[credential \"https://*.example\"]\n\thelper = wildcard\n"
				   "[credential \"http://h.example\"]\n\thelper = http\n"
				   "[credential \"https://bob@h.example\"]\n\thelper = bob\n"
				   "[credential \"https://h.example:8443\"]\n\thelper = port\n"
				   "[credential]\n\tusername = last\n");
	struct gcred c = { 0 };

	CHECK_STR(config_of(cfg, "https://h.example/deep/path/r.git", &c),
		  "path|partial-host|partial-proto|wildcard|u=last p=-");
	CHECK_STR(config_of(cfg, "https://bob@H.EXAMPLE:443/deep", &c),
		  "partial-proto|partial-path|wildcard|bob|u=bob p=-");
	CHECK_STR(config_of(cfg, "https://h.example:8443/", &c), "partial-proto|port|u=last p=-");
	CHECK_STR(config_of(cfg, "https://a.h.example/", &c), "partial-proto|u=last p=-");
	CHECK_STR(config_of(cfg, "ftp://h.example/deep", &c), "partial-host|partial-path|u=last p=deep");
	git_config_free(cfg);
	cfg = open_cfg("[credential]\n\thelper = a\n\thelper =\n\thelper = b\n\tuseHttpPath = true\n"
		       "[credential \"https://h\"]\n\thelper = c\n");
	CHECK_STR(config_of(cfg, "https://h/x/y", &c), "b|c|u=- p=x/y");
	git_config_free(cfg);
	cfg = open_cfg("[credential]\n\tuseHttpPath = maybe\n");
	CHECK_STR(config_of(cfg, "https://h/x/y", &c), "bad boolean config value 'maybe' for 'credential.usehttppath'");
	git_config_free(cfg);
	cfg = open_cfg("[credential]\n\tfoo\n");
	CHECK_STR(config_of(cfg, "https://h/", &c), "missing value for 'credential.foo'");
	git_config_free(cfg);
	gcred_dispose(&c);
	{
		char **h;
		size_t n;

		CHECK_FAILS(gcred_config(&c, NULL, &h, &n), CIH_EUSAGE);
		CHECK_ERR("missing host field");
		c.host = strdup("h");
		CHECK_FAILS(gcred_config(&c, NULL, &h, &n), CIH_EUSAGE);
		CHECK_ERR("missing protocol field");
		gcred_dispose(&c);
	}
}

TEST(gcred_fill_with_shell_helpers)
{
	git_config *cfg = open_cfg(
		"[credential]\n\thelper = !echo never-reset >&2\n\thelper =\n"
		"\thelper = \"!f(){ if [ \\\"$1\\\" = \\\"get\\\" ] ; then echo \\\"password=${CI_JOB_TOKEN}\\\" ; fi ; } ; f\"\n"
		"[credential \"https://gitlab.example.com\"]\n\tusername = gitlab-ci-token\n");
	struct gcred c = { 0 };

	setenv("CI_JOB_TOKEN", "tok-123", 1);
	CHECK_OK(gcred_from_url(&c, "https://gitlab.example.com/g/p.git"));
	CHECK_OK(gcred_fill(&c, cfg));
	CHECK_STR(c.username, "gitlab-ci-token");
	CHECK_STR(c.password, "tok-123");
	CHECK(c.path == NULL);
	CHECK_OK(gcred_approve(&c, cfg));
	CHECK_OK(gcred_reject(&c, cfg));
	CHECK(c.password == NULL);
	gcred_dispose(&c);
	/* another host: no username anywhere */
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	CHECK_OK(gcred_from_url(&c, "https://other.example.com/x"));
	CHECK_FAILS(gcred_fill(&c, cfg), CIH_EAUTH);
	CHECK_STR(err_last()->msg, "could not read Username for 'https://other.example.com': terminal prompts disabled");
	unsetenv("GIT_TERMINAL_PROMPT");
	gcred_dispose(&c);
	unsetenv("CI_JOB_TOKEN");
	git_config_free(cfg);
	cfg = open_cfg("[credential]\n\thelper = \"!echo username=other; :\"\n");
	CHECK_OK(gcred_from_url(&c, "https://me@other.example.com/x"));
	CHECK_FAILS(gcred_fill(&c, cfg), CIH_EAUTH);
	CHECK_STR(err_last()->msg, "could not read Password for 'https://other@other.example.com': No such device or address");
	gcred_dispose(&c);
	git_config_free(cfg);

	cfg = open_cfg("[credential]\n\thelper = \"!echo quit=1; :\"\n\thelper = \"!echo password=x\"\n");
	CHECK_OK(gcred_from_url(&c, "https://u@h/"));
	CHECK_FAILS(gcred_fill(&c, cfg), CIH_EABORT);
	CHECK_STR(err_last()->msg, "credential helper '!echo quit=1; :' told us to quit");
	gcred_dispose(&c);
	git_config_free(cfg);
	/* a helper's malformed answer is warned about; the next helper is asked */
	cfg = open_cfg("[credential]\n\thelper = \"!echo username=a; echo junk; :\"\n"
		       "\thelper = \"!cat >args.txt; echo password=b; :\"\n");
	CHECK_OK(gcred_from_url(&c, "https://h/"));
	CHECK_OK(gcred_fill(&c, cfg));
	CHECK_STR(c.username, "a");
	CHECK_STR(c.password, "b");
	gcred_dispose(&c);
	git_config_free(cfg);
}
