#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "../certs/certs.h"
#include "../helper/buf.h"
#include "../helper/error.h"
#include "tcp.h"

struct conn {
	int fd;
	struct conn_transport over; /* used instead of fd when over.read is set */
	int last_errno; /* what the BIO saw, for the error text */
	char host[256];
	mbedtls_ssl_context ssl;
	int tls;
};

static int bio_send(void *ctx, const unsigned char *p, size_t len)
{
	struct conn *c = ctx;
	ssize_t n;

	if (c->over.write) {
		n = c->over.write(c->over.ctx, p, len);
		return n >= 0 ? (int)n : MBEDTLS_ERR_NET_SEND_FAILED;
	}
	n = send(c->fd, p, len, MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	c->last_errno = errno;
	return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *p, size_t len)
{
	struct conn *c = ctx;
	ssize_t n;

	if (c->over.read) {
		n = c->over.read(c->over.ctx, p, len);
		return n >= 0 ? (int)n : MBEDTLS_ERR_NET_RECV_FAILED;
	}
	n = recv(c->fd, p, len, 0);
	if (n >= 0)
		return (int)n;
	c->last_errno = errno;
	return errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
}

static void set_timeouts(int fd, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	if (ms <= 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int io_error(struct conn *c, int rc, const char *op)
{
	if (c->last_errno == EAGAIN || c->last_errno == EWOULDBLOCK)
		return err_set(CIH_ETIMEOUT, "%s %s: i/o timeout", op, c->host);
	if (c->last_errno)
		return err_errno(CIH_ENET, c->last_errno, "%s %s", op, c->host);
	if (rc < 0) {
		char why[160];
		mbedtls_strerror(rc, why, sizeof(why));
		return err_set(CIH_ETLS, "%s %s: %s", op, c->host, why);
	}
	return err_set(CIH_ENET, "%s %s: connection closed", op, c->host);
}

static int tls_handshake(struct conn *c, const struct certs_tls *tls)
{
	int rc;

	mbedtls_ssl_init(&c->ssl);
	c->tls = 1;
	if ((rc = mbedtls_ssl_setup(&c->ssl, certs_tls_config(tls))) ||
	    (rc = mbedtls_ssl_set_hostname(&c->ssl, c->host)))
		return certs_handshake_error(rc, 0, c->host);
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	do {
		rc = mbedtls_ssl_handshake(&c->ssl);
	} while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (rc == 0)
		return 0;
	if (rc == MBEDTLS_ERR_NET_RECV_FAILED || rc == MBEDTLS_ERR_NET_SEND_FAILED)
		return io_error(c, rc, "tls handshake with");
	return certs_handshake_error(rc, mbedtls_ssl_get_verify_result(&c->ssl), c->host);
}

int conn_open(struct conn **out, const char *host, const char *port, const struct conn_opts *o)
{
	struct conn *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return err_set(CIH_ENOMEM, "out of memory");
	c->fd = -1;
	snprintf(c->host, sizeof(c->host), "%s", host);
	if ((rc = tcp_connect(&c->fd, host, port, o->connect_timeout_ms)) < 0)
		goto fail;
	set_timeouts(c->fd, o->io_timeout_ms);
	if (o->tls && (rc = tls_handshake(c, o->tls)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	conn_close(c);
	return rc;
}

int conn_open_over(struct conn **out, const char *host, const struct conn_transport *t,
		   const struct certs_tls *tls)
{
	struct conn *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return err_set(CIH_ENOMEM, "out of memory");
	c->fd = -1;
	c->over = *t;
	snprintf(c->host, sizeof(c->host), "%s", host);
	if ((rc = tls_handshake(c, tls)) < 0) {
		conn_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

ssize_t conn_read(struct conn *c, void *data, size_t len)
{
	int rc;

	if (!c->tls) {
		ssize_t n;
		do {
			n = recv(c->fd, data, len, 0);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			c->last_errno = errno;
			return io_error(c, 0, "read from");
		}
		return n;
	}
	do {
		rc = mbedtls_ssl_read(&c->ssl, data, len);
	} while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE ||
		 rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET);
	if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return 0;
	return rc < 0 ? io_error(c, rc, "read from") : rc;
}

int conn_write_all(struct conn *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		int n = c->tls ? mbedtls_ssl_write(&c->ssl, p, len) : bio_send(c, p, len);
		if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (n <= 0)
			return io_error(c, n, "write to");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void conn_describe(struct conn *c, struct buf *out)
{
	const mbedtls_x509_crt *peer;
	char line[512];

	if (!c->tls) {
		buf_puts(out, "plain TCP\n");
		return;
	}
	buf_printf(out, "%s %s\n", mbedtls_ssl_get_version(&c->ssl),
		   mbedtls_ssl_get_ciphersuite(&c->ssl));
	if ((peer = mbedtls_ssl_get_peer_cert(&c->ssl))) {
		mbedtls_x509_dn_gets(line, sizeof(line), &peer->subject);
		buf_printf(out, "subject: %s\n", line);
		mbedtls_x509_dn_gets(line, sizeof(line), &peer->issuer);
		buf_printf(out, "issuer: %s\n", line);
		buf_printf(out, "valid until: %04d-%02d-%02d %02d:%02d:%02d UTC\n",
			   peer->valid_to.year, peer->valid_to.mon, peer->valid_to.day,
			   peer->valid_to.hour, peer->valid_to.min, peer->valid_to.sec);
	}
}

int conn_peer_cert(struct conn *c, const unsigned char **der, size_t *len)
{
	const mbedtls_x509_crt *peer = c->tls ? mbedtls_ssl_get_peer_cert(&c->ssl) : NULL;

	if (!peer)
		return err_set(CIH_ENOTFOUND, "no server certificate for %s", c->host);
	*der = peer->raw.p;
	*len = peer->raw.len;
	return 0;
}

void conn_close(struct conn *c)
{
	if (!c)
		return;
	if (c->tls) {
		if (c->fd >= 0 || c->over.write)
			mbedtls_ssl_close_notify(&c->ssl);
		mbedtls_ssl_free(&c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
