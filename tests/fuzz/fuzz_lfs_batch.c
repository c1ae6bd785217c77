/* A Git LFS server's batch reply (untrusted) through the strict reader
 * (git/lfs_batch.c, lfs_batch_parse), the same bytes as an error reply
 * (lfs_batch_error_message) and as an expires_at time (lfs_parse_rfc3339).
 * Checks on what is accepted: every object has a 64 lowercase hex oid and a size
 * >= 0, a per-object error has a code in 1..999 and a message without control
 * characters and no download, a download has an http(s) href without white space
 * and headers whose names are tokens and whose values hold no CR, LF or other
 * control character; a refused reply leaves nothing behind and says why. A time
 * accepted reads back through gmtime as the calendar fields written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../git/lfs_batch.h"
#include "../../helper/error.h"

static void check_text(const char *s, bool may_be_empty)
{
	if (!s || (!may_be_empty && !*s))
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < ' ' && *s != '\t')
			abort();
}

static void check_action(const struct lfs_action *a)
{
	if (!a->href || (strncmp(a->href, "https://", 8) && strncmp(a->href, "http://", 7)) ||
	    strpbrk(a->href, " \t\r\n") || (a->nhdr && !a->hdr))
		abort();
	for (size_t i = 0; i < a->nhdr; i++) {
		const char *name = a->hdr[i].name;

		if (!name || !*name || strspn(name, "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
						    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(name))
			abort();
		check_text(a->hdr[i].value, true);
	}
}

static void check_object(const struct lfs_batch_obj *o)
{
	if (!lfs_oid_valid(o->oid, strlen(o->oid)) || o->size < 0)
		abort();
	if (o->err_code) {
		if (o->err_code < 1 || o->err_code > 999 || o->has_download || o->download.href)
			abort();
		check_text(o->err_msg, true);
	} else if (o->err_msg) {
		abort();
	}
	if (o->has_download)
		check_action(&o->download);
	else if (o->download.href || o->download.nhdr || o->download.expires)
		abort();
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int num(const char *s, int n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* s was accepted: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" */
static void check_time(const char *s, int64_t t)
{
	size_t len = strlen(s);
	int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2), h = num(s + 11, 2),
	    mi = num(s + 14, 2), se = num(s + 17, 2), off = 0;
	time_t wall;
	struct tm tm;

	if (len < 20)
		abort();
	if (s[len - 1] != 'Z' && s[len - 1] != 'z') {
		if (len < 25 || (s[len - 6] != '+' && s[len - 6] != '-'))
			abort();
		off = (s[len - 6] == '-' ? -1 : 1) * (num(s + len - 5, 2) * 3600 + num(s + len - 2, 2) * 60);
	}
	if (mo == 2 && d == 29 && !leap(y)) /* a day that does not exist was taken */
		abort();
	wall = (time_t)(t + off - (se == 60)); /* a leap second reads as :59 plus one */
	if (!gmtime_r(&wall, &tm) || tm.tm_year + 1900 != y || tm.tm_mon + 1 != mo || tm.tm_mday != d ||
	    tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != (se == 60 ? 59 : se))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t now = 1700000000;
	struct lfs_batch_reply r;
	char *s, *msg;
	int64_t t;
	int rc;

	err_clear();
	rc = lfs_batch_parse((const char *)data, size, now, &r);
	if (rc == 0) {
		if (r.nobj && !r.obj)
			abort();
		for (size_t i = 0; i < r.nobj; i++)
			check_object(&r.obj[i]);
		lfs_batch_reply_dispose(&r);
	} else if (rc != CIH_ECORRUPT && rc != CIH_ENOMEM) {
		abort();
	} else if (!*err_last()->msg) {
		abort();
	}
	if (r.obj || r.nobj)
		abort();
	if ((msg = lfs_batch_error_message((const char *)data, size))) {
		check_text(msg, false);
		free(msg);
	}
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (lfs_parse_rfc3339(s, &t) == 0)
		check_time(s, t);
	free(s);
	return 0;
}
