/* A port of Go's time.Parse for the RFC 3339 layout (its general path, which accepts
 * what the fast path does and more: a one-digit hour, a comma before the fraction)
 * and of protojson's Timestamp text. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../net/httpdate.h"
#include "buf.h"
#include "error.h"
#include "slsa_internal.h"

#define LAYOUT "2006-01-02T15:04:05Z07:00"
#define MIN_SECONDS (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define MAX_SECONDS 253402300799LL   /* 9999-12-31T23:59:59Z */

enum chunk { C_YEAR, C_MONTH, C_DAY, C_HOUR, C_MIN, C_SEC, C_TZ, C_END };

static const struct {
	const char *prefix, *std;
} chunks[] = {
	{ "", "2006" }, { "-", "01" }, { "-", "02" }, { "T", "15" },
	{ ":", "04" },  { ":", "05" }, { "", "Z07:00" }, { "", NULL },
};

/* The time package's quote: bytes outside printable ASCII as \xNN. */
static void go_time_quote(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80 || *p < ' ') {
			buf_printf(b, "\\x%02x", *p);
			continue;
		}
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

static int parse_error(const char *value, const char *layout_elem, const char *value_elem,
		       const char *msg)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "parsing time ");
	go_time_quote(&b, value);
	if (msg) {
		buf_puts(&b, msg);
	} else {
		buf_puts(&b, " as \"" LAYOUT "\": cannot parse ");
		go_time_quote(&b, value_elem);
		buf_puts(&b, " as ");
		go_time_quote(&b, layout_elem);
	}
	int rc = err_set(CIH_EUSAGE, "%s", buf_cstr(&b));
	buf_dispose(&b);
	return rc;
}

static bool digit(const char *s, size_t i)
{
	return s[i] >= '0' && s[i] <= '9';
}

/* Go's getnum: one or (fixed: exactly) two digits. */
static bool getnum(const char **s, bool fixed, int *out)
{
	const char *p = *s;

	if (!digit(p, 0))
		return false;
	if (!digit(p, 1)) {
		if (fixed)
			return false;
		*out = p[0] - '0';
		*s = p + 1;
		return true;
	}
	*out = (p[0] - '0') * 10 + p[1] - '0';
	*s = p + 2;
	return true;
}

static bool leap(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int month, int year)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return month == 2 && leap(year) ? 29 : days[month - 1];
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Go's fractional-second special case: ",123" or ".123" right after the seconds. */
static const char *fraction(const char *v, int32_t *nsec)
{
	size_t n = 2;
	int64_t ns = 0;

	while (digit(v, n))
		n++;
	for (size_t i = 1; i < n && i < 10; i++)
		ns = ns * 10 + v[i] - '0';
	for (size_t i = n < 10 ? n : 10; i < 10; i++)
		ns *= 10;
	*nsec = (int32_t)ns;
	return v + n;
}

/* The time zone chunk; false on a malformed one. */
static bool zone(const char **v, int *offset, const char **range)
{
	const char *p = *v;
	int hr = 0, mm = 0;
	bool ok = true;

	if (strlen(p) < 6 || p[3] != ':')
		return false;
	const char *h = p + 1, *m = p + 4;
	if (!getnum(&h, true, &hr) || !getnum(&m, true, &mm))
		ok = false;
	if (hr > 24)
		*range = "time zone offset hour";
	if (mm > 60)
		*range = "time zone offset minute";
	*offset = (hr * 60 + mm) * 60;
	if (p[0] == '-')
		*offset = -*offset;
	else if (p[0] != '+')
		ok = false;
	*v = p + 6;
	return ok;
}

int slsa__parse_time(const char *value, struct slsa_time *out)
{
	const char *v = value;
	int f[C_TZ] = { 0 };
	int offset = 0;
	int32_t nsec = 0;

	for (int c = C_YEAR; c <= C_END; c++) {
		for (const char *p = chunks[c].prefix; *p; p++, v++)
			if (*v != *p)
				return parse_error(value, chunks[c].prefix, v, NULL);
		if (c == C_END) {
			if (!*v)
				break;
			struct buf b = BUF_INIT;
			buf_puts(&b, ": extra text: ");
			go_time_quote(&b, v);
			int rc = parse_error(value, NULL, NULL, buf_cstr(&b));
			buf_dispose(&b);
			return rc;
		}
		const char *hold = v, *range = NULL;
		bool ok = true;
		switch (c) {
		case C_YEAR:
			if (strlen(v) < 4 || !digit(v, 0)) {
				ok = false;
				break;
			}
			ok = digit(v, 1) && digit(v, 2) && digit(v, 3);
			f[c] = ((v[0] - '0') * 10 + v[1] - '0') * 100 + (v[2] - '0') * 10 + v[3] - '0';
			v += 4;
			break;
		case C_MONTH:
			ok = getnum(&v, true, &f[c]);
			if (ok && (f[c] < 1 || f[c] > 12))
				range = "month";
			break;
		case C_DAY:
		case C_MIN:
			ok = getnum(&v, true, &f[c]);
			if (c == C_MIN && f[c] >= 60)
				range = "minute";
			break;
		case C_HOUR:
			ok = getnum(&v, false, &f[c]);
			if (f[c] >= 24)
				range = "hour";
			break;
		case C_SEC:
			ok = getnum(&v, true, &f[c]);
			if (ok && f[c] >= 60)
				range = "second";
			else if (ok && (v[0] == '.' || v[0] == ',') && digit(v, 1))
				v = fraction(v, &nsec);
			break;
		case C_TZ:
			if (v[0] == 'Z')
				v++;
			else
				ok = zone(&v, &offset, &range);
			break;
		}
		if (range) {
			char msg[64];
			snprintf(msg, sizeof(msg), ": %s out of range", range);
			return parse_error(value, NULL, NULL, msg);
		}
		if (!ok)
			return parse_error(value, chunks[c].std, hold, NULL);
	}
	if (f[C_DAY] < 1 || f[C_DAY] > days_in(f[C_MONTH], f[C_YEAR]))
		return parse_error(value, NULL, NULL, ": day out of range");
	out->sec = httpdate_days_from_civil(f[C_YEAR], f[C_MONTH], f[C_DAY]) * 86400 + f[C_HOUR] * 3600 +
		   f[C_MIN] * 60 + f[C_SEC] - offset;
	out->nsec = nsec;
	return 0;
}

int slsa__format_time(const struct slsa_time *t, char out[40])
{
	int y, m, d;

	if (t->sec < MIN_SECONDS || t->sec > MAX_SECONDS)
		return err_set(CIH_EUSAGE, "proto: google.protobuf.Timestamp: seconds out of range %" PRId64,
			       t->sec);
	int64_t days = t->sec / 86400, rem = t->sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	int len = snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, (int)(rem / 3600),
			   (int)(rem / 60 % 60), (int)(rem % 60));
	if (t->nsec % 1000000000 == 0)
		len += snprintf(out + len, 40 - (size_t)len, "Z");
	else if (t->nsec % 1000000 == 0)
		len += snprintf(out + len, 40 - (size_t)len, ".%03dZ", (int)(t->nsec / 1000000));
	else if (t->nsec % 1000 == 0)
		len += snprintf(out + len, 40 - (size_t)len, ".%06dZ", (int)(t->nsec / 1000));
	else
		len += snprintf(out + len, 40 - (size_t)len, ".%09dZ", (int)t->nsec);
	return 0;
}
