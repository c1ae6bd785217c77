/* git's config file syntax, parsed the way git's own parser does (config.c of
 * git 2.39): the same key canonicalisation, value unescaping, line counting and
 * event offsets, so that an editor built on it (gconf_write.c) rewrites files
 * byte for byte as git does. Also git's key validation and value parsing. */
#ifndef CIH_GIT_GCONF_PARSE_H
#define CIH_GIT_GCONF_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "../helper/buf.h"

/* git config's exit statuses (config.h). */
enum {
	GCONF_INVALID_KEY = 1,
	GCONF_NO_SECTION_OR_NAME = 2,
	GCONF_INVALID_FILE = 3,
	GCONF_NO_WRITE = 4,
	GCONF_NOTHING_SET = 5,
	GCONF_INVALID_PATTERN = 6,
	GCONF_GENERIC_ERROR = 7,
	GCONF_NO_LOCK = 255,
};

enum gconf_event {
	GCONF_EV_SECTION,
	GCONF_EV_ENTRY,
	GCONF_EV_WHITESPACE,
	GCONF_EV_COMMENT,
	GCONF_EV_EOF,
	GCONF_EV_ERROR,
};

struct gconf_parser {
	/* set by the caller */
	int (*entry)(struct gconf_parser *p, const char *key, const char *value);
	/* each event with its byte range [begin, end) once the next one starts */
	int (*event)(struct gconf_parser *p, enum gconf_event type, size_t begin, size_t end);
	void *ctx;
	/* state the callbacks may read */
	struct buf var;        /* "section.sub." while a header is current */
	int subsection_icase;  /* [section.sub] (old syntax): compare it caselessly */
	int linenr;
	/* private */
	const char *buf;
	size_t len, pos;
	int eof;
	struct buf value;
	enum gconf_event prev_type;
	size_t prev_offset;
};

/* Parses buf. 0; 1 for a syntax error (git: "bad config line <p->linenr> in ...",
 * also when an entry callback failed); or the event callback's negative return. */
int gconf_parse(struct gconf_parser *p, const char *buf, size_t len);
void gconf_parser_dispose(struct gconf_parser *p);

/* git_config_parse_key: the canonical key (section and variable name lowercased,
 * a subsection kept) and the length of section[.subsection]. 0, or
 * GCONF_INVALID_KEY / GCONF_NO_SECTION_OR_NAME with git's message in err_last()
 * ("invalid key: k", "key does not contain a section: k", ...). */
int gconf_key_parse(const char *key, struct buf *canon, size_t *baselen);

/* "\tname = value\n" as git writes a pair (name as the user typed it). */
void gconf_format_pair(struct buf *out, const char *name, const char *value);
/* The header git writes for key's section ("[sec]\n" or "[sec \"sub\"]\n"), from
 * the key as typed; baselen as gconf_key_parse gives it. */
void gconf_format_section(struct buf *out, const char *key, size_t baselen);

/* git_parse_maybe_bool_text: true/yes/on, false/no/off or ""; -1 otherwise. */
int gconf_parse_bool_text(const char *value);
/* git_parse_maybe_bool: 1, 0, or -1 when value is no boolean. NULL is true. */
int gconf_parse_bool(const char *value);
/* git_parse_int64 with k/m/g units. 0, or -1 with *range set for out of range
 * (else an invalid unit). */
int gconf_parse_int64(const char *value, int64_t *out, int *range);

#endif
