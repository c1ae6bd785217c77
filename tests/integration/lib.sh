# Sourced by every integration test. The test runs in its own scratch directory.
# cih ARGS...          run the binary under test (through qemu for foreign arches)
# run ARGS...          cih with stdout in out.txt, stderr in err.txt, status in $STATUS
# run_as NAME ARGS...  the same, with argv[0] = NAME (a symlink to the binary)
set -u
# Only what a test sets may steer the binary.
unset SSL_CERT_FILE SSL_CERT_DIR GIT_SSL_CAINFO GIT_SSL_NO_VERIFY LOG_LEVEL LOG_FORMAT RUNNER_DEBUG
for v in $(env | sed -n 's/^\(CI_[A-Za-z0-9_]*\|[A-Za-z0-9_]*_TCP_\(PORT\|ADDR\)\)=.*/\1/p'); do unset "$v"; done
STATUS=0
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; true' EXIT

# No call may hang the suite: health-check, for one, retries for ever by design.
cih() { timeout -k 10 "${CIH_TIMEOUT:-60}" $CIH_EXEC "$CIH_BIN" "$@"; }
run() { cih "$@" >out.txt 2>err.txt; STATUS=$?; }
run_as() {
  local name=$1; shift
  ln -sf "$CIH_BIN" "./$name"
  timeout -k 10 "${CIH_TIMEOUT:-60}" $CIH_EXEC "./$name" "$@" >out.txt 2>err.txt; STATUS=$?
}

fail() {
  echo "FAIL: $*"
  echo "--- exit status: $STATUS"
  echo "--- stdout:"; cat out.txt 2>/dev/null
  echo "--- stderr:"; cat err.txt 2>/dev/null
  exit 1
}
expect_status() { [ "$STATUS" = "$1" ] || fail "exit status $STATUS, want $1"; }
# cih with a bare environment plus NAME=VALUE pairs (env -i), for env-discovery cases.
run_env() {
  local vars=()
  while [ $# -gt 0 ] && [[ $1 == *=* ]]; do vars+=("$1"); shift; done
  env -i PATH="$PATH" "${vars[@]}" timeout -k 10 "${CIH_TIMEOUT:-60}" $CIH_EXEC "$CIH_BIN" "$@" >out.txt 2>err.txt
  STATUS=$?
}
expect_out() { grep -qF -- "$1" out.txt || fail "stdout lacks: $1"; }
expect_err() { grep -qF -- "$1" err.txt || fail "stderr lacks: $1"; }
expect_no_out() { ! grep -qF -- "$1" out.txt || fail "stdout has: $1"; }
expect_no_err() { ! grep -qF -- "$1" err.txt || fail "stderr has: $1"; }
expect_out_eq() { printf '%s\n' "$1" | diff -u - out.txt >diff.txt || fail "stdout differs: $(cat diff.txt)"; }
expect_err_eq() { printf '%s\n' "$1" | diff -u - err.txt >diff.txt || fail "stderr differs: $(cat diff.txt)"; }
# The runner log format without colour codes, for readable comparisons.
plain_err() { sed 's/\x1b\[[0-9;]*m//g' err.txt; }
expect_plain() { plain_err | grep -qF -- "$1" || fail "stderr lacks: $1"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# listen PORT [DELAY]: accept TCP connections on 127.0.0.1:PORT after DELAY seconds.
listen() {
  python3 - "$1" "${2:-0}" <<'PY' &
import socket, sys, time
time.sleep(float(sys.argv[2]))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); c.close()
PY
  PIDS+=($!)
}
# listen_silent PORT: accept and hold connections open, never answering.
listen_silent() {
  python3 - "$1" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
PY
  PIDS+=($!)
}
# port_up PORT [PID]: waits (30 s at most) until something accepts on 127.0.0.1:PORT;
# returns 1 as soon as PID (the server) has exited. free_port's port can be taken
# by another test's connection before the server binds it: then the server exits
# at once and its caller retries on a new port (server_retry).
port_up() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    [ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# wait_port PORT [PID]: port_up, or the test fails.
wait_port() { port_up "$@" || fail "nothing listens on port $1"; }
# server_retry FN [ARGS...]: runs FN PORT ARGS... (which starts one server on
# 127.0.0.1:PORT in the background, last) on a fresh free port until it listens,
# 5 tries; sets $PORT. FN's server is added to PIDS.
server_retry() {
  local fn=$1 try; shift
  for try in 1 2 3 4 5; do
    PORT=$(free_port)
    "$fn" "$PORT" "$@"
    PIDS+=($!)
    port_up "$PORT" "$!" && return 0
    kill "$!" 2>/dev/null || true
  done
  fail "$fn: no server listened on 127.0.0.1 after 5 ports"
}

# skip REASON: end the test as skipped; the runner prints "skip <area>/<test>: REASON".
skip() { echo "SKIP: $*"; exit 77; }

# Object stores (tests/servers/objstore.js) need tests/npm's packages, which
# scripts/install-test-deps puts in npm_dir (or $CIH_NPM_DIR names them).
npm_dir() { echo "${CIH_NPM_DIR:-$("$CIH_TESTS/../scripts/npm-prefix")}"; }
# need_npm: NODE_PATH for objstore, or the test skips.
need_npm() {
  command -v node >/dev/null || skip "node is not installed (object-store tests need node >= 18)"
  local d; d=$(npm_dir)
  [ -d "$d" ] || skip "no node packages in $d (scripts/install-test-deps installs them; it needs node >= 18 and the npm registry)"
  export NODE_PATH=$d
}
objstore() { node "$CIH_TESTS/servers/objstore.js" "$@"; }
# started FILE WHAT [LOG]: waits (30 s at most, less if the server exits) until
# the server started last ($!) has written its port line to FILE; fails with LOG.
started() {
  local pid=$!
  for _ in $(seq 300); do
    [ -s "$1" ] && return 0
    kill -0 "$pid" 2>/dev/null || { sleep 0.1; break; }
    sleep 0.1
  done
  [ -s "$1" ] || fail "$2 did not start${3:+: $(cat "$3" 2>/dev/null)}"
}
# objstore_server s3|azure: starts the fake on a free port; sets $ENDPOINT.
objstore_server() {
  need_npm
  node "$CIH_TESTS/servers/objstore.js" "$1" --dir "$PWD/$1-data" >"$1.port" 2>"$1.log" &
  PIDS+=($!)
  started "$1.port" "the $1 object store" "$1.log"
  ENDPOINT=http://127.0.0.1:$(awk '{print $2}' "$1.port")
}

# fake_server: tests/servers/http_fake.py serving (and storing PUTs into) ./srv under
# /file/; sets $BASE.
fake_server() {
  mkdir -p srv
  python3 "$CIH_TESTS/servers/http_fake.py" --root "$PWD/srv" >port.txt 2>http_fake.log &
  PIDS+=($!)
  started port.txt http_fake.py http_fake.log
  BASE="http://127.0.0.1:$(awk '{print $2}' port.txt)"
}

# gitlab_server [ARGS...]: the strict jobs-API fake (tests/servers/gitlab_fake.py) on
# a free port with ./gl as its directory; sets $GL (the --url to give) and $TOKEN.
# gl/requests.jsonl holds every request; gl/script.json (gl_script) injects failures.
gitlab_server() {
  mkdir -p gl
  TOKEN=test-job-token
  python3 "$CIH_TESTS/servers/gitlab_fake.py" --dir "$PWD/gl" --script "$PWD/gl/script.json" "$@" >gl.port 2>gl.log &
  PIDS+=($!)
  started gl.port "the GitLab fake" gl.log
  GL="http://127.0.0.1:$(awk '{print $2}' gl.port)"
}
# gl_script JSON: the fake's failure script (read on every request).
gl_script() { printf '%s\n' "$1" > gl/script.json.tmp && mv gl/script.json.tmp gl/script.json; }
# gl_requests: how many requests the fake has seen.
gl_requests() { [ -f gl/requests.jsonl ] && wc -l < gl/requests.jsonl || echo 0; }
# gl_req N PYEXPR: evaluates PYEXPR with r = request N (1-based; -1 the last), prints it.
gl_req() {
  python3 - "$1" "$2" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open("gl/requests.jsonl")]
n = int(sys.argv[1]); r = reqs[n - 1 if n > 0 else n]
print(eval(sys.argv[2]))
PY
}
