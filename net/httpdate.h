/* HTTP dates: "Mon, 02 Jan 2006 15:04:05 GMT" (RFC 1123), and for lenient parsing
 * also RFC 850 ("Monday, 02-Jan-06 15:04:05 GMT") and asctime ("Mon Jan  2 15:04:05 2006"),
 * as Go's http.ParseTime. */
#ifndef CIH_NET_HTTPDATE_H
#define CIH_NET_HTTPDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* 0 and *out set, or CIH_ECORRUPT. strict: RFC 1123 only. */
int httpdate_parse(time_t *out, const char *s, bool strict);
/* RFC 1123 in UTC (29 characters for years 1000-9999). */
#define HTTPDATE_SIZE 40
void httpdate_format(char out[HTTPDATE_SIZE], time_t t);

/* Days since 1970-01-01 of a proleptic Gregorian date, month 1-12 (Howard
 * Hinnant's algorithm; no timezone involved). */
int64_t httpdate_days_from_civil(int64_t y, int m, int d);

#endif
