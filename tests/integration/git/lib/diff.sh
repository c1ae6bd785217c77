# Differential harness for the git look-alike: one scenario, run once with
# Debian's real git and once with ours (cihelper as `git`), from identical
# starting states, through runner-shaped get-sources scripts (lib/runner-script)
# against a real HTTPS git server (lib/server.sh). Sourced after lib.sh.
#
#   GITDIFF_OURS=real   both sides use real git (validates the harness itself)
#   GD_NATIVE=1         (per scenario) the ours side runs `cihelper get-sources`
#                       with the job's environment (runner-script --emit-env)
#                       instead of the script with our git; with
#                       GITDIFF_OURS=real it runs the script with real git
#
# A scenario is a set of GD_* variables, then `gd_run`:
#   gd_reset                 defaults below; call first in every scenario
#   GD_ARGS=(...)            runner-script options of the run under test; the
#                            harness adds --build-dir --root-dir --repo-url
#                            --server-url --token --ca-file
#   GD_START=fresh           fresh: no build dir
#                            prev:  after a previous job (GD_PREV, server state 1)
#                            dirty: prev + modified/deleted tracked files,
#                                   untracked, ignored and keep.txt files, dirt
#                                   inside sub-a when it is there
#                            locks: prev + stale index/shallow/HEAD/config/ref
#                                   locks and a post-checkout hook
#                            oldconfig: prev + a token-bearing remote URL, a
#                                   stale include.path and a hook, as an older
#                                   runner (or a job) left them
#   GD_PREV=(...)            runner-script options of the previous job
#   GD_PREV_GIT=real         real: the previous job runs once with real git and
#                            both sides start from a copy of it; own: each side
#                            runs it with its own git
#   GD_STATE=2               server state for the run under test (1 or 2)
#   GD_ATTEMPTS=1            GET_SOURCES_ATTEMPTS: on failure, clear_worktree
#                            (before the 2nd attempt only) and get_sources again
#   GD_BEFORE=fn             called before each side's run under test (arm faults)
#   GD_COMPARE=full          full | outcome (worktree, HEAD, fsck, status only:
#                            for native clone, where real git 2.39 falls back)
#   GD_CMP_STDERR=1          0: git's own messages are not compared (faults)
#   GD_EXPECT=ok             ok | fail: how the real run must end
#   GD_BASE=$GIT_BASE        server base URL (GIT_PROXY_BASE for fault scenarios)
#   GD_TOKEN GD_CA           the job token / CA file the job gets, when not the good ones
#   GD_NATIVE=0              1: ours = `cihelper get-sources` (all attempts in one
#                            run, backoff 0s); the harness's attempt markers and
#                            ours' retry lines are left out of the text comparison,
#                            the exit status of each attempt is read from those lines
#   GD_NATIVE_SED=""         a sed script applied to ours' job environment (native)
# After gd_run: side dirs $PWD/real and $PWD/ours hold each run's builds dir,
# out/err files and snapshot; gd_both CMD... runs an assertion on both sides.

GD_PROJ_REL=builds/group/project

gd_reset() {
  GD_ARGS=() GD_PREV=() GD_START=fresh GD_PREV_GIT=real GD_STATE=2 GD_ATTEMPTS=1
  GD_BEFORE="" GD_COMPARE=full GD_CMP_STDERR=1 GD_EXPECT=ok GD_BASE=$GIT_BASE
  GD_TOKEN="" GD_CA="" GD_NATIVE=0 GD_NATIVE_SED=""
}
gd_native() { [ "$GD_NATIVE" = 1 ] && [ "${GITDIFF_OURS:-}" != real ]; }

# The git each side puts first on PATH.
gd_bins() {
  mkdir -p gdbin/real gdbin/ours
  ln -sfn /usr/bin/git gdbin/real/git
  # The reference side runs Debian's git-lfs, ours its own `git lfs`. GITDIFF_LFS=0
  # gives the reference side a git without git-lfs ("git lfs version" fails).
  if [ "${GITDIFF_LFS:-1}" != 1 ]; then
    printf '#!/bin/sh\necho "git: '"'"'lfs'"'"' is not a git command. See '"'"'git --help'"'"'." >&2\nexit 1\n' >gdbin/real/git-lfs
    chmod +x gdbin/real/git-lfs
  fi
  if [ "${GITDIFF_OURS:-}" = real ]; then
    ln -sfn /usr/bin/git gdbin/ours/git
    [ ! -e gdbin/real/git-lfs ] || cp gdbin/real/git-lfs gdbin/ours/git-lfs
  elif [ -n "${CIH_EXEC:-}" ]; then
    rm -f gdbin/ours/git
    printf '#!/bin/sh\nexec %s -0 git "%s" "$@"\n' "$CIH_EXEC" "$CIH_BIN" >gdbin/ours/git
    chmod +x gdbin/ours/git
  else
    ln -sfn "$CIH_BIN" gdbin/ours/git
  fi
}

# gd_script OUT STAGE ARGS...: writes a runner script for the workspace $PWD/ws
gd_script() {
  local out=$1 stage=$2; shift 2
  local host=${GD_BASE#https://}; host=${host#http://}
  "$GIT_LIB/runner-script" --stage "$stage" --build-dir "$PWD/ws/$GD_PROJ_REL" --root-dir "$PWD/ws/builds" \
    --repo-url "${GD_BASE%%://*}://gitlab-ci-token:${GD_TOKEN:-$JOB_TOKEN}@$host/group/project.git" \
    --server-url "$GD_BASE/" --token "${GD_TOKEN:-$JOB_TOKEN}" --ca-file "${GD_CA:-$CIH_FIXTURES/ca.pem}" \
    "$@" >"$out" ||
    fail "runner-script failed for: $*"
}

# gd_exec SIDE SCRIPT OUT ERR: runs a script in $PWD/ws with SIDE's git; sets GD_RC
gd_exec() {
  local side=$1
  mkdir -p "$PWD/ws/home" "$PWD/tmp-$side"
  timeout "${GD_TIMEOUT:-180}" env -i PATH="$PWD/gdbin/$side:/usr/local/bin:/usr/bin:/bin" \
    HOME="$PWD/ws/home" TMPDIR="$PWD/tmp-$side" GIT_CONFIG_NOSYSTEM=1 bash <"$2" >"$3" 2>"$4"
  GD_RC=$?
}

# gd_exec_native OUT ERR: `cihelper get-sources` in $PWD/ws, every attempt in one
# run, with the job environment of scripts/native.env; sets GD_RC and writes
# ours.rcs from its retry lines
gd_exec_native() {
  local vars=() tmp=$PWD/ws/$GD_PROJ_REL.tmp
  mapfile -t vars <scripts/native.env
  mkdir -p "$PWD/ws/home" "$PWD/tmp-ours" "$tmp"
  # the runner writes file variables into the temp dir before the stage
  cp "${GD_CA:-$CIH_FIXTURES/ca.pem}" "$tmp/CI_SERVER_TLS_CA_FILE"
  # shellcheck disable=SC2086
  timeout "${GD_TIMEOUT:-180}" env -i PATH="$PWD/gdbin/ours:/usr/local/bin:/usr/bin:/bin" \
    HOME="$PWD/ws/home" TMPDIR="$PWD/tmp-ours" GIT_CONFIG_NOSYSTEM=1 "${vars[@]}" \
    GET_SOURCES_ATTEMPTS="$GD_ATTEMPTS" CIHELPER_GET_SOURCES_RETRY_BACKOFF=0s \
    $CIH_EXEC "$CIH_BIN" get-sources >"$1" 2>"$2"
  GD_RC=$?
  awk -v rc="$GD_RC" '
    function num(s) { sub(/.*exit status /, "", s); sub(/[^0-9].*$/, "", s); return s }
    function flush() { if (pend) print "clear_worktree 0"; pend = 0 }
    /WARNING: clear_worktree failed with exit status/ { print "clear_worktree " num($0); pend = 0; next }
    /WARNING: Retrying\.\.\. attempt [0-9]+ of/ {
      flush(); a = $0; sub(/.*attempt /, "", a); print "get_sources " num($0); if (a + 0 == 1) pend = 1; next }
    END { flush(); print "get_sources " rc }' "$1" >ours.rcs
}

# gd_prepare_start: leaves the starting state in $PWD/ws for one side
gd_mutate() {
  local p=ws/$GD_PROJ_REL
  case $GD_START in
    dirty)
      echo modified >>"$p/README.md"
      rm -f "$p/dir/renamed.txt" "$p/script.sh"
      echo untracked >"$p/untracked.txt"
      echo keep >"$p/keep.txt"
      mkdir -p "$p/build" "$p/newdir/deeper" && echo o >"$p/build/out.log" && echo l >"$p/a.log"
      echo n >"$p/newdir/deeper/n.txt"
      if [ -f "$p/sub-a/a.txt" ]; then
        echo dirt >>"$p/sub-a/a.txt"; echo junk >"$p/sub-a/junk.txt"
      fi
      ;;
    locks)
      : >"$p/.git/index.lock"; : >"$p/.git/shallow.lock"; : >"$p/.git/HEAD.lock"; : >"$p/.git/config.lock"
      mkdir -p "$p/.git/refs/heads" "$p/.git/refs/pipelines" "$p/.git/hooks"
      : >"$p/.git/refs/heads/stale.lock"; : >"$p/.git/refs/pipelines/100.lock"
      printf '#!/bin/sh\necho HOOK RAN >&2\ntouch "$GIT_DIR/../hook-ran"\n' >"$p/.git/hooks/post-checkout"
      chmod +x "$p/.git/hooks/post-checkout"
      if [ -d "$p/.git/modules/sub-a" ]; then
        : >"$p/.git/modules/sub-a/index.lock"; : >"$p/.git/modules/sub-a/HEAD.lock"
      fi
      ;;
    oldconfig)
      /usr/bin/git config --file "$p/.git/config" remote.origin.url \
        "${GD_BASE%%://*}://gitlab-ci-token:OLD-token-from-an-older-job@${GD_BASE#*://}/group/project.git"
      /usr/bin/git config --file "$p/.git/config" --add include.path /old/builds/group/project.tmp/.gitlab-runner.ext.conf
      /usr/bin/git config --file "$p/.git/config" --add include.path /etc/keep-me.conf
      mkdir -p "$p/.git/hooks"
      printf '#!/bin/sh\ntouch "$GIT_DIR/../hook-ran"\n' >"$p/.git/hooks/post-checkout"
      chmod +x "$p/.git/hooks/post-checkout"
      ;;
  esac
}

# gd_run_side SIDE: one whole side of the scenario; leaves $PWD/SIDE
gd_run_side() {
  local side=$1 a
  rm -rf ws "tmp-$side"; mkdir -p ws
  if [ "$GD_START" != fresh ]; then
    if [ "$GD_PREV_GIT" = real ]; then
      cp -a start/. ws/
    else
      git_state 1
      gd_exec "$side" scripts/prev.sh "$side.prev.out" "$side.prev.err"
      [ "$GD_RC" = 0 ] || gd_fail "the previous job failed on the $side side (exit $GD_RC)" \
        "$side.prev.out" "$side.prev.err"
      gd_mutate
    fi
  fi
  git_state "$GD_STATE"
  [ -z "$GD_BEFORE" ] || "$GD_BEFORE" "$side"
  : >"$side.out"; : >"$side.err"; : >"$side.rcs"
  if [ "$side" = ours ] && gd_native; then
    gd_exec_native "$side.out" "$side.err"
    a=$((GD_ATTEMPTS + 1))
  else
    a=1
  fi
  for (( ; a <= GD_ATTEMPTS; a++)); do
    if [ "$a" = 2 ]; then
      echo "--- clear_worktree" >>"$side.out"
      gd_exec "$side" scripts/clear.sh "$side.out.tmp" "$side.err.tmp"
      cat "$side.out.tmp" >>"$side.out"; cat "$side.err.tmp" >>"$side.err"
      echo "clear_worktree $GD_RC" >>"$side.rcs"
    fi
    [ "$GD_ATTEMPTS" = 1 ] || { echo "--- attempt $a" >>"$side.out"; echo "--- attempt $a" >>"$side.err"; }
    gd_exec "$side" scripts/get_sources.sh "$side.out.tmp" "$side.err.tmp"
    cat "$side.out.tmp" >>"$side.out"; cat "$side.err.tmp" >>"$side.err"
    echo "get_sources $GD_RC" >>"$side.rcs"
    [ "$GD_RC" = 0 ] && break
  done
  rm -f "$side.out.tmp" "$side.err.tmp"
  echo "$GD_RC" >"$side.rc"
  "$GIT_LIB/snapshot" "$PWD/ws" "$PWD/ws/$GD_PROJ_REL" "$side.snap" "$JOB_TOKEN" ||
    fail "snapshot failed on the $side side"
  rm -rf "$side"; mv ws "$side"
}

gd_fail() {  # message [files to show]
  local m=$1; shift
  echo "FAIL: $m"
  local f
  for f in "$@"; do [ -e "$f" ] && { echo "--- $f:"; sed 's/\x1b\[[0-9;]*m//g' "$f" | tail -60; }; done
  gd_server_logs
  exit 1
}
gd_server_logs() {
  [ -n "${GITSRV:-}" ] || return 0
  echo "--- server errors (tail):"; grep -v 'server started' "$GITSRV/lighttpd.err" 2>/dev/null | tail -10
  [ -s "$GITSRV/proxy.log" ] && { echo "--- proxy log (tail):"; tail -30 "$GITSRV/proxy.log"; }
  return 0
}

# gd_prepare: each side's git on PATH, and the scenario's stage scripts (and the
# environment of the native run)
gd_prepare() {
  gd_bins
  mkdir -p scripts
  gd_script scripts/get_sources.sh get_sources "${GD_ARGS[@]}"
  gd_script scripts/clear.sh clear_worktree "${GD_ARGS[@]}"
  if gd_native; then
    gd_script scripts/native.env get_sources --emit-env "${GD_ARGS[@]}"
    [ -z "$GD_NATIVE_SED" ] || sed -i "$GD_NATIVE_SED" scripts/native.env
  fi
}

# gd_run: the scenario on both sides, then every comparison and assertion
gd_run() {
  GD_TOP=$PWD GD_TOKENLESS=0
  local i
  for ((i = 0; i < ${#GD_ARGS[@]}; i++)); do
    [ "${GD_ARGS[i]}" = --ff-git-urls-without-tokens ] && [ "${GD_ARGS[i+1]:-}" = true ] && GD_TOKENLESS=1
  done
  gd_prepare
  if [ "$GD_START" != fresh ]; then
    [ ${#GD_PREV[@]} != 0 ] || fail "GD_START=$GD_START needs GD_PREV"
    gd_script scripts/prev.sh get_sources "${GD_PREV[@]}"
    if [ "$GD_PREV_GIT" = real ]; then
      rm -rf ws start; mkdir -p ws
      git_state 1
      gd_exec real scripts/prev.sh prev.out prev.err
      [ "$GD_RC" = 0 ] || gd_fail "the previous job failed with real git (exit $GD_RC)" prev.out prev.err
      gd_mutate
      mv ws start
    fi
  fi
  gd_run_side real
  case "$GD_EXPECT:$(cat real.rc)" in
    ok:0) ;;
    fail:0) gd_fail "the real run was meant to fail but succeeded" real.out real.err ;;
    fail:*) ;;
    *) gd_fail "the real run failed (exit $(cat real.rc)): the scenario is broken" real.out real.err ;;
  esac
  gd_run_side ours
  gd_compare
}

gd_compare() {
  local d=gd-diff.txt
  : >$d
  cmp -s real.rcs ours.rcs || { echo "=== exit statuses differ (real | ours):"; diff real.rcs ours.rcs; } >>$d
  if [ "$GD_COMPARE" = full ]; then
    if gd_native; then  # the harness's attempt markers vs ours' retry lines
      grep -v '^--- \(clear_worktree\|attempt [0-9]*\)$' real.out >real.out.cmp
      grep -v '^--- attempt [0-9]*$' real.err >real.err.cmp
      grep -v 'WARNING: \(Retrying\.\.\. attempt\|clear_worktree failed\)' ours.out >ours.out.cmp
      grep -v 'get-sources failed after [0-9]* attempt' ours.err >ours.err.cmp
    else
      cp real.out real.out.cmp; cp real.err real.err.cmp; cp ours.out ours.out.cmp; cp ours.err ours.err.cmp
    fi
    gd_cmp_text real.out.cmp ours.out.cmp "stdout" >>$d
    [ "$GD_CMP_STDERR" = 0 ] || gd_cmp_text real.err.cmp ours.err.cmp "stderr" >>$d
    diff -ru real.snap ours.snap --exclude=fsck.txt >>$d 2>&1
  else
    diff -u real.snap/tree.txt ours.snap/tree.txt >>$d 2>&1
    local r
    for r in real.snap/repo*; do
      diff -u <(sed -n '/^HEAD:/p;/^status/,$p' "$r") <(sed -n '/^HEAD:/p;/^status/,$p' "ours.snap/${r#real.snap/}" 2>&1) \
        >>$d 2>&1 || echo "=== ${r#real.snap/} (HEAD, status) differs" >>$d
    done
  fi
  # every repository ours wrote must pass real git's fsck
  if grep -q '^[^ ]*: exit [1-9]' ours.snap/fsck.txt 2>/dev/null; then
    { echo "=== real git fsck fails on a repository ours wrote:"; cat ours.snap/fsck.txt; } >>$d
  fi
  grep -q '^[^ ]*: exit [1-9]' real.snap/fsck.txt 2>/dev/null &&
    { echo "=== fsck fails on real git's own repository (scenario broken):"; cat real.snap/fsck.txt; } >>$d
  # the token must not land in the build dir, the job's global config or the printed output
  local side
  for side in real ours; do
    if grep -rlF -- "$JOB_TOKEN" "$side/$GD_PROJ_REL" "$side/home" "$side.out" "$side.err" 2>/dev/null | grep -q .; then
      { echo "=== the job token leaked on the $side side into:"
        grep -rlF -- "$JOB_TOKEN" "$side/$GD_PROJ_REL" "$side/home" "$side.out" "$side.err"; } >>$d
    fi
    if [ "$GD_TOKENLESS" = 1 ] && grep -rqF -- "$JOB_TOKEN" "$side/$GD_PROJ_REL.tmp" 2>/dev/null; then
      echo "=== tokenless mode, but the token is in the temp dir on the $side side" >>$d
    fi
  done
  if [ -s $d ]; then
    echo "FAIL: real git and ours differ ($( [ "${GITDIFF_OURS:-}" = real ] && echo 'GITDIFF_OURS=real' || echo "ours = $CIH_BIN"))"
    sed 's/\x1b\[[0-9;]*m//g' $d | head -150
    echo "--- ours stdout (tail):"; sed 's/\x1b\[[0-9;]*m//g' ours.out | tail -25
    echo "--- ours stderr (tail):"; tail -25 ours.err
    gd_server_logs
    exit 1
  fi
}

gd_cmp_text() {  # real ours label
  diff -u <(sed 's/\x1b\[[0-9;]*m//g' "$1") <(sed 's/\x1b\[[0-9;]*m//g' "$2") >gd-text.tmp ||
    { echo "=== $3 differs (- real, + ours):"; cat gd-text.tmp; }
  rm -f gd-text.tmp
}

# gd_both CMD...: runs CMD once with GD_SIDE=real and once with GD_SIDE=ours (cwd = the side's project dir)
gd_both() {
  local s
  for s in real ours; do
    (cd "$s/$GD_PROJ_REL" 2>/dev/null || cd "$s"; GD_SIDE=$s; "$@") || fail "on the $s side: $*"
  done
}
# assertions for gd_both (run in a project dir)
rgit() { env -i PATH=/usr/bin:/bin HOME=/nonexistent GIT_CONFIG_NOSYSTEM=1 /usr/bin/git "$@"; }
is_head() { [ "$(rgit rev-parse HEAD)" = "$1" ] || { echo "HEAD is $(rgit rev-parse HEAD), want $1"; return 1; }; }
has_file() { [ -e "$1" ] || [ -L "$1" ] || { echo "missing: $1"; return 1; }; }
no_file() { ! [ -e "$1" ] && ! [ -L "$1" ] || { echo "should not exist: $1"; return 1; }; }
is_shallow() { [ -s .git/shallow ] || { echo "not shallow"; return 1; }; }
not_shallow() { ! [ -e .git/shallow ] || { echo "shallow: $(cat .git/shallow)"; return 1; }; }
has_ref() { rgit show-ref --verify -q "$1" || { echo "no ref $1"; return 1; }; }
no_ref() { ! rgit show-ref --verify -q "$1" || { echo "ref $1 should be gone"; return 1; }; }
commits() { [ "$(rgit rev-list --count HEAD)" = "$1" ] || { echo "$(rgit rev-list --count HEAD) commits, want $1"; return 1; }; }
out_has() { grep -qF -- "$1" "$GD_TOP/$GD_SIDE.out" "$GD_TOP/$GD_SIDE.err" ||
  { echo "output lacks: $1"; return 1; }; }

# gd_single: the scenario with ours only (fault tests: real git's messages are
# not the reference there); leaves ours.out, ours.err, ours.rc, $PWD/ours.
gd_single() {
  GD_TOP=$PWD GD_TOKENLESS=0
  gd_prepare
  [ "$GD_START" = fresh ] || fail "gd_single runs from a fresh start only"
  gd_run_side ours
  GD_RC=$(cat ours.rc)
}
# single_fails REGEX: ours failed, said something matching REGEX (grep -Ei) on
# stderr, and printed no token (the good one or the one the job got)
single_fails() {
  local t
  [ "$GD_RC" != 0 ] || gd_fail "ours succeeded where it must fail" ours.out ours.err
  grep -Eiq -- "$1" ours.err || gd_fail "ours' error output does not match /$1/" ours.out ours.err
  for t in "$JOB_TOKEN" ${GD_TOKEN:+"$GD_TOKEN"}; do
    ! grep -qF -- "$t" ours.out ours.err || gd_fail "ours printed the token" ours.out ours.err
    ! grep -rqF -- "$t" "ours/$GD_PROJ_REL" ours/home 2>/dev/null || fail "the token is in the build dir or global config"
  done
}
