#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "redact.h"

static _Thread_local struct err_info last;
static _Thread_local int formatting; /* buf's out-of-memory error re-enters set_v */

__attribute__((format(printf, 3, 0))) static int set_v(int code, int errnum, const char *fmt,
							 va_list ap)
{
	struct buf b = BUF_INIT;

	if (formatting) {
		vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
		last.code = code;
		return code;
	}
	formatting = 1;
	buf_vprintf(&b, fmt, ap);
	if (errnum) {
		/* lower-case like Go's syscall texts: "no such file or directory" */
		const char *why = strerror(errnum);
		buf_printf(&b, ": %c%s", tolower((unsigned char)why[0]), why[0] ? why + 1 : "");
	}
	redact_copy(last.msg, sizeof(last.msg), buf_cstr(&b));
	buf_dispose(&b);
	formatting = 0;
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
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_printf(&b, ": %s", last.msg);
	redact_copy(last.msg, sizeof(last.msg), buf_cstr(&b));
	buf_dispose(&b);
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
