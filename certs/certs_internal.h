#ifndef CIH_CERTS_INTERNAL_H
#define CIH_CERTS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/x509_crt.h>

#include "../helper/buf.h"

/* Generated at build time by scripts/gen-ca-bundle. */
extern const size_t certs__bundle_count;
extern const uint32_t certs__bundle_offsets[];
extern const unsigned char certs__bundle_der[];

/* Fills chain with the roots for host; appends "<source> (n certificates)\n"
 * lines to sources. */
int certs__load_roots(mbedtls_x509_crt *chain, struct buf *sources, const char *host,
		      const char *ca_file);
/* The file certs/<host>.<suffix> in the runner's certificate directory, if it exists. */
int certs__host_file(char *out, size_t size, const char *host, const char *suffix);
/* Tests: other system bundle paths and runner CA path (NULL: the defaults). */
void certs__set_paths(const char *const *bundles, size_t n, const char *runner_ca_path);
const char *certs__env_for_host(const char *name, const char *host);

#endif
