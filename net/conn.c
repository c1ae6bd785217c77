#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "../certs/certs.h"
#include "../helper/buf.h"
#include "../helper/error.h"
#include "tcp.h"
#include "../helper/clock.h"

struct conn {
	int fd;                     /* non-blocking; every wait is a poll() to the deadline */
	struct conn_transport over; /* used instead of fd when over.read is set */
	int64_t io_timeout_ms;
	int64_t deadline; /* monotonic ms of the current operation; 0: none */
	int64_t hard_deadline; /* the caller's bound on every operation; 0: none */
	int last_errno;   /* what the BIO saw, for the error text */
	char host[256];
	mbedtls_ssl_context ssl;
	bool tls;
	bool established; /* the TLS handshake completed */
};

static void begin(struct conn *c)
{
	c->last_errno = 0;
	c->deadline = c->io_timeout_ms > 0 ? clock_now_ms() + c->io_timeout_ms : 0;
	if (c->hard_deadline && (!c->deadline || c->hard_deadline < c->deadline))
		c->deadline = c->hard_deadline;
}

void conn_set_deadline(struct conn *c, int64_t at_ms)
{
	c->hard_deadline = at_ms;
}

/* Waits until fd is ready for events or the operation's deadline passes. */
static int wait_ready(struct conn *c, short events)
{
	for (;;) {
		struct pollfd p = { c->fd, events, 0 };
		int64_t left = c->deadline ? c->deadline - clock_now_ms() : -1;
		int r;

		if (c->deadline && left <= 0) {
			c->last_errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR) {
			c->last_errno = errno;
			return -1;
		}
	}
}

static ssize_t fd_io(struct conn *c, void *p, size_t len, bool sending)
{
	for (;;) {
		ssize_t n = sending ? send(c->fd, p, len, MSG_NOSIGNAL) : recv(c->fd, p, len, 0);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
		    wait_ready(c, sending ? POLLOUT : POLLIN) < 0) {
			if (!c->last_errno)
				c->last_errno = errno;
			return -1;
		}
	}
}

static int bio_send(void *ctx, const unsigned char *p, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = c->over.write ? c->over.write(c->over.ctx, p, len)
				  : fd_io(c, (void *)p, len, true);

	return n >= 0 ? (int)n : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *p, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = c->over.read ? c->over.read(c->over.ctx, p, len) : fd_io(c, p, len, false);

	return n >= 0 ? (int)n : MBEDTLS_ERR_NET_RECV_FAILED;
}

static int io_error(struct conn *c, int rc, const char *op)
{
	if (c->last_errno == ETIMEDOUT)
		return err_set(CIH_ETIMEOUT, "%s %s: i/o timeout", op, c->host);
	if (c->last_errno)
		return err_errno(CIH_ENET, c->last_errno, "%s %s", op, c->host);
	if (rc < 0 && rc != MBEDTLS_ERR_NET_RECV_FAILED && rc != MBEDTLS_ERR_NET_SEND_FAILED) {
		char why[160];
		mbedtls_strerror(rc, why, sizeof(why));
		return err_set(CIH_ETLS, "%s %s: %s", op, c->host, why);
	}
	return err_set(CIH_ENET, "%s %s: connection closed", op, c->host);
}

/* Handshake, then check the verification result ourselves too: with a
 * verify_optional config the handshake succeeds whatever the certificate. */
static int tls_handshake(struct conn *c, const struct conn_opts *o)
{
	uint32_t flags;
	int rc;

	mbedtls_ssl_init(&c->ssl);
	c->tls = true;
	if ((rc = mbedtls_ssl_setup(&c->ssl, certs_tls_config(o->tls))) ||
	    (rc = mbedtls_ssl_set_hostname(&c->ssl, c->host)))
		return certs_handshake_error(rc, 0, c->host);
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	begin(c);
	do {
		rc = mbedtls_ssl_handshake(&c->ssl);
	} while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (rc == MBEDTLS_ERR_NET_RECV_FAILED || rc == MBEDTLS_ERR_NET_SEND_FAILED)
		return io_error(c, rc, "tls handshake with");
	flags = mbedtls_ssl_get_verify_result(&c->ssl);
	if (rc != 0)
		return certs_handshake_error(rc, flags, c->host);
	c->established = true;
	if (flags && !certs_tls_insecure(o->tls))
		return certs_handshake_error(MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, flags, c->host);
	return 0;
}

static int finish_open(struct conn **out, struct conn *c, const struct conn_opts *o, int rc)
{
	if (rc == 0 || (rc == CIH_ECERT && o->keep_unverified && c->established)) {
		*out = c;
		return rc;
	}
	conn_close(c);
	return rc;
}

static struct conn *conn_new(const char *host, const struct conn_opts *o)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		err_set(CIH_ENOMEM, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->io_timeout_ms = o->io_timeout_ms;
	snprintf(c->host, sizeof(c->host), "%s", host);
	return c;
}

int conn_open(struct conn **out, const char *host, const char *port, const struct conn_opts *o)
{
	struct conn *c;
	int rc;

	*out = NULL;
	if (!(c = conn_new(host, o)))
		return CIH_ENOMEM;
	if ((rc = tcp_connect(&c->fd, host, port, o->connect_timeout_ms)) == 0) {
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
		if (o->tls)
			rc = tls_handshake(c, o);
	}
	return finish_open(out, c, o, rc);
}

int conn_open_over(struct conn **out, const char *host, const struct conn_transport *t,
		   const struct conn_opts *o)
{
	struct conn *c;

	*out = NULL;
	if (!o->tls)
		return err_set(CIH_ERR, "conn_open_over needs a TLS configuration");
	if (!(c = conn_new(host, o)))
		return CIH_ENOMEM;
	c->over = *t;
	return finish_open(out, c, o, tls_handshake(c, o));
}

int conn_start_tls(struct conn *c, const char *host, const struct conn_opts *o)
{
	if (c->tls || !o->tls)
		return err_set(CIH_ERR, "conn_start_tls needs a plain connection and a TLS configuration");
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->io_timeout_ms = o->io_timeout_ms;
	return tls_handshake(c, o);
}

ssize_t conn_read(struct conn *c, void *data, size_t len)
{
	int rc;

	begin(c);
	if (!c->tls) {
		ssize_t n = fd_io(c, data, len, false);
		return n < 0 ? io_error(c, 0, "read from") : n;
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

	begin(c);
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
		if (c->fd >= 0 || c->over.write) {
			c->io_timeout_ms = c->io_timeout_ms > 0 && c->io_timeout_ms < 1000 ? c->io_timeout_ms : 1000;
			begin(c); /* a goodbye never waits long */
			mbedtls_ssl_close_notify(&c->ssl);
		}
		mbedtls_ssl_free(&c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
