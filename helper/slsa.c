#include "slsa.h"

#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "error.h"
#include "log.h"
#include "slsa_internal.h"
#include "version.h"

#define STATEMENT_TYPE "https://in-toto.io/Statement/v0.1"
#define PREDICATE_TYPE "https://slsa.dev/provenance/v1"
#define BUILD_TYPE "https://gitlab.com/gitlab-org/gitlab-runner/-/blob/%s/PROVENANCE.md"
/* Below this many bytes in all, one thread hashes everything. mbedtls does about
 * 250 MB/s per core here: 200 MB in 100 files took 0.71 s on one thread, 0.45 s on
 * two; under a few MiB the difference is a few milliseconds either way. */
#define PARALLEL_FROM (8u << 20)
#define MAX_THREADS 8

/* protojson's indented writer: one space per level, ": " after a key. */
struct jw {
	struct buf *b;
	int depth;
	bool empty; /* nothing yet in the innermost object or array */
};

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* The length of the valid UTF-8 sequence at s (not at its end), 0 when invalid: as
 * Go decodes, no overlong forms, surrogates or values above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0], n, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, min = 0x10000;
	else
		return 0;
	uint32_t cp = c & (0x3fu >> n);
	for (unsigned i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : n + 1;
}

static bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	for (; *s; s += n)
		if (!(n = utf8_seq(s)))
			return false;
	return true;
}

/* protojson's string: only '"', '\\', controls and DEL are escaped. */
static void json_str(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *esc = *p == '"' ? "\\\"" : *p == '\\' ? "\\\\" : *p == '\b' ? "\\b"
				: *p == '\f' ? "\\f" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r"
				: *p == '\t' ? "\\t" : NULL;
		if (esc)
			buf_puts(b, esc);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

static void jw_item(struct jw *w, const char *key)
{
	if (!w->empty)
		buf_putc(w->b, ',');
	buf_putc(w->b, '\n');
	for (int i = 0; i < w->depth; i++)
		buf_putc(w->b, ' ');
	w->empty = false;
	if (key) {
		json_str(w->b, key);
		buf_puts(w->b, ": ");
	}
}

static void jw_open(struct jw *w, const char *key, char c)
{
	jw_item(w, key);
	buf_putc(w->b, c);
	w->depth++;
	w->empty = true;
}

static void jw_close(struct jw *w, char c)
{
	w->depth--;
	if (!w->empty) {
		buf_putc(w->b, '\n');
		for (int i = 0; i < w->depth; i++)
			buf_putc(w->b, ' ');
	}
	buf_putc(w->b, c);
	w->empty = false;
}

static void jw_string(struct jw *w, const char *key, const char *value)
{
	jw_item(w, key);
	json_str(w->b, value);
}

/* Go's %q of a string that may not be valid UTF-8 (structpb's error text). */
static void go_quote(struct buf *b, const char *str)
{
	static const char ctl[] = "\a\b\f\n\r\t\v", letters[] = "abfnrtv";
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	buf_putc(b, '"');
	for (; *s; s += n ? n : 1) {
		const char *l = strchr(ctl, *s);
		n = utf8_seq(s);
		if (*s == '"' || *s == '\\')
			buf_printf(b, "\\%c", *s);
		else if (l)
			buf_printf(b, "\\%c", letters[l - ctl]);
		else if (!n || *s < 0x20 || *s == 0x7f)
			buf_printf(b, "\\x%02x", *s);
		else
			buf_put(b, s, n);
	}
	buf_putc(b, '"');
}

static int invalid_utf8(const char *s)
{
	struct buf b = BUF_INIT;

	go_quote(&b, s);
	int rc = err_set(CIH_EUSAGE, "proto: invalid UTF-8 in string: %s", buf_cstr(&b));
	buf_dispose(&b);
	return rc;
}

struct kv {
	const char *key, *value;
	size_t order; /* a later pair replaces an earlier one with the same key */
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->order < y->order ? -1 : 1;
}

static int cmp_item(const void *a, const void *b)
{
	const struct sel_entry *x = *(const struct sel_entry *const *)a;
	const struct sel_entry *y = *(const struct sel_entry *const *)b;
	return strcmp(x->path, y->path);
}

static int cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* upstream: the runner version when it starts with "v", otherwise its revision */
static const char *runner_version(void)
{
	const struct version_info *v = version_get();
	return v->version[0] == 'v' ? v->version : v->revision;
}

struct doc {
	const struct slsa_opts *o;
	const struct sel_entry **subj;
	unsigned char (*digests)[32];
	size_t nsubj;
	struct kv *ext; /* sorted, duplicates included */
	size_t n_ext;
	char started[40], ended[40];
};

static void put_digest(struct jw *w, const char *key, const char *hex)
{
	jw_open(w, key, '{');
	jw_string(w, "sha256", hex);
	jw_close(w, '}');
}

static void put_predicate(struct jw *w, const struct doc *d)
{
	const struct slsa_opts *o = d->o;
	char num[32], id[32];
	struct buf s = BUF_INIT;

	jw_open(w, "predicate", '{');
	jw_open(w, "buildDefinition", '{');
	buf_printf(&s, BUILD_TYPE, runner_version());
	jw_string(w, "buildType", buf_cstr(&s));
	jw_open(w, "externalParameters", '{');
	for (size_t i = 0; i < d->n_ext; i++)
		if (i + 1 == d->n_ext || strcmp(d->ext[i].key, d->ext[i + 1].key))
			jw_string(w, d->ext[i].key, d->ext[i].value);
	jw_close(w, '}');
	snprintf(id, sizeof(id), "%" PRId64, o->job_id);
	jw_open(w, "internalParameters", '{');
	jw_string(w, "architecture", version_get()->arch);
	jw_string(w, "executor", nz(o->executor_name));
	jw_string(w, "job", id);
	jw_string(w, "name", nz(o->runner_name));
	jw_close(w, '}');
	jw_open(w, "resolvedDependencies", '[');
	jw_open(w, NULL, '{');
	put_digest(w, "digest", nz(o->repo_digest));
	if (*nz(o->repo_url)) /* protojson omits an empty uri */
		jw_string(w, "uri", o->repo_url);
	jw_close(w, '}');
	jw_close(w, ']');
	jw_close(w, '}');

	jw_open(w, "runDetails", '{');
	jw_open(w, "builder", '{');
	buf_clear(&s);
	snprintf(num, sizeof(num), "%" PRId64, o->runner_id);
	buf_printf(&s, "%s/-/runners/%s", nz(o->repo_url), num);
	jw_string(w, "id", buf_cstr(&s));
	jw_open(w, "version", '{');
	jw_string(w, "gitlab-runner", runner_version());
	jw_close(w, '}');
	jw_close(w, '}');
	jw_open(w, "metadata", '{');
	jw_string(w, "finishedOn", d->ended);
	jw_string(w, "invocationId", id);
	jw_string(w, "startedOn", d->started);
	jw_close(w, '}');
	jw_close(w, '}');
	jw_close(w, '}');
	buf_dispose(&s);
}

static void put_statement(struct buf *b, const struct doc *d)
{
	struct jw w = { b, 1, true };
	static const char hex[] = "0123456789abcdef";

	buf_putc(b, '{');
	jw_string(&w, "_type", STATEMENT_TYPE);
	if (d->nsubj) { /* an empty repeated field is omitted */
		jw_open(&w, "subject", '[');
		for (size_t i = 0; i < d->nsubj; i++) {
			char sum[65];
			for (int k = 0; k < 32; k++) {
				sum[2 * k] = hex[d->digests[i][k] >> 4];
				sum[2 * k + 1] = hex[d->digests[i][k] & 15];
			}
			sum[64] = '\0';
			jw_open(&w, NULL, '{');
			jw_string(&w, "name", d->subj[i]->path);
			put_digest(&w, "digest", sum);
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
	}
	jw_string(&w, "predicateType", PREDICATE_TYPE);
	put_predicate(&w, d);
	jw_close(&w, '}');
}

/* The regular files of items, sorted, without the statement itself. */
static size_t pick_subjects(const struct sel_entry *items, size_t n, const char *path,
			    const struct sel_entry **out, uint64_t *bytes)
{
	struct stat self;
	bool have_self = lstat(path, &self) == 0;
	size_t k = 0;

	*bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sel_entry *it = &items[i];
		if (!S_ISREG(it->st.st_mode) || !strcmp(it->path, path) ||
		    (have_self && it->st.st_dev == self.st_dev && it->st.st_ino == self.st_ino))
			continue;
		out[k++] = it;
		*bytes += (uint64_t)it->st.st_size;
	}
	qsort(out, k, sizeof(*out), cmp_item);
	return k;
}

/* upstream's order of failures: structpb values, then protojson's fields */
static int check_strings(struct doc *d)
{
	const struct slsa_opts *o = d->o;
	const char *values[] = { nz(o->job_name), nz(o->repo_url), nz(o->runner_name),
				 nz(o->executor_name) };

	for (size_t i = 0; i < d->n_ext; i++)
		if (!utf8_valid(d->ext[i].key))
			return invalid_utf8(d->ext[i].key);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (!utf8_valid(values[i]))
			return invalid_utf8(values[i]);
	if (!utf8_valid(nz(o->repo_digest)))
		return err_set(CIH_EUSAGE, "proto: field in_toto_attestation.v1.ResourceDescriptor."
					   "DigestEntry.value contains invalid UTF-8");
	return 0;
}

static int build(struct doc *d, const struct slsa_time *start, const struct slsa_time *end,
		 struct buf *out)
{
	const struct slsa_opts *o = d->o;
	int rc;

	for (size_t i = 0; i < o->nparams; i++)
		d->ext[d->n_ext++] = (struct kv){ nz(o->params[i]), "", i };
	d->ext[d->n_ext++] = (struct kv){ "entryPoint", nz(o->job_name), o->nparams };
	d->ext[d->n_ext++] = (struct kv){ "source", nz(o->repo_url), o->nparams + 1 };
	qsort(d->ext, d->n_ext, sizeof(*d->ext), cmp_kv);
	if ((rc = check_strings(d)) < 0 || (rc = slsa__format_time(start, d->started)) < 0 ||
	    (rc = slsa__format_time(end, d->ended)) < 0)
		return rc;
	for (size_t i = 0; i < d->nsubj; i++)
		if (!utf8_valid(d->subj[i]->path))
			return err_set(CIH_EUSAGE, "proto: field in_toto_attestation.v1.ResourceDescriptor."
						   "name contains invalid UTF-8");
	put_statement(out, d);
	return out->failed ? err_set(CIH_ENOMEM, "out of memory") : 0;
}

static int save(const char *path, const struct buf *b)
{
	struct afile f;
	int rc = afile_create(&f, path);

	if (rc == 0 && (rc = afile_write(&f, b->ptr, b->len)) == 0)
		rc = afile_commit(&f, 0644);
	if (rc < 0)
		afile_abort(&f);
	return rc;
}

int slsa_write(const struct slsa_opts *o, const struct sel_entry *items, size_t n, const char *path)
{
	struct slsa_time start, end;
	struct doc d = { .o = o };
	struct buf out = BUF_INIT;
	uint64_t bytes;
	int rc;

	if ((rc = slsa__parse_time(nz(o->started_at), &start)) < 0 ||
	    (rc = slsa__parse_time(nz(o->ended_at), &end)) < 0)
		return rc;
	if (strcmp(nz(o->schema_version), "v1"))
		log_warn("Unknown SLSA provenance version %s, defaulting to v1", nz(o->schema_version));
	d.subj = calloc(n ? n : 1, sizeof(*d.subj));
	d.digests = calloc(n ? n : 1, sizeof(*d.digests));
	d.ext = calloc(o->nparams + 2, sizeof(*d.ext));
	if (!d.subj || !d.digests || !d.ext) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	d.nsubj = pick_subjects(items, n, path, d.subj, &bytes);
	int threads = bytes < PARALLEL_FROM ? 1 : cpus();
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if ((size_t)threads > d.nsubj)
		threads = d.nsubj ? (int)d.nsubj : 1;
	if ((rc = slsa__hash_files(d.subj, d.nsubj, d.digests, threads)) == 0 &&
	    (rc = build(&d, &start, &end, &out)) == 0)
		rc = save(path, &out);
out:
	buf_dispose(&out);
	free(d.subj);
	free(d.digests);
	free(d.ext);
	return rc;
}
