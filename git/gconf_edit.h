/* The in-memory part of `git config`'s file edits (gconf_write.c): parse the
 * current contents, then copy them with the changed lines, as git 2.39's
 * git_config_set_multivar_in_file_gently does. No file or libgit2 access, so
 * that it can be fuzzed. */
#ifndef CIH_GIT_GCONF_EDIT_H
#define CIH_GIT_GCONF_EDIT_H

#include <regex.h>
#include <stddef.h>

#include "../helper/buf.h"
#include "gconf_parse.h"

struct gconf_edit_ev {
	size_t begin, end;
	enum gconf_event type;
	int is_keys_section;
};

struct gconf_edit {
	size_t baselen;
	struct buf key; /* canonical */
	int do_not_match, multi_replace;
	regex_t *pattern; /* NULL: any value; GCONF_EDIT_NONE: none */
	struct gconf_edit_ev *parsed;
	size_t parsed_nr, parsed_alloc;
	size_t *seen, seen_nr, seen_alloc;
	int key_seen, section_seen, is_keys_section;
	int failed;
};

#define GCONF_EDIT_NONE ((regex_t *)1)

/* s zeroed but for key and baselen (gconf_key_parse), multi_replace, pattern
 * and do_not_match. Parses contents (file names it in messages) and puts the new
 * contents in out: git config's status (0, GCONF_NOTHING_SET, GCONF_INVALID_FILE,
 * 128 for a syntax error, after git's message). value NULL unsets. */
int gconf_edit_contents(struct gconf_edit *s, const char *file, const char *contents, size_t size,
			const char *key, const char *value, struct buf *out);
/* Frees what s holds but the pattern. */
void gconf_edit_dispose(struct gconf_edit *s);

#endif
