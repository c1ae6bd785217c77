#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../net/tcp.h"
#include "unit.h"

static int listener(char *port, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(fd, 4) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	snprintf(port, size, "%u", ntohs(a.sin_port));
	return fd;
}

TEST(tcp_connects_to_a_listening_port)
{
	char port[16];
	int l = listener(port, sizeof(port)), fd = -1;

	CHECK_OK(tcp_connect(&fd, "127.0.0.1", port, 2000));
	CHECK(fd >= 0);
	close(fd);
	close(l);
}

TEST(tcp_refused_port_names_host_and_port)
{
	char port[16];
	int l = listener(port, sizeof(port)), fd = -1;
	char want[128];

	close(l); /* now nothing listens there */
	CHECK_FAILS(tcp_connect(&fd, "127.0.0.1", port, 2000), CIH_ENET);
	snprintf(want, sizeof(want), "dial tcp 127.0.0.1:%s: connect: connection refused", port);
	CHECK_STR(err_last()->msg, want);
}

TEST(tcp_unknown_host_is_a_lookup_error)
{
	int fd;

	CHECK_FAILS(tcp_connect(&fd, "no-such-host.invalid", "80", 2000), CIH_ENET);
	CHECK_ERR("lookup no-such-host.invalid");
}

TEST(tcp_join_host_port_brackets_ipv6)
{
	char out[64];

	tcp_join_host_port(out, sizeof(out), "::1", "22");
	CHECK_STR(out, "[::1]:22");
	tcp_join_host_port(out, sizeof(out), "localhost", "80");
	CHECK_STR(out, "localhost:80");
}
