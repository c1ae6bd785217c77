#include "cache.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../net/http.h"
#include "../net/url.h"
#include "buf.h"
#include "error.h"
#include "flags.h"
#include "glapi.h"
#include "log.h"

/* A buffer is allocated at this size: bigger values are refused, not attempted. */
#define MAX_BUFFER (1 << 30)

int cache_tuning_check(struct cache_tuning *t, bool normalise_concurrency)
{
	if (t->buffer_size == 0)
		t->buffer_size = CACHE_DEFAULT_BUFFER;
	if (t->chunk_size == 0)
		t->chunk_size = CACHE_DEFAULT_CHUNK;
	if (normalise_concurrency && t->concurrency == 0)
		t->concurrency = CACHE_DEFAULT_CONCURRENCY;
	if (t->buffer_size <= 0)
		return err_set(CIH_EUSAGE, "invalid cache transfer buffer size %lld (CACHE_TRANSFER_BUFFER_SIZE / --transfer-buffer-size): must be positive; use 0 for default %d bytes",
			       (long long)t->buffer_size, CACHE_DEFAULT_BUFFER);
	if (t->buffer_size > MAX_BUFFER)
		return err_set(CIH_EUSAGE, "invalid cache transfer buffer size %lld (CACHE_TRANSFER_BUFFER_SIZE / --transfer-buffer-size): at most %d bytes",
			       (long long)t->buffer_size, MAX_BUFFER);
	if (t->chunk_size < 0)
		return err_set(CIH_EUSAGE, "invalid cache chunk size %lld (CACHE_CHUNK_SIZE / --chunk-size): must be non-negative; use 0 for default %d bytes",
			       (long long)t->chunk_size, CACHE_DEFAULT_CHUNK);
	if (t->concurrency < 0)
		return err_set(CIH_EUSAGE, "invalid cache concurrency %lld (CACHE_CONCURRENCY / --concurrency): must be non-negative",
			       (long long)t->concurrency);
	return 0;
}

struct cache_outcome cache_retry(struct cache_outcome (*attempt)(void *ctx), void *ctx,
				 int64_t retry, int64_t retry_time_ns)
{
	struct cache_outcome out = attempt(ctx);

	for (int64_t i = 1; i <= retry && out.rc < 0 && out.retryable; i++) {
		struct timespec ts = { (time_t)(retry_time_ns / 1000000000), (long)(retry_time_ns % 1000000000) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		log_with_error(LOG_WARN, "Retrying...");
		out = attempt(ctx);
	}
	return out;
}

void cache_clean_url(struct buf *out, const char *raw)
{
	struct url u;

	if (url_parse(&u, raw) == 0) {
		url_clean(out, &u);
		url_dispose(&u);
	} else {
		buf_puts(out, "(invalid URL)");
	}
}

void cache_xml_text(char *out, size_t size, const char *body, const char *tag)
{
	glapi_xml_text(out, size, body, tag);
}

int cache_status_error(struct httpc_response *r)
{
	char body[4096], code[256], msg[512];
	int status = httpc_resp_status(r);
	const char *reason = *httpc_status_text(status) ? httpc_status_text(status) : NULL;
	struct buf text = BUF_INIT;
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(body) - 1 && (n = httpc_resp_read(r, body + len, sizeof(body) - 1 - len)) > 0)
		len += (size_t)n;
	body[len] = '\0';
	cache_xml_text(code, sizeof(code), body, "Code");
	cache_xml_text(msg, sizeof(msg), body, "Message");
	buf_printf(&text, "received: %d%s%s", status, reason ? " " : "", reason ? reason : "");
	if (*code || *msg)
		buf_puts(&text, ". Request failed with ");
	if (*code)
		buf_printf(&text, "code: %s", code);
	if (*msg)
		buf_printf(&text, ", message: %s", msg);
	err_set(CIH_EHTTP, "%s", buf_cstr(&text));
	buf_dispose(&text);
	return CIH_EHTTP;
}

int cache_make_parents(const char *path)
{
	char *copy = strdup(path), *dir;
	int rc = 0;

	if (!copy)
		return err_set(CIH_ENOMEM, "out of memory");
	dir = dirname(copy);
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		rc = err_os("mkdir %s", dir);
	free(copy);
	return rc;
}

int cache_temp_file(const char *path, const char *prefix, char *tmp, size_t size)
{
	char *copy = strdup(path);
	uint64_t rnd;
	int fd;

	if (!copy)
		return err_set(CIH_ENOMEM, "out of memory");
	do { /* os.CreateTemp(dir, prefix) */
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint64_t)rand() ^ (uint64_t)getpid() << 32;
		snprintf(tmp, size, "%s/%s%llu", dirname(copy), prefix,
			 (unsigned long long)(rnd % 10000000000ull));
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EEXIST);
	free(copy);
	if (fd < 0) {
		tmp[0] = '\0';
		return err_os("creating a temporary file next to '%s'", path);
	}
	return fd;
}

int cache_meta_add(struct cache_meta *m, const char *key, const char *val)
{
	char **k = realloc(m->keys, (m->n + 1) * sizeof(*k));
	if (k)
		m->keys = k;
	char **v = realloc(m->vals, (m->n + 1) * sizeof(*v));
	if (v)
		m->vals = v;
	if (!k || !v || !(m->keys[m->n] = strdup(key)))
		return err_set(CIH_ENOMEM, "out of memory");
	if (!(m->vals[m->n] = strdup(val))) {
		free(m->keys[m->n]);
		return err_set(CIH_ENOMEM, "out of memory");
	}
	m->n++;
	return 0;
}

int cache_meta_from_json(struct cache_meta *m, const char *json)
{
	cJSON *root = cJSON_Parse(json), *it;
	int rc = 0;

	if (!root || !(cJSON_IsObject(root) || cJSON_IsNull(root))) {
		cJSON_Delete(root);
		return err_set(CIH_EUSAGE, "invalid metadata %s: want a JSON object of strings", json);
	}
	cJSON_ArrayForEach(it, root) {
		if (!cJSON_IsString(it)) {
			rc = err_set(CIH_EUSAGE, "invalid metadata: the value of \"%s\" is not a string",
				     it->string);
			break;
		}
		if ((rc = cache_meta_add(m, it->string, it->valuestring)) < 0)
			break;
	}
	cJSON_Delete(root);
	return rc;
}

int cache_meta_from_headers(struct cache_meta *m, struct httpc_response *r)
{
	const char *name, *value;

	for (size_t i = 0; httpc_resp_header_at(r, i, &name, &value); i++) {
		const char *p = name;
		int dashes = 0;
		while (*p && dashes < 3)
			dashes += *p++ == '-';
		/* x-<any>-meta-<key>: at least four dash-separated parts */
		if (dashes == 3 && (name[0] == 'x' || name[0] == 'X') && name[1] == '-' &&
		    !strncasecmp(strchr(name + 2, '-') + 1, "meta-", 5)) {
			int rc = cache_meta_add(m, p, value);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cache_meta_write(const struct cache_meta *m, const char *archive)
{
	struct buf path = BUF_INIT, json = BUF_INIT;
	char **pairs = calloc(m->n ? m->n : 1, sizeof(*pairs)), *dir = strdup(archive);
	size_t n = 0;
	int fd, rc = 0;

	if (!pairs || !dir) {
		rc = err_set(CIH_ENOMEM, "out of memory");
		goto out;
	}
	/* "key\0value" strings, so that one sort orders keys and a later duplicate
	 * (after lower-casing) replaces an earlier one, as in a Go map */
	for (size_t i = 0; i < m->n; i++) {
		size_t kl = strlen(m->keys[i]), vl = strlen(m->vals[i]);
		if (!kl)
			continue;
		char *s = malloc(kl + vl + 2);
		if (!s) {
			rc = err_set(CIH_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < kl; k++)
			s[k] = (char)(m->keys[i][k] >= 'A' && m->keys[i][k] <= 'Z' ? m->keys[i][k] + 32 : m->keys[i][k]);
		s[kl] = '\0';
		memcpy(s + kl + 1, m->vals[i], vl + 1);
		size_t j = 0;
		while (j < n && strcmp(pairs[j], s))
			j++;
		if (j < n)
			free(pairs[j]);
		else
			n++;
		pairs[j] = s;
	}
	qsort(pairs, n, sizeof(*pairs), cmp_str);
	buf_putc(&json, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(&json, ',');
		buf_put_quoted(&json, pairs[i], BUF_QUOTE_JSON);
		buf_putc(&json, ':');
		buf_put_quoted(&json, pairs[i] + strlen(pairs[i]) + 1, BUF_QUOTE_JSON);
	}
	buf_putc(&json, '}');
	buf_printf(&path, "%s/metadata.json", dirname(dir));
	if ((fd = open(buf_cstr(&path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
		rc = err_os("writing metadata file");
	} else {
		bool ok = write(fd, json.ptr, json.len) == (ssize_t)json.len;
		if (close(fd) < 0 || !ok)
			rc = err_os("writing metadata file");
	}
out:
	for (size_t i = 0; pairs && i < n; i++)
		free(pairs[i]);
	free(pairs);
	free(dir);
	buf_dispose(&path);
	buf_dispose(&json);
	return rc;
}

void cache_meta_dispose(struct cache_meta *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	*m = (struct cache_meta){ 0 };
}

int cache_fastzip_concurrency(const char *env, const char *what)
{
	const char *v = getenv(env);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char *end;

	if (v && *v) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (*end || errno)
			return err_set(CIH_EUSAGE, "fastzip %s concurrency: strconv.ParseInt: parsing \"%s\": invalid syntax",
				       what, v);
		if (n < 1)
			return err_set(CIH_EUSAGE, "concurrency must be at least 1");
	}
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

bool cache_ff_on(const char *name)
{
	const char *v = getenv(name);
	bool on = false;

	if (!v || !*v)
		return false;
	if (flags_parse_bool(&on, v) < 0) {
		char quoted[256];
		snprintf(quoted, sizeof(quoted), "strconv.ParseBool: parsing \"%s\": invalid syntax", v);
		log_write(LOG_ERROR, (struct log_field[]){ { "error", quoted }, { "name", name }, { "value", v } }, 3,
			  "Error while parsing the value of feature flag");
		return false;
	}
	return on;
}

bool cache_ff_default_on(const char *name)
{
	const char *v = getenv(name);
	bool on = true;

	if (!v || !*v)
		return true;
	if (flags_parse_bool(&on, v) < 0) {
		(void)cache_ff_on(name); /* logs the parse error */
		return true;
	}
	return on;
}

bool cache_parallel_transfer(void)
{
	const char *v = getenv("FF_USE_PARALLEL_CACHE_TRANSFER");
	return !v || !*v ? true : cache_ff_on("FF_USE_PARALLEL_CACHE_TRANSFER");
}
