#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <mbedtls/pem.h>

#include "../../certs/certs.h"
#include "../../certs/certs_internal.h"
#include "../../helper/buf.h"
#include "unit.h"

/* Root i of the embedded bundle as a PEM file: real certificates, no network. */
static void write_root_pem(const char *path, size_t i)
{
	unsigned char pem[8192];
	size_t olen;

	CHECK(mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
				       certs__bundle_der + certs__bundle_offsets[i],
				       certs__bundle_offsets[i + 1] - certs__bundle_offsets[i], pem,
				       sizeof(pem), &olen) == 0);
	unit_write_file(path, (const char *)pem);
}

static const char *sources_for(const char *host, int *rc)
{
	static struct buf sources = BUF_INIT;
	mbedtls_x509_crt chain;

	buf_clear(&sources);
	mbedtls_x509_crt_init(&chain);
	*rc = certs__load_roots(&chain, &sources, host, NULL);
	mbedtls_x509_crt_free(&chain);
	return buf_cstr(&sources);
}

static void isolate(void)
{
	static const char *const none[] = { "no-system-bundle.pem" };

	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	unsetenv("GIT_SSL_CAINFO");
	unsetenv("CI_SERVER_TLS_CA_FILE");
	unsetenv("CI_SERVER_HOST");
	certs__set_paths(none, 1, "no-runner-ca.crt");
}

TEST(certs_embedded_bundle_parses_completely)
{
	int rc;
	char want[64];

	isolate();
	CHECK(certs_bundle_size() > 100);
	snprintf(want, sizeof(want), "embedded Mozilla bundle (%zu certificates)\n", certs_bundle_size());
	CHECK_STR(sources_for("example.com", &rc), want);
	CHECK_OK(rc);
	certs__set_paths(NULL, 0, NULL);
}

TEST(certs_system_bundle_beats_embedded_and_runner_ca_adds)
{
	static const char *const sys[] = { "missing.pem", "system.pem" };
	int rc;

	isolate();
	write_root_pem("system.pem", 0);
	write_root_pem("runner-ca.crt", 1);
	certs__set_paths(sys, 2, "runner-ca.crt");
	CHECK_STR(sources_for("h", &rc), "system bundle system.pem (1 certificates)\n"
					 "runner CA runner-ca.crt (1 certificates)\n");
	CHECK_OK(rc);
	certs__set_paths(NULL, 0, NULL);
}

TEST(certs_env_overrides_replace_the_system_bundle)
{
	static const char *const sys[] = { "system.pem" };
	int rc;

	isolate();
	write_root_pem("system.pem", 0);
	write_root_pem("one.pem", 2);
	CHECK(mkdir("dir", 0700) == 0);
	write_root_pem("dir/a.pem", 3);
	write_root_pem("dir/b.pem", 4);
	unit_write_file("dir/junk.txt", "not a certificate\n");
	certs__set_paths(sys, 1, "none");
	setenv("SSL_CERT_FILE", "one.pem", 1);
	setenv("SSL_CERT_DIR", "dir", 1);
	CHECK_STR(sources_for("h", &rc), "SSL_CERT_FILE one.pem (1 certificates)\n"
					 "SSL_CERT_DIR dir (2 certificates)\n");
	CHECK_OK(rc);
	isolate();
	setenv("GIT_SSL_CAINFO", "one.pem", 1);
	CHECK_STR(sources_for("h", &rc), "GIT_SSL_CAINFO one.pem (1 certificates)\n");
	isolate();
	certs__set_paths(NULL, 0, NULL);
}

TEST(certs_explicit_files_must_be_readable_certificates)
{
	int rc;

	isolate();
	setenv("SSL_CERT_FILE", "/nonexistent.pem", 1);
	sources_for("h", &rc);
	CHECK_INT(rc, CIH_EOS);
	CHECK_STR(err_last()->msg, "SSL_CERT_FILE '/nonexistent.pem': cannot read: no such file or directory");
	unit_write_file("junk.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
	setenv("SSL_CERT_FILE", "junk.pem", 1);
	sources_for("h", &rc);
	CHECK_INT(rc, CIH_ETLS);
	CHECK_ERR("SSL_CERT_FILE 'junk.pem': no certificate could be parsed");
	isolate();
	certs__set_paths(NULL, 0, NULL);
}

TEST(certs_ci_server_ca_file_only_for_the_gitlab_host)
{
	int rc;

	isolate();
	write_root_pem("gitlab-ca.pem", 5);
	setenv("CI_SERVER_TLS_CA_FILE", "gitlab-ca.pem", 1);
	setenv("CI_SERVER_HOST", "gitlab.example.com", 1);
	CHECK(strstr(sources_for("GITLAB.example.com", &rc), "CI_SERVER_TLS_CA_FILE gitlab-ca.pem (1 certificates)\n"));
	CHECK(!strstr(sources_for("s3.example.com", &rc), "CI_SERVER_TLS_CA_FILE"));
	unsetenv("CI_SERVER_HOST");
	CHECK(strstr(sources_for("any.example.com", &rc), "CI_SERVER_TLS_CA_FILE"));
	isolate();
	certs__set_paths(NULL, 0, NULL);
}

TEST(certs_tls_config_needs_both_client_files)
{
	struct certs_tls *t = NULL;
	struct certs_opts o = { .host = "h", .cert_file = "c.pem" };

	isolate();
	CHECK_FAILS(certs_tls_new(&t, &o), CIH_EUSAGE);
	CHECK(t == NULL);
	CHECK_ERR("needs both a certificate and a key file");
	o.cert_file = NULL;
	o.insecure = true;
	CHECK_OK(certs_tls_new(&t, &o));
	CHECK(certs_tls_insecure(t));
	certs_tls_free(t);
	certs__set_paths(NULL, 0, NULL);
}
