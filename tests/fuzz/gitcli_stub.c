/* The git look-alike's message printers for the fuzz harnesses of git/ modules:
 * formatted (so that the arguments are checked) and dropped, instead of gitcli.c
 * and its libgit2 set-up. */
#include <stdarg.h>
#include <stdio.h>

#include "../../git/gitcli.h"

__attribute__((format(printf, 1, 0))) static void drop(const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
}

int gitcli_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	drop(fmt, ap);
	va_end(ap);
	return 128;
}

int gitcli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	drop(fmt, ap);
	va_end(ap);
	return -1;
}

void gitcli_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	drop(fmt, ap);
	va_end(ap);
}
