#include "retry.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "httpdate.h"

bool retry_status_is_retryable(int status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
	       status == 504 || status >= 512;
}

/* Retry-After in whole seconds only: an HTTP-date form is ignored, as upstream. */
static int64_t retry_after_ms(const char *v)
{
	char *end;
	long long s;

	if (!v || !*v)
		return 0;
	s = strtoll(v, &end, 10);
	return (*end || s <= 0 || s > 86400) ? 0 : s * 1000;
}

static uint64_t random_u64(void)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)rand();
	return r;
}

int64_t retry_wait_ms(const struct retry_policy *p, int attempt, const char *retry_after,
		      const char *ratelimit_reset, time_t now)
{
	int64_t hi;
	time_t reset;

	if (p->fixed_ms > 0)
		return p->fixed_ms;
	if (p->honour_server) {
		if (ratelimit_reset && httpdate_parse(&reset, ratelimit_reset, true) == 0 && reset > now)
			return (int64_t)(reset - now) * 1000;
		if (retry_after_ms(retry_after) > 0)
			return retry_after_ms(retry_after);
	}
	/* a random time in [min, min * 2^attempt], capped at max */
	hi = p->min_ms;
	for (int i = 0; i < attempt && hi < p->max_ms; i++)
		hi *= 2;
	if (hi > p->max_ms)
		hi = p->max_ms;
	if (hi <= p->min_ms)
		return p->min_ms;
	return p->min_ms + (int64_t)(random_u64() % (uint64_t)(hi - p->min_ms + 1));
}
