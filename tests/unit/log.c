#include <stdio.h>
#include <stdlib.h>

#include "../../helper/buf.h"
#include "../../helper/log.h"
#include "../../helper/redact.h"
#include "unit.h"

TEST(log_runner_format_pads_colours_and_sorts_fields)
{
	struct log_field f[] = { { "zeta", "1" }, { "alpha", "two words" } };

	unit_log_capture();
	log_info("plain");
	log_write(LOG_WARN, f, 2, "careful %d", 7);
	log_write(LOG_ERROR, NULL, 0, "broken");
	CHECK_STR(unit_log_output(),
		  "plain                                             \033[0;m \n"
		  "\033[0;33mWARNING: careful 7                                \033[0;m "
		  " \033[0;33malpha\033[0;m=two words \033[0;33mzeta\033[0;m=1\n"
		  "\033[31;1mERROR: broken                                     \033[0;m \n");
}

TEST(log_runner_pads_by_characters_and_text_omits_empty_msg)
{
	unit_log_capture();
	log_info("h\xc3\xa9"); /* "hé": 2 characters, 3 bytes */
	CHECK_STR(unit_log_output(), "h\xc3\xa9                                                \033[0;m \n");
	unit_log_capture();
	log_set_format(LOG_FMT_TEXT);
	log_info("%s", "");
	CHECK(strstr(unit_log_output(), " level=info\n"));
	unit_log_capture();
	log_info("bell\a");
	CHECK(strstr(unit_log_output(), " msg=\"bell\\a\"\n"));
}

TEST(log_level_filters)
{
	unit_log_capture();
	log_debug("hidden");
	log_set_level(LOG_DEBUG);
	log_debug("shown");
	log_set_level(LOG_ERROR);
	log_warn("hidden too");
	CHECK_STR(unit_log_output(),
		  "\033[37;1mshown                                             \033[0;m \n");
}

TEST(log_text_format_is_logfmt_with_go_quoting)
{
	struct log_field f[] = { { "error", "chmod /x: no such file" }, { "a", "b" } };
	const char *out;

	setenv("TZ", "UTC", 1);
	unit_log_capture();
	log_set_format(LOG_FMT_TEXT);
	log_write(LOG_ERROR, f, 2, "failed to chmod path");
	out = unit_log_output();
	CHECK(!strncmp(out, "time=\"", 6));
	CHECK(strstr(out, "Z\" level=error msg=\"failed to chmod path\" a=b error=\"chmod /x: no such file\"\n"));
	unit_log_capture();
	log_info("simple-word_1.2");
	CHECK(strstr(unit_log_output(), " level=info msg=simple-word_1.2\n"));
}

TEST(log_json_format_sorts_keys_and_escapes)
{
	struct log_field f[] = { { "error", "a \"b\" <c>" } };
	const char *out;

	unit_log_capture();
	log_set_format(LOG_FMT_JSON);
	log_write(LOG_FATAL, f, 1, "line\nbreak");
	out = unit_log_output();
	const char *want = "{\"error\":\"a \\\"b\\\" \\u003cc\\u003e\",\"level\":\"fatal\","
			   "\"msg\":\"line\\nbreak\",\"time\":\"";
	CHECK(!strncmp(out, want, strlen(want)));
	CHECK(strstr(out, "\"}\n"));
}

TEST(log_parse_level_and_format)
{
	enum log_level l;
	enum log_format f;

	CHECK_OK(log_level_parse(&l, "WARN"));
	CHECK_INT(l, LOG_WARN);
	CHECK_OK(log_level_parse(&l, "panic"));
	CHECK_INT(l, LOG_PANIC);
	CHECK_FAILS(log_level_parse(&l, "loud"), CIH_EUSAGE);
	CHECK_STR(err_last()->msg, "failed to parse log level: not a valid logrus Level: \"loud\"");
	CHECK_OK(log_format_parse(&f, "json"));
	CHECK_INT(f, LOG_FMT_JSON);
	CHECK_FAILS(log_format_parse(&f, "xml"), CIH_EUSAGE);
}

TEST(log_masks_registered_secrets_everywhere)
{
	struct log_field f[] = { { "url", "https://x/?token=glcbt-SECRET123" } };

	CHECK_OK(redact_add_secret("glcbt-SECRET123"));
	unit_log_capture();
	log_write(LOG_ERROR, f, 1, "using glcbt-SECRET123 twice glcbt-SECRET123");
	CHECK(!strstr(unit_log_output(), "SECRET"));
	CHECK(strstr(unit_log_output(), "using [MASKED] twice [MASKED]"));
	CHECK(strstr(unit_log_output(), "token=[MASKED]"));
	err_set(CIH_EAUTH, "401 for token glcbt-SECRET123");
	CHECK_STR(err_last()->msg, "401 for token [MASKED]");
}

TEST(redact_copy_masks_then_cuts_without_leaving_a_fragment)
{
	char small[16];

	CHECK_OK(redact_add_secret("abcdefgh"));
	redact_copy(small, sizeof(small), "ab-abcdefgh-xyz");
	CHECK_STR(small, "ab-[MASKED]-xyz");
	redact_copy(small, 12, "0123456abcdefgh"); /* cut inside the secret */
	CHECK_STR(small, "0123456[MAS");
	redact_copy(small, 10, "012345abcdefgh"); /* the mask is cut: what is left is harmless */
	CHECK_STR(small, "012345[MA");
	CHECK_OK(redact_add_secret("zz-token-99"));
	redact_copy(small, 12, "01234567zz-tok"); /* a partial secret in the source */
	CHECK_STR(small, "01234567");
	CHECK(redact_add_secret("abc") == 0); /* too short to mask, ignored */
	redact_copy(small, sizeof(small), "abc");
	CHECK_STR(small, "abc");
}

TEST(error_message_cut_at_its_limit_leaks_no_part_of_a_secret)
{
	char pad[ERR_MSG_MAX];
	const char *secret = "glcbt-0123456789abcdefghij";

	CHECK_OK(redact_add_secret(secret));
	for (size_t cut = 1; cut < strlen(secret); cut++) {
		memset(pad, 'x', sizeof(pad));
		pad[ERR_MSG_MAX - 1 - cut] = '\0'; /* the secret straddles the last byte */
		err_set(CIH_ERR, "%s%s tail", pad, secret);
		CHECK(strlen(err_last()->msg) <= ERR_MSG_MAX - 1);
		CHECK(!strstr(err_last()->msg, "glcbt"));
		CHECK(!strstr(err_last()->msg, "glcb"));
	}
}

TEST(job_secrets_come_from_the_environment)
{
	setenv("CI_JOB_TOKEN", "glcbt-jobtoken-42", 1);
	setenv("CI_REGISTRY_PASSWORD", "registry-pass", 1);
	redact_add_job_secrets();
	unsetenv("CI_JOB_TOKEN");
	unsetenv("CI_REGISTRY_PASSWORD");
	err_set(CIH_EAUTH, "clone https://gitlab-ci-token:glcbt-jobtoken-42@h/x failed; registry-pass");
	CHECK_STR(err_last()->msg, "clone https://gitlab-ci-token:[MASKED]@h/x failed; [MASKED]");
}

TEST(buf_printf_grows_and_pads)
{
	struct buf b = BUF_INIT;

	for (int i = 0; i < 1000; i++)
		CHECK_OK(buf_printf(&b, "%03d,", i));
	CHECK_INT(b.len, 4000);
	CHECK(!strncmp(b.ptr + 3996, "999,", 4));
	buf_clear(&b);
	CHECK_OK(buf_pad(&b, "ab", 5));
	CHECK_OK(buf_pad(&b, "toolong", 3));
	CHECK_STR(buf_cstr(&b), "ab   toolong");
	buf_dispose(&b);
}

TEST(error_os_appends_lowercase_errno_text)
{
	FILE *f = fopen("/nonexistent/x", "r");

	CHECK(f == NULL);
	CHECK_FAILS(err_os("open %s", "/nonexistent/x"), CIH_EOS);
	CHECK_STR(err_last()->msg, "open /nonexistent/x: no such file or directory");
	err_prefix("loading %s", "config");
	CHECK_STR(err_last()->msg, "loading config: open /nonexistent/x: no such file or directory");
	CHECK_INT(err_last()->code, CIH_EOS);
}
