#include <stdlib.h>

#include "../../helper/flags.h"
#include "unit.h"

static int64_t dur(const char *s)
{
	int64_t v = -1;
	CHECK_OK(flags_parse_duration(&v, s));
	return v;
}

TEST(flags_duration_go_syntax)
{
	CHECK_INT(dur("0"), 0);
	CHECK_INT(dur("10m"), 600000000000LL);
	CHECK_INT(dur("1h0m0s"), 3600000000000LL);
	CHECK_INT(dur("500ms"), 500000000);
	CHECK_INT(dur("1.5s"), 1500000000);
	CHECK_INT(dur(".5s"), 500000000);
	CHECK_INT(dur("-2m3s"), -123000000000LL);
	CHECK_INT(dur("3us"), 3000);
	CHECK_INT(dur("3\xc2\xb5s"), 3000);
	CHECK_INT(dur("1h30m"), 5400000000000LL);
}

TEST(flags_duration_errors_use_go_wording)
{
	int64_t v;

	CHECK_FAILS(flags_parse_duration(&v, ""), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "time: invalid duration \"\"");
	CHECK_FAILS(flags_parse_duration(&v, "5"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "time: missing unit in duration \"5\"");
	CHECK_FAILS(flags_parse_duration(&v, "5x"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "time: unknown unit \"x\" in duration \"5x\"");
	CHECK_FAILS(flags_parse_duration(&v, "s"), CIH_EUSAGE);
	CHECK_FAILS(flags_parse_duration(&v, "99999999999999h"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "time: invalid duration \"99999999999999h\"");
}

TEST(flags_bool_accepts_exactly_go_forms)
{
	const char *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	const char *no[] = { "0", "f", "F", "FALSE", "false", "False" };
	bool b;

	for (int i = 0; i < 6; i++) {
		b = false;
		CHECK_OK(flags_parse_bool(&b, yes[i]));
		CHECK(b);
		CHECK_OK(flags_parse_bool(&b, no[i]));
		CHECK(!b);
	}
	CHECK_FAILS(flags_parse_bool(&b, "yes"), CIH_EUSAGE);
	CHECK_FAILS(flags_parse_bool(&b, "tRUE"), CIH_EUSAGE);
}

struct cfg {
	bool verbose;
	const char *name;
	int64_t count, wait;
	struct flag_list ports;
};

static int parse(struct cfg *c, enum flags_mode mode, int *argc, char ***argv)
{
	const struct flag tbl[] = {
		{ "verbose", NULL, FLAG_BOOL, &c->verbose, "T_VERBOSE", "", 0, NULL },
		{ "name", NULL, FLAG_STR, &c->name, "T_NAME", "", 0, NULL },
		{ "count", NULL, FLAG_INT, &c->count, NULL, "", 0, NULL },
		{ "wait", NULL, FLAG_DURATION, &c->wait, "T_WAIT", "", 0, NULL },
		{ "port", "p", FLAG_LIST, &c->ports, NULL, "", 0, NULL },
	};
	return flags_parse(tbl, 5, mode, argc, argv, NULL);
}

TEST(flags_known_flags_move_ahead_of_positionals)
{
	char *args[] = { "a", "--name", "x", "b", "-count=3", "c", "--unknown", NULL };
	char **argv = args;
	int argc = 7;
	struct cfg c = { 0 };

	CHECK_OK(parse(&c, FLAGS_COMMAND, &argc, &argv));
	CHECK_STR(c.name, "x");
	CHECK_INT(c.count, 3);
	CHECK_INT(argc, 4);
	CHECK_STR(argv[0], "a");
	CHECK_STR(argv[1], "b");
	CHECK_STR(argv[3], "--unknown"); /* after a positional: passed through */
}

TEST(flags_double_dash_stops_reordering)
{
	char *args[] = { "--verbose", "--", "--name", "x", NULL };
	char **argv = args;
	int argc = 4;
	struct cfg c = { 0 };

	CHECK_OK(parse(&c, FLAGS_COMMAND, &argc, &argv));
	CHECK(c.verbose);
	CHECK(c.name == NULL);
	CHECK_INT(argc, 2);
	CHECK_STR(argv[0], "--name");
}

TEST(flags_unknown_flag_before_positional_is_usage_error)
{
	char *args[] = { "--nope", "a", NULL };
	char **argv = args;
	int argc = 2;
	struct cfg c = { 0 };

	CHECK_FAILS(parse(&c, FLAGS_COMMAND, &argc, &argv), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "flag provided but not defined: -nope");
}

TEST(flags_value_errors_use_go_wording)
{
	char *a1[] = { "--count", "ten", NULL }, *a2[] = { "--name", NULL },
	     *a3[] = { "--verbose=maybe", NULL }, *a4[] = { "--wait=5", NULL };
	char **argv;
	int argc;
	struct cfg c = { 0 };

	argv = a1, argc = 2;
	CHECK_FAILS(parse(&c, FLAGS_COMMAND, &argc, &argv), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "invalid value \"ten\" for flag -count: strconv.ParseInt: parsing \"ten\": invalid syntax");
	argv = a2, argc = 1;
	CHECK_FAILS(parse(&c, FLAGS_COMMAND, &argc, &argv), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "flag needs an argument: -name");
	argv = a3, argc = 1;
	CHECK_FAILS(parse(&c, FLAGS_COMMAND, &argc, &argv), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "invalid boolean value \"maybe\" for -verbose: parse error");
	argv = a4, argc = 1;
	CHECK_FAILS(parse(&c, FLAGS_COMMAND, &argc, &argv), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "invalid value \"5\" for flag -wait: time: missing unit in duration \"5\"");
}

TEST(flags_env_applies_first_and_command_line_wins)
{
	char *args[] = { "--name=cli", NULL };
	char **argv = args;
	int argc = 1;
	struct cfg c = { 0 };

	setenv("T_NAME", "env", 1);
	setenv("T_WAIT", "2s", 1);
	setenv("T_VERBOSE", "", 1); /* present and empty: true for command flags */
	CHECK_OK(parse(&c, FLAGS_COMMAND, &argc, &argv));
	unsetenv("T_NAME");
	unsetenv("T_WAIT");
	unsetenv("T_VERBOSE");
	CHECK_STR(c.name, "cli");
	CHECK_INT(c.wait, 2000000000);
	CHECK(c.verbose);
}

TEST(flags_bad_env_value_is_usage_error)
{
	char *args[] = { NULL };
	char **argv = args;
	int argc = 0;
	struct cfg c = { 0 };

	setenv("T_WAIT", "", 1);
	CHECK_FAILS(parse(&c, FLAGS_COMMAND, &argc, &argv), CIH_EUSAGE);
	unsetenv("T_WAIT");
	CHECK_STR(err_last()->msg, "could not parse  as value for flag wait: time: invalid duration \"\"");
}

TEST(flags_native_bool_env_empty_is_false)
{
	bool debug = true;
	const struct flag tbl[] = {
		{ "debug", NULL, FLAG_BOOL, &debug, "T_DEBUG", "", FLAG_ENV_EMPTY_FALSE | FLAG_NATIVE, NULL },
	};
	char *args[] = { NULL };
	char **argv = args;
	int argc = 0;

	setenv("T_DEBUG", "", 1);
	CHECK_OK(flags_parse(tbl, 1, FLAGS_APP, &argc, &argv, NULL));
	CHECK(!debug);
	setenv("T_DEBUG", "nah", 1);
	CHECK_FAILS(flags_parse(tbl, 1, FLAGS_APP, &argc, &argv, NULL), CIH_EUSAGE);
	unsetenv("T_DEBUG");
	CHECK_STR(err_last()->msg, "could not parse nah as bool value for flag debug: strconv.ParseBool: parsing \"nah\": invalid syntax");
}

TEST(flags_list_appends_and_two_forms_conflict)
{
	char *a1[] = { "-p", "1", "--p=2", "-p", "3", NULL }, *a2[] = { "-p", "1", "--port", "2", NULL };
	char **argv = a1;
	int argc = 5;
	struct cfg c = { 0 };

	CHECK_OK(parse(&c, FLAGS_COMMAND, &argc, &argv));
	CHECK_INT(c.ports.n, 3);
	CHECK_STR(c.ports.v[2], "3");
	flags_list_dispose(&c.ports);
	argv = a2, argc = 4;
	CHECK_FAILS(parse(&c, FLAGS_COMMAND, &argc, &argv), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "Cannot use two forms of the same flag: p port");
	flags_list_dispose(&c.ports);
}

TEST(flags_app_mode_stops_at_command_name)
{
	char *args[] = { "--verbose", "cmd", "--name", "x", NULL };
	char **argv = args;
	int argc = 4;
	struct cfg c = { 0 };

	CHECK_OK(parse(&c, FLAGS_APP, &argc, &argv));
	CHECK(c.verbose);
	CHECK(c.name == NULL);
	CHECK_INT(argc, 3);
	CHECK_STR(argv[0], "cmd");
}

TEST(flags_bad_syntax)
{
	char *args[] = { "---x", NULL };
	char **argv = args;
	int argc = 1;
	struct cfg c = { 0 };

	CHECK_FAILS(parse(&c, FLAGS_APP, &argc, &argv), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "bad flag syntax: ---x");
}

TEST(flags_double_dash_after_positionals_is_dropped_like_urfave)
{
	char *args[] = { "a", "--", "b", "--name", NULL };
	char **argv = args;
	int argc = 4;
	struct cfg c = { 0 };

	CHECK_OK(parse(&c, FLAGS_COMMAND, &argc, &argv));
	CHECK_INT(argc, 3);
	CHECK_STR(argv[0], "a");
	CHECK_STR(argv[1], "b");
	CHECK_STR(argv[2], "--name"); /* after "--": an operand */
	CHECK(c.name == NULL);
}

TEST(flags_dash_value_after_a_positional_follows_its_flag)
{
	char *args[] = { "pos", "--wait", "-1s", "--name", "--count", NULL };
	char **argv = args;
	int argc = 5;
	struct cfg c = { 0 };

	CHECK_OK(parse(&c, FLAGS_COMMAND, &argc, &argv));
	CHECK_INT(c.wait, -1000000000);
	CHECK_STR(c.name, "--count"); /* Go's flag takes the next argument as the value */
	CHECK_INT(argc, 1);
	CHECK_STR(argv[0], "pos");
}

TEST(flags_report_the_failing_stage)
{
	char *a1[] = { "--nope", NULL }, *a2[] = { "-p", "1", "--port", "2", "--nope", NULL };
	char *a3[] = { NULL };
	char **argv;
	int argc;
	struct cfg c = { 0 };
	enum flags_stage st;
	const struct flag tbl[] = {
		{ "wait", NULL, FLAG_DURATION, &c.wait, "T_WAIT", "", 0, NULL },
		{ "port", "p", FLAG_LIST, &c.ports, NULL, "", 0, NULL },
	};

	argv = a1, argc = 1;
	CHECK_FAILS(flags_parse(tbl, 2, FLAGS_APP, &argc, &argv, &st), CIH_EUSAGE);
	CHECK_INT(st, FLAGS_STAGE_ARGS);
	argv = a2, argc = 5; /* app level: both forms win over the later parse error */
	CHECK_FAILS(flags_parse(tbl, 2, FLAGS_APP, &argc, &argv, &st), CIH_EUSAGE);
	CHECK_INT(st, FLAGS_STAGE_FORMS);
	flags_list_dispose(&c.ports);
	argv = a2, argc = 5; /* command level: the parse error comes first */
	CHECK_FAILS(flags_parse(tbl, 2, FLAGS_COMMAND, &argc, &argv, &st), CIH_EUSAGE);
	CHECK_INT(st, FLAGS_STAGE_ARGS);
	flags_list_dispose(&c.ports);
	setenv("T_WAIT", "soon", 1);
	argv = a3, argc = 0;
	CHECK_FAILS(flags_parse(tbl, 2, FLAGS_APP, &argc, &argv, &st), CIH_EUSAGE);
	unsetenv("T_WAIT");
	CHECK_INT(st, FLAGS_STAGE_ENV);
}
