#!/usr/bin/env python3
"""A strict Git LFS server (batch API, basic transfers) with git smart HTTP beside it,
for the integration tests (Python stdlib only).

  lfs_fake.py --dir D [--user U --password P]... [--tls CERT KEY] [--script F] [--git-root R]
  lfs_fake.py count D [FIELD=VALUE]...     prints how many D/requests.jsonl lines match

Prints "PORT <n>" once it listens on 127.0.0.1, then runs until killed. HTTP/1.1 with
keep-alive; every answer has a Content-Length or is chunked.
  --user U --password P  a valid Basic credential pair (repeatable; default
                  gitlab-ci-token / test-job-token)
  --tls CERT KEY  HTTPS on PORT; a second, plain HTTP listener serves the same routes
                  and store, its port in D/plain.port (written before "PORT" is printed)
  --git-root R    serve R's repositories with git smart HTTP (see below)
  --script F      failure injection, below
Basic credentials are required on the batch, locks and git routes: missing or wrong,
401 {"message":"Credentials needed"} with LFS-Authenticate and WWW-Authenticate:
Basic realm="Git LFS" (Content-Type application/vnd.git-lfs+json on LFS routes,
application/json on the others). The transfer routes (/_lfs/...) want the header the
batch reply gave instead: "Authorization: Bearer <token>", one random token per run.
Routes (P is any path prefix: /group/repo.git/info/lfs, /custom/lfs, ...):
  POST P/objects/batch   Accept and Content-Type must be application/vnd.git-lfs+json
      (parameters allowed); body {"operation": "download"|"upload", "objects":
      [{"oid": 64 lowercase hex, "size": int >= 0}, ...] (non-empty), "transfers":
      [..] (optional, must hold "basic"), "ref": {"name": str} (optional),
      "hash_algo": "sha256" (optional)}. Answer 200 {"transfer": "basic",
      "hash_algo": "sha256", "objects": [...]} in the order asked, per object:
        download, stored:  {"oid", "size", "authenticated": true, "actions": {"download":
            {"href": "<base>/_lfs/objects/<oid>", "header": {"Authorization": "Bearer
            <token>"}, "expires_in": 3600}}}
        download, missing: {"oid", "size", "error": {"code": 404, "message":
            "Object does not exist"}}
        upload, stored:    {"oid", "size"} (no actions)
        upload, missing:   {"oid", "size", "authenticated": true, "actions": {"upload":
            {href as above, header, expires_in}, "verify": {"href": "<base>/_lfs/verify",
            header, expires_in}}}
        either, stored with another size: error {"code": 422, "message": "Object size
            mismatch"}
      <base> is scheme://<Host header>, i.e. as the client reached the server.
  GET  /_lfs/objects/<oid>   Bearer; 200 application/octet-stream with Content-Length,
      206 for Range: bytes=a-b | a- | -n (Content-Range: bytes a-b/total), 416 with
      Content-Range: bytes */total when unsatisfiable, 404 when missing.
  PUT  /_lfs/objects/<oid>   Bearer; the body (Content-Length or chunked) is streamed to
      D/tmp, its SHA-256 must be the oid and its size the one an upload batch asked for
      (when one did; else 422 {"message"}), then renamed into the store; 200 {}.
  POST /_lfs/verify   Bearer; {"oid", "size"}: 200 {} when stored with that size, else 404.
  POST P/locks/verify, GET P/locks   Basic; 200 {"ours": [], "theirs": []} / {"locks": []}
      (git-lfs asks before a push; there are never locks; with lfs.locksverify unset it
      then prints a "Locking support detected" hint: set it to false to silence that).
  Anything else: with --git-root, git smart HTTP by Debian's
      /usr/lib/git-core/git-http-backend as a CGI (GIT_PROJECT_ROOT=R, export all,
      receive-pack enabled, REMOTE_USER = the Basic user, HOME=D; chunked and gzip
      request bodies passed on as git sends them; the reply streamed back chunked);
      without: 404 {"message":"Not found"}.
The store: D/objects/<oid[0:2]>/<oid[2:4]>/<oid>, one for every repository. Tests may
seed objects by writing files there (write a temp file and rename it into place) and
may remove them; the server only reads and stats them per request.
A contract violation (HTTP syntax: request line, CRLF, exactly one Host; body framing;
the batch's headers and JSON; a bad oid or Range; an expired action used) gets 400
{"message": "<what is wrong>"} (401 for an expired action) and is recorded.
--script F: failure injection, re-read on every request (write it atomically):
  {"batch": [step, ...], "download": [...], "upload": [...], "verify": [...],
   "locks": [...], "git": [...], "objects": {"<oid>": [...]}}
  Each request that passed the credential check (Basic or Bearer) takes its route's next
  step; a download of <oid> takes from "objects"[<oid>] first, then from "download".
  When the steps are used up, normal behaviour. The counts of steps taken persist
  across rewrites, until the top-level "generation" value (anything; optional) changes.
  A step:
    {"delay": S}            sleep S seconds first (alone: then normal behaviour)
    {"status": C[, "headers": {..}][, "json": {..}]}   answer C after reading the body;
                            the default body is {"message": "C Reason"}
    {"reset": true[, "read_bytes": N]}   read the body (or only N bytes of it), then
                            close the connection with RST (SO_LINGER 0), no answer
    {"truncate": N}         download: the right head (full Content-Length), only N body
                            bytes, then the connection is closed
    {"corrupt": true}       download: the right length, the first byte inverted
    {"no_range": true}      download: Range ignored, 200 with the whole object
    {"expired": true}       batch: every action gets "expires_at" in the past (RFC 3339)
                            and "expires_in": -1, and a token that the transfer routes
                            refuse (401, a violation "expired action used")
    {"object_error": {"code": C, "message": M}[, "oid": X]}   batch: that error instead
                            of the actions of object X (default: of every object)
    {"href_base": B}        batch: hrefs start with B instead of <base>; B may hold
                            {base}, {tls_base} (https://localhost:<tls port>) and
                            {plain_base} (http://localhost:<plain port>)
    {"normal": true}        normal behaviour
  Keys combine: {"delay": 1, "status": 500}, {"expired": true, "href_base": ...}.
D/requests.jsonl gets one JSON line per request, written just before the answer goes
out (a client holding its answer finds its line): {"n", "method", "path", "query" (raw
string), "headers" [[name, value]] (as received), "user" (the Basic user that passed,
else null), "auth" ("basic" | "bearer" | null), "route" ("batch" | "download" |
"upload" | "verify" | "locks" | "git" | null), "endpoint" (P of a batch or locks
route), "operation", "objects" (oids asked, batch), "object_count" (their number),
"ref" (the batch's ref name), "oid" (download, upload, verify), "range" (the Range
header), "bytes" (body bytes sent by a download or received by an upload), "step"
(index of the script step taken, or null), "step_list" ("batch", "objects:<oid>",
...), "status" (int, or "reset"), "violation" (text or null), "reason" (why a
401/404/422, or null)}, plus "script_error" when the script could not be read.
`count D FIELD=VALUE...` counts the lines where every FIELD's value, as JSON text
without quotes for strings (200, null, true), equals VALUE, e.g.
  lfs_fake.py count D route=download oid=<oid> status=200
"""
import base64
import hashlib
import json
import os
import re
import secrets
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import unquote
from strict_http import (PIECE, TOKEN_CHARS, ChunkedReader, Framing, LengthReader, LineRecorder, Reset,
                         Violation, abort_connection)

LFS_TYPE = "application/vnd.git-lfs+json"
OID = re.compile(r"^[0-9a-f]{64}$")
TRANSFER = re.compile(r"^/_lfs/objects/([^/]*)$")
BACKEND = "/usr/lib/git-core/git-http-backend"
MAX_JSON = 16 << 20


class State:
    """What the listeners share: configuration, the log, the script's step counts."""

    def __init__(self, d, users, script, git_root):
        self.dir, self.users, self.script, self.git_root = d, users, script, git_root
        self.token = secrets.token_hex(16)
        self.expired_token = self.token + "-expired"
        self.lock, self.seq, self.consumed, self.generation = threading.Lock(), 0, {}, None
        self.declared = {}  # oid -> size asked by an upload batch
        self.tls_base = self.plain_base = None

    def log(self, rec):
        line = json.dumps(rec, sort_keys=True) + "\n"
        with self.lock:
            with open(os.path.join(self.dir, "requests.jsonl"), "a") as f:
                f.write(line)

    def next_n(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def take_step(self, lists, rec):
        """The next step of the first of the script's lists that has one left (consumed)."""
        if not self.script:
            return None
        with self.lock:
            try:
                with open(self.script) as f:
                    script = json.load(f) or {}
                if script.get("generation") != self.generation:
                    self.generation, self.consumed = script.get("generation"), {}
                for name in lists:
                    if name.startswith("objects:"):
                        steps = (script.get("objects") or {}).get(name[8:]) or []
                    else:
                        steps = script.get(name) or []
                    i = self.consumed.get(name, 0)
                    if i < len(steps):
                        self.consumed[name] = i + 1
                        rec["step"], rec["step_list"] = i, name
                        if not isinstance(steps[i], dict):
                            rec["script_error"] = "step %d of %s is not an object" % (i, name)
                            return {}
                        return steps[i]
            except FileNotFoundError:
                pass
            except (OSError, ValueError, AttributeError, TypeError) as e:
                rec["script_error"] = "%s: %s" % (self.script, e)
                sys.stderr.write("lfs_fake: bad script %s: %s\n" % (self.script, e))
            return None

    def object_path(self, oid):
        return os.path.join(self.dir, "objects", oid[0:2], oid[2:4], oid)

    def stored_size(self, oid):
        try:
            return os.stat(self.object_path(oid)).st_size
        except FileNotFoundError:
            return None


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        sys.stderr.write("lfs_fake: %s: %s\n" % (type(e).__name__, e))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

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

    def send_error(self, code, message=None, explain=None):
        """BaseHTTPRequestHandler's own refusals (bad request line, ...), as violations."""
        self.rec = self.new_rec()
        self.rec["violation"] = "%d %s: %r" % (code, message or phrase(code), getattr(self, "raw_requestline", b"")[:200])
        self.request_version = "HTTP/1.1"  # (a one-word request line left HTTP/0.9: no headers)
        self.logged = False
        self.reply_json(code, message or HTTPStatus(code).phrase, close=True)

    # ---- answers ----

    def log_now(self):
        if not self.logged:
            self.logged = True
            self.server.state.log(self.rec)

    def head(self, code, headers=(), ctype=None, length=None, close=False):
        """Logs the request and sends the status line and headers (not yet flushed)."""
        self.rec["status"] = code
        self.log_now()
        self.send_response_only(code)
        for k, v in headers:
            self.send_header(k, v)
        if ctype:
            self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self._headers_buffer.append(b"\r\n")

    def reply(self, code, body=b"", ctype=None, headers=(), close=False):
        names = {k.lower() for k, _ in headers}
        self.head(code, headers, None if "content-type" in names else ctype, len(body), close)
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def reply_json(self, code, message=None, headers=(), close=False, obj=None):
        if obj is None:
            obj = {"message": message or "%d %s" % (code, phrase(code))}
        self.reply(code, json.dumps(obj).encode(), self.json_type(), headers, close)

    def json_type(self):
        return LFS_TYPE if self.rec["route"] not in ("git", None) else "application/json"

    def violation(self, text, close=False):
        self.rec["violation"] = self.rec["violation"] or text
        self.reply_json(400, text, close=close)

    def reset(self):
        self.rec["status"] = "reset"
        self.log_now()
        abort_connection(self)

    # ---- request facts ----

    def new_rec(self):
        return {"n": self.server.state.next_n(), "method": self.command, "path": None, "query": "",
                "headers": [], "user": None, "auth": None, "route": None, "endpoint": None,
                "operation": None, "objects": None, "object_count": None, "ref": None, "oid": None, "range": None,
                "bytes": None, "step": None, "step_list": None, "status": None, "violation": None,
                "reason": None}

    def header_values(self, name):
        return [v for k, v in self.rec["headers"] if k.lower() == name]

    def one_header(self, name):
        vals = self.header_values(name)
        if len(vals) > 1:
            raise Violation("%s sent %d times" % (name, len(vals)))
        return vals[0] if vals else None

    def parse_head(self):
        """Fills the record; returns the first syntax violation of the head, or None."""
        rec, problem = self.rec, None
        if not self.raw_requestline.endswith(b"\r\n"):
            problem = "request line not terminated by CRLF"
        elif self.request_version != "HTTP/1.1":
            problem = "HTTP version %s (want HTTP/1.1)" % self.request_version
        path, _, rec["query"] = self.path.partition("?")
        rec["path"] = path
        for raw in self.header_lines:
            if raw in (b"\r\n", b"\n", b""):
                if raw == b"\n":
                    problem = problem or "header block ended by a bare LF"
                break
            if not raw.endswith(b"\r\n"):
                problem = problem or "header line not terminated by CRLF: %r" % raw[:80]
            line = raw.rstrip(b"\r\n").decode("latin-1")
            name, colon, value = line.partition(":")
            if line[:1] in (" ", "\t") or not colon or not TOKEN_CHARS.match(name.encode("latin-1")):
                problem = problem or "malformed header line %r" % line[:80]
                continue
            rec["headers"].append([name, value.strip(" \t")])
        if not problem and len(self.header_values("host")) != 1:
            problem = "want exactly one Host header, got %d" % len(self.header_values("host"))
        rec["range"] = (self.header_values("range") or [None])[0]
        return problem

    def body_reader(self):
        te, cl = self.header_values("transfer-encoding"), self.header_values("content-length")
        if te:
            if [v.lower() for v in te] != ["chunked"]:
                raise Framing("unsupported Transfer-Encoding %r" % te)
            if cl:
                raise Framing("both Transfer-Encoding and Content-Length")
            return ChunkedReader(self.rfile, extensions=True)
        if cl:
            if len(set(cl)) != 1 or not re.fullmatch(r"[0-9]{1,19}", cl[0]):
                raise Framing("bad Content-Length %r" % cl)
            return LengthReader(self.rfile, int(cl[0]))
        return LengthReader(self.rfile, 0)

    def drain(self, limit=None, deadline=60):
        """Reads and drops the body (the first limit bytes of it); False if it could not."""
        try:
            reader = self.reader or self.body_reader()
            self.reader = reader
            end = time.monotonic() + deadline
            while limit is None or reader.size < limit:
                if time.monotonic() > end:
                    return False
                if not reader.read(PIECE if limit is None else min(PIECE, limit - reader.size)):
                    return True
            return limit is None
        except Framing as e:
            self.rec["violation"] = self.rec["violation"] or str(e)
            return False
        except OSError:
            return False

    def read_json(self):
        reader = self.reader = self.body_reader()
        buf = bytearray()
        while True:
            d = reader.read()
            if not d:
                break
            buf += d
            if len(buf) > MAX_JSON:
                raise Framing("JSON body larger than %d bytes" % MAX_JSON)
        try:
            return json.loads(buf.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise Violation("body is not JSON: %s" % e)

    def basic_user(self):
        vals = self.header_values("authorization")
        if len(vals) != 1 or not vals[0].startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(vals[0][6:], validate=True).decode("utf-8").partition(":")
        except ValueError:
            return None
        return user if (user, password) in self.server.state.users else None

    def bearer_ok(self):
        vals = self.header_values("authorization")
        st = self.server.state
        if vals == ["Bearer " + st.token]:
            return True
        if vals == ["Bearer " + st.expired_token]:
            self.rec["violation"] = "expired action used (its expires_at is in the past)"
        return False

    def base(self):
        scheme = "https" if self.server.tls else "http"
        return "%s://%s" % (scheme, self.header_values("host")[0])

    # ---- dispatch ----

    def dispatch(self):
        self.rec, self.logged, self.reader = self.new_rec(), False, None
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
        rec = self.rec
        problem = self.parse_head()
        path, method = rec["path"], self.command
        m = TRANSFER.match(path)
        if m and method in ("GET", "PUT"):
            rec["route"], rec["oid"] = ("download" if method == "GET" else "upload"), m.group(1)
        elif path == "/_lfs/verify" and method == "POST":
            rec["route"] = "verify"
        elif path.endswith("/objects/batch"):
            rec["route"], rec["endpoint"] = "batch", path[:-len("/objects/batch")]
        elif path.endswith("/locks/verify") or path.endswith("/locks"):
            rec["route"], rec["endpoint"] = "locks", path[:path.rindex("/locks")]
        elif self.server.state.git_root and not path.startswith("/_lfs/"):
            rec["route"] = "git"
        if problem:
            return self.violation(problem, close=True)
        if rec["route"] is None:
            rec["reason"] = "no such route"
            return self.reply_json(404, "Not found", close=not self.drain())
        if rec["route"] in ("download", "upload", "verify"):
            ok = self.bearer_ok()
            rec["auth"] = "bearer" if ok else None
        else:
            rec["user"] = self.basic_user()
            ok = rec["user"] is not None
            rec["auth"] = "basic" if ok else None
        if not ok:
            rec["reason"] = rec["reason"] or "no valid %s credentials" % (
                "Bearer" if rec["route"] in ("download", "upload", "verify") else "Basic")
            hdrs = [("LFS-Authenticate", 'Basic realm="Git LFS"'), ("WWW-Authenticate", 'Basic realm="Git LFS"')]
            return self.reply_json(401, "Credentials needed", hdrs, close=not self.drain())
        lists = [rec["route"]]
        if rec["route"] == "download":
            lists.insert(0, "objects:" + rec["oid"])
        step = self.server.state.take_step(lists, rec) or {}
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        if step.get("reset"):
            self.drain(step.get("read_bytes"))
            self.reset()
        if "status" in step:
            code = int(step["status"])
            ok = self.drain()
            headers = [(k, str(v)) for k, v in (step.get("headers") or {}).items()]
            return self.reply_json(code, None, headers, close=not ok, obj=step.get("json"))
        try:
            getattr(self, "serve_" + rec["route"])(step)
        except Framing as e:
            self.violation(str(e), close=True)
        except Violation as e:
            self.violation(str(e), close=not self.drain())

    # ---- LFS ----

    def check_type(self, name):
        vals = self.header_values(name)
        types = [t.split(";")[0].strip().lower() for v in vals for t in v.split(",")]
        if LFS_TYPE not in types:
            raise Violation("%s %r lacks %s" % (name, vals[0] if vals else None, LFS_TYPE))

    def serve_batch(self, step):
        if self.command != "POST":
            raise Violation("%s of the batch endpoint (want POST)" % self.command)
        self.check_type("accept")
        self.check_type("content-type")
        req, rec = self.read_json(), self.rec
        if not isinstance(req, dict):
            raise Violation("the batch request is not a JSON object")
        op, objs = req.get("operation"), req.get("objects")
        rec["operation"] = op
        if op not in ("download", "upload"):
            raise Violation("operation %r (want download or upload)" % (op,))
        if "ref" in req:
            ref = req["ref"]
            if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
                raise Violation("ref %r is not {\"name\": string}" % (ref,))
            rec["ref"] = ref["name"]
        if "transfers" in req:
            tr = req["transfers"]
            if not isinstance(tr, list) or not all(isinstance(t, str) for t in tr) or "basic" not in tr:
                raise Violation("transfers %r is not a list of strings holding \"basic\"" % (tr,))
        if "hash_algo" in req and req["hash_algo"] != "sha256":
            raise Violation("hash_algo %r (want sha256)" % (req["hash_algo"],))
        if not isinstance(objs, list) or not objs:
            raise Violation("objects is not a non-empty list")
        rec["objects"] = [o.get("oid") if isinstance(o, dict) else None for o in objs]
        rec["object_count"] = len(objs)
        for o in objs:
            if not isinstance(o, dict) or not isinstance(o.get("oid"), str) or not OID.match(o["oid"]):
                raise Violation("object %r: oid is not 64 lowercase hex digits" % (o,))
            size = o.get("size")
            if type(size) is not int or size < 0:
                raise Violation("object %r: size is not a non-negative integer" % (o,))
        st = self.server.state
        base = self.base()
        if "href_base" in step:
            base = step["href_base"].replace("{base}", base).replace(
                "{tls_base}", st.tls_base or "").replace("{plain_base}", st.plain_base or "")
        token, expiry = st.token, {"expires_in": 3600}
        if step.get("expired"):
            past = datetime.now(timezone.utc) - timedelta(hours=1)
            token, expiry = st.expired_token, {"expires_at": past.strftime("%Y-%m-%dT%H:%M:%SZ"), "expires_in": -1}
        header = {"Authorization": "Bearer " + token}
        err = step.get("object_error")
        out = []
        for o in objs:
            oid, size = o["oid"], o["size"]
            have = st.stored_size(oid)
            ans = {"oid": oid, "size": size}
            out.append(ans)
            if err is not None and step.get("oid") in (None, oid):
                ans["error"] = err
            elif have is not None and have != size:
                ans["error"] = {"code": 422, "message": "Object size mismatch"}
            elif op == "download" and have is None:
                ans["error"] = {"code": 404, "message": "Object does not exist"}
            elif op == "download":
                ans["authenticated"] = True
                ans["actions"] = {"download": dict(href="%s/_lfs/objects/%s" % (base, oid), header=header, **expiry)}
            elif have is None:
                with st.lock:
                    st.declared[oid] = size
                ans["authenticated"] = True
                ans["actions"] = {"upload": dict(href="%s/_lfs/objects/%s" % (base, oid), header=header, **expiry),
                                  "verify": dict(href="%s/_lfs/verify" % base, header=header, **expiry)}
        self.reply_json(200, obj={"transfer": "basic", "objects": out, "hash_algo": "sha256"})

    def serve_locks(self, step):
        self.drain()
        if self.rec["path"].endswith("/verify"):
            if self.command != "POST":
                raise Violation("%s of locks/verify (want POST)" % self.command)
            return self.reply_json(200, obj={"ours": [], "theirs": []})
        if self.command != "GET":
            raise Violation("%s of locks (want GET; creating locks is not supported)" % self.command)
        self.reply_json(200, obj={"locks": []})

    def serve_verify(self, step):
        self.check_type("accept")
        req = self.read_json()
        if not isinstance(req, dict) or not isinstance(req.get("oid"), str) or not OID.match(req["oid"]) \
                or type(req.get("size")) is not int or req["size"] < 0:
            raise Violation("verify body %r is not {\"oid\": 64 hex, \"size\": int >= 0}" % (req,))
        self.rec["oid"] = req["oid"]
        have = self.server.state.stored_size(req["oid"])
        if have != req["size"]:
            self.rec["reason"] = "not stored" if have is None else "stored with size %d" % have
            return self.reply_json(404, "Object does not exist" if have is None else "Object size mismatch")
        self.reply_json(200, obj={})

    def serve_upload(self, step):
        st, oid = self.server.state, self.rec["oid"]
        if not OID.match(oid):
            raise Violation("oid %r is not 64 lowercase hex digits" % oid)
        reader = self.reader = self.body_reader()
        tmpdir = os.path.join(st.dir, "tmp")
        tmp = os.path.join(tmpdir, "put-%d" % self.rec["n"])
        h = hashlib.sha256()
        try:
            with open(tmp, "wb") as f:
                while True:
                    d = reader.read()
                    if not d:
                        break
                    h.update(d)
                    f.write(d)
            self.rec["bytes"] = reader.size
            with st.lock:
                want = st.declared.get(oid)
            if h.hexdigest() != oid or (want is not None and want != reader.size):
                self.rec["reason"] = ("SHA-256 %s" % h.hexdigest() if h.hexdigest() != oid
                                      else "size %d, the batch asked for %d" % (reader.size, want))
                return self.reply_json(422, "Object %s does not match: %s" % (oid, self.rec["reason"]))
            dest = st.object_path(oid)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.replace(tmp, dest)
        finally:
            self.rec["bytes"] = reader.size
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.reply_json(200, obj={})

    def serve_download(self, step):
        oid, rec = self.rec["oid"], self.rec
        self.drain()
        if not OID.match(oid):
            raise Violation("oid %r is not 64 lowercase hex digits" % oid)
        try:
            f = open(self.server.state.object_path(oid), "rb")
        except FileNotFoundError:
            rec["reason"] = "not stored"
            return self.reply_json(404, "Object does not exist")
        with f:
            size = os.fstat(f.fileno()).st_size
            start, end, code, extra = 0, size - 1, 200, []
            rng = self.one_header("range")
            if rng is not None and not step.get("no_range"):
                m = re.fullmatch(r"bytes=([0-9]{0,19})-([0-9]{0,19})", rng.strip())
                if not m or m.group(1) == m.group(2) == "" or (m.group(1) and m.group(2)
                                                               and int(m.group(2)) < int(m.group(1))):
                    raise Violation("unsupported Range %r (want bytes=a-b, a- or -n with a <= b)" % rng)
                if m.group(1) == "":
                    start = max(0, size - int(m.group(2)))
                    unsat = int(m.group(2)) == 0 or size == 0
                else:
                    start = int(m.group(1))
                    end = min(end, int(m.group(2))) if m.group(2) else end
                    unsat = start >= size
                if unsat:
                    rec["reason"] = "range not satisfiable"
                    return self.reply(416, b"", headers=[("Content-Range", "bytes */%d" % size)])
                code, extra = 206, [("Content-Range", "bytes %d-%d/%d" % (start, end, size))]
            length = end - start + 1
            send = length if step.get("truncate") is None else min(length, int(step["truncate"]))
            rec["bytes"] = send
            self.head(code, extra, "application/octet-stream", length)
            self.flush_headers()
            if self.command == "HEAD":
                return
            f.seek(start)
            first = step.get("corrupt")
            while send > 0:
                d = f.read(min(send, PIECE))
                if not d:
                    break
                if first:
                    d, first = bytes([d[0] ^ 0xFF]) + d[1:], False
                self.wfile.write(d)
                send -= len(d)
            if send > 0 or step.get("truncate") is not None:
                self.close_connection = True

    # ---- git smart HTTP ----

    def serve_git(self, step):
        st, rec = self.server.state, self.rec
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_PROJECT_ROOT": st.git_root,
               "GIT_HTTP_EXPORT_ALL": "1", "GIT_CONFIG_NOSYSTEM": "1", "HOME": st.dir,
               "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.receivepack", "GIT_CONFIG_VALUE_0": "true",
               "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "REQUEST_METHOD": self.command, "PATH_INFO": unquote(rec["path"]),
               "QUERY_STRING": rec["query"], "REMOTE_USER": rec["user"],
               "CONTENT_TYPE": self.one_header("content-type") or ""}
        for name in ("content-encoding", "git-protocol"):
            v = self.one_header(name)
            if v is not None:
                env["HTTP_" + name.upper().replace("-", "_")] = v
        if self.header_values("git-protocol"):
            env["GIT_PROTOCOL"] = self.header_values("git-protocol")[0]
        reader = self.reader = self.body_reader()
        if isinstance(reader, LengthReader):
            env["CONTENT_LENGTH"] = str(reader.left)
        p = subprocess.Popen([BACKEND], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        body_ok = [True]

        def feed():
            out = p.stdin
            try:
                while True:
                    d = reader.read()
                    if not d:
                        break
                    if out:
                        try:
                            out.write(d)
                        except OSError:
                            out = None  # the CGI stopped reading: drain the rest
            except (Framing, OSError) as e:
                body_ok[0] = False
                rec["violation"] = rec["violation"] or str(e)
            finally:
                try:
                    p.stdin.close()
                except OSError:
                    pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            code, headers = 200, []
            while True:
                line = p.stdout.readline(8192)
                if not line.endswith(b"\n"):
                    raise OSError("git-http-backend ended inside its headers: %r" % line[:80])
                line = line.rstrip(b"\r\n").decode("latin-1")
                if not line:
                    break
                k, _, v = line.partition(":")
                v = v.strip()
                if k.lower() == "status":
                    code = int(v.split()[0])
                elif k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    headers.append((k, v))
            # (The body may still be arriving: git-http-backend answers as it reads.)
            nobody = code in (204, 304) or self.command == "HEAD"
            self.head(code, headers + ([] if nobody else [("Transfer-Encoding", "chunked")]),
                      length=0 if code == 204 else None)
            self.flush_headers()
            if nobody:
                return
            while True:
                d = p.stdout.read1(PIECE)
                if not d:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(d), d))
            self.wfile.write(b"0\r\n\r\n")
        except (OSError, ValueError) as e:
            rec["reason"] = "git-http-backend: %s" % e
            if not self.logged:
                self.reply_json(502, "git-http-backend failed: %s" % e, close=True)
            else:
                self.close_connection = True
        finally:
            p.stdout.close()
            if p.wait() != 0 and rec["reason"] is None:
                rec["reason"] = "git-http-backend exited with %d" % p.returncode
            feeder.join()
            if not body_ok[0]:
                self.close_connection = True


def phrase(code):
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


def count(d, conds):
    want = [c.split("=", 1) for c in conds]
    n = 0
    with open(os.path.join(d, "requests.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if all(k in rec and (rec[k] if isinstance(rec[k], str) else json.dumps(rec[k])) == v
                   for k, v in want):
                n += 1
    print(n)


def main():
    args = sys.argv[1:]
    if args[:1] == ["count"] and len(args) >= 2 and all("=" in a for a in args[2:]):
        return count(args[1], args[2:])
    d, users, user, script, tls, git_root = None, [], None, None, None, None
    while args:
        a = args.pop(0)
        if a == "--dir" and args:
            d = args.pop(0)
        elif a == "--user" and args and user is None:
            user = args.pop(0)
        elif a == "--password" and args and user is not None:
            users.append((user, args.pop(0)))
            user = None
        elif a == "--script" and args:
            script = args.pop(0)
        elif a == "--tls" and len(args) >= 2:
            tls = (args.pop(0), args.pop(0))
        elif a == "--git-root" and args:
            git_root = os.path.abspath(args.pop(0))
        else:
            sys.exit("lfs_fake: bad argument %s (see the docstring)" % a)
    if not d or user is not None:
        sys.exit("lfs_fake: --dir D is required, and each --user needs a --password after it")
    d = os.path.abspath(d)
    for sub in ("objects", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    state = State(d, set(users or [("gitlab-ci-token", "test-job-token")]),
                  script and os.path.abspath(script), git_root)
    servers = []
    for secure in ([True, False] if tls else [False]):
        srv = Server(("127.0.0.1", 0), Handler)
        srv.state, srv.tls = state, secure
        port = srv.server_address[1]
        if secure:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            # The handshake happens in the request's thread, not in accept().
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
            state.tls_base = "https://localhost:%d" % port
        else:
            state.plain_base = "http://localhost:%d" % port
        servers.append(srv)
    if tls:
        with open(os.path.join(d, "plain.port.tmp"), "w") as f:
            f.write("%d\n" % servers[1].server_address[1])
        os.replace(os.path.join(d, "plain.port.tmp"), os.path.join(d, "plain.port"))
        threading.Thread(target=servers[1].serve_forever, daemon=True).start()
    print("PORT %d" % servers[0].server_address[1], flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
