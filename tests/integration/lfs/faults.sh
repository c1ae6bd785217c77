# Failures injected by the fake's script (tests/servers/lfs_fake.py --script):
# what is retried, resumed or re-requested, what ends with a clear message and
# exit status 2, and that nothing unverified ever enters .git/lfs/objects.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

BIG_SIZE=$((2 * 1048576 + 17))

fault_setup() {
  lfs_setup
  clone_skip c
}
# statuses OID: the download statuses of OID in order, e.g. "reset 200"
statuses() { lfs_q '" ".join(str(r["status"]) for r in reqs if r["route"] == "download" and r["oid"] == "'"$1"'")'; }
batch_statuses() { lfs_q '" ".join(str(r["status"]) for r in reqs if r["route"] == "batch")'; }
pull_ok() {
  ours -C c git lfs pull
  expect_ok
  expect_worktree c
  expect_objects c
  expect_clean c
  expect_no_violation
}

t_fault_batch_500_retried() {
  fault_setup
  lfs_script '{"batch": [{"status": 500}]}'
  pull_ok
  [ "$(batch_statuses)" = "500 200" ] || fail "batch statuses: $(batch_statuses), want 500 200"
}

t_fault_batch_429_retry_after() {
  fault_setup
  lfs_script '{"batch": [{"status": 429, "headers": {"Retry-After": "1"}}]}'
  pull_ok
  [ "$(batch_statuses)" = "429 200" ] || fail "batch statuses: $(batch_statuses), want 429 200"
  [ "$ELAPSED" -ge 1000 ] || fail "the pull took $ELAPSED ms: it did not wait the Retry-After second"
}

t_fault_download_reset_retried() {
  fault_setup
  lfs_script "{\"objects\": {\"$OID_BIG\": [{\"reset\": true}], \"$OID_SMALL\": [{\"reset\": true, \"read_bytes\": 0}]}}"
  pull_ok
  [ "$(statuses "$OID_BIG")" = "reset 200" ] || fail "downloads of big.bin: $(statuses "$OID_BIG")"
  [ "$(statuses "$OID_SMALL")" = "reset 200" ] || fail "downloads of small.bin: $(statuses "$OID_SMALL")"
}

t_fault_truncated_download_resumed() {
  fault_setup
  lfs_script "{\"objects\": {\"$OID_BIG\": [{\"truncate\": 100000}]}}"
  pull_ok
  [ "$(statuses "$OID_BIG")" = "200 206" ] || fail "downloads of big.bin: $(statuses "$OID_BIG"), want 200 206"
  [ "$(lfs_count route=download oid="$OID_BIG" range="bytes=100000-$((BIG_SIZE - 1))" status=206)" = 1 ] ||
    fail "no resumed request with Range: bytes=100000-$((BIG_SIZE - 1)); ranges asked: $(lfs_q '[r["range"] for r in reqs if r["route"] == "download"]')"
}

t_fault_corrupt_download_retried() {
  fault_setup
  lfs_script "{\"objects\": {\"$OID_BIG\": [{\"corrupt\": true}], \"$OID_TOOL\": [{\"corrupt\": true}]}}"
  pull_ok
  [ "$(statuses "$OID_BIG")" = "200 200" ] || fail "downloads of big.bin: $(statuses "$OID_BIG"), want 200 200"
  [ "$(statuses "$OID_TOOL")" = "200 200" ] || fail "downloads of tool.bin: $(statuses "$OID_TOOL"), want 200 200"
}

# Always corrupt: the object never enters the store, the file stays a pointer,
# the message names it, and every other file is checked out.
t_fault_corrupt_always() {
  fault_setup
  rgit -C c config lfs.transfer.maxretries 2
  local steps
  steps=$(printf '{"corrupt": true},%.0s' 1 2 3 4 5 6 7 8 9 10)
  lfs_script "{\"objects\": {\"$OID_DEEP\": [${steps%,}]}}"
  ours -C c git lfs pull
  expect_status 2
  expect_err "dir/sub/deep.bin"
  [ "$(grep -c . err.txt)" -le 3 ] || fail "more than 3 lines of errors for one object"
  expect_no_object c "$OID_DEEP"
  [ -z "$(find c/.git/lfs/objects -type f -exec sha256sum {} + | awk '{ n = split($2, p, "/"); if ($1 != p[n]) print $2 }')" ] ||
    fail "an object in .git/lfs/objects does not hash to its name"
  expect_pointer c dir/sub/deep.bin
  expect_worktree c small.bin big.bin tool.bin same1.bin dir/same2.bin empty.bin
  [ "$(statuses "$OID_DEEP")" = "200 200 200" ] ||
    fail "downloads of deep.bin with lfs.transfer.maxretries=2: $(statuses "$OID_DEEP"), want 3"
  # real git sees only deep.bin as it was committed (still a pointer: not modified)
  expect_clean c
}

# Expired actions: ours asks the batch API again instead of using them (the fake
# records using one as a violation).
t_fault_expired_actions() {
  fault_setup
  lfs_script '{"batch": [{"expired": true}]}'
  pull_ok
  [ "$(lfs_count route=batch)" -ge 2 ] || fail "the expired actions were not renewed"
  [ "$(lfs_count route=download status=401)" = 0 ] || fail "an expired action was used"
}

# The server lost one object (per-object error 404): a message naming the file,
# exit status 2, every other file checked out.
t_fault_object_missing() {
  fault_setup
  rm "$SRV/objects/${OID_DEEP:0:2}/${OID_DEEP:2:2}/$OID_DEEP"
  ours -C c git lfs pull
  expect_status 2
  expect_err "dir/sub/deep.bin"
  grep "dir/sub/deep.bin" err.txt | grep -qiE "not exist|not found|404" || fail "the error does not say the object is missing"
  expect_worktree c small.bin big.bin tool.bin same1.bin dir/same2.bin empty.bin
  expect_objects c "$OID_SMALL" "$OID_BIG" "$OID_TOOL" "$OID_SHARED"
  expect_pointer c dir/sub/deep.bin
  expect_no_object c "$OID_DEEP"
  expect_no_err "small.bin"
  # one batch; a 404 is not worth a retry
  [ "$(lfs_count route=batch)" = 1 ] || fail "$(lfs_count route=batch) batch requests"
}

# The same per-object error given by the batch reply ("object_error"), for one oid
t_fault_object_error_in_batch() {
  fault_setup
  lfs_script "{\"batch\": [{\"object_error\": {\"code\": 404, \"message\": \"Object does not exist\"}, \"oid\": \"$OID_TOOL\"}]}"
  ours -C c git lfs pull
  expect_status 2
  expect_err "tool.bin"
  expect_no_err "big.bin"
  expect_worktree c small.bin big.bin dir/sub/deep.bin same1.bin dir/same2.bin
  expect_pointer c tool.bin
}

# lfs.transfer.maxretries bounds the attempts: 1 retry, so 2 GETs and 2 batch
# requests; with the default (8) the same failures are overcome.
t_fault_maxretries() {
  fault_setup
  cp -a c c8
  rgit -C c config lfs.transfer.maxretries 1
  lfs_script "{\"generation\": 1, \"objects\": {\"$OID_SMALL\": [{\"reset\": true}, {\"reset\": true}, {\"reset\": true}]}}"
  ours -C c git lfs pull
  expect_status 2
  expect_err "small.bin"
  [ "$(statuses "$OID_SMALL")" = "reset reset" ] ||
    fail "downloads of small.bin with lfs.transfer.maxretries=1: $(statuses "$OID_SMALL"), want 2 attempts"
  expect_pointer c small.bin
  expect_worktree c big.bin tool.bin
  local n0
  n0=$(lfs_count route=batch)
  lfs_script '{"generation": 2, "batch": [{"status": 500}, {"status": 502}, {"status": 503}]}'
  ours -C c git lfs pull
  expect_status 2
  [ "$(($(lfs_count route=batch) - n0))" = 2 ] ||
    fail "$(($(lfs_count route=batch) - n0)) batch requests with lfs.transfer.maxretries=1, want 2"
  expect_pointer c small.bin
  lfs_script "{\"generation\": 3, \"objects\": {\"$OID_SMALL\": [{\"reset\": true}, {\"reset\": true}, {\"reset\": true}]}}"
  ours -C c8 git lfs pull
  expect_ok
  expect_worktree c8
}

# git-lfs-config(5): lfs.transfer.maxretries "must be an integer which is at
# least one. If the value is not an integer, is less than one, or is not given,
# a value of eight will be used instead."
t_fault_maxretries_below_one() {
  fault_setup
  rgit -C c config lfs.transfer.maxretries 0
  lfs_script "{\"objects\": {\"$OID_SMALL\": [{\"reset\": true}, {\"reset\": true}]}}"
  ours -C c git lfs pull
  expect_ok
  expect_worktree c
  [ "$(statuses "$OID_SMALL")" = "reset reset 200" ] || fail "downloads of small.bin: $(statuses "$OID_SMALL")"
}

# A download cut short in one run goes on where it stopped in the next one
# (.git/lfs/incomplete), with a Range request.
t_fault_resume_across_runs() {
  fault_setup
  rgit -C c config lfs.transfer.maxretries 1
  lfs_script "{\"generation\": 1, \"objects\": {\"$OID_BIG\": [{\"truncate\": 100000}, {\"truncate\": 100000}]}}"
  ours -C c git lfs pull
  expect_status 2
  expect_err "big.bin"
  expect_no_object c "$OID_BIG"
  expect_pointer c big.bin
  lfs_script '{"generation": 2}'
  ours -C c git lfs pull
  expect_ok
  expect_worktree c
  expect_objects c
  [ "$(lfs_q '[r["range"] for r in reqs if r["route"] == "download" and r["oid"] == "'"$OID_BIG"'"]')" = \
    "[None, 'bytes=100000-$((BIG_SIZE - 1))', 'bytes=200000-$((BIG_SIZE - 1))']" ] ||
    fail "ranges asked for big.bin: $(lfs_q '[r["range"] for r in reqs if r["route"] == "download" and r["oid"] == "'"$OID_BIG"'"]')"
}

# Download URLs on another origin (the fake's plain listener): they work, with
# the action's own header, and the Basic credentials of the endpoint stay home.
t_fault_href_other_origin() {
  fault_setup
  lfs_script '{"batch": [{"href_base": "{plain_base}"}]}'
  pull_ok
  [ "$(lfs_count route=download auth=bearer status=200)" = 5 ] || fail "the downloads did not use the action's header"
  [ "$(lfs_q 'sum(1 for r in reqs if r["route"] == "download" for k, v in r["headers"] if k.lower() == "authorization" and v.startswith("Basic"))')" = 0 ] ||
    fail "the endpoint's Basic credentials went to the other origin"
  local plain
  plain=$(cat "$SRV/plain.port")
  [ "$(lfs_q 'sum(1 for r in reqs if r["route"] == "download" for k, v in r["headers"] if k.lower() == "host" and v == "localhost:'"$plain"'")')" = 5 ] ||
    fail "the downloads did not go to the plain listener"
}
