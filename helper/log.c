#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "redact.h"

#define MAX_FIELDS 16

static enum log_level cur_level = LOG_INFO;
static enum log_format cur_format = LOG_FMT_RUNNER;
static int out_fd = 2;

static const char *const level_names[] = { "trace", "debug", "info", "warning",
					   "error", "fatal", "panic" };

void log_set_level(enum log_level level) { cur_level = level; }
enum log_level log_get_level(void) { return cur_level; }
void log_set_format(enum log_format format) { cur_format = format; }
void log_set_fd(int fd) { out_fd = fd; }

int log_level_parse(enum log_level *out, const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcasecmp(name, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (!strcasecmp(name, "warn")) {
		*out = LOG_WARN;
		return 0;
	}
	return err_set(CIH_EUSAGE, "failed to parse log level: not a valid logrus Level: \"%s\"",
		       name);
}

int log_format_parse(enum log_format *out, const char *name)
{
	static const char *const names[] = { "runner", "text", "json" };

	for (size_t i = 0; i < 3; i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum log_format)i;
			return 0;
		}
	}
	return err_set(CIH_EUSAGE, "unknown log format \"%s\", expected one of: [runner text json]",
		       name);
}

/* RFC 3339 with nanoseconds, trailing zeros trimmed: Go's time.RFC3339Nano. */
static void put_time(struct buf *b)
{
	struct timespec ts;
	struct tm tm;
	char frac[16];
	long off;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (ts.tv_nsec) {
		n = snprintf(frac, sizeof(frac), "%09ld", ts.tv_nsec);
		while (n > 0 && frac[n - 1] == '0')
			frac[--n] = '\0';
		buf_printf(b, ".%s", frac);
	}
	off = tm.tm_gmtoff;
	if (!off)
		buf_putc(b, 'Z');
	else
		buf_printf(b, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
			   labs(off) % 3600 / 60);
}

/* logrus quotes a text value unless it is made of [A-Za-z0-9-._/@^+] only. */
static int needs_quoting(const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("-._/@^+", c)))
			return 1;
	}
	return 0;
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct log_field *)a)->key, ((const struct log_field *)b)->key);
}

static void format_runner(struct buf *b, enum log_level level, const char *msg,
			  const struct log_field *f, size_t n)
{
	static const char *const colors[] = { "", "\033[37;1m", "", "\033[0;33m",
					      "\033[31;1m", "\033[31;1m", "\033[31;1m" };
	static const char *const prefixes[] = { "", "", "", "WARNING: ",
						"ERROR: ", "FATAL: ", "PANIC: " };
	const char *color = colors[level], *reset = "\033[0;m";
	size_t runes = 0;

	/* Go's %-*s pads to a width in runes, not bytes */
	for (const char *p = msg; *p; p++)
		runes += ((unsigned char)*p & 0xc0) != 0x80;
	buf_printf(b, "%s%s%s", color, prefixes[level], msg);
	for (size_t w = 50 - strlen(prefixes[level]); runes < w; runes++)
		buf_putc(b, ' ');
	buf_printf(b, "%s ", reset);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, " %s%s%s=%s", color, f[i].key, reset, f[i].value);
}

static void format_text(struct buf *b, enum log_level level, const char *msg,
			const struct log_field *f, size_t n)
{
	struct buf t = BUF_INIT;

	put_time(&t);
	buf_puts(b, "time=");
	buf_put_quoted(b, buf_cstr(&t), BUF_QUOTE_GO);
	buf_dispose(&t);
	buf_printf(b, " level=%s", level_names[level]);
	if (*msg) { /* logrus leaves msg out when it is empty */
		buf_puts(b, " msg=");
		if (needs_quoting(msg))
			buf_put_quoted(b, msg, BUF_QUOTE_GO);
		else
			buf_puts(b, msg);
	}
	for (size_t i = 0; i < n; i++) {
		buf_printf(b, " %s=", f[i].key);
		if (needs_quoting(f[i].value))
			buf_put_quoted(b, f[i].value, BUF_QUOTE_GO);
		else
			buf_puts(b, f[i].value);
	}
}

/* Go marshals the logrus map with sorted keys: fields, level, msg and time mixed. */
static void format_json(struct buf *b, enum log_level level, const char *msg,
			const struct log_field *f, size_t n)
{
	struct log_field all[MAX_FIELDS + 3];
	struct buf t = BUF_INIT;
	size_t m = 0;

	put_time(&t);
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].key, "level") && strcmp(f[i].key, "msg") && strcmp(f[i].key, "time"))
			all[m++] = f[i];
	all[m++] = (struct log_field){ "level", level_names[level] };
	all[m++] = (struct log_field){ "msg", msg };
	all[m++] = (struct log_field){ "time", buf_cstr(&t) };
	qsort(all, m, sizeof(all[0]), cmp_field);
	buf_putc(b, '{');
	for (size_t i = 0; i < m; i++) {
		if (i)
			buf_putc(b, ',');
		buf_put_quoted(b, all[i].key, BUF_QUOTE_JSON);
		buf_putc(b, ':');
		buf_put_quoted(b, all[i].value, BUF_QUOTE_JSON);
	}
	buf_putc(b, '}');
	buf_dispose(&t);
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

void log_write(enum log_level level, const struct log_field *fields, size_t nfields,
	       const char *fmt, ...)
{
	struct log_field sorted[MAX_FIELDS];
	struct buf msg = BUF_INIT, line = BUF_INIT;
	va_list ap;

	if (level < cur_level)
		return;
	if (nfields > MAX_FIELDS)
		nfields = MAX_FIELDS;
	if (nfields)
		memcpy(sorted, fields, nfields * sizeof(*fields));
	qsort(sorted, nfields, sizeof(sorted[0]), cmp_field);

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);

	if (cur_format == LOG_FMT_TEXT)
		format_text(&line, level, buf_cstr(&msg), sorted, nfields);
	else if (cur_format == LOG_FMT_JSON)
		format_json(&line, level, buf_cstr(&msg), sorted, nfields);
	else
		format_runner(&line, level, buf_cstr(&msg), sorted, nfields);
	buf_putc(&line, '\n');
	/* a line that could not be masked is dropped, never written as it was */
	if (redact_buf(&line) == 0 && !line.failed && !msg.failed)
		write_all(out_fd, line.ptr, line.len);
	buf_dispose(&line);
	buf_dispose(&msg);
}
