#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include "../helper/error.h"
#include "certs.h"
#include "certs_internal.h"

struct certs_tls {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt roots;
	mbedtls_x509_crt own_cert;
	mbedtls_pk_context own_key;
	struct buf sources;
	bool insecure;
};

/* One DRBG for the process: seeded once, then shared (mbedtls locks it when
 * MBEDTLS_THREADING_C is on). */
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static pthread_once_t rng_once = PTHREAD_ONCE_INIT;
static int rng_rc;

static void rng_init(void)
{
	psa_status_t st = psa_crypto_init(); /* TLS 1.3 goes through PSA */

	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	rng_rc = st != PSA_SUCCESS ? -1
				   : mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
							   (const unsigned char *)"cihelper", 8);
}

static int tls_err(int rc, const char *what)
{
	char why[160];
	mbedtls_strerror(rc, why, sizeof(why));
	return err_set(CIH_ETLS, "%s: %s", what, why);
}

static int load_client_pair(struct certs_tls *t, const char *cert, const char *key)
{
	int rc;

	if (access(cert, R_OK) < 0)
		return err_os("client certificate '%s': cannot read", cert);
	if (access(key, R_OK) < 0)
		return err_os("client key '%s': cannot read", key);
	if ((rc = mbedtls_x509_crt_parse_file(&t->own_cert, cert)) < 0)
		return tls_err(rc, "client certificate");
	if (rc > 0)
		return err_set(CIH_ETLS, "client certificate '%s': %d certificates could not be parsed",
			       cert, rc);
	if ((rc = mbedtls_pk_parse_keyfile(&t->own_key, key, NULL, mbedtls_ctr_drbg_random, &drbg)))
		return tls_err(rc, "client key");
	if ((rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->own_cert, &t->own_key)))
		return tls_err(rc, "client certificate");
	buf_printf(&t->sources, "client certificate %s\n", cert);
	return 0;
}

static int setup_client_cert(struct certs_tls *t, const struct certs_opts *o)
{
	const char *cert = o->cert_file, *key = o->key_file;
	char cpath[4096], kpath[4096];

	if (!cert && !key) {
		cert = certs__env_for_host("CI_SERVER_TLS_CERT_FILE", o->host);
		key = certs__env_for_host("CI_SERVER_TLS_KEY_FILE", o->host);
	}
	if (!cert && !key && certs__host_file(cpath, sizeof(cpath), o->host, "auth.crt") &&
	    certs__host_file(kpath, sizeof(kpath), o->host, "auth.key")) {
		cert = cpath;
		key = kpath;
	}
	if (!cert && !key)
		return 0;
	if (!cert || !key)
		return err_set(CIH_EUSAGE, "a client certificate needs both a certificate and a key file");
	return load_client_pair(t, cert, key);
}

int certs_tls_new(struct certs_tls **out, const struct certs_opts *opts)
{
	struct certs_tls *t;
	int rc;

	*out = NULL;
	pthread_once(&rng_once, rng_init);
	if (rng_rc != 0)
		return err_set(CIH_ETLS, "cannot seed the random number generator");
	if (!(t = calloc(1, sizeof(*t))))
		return err_set(CIH_ENOMEM, "out of memory");
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->roots);
	mbedtls_x509_crt_init(&t->own_cert);
	mbedtls_pk_init(&t->own_key);
	t->insecure = opts->insecure;

	if ((rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
					      MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT))) {
		rc = tls_err(rc, "TLS configuration");
		goto fail;
	}
	mbedtls_ssl_conf_min_tls_version(&t->conf, MBEDTLS_SSL_VERSION_TLS1_2);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &drbg);
	if (t->insecure) {
		mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
		buf_puts(&t->sources, "verification disabled\n");
	} else {
		if ((rc = certs__load_roots(&t->roots, &t->sources, opts->host, opts->ca_file)) < 0)
			goto fail;
		mbedtls_ssl_conf_authmode(&t->conf, opts->verify_optional ? MBEDTLS_SSL_VERIFY_OPTIONAL
									  : MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(&t->conf, &t->roots, NULL);
	}
	if ((rc = setup_client_cert(t, opts)) < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	certs_tls_free(t);
	return rc;
}

void certs_tls_free(struct certs_tls *t)
{
	if (!t)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->roots);
	mbedtls_x509_crt_free(&t->own_cert);
	mbedtls_pk_free(&t->own_key);
	buf_dispose(&t->sources);
	free(t);
}

const mbedtls_ssl_config *certs_tls_config(const struct certs_tls *t)
{
	return &t->conf;
}

bool certs_tls_insecure(const struct certs_tls *t)
{
	return t->insecure;
}

void certs_tls_describe(const struct certs_tls *t, struct buf *out)
{
	buf_puts(out, buf_cstr(&t->sources));
}

int certs_handshake_error(int rc, uint32_t flags, const char *host)
{
	char why[160];

	if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags) {
		if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
			return err_set(CIH_ECERT, "tls: x509: certificate signed by unknown authority (host %s)", host);
		if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
			return err_set(CIH_ECERT, "tls: x509: certificate has expired (host %s)", host);
		if (flags & MBEDTLS_X509_BADCERT_FUTURE)
			return err_set(CIH_ECERT, "tls: x509: certificate is not yet valid (host %s)", host);
		if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
			return err_set(CIH_ECERT, "tls: x509: certificate is not valid for host %s", host);
		if (flags & MBEDTLS_X509_BADCERT_REVOKED)
			return err_set(CIH_ECERT, "tls: x509: certificate has been revoked (host %s)", host);
		mbedtls_x509_crt_verify_info(why, sizeof(why), "", flags);
		why[strcspn(why, "\n")] = '\0';
		return err_set(CIH_ECERT, "tls: x509: %s (host %s)", why, host);
	}
	mbedtls_strerror(rc, why, sizeof(why));
	return err_set(CIH_ETLS, "tls: handshake with %s failed: %s", host, why);
}
