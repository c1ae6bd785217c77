/* shell.Expand as mvdan.cc/sh/v3 does it for --path and --exclude values. */
#include <stdlib.h>

#include "../../helper/shexpand.h"
#include "unit.h"

static const char *vars(const char *name, void *ctx)
{
	static const char *const kv[][2] = {
		{ "HOME", "/home/u" }, { "A", "hello" }, { "P", "/a/b/c.tar.gz" }, { "N", "3" },
		{ "EMPTY", "" }, { "IND", "A" }, { "SP", "a b" }, { "REF", "N" }, { "U", "\303\251t\303\251" },
		{ "CI_PROJECT_DIR", "/builds/g/p" },
	};
	(void)ctx;
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (!strcmp(kv[i][0], name))
			return kv[i][1];
	return NULL;
}

static const struct { const char *in, *out; } ok[] = {
	{ "", "" },
	{ "plain/path/*.txt", "plain/path/*.txt" },
	{ "$A/x", "hello/x" },
	{ "${A}x", "hellox" },
	{ "$Ax", "" },
	{ "$CI_PROJECT_DIR/build/**", "/builds/g/p/build/**" },
	{ "'$A' \"$A\"", "'hello' \"hello\"" },
	{ "\\$A \\\\ \\` \\\" \\x", "$A \\ ` \\\" \\x" },
	{ "~/x ~", "~/x ~" },
	{ "a$", "a$" },
	{ "$/x $. $'q' $\"q\"", "$/x $. $'q' $\"q\"" },
	{ "$1$9$#$?$$$!$@$*$-", "" },
	{ "$12", "2" },
	{ "$LINENO ${LINENO}", "1 1" },
	{ "${EMPTY:-d} ${EMPTY-d} ${NOPE-d} ${A:-d} ${A-d}", "d d d hello hello" },
	{ "${A:+alt} ${A+alt} ${EMPTY:+alt} ${EMPTY+alt}", "alt alt  " },
	{ "${NOPE:-\"a b\"} ${NOPE:-'$A'} ${NOPE:-$A/x} ${NOPE:-a\\ b}", "a b $A hello/x a\\ b" },
	{ "${NOPE:-~/x} ${NOPE:-~}", "/home/u/x /home/u" },
	{ "${#A} ${#U} ${#NOPE} ${#}", "5 3 0 " },
	{ "${P#*/} ${P##*/} ${P%.*} ${P%%.*}", "a/b/c.tar.gz c.tar.gz /a/b/c.tar /a/b/c" },
	{ "${P#/[ab]/} ${P%.[!t]*} ${P#x}", "b/c.tar.gz /a/b/c.tar /a/b/c.tar.gz" },
	{ "${A:1} ${A:1:2} ${A: -2} ${A:1:-1} ${A:10} ${A::2} ${A:N-1}", "ello el lo ell  he llo" },
	{ "${A/l/L} ${A//l/L} ${A/l} ${A//[el]/} ${A/#h/H} ${A/\"*\"/x}", "heLlo heLLo helo ho hello hello" },
	{ "${A^} ${A^^} ${SP^^[a]} ${A,,}", "Hello HELLO A b hello" },
	{ "${!IND} ${!REF}", "hello 3" },
	{ "${A[0]} ${A[1]} ${A[@]} ${#A[@]} ${#NOPE[*]}", "hello  hello 1 0" },
	{ "$((1+2*3)) $(( (1+2)*3 )) $((-7/2)) $((-7%3)) $((2**10)) $[N*2]", "7 9 -3 -1 1024 6" },
	{ "$((N)) $((REF)) $((N+$N)) $((${N}0)) $((NOPE+1)) $((A))", "3 3 6 30 1 0" },
	{ "$((1<2)) $((2<=1)) $((3==3)) $((1!=1)) $((1&&0)) $((0||2)) $((!0)) $((~0))", "1 0 1 0 0 1 1 -1" },
	{ "$((6&3)) $((6|3)) $((6^3)) $((1<<3)) $((-16>>2)) $((1<<64)) $((1,2))", "2 7 5 8 -4 0 2" },
	{ "$((1?2:3)) $((2?2:3)) $((0?1/0:4))", "2 3 4" },
	{ "$((9223372036854775807+1)) $((99999999999999999999)) $((0x10)) $((010))", "-9223372036854775808 9223372036854775807 0 10" },
	{ "$(((-9223372036854775807-1)/-1)) $(((-9223372036854775807-1)%-1))", "-9223372036854775808 0" },
};

static const struct { const char *in, *err; } bad[] = {
	{ "${A", "1:1: reached EOF without matching `${` with `}`" },
	{ "x/${A:-y", "1:3: reached EOF without matching `${` with `}`" },
	{ "${}", "1:3: invalid parameter name" },
	{ "${1a}", "1:3: invalid parameter name" },
	{ "${A B}", "1:4: not a valid parameter expansion operator: ` `" },
	{ "${A!}", "1:4: not a valid parameter expansion operator: `!`" },
	{ "${#A:-x}", "1:5: cannot combine multiple parameter expansion operators" },
	{ "${A:}", "1:4: `:` must be followed by an expression" },
	{ "${@[1]}", "1:4: cannot index a special parameter name" },
	{ "${%A}", "1:1: `${%foo}` is a mksh feature; tried parsing as bash" },
	{ "$(pwd)/x", "unexpected command substitution at 1:1" },
	{ "a/`pwd`", "unexpected command substitution at 1:3" },
	{ "${NOPE:-$(pwd)}", "unexpected command substitution at 1:9" },
	{ "$(pwd", "1:1: reached EOF without matching `$(` with `)`" },
	{ "`pwd", "1:1: reached EOF without closing quote \"`\"" },
	{ "${NOPE:-'x}", "1:9: reached EOF without closing quote `'`" },
	{ "$((1+))", "1:5: `+` must be followed by an expression" },
	{ "$(( ))", "1:1: `$((` must be followed by an expression" },
	{ "$((1 2))", "1:6: not a valid arithmetic operator: `2`" },
	{ "$((1", "1:1: reached EOF without matching `$((` with `))`" },
	{ "$((1/0))", "division by zero" },
	{ "$((A=1))", "environment is read-only" },
	{ "$((1=1))", "1:5: `=` must follow a name" },
	{ "${NOPE:?is required}", "NOPE: is required" },
	{ "${NOPE:=x}", "environment is read-only" },
	{ "${!NOPE}", "invalid indirect expansion" },
	{ "$(pwd) ${A", "1:8: reached EOF without matching `${` with `}`" },
};

TEST(shexpand_expands_like_mvdan_sh)
{
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *out = NULL;
		int rc = shexp_expand_with(ok[i].in, vars, NULL, &out);
		if (rc < 0 || strcmp(out, ok[i].out))
			unit_fail(__FILE__, __LINE__, "`%s`: rc %d (%s) got `%s`, want `%s`", ok[i].in, rc,
				  rc < 0 ? err_last()->msg : "", out ? out : "", ok[i].out);
		free(out);
	}
}

TEST(shexpand_errors_like_mvdan_sh)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		int rc = shexp_expand_with(bad[i].in, vars, NULL, &out);
		if (rc != CIH_EUSAGE || out || strcmp(err_last()->msg, bad[i].err))
			unit_fail(__FILE__, __LINE__, "`%s`: rc %d, error `%s`, want `%s`", bad[i].in, rc,
				  err_last()->msg, bad[i].err);
	}
}

TEST(shexpand_reads_the_environment)
{
	char *out = NULL;

	setenv("CIH_SHEXP_T", "v", 1);
	setenv("CIH_SHEXP_E", "", 1);
	CHECK_OK(shexp_expand("$CIH_SHEXP_T/${CIH_SHEXP_E:-empty}", &out));
	CHECK_STR(out, "v/empty");
	free(out);
	unsetenv("CIH_SHEXP_T");
	unsetenv("CIH_SHEXP_E");
}
