/* A byte stream to host:port: plain TCP, or TLS verified with a certs_tls config. */
#ifndef CIH_NET_CONN_H
#define CIH_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;
struct certs_tls;
struct conn;

struct conn_opts {
	int64_t connect_timeout_ms;  /* TCP connect, all addresses together; <= 0: none */
	int64_t io_timeout_ms;       /* the whole TLS handshake, then each read or write */
	const struct certs_tls *tls; /* NULL: plain TCP */
	/* With a certs_tls made with verify_optional: when the server certificate
	 * fails verification, return CIH_ECERT *and* the open connection in *out, for
	 * a caller that lets a callback decide (libgit2's certificate_check). */
	bool keep_unverified;
};

/* Another byte stream to run TLS over (a proxy tunnel): return bytes moved, or -1. */
struct conn_transport {
	void *ctx;
	ssize_t (*read)(void *ctx, void *data, size_t len);
	ssize_t (*write)(void *ctx, const void *data, size_t len);
};

int conn_open(struct conn **out, const char *host, const char *port, const struct conn_opts *o);
/* TLS to host over an already connected transport, which stays the caller's. Its own
 * timeouts apply; o->tls is required. */
int conn_open_over(struct conn **out, const char *host, const struct conn_transport *t,
		   const struct conn_opts *o);
/* Starts TLS to host on an open plain connection (after a proxy's CONNECT). */
int conn_start_tls(struct conn *c, const char *host, const struct conn_opts *o);
/* Reads up to len bytes; 0 at end of stream. */
ssize_t conn_read(struct conn *c, void *data, size_t len);
int conn_write_all(struct conn *c, const void *data, size_t len);
/* "TLSv1.3 TLS1-3-AES-256-GCM-SHA384" and the peer certificate's subject, issuer, expiry. */
void conn_describe(struct conn *c, struct buf *out);
/* The server certificate (DER) of a TLS connection, valid until conn_close. */
int conn_peer_cert(struct conn *c, const unsigned char **der, size_t *len);
void conn_close(struct conn *c);
/* No read or write waits past this monotonic time (ms; 0: only the I/O timeout):
 * the HTTP client's whole-exchange timeout. */
void conn_set_deadline(struct conn *c, int64_t at_ms);

#endif
