#!/usr/bin/env python3
"""A scripted HTTP/1.1 server for the HTTP client's tests (Python stdlib only).

Prints "PORT <n>" once it listens on 127.0.0.1. With --tls CERT KEY it speaks TLS;
--root DIR is what /file/ serves.
Routes (GET unless said):
  /bytes/N            N bytes of a fixed pattern, Content-Length
  /chunked/N          the same bytes, Transfer-Encoding: chunked (chunks of 1000)
  /close/N            the same bytes, no length: the body ends when the connection closes
  /status/C           status C with the body "status C"
  /redirect/C?to=URL  status C with Location: URL
  /echo               any method: JSON with method, target, headers, body length and sha256
  /truncate/N         promises N bytes, sends half, closes
  /stall              sends the head, then nothing for 10 s
  /conns              the number of TCP connections accepted so far
  /loop               302 to itself, for ever
  /flaky/K/ID         status 500 for the first K requests carrying that ID, then 200 "ok"
  /file/NAME[?fail=K&id=ID]
                      GET/HEAD a file of --root DIR: Last-Modified from its mtime, an ETag,
                      X-Amz-Meta-Cachekey: NAME and x-goog-meta-Foo-Bar: v; 404 when missing;
                      with fail=K the first K requests of that id get an S3-style 500;
                      PUT stores the body as NAME and its headers as NAME.headers.json;
                      with truncate=1 a GET sends half the body and closes; Range: bytes=a-b
                      gives a 206 (norange=1: ignored; badrange=1: the wrong range)
"""
import email.utils
import os
import hashlib
import json
import socketserver
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

PATTERN = bytes(range(256)) * 4


def pattern(n):
    out = PATTERN * (n // len(PATTERN) + 1)
    return out[:n]


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    conns = 0
    flaky = {}
    lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        with self.server.lock:
            self.server.conns += 1
        super().setup()

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    def route(self):
        u = urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        head = parts[0]
        if head == "echo":
            body = self.read_body()
            doc = {"method": self.command, "target": self.path,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            return self.send(200, json.dumps(doc, sort_keys=True).encode(),
                             [("Content-Type", "application/json")])
        body = self.read_body()
        if head == "bytes":
            return self.send(200, pattern(int(parts[1])))
        if head == "chunked":
            data = pattern(int(parts[1]))
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 1000):
                piece = data[i:i + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        if head == "close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(pattern(int(parts[1])))
            self.close_connection = True
            return
        if head == "status":
            code = int(parts[1])
            return self.send(code, b"status %d" % code)
        if head == "redirect":
            to = parse_qs(u.query)["to"][0]
            return self.send(int(parts[1]), b"", [("Location", to)])
        if head == "truncate":
            n = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.write(pattern(n // 2))
            self.wfile.flush()
            self.close_connection = True
            return
        if head == "stall":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.flush()
            time.sleep(10)
            return
        if head == "loop":
            return self.send(302, b"", [("Location", "/loop")])
        if head == "conns":
            return self.send(200, str(self.server.conns).encode())
        if head == "file":
            q = parse_qs(u.query)
            if "fail" in q:
                key = q.get("id", ["-"])[0]
                with self.server.lock:
                    seen = self.server.flaky.get(key, 0)
                    self.server.flaky[key] = seen + 1
                if seen < int(q["fail"][0]):
                    return self.send(500, b"<?xml version=\"1.0\"?><Error><Code>Boom</Code>"
                                          b"<Message>try again</Message></Error>")
            path = os.path.join(self.server.root or "/nonexistent", parts[1])
            if self.command == "PUT":
                with open(path, "wb") as f:
                    f.write(body)
                with open(path + ".headers.json", "w") as f:
                    json.dump({k.lower(): v for k, v in self.headers.items()}, f, sort_keys=True)
                return self.send(200, b"")
            if not os.path.isfile(path):
                return self.send(404, b"<Error><Code>NoSuchKey</Code></Error>")
            data = open(path, "rb").read()
            lm = email.utils.formatdate(os.stat(path).st_mtime, usegmt=True)
            if "truncate" in q:  # promise the whole file, send half, hang up
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Last-Modified", lm)
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            hdrs = [("Last-Modified", lm), ("ETag", '"etag-%d"' % len(data)),
                    ("X-Amz-Meta-Cachekey", parts[1]), ("x-goog-meta-Foo-Bar", "v")]
            rng = self.headers.get("Range", "")
            if rng.startswith("bytes=") and "norange" not in q:
                a, b = (int(x) for x in rng[6:].split("-"))
                b = min(b, len(data) - 1)
                if "badrange" in q and a > 0:  # answers another range than asked
                    a, b = 0, b - a
                return self.send(206, data[a:b + 1],
                                 hdrs + [("Content-Range", "bytes %d-%d/%d" % (a, b, len(data)))])
            return self.send(200, data, hdrs)
        if head == "flaky":
            key = parts[2]
            with self.server.lock:
                seen = self.server.flaky.get(key, 0)
                self.server.flaky[key] = seen + 1
            if seen < int(parts[1]):
                return self.send(500, b"<Error><Code>Boom</Code><Message>try again</Message></Error>")
            return self.send(200, b"ok")
        return self.send(404, b"no route")

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = route


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    srv.root = None
    args = sys.argv[1:]
    while args:
        if args[0] == "--tls":
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args[1], args[2])
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
            args = args[3:]
        elif args[0] == "--root":
            srv.root = args[1]
            args = args[2:]
        else:
            sys.exit("http_fake: unknown argument " + args[0])
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
