/* git config files and .gitmodules (from repositories, untrusted) through git's
 * parser (git/gconf_parse.c). Checks: events tile the input in order; every
 * entry's key passes git's key validation unchanged; values go through the
 * boolean and integer parsers; a value written back as git writes a pair, under
 * the section header git writes for the key, parses to the same key and value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../git/gconf_parse.h"

struct ctx {
	size_t len, last_end;
	int events;
};

struct want {
	const char *key, *value;
	int n;
};

static int on_reparsed(struct gconf_parser *p, const char *key, const char *value)
{
	struct want *w = p->ctx;

	if (w->n++ || strcmp(key, w->key) || !value || strcmp(value, w->value))
		abort(); /* written back, it reads differently */
	return 0;
}

static void check_pair(const char *key, const char *value)
{
	struct buf canon = BUF_INIT, text = BUF_INIT;
	size_t baselen;

	if (gconf_key_parse(key, &canon, &baselen) != 0)
		abort(); /* the parser made a key git refuses */
	if (strcmp(buf_cstr(&canon), key))
		abort(); /* not canonical */
	if (value && !strchr(value, '\r')) {
		/* '\r' is written raw and read back as a space (as git does) */
		struct want w = { key, value, 0 };
		struct gconf_parser q = { .entry = on_reparsed, .ctx = &w };

		gconf_format_section(&text, key, baselen);
		gconf_format_pair(&text, key + baselen + 1, value);
		if (gconf_parse(&q, text.ptr, text.len) != 0 || w.n != 1)
			abort(); /* what git would write does not parse */
		gconf_parser_dispose(&q);
	}
	buf_dispose(&canon);
	buf_dispose(&text);
}

static int on_entry(struct gconf_parser *p, const char *key, const char *value)
{
	int64_t n;
	int range;

	(void)p;
	gconf_parse_bool(value);
	gconf_parse_bool_text(value);
	if (value)
		gconf_parse_int64(value, &n, &range);
	/* an entry before any section has a key without one (git hands it on too) */
	if (strlen(key) == p->var.len && strchr(key, '.'))
		check_pair(key, value);
	return 0;
}

static int on_event(struct gconf_parser *p, enum gconf_event type, size_t begin, size_t end)
{
	struct ctx *c = p->ctx;

	(void)type;
	if (begin > end || end > c->len || (c->events && begin != c->last_end))
		abort();
	c->last_end = end;
	c->events++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { .len = size };
	struct gconf_parser p = { .entry = on_entry, .event = on_event, .ctx = &c };
	char *key;

	gconf_parse(&p, (const char *)data, size);
	gconf_parser_dispose(&p);

	/* the bytes as a key (git config <key>) and as a value */
	if ((key = malloc(size + 1))) {
		struct buf canon = BUF_INIT;
		size_t baselen;
		int64_t n;
		int range;

		memcpy(key, data, size);
		key[size] = '\0';
		gconf_key_parse(key, &canon, &baselen);
		gconf_parse_bool(key);
		gconf_parse_int64(key, &n, &range);
		buf_dispose(&canon);
		free(key);
	}
	return 0;
}
