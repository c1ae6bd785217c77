# Ours against Debian's git-lfs on the same repository: `git lfs pull` in two
# clones made alike, one by each; the results must be the same down to the byte.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

t_pull_byte_identical() {
  lfs_setup
  clone_skip real-clone
  clone_skip ours-clone
  expect_pointer ours-clone big.bin
  real -C real-clone git lfs pull
  expect_ok
  ours -C ours-clone git lfs pull
  expect_ok
  expect_no_err "rror"
  diff -r --exclude=.git real-clone ours-clone >diff.txt || fail "the worktrees differ: $(cat diff.txt)"
  (cd real-clone && find . -path ./.git -prune -o -printf '%y %m %s %p\n' | sort) >real.modes
  (cd ours-clone && find . -path ./.git -prune -o -printf '%y %m %s %p\n' | sort) >ours.modes
  diff -u real.modes ours.modes >diff.txt || fail "types, modes or sizes differ: $(cat diff.txt)"
  expect_worktree ours-clone
  expect_clean ours-clone
  expect_fsck_ok ours-clone
  expect_objects ours-clone
  expect_no_violation
  # one GET per object, the shared one included once
  [ "$(lfs_count route=download oid="$OID_SHARED")" = 2 ] ||
    fail "the object of same1.bin and dir/same2.bin was downloaded $(lfs_count route=download oid="$OID_SHARED") times by the two clones, want 2 (once each)"
}

# git lfs fsck: OK on a good store; a corrupt and a missing object named, exit
# status 1 (git-lfs's), and the corrupt object moved to .git/lfs/bad as
# git-lfs-fsck(1) documents, so that the next pull downloads it again.
t_fsck_and_repair() {
  lfs_setup
  clone_skip c
  ours -C c git lfs pull
  expect_ok
  ours -C c git lfs fsck
  expect_ok
  expect_out "Git LFS fsck OK"
  local big=c/.git/lfs/objects/${OID_BIG:0:2}/${OID_BIG:2:2}/$OID_BIG
  chmod u+w "$big"
  printf X | dd of="$big" bs=1 seek=10 conv=notrunc 2>/dev/null
  rm "c/.git/lfs/objects/${OID_TOOL:0:2}/${OID_TOOL:2:2}/$OID_TOOL"
  ours -C c git lfs fsck
  expect_status 1
  grep -q "big.bin.*$OID_BIG" out.txt || fail "fsck does not name the corrupt big.bin"
  grep -q "tool.bin.*$OID_TOOL" out.txt || fail "fsck does not name the missing tool.bin"
  expect_no_out "Git LFS fsck OK"
  # the pointers back in the worktree, then a pull: the right content again
  rm -f c/big.bin c/tool.bin
  GIT_LFS_SKIP_SMUDGE=1 rgit -C c checkout -- big.bin tool.bin || fail "git checkout of the pointers failed"
  expect_pointer c big.bin
  ours -C c git lfs pull
  expect_ok
  expect_worktree c big.bin tool.bin
  expect_fsck_ok c
  [ -e "c/.git/lfs/bad/$OID_BIG" ] || fail "the corrupt object was not moved to .git/lfs/bad"
}

# A worktree with more to it, both ways: 150 more LFS files (two batch requests),
# a path with a space and a non-ASCII letter, a deleted LFS file (restored), one
# the user changed (left alone), and the pull run from a subdirectory.
t_pull_edge_worktree() {
  lfs_setup
  clone_skip w
  (cd w && PATH=$REAL_PATH git lfs install --local >/dev/null) || fail "git lfs install --local"
  mkdir -p "w/sp ace"
  printf 'unicode content\n' >"w/sp ace/ü ber.bin"
  local i
  for i in $(seq 1 150); do echo "file $i" >"w/many-$i.bin"; done
  { rgit -C w add -A && rgit -C w commit -q -m "more files" && rgit -C w push -q origin main; } >push.log 2>&1 ||
    fail "cannot push the extra files: $(cat push.log)"
  clone_skip r
  clone_skip o
  for i in r o; do
    rm "$i/small.bin"
    echo "the user's change" >"$i/tool.bin"
  done
  real -C r/dir git lfs pull
  [ "$STATUS" = 0 ] || fail "real git lfs pull failed: $(cat err.txt)"
  ours -C o/dir git lfs pull
  expect_ok
  diff -r --exclude=.git r o >diff.txt || fail "the worktrees differ: $(head -20 diff.txt)"
  [ "$(cat "o/sp ace/ü ber.bin")" = "unicode content" ] || fail "the non-ASCII path was not checked out"
  [ "$(cat o/many-150.bin)" = "file 150" ] || fail "many-150.bin was not checked out"
  [ "$(cat o/tool.bin)" = "the user's change" ] || fail "the user's change of tool.bin was overwritten"
  expect_worktree o small.bin big.bin
  [ "$(keep_hooks o rgit -C o status --porcelain)" = " M tool.bin" ] || fail "git status: $(rgit -C o status --porcelain)"
  local counts
  counts=$(lfs_q 'sorted(r["object_count"] for r in reqs if r["route"] == "batch" and "cihelper" in dict((k.lower(), v) for k, v in r["headers"]).get("user-agent", ""))')
  [ "$counts" = "[56, 100]" ] || fail "ours' batch requests had these object counts: $counts, want 100 and 56"
}
