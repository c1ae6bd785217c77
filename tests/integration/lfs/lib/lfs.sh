# Shared by tests/integration/lfs/*.sh (sourced after lib.sh): Git LFS tests of
# `cihelper git lfs` / `cihelper git-lfs` against tests/servers/lfs_fake.py over
# TLS, with fixture repositories pushed by Debian's real git + git-lfs.
#
# lfs_setup
#   HOME=./home with a global config (identity, init.defaultBranch, the filters
#   `git lfs install --skip-repo` writes), GIT_SSL_CAINFO = the test CA, the
#   fixture repositories copied into ./gitroot and their objects into the
#   server's store, lfs_fake.py started with --git-root ./gitroot, --tls and the
#   users gitlab-ci-token/test-job-token and reader/'p@ss w0rd'. Sets:
#     PORT      the TLS port           BASE   https://localhost:PORT
#     ABASE     https://gitlab-ci-token:test-job-token@localhost:PORT
#     SRV       the fake's --dir (requests.jsonl, objects/)
#     SRC       the fixture worktrees as pushed: $SRC/project, $SRC/sub
#     OID_*     the objects (fixtures/oids.sh): OID_BIG, OID_SMALL, OID_TOOL,
#               OID_DEEP, OID_SHARED, OID_FEATURE, OID_SUB; SHA_MAIN, SHA_FEATURE
#     OB        ./ob: `git` and `git-lfs` running the binary under test
#     OURS_PATH $OB first, then the system; REAL_PATH the system only
# lfs_local_setup  the same HOME, config, OB and paths, without fixtures or server
# ours [-C DIR] CMD...   CMD (in DIR) with OURS_PATH: `git` and `git-lfs` are ours,
#                 and so is every nested call; ./out.txt, ./err.txt, $STATUS,
#                 $ELAPSED (ms)
# real [-C DIR] CMD...   CMD with REAL_PATH (Debian's git and git-lfs), as ours
# rgit ARGS...    /usr/bin/git with REAL_PATH, output to the caller
# clone_skip DIR [URL]   real git clone (GIT_LFS_SKIP_SMUDGE=1) of group/project
# lfs_script JSON        the fake's failure script (atomically)
# lfs_count FIELD=VALUE...   matching requests.jsonl lines (lfs_fake.py count)
# lfs_q PYEXPR           PYEXPR evaluated with reqs = the parsed requests.jsonl
# expect_worktree DIR [PATH...]   the LFS files of main (or PATHs) byte-identical
#                 to the fixture's, with its modes
# expect_objects DIR [OID...]     .git/lfs/objects/aa/bb/<oid>, content checked
# expect_pointer DIR PATH         the file is still the pointer git stores
# expect_no_violation             the fake saw no contract violation
# expect_ours_did_lfs             every batch and download request was ours
# (Its variables are for the tests that source it.)
# shellcheck disable=SC2034
true
set -u

LFS_FAKE=$CIH_TESTS/servers/lfs_fake.py
REAL_PATH=/usr/bin:/bin
LFS_USER=gitlab-ci-token
LFS_PASS=test-job-token
READER_PASS='p@ss w0rd'
READER_PASS_URL='p%40ss%20w0rd'
# Every file of main that LFS tracks (the empty one has no object).
LFS_FILES=(empty.bin small.bin big.bin tool.bin dir/sub/deep.bin same1.bin dir/same2.bin)

need_lfs_tools() {
  { [ -x /usr/bin/git ] && [ -x /usr/bin/git-lfs ]; } ||
    skip "Debian's git and git-lfs are not installed (scripts/install-test-deps)"
  [ -x /usr/lib/git-core/git-http-backend ] || skip "git-http-backend is not installed"
}

# The binary under test as NAME in DIR (a wrapper through qemu for foreign
# arches: -0 sets argv[0]).
ours_as() {
  mkdir -p "$1"
  if [ -z "${CIH_EXEC:-}" ]; then
    ln -sf "$CIH_BIN" "$1/$2"
  else
    printf '#!/bin/sh\nexec %s -0 %s "%s" "$@"\n' "$CIH_EXEC" "$2" "$CIH_BIN" >"$1/$2"
    chmod +x "$1/$2"
  fi
}

# A clean environment for git: only what the test sets steers it.
lfs_env() {
  unset GIT_DIR GIT_WORK_TREE GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT GIT_CONFIG_GLOBAL \
    GIT_CONFIG_SYSTEM XDG_CONFIG_HOME GIT_ASKPASS SSH_ASKPASS GIT_LFS_SKIP_SMUDGE GIT_TRACE \
    GIT_CURL_VERBOSE GIT_LFS_SKIP_PUSH GIT_SSH_COMMAND GIT_TEMPLATE_DIR
  export HOME=$1 GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_SSL_CAINFO=$CIH_FIXTURES/ca.pem
  mkdir -p "$HOME"
  PATH=$REAL_PATH git config --global user.name "LFS Test"
  PATH=$REAL_PATH git config --global user.email lfs@example.invalid
  PATH=$REAL_PATH git config --global init.defaultBranch main
  PATH=$REAL_PATH git config --global lfs.locksverify false
  # what the helper images do at build time (the runner never runs it)
  PATH=$REAL_PATH git lfs install --skip-repo >/dev/null || fail "git lfs install --skip-repo failed"
}

# fake_start DIR GITROOT [ARGS...]: lfs_fake.py with its --dir DIR; sets PORT.
fake_start() {
  local dir=$1 root=$2; shift 2
  mkdir -p "$dir"
  python3 "$LFS_FAKE" --dir "$dir" --user "$LFS_USER" --password "$LFS_PASS" \
    --user reader --password "$READER_PASS" \
    --tls "$CIH_FIXTURES/server.pem" "$CIH_FIXTURES/server.key" --git-root "$root" \
    --script "$dir/script.json" "$@" >"$dir.port" 2>"$dir.err" &
  PIDS+=($!)
  FAKE_PID=$!
  started "$dir.port" lfs_fake.py "$dir.err"
  PORT=$(awk '/^PORT /{print $2}' "$dir.port")
  [ -n "$PORT" ] || fail "lfs_fake.py did not start: $(cat "$dir.err")"
}

# bytes SEED SIZE: SIZE deterministic pseudo-random bytes on stdout
bytes() { python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(sys.argv[1]).randbytes(int(sys.argv[2])))' "$1" "$2"; }
sha() { sha256sum "$1" | cut -c1-64; }

# Builds the fixtures once per run into $CIH_FIXTURES/lfs (other tests wait on
# the lock): bare repositories group/project.git and group/sub.git, pushed by
# real git + git-lfs through a fake of its own, and the objects it stored.
#   project (main): .gitattributes (*.bin), README.md and notes.txt (not LFS),
#     empty.bin (0 B), small.bin, big.bin (2 MiB + 17 B), tool.bin (executable),
#     dir/sub/deep.bin, same1.bin + dir/same2.bin (one object, also sub's
#     shared.bin), submodule libs/sub (URL ../sub.git)
#   project (feature): main + feature.bin
#   sub (main): .gitattributes, sub.bin, shared.bin, sub.txt
lfs_fixtures() {
  local fx=$CIH_FIXTURES/lfs
  exec 9>"$CIH_FIXTURES/lfs.lock"
  flock 9
  if [ ! -e "$fx/done" ]; then
    rm -rf "$fx" "$fx.build"
    (lfs_build "$fx.build") >"$CIH_FIXTURES/lfs-build.log" 2>&1 ||
      { flock -u 9; fail "cannot build the LFS fixtures: $(tail -30 "$CIH_FIXTURES/lfs-build.log")"; }
    mv "$fx.build" "$fx"
    touch "$fx/done"
  fi
  flock -u 9
  exec 9>&-
}

lfs_build() {
  set -e
  local b=$1 sub_sha
  mkdir -p "$b/gitroot/group" "$b/src"
  lfs_env "$b/home"
  export PATH=$REAL_PATH
  git config --global credential.helper \
    "!f(){ [ \"\$1\" = get ] || return 0; echo username=$LFS_USER; echo password=$LFS_PASS; }; f"
  git init -q --bare "$b/gitroot/group/project.git"
  git init -q --bare "$b/gitroot/group/sub.git"
  fake_start "$b/srv" "$b/gitroot"
  trap 'kill "$FAKE_PID" 2>/dev/null || true' EXIT
  local base=https://localhost:$PORT

  git init -q "$b/src/sub"
  (
    cd "$b/src/sub"
    git lfs install --local >/dev/null
    printf '*.bin filter=lfs diff=lfs merge=lfs -text\n' >.gitattributes
    bytes sub 40000 >sub.bin
    bytes shared 48000 >shared.bin
    echo "the submodule" >sub.txt
    git add -A && git commit -q -m "sub: lfs files"
    git remote add origin "$base/group/sub.git"
    git push -q origin main
  )
  sub_sha=$(git -C "$b/src/sub" rev-parse HEAD)

  git init -q "$b/src/project"
  (
    cd "$b/src/project"
    git lfs install --local >/dev/null
    printf '*.bin filter=lfs diff=lfs merge=lfs -text\n' >.gitattributes
    printf '# LFS fixture\n' >README.md
    printf 'not an LFS file\n' >notes.txt
    : >empty.bin
    printf 'a small LFS object\n' >small.bin
    bytes big $((2 * 1048576 + 17)) >big.bin
    bytes tool 65536 >tool.bin && chmod 755 tool.bin
    mkdir -p dir/sub
    bytes deep 100000 >dir/sub/deep.bin
    bytes shared 48000 >same1.bin
    cp same1.bin dir/same2.bin
    printf '[submodule "libs/sub"]\n\tpath = libs/sub\n\turl = ../sub.git\n' >.gitmodules
    git add -A
    git update-index --add --cacheinfo "160000,$sub_sha,libs/sub"
    git commit -q -m "project: lfs files"
    git remote add origin "$base/group/project.git"
    git push -q origin main
    git checkout -q -b feature
    bytes feature 32768 >feature.bin
    git add feature.bin && git commit -q -m "feature: one more"
    git push -q origin feature
    git checkout -q main
  )
  kill "$FAKE_PID"
  mv "$b/srv/objects" "$b/objects"
  {
    echo "SHA_MAIN=$(git -C "$b/src/project" rev-parse main)"
    echo "SHA_FEATURE=$(git -C "$b/src/project" rev-parse feature)"
    echo "SHA_SUB=$sub_sha"
    echo "OID_SMALL=$(sha "$b/src/project/small.bin")"
    echo "OID_BIG=$(sha "$b/src/project/big.bin")"
    echo "OID_TOOL=$(sha "$b/src/project/tool.bin")"
    echo "OID_DEEP=$(sha "$b/src/project/dir/sub/deep.bin")"
    echo "OID_SHARED=$(sha "$b/src/project/same1.bin")"
    echo "OID_FEATURE=$(git -C "$b/src/project" show feature:feature.bin | sed -n 's/^oid sha256://p')"
    echo "OID_SUB=$(sha "$b/src/sub/sub.bin")"
  } >"$b/oids.sh"
  # feature.bin is not in main's worktree: its content apart
  bytes feature 32768 >"$b/feature.bin"
  # shellcheck disable=SC1091
  source "$b/oids.sh"
  for o in $OID_SMALL $OID_BIG $OID_TOOL $OID_DEEP $OID_SHARED $OID_FEATURE $OID_SUB; do
    [ -s "$b/objects/${o:0:2}/${o:2:2}/$o" ] || { echo "the push did not store $o"; exit 1; }
  done
  [ "$(find "$b/objects" -type f | wc -l)" = 7 ] || { echo "unexpected objects:"; find "$b/objects" -type f; exit 1; }
}

# lfs_local_setup: HOME, the config and $OB without fixtures and server
lfs_local_setup() {
  need_lfs_tools
  LFS_T=$PWD
  lfs_env "$PWD/home"
  OB=$PWD/ob
  ours_as "$OB" git
  ours_as "$OB" git-lfs
  OURS_PATH=$OB:$REAL_PATH
}

lfs_setup() {
  need_lfs_tools
  lfs_fixtures
  local fx=$CIH_FIXTURES/lfs
  SRC=$fx/src
  FEATURE_BIN=$fx/feature.bin
  # shellcheck disable=SC1091
  source "$fx/oids.sh"
  LFS_T=$PWD
  lfs_env "$PWD/home"
  SRV=$PWD/srv
  mkdir -p "$SRV" gitroot
  cp -a "$fx/gitroot/." gitroot/
  cp -al "$fx/objects" "$SRV/objects"
  fake_start "$SRV" "$PWD/gitroot"
  BASE=https://localhost:$PORT
  ABASE=https://$LFS_USER:$LFS_PASS@localhost:$PORT
  OB=$PWD/ob
  ours_as "$OB" git
  ours_as "$OB" git-lfs
  OURS_PATH=$OB:$REAL_PATH
}

# [-C DIR] CMD...: CMD in DIR (default .); out.txt and err.txt stay in the test's dir
ours() { lfs_run "$OURS_PATH" "$@"; }
real() { lfs_run "$REAL_PATH" "$@"; }
lfs_run() {
  local path=$1 dir=. t0 t1; shift
  if [ "$1" = -C ]; then dir=$2; shift 2; fi
  t0=$(date +%s%N)
  (cd "$dir" && PATH=$path exec timeout -k 10 "${CIH_TIMEOUT:-120}" "$@") >"$LFS_T/out.txt" 2>"$LFS_T/err.txt"
  STATUS=$?
  t1=$(date +%s%N)
  ELAPSED=$(((t1 - t0) / 1000000))
}
rgit() { PATH=$REAL_PATH /usr/bin/git "$@"; }
# ok: the last ours/real call succeeded
expect_ok() { [ "$STATUS" = 0 ] || fail "exit status $STATUS, want 0"; }

clone_skip() {
  GIT_LFS_SKIP_SMUDGE=1 rgit clone -q "${2:-$ABASE/group/project.git}" "$1" >clone.log 2>&1 ||
    fail "git clone ${2:-} failed: $(cat clone.log)"
}

lfs_script() { printf '%s\n' "$1" >"$SRV/script.json.tmp" && mv "$SRV/script.json.tmp" "$SRV/script.json"; }
lfs_count() { python3 "$LFS_FAKE" count "$SRV" "$@"; }
lfs_q() {
  python3 - "$SRV/requests.jsonl" "$1" <<'PY'
import json, os, sys
reqs = [json.loads(l) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
print(eval(sys.argv[2]))
PY
}
# the batch endpoints (P of P/objects/batch) asked, in order, one per line
batch_endpoints() { lfs_q '"\n".join(r["endpoint"] for r in reqs if r["route"] == "batch")'; }
# every batch and download request came from ours (its User-Agent), none from
# Debian's git-lfs
expect_ours_did_lfs() {
  local uas
  uas=$(lfs_q '" | ".join(sorted(set(v for r in reqs if r["route"] in ("batch", "download") for k, v in r["headers"] if k.lower() == "user-agent")))')
  case $uas in *cihelper*) ;; *) fail "the LFS requests did not come from ours: '$uas'" ;; esac
  case $uas in *GitHub*) fail "Debian's git-lfs made LFS requests: $uas" ;; esac
}
expect_no_violation() {
  local v
  v=$(lfs_q '"\n".join("%s %s: %s" % (r["method"], r["path"], r["violation"]) for r in reqs if r.get("violation"))')
  [ -z "$v" ] || fail "the LFS fake saw contract violations: $v"
}

src_of() {  # PATH: the fixture file with that content
  case $1 in
    feature.bin) echo "$FEATURE_BIN" ;;
    libs/sub/*) echo "$SRC/sub/${1#libs/sub/}" ;;
    *) echo "$SRC/project/$1" ;;
  esac
}
expect_worktree() {
  local dir=$1 f; shift
  [ $# -gt 0 ] || set -- "${LFS_FILES[@]}"
  for f in "$@"; do
    [ -f "$dir/$f" ] || fail "$dir/$f is missing"
    cmp -s "$(src_of "$f")" "$dir/$f" ||
      fail "$dir/$f differs from the pushed content ($(wc -c <"$dir/$f") bytes: $(head -c 120 "$dir/$f" | tr -c '[:print:]' .))"
    [ "$(stat -c %a "$(src_of "$f")")" = "$(stat -c %a "$dir/$f")" ] ||
      fail "$dir/$f has mode $(stat -c %a "$dir/$f"), want $(stat -c %a "$(src_of "$f")")"
  done
}
expect_objects() {
  local dir=$1 o p gd; shift
  [ $# -gt 0 ] || set -- "$OID_SMALL" "$OID_BIG" "$OID_TOOL" "$OID_DEEP" "$OID_SHARED"
  gd=$(rgit -C "$dir" rev-parse --absolute-git-dir) || fail "$dir is not a repository"
  for o in "$@"; do
    p=$gd/lfs/objects/${o:0:2}/${o:2:2}/$o
    [ -f "$p" ] || fail "$p is missing"
    [ "$(sha "$p")" = "$o" ] || fail "$p does not hash to its oid"
  done
}
expect_no_object() {
  local dir=$1 o gd; shift
  gd=$(rgit -C "$dir" rev-parse --absolute-git-dir) || fail "$dir is not a repository"
  for o in "$@"; do
    [ ! -e "$gd/lfs/objects/${o:0:2}/${o:2:2}/$o" ] || fail "object $o is in $gd/lfs/objects"
  done
}
expect_pointer() {
  local want
  want=$(rgit -C "$1" cat-file blob "HEAD:$2" | sha256sum)
  [ "$(sha256sum <"$1/$2")" = "$want" ] ||
    fail "$1/$2 is not the pointer committed: $(head -c 200 "$1/$2" | tr -c '[:print:]' .)"
  grep -q '^version https://git-lfs.github.com/spec/v1$' "$1/$2" || fail "$1/$2 is not a pointer"
}
# real git's view of a repository ours worked on: status clean, git-lfs's fsck ok.
# (Debian's git-lfs installs its hooks in a repository it runs in, through `git
# status` too: those are taken away again, so later steps run as they would have.)
keep_hooks() {  # DIR CMD...: CMD, then the git-lfs hooks it added are removed
  local gd hooks h rc
  gd=$(rgit -C "$1" rev-parse --absolute-git-dir) || fail "$1 is not a repository"
  hooks=" $(cd "$gd/hooks" 2>/dev/null && printf '%s ' *)"
  shift
  "$@"
  rc=$?
  for h in post-checkout post-commit post-merge pre-push; do
    case $hooks in *" $h "*) ;; *) rm -f "$gd/hooks/$h" ;; esac
  done
  return $rc
}
expect_clean() {
  local st
  st=$(keep_hooks "$1" rgit -C "$1" status --porcelain 2>&1) || fail "git status in $1 failed: $st"
  [ -z "$st" ] || fail "git status --porcelain in $1 is not empty: $st"
}
expect_fsck_ok() {
  local o
  o=$(cd "$1" && keep_hooks . env PATH="$REAL_PATH" git lfs fsck 2>&1)
  case $o in *"Git LFS fsck OK"*) ;; *) fail "real git lfs fsck in $1: $o" ;; esac
}
# the stdout and stderr of the last call must not hold S
expect_secret_absent() {
  ! grep -qF -- "$1" out.txt err.txt || fail "the output shows the secret '$1'"
}
