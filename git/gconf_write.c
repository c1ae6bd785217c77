/* Config file edits as git makes them (git 2.39 config.c,
 * git_config_set_multivar_in_file_gently and its helpers): everything but the
 * changed lines is copied byte for byte, through <file>.lock renamed over the file. */
#include "gconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "gconf_parse.h"
#include "gitcli.h"

struct parsed_ev {
	size_t begin, end;
	enum gconf_event type;
	int is_keys_section;
};

struct store {
	size_t baselen;
	struct buf key; /* canonical */
	int do_not_match, multi_replace;
	regex_t *pattern; /* NULL: any value; (regex_t *)1: none */
	struct parsed_ev *parsed;
	size_t parsed_nr, parsed_alloc;
	size_t *seen, seen_nr, seen_alloc;
	int key_seen, section_seen, is_keys_section;
	int failed;
};

#define PATTERN_NONE ((regex_t *)1)

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

static int add_seen(struct store *s, size_t idx)
{
	if (grow((void **)&s->seen, &s->seen_alloc, s->seen_nr + 1, sizeof(*s->seen)) < 0)
		return s->failed = 1, -1;
	s->seen[s->seen_nr] = idx;
	return 0;
}

static int matches(const struct store *s, const char *key, const char *value)
{
	if (strcmp(key, buf_cstr(&s->key)))
		return 0;
	if (!s->pattern)
		return 1;
	if (s->pattern == PATTERN_NONE)
		return 0;
	return s->do_not_match ^ (value && !regexec(s->pattern, value, 0, NULL, 0));
}

static int on_event(struct gconf_parser *p, enum gconf_event type, size_t begin, size_t end)
{
	struct store *s = p->ctx;
	struct parsed_ev *ev;

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
	struct store *s = p->ctx;

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
static void maybe_remove_section(struct store *s, size_t *begin_off, size_t *end_off, size_t *seen_ptr)
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
static void build(struct store *s, const char *contents, size_t size, const char *key,
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

/* hold_lock_file_for_update resolves a symlinked file to its target */
static void resolve_link(const char *file, struct buf *out)
{
	char target[PATH_MAX];

	buf_clear(out);
	buf_puts(out, file);
	for (int depth = 0; depth < 5; depth++) {
		ssize_t n = readlink(buf_cstr(out), target, sizeof(target) - 1);
		const char *slash;

		if (n < 0)
			return;
		target[n] = '\0';
		slash = strrchr(buf_cstr(out), '/');
		if (target[0] == '/' || !slash) {
			buf_clear(out);
			buf_puts(out, target);
		} else {
			out->len = (size_t)(slash - out->ptr) + 1;
			buf_puts(out, target);
		}
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, struct buf *out)
{
	char chunk[8192];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		buf_put(out, chunk, (size_t)n);
	}
}

static int compile_pattern(struct store *s, const char *value_pattern)
{
	if (!value_pattern)
		return 0;
	if (value_pattern == GCONF_REGEX_NONE) {
		s->pattern = PATTERN_NONE;
		return 0;
	}
	if (value_pattern[0] == '!') {
		s->do_not_match = 1;
		value_pattern++;
	}
	if (!(s->pattern = malloc(sizeof(*s->pattern))))
		return GCONF_GENERIC_ERROR;
	if (regcomp(s->pattern, value_pattern, REG_EXTENDED)) {
		free(s->pattern);
		s->pattern = NULL;
		gitcli_error("invalid pattern: %s", value_pattern);
		return GCONF_INVALID_PATTERN;
	}
	return 0;
}

/* Parses the existing file and computes the new content; git's status. */
static int edit(struct store *s, const char *file, int in_fd, const char *key, const char *value,
		const char *value_pattern, struct buf *out)
{
	struct gconf_parser p = { .entry = on_entry, .event = on_event, .ctx = s };
	struct buf contents = BUF_INIT;
	int rc;

	if ((rc = compile_pattern(s, value_pattern)))
		return rc;
	if (read_all(in_fd, &contents) < 0) {
		gitcli_error("opening %s: %s", file, strerror(errno));
		buf_dispose(&contents);
		return GCONF_INVALID_FILE;
	}
	rc = gconf_parse(&p, contents.ptr ? contents.ptr : "", contents.len);
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
		build(s, contents.ptr ? contents.ptr : "", contents.len, key, value, out);
	}
	gconf_parser_dispose(&p);
	buf_dispose(&contents);
	return rc;
}

static int commit(const char *lock, const char *target, int fd, const struct buf *data, mode_t mode, int chmod_it)
{
	if (chmod_it && fchmod(fd, mode & 07777) < 0) {
		gitcli_error("chmod on %s failed: %s", lock, strerror(errno));
		return GCONF_NO_WRITE;
	}
	if (data->failed || write_all(fd, data->ptr ? data->ptr : "", data->len) < 0) {
		gitcli_error("failed to write new configuration file %s", lock);
		return GCONF_NO_WRITE;
	}
	if (fsync(fd) < 0 || rename(lock, target) < 0) {
		gitcli_error("could not write config file %s: %s", target, strerror(errno));
		return GCONF_NO_WRITE;
	}
	return 0;
}

int gconf_set_in_file(const char *file, const char *key, const char *value,
		      const char *value_pattern, int multi_replace)
{
	struct store s = { .multi_replace = multi_replace };
	struct buf target = BUF_INIT, lock = BUF_INIT, out = BUF_INIT;
	struct stat st;
	int rc, fd = -1, in_fd = -1, locked = 0;

	if ((rc = gconf_key_parse(key, &s.key, &s.baselen))) {
		gitcli_error("%s", err_last()->msg);
		goto out;
	}
	resolve_link(file, &target);
	buf_printf(&lock, "%s.lock", buf_cstr(&target));
	fd = open(buf_cstr(&lock), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		gitcli_error("could not lock config file %s: %s", file, strerror(errno));
		rc = GCONF_NO_LOCK;
		goto out;
	}
	locked = 1;
	in_fd = open(file, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0) {
		if (errno != ENOENT) {
			gitcli_error("opening %s: %s", file, strerror(errno));
			rc = GCONF_INVALID_FILE;
			goto out;
		}
		if (!value) {
			rc = GCONF_NOTHING_SET;
			goto out;
		}
		gconf_format_section(&out, key, s.baselen);
		gconf_format_pair(&out, key + s.baselen + 1, value);
		rc = commit(buf_cstr(&lock), buf_cstr(&target), fd, &out, 0, 0);
	} else {
		if (fstat(in_fd, &st) < 0) {
			gitcli_error("fstat on %s failed: %s", file, strerror(errno));
			rc = GCONF_INVALID_FILE;
			goto out;
		}
		rc = edit(&s, file, in_fd, key, value, value_pattern, &out);
		if (!rc)
			rc = commit(buf_cstr(&lock), buf_cstr(&target), fd, &out, st.st_mode, 1);
	}
	if (!rc)
		locked = 0;
out:
	if (fd >= 0)
		close(fd);
	if (locked)
		unlink(buf_cstr(&lock));
	if (in_fd >= 0)
		close(in_fd);
	if (s.pattern && s.pattern != PATTERN_NONE) {
		regfree(s.pattern);
		free(s.pattern);
	}
	free(s.parsed);
	free(s.seen);
	buf_dispose(&s.key);
	buf_dispose(&target);
	buf_dispose(&lock);
	buf_dispose(&out);
	return rc;
}
