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
#include "../helper/fdio.h"
#include "gconf_edit.h"
#include "gconf_parse.h"
#include "gitcli.h"

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

static int compile_pattern(struct gconf_edit *s, const char *value_pattern)
{
	if (!value_pattern)
		return 0;
	if (value_pattern == GCONF_REGEX_NONE) {
		s->pattern = GCONF_EDIT_NONE;
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
static int edit(struct gconf_edit *s, const char *file, int in_fd, const char *key, const char *value,
		const char *value_pattern, struct buf *out)
{
	struct buf contents = BUF_INIT;
	int rc;

	if ((rc = compile_pattern(s, value_pattern)))
		return rc;
	if (read_all(in_fd, &contents) < 0) {
		gitcli_error("opening %s: %s", file, strerror(errno));
		buf_dispose(&contents);
		return GCONF_INVALID_FILE;
	}
	rc = gconf_edit_contents(s, file, contents.ptr ? contents.ptr : "", contents.len, key, value, out);
	buf_dispose(&contents);
	return rc;
}

static int commit(const char *lock, const char *target, int fd, const struct buf *data, mode_t mode, int chmod_it)
{
	if (chmod_it && fchmod(fd, mode & 07777) < 0) {
		gitcli_error("chmod on %s failed: %s", lock, strerror(errno));
		return GCONF_NO_WRITE;
	}
	if (data->failed || fdio_write_all(fd, data->ptr ? data->ptr : "", data->len) < 0) {
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
	struct gconf_edit s = { .multi_replace = multi_replace };
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
	if (s.pattern && s.pattern != GCONF_EDIT_NONE) {
		regfree(s.pattern);
		free(s.pattern);
	}
	gconf_edit_dispose(&s);
	buf_dispose(&target);
	buf_dispose(&lock);
	buf_dispose(&out);
	return rc;
}
