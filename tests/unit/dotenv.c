#include <stdlib.h>

#include "../../helper/buf.h"
#include "../../helper/dotenv.h"
#include "../../helper/redact.h"
#include "unit.h"

/* Renders the pairs as "KEY=value|" for comparison. */
static int collect(void *ctx, const char *key, const char *value)
{
	buf_printf(ctx, "%s=%s|", key, value);
	return 0;
}

static struct buf out;

static const char *parse(const char *text)
{
	buf_clear(&out);
	buf_puts(&out, ""); /* never NULL */
	if (dotenv_parse(text, strlen(text), collect, &out) < 0)
		return err_last()->msg;
	return buf_cstr(&out);
}

struct dcase {
	const char *in, *want;
};

static void run_table(const struct dcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = parse(c[i].in);

		if (strcmp(got, c[i].want))
			unit_fail(__FILE__, __LINE__, "case %zu \"%s\":\n  got  \"%s\"\n  want \"%s\"", i,
				  c[i].in, got, c[i].want);
	}
}

#define RUN(t) run_table(t, sizeof(t) / sizeof(t[0]))

TEST(dotenv_godotenv_fixtures)
{
	static const struct dcase t[] = {
		/* fixtures/plain.env */
		{ "OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\nOPTION_F = \n"
		  "OPTION_G=\nOPTION_H=1 2",
		  "OPTION_A=1|OPTION_B=2|OPTION_C=3|OPTION_D=4|OPTION_E=5|OPTION_F=|OPTION_G=|OPTION_H=1 2|" },
		/* fixtures/quoted.env */
		{ "OPTION_A='1'\nOPTION_B='2'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_E=\"1\"\nOPTION_F=\"2\"\n"
		  "OPTION_G=\"\"\nOPTION_H=\"\\n\"\nOPTION_I = \"echo 'asd'\"\nOPTION_J='line 1\nline 2'\n"
		  "OPTION_K='line one\nthis is \\'quoted\\'\none more line'\nOPTION_L=\"line 1\nline 2\"\n"
		  "OPTION_M=\"line one\nthis is \\\"quoted\\\"\none more line\"\n",
		  "OPTION_A=1|OPTION_B=2|OPTION_C=|OPTION_D=\\n|OPTION_E=1|OPTION_F=2|OPTION_G=|OPTION_H=\n|"
		  "OPTION_I=echo 'asd'|OPTION_J=line 1\nline 2|"
		  "OPTION_K=line one\nthis is \\'quoted\\'\none more line|OPTION_L=line 1\nline 2|"
		  "OPTION_M=line one\nthis is \"quoted\"\none more line|" },
		/* fixtures/exported.env, equals.env, comments.env, substitutions.env */
		{ "export OPTION_A=2\nexport OPTION_B='\\n'\n", "OPTION_A=2|OPTION_B=\\n|" },
		{ "export OPTION_A='postgres://localhost:5432/database?sslmode=disable'\n",
		  "OPTION_A=postgres://localhost:5432/database?sslmode=disable|" },
		{ "# Full line comment\nfoo=bar # baz\nbar=foo#baz\nbaz=\"foo\"#bar\n",
		  "foo=bar|bar=foo#baz|baz=foo|" },
		{ "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}${OPTION_B}\n"
		  "OPTION_E=${OPTION_NOT_DEFINED}\n",
		  "OPTION_A=1|OPTION_B=1|OPTION_C=1|OPTION_D=11|OPTION_E=|" },
		/* fixtures/invalid1.env (godotenv adds: near "INVALID LINE\nfoo=bar\n") */
		{ "INVALID LINE\nfoo=bar\n", "unexpected character \"\\n\" in variable name on line 1" },
		/* TestParse, TestExpanding, TestVariableStringValueSeparator */
		{ "ONE=1\nTWO='2'\nTHREE = \"3\"", "ONE=1|TWO=2|THREE=3|" },
		{ "FOO=test\nBAR=$FOO", "FOO=test|BAR=test|" },
		{ "FOO=test\nBAR=${FOO}bar", "FOO=test|BAR=testbar|" },
		{ "BAR=$FOO", "BAR=|" },
		{ "FOO=test\nBAR=\"quote $FOO\"", "FOO=test|BAR=quote test|" },
		{ "BAR='quote $FOO'", "BAR=quote $FOO|" },
		{ "FOO=\"foo\\$BAR\"", "FOO=foo$BAR|" },
		{ "FOO=\"foo\\${BAR}\"", "FOO=foo${BAR}|" },
		{ "FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"", "FOO=test|BAR=foo${FOO} test|" },
		{ "T=\"stratum+tcp://a:3333\nstratum+tcp://a:443\"", "T=stratum+tcp://a:3333\nstratum+tcp://a:443|" },
	};

	RUN(t);
}

TEST(dotenv_godotenv_parsing_cases)
{
	static const struct dcase t[] = {
		/* TestParsing */
		{ "FOO=bar", "FOO=bar|" },
		{ "FOO =bar", "FOO=bar|" },
		{ "FOO= bar", "FOO=bar|" },
		{ "FOO=\"bar\"", "FOO=bar|" },
		{ "FOO='bar'", "FOO=bar|" },
		{ "FOO=\"escaped\\\"bar\"", "FOO=escaped\"bar|" },
		{ "FOO=\"'d'\"", "FOO='d'|" },
		{ "OPTION_A: 1", "OPTION_A=1|" },
		{ "OPTION_A: Foo=bar", "OPTION_A=Foo=bar|" },
		{ "OPTION_A=1:B", "OPTION_A=1:B|" },
		{ "export OPTION_A=2", "OPTION_A=2|" },
		{ "export exportFoo=2", "exportFoo=2|" },
		{ "exportFOO=2", "exportFOO=2|" },
		{ "export_FOO =2", "export_FOO=2|" },
		{ "export.FOO= 2", "export.FOO=2|" },
		{ "export\tOPTION_A=2", "OPTION_A=2|" },
		{ "  export OPTION_A=2", "OPTION_A=2|" },
		{ "\texport OPTION_A=2", "OPTION_A=2|" },
		{ "FOO=\"bar\\nbaz\"", "FOO=bar\nbaz|" },
		{ "FOO.BAR=foobar", "FOO.BAR=foobar|" },
		{ "FOO=foobar=", "FOO=foobar=|" },
		{ "FOO=bar ", "FOO=bar|" },
		{ "KEY=value value", "KEY=value value|" },
		{ "FOO=bar # this is foo", "FOO=bar|" },
		{ "FOO=\"bar#baz\" # comment", "FOO=bar#baz|" },
		{ "FOO='bar#baz' # comment", "FOO=bar#baz|" },
		{ "FOO=\"bar#baz#bang\" # comment", "FOO=bar#baz#bang|" },
		{ "FOO=\"ba#r\"", "FOO=ba#r|" },
		{ "FOO=\"bar\\n\\ b\\az\"", "FOO=bar\n baz|" },
		{ "FOO=\"bar\\\\\\n\\ b\\az\"", "FOO=bar\\\n baz|" },
		{ "FOO=\"bar\\\\r\\ b\\az\"", "FOO=bar\\r baz|" },
		{ "=\"value\"", "=value|" },
		{ " KEY =value", "KEY=value|" },
		{ "\tKEY=value", "KEY=value|" },
		{ "lol$wut", "unexpected character \"$\" in variable name on line 1" },
		/* TestLinesToIgnore, TestTrailingNewlines */
		{ "\n", "" },
		{ "\r\n", "" },
		{ "\t\t ", "" },
		{ "# Comment", "" },
		{ "\t # comment", "" },
		{ "KEY=value value\n", "KEY=value value|" },
		{ "KEY: value value\n", "KEY=value value|" },
	};

	RUN(t);
}

TEST(dotenv_quirks_of_v1_5_1)
{
	static const struct dcase t[] = {
		{ "A=x # b # c", "A=x # b|" },          /* the last " #" starts the comment */
		{ "A= # c", "A=# c|" },                 /* '#' first in the value is kept */
		{ "A=\"abc\\\"\"", "A=abc\\|" },        /* trailing quotes are trimmed */
		{ "A=\"x\" B=2", "A=x|B=2|" },          /* a statement may follow a quote */
		{ "X=1\nA=$(X)", "X=1|A=1)|" },         /* "$(" is not escaped in v1.5.1 */
		{ "A=${lower} $lower $ $5 ${}", "A=${lower} $lower $  ${}|" },
		{ "X=1\nA=\"\\\\$X \\\\\\$X\"", "X=1|A=$X \\$X|" },
		{ "X=1\nA=\\$X ${X", "X=1|A=$X 1|" },
		{ "A=1\nA=$A$A", "A=1|A=11|" },         /* earlier keys of the file only */
		{ "A=\"a\\tb\\\"c\"\r\nB='a\\tb'\r\n", "A=atb\"c|B=a\\tb|" },
		{ "A=x\rB=y", "A=x|B=y|" },
		{ "FOO", "=FOO|" },                     /* no '=' at the end: key "" */
		{ "export ", "zero length string" },
		{ "MY-KEY=s3cr3t", "unexpected character \"-\" in variable name on line 1" },
		{ "A=1\n\xc3\x84=s3cr3t", "unexpected character \"\\u0084\" in variable name on line 2" },
		{ "A=1\nB=\"s3cr3t\nC=2\n", "unterminated quoted value on line 2" },
		{ "A='s3cr3t", "unterminated quoted value on line 1" },
		{ "K\xc2\xa0=\xc2\xa0v\xc2\xa0", "K=v|" },     /* NBSP is a space */
		{ "A=\xff\xc3 #\nB=\"\xff\"", "A=\xef\xbf\xbd\xef\xbf\xbd|B=\xff|" },
		{ "\xc3\xaa=1", "\xc3\xaa=1|" },             /* \xaa is a Latin-1 letter */
		{ "\xc3\xa9=1", "unexpected character \"\xc2\xa9\" in variable name on line 1" },
	};

	RUN(t);
	CHECK_FAILS(dotenv_parse("A=\"x\\0\"", 7, collect, &out), CIH_OK);
	CHECK_FAILS(dotenv_parse("A=x\0y", 5, collect, &out), CIH_ECORRUPT);
	CHECK_ERR("value of A holds a NUL byte");
}

/* GitLab Runner's helpers.DotEnvEscape: sorted KEY="value" with \ " LF CR escaped. */
static void runner_write(struct buf *b, const char *const *kv, size_t n)
{
	for (size_t i = 0; i < n; i += 2) {
		buf_printf(b, "%s=\"", kv[i]);
		for (const char *s = kv[i + 1]; *s; s++) {
			if (*s == '\\' || *s == '"')
				buf_putc(b, '\\');
			buf_puts(b, *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : (char[]){ *s, 0 });
		}
		buf_puts(b, "\"\n");
	}
}

TEST(dotenv_round_trips_the_runner_writer)
{
	static const char *const kv[] = {
		"AWS_ACCESS_KEY_ID", "AKIAEXAMPLE",
		"AWS_PROFILE", "",
		"AWS_SECRET_ACCESS_KEY", "wJalr/K7MDENG+bPxRfiCY=\"q\"\\x\\n$$y $lower$",
		"AZURE_STORAGE_SAS_TOKEN", "sv=2021&sig=ab%2Fc%3D&se=2024-01-01T00:00:00Z",
		"CACHE_METADATA", "{\"a\":\"line1\\nline2\",\"b\":'#x' # y}",
		"MULTI", "one\ntwo\r\nthree\ttab \\ \\\\ end ",
		"UNICODE", "\xc3\xbcnic\xc3\xb6" "de \xe2\x9c\x93 \xf0\x9f\x98\x80 \xc2\xa0nbsp",
	};
	struct buf file = BUF_INIT, want = BUF_INIT;

	runner_write(&file, kv, sizeof(kv) / sizeof(kv[0]));
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i += 2)
		buf_printf(&want, "%s=%s|", kv[i], kv[i + 1]);
	CHECK_STR(parse(buf_cstr(&file)), buf_cstr(&want));
	/* What godotenv itself does not round-trip: $NAME expands, a trailing " or \ breaks. */
	buf_clear(&file);
	runner_write(&file, (const char *const[]){ "A", "x$HOME ${A}", "B", "q\"", "C", "\\$X" }, 6);
	CHECK_STR(parse(buf_cstr(&file)), "A=x |B=q\\|C=$X|");
	buf_clear(&file);
	runner_write(&file, (const char *const[]){ "A", "x\\", "B", "y" }, 4);
	CHECK_STR(parse(buf_cstr(&file)), /* the quote after \\ does not end the value */
		  "unexpected character \"\\\"\" in variable name on line 2");
	buf_dispose(&file);
	buf_dispose(&want);
	buf_dispose(&out);
}

static void unset_all(void)
{
	unsetenv("DOTENV_T_TOKEN");
	unsetenv("DOTENV_T_PLAIN");
	unsetenv("DOTENV_T_password_x");
}

TEST(dotenv_load_sets_overrides_and_masks)
{
	struct buf b = BUF_INIT;

	unit_defer(unset_all);
	setenv("DOTENV_T_PLAIN", "old", 1);
	unit_write_file("env", "DOTENV_T_TOKEN=\"tok-12345\"\nDOTENV_T_PLAIN=\"plain-value\"\n"
			       "DOTENV_T_password_x='pw-67890'\nDOTENV_T_PLAIN=\"${DOTENV_T_PLAIN}!\"\n");
	CHECK_OK(dotenv_load("env"));
	CHECK_STR(getenv("DOTENV_T_TOKEN"), "tok-12345");
	CHECK_STR(getenv("DOTENV_T_PLAIN"), "plain-value!");
	CHECK_STR(getenv("DOTENV_T_password_x"), "pw-67890");
	buf_puts(&b, "tok-12345 plain-value pw-67890");
	CHECK_OK(redact_buf(&b));
	CHECK_STR(buf_cstr(&b), REDACT_MASK " plain-value " REDACT_MASK);
	buf_dispose(&b);
	CHECK_OK(dotenv_load(""));
	CHECK_OK(dotenv_load(NULL));
}

TEST(dotenv_load_errors)
{
	CHECK_FAILS(dotenv_load("missing.env"), CIH_ENOTFOUND);
	CHECK_STR(err_last()->msg, "failed to read env file: open missing.env: no such file or directory");
	CHECK_FAILS(dotenv_load("."), CIH_EOS);
	CHECK_STR(err_last()->msg, "failed to read env file: read .: is a directory");
	unit_write_file("bad.env", "OK=1\nBAD=\"s3cr3t-value\n");
	CHECK_FAILS(dotenv_load("bad.env"), CIH_ECORRUPT);
	CHECK_STR(err_last()->msg, "failed to read env file: unterminated quoted value on line 2");
	CHECK(!getenv("OK")); /* nothing is set when the file does not parse */
	unit_write_file("nokey.env", "s3cr3tvalue");
	CHECK_FAILS(dotenv_load("nokey.env"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "failed to set environment variable : setenv: invalid argument");
}
