#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "redact.h"

static _Thread_local struct err_info last;

__attribute__((format(printf, 3, 0))) static int set_v(int code, int errnum, const char *fmt, va_list ap)
{
	int n = vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum && (size_t)n + 2 < sizeof(last.msg)) {
		/* lower-case like Go's syscall texts: "no such file or directory" */
		snprintf(last.msg + n, sizeof(last.msg) - (size_t)n, ": %s", strerror(errnum));
		last.msg[n + 2] = (char)tolower((unsigned char)last.msg[n + 2]);
	}
	redact_in_place(last.msg, sizeof(last.msg));
	last.code = code;
	last.http_status = 0;
	return code;
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int err_os(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;
	va_start(ap, fmt);
	set_v(CIH_EOS, errnum, fmt, ap);
	va_end(ap);
	return CIH_EOS;
}

int err_errno(int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(code, errnum, fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	va_list ap;
	int n;

	memcpy(old, last.msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(last.msg))
		snprintf(last.msg + n, sizeof(last.msg) - (size_t)n, ": %s", old);
	redact_in_place(last.msg, sizeof(last.msg));
	return last.code;
}

void err_clear(void)
{
	last.code = 0;
	last.http_status = 0;
	last.msg[0] = '\0';
}

const struct err_info *err_last(void)
{
	return &last;
}

const char *err_code_name(int code)
{
	static const char *const names[] = {
		"ok", "error", "out of memory", "system error", "usage error",
		"not found", "already exists", "unsafe", "too big", "corrupt input",
		"network error", "TLS error", "HTTP error", "authentication error",
		"git error", "aborted", "timeout", "certificate error",
	};
	size_t i = (size_t)(code < 0 ? -code : code);
	return i < sizeof(names) / sizeof(names[0]) ? names[i] : "unknown error";
}
