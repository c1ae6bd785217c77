#!/usr/bin/env bash
# Self-test of lfs_fake.py against Debian's real git and git-lfs, over TLS with the
# fixture certificate: push 3 LFS files (one of 3 MiB) and clone them back byte for
# byte, then one request per script step type with a small python client.
# Prints ok/FAIL lines; exits non-zero when anything failed. --keep keeps the temp dir.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fake=$here/lfs_fake.py
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  if [ "${1:-}" = --keep ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap 'cleanup ${KEEP:-}' EXIT
[ "${1:-}" = --keep ] && KEEP=--keep
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
for t in git git-lfs python3 openssl /usr/lib/git-core/git-http-backend; do
  command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
done

mkdir -p "$tmp/tls" "$tmp/root/group" "$tmp/home"
"$here/../integration/fixtures/make-tls" "$tmp/tls" >/dev/null
git init -q --bare --initial-branch=main "$tmp/root/group/repo.git"
echo '{}' >"$tmp/script.json"
python3 "$fake" --dir "$tmp/srv" --user gitlab-ci-token --password test-job-token \
  --user reader --password 'p@ss w0rd' --tls "$tmp/tls/server.pem" "$tmp/tls/server.key" \
  --git-root "$tmp/root" --script "$tmp/script.json" >"$tmp/port" 2>"$tmp/srv.err" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(awk '/^PORT /{print $2}' "$tmp/port")
[ -n "$port" ] || { echo "FAIL the fake did not start: $(cat "$tmp/srv.err")"; exit 1; }
ok "started on port $port (plain listener on $(cat "$tmp/srv/plain.port"))"

export HOME=$tmp/home GIT_SSL_CAINFO=$tmp/tls/ca.pem GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
unset GIT_DIR GIT_WORK_TREE GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT
git config --global user.name "LFS Test"
git config --global user.email lfs@example.invalid
git config --global init.defaultBranch main
git lfs install >/dev/null
# The pusher's credentials come from a helper (after a 401), the cloner's from the URL.
# shellcheck disable=SC2016
git config --global credential.helper \
  '!f(){ [ "$1" = get ] || return 0; echo username=gitlab-ci-token; echo password=test-job-token; }; f'
count() { python3 "$fake" count "$tmp/srv" "$@"; }

# ---- real git + git-lfs: push, then clone ----
work=$tmp/work
git init -q "$work"
(
  cd "$work" &&
    git lfs track '*.bin' >/dev/null &&
    head -c 3145728 /dev/urandom >big.bin && echo small one >a.bin && printf 'second\0file\n' >b.bin &&
    echo readme >README && git add . && git commit -qm files &&
    git remote add origin "https://localhost:$port/group/repo.git" &&
    git push -q origin main >"$tmp/push.log" 2>&1
) || { cat "$tmp/push.log"; bad "git push with git-lfs"; }
check "git push stored the 3 LFS objects" test "$(find "$tmp/srv/objects" -type f | wc -l)" = 3
check "git push updated the bare repository" \
  test "$(git -C "$tmp/root/group/repo.git" rev-parse main 2>/dev/null)" = "$(git -C "$work" rev-parse main)"
check "the upload batch named the ref and 3 objects" \
  test "$(count route=batch operation=upload ref=refs/heads/main object_count=3)" -ge 1
check "the pusher authenticated as gitlab-ci-token" test "$(count route=git user=gitlab-ci-token)" -ge 2
check "3 PUTs, 3 verifies" test "$(count route=upload status=200)/$(count route=verify status=200)" = 3/3

git clone -q "https://reader:p%40ss%20w0rd@localhost:$port/group/repo.git" "$tmp/clone" >"$tmp/clone.log" 2>&1 ||
  { cat "$tmp/clone.log"; bad "git clone with git-lfs"; }
for f in big.bin a.bin b.bin README; do
  check "clone: $f is byte-identical" cmp -s "$work/$f" "$tmp/clone/$f"
done
check "the cloner authenticated as reader" test "$(count route=batch operation=download user=reader)" -ge 1
check "3 downloads" test "$(count route=download status=200)" = 3
check "no violations so far" test "$(count violation=null)" = "$(wc -l <"$tmp/srv/requests.jsonl")"

# A truncated download: real git-lfs retries it.
big=$(sha256sum "$work/big.bin" | cut -c1-64)
echo "{\"objects\": {\"$big\": [{\"truncate\": 1000}]}}" >"$tmp/script.json"
rm -rf "$tmp/clone/.git/lfs/objects"
(cd "$tmp/clone" && git lfs fetch >"$tmp/fetch.log" 2>&1) || { cat "$tmp/fetch.log"; bad "git lfs fetch after a truncated body"; }
check "git-lfs fetched big.bin again after a truncated body" \
  test "$(count route=download oid="$big")" = 3 -a -s "$tmp/clone/.git/lfs/objects/${big:0:2}/${big:2:2}/$big"
check "git-lfs resumed it with Range: bytes=1000- (206)" \
  test "$(count route=download oid="$big" range=bytes=1000-3145727 status=206)" = 1
echo '{}' >"$tmp/script.json"
check "git ls-remote over the plain listener" \
  git ls-remote -q --exit-code "http://localhost:$(cat "$tmp/srv/plain.port")/group/repo.git" main >/dev/null

# ---- each script step with a small client ----
python3 - "$tmp" "$port" "$big" <<'PY' || fails=$((fails + 1))
import base64, hashlib, http.client, json, os, socket, ssl, sys, time
tmp, port, big = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=tmp + "/tls/ca.pem")
failed = 0
BASIC = "Basic " + base64.b64encode(b"gitlab-ci-token:test-job-token").decode()
LFS = "application/vnd.git-lfs+json"
bigdata = open(tmp + "/work/big.bin", "rb").read()
small = hashlib.sha256(b"small one\n").hexdigest()

def check(what, cond):
    global failed
    print(("ok   " if cond else "FAIL ") + what)
    failed += not cond

def script(obj):
    with open(tmp + "/script.new", "w") as f:
        json.dump(obj, f)
    os.replace(tmp + "/script.new", tmp + "/script.json")

def log():
    with open(tmp + "/srv/requests.jsonl") as f:
        return [json.loads(l) for l in f]

conn = http.client.HTTPSConnection("localhost", port, context=ctx)

def req(method, path, body=None, headers=None, c=None):
    c = c or conn
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    c.request(method, path, body, headers or {})
    r = c.getresponse()
    return r, r.read()

def batch(op, oids, c=None, headers=None):
    h = {"Accept": LFS, "Content-Type": LFS, "Authorization": BASIC}
    h.update(headers or {})
    objs = [{"oid": o, "size": len(bigdata) if o == big else 10} for o in oids]
    r, b = req("POST", "/group/repo.git/info/lfs/objects/batch",
               {"operation": op, "transfers": ["basic"], "objects": objs}, h, c)
    return r, (json.loads(b) if r.getheader("Content-Type", "").startswith(LFS) else b)

r, b = batch("download", [big])
act = b["objects"][0]["actions"]["download"]
href, hdr = act["href"], act["header"]
path = href.split(str(port), 1)[1]
check("batch: 200, hash_algo, href on localhost:%d, Bearer header" % port,
      r.status == 200 and b["hash_algo"] == "sha256" and href.startswith("https://localhost:%d/_lfs/" % port)
      and hdr["Authorization"].startswith("Bearer ") and b["objects"][0]["authenticated"] is True)
sock = conn.sock
for _ in range(20):
    r, body = req("GET", path, headers=hdr)
check("keep-alive: 20 downloads on one connection, all whole", conn.sock is sock and body == bigdata)

r, b = req("POST", "/x/objects/batch", {"operation": "download", "objects": []}, {"Accept": LFS, "Content-Type": LFS})
check("401 without credentials: LFS-Authenticate, WWW-Authenticate, message",
      r.status == 401 and r.getheader("LFS-Authenticate") == 'Basic realm="Git LFS"'
      and r.getheader("WWW-Authenticate") == 'Basic realm="Git LFS"'
      and json.loads(b) == {"message": "Credentials needed"} and r.getheader("Content-Type") == LFS)
r, b = batch("download", [big], headers={"Accept": "application/json"})
check("violation: no LFS Accept -> 400 recorded", r.status == 400 and "accept" in log()[-1]["violation"])
r, b = batch("download", [big.upper()])
check("violation: upper-case oid -> 400 recorded", r.status == 400 and "oid" in log()[-1]["violation"])
r, b = batch("download", [big, "0" * 64])
check("batch: a missing object gets error 404", b["objects"][1]["error"]["code"] == 404)
r, b = req("GET", "/_lfs/objects/" + big, headers={"Authorization": BASIC})
check("download without the Bearer header -> 401", r.status == 401)

script({"batch": [{"status": 429, "headers": {"Retry-After": "1"}}]})
r, b = batch("download", [big])
r2, b2 = batch("download", [big])
check("step status 429 + Retry-After, then normal", r.status == 429 and r.getheader("Retry-After") == "1"
      and b == {"message": "429 Too Many Requests"} and r2.status == 200)

script({"generation": 2, "objects": {big: [{"delay": 1}, {"reset": True}, {"truncate": 1000}, {"corrupt": True},
                                            {"no_range": True}]}})
t = time.monotonic()
r, body = req("GET", path, headers=hdr)
check("step delay 1 s, then normal", time.monotonic() - t >= 1 and body == bigdata)
try:
    req("GET", path, headers=hdr)
    check("step reset", False)
except (ConnectionError, ssl.SSLError, http.client.HTTPException, OSError) as e:
    check("step reset (%s)" % type(e).__name__, log()[-1]["status"] == "reset")
conn.close()
try:
    r, body = req("GET", path, headers=hdr)
    check("step truncate", False)
except http.client.IncompleteRead as e:
    check("step truncate: full Content-Length, 1000 bytes, closed",
          r.getheader("Content-Length") == str(len(bigdata)) and len(e.partial) == 1000)
conn.close()
r, body = req("GET", path, headers=hdr)
check("step corrupt: right length, first byte inverted", len(body) == len(bigdata) and body != bigdata
      and body[0] == bigdata[0] ^ 0xFF and body[1:] == bigdata[1:])
r, body = req("GET", path, headers=dict(hdr, Range="bytes=10-19"))
check("step no_range: 200 with the whole object", r.status == 200 and body == bigdata)
r, body = req("GET", path, headers=dict(hdr, Range="bytes=10-19"))
check("Range bytes=10-19 -> 206", r.status == 206 and body == bigdata[10:20]
      and r.getheader("Content-Range") == "bytes 10-19/%d" % len(bigdata))
r, body = req("GET", path, headers=dict(hdr, Range="bytes=3000000-"))
check("Range bytes=3000000- -> 206", r.status == 206 and body == bigdata[3000000:]
      and r.getheader("Content-Range") == "bytes 3000000-%d/%d" % (len(bigdata) - 1, len(bigdata)))
r, body = req("GET", path, headers=dict(hdr, Range="bytes=%d-" % len(bigdata)))
check("Range past the end -> 416 bytes */total", r.status == 416
      and r.getheader("Content-Range") == "bytes */%d" % len(bigdata))
st = [x for x in log() if x["route"] == "download"][-8:]
check("the log: the objects:<oid> steps 0-4 in order",
      [(x["step_list"], x["step"]) for x in st[:5]] == [("objects:" + big, i) for i in range(5)])

script({"generation": 3, "batch": [{"expired": True}, {"object_error": {"code": 410, "message": "gone"}, "oid": small},
                                   {"href_base": "{plain_base}"}]})
r, b = batch("download", [big])
a = b["objects"][0]["actions"]["download"]
check("step expired: expires_in -1, expires_at in the past", a["expires_in"] == -1 and a["expires_at"] < "2100"
      and a["expires_at"] < time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
r, body = req("GET", path, headers=a["header"])
check("using the expired action -> 401, violation recorded", r.status == 401 and "expired" in log()[-1]["violation"])
r, b = batch("download", [big, small])
check("step object_error: 410 for that oid only", b["objects"][1]["error"] == {"code": 410, "message": "gone"}
      and "actions" in b["objects"][0])
r, b = batch("download", [big])
plain = int(open(tmp + "/srv/plain.port").read())
a = b["objects"][0]["actions"]["download"]
check("step href_base {plain_base}", a["href"] == "http://localhost:%d/_lfs/objects/%s" % (plain, big))
pc = http.client.HTTPConnection("localhost", plain)
r, body = req("GET", "/_lfs/objects/" + big, headers=a["header"], c=pc)
check("download over the plain listener", r.status == 200 and body == bigdata)

data = b"uploaded by the self-test\n"
oid = hashlib.sha256(data).hexdigest()
r, b = req("POST", "/custom/lfs/objects/batch", {"operation": "upload", "ref": {"name": "refs/heads/x"},
           "objects": [{"oid": oid, "size": len(data)}]}, {"Accept": LFS, "Content-Type": LFS, "Authorization": BASIC})
acts = json.loads(b)["objects"][0]["actions"]
r, _ = req("PUT", "/_lfs/objects/" + oid, data[:-1] + b"!", acts["upload"]["header"])
check("PUT with the wrong content -> 422", r.status == 422)
r, _ = req("POST", "/_lfs/verify", {"oid": oid, "size": len(data)}, dict(acts["verify"]["header"], Accept=LFS))
check("verify before the upload -> 404", r.status == 404)
script({"generation": 4, "upload": [{"status": 500}]})
r, _ = req("PUT", "/_lfs/objects/" + oid, data, acts["upload"]["header"])
r2, _ = req("PUT", "/_lfs/objects/" + oid, data, acts["upload"]["header"])
r3, _ = req("POST", "/_lfs/verify", {"oid": oid, "size": len(data)}, dict(acts["verify"]["header"], Accept=LFS))
check("step status 500 on upload, then PUT 200 and verify 200", (r.status, r2.status, r3.status) == (500, 200, 200))
r, b = req("POST", "/custom/lfs/objects/batch", {"operation": "upload", "objects": [{"oid": oid, "size": len(data)}]},
           {"Accept": LFS, "Content-Type": LFS, "Authorization": BASIC})
check("upload batch of a stored object: no actions", json.loads(b)["objects"][0] == {"oid": oid, "size": len(data)})

script({"generation": 5, "git": [{"status": 503}]})
g = "/group/repo.git/info/refs?service=git-upload-pack"
r, _ = req("GET", g, headers={"Authorization": BASIC})
r2, body = req("GET", g, headers={"Authorization": BASIC})
check("step status 503 on git, then the advertisement", r.status == 503 and r2.status == 200
      and r2.getheader("Content-Type") == "application/x-git-upload-pack-advertisement")

s = socket.create_connection(("127.0.0.1", plain))
s.sendall(b"GET /x HTTP/1.1\nHost: localhost\n\n")
answer = s.recv(4096)
check("violation: a bare LF request line -> 400 recorded", answer.startswith(b"HTTP/1.1 400 ")
      and "CRLF" in log()[-1]["violation"])
sys.exit(1 if failed else 0)
PY
check "count helper: downloads of big.bin with status 206" test "$(count route=download oid="$big" status=206)" = 3
[ -s "$tmp/srv.err" ] && { echo "--- server stderr:"; cat "$tmp/srv.err"; }
if [ "$fails" = 0 ]; then echo "lfs_fake selftest: all ok"; else echo "lfs_fake selftest: $fails FAILED"; exit 1; fi
