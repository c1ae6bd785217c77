/* Trust store and TLS client configuration, shared by our HTTP client and libgit2.
 *
 * Roots, in order (README "Trust store"):
 *  1. SSL_CERT_FILE, SSL_CERT_DIR, GIT_SSL_CAINFO: when any is set, their union is
 *     the base set and the system bundle is not read;
 *  2. otherwise the first system bundle found (/etc/ssl/certs/ca-certificates.crt, ...);
 *  3. the bundle compiled in from Mozilla's list when 1 and 2 gave no certificate;
 * and always added on top when present:
 *  4. /etc/gitlab-runner/certs/ca.crt (the runner's custom-CA mount);
 *  5. per host: opts->ca_file, else CI_SERVER_TLS_CA_FILE (host == CI_SERVER_HOST or
 *     CI_SERVER_HOST unset), else <certdir>/<host>.crt;
 *  6. client certificate: opts->cert_file/key_file, else CI_SERVER_TLS_CERT_FILE and
 *     CI_SERVER_TLS_KEY_FILE (same host rule), else <certdir>/<host>.auth.crt|.auth.key.
 * A file named explicitly (env or option) that cannot be read is an error. */
#ifndef CIH_CERTS_H
#define CIH_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ssl.h>

#include "../helper/buf.h"


struct certs_opts {
	const char *host;      /* server name, for per-host files and SNI */
	const char *ca_file;   /* extra PEM roots (overrides CI_SERVER_TLS_CA_FILE) */
	const char *cert_file; /* client certificate (PEM) */
	const char *key_file;  /* client key (PEM) */
	bool insecure;         /* no verification at all: the caller must warn loudly */
	/* The handshake completes whatever the certificate and net/conn checks the
	 * result afterwards (libgit2 lets a certificate_check callback decide). */
	bool verify_optional;
};

struct certs_tls;

/* Builds a TLS 1.2+ client configuration with the roots above. */
int certs_tls_new(struct certs_tls **out, const struct certs_opts *opts);
void certs_tls_free(struct certs_tls *t);
const mbedtls_ssl_config *certs_tls_config(const struct certs_tls *t);
bool certs_tls_insecure(const struct certs_tls *t);
/* One line per trust source used: "<source> (<n> certificates)". */
void certs_tls_describe(const struct certs_tls *t, struct buf *out);

/* Sets the error for a failed handshake: Go-like texts such as
 * "x509: certificate signed by unknown authority". Returns CIH_ECERT when the
 * certificate failed verification, CIH_ETLS for any other failure. */
int certs_handshake_error(int mbedtls_rc, uint32_t verify_flags, const char *host);

/* Number of roots compiled into the binary. */
size_t certs_bundle_size(void);

struct certs_sysbundle_report {
	size_t system;     /* roots of the compiled-in Mozilla list */
	size_t local;      /* certificates from the local directory */
	struct buf skipped; /* "path\n" per local *.crt without a certificate (BUF_INIT it) */
};

/* Rewrites <etc_dir>/ca-certificates.crt (temp file + rename, 0644) as Debian's
 * update-ca-certificates --fresh would: the compiled-in roots, then every
 * certificate of every *.crt under local_dir (recursive, sorted; NULL or a
 * missing directory adds none), all as PEM. */
int certs_sysbundle_write(const char *etc_dir, const char *local_dir,
			  struct certs_sysbundle_report *rep);

#endif
