/* libgit2's https connections through cihelper's TLS: the certs/ trust store and
 * configuration, the same as our HTTP client uses. */
#ifndef CIH_GIT_TLS_STREAM_H
#define CIH_GIT_TLS_STREAM_H

/* Registers the stream for GIT_STREAM_TLS (direct and through proxies). Call once,
 * after git_libgit2_init(). */
int gtls_register(void);

#endif
