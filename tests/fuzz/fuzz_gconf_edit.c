/* `git config [--add|--unset|--replace-all] key [value [pattern]]` on a config
 * file of untrusted bytes (git/gconf_edit.c, the in-memory part of
 * gconf_set_in_file). The input: a flags byte, the key, '\n', the value, '\n',
 * then the file. Never crashes; what it writes parses again, with the value set. */
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../git/gconf_edit.h"

struct want {
	const char *key, *value;
	size_t baselen;
	int found;
};

static int on_entry(struct gconf_parser *p, const char *key, const char *value)
{
	struct want *w = p->ctx;

	/* an old-style [section.sub] header matches the key's subsection caselessly */
	if (value && !strcmp(value, w->value) &&
	    (!strcmp(key, w->key) || (p->subsection_icase && !strcasecmp(key, w->key))))
		w->found = 1;
	return 0;
}

/* The file's last line ends in a backslash (before its newline, if any). */
static int ends_continued(const uint8_t *data, size_t size)
{
	if (size && data[size - 1] == '\n')
		size--;
	if (size && data[size - 1] == '\r')
		size--;
	return size && data[size - 1] == '\\';
}

static char *take_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl ? (size_t)(nl - *data) : *size;
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, *data, n);
	s[n] = '\0';
	*data += n + !!nl;
	*size -= n + !!nl;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* fixed patterns: glibc's regex engine is not what is tested here */
	static const char *const patterns[] = { "^a", "b$", "^$", "." };
	struct gconf_edit s = { 0 };
	struct buf out = BUF_INIT;
	regex_t re;
	int flags, rc, have_re = 0;
	char *key = NULL, *value = NULL;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	if (!(key = take_line(&data, &size)) || !(value = take_line(&data, &size)))
		goto out;
	if (gconf_key_parse(key, &s.key, &s.baselen) != 0)
		goto out;
	s.multi_replace = flags & 1;
	switch ((flags >> 1) & 3) {
	case 0:
		break; /* any value */
	case 1:
		s.pattern = GCONF_EDIT_NONE; /* --add */
		break;
	default:
		if (regcomp(&re, patterns[(flags >> 3) & 3], REG_EXTENDED))
			abort();
		have_re = 1;
		s.pattern = &re;
		s.do_not_match = (flags >> 1) & 1;
	}
	rc = gconf_edit_contents(&s, "config", (const char *)data, size, key,
				 flags & 0x20 ? NULL : value, &out);
	if (rc == 0 && !out.failed) {
		struct want w = { buf_cstr(&s.key), value, s.baselen, 0 };
		struct gconf_parser p = { .entry = on_entry, .ctx = &w };

		if (gconf_parse(&p, out.ptr ? out.ptr : "", out.len) != 0)
			abort(); /* the edit broke the file */
		/* the value is there, but as in git: a '\r' in it reads back as a space,
		 * and a file whose last line ends in a backslash continues its last value
		 * onto what is appended (git 2.39 loses the key the same way) */
		if (!(flags & 0x20) && !strchr(value, '\r') && !w.found && !ends_continued(data, size))
			abort();
		gconf_parser_dispose(&p);
	}
out:
	if (have_re)
		regfree(&re);
	gconf_edit_dispose(&s);
	buf_dispose(&out);
	free(key);
	free(value);
	return 0;
}
