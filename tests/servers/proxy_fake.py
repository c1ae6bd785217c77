#!/usr/bin/env python3
"""A forward proxy for the HTTP client's tests (Python stdlib only).

Prints "PORT <n>". Every host name resolves to 127.0.0.1 here, so a request for
http://backend.invalid:N/ can only succeed through this proxy.
  CONNECT host:port          tunnel to 127.0.0.1:port ("200 Connection established")
  GET http://host:port/path  forwarded as "GET /path" with "Via: 1.1 fake-proxy" and
                             Connection: close; Proxy-Authorization is not forwarded
With --auth user:pass, requests without that Basic Proxy-Authorization get 407.
"""
import base64
import select
import socket
import socketserver
import sys
from urllib.parse import urlsplit

AUTH = None


class Handler(socketserver.StreamRequestHandler):
    def read_head(self):
        lines = []
        while True:
            line = self.rfile.readline(65536)
            if not line or line in (b"\r\n", b"\n"):
                return lines
            lines.append(line.decode("latin-1").rstrip("\r\n"))

    def handle(self):
        head = self.read_head()
        if not head:
            return
        method, target, _ = head[0].split(" ", 2)
        headers = head[1:]
        auth = [h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("proxy-authorization:")]
        if AUTH and auth != ["Basic " + base64.b64encode(AUTH.encode()).decode()]:
            self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            return
        if method == "CONNECT":
            port = int(target.rsplit(":", 1)[1])
            upstream = socket.create_connection(("127.0.0.1", port))
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            self.pipe(upstream)
            return
        u = urlsplit(target)
        upstream = socket.create_connection(("127.0.0.1", u.port or 80))
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        keep = [h for h in headers if not h.lower().startswith(("proxy-authorization:", "connection:"))]
        out = "%s %s HTTP/1.1\r\n%s\r\nVia: 1.1 fake-proxy\r\nConnection: close\r\n\r\n" % (
            method, path, "\r\n".join(keep))
        upstream.sendall(out.encode("latin-1"))
        length = [int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")]
        if length:
            upstream.sendall(self.rfile.read(length[0]))
        self.pipe(upstream)

    def pipe(self, upstream):
        # nothing is left in rfile's buffer: a CONNECT client waits for our 200, and a
        # forwarded request's body was read by its length
        client = self.connection
        socks = [client, upstream]
        while True:
            ready, _, _ = select.select(socks, [], [], 30)
            if not ready:
                break
            for s in ready:
                data = s.recv(65536)
                if not data:
                    upstream.close()
                    return
                (upstream if s is client else client).sendall(data)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global AUTH
    if len(sys.argv) == 3 and sys.argv[1] == "--auth":
        AUTH = sys.argv[2]
    srv = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
