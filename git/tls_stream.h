/* libgit2's https connections through cihelper's TLS: the certs/ trust store and
 * configuration, the same as our HTTP client uses. */
#ifndef CIH_GIT_TLS_STREAM_H
#define CIH_GIT_TLS_STREAM_H

/* Registers the stream for GIT_STREAM_TLS (direct and through proxies). Call once,
 * after git_libgit2_init(). */
int gtls_register(void);

/* Files for the connections made from now on (git's http.<url>.sslCAInfo,
 * sslCert and sslKey for the URL being fetched): NULL for the defaults. The strings
 * are copied. */
int gtls_set_files(const char *ca_file, const char *cert_file, const char *key_file);

#endif
