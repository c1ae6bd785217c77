#include "httpdate.h"

#include <stdio.h>
#include <string.h>

#include "../helper/error.h"

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static int month_of(const char *m)
{
	for (int i = 0; i < 12; i++)
		if (!strncmp(m, months[i], 3))
			return i;
	return -1;
}

int64_t httpdate_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int valid(int y, int mon, int d, int h, int mi, int s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return y >= 0 && mon >= 0 && d >= 1 && d <= mdays[mon] && h >= 0 && h < 24 && mi >= 0 &&
	       mi < 60 && s >= 0 && s < 61;
}

int httpdate_parse(time_t *out, const char *s, bool strict)
{
	char wday[16], mon[4], tz[4];
	int d, y, h, mi, sec, n = 0, m;

	memset(mon, 0, sizeof(mon));
	memset(tz, 0, sizeof(tz));
	/* RFC 1123: exactly "Www, DD Mmm YYYY HH:MM:SS GMT" */
	if (sscanf(s, "%3[A-Za-z], %2d %3s %4d %2d:%2d:%2d %3s%n", wday, &d, mon, &y, &h, &mi, &sec,
		   tz, &n) == 8 &&
	    !s[n] && strlen(s) == 29 && !strcmp(tz, "GMT"))
		goto ok;
	if (strict)
		goto bad;
	/* RFC 850: "Weekday, DD-Mmm-YY HH:MM:SS GMT" */
	n = 0;
	if (sscanf(s, "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3s%n", wday, &d, mon, &y, &h,
		   &mi, &sec, tz, &n) == 8 &&
	    !s[n] && !strcmp(tz, "GMT")) {
		y += y < 70 ? 2000 : 1900; /* Go's two-digit year rule */
		goto ok;
	}
	/* asctime: "Www Mmm _D HH:MM:SS YYYY" */
	n = 0;
	if (sscanf(s, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wday, mon, &d, &h, &mi, &sec, &y,
		   &n) == 7 &&
	    !s[n])
		goto ok;
bad:
	return err_set(CIH_ECORRUPT, "parsing time \"%.40s\": not an HTTP date", s);
ok:
	m = month_of(mon);
	if (m < 0 || !valid(y, m, d, h, mi, sec))
		goto bad;
	*out = (time_t)(httpdate_days_from_civil(y, m + 1, d) * 86400 + h * 3600 + mi * 60 + sec);
	return 0;
}

void httpdate_format(char out[HTTPDATE_SIZE], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, HTTPDATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
