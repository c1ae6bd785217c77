/* TCP connections with a deadline over every address a name resolves to. */
#ifndef CIH_NET_TCP_H
#define CIH_NET_TCP_H

#include <stdint.h>

/* Connects to host:port within timeout_ms (<= 0: no timeout). Sets *out_fd to a
 * blocking socket. Errors: CIH_ENET (refused, unreachable, name not found) or
 * CIH_ETIMEOUT, with a message naming host and port. */
int tcp_connect(int *out_fd, const char *host, const char *port, int64_t timeout_ms);

/* "host:port", bracketing IPv6 literals like Go's net.JoinHostPort. */
void tcp_join_host_port(char *out, unsigned long size, const char *host, const char *port);

#endif
