#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return CIH_ENOMEM;
	if (extra > (size_t)-1 - b->len - 1)
		goto oom;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	if (!(p = realloc(b->ptr, cap)))
		goto oom;
	b->ptr = p;
	b->cap = cap;
	return 0;
oom:
	b->failed = 1;
	return err_set(CIH_ENOMEM, "out of memory");
}

int buf_put(struct buf *b, const void *data, size_t len)
{
	int rc;

	if ((rc = buf_grow(b, len)) < 0)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_put(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n, rc;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return err_set(CIH_ERR, "bad format string");
	if ((rc = buf_grow(b, (size_t)n)) < 0)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int buf_pad(struct buf *b, const char *s, size_t width)
{
	size_t len = strlen(s);
	int rc;

	if ((rc = buf_put(b, s, len)) < 0)
		return rc;
	while (len++ < width)
		if ((rc = buf_putc(b, ' ')) < 0)
			return rc;
	return 0;
}

const char *buf_cstr(const struct buf *b)
{
	return b->ptr ? b->ptr : "";
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void buf_dispose(struct buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

/* Go's strconv.Quote (valid UTF-8) or encoding/json's HTML-safe string escaping. */
void buf_put_quoted(struct buf *b, const char *s, enum buf_quoting q)
{
	static const char go_only[] = "\a\b\f\v", go_letters[] = "abfv";

	buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *g;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)c);
		} else if (c == '\n' || c == '\r' || c == '\t') {
			buf_putc(b, '\\');
			buf_putc(b, c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
		} else if (q == BUF_QUOTE_GO && c && (g = strchr(go_only, c))) {
			buf_putc(b, '\\');
			buf_putc(b, go_letters[g - go_only]);
		} else if (q == BUF_QUOTE_GO && (c < 0x20 || c == 0x7f)) {
			buf_printf(b, "\\x%02x", c);
		} else if (q == BUF_QUOTE_JSON && (c < 0x20 || c == '<' || c == '>' || c == '&')) {
			buf_printf(b, "\\u%04x", c);
		} else if (q == BUF_QUOTE_JSON && c == 0xe2 && (unsigned char)s[1] == 0x80 &&
			   ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9)) {
			/* U+2028/U+2029 break JavaScript parsers; Go escapes them */
			buf_printf(b, "\\u%04x", 0x2000 | (unsigned char)s[2]);
			s += 2;
		} else {
			buf_putc(b, (char)c);
		}
	}
	buf_putc(b, '"');
}
