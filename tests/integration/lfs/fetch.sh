# git lfs fetch and git lfs checkout as separate steps, the include/exclude
# selection (-I/-X, lfs.fetchinclude/lfs.fetchexclude), refs, and ls-files: each
# compared with what Debian's git-lfs does on an identical clone.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

store() { find "$1/.git/lfs/objects" -type f -printf '%f\n' 2>/dev/null | sort | tr '\n' ' '; }

t_fetch_then_checkout() {
  lfs_setup
  clone_skip c
  ours -C c git lfs fetch
  expect_ok
  expect_objects c
  local f
  for f in small.bin big.bin tool.bin dir/sub/deep.bin same1.bin dir/same2.bin; do
    expect_pointer c "$f"
  done
  local n
  n=$(lfs_count route=download)
  [ "$n" = 5 ] || fail "git lfs fetch made $n downloads, want 5"
  # one path first: only that file changes
  ours -C c git lfs checkout big.bin
  expect_ok
  expect_worktree c big.bin
  expect_pointer c small.bin
  expect_clean c
  ours -C c git lfs checkout
  expect_ok
  expect_worktree c
  expect_clean c
  expect_fsck_ok c
  [ "$(lfs_count route=download)" = "$n" ] || fail "git lfs checkout downloaded something"
  [ "$(lfs_count route=batch)" = 1 ] || fail "git lfs checkout asked the server"
}

# checkout of objects that are not local: a note per file, nothing downloaded
t_checkout_without_objects() {
  lfs_setup
  clone_skip c
  ours -C c git lfs checkout
  expect_ok
  expect_err "small.bin"
  expect_pointer c small.bin
  [ "$(lfs_count route=batch)" = 0 ] || fail "git lfs checkout asked the server"
}

# same_selection ARGS... -- [KEY=VALUE...]: `git lfs fetch ARGS` with the config
# KEY=VALUE in two fresh clones, one by real git-lfs, one by ours: the same
# objects must land in both stores, with the same exit status.
same_selection() {
  local args=() kv rs
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  rm -rf r o
  clone_skip r
  clone_skip o
  for kv in "$@"; do
    rgit -C r config "${kv%%=*}" "${kv#*=}"
    rgit -C o config "${kv%%=*}" "${kv#*=}"
  done
  real -C r git lfs fetch "${args[@]}"
  rs=$STATUS
  ours -C o git lfs fetch "${args[@]}"
  [ "$STATUS" = "$rs" ] || fail "git lfs fetch ${args[*]} [$*]: exit status $STATUS, real git-lfs's $rs"
  [ "$(store o)" = "$(store r)" ] ||
    fail "git lfs fetch ${args[*]} [$*]: ours stored $(store o), real git-lfs $(store r)"
  [ -n "$(store o)" ] || [ "$rs" != 0 ] || fail "git lfs fetch ${args[*]} [$*]: nothing fetched (a useless case)"
}

t_fetch_include_exclude() {
  lfs_setup
  same_selection -I dir
  same_selection -I 'dir/**'
  same_selection -I dir/sub/
  same_selection -I '*.bin' -X big.bin
  same_selection --exclude=dir/sub
  same_selection --include='same*'
  same_selection -- lfs.fetchexclude=big.bin,tool.bin
  same_selection -- lfs.fetchinclude=dir
  same_selection -- lfs.fetchinclude='*.bin' lfs.fetchexclude=dir/sub
  # -I on the command line replaces lfs.fetchinclude
  same_selection -I small.bin -- lfs.fetchinclude=dir
  [ "$(store o)" = "$OID_SMALL " ] || fail "-I small.bin with lfs.fetchinclude=dir stored $(store o)"
  # pull honours the configured selection too
  rm -rf p && clone_skip p
  rgit -C p config lfs.fetchexclude big.bin
  ours -C p git lfs pull
  expect_ok
  expect_pointer p big.bin
  expect_worktree p small.bin tool.bin dir/sub/deep.bin same1.bin dir/same2.bin
  expect_clean p
  # and pull -I: only those files
  rm -rf p && clone_skip p
  ours -C p git lfs pull -I dir
  expect_ok
  expect_worktree p dir/sub/deep.bin dir/same2.bin
  expect_pointer p same1.bin
  expect_pointer p big.bin
  expect_clean p
}

# fetch of other refs: the objects of their trees
t_fetch_refs() {
  lfs_setup
  same_selection origin origin/feature
  case " $(store o)" in *" $OID_FEATURE "*) ;; *) fail "feature.bin's object was not fetched" ;; esac
  same_selection origin origin/feature HEAD
  same_selection origin "$SHA_FEATURE"
  clone_skip c
  ours -C c git lfs fetch origin no-such-ref
  expect_status 2
  expect_err "no-such-ref"
}

# ls-files prints what real git-lfs prints: "<oid 10> <*|-> <path>" and its
# -l/-s/-n forms, for pointers, smudged files, changed and deleted ones, and refs
t_ls_files_like_real() {
  lfs_setup
  clone_skip c
  same_ls() {
    local a
    for a in "" -l -s -n --long --size --name-only origin/feature "-s origin/feature" HEAD; do
      # shellcheck disable=SC2086
      real -C c git lfs ls-files $a
      [ "$STATUS" = 0 ] || fail "real git lfs ls-files $a failed: $(cat err.txt)"
      cp out.txt real.txt
      # shellcheck disable=SC2086
      ours -C c git lfs ls-files $a
      expect_ok
      diff -u real.txt out.txt >diff.txt || fail "git lfs ls-files $a ($1) differs from real git-lfs's: $(cat diff.txt)"
    done
  }
  same_ls "pointers"
  ours -C c git lfs ls-files -s
  grep -qxF "${OID_BIG:0:10} - big.bin (2.1 MB)" out.txt || fail "unexpected ls-files -s output: $(cat out.txt)"
  ours -C c git lfs pull
  expect_ok
  same_ls "after pull"
  ours -C c git lfs ls-files
  grep -qxF "${OID_BIG:0:10} * big.bin" out.txt || fail "big.bin is not marked *: $(cat out.txt)"
  rm c/small.bin
  echo changed >c/tool.bin
  printf abc >c/big.bin
  same_ls "changed and deleted files"
}
