#include "lfs_batch.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "../helper/buf.h"
#include "../helper/error.h"
#include "../net/httpdate.h"

int lfs_batch_request(struct buf *out, const char *operation, const char *ref,
		      const struct lfs_want *w, size_t n)
{
	buf_printf(out, "{\"operation\":\"%s\",\"transfers\":[\"basic\"],", operation);
	if (ref) {
		buf_puts(out, "\"ref\":{\"name\":");
		buf_put_quoted(out, ref, BUF_QUOTE_JSON);
		buf_puts(out, "},");
	}
	buf_puts(out, "\"objects\":[");
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s{\"oid\":\"%s\",\"size\":%lld}", i ? "," : "", w[i].oid,
			   (long long)w[i].size);
	buf_puts(out, "],\"hash_algo\":\"sha256\"}");
	return out->failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

static int digits(const char **s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	return v;
}

int lfs_parse_rfc3339(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, off = 0;

	if ((y = digits(&s, 4)) < 0 || *s++ != '-' || (mo = digits(&s, 2)) < 1 || mo > 12 ||
	    *s++ != '-' || (d = digits(&s, 2)) < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))) || (*s != 'T' && *s != 't') ||
	    (s++, (h = digits(&s, 2)) < 0) || h > 23 || *s++ != ':' || (mi = digits(&s, 2)) < 0 ||
	    mi > 59 || *s++ != ':' || (se = digits(&s, 2)) < 0 || se > 60)
		return -1;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return -1;
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om;

		if ((oh = digits(&s, 2)) < 0 || oh > 23 || *s++ != ':' || (om = digits(&s, 2)) < 0 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*s)
		return -1;
	*out = httpdate_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return 0;
}

static bool header_ok(const char *name, const char *value)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!strchr("!#$%&'*+-.^_`|~", *p) && !((*p >= '0' && *p <= '9') ||
		    (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < ' ' && *p != '\t')
			return false;
	return true;
}

static int bad(const char *what, const char *oid)
{
	if (oid)
		return err_set(CIH_ECORRUPT, "batch response: %s for object %.64s", what, oid);
	return err_set(CIH_ECORRUPT, "batch response: %s", what);
}

#define GO_ZERO_TIME (-62135596800LL)

static int read_action(const cJSON *a, int64_t now, struct lfs_action *out, const char *oid)
{
	const cJSON *href = cJSON_GetObjectItemCaseSensitive(a, "href");
	const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(a, "header");
	const cJSON *ein = cJSON_GetObjectItemCaseSensitive(a, "expires_in");
	const cJSON *eat = cJSON_GetObjectItemCaseSensitive(a, "expires_at");
	const cJSON *h;

	if (!cJSON_IsObject(a))
		return bad("an action that is not an object", oid);
	if (!cJSON_IsString(href) || (strncmp(href->valuestring, "https://", 8) &&
				      strncmp(href->valuestring, "http://", 7)))
		return bad("an action without an http(s) href", oid);
	if (strpbrk(href->valuestring, " \r\n\t"))
		return bad("an href with white space", oid);
	if (!(out->href = strdup(href->valuestring)))
		return err_set(CIH_ENOMEM, "out of memory");
	if (hdr && !cJSON_IsNull(hdr)) {
		size_t n = 0;

		if (!cJSON_IsObject(hdr))
			return bad("an action header that is not an object", oid);
		cJSON_ArrayForEach(h, hdr) n++;
		if (n && !(out->hdr = calloc(n, sizeof(*out->hdr))))
			return err_set(CIH_ENOMEM, "out of memory");
		cJSON_ArrayForEach(h, hdr) {
			if (!cJSON_IsString(h) || !header_ok(h->string, h->valuestring))
				return bad("an unusable action header", oid);
			out->hdr[out->nhdr].name = strdup(h->string);
			out->hdr[out->nhdr].value = strdup(h->valuestring);
			if (!out->hdr[out->nhdr].name || !out->hdr[out->nhdr].value) {
				out->nhdr++; /* freed with the rest */
				return err_set(CIH_ENOMEM, "out of memory");
			}
			out->nhdr++;
		}
	}
	/* git-lfs: expires_in wins over expires_at when both are there */
	if (ein && !cJSON_IsNull(ein)) {
		if (!cJSON_IsNumber(ein) || ein->valuedouble > 1e15 || ein->valuedouble < -1e15)
			return bad("a bad expires_in", oid);
		if (ein->valuedouble != 0) {
			out->expires = now + (int64_t)ein->valuedouble;
			if (out->expires == 0) /* 0 means "never" here */
				out->expires = -1;
		}
	} else if (eat && !cJSON_IsNull(eat)) {
		int64_t t;

		if (!cJSON_IsString(eat))
			return bad("a bad expires_at", oid);
		/* Go's zero time (0001-01-01T00:00:00Z) is what servers send for "none" */
		if (*eat->valuestring) {
			if (lfs_parse_rfc3339(eat->valuestring, &t) < 0)
				return bad("a bad expires_at", oid);
			if (t != GO_ZERO_TIME)
				out->expires = t ? t : -1;
		}
	}
	return 0;
}

static int read_object(const cJSON *o, int64_t now, struct lfs_batch_obj *out)
{
	const cJSON *oid = cJSON_GetObjectItemCaseSensitive(o, "oid");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(o, "size");
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(o, "authenticated");
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(o, "actions");
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(o, "error");

	if (!cJSON_IsObject(o))
		return bad("an object entry that is not an object", NULL);
	if (!cJSON_IsString(oid) || !lfs_oid_valid(oid->valuestring, strlen(oid->valuestring)))
		return bad("an object with a bad oid", NULL);
	memcpy(out->oid, oid->valuestring, LFS_OID_HEX + 1);
	if (!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > 9.0e15 ||
	    size->valuedouble != (double)(int64_t)size->valuedouble)
		return bad("a bad size", out->oid);
	out->size = (int64_t)size->valuedouble;
	out->authenticated = cJSON_IsTrue(auth);
	if (error && !cJSON_IsNull(error)) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(error, "message");

		if (!cJSON_IsObject(error))
			return bad("an error that is not an object", out->oid);
		out->err_code = cJSON_IsNumber(code) && code->valuedouble >= 1 && code->valuedouble < 1000
					? (int)code->valuedouble : 500;
		if (!(out->err_msg = strdup(cJSON_IsString(msg) ? msg->valuestring : "")))
			return err_set(CIH_ENOMEM, "out of memory");
		for (char *p = out->err_msg; *p; p++)
			if ((unsigned char)*p < ' ')
				*p = ' ';
		return 0;
	}
	if (actions && !cJSON_IsNull(actions)) {
		const cJSON *dl = cJSON_GetObjectItemCaseSensitive(actions, "download");

		if (!cJSON_IsObject(actions))
			return bad("actions that are not an object", out->oid);
		out->has_upload = cJSON_GetObjectItemCaseSensitive(actions, "upload") != NULL;
		if (dl) {
			out->has_download = true;
			return read_action(dl, now, &out->download, out->oid);
		}
	}
	return 0;
}

/* nothing but white space after the value (cJSON stops at its end) */
static bool only_space(const char *p, const char *end)
{
	for (; p && p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	return p != NULL;
}

int lfs_batch_parse(const char *json, size_t len, int64_t now, struct lfs_batch_reply *out)
{
	cJSON *j = NULL;
	const char *end = NULL;
	const cJSON *tr, *ha, *objs, *o;
	size_t n = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* a NUL inside a string would cut it short silently: refuse it */
	if (memmem(json, len, "\\u0000", 6))
		return bad("a NUL character in a string", NULL);
	j = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (j && !only_space(end, json + len)) {
		cJSON_Delete(j);
		j = NULL;
	}
	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return bad("not a JSON object", NULL);
	}
	tr = cJSON_GetObjectItemCaseSensitive(j, "transfer");
	ha = cJSON_GetObjectItemCaseSensitive(j, "hash_algo");
	objs = cJSON_GetObjectItemCaseSensitive(j, "objects");
	if (tr && !cJSON_IsNull(tr) && (!cJSON_IsString(tr) || strcmp(tr->valuestring, "basic")))
		rc = bad("the server chose a transfer adapter other than basic", NULL);
	else if (ha && !cJSON_IsNull(ha) && (!cJSON_IsString(ha) || strcmp(ha->valuestring, "sha256")))
		rc = bad("unsupported hash algorithm", NULL);
	else if (!cJSON_IsArray(objs))
		rc = bad("no objects array", NULL);
	if (rc == 0) {
		cJSON_ArrayForEach(o, objs) n++;
		if (n && !(out->obj = calloc(n, sizeof(*out->obj))))
			rc = err_set(CIH_ENOMEM, "out of memory");
		cJSON_ArrayForEach(o, objs) {
			if (rc < 0)
				break;
			rc = read_object(o, now, &out->obj[out->nobj++]);
		}
	}
	cJSON_Delete(j);
	if (rc < 0)
		lfs_batch_reply_dispose(out);
	return rc;
}

static void action_dispose(struct lfs_action *a)
{
	free(a->href);
	for (size_t i = 0; i < a->nhdr; i++) {
		free(a->hdr[i].name);
		if (a->hdr[i].value)
			explicit_bzero(a->hdr[i].value, strlen(a->hdr[i].value));
		free(a->hdr[i].value);
	}
	free(a->hdr);
	memset(a, 0, sizeof(*a));
}

void lfs_batch_obj_dispose(struct lfs_batch_obj *o)
{
	action_dispose(&o->download);
	free(o->err_msg);
	o->err_msg = NULL;
}

void lfs_batch_reply_dispose(struct lfs_batch_reply *r)
{
	for (size_t i = 0; i < r->nobj; i++)
		lfs_batch_obj_dispose(&r->obj[i]);
	free(r->obj);
	memset(r, 0, sizeof(*r));
}

char *lfs_batch_error_message(const char *json, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(json, len);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
	char *s = cJSON_IsString(m) && *m->valuestring ? strdup(m->valuestring) : NULL;

	cJSON_Delete(j);
	for (char *p = s; p && *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	return s;
}
