#!/usr/bin/env python3
"""TLS-terminating reverse proxy with fault injection, for the git tests
(Python stdlib only). It sits in front of a plain-HTTP git server.

usage: git_fault_proxy.py --cert PEM --key KEY --backend PORT --faults FILE --log FILE

Prints "PORT <n>" once it listens on 127.0.0.1. Each client connection carries
one request: the proxy reads the request head, decides, then either answers
itself or forwards the head (with "Connection: close") and pipes both ways.

FILE holds fault rules, one a line, read before every request:
  <kind> <count> [<substring of the request target>]
kind is 500 (answer "500 Internal Server Error"), reset (close the connection
without answering, after reading the request head), or a number 4xx/5xx.
The first rule whose substring matches the request takes effect and its count
goes down by one (the file is rewritten); a rule at 0 is dropped. An empty or
missing file forwards everything.

Every request is logged to --log as "<METHOD> <target> -> <outcome>".
"""
import argparse
import socket
import socketserver
import ssl
import sys
import threading

lock = threading.Lock()
args = None


def take_fault(target):
    with lock:
        try:
            with open(args.faults) as f:
                rules = [l.split() for l in f if l.strip()]
        except FileNotFoundError:
            return None
        hit = None
        for r in rules:
            if int(r[1]) > 0 and (len(r) < 3 or r[2] in target):
                hit = r[0]
                r[1] = str(int(r[1]) - 1)
                break
        if hit:
            with open(args.faults, "w") as f:
                f.writelines(" ".join(r) + "\n" for r in rules if int(r[1]) > 0)
        return hit


def log(line):
    with lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay_body(c, s, lines, rest):
    """Relays the rest of the request body (Content-Length or chunked)."""
    length, chunked = 0, False
    for l in lines[1:]:
        k, _, v = l.decode("latin-1").partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
        elif k.strip().lower() == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
    if not chunked:
        left = length - len(rest)
        while left > 0:
            b = c.recv(min(65536, left))
            if not b:
                raise ValueError("short body")
            s.sendall(b)
            left -= len(b)
        return
    buf = rest
    while True:  # chunk-size line, chunk, CRLF ... until the zero chunk and trailers
        while b"\r\n" not in buf:
            b = c.recv(65536)
            if not b:
                raise ValueError("short chunked body")
            s.sendall(b)
            buf += b
        line, buf = buf.split(b"\r\n", 1)
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while not (buf.startswith(b"\r\n") or b"\r\n\r\n" in buf):
                b = c.recv(65536)
                if not b:
                    raise ValueError("short trailer")
                s.sendall(b)
                buf += b
            return
        while len(buf) < size + 2:
            b = c.recv(65536)
            if not b:
                raise ValueError("short chunk")
            s.sendall(b)
            buf += b
        buf = buf[size + 2:]


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        c.settimeout(30)
        head = b""
        try:
            c.do_handshake()
            while b"\r\n\r\n" not in head:
                b = c.recv(65536)
                if not b:
                    return
                head += b
                if len(head) > 1 << 20:
                    return
        except (OSError, ssl.SSLError):
            return
        raw, rest = head.split(b"\r\n\r\n", 1)
        lines = raw.split(b"\r\n")
        parts = lines[0].decode("latin-1").split(" ")
        method, target = parts[0], parts[1] if len(parts) > 1 else ""
        fault = take_fault(target)
        if fault == "reset":
            log("%s %s -> reset" % (method, target))
            try:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            c.close()
            return
        if fault:
            code = 500 if fault == "500" else int(fault)
            body = b"injected fault\n"
            c.sendall(b"HTTP/1.1 %d Injected\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n" % (code, len(body)) + body)
            log("%s %s -> %d (injected)" % (method, target, code))
            c.close()
            return
        hdrs = [l for l in lines[1:] if not l.lower().startswith((b"connection:", b"keep-alive:"))]
        out = b"\r\n".join([lines[0]] + hdrs + [b"Connection: close"]) + b"\r\n\r\n" + rest
        try:
            s = socket.create_connection(("127.0.0.1", args.backend), 10)
        except OSError as e:
            log("%s %s -> backend down: %s" % (method, target, e))
            c.close()
            return
        s.settimeout(60)
        # One thread per connection: an SSL socket must not be read and written
        # from two threads at once, so the request body is relayed first.
        try:
            s.sendall(out)
            relay_body(c, s, lines, rest)
        except (OSError, ValueError):
            log("%s %s -> client request broken" % (method, target))
            s.close()
            c.close()
            return
        first = b""
        try:
            first = s.recv(65536)
            if first:
                c.sendall(first)
        except OSError:
            pass
        status = first.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        log("%s %s -> %s" % (method, target, status))
        if first:
            pipe(s, c)
        s.close()
        try:
            c.close()
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, addr = super().get_request()
        return ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


def main():
    global args, ctx
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--backend", type=int, required=True)
    p.add_argument("--faults", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
