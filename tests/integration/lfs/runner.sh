# GitLab Runner's get_sources stage with LFS (runner-get-sources-and-image.md Part
# C): the stage script as the runner's bash shell writes it
# (tests/integration/git/lib/runner-script), run with ours as `git` (and
# `git-lfs`) first on PATH: GIT_LFS_SKIP_SMUDGE=1 around fetch and checkout, then
# `if git lfs version ...; then git lfs pull; fi`, and for submodules
# `git -c include.path=<ext> submodule foreach git lfs pull`.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

PROJ=builds/group/project

# job_script OUT [runner-script ARGS...]: the get_sources stage of a pipeline for main
job_script() {
  local out=$1; shift
  "$CIH_TESTS/integration/git/lib/runner-script" --build-dir "$PWD/$PROJ" --root-dir "$PWD/builds" \
    --repo-url "https://$LFS_USER:$LFS_PASS@localhost:$PORT/group/project.git" --server-url "$BASE/" \
    --token "$LFS_PASS" --ca-file "$CIH_FIXTURES/ca.pem" --sha "$SHA_MAIN" --ref main --depth 20 \
    --refspec "+refs/heads/main:refs/remotes/origin/main" --git-strategy fetch "$@" >"$out" ||
    fail "runner-script failed"
}
# job PATH SCRIPT: the stage as the docker executor runs it: a clean environment
# (no GIT_SSL_CAINFO: TLS trust comes from http.<url>.sslCAInfo, as in a job)
job() {
  mkdir -p tmp
  env -i PATH="$1" HOME="$HOME" TMPDIR="$PWD/tmp" GIT_CONFIG_NOSYSTEM=1 \
    timeout -k 10 "${CIH_TIMEOUT:-240}" bash "$2" >out.txt 2>err.txt
  STATUS=$?
}

t_runner_pull_with_submodules() {
  lfs_setup
  job_script job.sh --git-submodule-strategy recursive
  grep -q 'git lfs pull' job.sh || fail "the runner script has no git lfs pull"
  job "$OURS_PATH" job.sh
  [ "$STATUS" = 0 ] || fail "the job failed (exit $STATUS)"
  expect_no_err "rror"
  expect_out "Pulling LFS files..."
  expect_worktree "$PROJ"
  expect_worktree "$PROJ" libs/sub/sub.bin libs/sub/shared.bin
  expect_objects "$PROJ"
  expect_objects "$PROJ/libs/sub" "$OID_SUB" "$OID_SHARED"
  expect_clean "$PROJ"
  expect_clean "$PROJ/libs/sub"
  expect_fsck_ok "$PROJ"
  expect_fsck_ok "$PROJ/libs/sub"
  expect_secret_absent "$LFS_PASS"
  expect_no_violation
  expect_ours_did_lfs
  cp out.txt ours.out
  # the superproject's store serves its submodules: the shared object came once
  local o n
  [ "$(lfs_count route=download oid="$OID_SHARED")" = 1 ] ||
    fail "the object shared by same1.bin, dir/same2.bin and libs/sub/shared.bin was downloaded $(lfs_count route=download oid="$OID_SHARED") times, want 1"
  for o in "$OID_SMALL" "$OID_BIG" "$OID_TOOL" "$OID_DEEP" "$OID_SUB"; do
    n=$(lfs_count route=download oid="$o")
    [ "$n" = 1 ] || fail "object $o was downloaded $n times, want 1"
  done
  # the token came with the URL (insteadOf in the ext config): no 401 round trip
  [ "$(lfs_count route=batch status=401)" = 0 ] || fail "a batch request went without credentials first"
  [ "$(lfs_count route=batch user="$LFS_USER" status=200)" = 2 ] ||
    fail "want 2 authenticated batch requests (project, libs/sub), got $(lfs_count route=batch user="$LFS_USER" status=200)"
  [ "$(batch_endpoints | sort | tr '\n' ' ')" = "/group/project.git/info/lfs /group/sub.git/info/lfs " ] ||
    fail "batch endpoints: $(batch_endpoints | tr '\n' ' ')"
  # the same stage with Debian's git and git-lfs gives the same files
  mv "$PROJ" ours-project
  rm -rf builds
  job "$REAL_PATH" job.sh
  [ "$STATUS" = 0 ] || fail "the job failed with real git and git-lfs (exit $STATUS): the scenario is broken"
  diff -r --exclude=.git "$PROJ" ours-project >diff.txt || fail "real git's worktree and ours differ: $(cat diff.txt)"
  (cd "$PROJ" && find . -name .git -prune -o -printf '%y %m %p\n' | sort) >real.modes
  (cd ours-project && find . -name .git -prune -o -printf '%y %m %p\n' | sort) >ours.modes
  diff -u real.modes ours.modes >diff.txt || fail "file types or modes differ: $(cat diff.txt)"
}

# A second job in the same build dir (GIT_STRATEGY=fetch): everything is local,
# nothing is downloaded again, the worktree is restored.
t_runner_fetch_again() {
  lfs_setup
  job_script job.sh --git-submodule-strategy normal
  job "$OURS_PATH" job.sh
  [ "$STATUS" = 0 ] || fail "the first job failed (exit $STATUS)"
  local before
  before=$(lfs_count route=download)
  echo "changed" >"$PROJ/big.bin"
  job "$OURS_PATH" job.sh
  [ "$STATUS" = 0 ] || fail "the second job failed (exit $STATUS)"
  expect_worktree "$PROJ"
  expect_worktree "$PROJ" libs/sub/sub.bin libs/sub/shared.bin
  expect_clean "$PROJ"
  [ "$(lfs_count route=download)" = "$before" ] ||
    fail "the second job downloaded $(($(lfs_count route=download) - before)) objects again"
}

# The user's own GIT_LFS_SKIP_SMUDGE=1: the runner runs no lfs pull at all, the
# files stay pointers, and nothing asks the LFS server.
t_runner_user_skip_smudge() {
  lfs_setup
  job_script job.sh --git-submodule-strategy normal --git-lfs-skip-smudge true
  ! grep -q 'git lfs pull' job.sh || fail "the runner script pulls although the user skips smudging"
  job "$OURS_PATH" job.sh
  [ "$STATUS" = 0 ] || fail "the job failed (exit $STATUS)"
  local f
  for f in small.bin big.bin tool.bin dir/sub/deep.bin same1.bin dir/same2.bin; do
    expect_pointer "$PROJ" "$f"
  done
  expect_pointer "$PROJ/libs/sub" sub.bin
  [ "$(lfs_count route=batch)" = 0 ] || fail "$(lfs_count route=batch) batch requests were made"
  # and a filter-run checkout with the variable set also leaves pointers:
  # real git with ours as the filter (git-lfs first on PATH)
  GIT_LFS_SKIP_SMUDGE=1 PATH=$OURS_PATH /usr/bin/git clone -q "$ABASE/group/project.git" filtered >clone.log 2>&1 ||
    fail "git clone with our filter failed: $(cat clone.log)"
  for f in small.bin big.bin dir/sub/deep.bin; do
    expect_pointer filtered "$f"
  done
  expect_clean filtered
  [ "$(lfs_count route=batch)" = 0 ] || fail "the filter asked the LFS server although smudging is skipped"
}

# A repository without LFS: `git lfs pull` is a no-op that succeeds.
t_runner_no_lfs_data() {
  lfs_setup
  { rgit init -q plain && echo hello >plain/hello.txt && rgit -C plain add . && rgit -C plain commit -q -m plain &&
    rgit init -q --bare gitroot/group/plain.git && rgit -C plain push -q "$PWD/gitroot/group/plain.git" main; } ||
    fail "cannot make the plain repository"
  "$CIH_TESTS/integration/git/lib/runner-script" --build-dir "$PWD/builds/group/plain" --root-dir "$PWD/builds" \
    --repo-url "https://$LFS_USER:$LFS_PASS@localhost:$PORT/group/plain.git" --server-url "$BASE/" \
    --token "$LFS_PASS" --ca-file "$CIH_FIXTURES/ca.pem" --sha "$(rgit -C plain rev-parse HEAD)" --ref main \
    --depth 20 --refspec "+refs/heads/main:refs/remotes/origin/main" >job.sh || fail "runner-script failed"
  job "$OURS_PATH" job.sh
  [ "$STATUS" = 0 ] || fail "the job failed (exit $STATUS)"
  [ "$(cat builds/group/plain/hello.txt)" = hello ] || fail "hello.txt is not checked out"
  [ "$(lfs_count route=batch)" = 0 ] || fail "git lfs pull asked the LFS server for a repository without LFS files"
  expect_no_err "rror"
}

# `cihelper get-sources`, the stage done natively (runner Part C.8): the same
# lfs pull after checkout and in the submodules.
t_get_sources_native() {
  lfs_setup
  job_script native.env --git-submodule-strategy recursive --emit-env
  local vars=()
  mapfile -t vars <native.env
  mkdir -p "$PROJ.tmp" tmp
  cp "$CIH_FIXTURES/ca.pem" "$PROJ.tmp/CI_SERVER_TLS_CA_FILE"
  # shellcheck disable=SC2086 # CIH_EXEC: a command and its arguments, or nothing
  env -i PATH="$OURS_PATH" HOME="$HOME" TMPDIR="$PWD/tmp" GIT_CONFIG_NOSYSTEM=1 "${vars[@]}" \
    GET_SOURCES_ATTEMPTS=1 CIHELPER_GET_SOURCES_RETRY_BACKOFF=0s \
    timeout -k 10 240 $CIH_EXEC "$CIH_BIN" get-sources >out.txt 2>err.txt
  STATUS=$?
  [ "$STATUS" = 0 ] || fail "get-sources failed (exit $STATUS)"
  expect_worktree "$PROJ"
  expect_worktree "$PROJ" libs/sub/sub.bin libs/sub/shared.bin
  expect_clean "$PROJ"
  expect_fsck_ok "$PROJ"
  expect_secret_absent "$LFS_PASS"
  expect_ours_did_lfs
  [ "$(lfs_count route=download oid="$OID_SHARED")" = 1 ] ||
    fail "the shared object was downloaded $(lfs_count route=download oid="$OID_SHARED") times, want 1"
}
