#include "../../net/httpdate.h"
#include "../../net/retry.h"
#include "unit.h"

TEST(httpdate_strict_and_lenient_forms)
{
	time_t t;
	char out[HTTPDATE_SIZE];

	CHECK_OK(httpdate_parse(&t, "Mon, 02 Jan 2006 15:04:05 GMT", true));
	CHECK_INT(t, 1136214245);
	httpdate_format(out, t);
	CHECK_STR(out, "Mon, 02 Jan 2006 15:04:05 GMT");
	CHECK_FAILS(httpdate_parse(&t, "Monday, 02-Jan-06 15:04:05 GMT", true), CIH_ECORRUPT);
	CHECK_OK(httpdate_parse(&t, "Monday, 02-Jan-06 15:04:05 GMT", false));
	CHECK_INT(t, 1136214245);
	CHECK_OK(httpdate_parse(&t, "Mon Jan  2 15:04:05 2006", false));
	CHECK_INT(t, 1136214245);
	CHECK_OK(httpdate_parse(&t, "Thu, 29 Feb 2024 00:00:00 GMT", true));
	CHECK_INT(t, 1709164800);
	CHECK_FAILS(httpdate_parse(&t, "Mon, 02 Jan 2006 15:04:05 UTC", true), CIH_ECORRUPT);
	CHECK_FAILS(httpdate_parse(&t, "Mon, 32 Jan 2006 15:04:05 GMT", false), CIH_ECORRUPT);
	CHECK_FAILS(httpdate_parse(&t, "Mon, 02 Foo 2006 15:04:05 GMT", false), CIH_ECORRUPT);
	CHECK_FAILS(httpdate_parse(&t, "", false), CIH_ECORRUPT);
	httpdate_format(out, 0);
	CHECK_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(retry_statuses_of_the_api_layer)
{
	const int yes[] = { 408, 429, 500, 502, 503, 504, 512, 599 };
	const int no[] = { 200, 301, 400, 401, 403, 404, 413, 501, 505, 511 };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(retry_status_is_retryable(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!retry_status_is_retryable(no[i]));
}

TEST(retry_waits_server_first_then_jittered_backoff)
{
	struct retry_policy api = RETRY_POLICY_API, helper = RETRY_POLICY_HELPER(2, 1000);
	time_t now = 1136214245; /* Mon, 02 Jan 2006 15:04:05 GMT */

	CHECK_INT(helper.max_attempts, 3);
	CHECK_INT(retry_wait_ms(&helper, 1, "30", NULL, now), 1000); /* fixed, server ignored */
	CHECK_INT(retry_wait_ms(&api, 1, "7", NULL, now), 7000);
	CHECK_INT(retry_wait_ms(&api, 1, "7", "Mon, 02 Jan 2006 15:04:15 GMT", now), 10000);
	/* a reset in the past and an HTTP-date Retry-After are ignored: backoff */
	for (int attempt = 1; attempt <= 12; attempt++) {
		for (int k = 0; k < 50; k++) {
			int64_t w = retry_wait_ms(&api, attempt, "Fri, 31 Dec 1999 23:59:59 GMT",
						  "Mon, 02 Jan 2006 15:04:00 GMT", now);
			int64_t hi = 100LL << attempt;
			CHECK(w >= 100);
			CHECK(w <= (hi < 60000 ? hi : 60000));
		}
	}
}
