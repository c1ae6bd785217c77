#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/error.h>

#include "../helper/error.h"
#include "../helper/log.h"
#include "certs.h"
#include "certs_internal.h"

/* Go's crypto/x509 list for Linux, in its order. */
static const char *const default_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
};

static const char *const *system_bundles = default_bundles;
static size_t nsystem_bundles = sizeof(default_bundles) / sizeof(default_bundles[0]);
static const char *runner_ca = "/etc/gitlab-runner/certs/ca.crt";

void certs__set_paths(const char *const *bundles, size_t n, const char *runner_ca_path)
{
	system_bundles = bundles ? bundles : default_bundles;
	nsystem_bundles = bundles ? n : sizeof(default_bundles) / sizeof(default_bundles[0]);
	runner_ca = runner_ca_path ? runner_ca_path : "/etc/gitlab-runner/certs/ca.crt";
}

static size_t chain_len(const mbedtls_x509_crt *c)
{
	size_t n = 0;
	for (; c && c->raw.len; c = c->next)
		n++;
	return n;
}

/* Adds every certificate of a PEM (or DER) file. Returns the number added or an
 * error: unreadable, or not one certificate in it. */
static int add_file(mbedtls_x509_crt *chain, const char *path, const char *label,
		    struct buf *sources)
{
	size_t before = chain_len(chain), added;
	int rc = 0;

	if (access(path, R_OK) < 0)
		return err_os("%s '%s': cannot read", label, path);
	rc = mbedtls_x509_crt_parse_file(chain, path);
	added = chain_len(chain) - before;
	if (rc < 0 || added == 0) {
		char why[128];
		mbedtls_strerror(rc, why, sizeof(why));
		return err_set(CIH_ETLS, "%s '%s': no certificate could be parsed (%s)", label,
			       path, rc < 0 ? why : "empty");
	}
	if (rc > 0)
		log_debug("%s '%s': %d certificates skipped (unparsable)", label, path, rc);
	buf_printf(sources, "%s %s (%zu certificates)\n", label, path, added);
	return (int)added;
}

/* Every file of one directory, like Go and OpenSSL. Hash links to a file of the
 * same directory (c_rehash's "5ad8a5d6.0 -> X.pem") are skipped: X.pem is read. */
static size_t add_one_dir(mbedtls_x509_crt *chain, const char *dir)
{
	size_t before = chain_len(chain);
	struct dirent *e;
	DIR *d = opendir(dir);
	char path[4096], target[4096];
	struct stat st;
	ssize_t n;

	if (!d) {
		log_debug("SSL_CERT_DIR: cannot open '%s', skipped", dir);
		return 0;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0 && !memchr(target, '/', (size_t)n))
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			mbedtls_x509_crt_parse_file(chain, path);
	}
	closedir(d);
	return chain_len(chain) - before;
}

/* SSL_CERT_DIR is a colon-separated list; unreadable entries are skipped. */
static int add_dirs(mbedtls_x509_crt *chain, const char *list, struct buf *sources)
{
	struct buf dir = BUF_INIT;
	size_t added = 0;

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ":");
		buf_clear(&dir);
		if (len && buf_put(&dir, p, len) == 0)
			added += add_one_dir(chain, buf_cstr(&dir));
		p += len + (p[len] == ':');
	}
	buf_dispose(&dir);
	buf_printf(sources, "SSL_CERT_DIR %s (%zu certificates)\n", list, added);
	return (int)added;
}

static int add_bundle(mbedtls_x509_crt *chain, struct buf *sources)
{
	size_t added = 0;

	for (size_t i = 0; i < certs__bundle_count; i++) {
		const unsigned char *der = certs__bundle_der + certs__bundle_offsets[i];
		size_t len = certs__bundle_offsets[i + 1] - certs__bundle_offsets[i];
		/* nocopy: the roots stay in .rodata instead of being duplicated on the heap */
		if (mbedtls_x509_crt_parse_der_nocopy(chain, der, len) == 0)
			added++;
	}
	buf_printf(sources, "embedded Mozilla bundle (%zu certificates)\n", added);
	return (int)added;
}

size_t certs_bundle_size(void)
{
	return certs__bundle_count;
}

/* The variable applies to host when it names the GitLab server or no server is named. */
const char *certs__env_for_host(const char *name, const char *host)
{
	const char *v = getenv(name), *server = getenv("CI_SERVER_HOST");

	if (!v || !*v)
		return NULL;
	if (host && server && *server && strcasecmp(server, host))
		return NULL;
	return v;
}

int certs__host_file(char *out, size_t size, const char *host, const char *suffix)
{
	const char *home = getenv("HOME");
	int n;

	if (!host || !*host || strchr(host, '/'))
		return 0;
	if (geteuid() == 0)
		n = snprintf(out, size, "/etc/gitlab-runner/certs/%s.%s", host, suffix);
	else if (home && *home)
		n = snprintf(out, size, "%s/.gitlab-runner/certs/%s.%s", home, host, suffix);
	else
		n = snprintf(out, size, "certs/%s.%s", host, suffix);
	return n > 0 && (size_t)n < size && access(out, F_OK) == 0;
}

int certs__load_roots(mbedtls_x509_crt *chain, struct buf *sources, const char *host,
		      const char *ca_file)
{
	static const char *const overrides[] = { "SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO" };
	char path[4096];
	size_t base = 0;
	bool overridden = false;
	int rc = 0;

	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(overrides[i]);
		if (!v || !*v)
			continue;
		overridden = true;
		rc = i == 1 ? add_dirs(chain, v, sources) : add_file(chain, v, overrides[i], sources);
		if (rc < 0)
			return rc;
		base += (size_t)rc;
	}
	for (size_t i = 0; !overridden && i < nsystem_bundles; i++) {
		if (access(system_bundles[i], F_OK) < 0)
			continue;
		if ((rc = add_file(chain, system_bundles[i], "system bundle", sources)) < 0) {
			log_debug("%s", err_last()->msg); /* a broken system file: fall through */
			continue;
		}
		base += (size_t)rc;
		break;
	}
	if (base == 0 && (rc = add_bundle(chain, sources)) < 0)
		return rc;

	if (access(runner_ca, F_OK) == 0 && (rc = add_file(chain, runner_ca, "runner CA", sources)) < 0)
		return rc;
	if (ca_file)
		rc = add_file(chain, ca_file, "CA file", sources);
	else if ((ca_file = certs__env_for_host("CI_SERVER_TLS_CA_FILE", host)))
		rc = add_file(chain, ca_file, "CI_SERVER_TLS_CA_FILE", sources);
	else if (certs__host_file(path, sizeof(path), host, "crt"))
		rc = add_file(chain, path, "host CA", sources);
	return rc < 0 ? rc : 0;
}
