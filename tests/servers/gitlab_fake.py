#!/usr/bin/env python3
"""A strict fake of the GitLab jobs API artifact endpoints (Python stdlib only).

  gitlab_fake.py --dir D [--token T]... [--max-size BYTES] [--script F] [--tls CERT KEY]

Prints "PORT <n>" once it listens on 127.0.0.1, then runs until killed.
  --token T       a valid job token (repeatable; default "test-job-token")
  --max-size N    an upload whose file part exceeds N bytes gets 413
                  {"message":"413 Request Entity Too Large"} as soon as that is seen
                  (Connection: close; the rest of the body is read and discarded)
  --script F      failure injection, re-read on every request (write it atomically):
                  {"upload": [step, ...], "download": [step, ...]}. Each request to a
                  route takes that route's next step; when they are used up, normal
                  behaviour. The counts of steps taken persist across rewrites, until
                  the top-level "generation" value (anything; optional) changes. A step:
                    {"status": C[, "headers": {..}][, "json": {..} | "body": "text"
                     [, "content_type": T]][, "location": L]}
                                         answer C (default body {"message": "C Reason"});
                                         L goes to Location; "{base}" in L (and in
                                         redirect.url) becomes http(s)://127.0.0.1:<port>
                    {"reset": true[, "read_bytes": N]}  read the head and the whole body
                                         (or only N body bytes), then close with RST
                    {"delay": S}         sleep S seconds first (alone: then normal)
                    {"normal": true}     normal behaviour
                    "after_auth": true   the step is only taken by a request whose token
                                         is valid, and applies after the token check;
                                         otherwise it applies before any check.
                  An upload answered by a step still has its body read and checked
                  (violations are recorded, the step's answer is sent).
Routes, also under /alt/api/v4/ (a second base path, for redirects):
  POST /api/v4/jobs/<id>/artifacts?<query>   upload, checked in this order:
      JOB-TOKEN (exactly one, a valid token; else 403 {"message":"403 Forbidden"}),
      the token nowhere else (query, other headers), User-Agent "gitlab-runner-helper ...",
      X-Request-Id 32 lowercase hex, query keys only artifact_format < artifact_type <
      expire_in (sorted, once, non-empty, escaped as Go's QueryEscape; no parameters:
      a bare "?"), Transfer-Encoding: chunked without Content-Length (chunks parsed
      strictly), Content-Type "multipart/form-data; boundary=<60 lowercase hex>", body
      exactly "--B\\r\\n" + "Content-Disposition: form-data; name=\\"file\\";
      filename=\\"<name>\\"\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n" +
      file + "\\r\\n--B--\\r\\n". The file is streamed to D/jobs/<id>/<name>, and
      D/jobs/<id>/upload.json gets {"query": {k: v}, "filename", "size", "sha256",
      "part_headers"}; answer 201 {"message":"201 Created"}.
  GET /api/v4/jobs/<id>/artifacts?  and  ...?direct_download=true   download:
      JOB-TOKEN (else 401 {"message":"401 Unauthorized"}), X-Request-Id 32 hex,
      User-Agent "gitlab-runner-helper ..." (any with direct_download=true), no body.
      No D/jobs/<id>/upload.json: 404. With D/jobs/<id>/redirect.url (one URL):
      direct_download=true gets 302 Location: <it>; so does the plain request when
      D/jobs/<id>/redirect.always exists; otherwise the stored file is served: 200
      with Content-Length, or 206 for Range: bytes=a-b | a- | -n (416 if unsatisfiable).
  Anything else: 404 {"message":"404 Not Found"} (a violation when under /api/v4/).
Any request: HTTP/1.1, CRLF line ends, well-formed headers, exactly one Host.
A contract violation gets 400 {"message": "<what is wrong>"} and is recorded. File
names upload.json, redirect.url and redirect.always are refused (the fake's own).
Every answer carries X-Request-Id: gitlab-fake-<n> (n: the request's "n" in the log).
D/requests.jsonl gets one JSON line per request, written just before the answer goes
out (a client holding its answer finds its line): {"n", "method", "target" (raw),
"path", "query" {k: [v]}, "headers" [[name, value]] (as received), "chunked",
"body_size" (body bytes read, chunked framing removed; for a 413: read so far),
"multipart" null | {"boundary", "part_headers", "filename", "file_size",
"file_sha256"}, "step" (index of the script step taken, or null), "status" (int, or
"reset"), "violation" (text or null), "reason" (why a 401/403/404/413, or null),
and "script_error" when the script could not be read}.
"""
import hashlib
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, unquote_to_bytes
from strict_http import (PIECE, TOKEN_CHARS, ChunkedReader, Framing, LengthReader, LineRecorder, Reset,
                         Violation, abort_connection)

ROUTE = re.compile(r"^(?:/alt)?/api/v4/jobs/([1-9][0-9]{0,18})/artifacts$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
CONTENT_TYPE = re.compile(r"^multipart/form-data; boundary=([0-9a-f]{60})$")
DISPOSITION = re.compile(r'^Content-Disposition: form-data; name="file"; filename="((?:[^"\\]|\\["\\])*)"$')
UPLOAD_KEYS = ("artifact_format", "artifact_type", "expire_in")
RESERVED = ("upload.json", "redirect.url", "redirect.always")
GO_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def go_query_escape(raw):
    """Go's url.QueryEscape of the bytes raw."""
    out = []
    for c in raw:
        if c in GO_UNRESERVED:
            out.append(chr(c))
        elif c == 0x20:
            out.append("+")
        else:
            out.append("%%%02X" % c)
    return "".join(out)


class TooLarge(Exception):
    pass


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        sys.stderr.write("gitlab_fake: %s: %s\n" % (type(e).__name__, e))

    def log(self, rec):
        line = json.dumps(rec, sort_keys=True) + "\n"
        with self.lock:
            with open(os.path.join(self.dir, "requests.jsonl"), "a") as f:
                f.write(line)
                f.flush()

    def next_n(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def take_step(self, route, rec, token_ok):
        """The route's next script step (consumed), or None."""
        if not self.script:
            return None
        with self.lock:
            try:
                with open(self.script) as f:
                    script = json.load(f) or {}
                steps = script.get(route) or []
                if script.get("generation") != self.generation:
                    self.generation, self.consumed = script.get("generation"), {}
            except FileNotFoundError:
                return None
            except (OSError, ValueError, AttributeError) as e:
                rec["script_error"] = "%s: %s" % (self.script, e)
                sys.stderr.write("gitlab_fake: bad script %s: %s\n" % (self.script, e))
                return None
            i = self.consumed.get(route, 0)
            if i >= len(steps):
                return None
            step = steps[i]
            if not isinstance(step, dict):
                rec["script_error"] = "step %d of %s is not an object" % (i, route)
                step = {}
            if step.get("after_auth") and not token_ok:
                return None
            self.consumed[route] = i + 1
            rec["step"] = i
            return step


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def parse_request(self):
        real = self.rfile
        self.rfile = rec = LineRecorder(real)
        try:
            return super().parse_request()
        finally:
            self.rfile = real
            self.header_lines = rec.lines

    # ---- responses ----

    def log_now(self):
        """Writes the record (once): before the answer goes out, so a client that has
        its answer finds its line in requests.jsonl."""
        if not self.logged:
            self.logged = True
            if self.reader is not None:
                self.rec["body_size"] = self.reader.size
            self.server.log(self.rec)

    def reply(self, code, body=b"", ctype=None, headers=(), close=False):
        self.rec["status"] = code
        self.log_now()
        self.send_response(code)
        names = {k.lower() for k, _ in headers}
        for k, v in headers:
            self.send_header(k, v)
        if ctype and "content-type" not in names:
            self.send_header("Content-Type", ctype)
        if "x-request-id" not in names:
            self.send_header("X-Request-Id", "gitlab-fake-%d" % self.rec["n"])
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def reply_json(self, code, message=None, close=False, headers=()):
        if message is None:
            message = "%d %s" % (code, HTTPStatus(code).phrase)
        self.reply(code, json.dumps({"message": message}).encode(), "application/json", headers, close)

    def violation(self, text, close=False):
        if self.rec["violation"] is None:
            self.rec["violation"] = text
        self.reply_json(400, text, close=close)

    def reset(self):
        self.rec["status"] = "reset"
        self.log_now()
        abort_connection(self)

    def base(self):
        scheme = "https" if self.server.tls else "http"
        return "%s://127.0.0.1:%d" % (scheme, self.server.server_address[1])

    # ---- request facts ----

    def header_values(self, name):
        return [v for k, v in self.rec["headers"] if k.lower() == name]

    def one_header(self, name, shown):
        vals = self.header_values(name)
        if len(vals) > 1:
            raise Violation("%s sent %d times" % (shown, len(vals)))
        return vals[0] if vals else None

    def parse_head(self):
        """Fills the record; returns the first syntax violation of the head, or None."""
        rec = self.rec
        problem = None
        if not self.raw_requestline.endswith(b"\r\n"):
            problem = "request line not terminated by CRLF"
        elif len(self.requestline.split(" ")) != 3:
            problem = "request line is not 'METHOD SP target SP HTTP/1.1': %r" % self.requestline
        elif self.request_version != "HTTP/1.1":
            problem = "HTTP version %s (want HTTP/1.1)" % self.request_version
        parts = self.requestline.split(" ")
        target = parts[1] if len(parts) == 3 else self.path
        rec["target"] = target
        path, _, query = target.partition("?")
        rec["path"] = path
        rec["query"] = parse_qs(query, keep_blank_values=True)
        headers = []
        for raw in self.header_lines:
            if raw in (b"\r\n", b"\n", b""):
                if raw == b"\n" and not problem:
                    problem = "header block ended by a bare LF"
                break
            if not raw.endswith(b"\r\n") and not problem:
                problem = "header line not terminated by CRLF: %r" % raw[:80]
            line = raw.rstrip(b"\r\n").decode("latin-1")
            if line[:1] in (" ", "\t"):
                problem = problem or "obsolete line folding in header %r" % line[:80]
                continue
            name, colon, value = line.partition(":")
            if not colon or not TOKEN_CHARS.match(name.encode("latin-1")):
                problem = problem or "malformed header line %r" % line[:80]
                continue
            headers.append([name, value.strip(" \t")])
        rec["headers"] = headers
        te = [v for k, v in headers if k.lower() == "transfer-encoding"]
        rec["chunked"] = any(v.strip().lower() == "chunked" for v in te)
        if not problem:
            hosts = [v for k, v in headers if k.lower() == "host"]
            if len(hosts) != 1:
                problem = "want exactly one Host header, got %d" % len(hosts)
        return problem

    def body_reader(self):
        """A reader of the request body per its framing."""
        te = self.header_values("transfer-encoding")
        cl = self.header_values("content-length")
        if te:
            if [v.strip().lower() for v in te] != ["chunked"]:
                raise Framing("unsupported Transfer-Encoding %r" % te)
            self.reader = ChunkedReader(self.rfile)
        elif cl:
            if len(set(cl)) != 1 or not re.fullmatch(r"[0-9]{1,19}", cl[0]):
                raise Framing("bad Content-Length %r" % cl)
            self.reader = LengthReader(self.rfile, int(cl[0]))
        else:
            self.reader = LengthReader(self.rfile, 0)
        return self.reader

    def drain(self, reader, limit=None, deadline=None):
        """Reads and drops the body (at most limit bytes); False if its framing broke."""
        try:
            while limit is None or reader.size < limit:
                if deadline and time.monotonic() > deadline:
                    return False
                n = PIECE if limit is None else min(PIECE, limit - reader.size)
                if not reader.read(n):
                    return True
            return True
        except (Framing, OSError):
            return False
        finally:
            self.rec["body_size"] = reader.size

    def token_check(self, fail_code):
        """(code, text) when JOB-TOKEN is missing or wrong, a Violation when it leaks."""
        vals = self.header_values("job-token")
        if not vals:
            return fail_code, "no JOB-TOKEN header"
        if len(vals) > 1:
            raise Violation("JOB-TOKEN sent %d times" % len(vals))
        if vals[0] not in self.server.tokens:
            return fail_code, "JOB-TOKEN %r is not a valid token" % vals[0]
        tok = vals[0]
        for k, vs in self.rec["query"].items():
            if "token" in k.lower() or any(tok in v for v in vs):
                raise Violation("the job token is sent in the query (%s)" % k)
        for k, v in self.rec["headers"]:
            if k.lower() != "job-token" and tok in v:
                raise Violation("the job token is sent in the header %s (only JOB-TOKEN may carry it)" % k)
        return None

    def check_request_id(self):
        rid = self.one_header("x-request-id", "X-Request-Id")
        if rid is None:
            raise Violation("no X-Request-Id header")
        if not HEX32.match(rid):
            raise Violation("X-Request-Id %r is not 32 lowercase hex digits" % rid)

    def check_user_agent(self):
        ua = self.one_header("user-agent", "User-Agent")
        if ua is None:
            raise Violation("no User-Agent header")
        if not ua.startswith("gitlab-runner-helper "):
            raise Violation("User-Agent %r does not start with 'gitlab-runner-helper '" % ua)

    # ---- dispatch ----

    def dispatch(self):
        self.rec = {"n": self.server.next_n(), "method": self.command, "target": self.path,
                    "path": self.path, "query": {}, "headers": [], "chunked": False,
                    "body_size": 0, "multipart": None, "step": None, "status": None,
                    "violation": None, "reason": None}
        self.logged, self.reader = False, None
        try:
            self.route()
        except Reset:
            pass
        except (OSError, ssl.SSLError) as e:
            self.rec["reason"] = "connection error: %s" % e
            self.close_connection = True
        finally:
            self.log_now()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = dispatch

    def route(self):
        problem = self.parse_head()
        m = ROUTE.match(self.rec["path"])
        kind = None
        if m and self.command == "POST":
            kind = "upload"
        elif m and self.command == "GET":
            kind = "download"
        if kind is None:
            api = re.match(r"^(?:/alt)?/api/v4(/|$)", self.rec["path"])
            if api:
                self.rec["violation"] = "no such route: %s %s" % (self.command, self.rec["path"])
            else:
                self.rec["reason"] = "no such route"
            try:
                ok = self.drain(self.body_reader(), deadline=time.monotonic() + 30)
            except Framing:
                ok = False
            return self.reply_json(404, close=not ok)
        job = m.group(1)
        fail = None  # (code, text, is_violation)
        try:
            if problem:
                raise Violation(problem)
            tf = self.token_check(403 if kind == "upload" else 401)
            if tf:
                fail = (tf[0], tf[1], False)
            elif kind == "upload":
                self.check_upload_head()
            else:
                self.check_download_head()
        except Violation as e:
            fail = (400, str(e), True)
        token_ok = not (fail and fail[0] in (401, 403))
        step = self.server.take_step(kind, self.rec, token_ok)
        if fail:
            if fail[2]:
                self.rec["violation"] = fail[1]
            else:
                self.rec["reason"] = fail[1]
        if step is not None and self.run_step(step, kind):
            return
        if kind == "upload":
            if fail:
                return self.refuse_upload(fail)
            return self.receive_upload(job)
        if fail:
            ok = self.drain_any()
            return self.reply_json(fail[0], None if fail[0] != 400 else fail[1], close=not ok)
        return self.serve_download(job)

    def drain_any(self):
        try:
            return self.drain(self.body_reader(), deadline=time.monotonic() + 60)
        except Framing as e:
            self.rec["violation"] = self.rec["violation"] or str(e)
            return False

    def run_step(self, step, kind):
        """Plays a script step; True when it answered (or reset) the request."""
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        if step.get("reset"):
            if kind == "upload":
                self.dry_upload_body(step.get("read_bytes"))
            else:
                self.drain_any()
            self.reset()
        if "status" not in step:
            return False
        ok = self.dry_upload_body() if kind == "upload" else self.drain_any()
        code = int(step["status"])
        headers = [(k, str(v)) for k, v in (step.get("headers") or {}).items()]
        if "location" in step:
            headers.append(("Location", step["location"].replace("{base}", self.base())))
        if "json" in step:
            body, ctype = json.dumps(step["json"]).encode(), "application/json"
        elif "body" in step:
            body, ctype = step["body"].encode(), step.get("content_type", "text/plain; charset=utf-8")
        else:
            try:
                phrase = HTTPStatus(code).phrase
            except ValueError:
                phrase = "Unknown"
            body, ctype = json.dumps({"message": "%d %s" % (code, phrase)}).encode(), "application/json"
        self.reply(code, body, ctype, headers, close=not ok)
        return True

    # ---- upload ----

    def check_upload_head(self):
        self.check_user_agent()
        self.check_request_id()
        target = self.rec["target"]
        if "?" not in target:
            raise Violation("the upload target has no '?' (with no parameters it must end in a bare '?')")
        if "#" in target:
            raise Violation("'#' in the request target")
        query = target.split("?", 1)[1]
        last = None
        for pair in (query.split("&") if query else []):
            key, eq, raw = pair.partition("=")
            if not eq:
                raise Violation("query part %r has no '='" % pair)
            if key not in UPLOAD_KEYS:
                raise Violation("query key %r not allowed (only %s)" % (key, ", ".join(UPLOAD_KEYS)))
            if last is not None and key <= last:
                raise Violation("query key %r %s" % (key, "repeated" if key == last else
                                                      "out of order (keys must be sorted)"))
            last = key
            if raw == "":
                raise Violation("query parameter %s is empty (leave it out instead)" % key)
            try:
                value = unquote_to_bytes(raw.replace("+", " "))
            except ValueError:
                value = None
            if value is None or go_query_escape(value) != raw:
                raise Violation("query value %r of %s is not escaped as Go's url.QueryEscape (%r)"
                                % (raw, key, go_query_escape(value or b"")))
        if not self.rec["chunked"]:
            raise Violation("upload not sent with Transfer-Encoding: chunked")
        te = self.header_values("transfer-encoding")
        if te != ["chunked"] and [v.lower() for v in te] != ["chunked"]:
            raise Violation("Transfer-Encoding must be exactly 'chunked', got %r" % te)
        if self.header_values("content-length"):
            raise Violation("Content-Length sent with a chunked upload")
        ct = self.one_header("content-type", "Content-Type")
        if ct is None or not CONTENT_TYPE.match(ct):
            raise Violation("Content-Type %r is not 'multipart/form-data; boundary=<60 lowercase hex>'" % ct)

    def boundary(self):
        m = CONTENT_TYPE.match(self.one_header("content-type", "Content-Type") or "")
        return m.group(1) if m else None

    def refuse_upload(self, fail):
        ok = self.dry_upload_body()
        self.reply_json(fail[0], fail[1] if fail[0] == 400 else None, close=not ok)

    def dry_upload_body(self, limit=None):
        """Reads the body without storing it, recording what it holds; False if framing broke."""
        try:
            reader = self.body_reader()
        except Framing as e:
            self.rec["violation"] = self.rec["violation"] or str(e)
            return False
        boundary = self.boundary() if self.rec["chunked"] else None
        if boundary is None or limit is not None:
            return self.drain(reader, limit=limit)
        try:
            self.parse_multipart(reader, boundary, None, None)
            return True
        except Framing as e:
            self.rec["violation"] = self.rec["violation"] or str(e)
            return False
        except Violation as e:
            self.rec["violation"] = self.rec["violation"] or str(e)
            return self.drain(reader)
        except TooLarge:
            return self.drain(reader)
        finally:
            self.rec["body_size"] = reader.size

    def parse_multipart(self, reader, boundary, out, max_size):
        """Checks the multipart body; the file bytes go to out (a file or None)."""
        B = boundary.encode()
        mp = {"boundary": boundary, "part_headers": None, "filename": None,
              "file_size": 0, "file_sha256": None}
        self.rec["multipart"] = mp
        opener = b"--" + B + b"\r\n"
        buf = b""
        while len(buf) < len(opener):
            d = reader.read()
            if not d:
                break
            buf += d
        if not buf.startswith(opener):
            raise Violation("the body does not start with '--<boundary>\\r\\n' (preamble or bad boundary): %r"
                            % buf[:80])
        buf = buf[len(opener):]
        while b"\r\n\r\n" not in buf:
            if len(buf) > 16384:
                raise Violation("part headers not ended by an empty line within 16 KiB")
            d = reader.read()
            if not d:
                raise Violation("the body ends inside the part headers")
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = [l.decode("utf-8", "surrogateescape") for l in head.split(b"\r\n")]
        mp["part_headers"] = lines
        if len(lines) != 2:
            raise Violation("want exactly 2 part headers (Content-Disposition, Content-Type), got %d: %r"
                            % (len(lines), lines))
        m = DISPOSITION.match(lines[0])
        if not m:
            raise Violation("first part header is not 'Content-Disposition: form-data; name=\"file\"; "
                            "filename=\"<name>\"' (with \\\" and \\\\ escapes): %r" % lines[0])
        if lines[1] != "Content-Type: application/octet-stream":
            raise Violation("second part header is not 'Content-Type: application/octet-stream': %r" % lines[1])
        name = re.sub(r'\\(["\\])', r"\1", m.group(1))
        mp["filename"] = name
        if name in ("", ".", "..") or "/" in name or "\0" in name:
            raise Violation("file name %r is empty, '.', '..' or holds '/' or NUL" % name)
        if name in RESERVED:
            raise Violation("file name %r is reserved by the fake" % name)
        if out is not None:
            out = out(name)
        h = hashlib.sha256()
        size = 0
        delim = b"\r\n--" + B
        closing = delim + b"--\r\n"
        keep = len(delim) - 1

        def emit(data):
            nonlocal size
            if not data:
                return
            size += len(data)
            mp["file_size"] = size
            if max_size is not None and size > max_size:
                raise TooLarge()
            h.update(data)
            if out is not None:
                out.write(data)

        pending = buf
        while True:
            i = pending.find(delim)
            if i >= 0:
                emit(pending[:i])
                rest = pending[i:]
                break
            if len(pending) > keep:
                emit(pending[:-keep])
                pending = pending[-keep:]
            d = reader.read()
            if not d:
                raise Violation("the body ends without the closing boundary '\\r\\n--<boundary>--\\r\\n'")
            pending += d
        while len(rest) <= len(closing):
            d = reader.read()
            if not d:
                break
            rest += d
        mp["file_sha256"] = h.hexdigest()
        if rest != closing:
            if rest.startswith(delim + b"\r\n"):
                raise Violation("more than one part (the boundary appears again after the file)")
            if rest.startswith(closing):
                raise Violation("data after the closing boundary (epilogue)")
            raise Violation("malformed closing boundary: %r" % rest[:100])
        return name, size, mp["file_sha256"]

    def receive_upload(self, job):
        jobdir = os.path.join(self.server.dir, "jobs", job)
        os.makedirs(jobdir, exist_ok=True)
        tmp = os.path.join(jobdir, ".upload-%d.tmp" % self.rec["n"])
        files = []

        def opener(name):
            f = open(tmp, "wb")
            files.append(f)
            return f

        reader = self.reader = ChunkedReader(self.rfile)
        stored = False
        try:
            name, size, sha = self.parse_multipart(reader, self.boundary(), opener, self.server.max_size)
            stored = True
        except Framing as e:
            self.rec["violation"] = str(e)
            return self.reply_json(400, str(e), close=True)
        except Violation as e:
            self.rec["violation"] = str(e)
            ok = self.drain(reader)
            return self.reply_json(400, str(e), close=not ok)
        except TooLarge:
            self.rec["reason"] = "file part larger than --max-size %d" % self.server.max_size
            self.reply_json(413, "413 Request Entity Too Large", close=True)
            if not self.server.tls:  # (an SSLSocket's shutdown drops TLS for the drain)
                try:
                    self.connection.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            self.drain(reader, deadline=time.monotonic() + 60)
            return
        finally:
            for f in files:
                f.close()
            self.rec["body_size"] = reader.size
            if not stored and os.path.exists(tmp):
                os.unlink(tmp)
        os.replace(tmp, os.path.join(jobdir, name))
        query = {k: v[0] for k, v in self.rec["query"].items()}
        meta = {"query": query, "filename": name, "size": size, "sha256": sha,
                "part_headers": self.rec["multipart"]["part_headers"]}
        with open(os.path.join(jobdir, "upload.json.tmp"), "w") as f:
            json.dump(meta, f, sort_keys=True)
        os.replace(os.path.join(jobdir, "upload.json.tmp"), os.path.join(jobdir, "upload.json"))
        self.reply_json(201, "201 Created")

    # ---- download ----

    def check_download_head(self):
        self.check_request_id()
        target = self.rec["target"]
        path, q, query = target.partition("?")
        direct = query == "direct_download=true"
        if not direct:
            self.check_user_agent()
        if not q:
            raise Violation("the download target has no '?' (want '...artifacts?' or "
                            "'...artifacts?direct_download=true')")
        if query not in ("", "direct_download=true"):
            raise Violation("download query %r not allowed (only empty or direct_download=true)" % query)
        if self.rec["chunked"] or any(v != "0" for v in self.header_values("content-length")):
            raise Violation("a download request carries a body")

    def serve_download(self, job):
        jobdir = os.path.join(self.server.dir, "jobs", job)
        try:
            with open(os.path.join(jobdir, "upload.json")) as f:
                meta = json.load(f)
        except FileNotFoundError:
            self.rec["reason"] = "no artifact stored for job %s" % job
            return self.reply_json(404)
        direct = self.rec["target"].endswith("?direct_download=true")
        url_file = os.path.join(jobdir, "redirect.url")
        if os.path.exists(url_file) and (direct or os.path.exists(os.path.join(jobdir, "redirect.always"))):
            with open(url_file) as f:
                url = f.read().strip().replace("{base}", self.base())
            return self.reply(302, b"", headers=[("Location", url)])
        path = os.path.join(jobdir, meta["filename"])
        size = os.path.getsize(path)
        start, end, code, extra = 0, size - 1, 200, []
        rng = self.one_header("range", "Range")
        if rng is not None:
            m = re.fullmatch(r"bytes=([0-9]*)-([0-9]*)", rng.strip())
            if not m or (m.group(1) == "" and m.group(2) == ""):
                self.rec["violation"] = "unsupported Range %r (want bytes=a-b, a- or -n)" % rng
                return self.reply_json(400, self.rec["violation"])
            if m.group(1) == "":
                start = max(0, size - int(m.group(2)))
            else:
                start = int(m.group(1))
                if m.group(2):
                    end = min(end, int(m.group(2)))
                    if int(m.group(2)) < start:
                        self.rec["violation"] = "Range %r ends before it starts" % rng
                        return self.reply_json(400, self.rec["violation"])
            if start >= size or (m.group(1) == "" and int(m.group(2)) == 0):
                return self.reply(416, b"", headers=[("Content-Range", "bytes */%d" % size)])
            code = 206
            extra = [("Content-Range", "bytes %d-%d/%d" % (start, end, size))]
        length = end - start + 1
        self.rec["status"] = code
        self.log_now()
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Disposition", 'attachment; filename="%s"' % meta["filename"])
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("X-Request-Id", "gitlab-fake-%d" % self.rec["n"])
        self.send_header("Content-Length", str(length))
        self.end_headers()
        with open(path, "rb") as f:
            f.seek(start)
            while length > 0:
                d = f.read(min(length, 1 << 20))
                if not d:
                    self.close_connection = True
                    break
                self.wfile.write(d)
                length -= len(d)
        self.wfile.flush()


def main():
    args = sys.argv[1:]
    d, tokens, max_size, script, tls = None, [], None, None, None
    while args:
        a = args.pop(0)
        if a == "--dir" and args:
            d = args.pop(0)
        elif a == "--token" and args:
            tokens.append(args.pop(0))
        elif a == "--max-size" and args:
            max_size = int(args.pop(0))
        elif a == "--script" and args:
            script = args.pop(0)
        elif a == "--tls" and len(args) >= 2:
            tls = (args.pop(0), args.pop(0))
        else:
            sys.exit("gitlab_fake: bad argument %s (see the docstring)" % a)
    if not d:
        sys.exit("gitlab_fake: --dir D is required")
    os.makedirs(os.path.join(d, "jobs"), exist_ok=True)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.dir, srv.tokens = os.path.abspath(d), set(tokens or ["test-job-token"])
    srv.max_size, srv.script, srv.tls = max_size, script and os.path.abspath(script), bool(tls)
    srv.lock, srv.seq, srv.consumed, srv.generation = threading.Lock(), 0, {}, None
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        # The handshake happens in the request's thread, not in accept().
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
