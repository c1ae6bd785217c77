#include <stdio.h>
#include <stdlib.h>

#include "../../helper/buf.h"
#include "../../helper/maskfilter.h"
#include "unit.h"

static int count_new(void *ctx, const char *phrase, size_t len)
{
	(*(int *)ctx)++;
	return 0;
}

/* Runs text through a fresh filter in pieces of `step` bytes (0: one piece, -1: the
 * split at `at` only), draining after each, and returns what came out. */
static const char *filter(const char *text, long step, size_t at)
{
	static struct buf got;
	struct maskfilter_set set = { 0 };
	struct maskfilter f;
	size_t n = strlen(text), pos = 0;

	maskfilter_init(&f, &set);
	while (pos < n) {
		size_t len = step > 0 ? (size_t)step : step < 0 && pos < at ? at : n - pos;

		len = len > n - pos ? n - pos : len;
		CHECK_OK(maskfilter_feed(&f, text + pos, len));
		CHECK_OK(maskfilter_drain(&f, false));
		pos += len;
	}
	CHECK_OK(maskfilter_drain(&f, true));
	buf_clear(&got);
	buf_puts(&got, "");
	buf_put(&got, f.out.ptr, f.out.len);
	maskfilter_dispose(&f);
	maskfilter_set_dispose(&set);
	return buf_cstr(&got);
}

static const char in[] = "hello\n"
			 "::add-mask::s3cret\n"
			 "the s3cret, s3c and s3cretive\n"
			 "not ::add-mask::x\n"
			 "::add-mask::tok\r\n"
			 "::add-mask::\n"
			 "::add-mas\n"
			 "tok:s3cret";
static const char want[] = "hello\n"
			   "::add-mask::[MASKED]\n"
			   "the [MASKED], s3c and [MASKED]ive\n"
			   "not ::add-mask::x\n"
			   "::add-mask::[MASKED]\r\n"
			   "::add-mask::\n"
			   "::add-mas\n"
			   "[MASKED]:[MASKED]";

TEST(maskfilter_every_split_gives_the_same_output)
{
	CHECK_STR(filter(in, 0, 0), want);
	CHECK_STR(filter(in, 1, 0), want);
	CHECK_STR(filter(in, 7, 0), want);
	for (size_t at = 1; at < sizeof(in) - 1; at++) {
		const char *got = filter(in, -1, at);

		if (strcmp(got, want))
			unit_fail(__FILE__, __LINE__, "split at %zu:\n  got  \"%s\"\n  want \"%s\"", at,
				  got, want);
	}
}

static void feed(struct maskfilter *f, const char *s)
{
	CHECK_OK(maskfilter_feed(f, s, strlen(s)));
}

static const char *drain(struct maskfilter *f, bool final)
{
	static char got[256];

	CHECK_OK(maskfilter_drain(f, final));
	snprintf(got, sizeof(got), "%.*s", (int)f->out.len, f->out.ptr ? f->out.ptr : "");
	buf_clear(&f->out);
	return got;
}

TEST(maskfilter_holds_back_only_what_could_be_a_phrase)
{
	struct maskfilter_set set = { 0 };
	struct maskfilter f;

	CHECK_INT(maskfilter_set_add(&set, "s3cret", 6), 1);
	maskfilter_init(&f, &set);
	feed(&f, "xx s3c");
	CHECK_STR(drain(&f, false), "xx ");
	feed(&f, "re");
	CHECK_STR(drain(&f, false), "");
	feed(&f, "t!");
	CHECK_STR(drain(&f, false), "[MASKED]!");
	feed(&f, "ab s3");
	CHECK_STR(drain(&f, false), "ab ");
	feed(&f, "\n");
	CHECK_STR(drain(&f, false), "s3\n");
	feed(&f, "s3c");
	CHECK_STR(drain(&f, false), "");
	CHECK_STR(drain(&f, true), "s3c"); /* the stream closed */
	/* a line start that may become a directive waits too */
	maskfilter_init(&f, &set);
	feed(&f, "::add");
	CHECK_STR(drain(&f, false), "");
	feed(&f, "-mask::abc");
	CHECK_STR(drain(&f, false), "");
	feed(&f, "d\nabcd");
	CHECK_STR(drain(&f, false), "::add-mask::[MASKED]\n[MASKED]");
	feed(&f, ":\n");
	CHECK_STR(drain(&f, false), ":\n");
	maskfilter_dispose(&f);
	maskfilter_set_dispose(&set);
}

TEST(maskfilter_longest_phrase_wins)
{
	struct maskfilter_set set = { 0 };
	struct maskfilter f;

	maskfilter_set_add(&set, "abc", 3);
	maskfilter_set_add(&set, "abcdef", 6);
	maskfilter_init(&f, &set);
	feed(&f, "abcdef abc");
	CHECK_STR(drain(&f, false), "[MASKED] ");
	feed(&f, "de");
	CHECK_STR(drain(&f, false), "");
	feed(&f, "x");
	CHECK_STR(drain(&f, false), "[MASKED]dex");
	maskfilter_dispose(&f);
	maskfilter_set_dispose(&set);
}

TEST(maskfilter_a_phrase_from_one_stream_masks_the_other)
{
	struct maskfilter_set set = { 0 };
	struct maskfilter out, err;
	int added = 0;

	set.on_new = count_new;
	set.ctx = &added;
	maskfilter_init(&out, &set);
	maskfilter_init(&err, &set);
	/* read in one round: stderr's directive counts before stdout is printed */
	feed(&out, "token: hunter2\n");
	feed(&err, "::add-mask::hunter2\n");
	CHECK_STR(drain(&out, false), "token: [MASKED]\n");
	CHECK_STR(drain(&err, false), "::add-mask::[MASKED]\n");
	feed(&out, "::add-mask::hunter2\n");
	CHECK_STR(drain(&out, false), "::add-mask::[MASKED]\n");
	CHECK_INT(added, 1); /* a known phrase is not announced again */
	/* a directive the stream ends in, without its newline, still counts */
	feed(&err, "::add-mask::last");
	CHECK_STR(drain(&err, true), "::add-mask::[MASKED]");
	CHECK_INT(added, 2);
	maskfilter_dispose(&out);
	maskfilter_dispose(&err);
	maskfilter_set_dispose(&set);
}

TEST(maskfilter_overlong_value_is_not_registered)
{
	struct maskfilter_set set = { 0 };
	struct maskfilter f;
	size_t n = MASKFILTER_PHRASE_MAX + 1;
	char *value = malloc(n + 1);

	unit_log_capture();
	memset(value, 'v', n);
	value[n] = '\0';
	maskfilter_init(&f, &set);
	feed(&f, "::add-mask::");
	feed(&f, value);
	CHECK_STR(drain(&f, false), "::add-mask::[MASKED]");
	feed(&f, "vvv\nnext vvv\n");
	CHECK_STR(drain(&f, false), "\nnext vvv\n");
	CHECK_INT(set.n, 0);
	CHECK(strstr(unit_log_output(), "add-mask value longer than 65536 bytes"));
	free(value);
	maskfilter_dispose(&f);
	maskfilter_set_dispose(&set);
}
