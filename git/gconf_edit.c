/* git config's edit of a file's contents (gconf_edit.h): git 2.39 config.c's
 * store_aux_event, store_aux, maybe_remove_section and the copy loop of
 * git_config_set_multivar_in_file_gently. */
#include "gconf_edit.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../helper/buf.h"
#include "gconf_parse.h"
#include "gitcli.h"


static int grow(void **arr, size_t *alloc, size_t need, size_t size)
{
	void *p;
	size_t n;

	if (need <= *alloc)
		return 0;
	n = *alloc ? *alloc * 2 : 16;
	while (n < need)
		n *= 2;
	if (!(p = realloc(*arr, n * size)))
		return -1;
	*arr = p;
	*alloc = n;
	return 0;
}

static int add_seen(struct gconf_edit *s, size_t idx)
{
	if (grow((void **)&s->seen, &s->seen_alloc, s->seen_nr + 1, sizeof(*s->seen)) < 0)
		return s->failed = 1, -1;
	s->seen[s->seen_nr] = idx;
	return 0;
}

static int matches(const struct gconf_edit *s, const char *key, const char *value)
{
	if (strcmp(key, buf_cstr(&s->key)))
		return 0;
	if (!s->pattern)
		return 1;
	if (s->pattern == GCONF_EDIT_NONE)
		return 0;
	return s->do_not_match ^ (value && !regexec(s->pattern, value, 0, NULL, 0));
}

static int on_event(struct gconf_parser *p, enum gconf_event type, size_t begin, size_t end)
{
	struct gconf_edit *s = p->ctx;
	struct gconf_edit_ev *ev;

	if (grow((void **)&s->parsed, &s->parsed_alloc, s->parsed_nr + 1, sizeof(*s->parsed)) < 0)
		return s->failed = 1, -1;
	ev = &s->parsed[s->parsed_nr];
	ev->begin = begin;
	ev->end = end;
	ev->type = type;
	ev->is_keys_section = 0;
	if (type == GCONF_EV_SECTION) {
		const char *var = buf_cstr(&p->var);
		size_t n = p->var.len;

		if (n < 2 || var[n - 1] != '.')
			return gitcli_error("invalid section name '%s'", var), -1;
		s->is_keys_section = ev->is_keys_section =
			n - 1 == s->baselen &&
			!(p->subsection_icase ? strncasecmp : strncmp)(var, buf_cstr(&s->key), s->baselen);
		if (s->is_keys_section) {
			s->section_seen = 1;
			if (add_seen(s, s->parsed_nr) < 0)
				return -1;
		}
	}
	s->parsed_nr++;
	return 0;
}

static int on_entry(struct gconf_parser *p, const char *key, const char *value)
{
	struct gconf_edit *s = p->ctx;

	if (s->key_seen) {
		if (matches(s, key, value)) {
			if (s->seen_nr == 1 && !s->multi_replace)
				gitcli_warning("%s has multiple values", key);
			if (add_seen(s, s->parsed_nr) < 0)
				return -1;
			s->seen_nr++;
		}
	} else if (s->is_keys_section) {
		/* a candidate position, counted only when it matches */
		if (add_seen(s, s->parsed_nr) < 0)
			return -1;
		s->section_seen = 1;
		if (matches(s, key, value)) {
			s->seen_nr++;
			s->key_seen = 1;
		}
	}
	return 0;
}

/* When the last key(s) of a section go and no comment is around, the whole
 * section goes: widens [*begin, *end) and advances *seen_ptr past the entries
 * that go with it. */
static void maybe_remove_section(struct gconf_edit *s, size_t *begin_off, size_t *end_off, size_t *seen_ptr)
{
	size_t seen = *seen_ptr, i, begin;
	int section_seen = 0;

	for (i = s->seen[seen]; i > 0; i--) {
		enum gconf_event type = s->parsed[i - 1].type;

		if (type == GCONF_EV_COMMENT)
			return;
		if (type == GCONF_EV_ENTRY) {
			if (!section_seen)
				return;
			break;
		}
		if (type == GCONF_EV_SECTION) {
			if (!s->parsed[i - 1].is_keys_section)
				break;
			section_seen = 1;
		}
	}
	begin = s->parsed[i].begin;
	for (i = s->seen[seen] + 1; i < s->parsed_nr; i++) {
		enum gconf_event type = s->parsed[i].type;

		if (type == GCONF_EV_COMMENT)
			return;
		if (type == GCONF_EV_SECTION) {
			if (s->parsed[i].is_keys_section)
				continue;
			break;
		}
		if (type == GCONF_EV_ENTRY) {
			if (++seen < s->seen_nr && i == s->seen[seen])
				continue;
			return;
		}
	}
	*seen_ptr = seen;
	*begin_off = begin;
	*end_off = i < s->parsed_nr ? s->parsed[i].begin : s->parsed[s->parsed_nr - 1].end;
}

/* The new content (before the rename) in out. */
static void build(struct gconf_edit *s, const char *contents, size_t size, const char *key,
		  const char *value, struct buf *out)
{
	size_t copy_begin = 0, copy_end, replace_end;

	if (s->seen_nr == 0) {
		if (!s->seen_alloc) {
			/* neither key nor section seen: append at the end */
			add_seen(s, s->parsed_nr - !!s->parsed_nr);
		}
		s->seen_nr = 1;
	}
	for (size_t i = 0; i < s->seen_nr; i++) {
		size_t j = s->seen[i];
		int new_line = 0;

		if (!s->key_seen) {
			copy_end = s->parsed_nr ? s->parsed[j].end : 0;
			/* include the '\n' when copying a section header */
			if (copy_end > 0 && copy_end < size && contents[copy_end - 1] != '\n' &&
			    contents[copy_end] == '\n')
				copy_end++;
			replace_end = copy_end;
		} else {
			replace_end = s->parsed[j].end;
			copy_end = s->parsed[j].begin;
			if (!value)
				maybe_remove_section(s, &copy_end, &replace_end, &i);
			/* swallow the white space before it on the same line */
			while (copy_end > 0) {
				char c = contents[copy_end - 1];

				if (c == ' ' || c == '\t' || c == '\r')
					copy_end--;
				else
					break;
			}
		}
		if (copy_end > 0 && contents[copy_end - 1] != '\n')
			new_line = 1;
		if (copy_end > copy_begin) {
			buf_put(out, contents + copy_begin, copy_end - copy_begin);
			if (new_line)
				buf_putc(out, '\n');
		}
		copy_begin = replace_end;
	}
	if (value) {
		if (!s->section_seen)
			gconf_format_section(out, key, s->baselen);
		gconf_format_pair(out, key + s->baselen + 1, value);
	}
	if (copy_begin < size)
		buf_put(out, contents + copy_begin, size - copy_begin);
}

int gconf_edit_contents(struct gconf_edit *s, const char *file, const char *contents, size_t size,
			const char *key, const char *value, struct buf *out)
{
	struct gconf_parser p = { .entry = on_entry, .event = on_event, .ctx = s };
	int rc = gconf_parse(&p, contents, size);

	if (rc == 1) {
		/* git dies on a syntax error in a file */
		gitcli_fatal("bad config line %d in file %s", p.linenr, file);
		rc = 128;
	} else if (rc < 0 || s->failed) {
		gitcli_error("invalid config file %s", file);
		rc = GCONF_INVALID_FILE;
	} else if ((s->seen_nr == 0 && !value) || (s->seen_nr > 1 && !s->multi_replace)) {
		rc = GCONF_NOTHING_SET;
	} else {
		build(s, contents, size, key, value, out);
	}
	gconf_parser_dispose(&p);
	return rc;
}

void gconf_edit_dispose(struct gconf_edit *s)
{
	free(s->parsed);
	free(s->seen);
	buf_dispose(&s->key);
	s->parsed = NULL;
	s->seen = NULL;
}
