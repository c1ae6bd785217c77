/* One retry policy for every transfer: which failures are retried, how many times,
 * and how long to wait (runner-helper-cli.md 1.1.2 and 2.1). Commands configure it;
 * none re-implements it. */
#ifndef CIH_NET_RETRY_H
#define CIH_NET_RETRY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct retry_policy {
	int max_attempts;    /* in total, the first included */
	int64_t fixed_ms;    /* > 0: this wait before every retry (the helpers' --retry-time) */
	int64_t min_ms;      /* otherwise jittered exponential backoff from min_ms ... */
	int64_t max_ms;      /* ... doubling up to max_ms */
	bool honour_server;  /* Retry-After and RateLimit-ResetTime come first */
};

/* The GitLab API client's network layer: 5 attempts, backoff 100 ms .. 60 s. */
#define RETRY_POLICY_API { 5, 0, 100, 60000, true }
/* cache-archiver/-extractor and artifacts-downloader: --retry N, --retry-time D. */
#define RETRY_POLICY_HELPER(retries, wait_ms) { (retries) + 1, (wait_ms), 0, 0, false }

/* Statuses the API layer retries: 408, 429, 500, 502, 503, 504 and >= 512. */
bool retry_status_is_retryable(int status);
/* The wait before retry number `attempt` (1 = the first retry), in ms.
 * retry_after and ratelimit_reset are header values or NULL; now is wall time. */
int64_t retry_wait_ms(const struct retry_policy *p, int attempt, const char *retry_after,
		      const char *ratelimit_reset, time_t now);

#endif
