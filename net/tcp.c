#include "tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../helper/error.h"
#include "../helper/clock.h"

void tcp_join_host_port(char *out, unsigned long size, const char *host, const char *port)
{
	snprintf(out, size, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

static int self_connected(int fd)
{
	struct sockaddr_storage a, b;
	socklen_t la = sizeof(a), lb = sizeof(b);

	return getsockname(fd, (struct sockaddr *)&a, &la) == 0 &&
	       getpeername(fd, (struct sockaddr *)&b, &lb) == 0 && la == lb && !memcmp(&a, &b, la);
}

/* One address: non-blocking connect, then poll until the deadline. */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int *err)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	socklen_t len = sizeof(*err);

	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			*err = errno;
			goto fail;
		}
		for (;;) {
			struct pollfd p = { fd, POLLOUT, 0 };
			int64_t left = deadline ? deadline - clock_now_ms() : -1;
			int r;

			if (deadline && left <= 0) {
				*err = ETIMEDOUT;
				goto fail;
			}
			r = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				*err = errno;
				goto fail;
			}
			if (r > 0)
				break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &len) < 0)
			*err = errno;
		if (*err)
			goto fail;
	}
	if (self_connected(fd)) {
		/* the kernel may hand a local port in the ephemeral range back to us:
		 * "connected" to ourselves, though nothing listens (Go retries too) */
		*err = ECONNREFUSED;
		goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
fail:
	close(fd);
	return -1;
}

int tcp_connect(int *out_fd, const char *host, const char *port, int64_t timeout_ms)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	int64_t deadline = timeout_ms > 0 ? clock_now_ms() + timeout_ms : 0;
	char hp[300];
	int rc, err = 0, fd = -1;

	tcp_join_host_port(hp, sizeof(hp), host, port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (rc == EAI_SYSTEM)
			return err_os("dial tcp %s: lookup %s", hp, host);
		return err_set(CIH_ENET, "dial tcp %s: lookup %s: %s", hp, host,
			       rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
	}
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai, deadline, &err);
	freeaddrinfo(res);
	if (fd < 0) {
		if (err == ETIMEDOUT)
			return err_set(CIH_ETIMEOUT, "dial tcp %s: i/o timeout", hp);
		return err_errno(CIH_ENET, err, "dial tcp %s: connect", hp);
	}
	*out_fd = fd;
	return 0;
}
