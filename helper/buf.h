/* Growable byte buffer, always NUL-terminated once anything was written. */
#ifndef CIH_BUF_H
#define CIH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap;
	int failed; /* sticky: an allocation failed, the content is incomplete */
};

#define BUF_INIT { NULL, 0, 0, 0 }

int buf_grow(struct buf *b, size_t extra);
int buf_put(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s padded with spaces on the right to at least width bytes. */
int buf_pad(struct buf *b, const char *s, size_t width);
enum buf_quoting { BUF_QUOTE_GO, BUF_QUOTE_JSON };
/* Appends s quoted: Go's strconv.Quote, or encoding/json's HTML-safe string. */
void buf_put_quoted(struct buf *b, const char *s, enum buf_quoting q);
const char *buf_cstr(const struct buf *b);
void buf_clear(struct buf *b);
void buf_dispose(struct buf *b);

#endif
