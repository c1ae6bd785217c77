/* The image's system bundle (/etc/ssl/certs/ca-certificates.crt) rebuilt the way
 * Debian's update-ca-certificates does: the distribution's roots (here the
 * Mozilla list compiled into the binary) followed by every *.crt under the local
 * directory (/usr/local/share/ca-certificates), in sorted path order. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/base64.h>

#include "../helper/afile.h"
#include "../helper/error.h"
#include "certs.h"
#include "certs_internal.h"

#define SYSBUNDLE_MAX_DEPTH 16

struct sysbundle_paths {
	char **v;
	size_t n, cap;
};

static int paths_add(struct sysbundle_paths *p, const char *path)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		char **v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return err_set(CIH_ENOMEM, "out of memory");
		p->v = v;
		p->cap = cap;
	}
	if (!(p->v[p->n] = strdup(path)))
		return err_set(CIH_ENOMEM, "out of memory");
	p->n++;
	return 0;
}

static void paths_free(struct sysbundle_paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* find -L DIR -type f -name '*.crt' (a loop is cut by the depth limit) */
static int scan(struct sysbundle_paths *out, const char *dir, int depth)
{
	struct buf path = BUF_INIT;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (depth > SYSBUNDLE_MAX_DEPTH)
		return 0;
	if (!(d = opendir(dir)))
		return errno == ENOENT && depth == 0 ? 0 : err_os("cannot read directory '%s'", dir);
	while (rc == 0 && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' && (len == 1 || (len == 2 && e->d_name[1] == '.')))
			continue;
		buf_clear(&path);
		if ((rc = buf_printf(&path, "%s/%s", dir, e->d_name)) < 0)
			break;
		if (stat(buf_cstr(&path), &st) < 0)
			continue; /* a dangling link, as find -L skips it */
		if (S_ISDIR(st.st_mode))
			rc = scan(out, buf_cstr(&path), depth + 1);
		else if (S_ISREG(st.st_mode) && len > 4 && !strcmp(e->d_name + len - 4, ".crt"))
			rc = paths_add(out, buf_cstr(&path));
	}
	closedir(d);
	buf_dispose(&path);
	return rc;
}

static int put_pem(struct buf *out, const unsigned char *der, size_t len)
{
	size_t b64len = 0, done = 0;
	unsigned char *b64;
	int rc;

	mbedtls_base64_encode(NULL, 0, &b64len, der, len);
	if (!(b64 = malloc(b64len)))
		return err_set(CIH_ENOMEM, "out of memory");
	if (mbedtls_base64_encode(b64, b64len, &b64len, der, len) != 0) {
		free(b64);
		return err_set(CIH_ERR, "base64 encoding failed");
	}
	rc = buf_puts(out, "-----BEGIN CERTIFICATE-----\n");
	for (; rc == 0 && done < b64len; done += 64) {
		size_t n = b64len - done < 64 ? b64len - done : 64;
		if ((rc = buf_put(out, b64 + done, n)) == 0)
			rc = buf_putc(out, '\n');
	}
	if (rc == 0)
		rc = buf_puts(out, "-----END CERTIFICATE-----\n");
	free(b64);
	return rc;
}

static int put_local(struct buf *out, const char *path, size_t *count, struct buf *skipped)
{
	mbedtls_x509_crt chain;
	int rc = 0;

	mbedtls_x509_crt_init(&chain);
	if (mbedtls_x509_crt_parse_file(&chain, path) != 0 || !chain.raw.len) {
		mbedtls_x509_crt_free(&chain);
		return buf_printf(skipped, "%s\n", path);
	}
	for (const mbedtls_x509_crt *c = &chain; rc == 0 && c && c->raw.len; c = c->next) {
		rc = put_pem(out, c->raw.p, c->raw.len);
		(*count)++;
	}
	mbedtls_x509_crt_free(&chain);
	return rc;
}

int certs_sysbundle_write(const char *etc_dir, const char *local_dir,
			  struct certs_sysbundle_report *rep)
{
	struct sysbundle_paths locals = { 0 };
	struct buf pem = BUF_INIT, target = BUF_INIT;
	struct afile f;
	int rc = 0;

	rep->system = rep->local = 0;
	buf_clear(&rep->skipped);
	for (size_t i = 0; rc == 0 && i < certs__bundle_count; i++) {
		rc = put_pem(&pem, certs__bundle_der + certs__bundle_offsets[i],
			     certs__bundle_offsets[i + 1] - certs__bundle_offsets[i]);
		rep->system++;
	}
	if (rc == 0 && local_dir && (rc = scan(&locals, local_dir, 0)) == 0)
		qsort(locals.v, locals.n, sizeof(*locals.v), path_cmp);
	for (size_t i = 0; rc == 0 && i < locals.n; i++)
		rc = put_local(&pem, locals.v[i], &rep->local, &rep->skipped);
	if (rc == 0 && (rc = buf_printf(&target, "%s/ca-certificates.crt", etc_dir)) == 0 &&
	    (rc = afile_create(&f, buf_cstr(&target))) == 0) {
		if ((rc = afile_write(&f, pem.ptr, pem.len)) == 0)
			rc = afile_commit(&f, 0644);
		else
			afile_abort(&f);
	}
	paths_free(&locals);
	buf_dispose(&pem);
	buf_dispose(&target);
	return rc;
}
