/* git's config parser (git 2.39 config.c: get_next_char, parse_value, get_value,
 * get_base_var, git_parse_source, do_event), kept close to the original so that
 * line numbers, offsets and accepted syntax are git's. */
#include "gconf_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../helper/error.h"

/* git's sane ctype: ASCII only, and only " \t\n\r" are space */
static int g_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int g_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int g_alnum(int c) { return g_alpha(c) || (c >= '0' && c <= '9'); }
static int g_keychar(int c) { return g_alnum(c) || c == '-'; }
static int g_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int next_char(struct gconf_parser *p)
{
	int c = p->pos < p->len ? (unsigned char)p->buf[p->pos++] : EOF;

	if (c == '\r') {
		c = p->pos < p->len ? (unsigned char)p->buf[p->pos++] : EOF;
		if (c != '\n') {
			if (c != EOF)
				p->pos--;
			c = '\r';
		}
	}
	if (c == '\n')
		p->linenr++;
	if (c == EOF) {
		p->eof = 1;
		p->linenr++;
		c = '\n';
	}
	return c;
}

static const char *parse_value(struct gconf_parser *p)
{
	int quote = 0, comment = 0, space = 0;

	buf_clear(&p->value);
	buf_puts(&p->value, "");
	for (;;) {
		int c = next_char(p);

		if (c == '\n') {
			if (quote) {
				p->linenr--;
				return NULL;
			}
			return buf_cstr(&p->value);
		}
		if (comment)
			continue;
		if (g_space(c) && !quote) {
			if (p->value.len)
				space++;
			continue;
		}
		if (!quote && (c == ';' || c == '#')) {
			comment = 1;
			continue;
		}
		for (; space; space--)
			buf_putc(&p->value, ' ');
		if (c == '\\') {
			c = next_char(p);
			switch (c) {
			case '\n':
				continue;
			case 't':
				c = '\t';
				break;
			case 'b':
				c = '\b';
				break;
			case 'n':
				c = '\n';
				break;
			case '\\':
			case '"':
				break;
			default:
				return NULL;
			}
			buf_putc(&p->value, (char)c);
			continue;
		}
		if (c == '"') {
			quote = 1 - quote;
			continue;
		}
		buf_putc(&p->value, (char)c);
	}
}

static int get_value(struct gconf_parser *p)
{
	const char *value = NULL;
	int c, ret;

	for (;;) {
		c = next_char(p);
		if (p->eof || !g_keychar(c))
			break;
		buf_putc(&p->var, (char)g_lower(c));
	}
	while (c == ' ' || c == '\t')
		c = next_char(p);
	if (c != '\n') {
		if (c != '=')
			return -1;
		if (!(value = parse_value(p)))
			return -1;
	}
	p->linenr--;
	ret = p->entry ? p->entry(p, buf_cstr(&p->var), value) : 0;
	if (ret >= 0)
		p->linenr++;
	return ret;
}

static int get_extended_base_var(struct gconf_parser *p, int c)
{
	p->subsection_icase = 0;
	do {
		if (c == '\n')
			goto incomplete;
		c = next_char(p);
	} while (g_space(c));
	if (c != '"')
		return -1;
	buf_putc(&p->var, '.');
	for (;;) {
		c = next_char(p);
		if (c == '\n')
			goto incomplete;
		if (c == '"')
			break;
		if (c == '\\') {
			c = next_char(p);
			if (c == '\n')
				goto incomplete;
		}
		buf_putc(&p->var, (char)c);
	}
	return next_char(p) == ']' ? 0 : -1;
incomplete:
	p->linenr--;
	return -1;
}

static int get_base_var(struct gconf_parser *p)
{
	p->subsection_icase = 1;
	for (;;) {
		int c = next_char(p);

		if (p->eof)
			return -1;
		if (c == ']')
			return 0;
		if (g_space(c))
			return get_extended_base_var(p, c);
		if (!g_keychar(c) && c != '.')
			return -1;
		buf_putc(&p->var, (char)g_lower(c));
	}
}

/* Ends the previous event at this position and starts one of type. */
static int do_event(struct gconf_parser *p, enum gconf_event type)
{
	size_t offset;

	if (!p->event || (type == GCONF_EV_WHITESPACE && p->prev_type == type))
		return 0;
	offset = p->pos;
	/* at EOF the parser "inserts" a '\n' it did not read */
	if (type != GCONF_EV_EOF)
		offset--;
	if (p->prev_type != GCONF_EV_EOF && p->event(p, p->prev_type, p->prev_offset, offset) < 0)
		return -1;
	p->prev_type = type;
	p->prev_offset = offset;
	return 0;
}

int gconf_parse(struct gconf_parser *p, const char *buf, size_t len)
{
	static const char bom[] = "\xef\xbb\xbf";
	const char *bomptr = bom;
	size_t baselen = 0;
	int comment = 0;

	p->buf = buf;
	p->len = len;
	p->pos = 0;
	p->eof = 0;
	p->linenr = 1;
	p->prev_type = GCONF_EV_EOF;
	p->prev_offset = 0;
	buf_clear(&p->var);
	buf_puts(&p->var, "");
	for (;;) {
		int c = next_char(p);

		if (bomptr && *bomptr) {
			if (c == (*bomptr & 0377)) {
				bomptr++;
				continue;
			}
			if (bomptr != bom)
				break;
			bomptr = NULL;
		}
		if (c == '\n') {
			if (p->eof)
				return do_event(p, GCONF_EV_EOF) < 0 ? -1 : 0;
			if (do_event(p, GCONF_EV_WHITESPACE) < 0)
				return -1;
			comment = 0;
			continue;
		}
		if (comment)
			continue;
		if (g_space(c)) {
			if (do_event(p, GCONF_EV_WHITESPACE) < 0)
				return -1;
			continue;
		}
		if (c == '#' || c == ';') {
			if (do_event(p, GCONF_EV_COMMENT) < 0)
				return -1;
			comment = 1;
			continue;
		}
		if (c == '[') {
			if (do_event(p, GCONF_EV_SECTION) < 0)
				return -1;
			buf_clear(&p->var);
			buf_puts(&p->var, "");
			if (get_base_var(p) < 0 || p->var.len < 1)
				break;
			buf_putc(&p->var, '.');
			baselen = p->var.len;
			continue;
		}
		if (!g_alpha(c))
			break;
		if (do_event(p, GCONF_EV_ENTRY) < 0)
			return -1;
		p->var.len = baselen;
		buf_putc(&p->var, (char)g_lower(c));
		if (get_value(p) < 0)
			break;
	}
	if (do_event(p, GCONF_EV_ERROR) < 0)
		return -1;
	return 1;
}

void gconf_parser_dispose(struct gconf_parser *p)
{
	buf_dispose(&p->var);
	buf_dispose(&p->value);
}

int gconf_key_parse(const char *key, struct buf *canon, size_t *baselen_out)
{
	const char *last_dot = strrchr(key, '.');
	size_t baselen;
	int dot = 0;

	if (!last_dot || last_dot == key)
		return err_set(CIH_EUSAGE, "key does not contain a section: %s", key),
		       GCONF_NO_SECTION_OR_NAME;
	if (!last_dot[1])
		return err_set(CIH_EUSAGE, "key does not contain variable name: %s", key),
		       GCONF_NO_SECTION_OR_NAME;
	baselen = (size_t)(last_dot - key);
	if (baselen_out)
		*baselen_out = baselen;
	buf_clear(canon);
	for (size_t i = 0; key[i]; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c == '.')
			dot = 1;
		if (!dot || i > baselen) {
			if (!g_keychar(c) || (i == baselen + 1 && !g_alpha(c)))
				return err_set(CIH_EUSAGE, "invalid key: %s", key), GCONF_INVALID_KEY;
			c = (unsigned char)g_lower(c);
		} else if (c == '\n') {
			return err_set(CIH_EUSAGE, "invalid key (newline): %s", key), GCONF_INVALID_KEY;
		}
		buf_putc(canon, (char)c);
	}
	return 0;
}

void gconf_format_section(struct buf *out, const char *key, size_t baselen)
{
	const char *dot = memchr(key, '.', baselen);

	if (!dot) {
		buf_putc(out, '[');
		buf_put(out, key, baselen);
		buf_puts(out, "]\n");
		return;
	}
	buf_printf(out, "[%.*s \"", (int)(dot - key), key);
	for (size_t i = (size_t)(dot - key) + 1; i < baselen; i++) {
		if (key[i] == '"' || key[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, key[i]);
	}
	buf_puts(out, "\"]\n");
}

void gconf_format_pair(struct buf *out, const char *name, const char *value)
{
	const char *quote = "";
	size_t i;

	/* quotes keep leading/trailing spaces and what follows ';' or '#' */
	if (value[0] == ' ')
		quote = "\"";
	for (i = 0; value[i]; i++)
		if (value[i] == ';' || value[i] == '#')
			quote = "\"";
	if (i && value[i - 1] == ' ')
		quote = "\"";
	buf_printf(out, "\t%s = %s", name, quote);
	for (i = 0; value[i]; i++) {
		switch (value[i]) {
		case '\n':
			buf_puts(out, "\\n");
			break;
		case '\t':
			buf_puts(out, "\\t");
			break;
		case '"':
		case '\\':
			buf_putc(out, '\\');
			/* fallthrough */
		default:
			buf_putc(out, value[i]);
		}
	}
	buf_printf(out, "%s\n", quote);
}

int gconf_parse_bool_text(const char *v)
{
	if (!v)
		return 1;
	if (!*v)
		return 0;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		return 1;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
		return 0;
	return -1;
}

int gconf_parse_int64(const char *value, int64_t *out, int *range)
{
	intmax_t val, factor = 1;
	char *end;

	*range = 0;
	if (!value || !*value)
		return -1;
	errno = 0;
	val = strtoimax(value, &end, 0);
	if (errno == ERANGE)
		return *range = 1, -1;
	if (end == value)
		return -1;
	if (!*end)
		factor = 1;
	else if (!strcasecmp(end, "k"))
		factor = 1024;
	else if (!strcasecmp(end, "m"))
		factor = 1024 * 1024;
	else if (!strcasecmp(end, "g"))
		factor = 1024 * 1024 * 1024;
	else
		return -1;
	if ((val < 0 && -INT64_MAX / factor > val) || (val > 0 && INT64_MAX / factor < val))
		return *range = 1, -1;
	*out = (int64_t)(val * factor);
	return 0;
}

int gconf_parse_bool(const char *value)
{
	int v = gconf_parse_bool_text(value), range;
	int64_t n;

	if (v >= 0)
		return v;
	/* git_parse_int: an int with units */
	if (gconf_parse_int64(value, &n, &range) == 0 && n >= INT32_MIN && n <= INT32_MAX)
		return n != 0;
	return -1;
}
