# The filter side: `git lfs install` writes the filter configuration; Debian's git
# then runs ours as its filter (filter.lfs.process = git-lfs filter-process, with
# our git-lfs first on PATH) for clone (smudge) and add (clean); and `git-lfs
# smudge` / `git-lfs clean` on stdin/stdout, compared with Debian's git-lfs.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

# cfg_list FILE: its keys and values, sorted
cfg_list() { rgit config -f "$1" --list | sort; }

# install_both ARGS...: `git lfs install ARGS` with a fresh HOME (and system
# file) for real git-lfs and for ours, run in ./inst-<side>
install_both() {
  local side p
  for side in real ours; do
    rm -rf "inst-$side" && mkdir -p "inst-$side/home"
    if [ $side = real ]; then p=$REAL_PATH; else p=$OURS_PATH; fi
    (cd "inst-$side" && env -i PATH="$p" HOME="$PWD/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_SYSTEM="$PWD/system.cfg" \
      timeout 60 git lfs install "$@") >"inst-$side.out" 2>"inst-$side.err"
    echo $? >"inst-$side.rc"
  done
  [ "$(cat inst-real.rc)" = 0 ] || fail "real git lfs install $* failed: $(cat inst-real.err)"
  [ "$(cat inst-ours.rc)" = 0 ] || fail "git lfs install $* failed (exit $(cat inst-ours.rc)): $(cat inst-ours.err)"
  diff -u inst-real.out inst-ours.out >diff.txt || fail "git lfs install $* prints otherwise: $(cat diff.txt)"
}

t_install_like_real() {
  lfs_setup
  install_both
  cfg_list inst-ours/home/.gitconfig >ours.cfg
  cfg_list inst-real/home/.gitconfig >real.cfg
  diff -u real.cfg ours.cfg >diff.txt || fail "git lfs install: the global config differs: $(cat diff.txt)"
  # what git itself reads back
  local k v
  for kv in "filter.lfs.clean=git-lfs clean -- %f" "filter.lfs.smudge=git-lfs smudge -- %f" \
    "filter.lfs.process=git-lfs filter-process" "filter.lfs.required=true"; do
    k=${kv%%=*} v=${kv#*=}
    [ "$(HOME=$PWD/inst-ours/home rgit config --global --get "$k")" = "$v" ] || fail "git config --global $k is not '$v'"
  done
  install_both --skip-repo
  diff -u <(cfg_list inst-real/home/.gitconfig) <(cfg_list inst-ours/home/.gitconfig) >diff.txt ||
    fail "git lfs install --skip-repo: the global config differs: $(cat diff.txt)"
  install_both --skip-smudge
  diff -u <(cfg_list inst-real/home/.gitconfig) <(cfg_list inst-ours/home/.gitconfig) >diff.txt ||
    fail "git lfs install --skip-smudge: the global config differs: $(cat diff.txt)"
  install_both --system
  diff -u <(cfg_list inst-real/system.cfg) <(cfg_list inst-ours/system.cfg) >diff.txt ||
    fail "git lfs install --system: the system config differs: $(cat diff.txt)"
  [ ! -e inst-ours/home/.gitconfig ] || fail "git lfs install --system wrote the global config"
  # --file (git-lfs 3.6; Debian's 3.3 has not got it): the same keys in that file
  ours git lfs install --file="$PWD/f.cfg"
  expect_ok
  diff -u <(cfg_list inst-real/system.cfg) <(cfg_list f.cfg) >diff.txt || fail "git lfs install --file: $(cat diff.txt)"
  # --local: the repository's config (ours installs no hooks)
  clone_skip c
  ours -C c git lfs install --local
  expect_ok
  [ "$(rgit -C c config --local filter.lfs.process)" = "git-lfs filter-process" ] || fail "--local did not write .git/config"
  [ "$(rgit -C c config --local filter.lfs.required)" = true ] || fail "--local did not write filter.lfs.required"
}

t_uninstall() {
  lfs_setup
  ours git lfs uninstall
  expect_ok
  expect_out_eq "Global Git LFS configuration has been removed."
  rgit config --global --get-regexp '^filter\.lfs\.' >left.txt && fail "filter keys are left: $(cat left.txt)"
  ours git lfs install
  expect_ok
  clone_skip c
  ours -C c git lfs install --local
  ours -C c git lfs uninstall --local
  expect_ok
  rgit -C c config --local --get-regexp '^filter\.lfs\.' >left.txt && fail "local filter keys are left: $(cat left.txt)"
  [ "$(rgit config --global filter.lfs.process)" = "git-lfs filter-process" ] ||
    fail "uninstall --local removed the global keys"
  # git-lfs says "Global ... removed" only when it removed the global configuration
  expect_no_out "Global Git LFS configuration has been removed."
}

# Real git clones with ours as its filter: the files are smudged by our
# filter-process, byte for byte.
t_filter_process_clone() {
  lfs_setup
  # the filters as our install writes them, in a fresh HOME
  export HOME=$PWD/home2
  mkdir -p "$HOME"
  rgit config --global user.name "LFS Test" && rgit config --global user.email lfs@example.invalid
  ours git lfs install
  expect_ok
  expect_out "Git LFS initialized."
  PATH=$OURS_PATH timeout 120 /usr/bin/git clone -q "$ABASE/group/project.git" c >clone.out 2>clone.err ||
    fail "git clone with our filter failed: $(cat clone.err)"
  expect_worktree c
  expect_objects c
  expect_clean c
  expect_fsck_ok c
  expect_no_violation
  expect_ours_did_lfs
  [ "$(lfs_count route=download oid="$OID_SHARED")" = 1 ] || fail "the shared object was downloaded more than once"
  # git offers delayed smudging: the objects come in one batch request, not one per file
  [ "$(lfs_count route=batch operation=download)" = 1 ] ||
    fail "$(lfs_count route=batch operation=download) batch requests for one clone, want 1 (delay capability)"
  # and git checkout of another branch smudges through ours again
  PATH=$OURS_PATH /usr/bin/git -C c checkout -q feature 2>co.err || fail "git checkout feature: $(cat co.err)"
  expect_worktree c feature.bin big.bin
  expect_clean c
  expect_objects c "$OID_FEATURE"
}

# Real git add of new files through our clean filter (filter-process).
t_filter_process_add() {
  lfs_setup
  clone_skip c
  ours -C c git lfs pull
  expect_ok
  bytes newfile 300000 >c/new.bin
  mkdir -p c/newdir && bytes newfile2 70000 >c/newdir/other.bin && chmod 755 c/newdir/other.bin
  : >c/empty2.bin
  echo "plain text" >c/plain.txt
  cp c/small.bin small.copy
  PATH=$OURS_PATH /usr/bin/git -C c add new.bin newdir empty2.bin plain.txt 2>add.err ||
    fail "git add through our clean filter failed: $(cat add.err)"
  local f want got
  for f in new.bin newdir/other.bin; do
    want=$(printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' "$(sha "c/$f")" \
      "$(stat -c %s "c/$f")" | sha256sum)
    got=$(rgit -C c cat-file blob ":$f" | sha256sum)
    [ "$got" = "$want" ] ||
      fail "the blob git stored for $f is not the pointer git-lfs makes: $(rgit -C c cat-file blob ":$f")"
    expect_objects c "$(sha "c/$f")"
    cmp -s "c/$f" "$(rgit -C c rev-parse --absolute-git-dir)/lfs/objects/$(sha "c/$f" | cut -c1-2)/$(sha "c/$f" | cut -c3-4)/$(sha "c/$f")" ||
      fail "the stored object of $f differs from the file"
  done
  [ "$(rgit -C c cat-file -s :empty2.bin)" = 0 ] || fail "an empty file must be stored as an empty blob"
  [ "$(rgit -C c cat-file blob :plain.txt)" = "plain text" ] || fail "plain.txt went through the filter"
  [ "$(rgit -C c ls-files -s newdir/other.bin | cut -c1-6)" = 100755 ] || fail "the executable bit was lost"
  # real git sees exactly the 4 additions
  [ "$(rgit -C c status --porcelain | sort | tr '\n' ' ')" = "A  empty2.bin A  new.bin A  newdir/other.bin A  plain.txt " ] ||
    fail "git status: $(rgit -C c status --porcelain)"
  rgit -C c commit -q -m "new files" || fail "git commit failed"
  expect_fsck_ok c
  # re-adding a smudged file keeps its pointer (clean of the same content)
  touch c/small.bin
  PATH=$OURS_PATH /usr/bin/git -C c add small.bin 2>add.err || fail "git add small.bin: $(cat add.err)"
  expect_clean c
}

t_smudge_clean_stdio() {
  lfs_setup
  clone_skip c
  local ptr=$PWD/big.ptr
  rgit -C c cat-file blob HEAD:big.bin >"$ptr"
  # clean: the pointer real git-lfs makes, and the object stored
  ours -C c git-lfs clean -- big.bin <"$SRC/project/big.bin"
  expect_ok
  cmp -s out.txt "$ptr" || fail "git-lfs clean printed: $(head -c 300 out.txt)"
  expect_objects c "$OID_BIG"
  # smudge of a local object
  ours -C c git-lfs smudge -- big.bin <"$ptr"
  expect_ok
  cmp -s out.txt "$SRC/project/big.bin" || fail "git-lfs smudge did not give big.bin's content"
  [ "$(lfs_count route=batch)" = 0 ] || fail "smudge of a local object asked the server"
  # smudge of an object not local yet: downloaded
  rgit -C c cat-file blob HEAD:dir/sub/deep.bin >deep.ptr
  ours -C c git-lfs smudge dir/sub/deep.bin <deep.ptr
  expect_ok
  cmp -s out.txt "$SRC/project/dir/sub/deep.bin" || fail "git-lfs smudge did not download deep.bin's content"
  expect_objects c "$OID_DEEP"
  # GIT_LFS_SKIP_SMUDGE=1 and --skip: the pointer passes through
  rgit -C c cat-file blob HEAD:tool.bin >tool.ptr
  local n
  n=$(lfs_count route=batch)
  GIT_LFS_SKIP_SMUDGE=1 ours -C c git-lfs smudge -- tool.bin <tool.ptr
  expect_ok
  cmp -s out.txt tool.ptr || fail "GIT_LFS_SKIP_SMUDGE=1 git-lfs smudge changed the pointer: $(head -c 200 out.txt)"
  ours -C c git-lfs smudge --skip -- tool.bin <tool.ptr
  expect_ok
  cmp -s out.txt tool.ptr || fail "git-lfs smudge --skip changed the pointer"
  [ "$(lfs_count route=batch)" = "$n" ] || fail "a skipped smudge asked the server"
  # not pointers: unchanged, both ways
  bytes notaptr 5000 >blob.bin
  printf 'version https://git-lfs.github.com/spec/v1\nthis is not a pointer\n' >fake.ptr
  : >empty.in
  for f in empty.in "$ptr"; do
    ours -C c git-lfs clean <"$f"
    expect_ok
    cmp -s out.txt "$f" || fail "git-lfs clean changed $f (a pointer, or empty, stays as it is)"
  done
  # clean of other content: the same pointer as real git-lfs
  for f in blob.bin fake.ptr; do
    ours -C c git-lfs clean <"$f"
    expect_ok
    cp out.txt ours.ptr
    real -C c git-lfs clean <"$f"
    cmp -s out.txt ours.ptr || fail "git-lfs clean of $f: ours $(cat ours.ptr), real $(cat out.txt)"
  done
  for f in fake.ptr empty.in blob.bin; do
    ours -C c git-lfs smudge <"$f"
    expect_ok
    if ! cmp -s out.txt "$f"; then
      mv out.txt "smudged-$f"  # (binary: not for the log)
      fail "git-lfs smudge changed $f ($(wc -c <"$f") bytes in, $(wc -c <"smudged-$f") out)"
    fi
  done
}

# filter.lfs.smudge alone (no filter.lfs.process, as older installs and
# hand-written configs have it): git runs `git-lfs smudge -- <path>` once per
# file. A .bin committed without LFS (raw content) must come out unchanged.
t_filter_smudge_only() {
  lfs_setup
  clone_skip w
  bytes raw 5000 >w/raw.bin
  printf 'short raw content\n' >w/raw-small.bin
  local id
  for f in raw.bin raw-small.bin; do
    id=$(rgit -C w hash-object -w --no-filters "$f") || fail "hash-object"
    rgit -C w update-index --add --cacheinfo "100644,$id,$f" || fail "update-index"
  done
  { rgit -C w commit -q -m "raw .bin files" && rgit -C w push -q origin main; } || fail "cannot push the raw files"
  rgit config --global --unset filter.lfs.process
  PATH=$OURS_PATH timeout 120 /usr/bin/git clone -q "$ABASE/group/project.git" c >clone.out 2>clone.err ||
    fail "git clone with our smudge filter failed: $(cat clone.err)"
  expect_worktree c
  expect_ours_did_lfs
  cmp -s w/raw-small.bin c/raw-small.bin || fail "raw-small.bin (not a pointer) changed through git-lfs smudge"
  cmp -s w/raw.bin c/raw.bin ||
    fail "raw.bin (5000 bytes, not a pointer) changed through git-lfs smudge: $(wc -c <c/raw.bin) bytes came out"
}

# Debian's git-lfs installs hooks that call `git lfs post-checkout`,
# `post-commit`, `post-merge` and `pre-push`. With ours as git-lfs in such a
# repository, git's commands must keep working.
t_filter_hooks_of_real_git_lfs() {
  lfs_setup
  clone_skip c
  (cd c && PATH=$REAL_PATH git lfs install --local >/dev/null) || fail "real git lfs install --local failed"
  [ -x c/.git/hooks/post-checkout ] || fail "real git-lfs installed no post-checkout hook"
  PATH=$OURS_PATH /usr/bin/git -C c checkout -q feature >co.out 2>co.err ||
    fail "git checkout with git-lfs's post-checkout hook calling ours failed: $(cat co.err)"
  expect_worktree c feature.bin  # big.bin is the same on both branches: git leaves its pointer
  echo more >>c/notes.txt
  PATH=$OURS_PATH /usr/bin/git -C c commit -q -am "a commit" >ci.out 2>ci.err ||
    fail "git commit with git-lfs's post-commit hook calling ours failed: $(cat ci.err)"
}

# git-lfs's pre-push hook calling ours: a push that needs no upload goes through; one
# whose LFS object the server lacks is refused (we do not upload), nothing pushed.
t_pre_push_hook() {
  lfs_setup
  clone_skip c
  (cd c && PATH=$REAL_PATH git lfs install --local >/dev/null) || fail "real git lfs install --local failed"
  [ -x c/.git/hooks/pre-push ] || fail "real git-lfs installed no pre-push hook"
  echo more >>c/notes.txt
  PATH=$OURS_PATH /usr/bin/git -C c commit -q -am "text only" >ci.out 2>ci.err || fail "commit: $(cat ci.err)"
  PATH=$OURS_PATH /usr/bin/git -C c push -q origin HEAD:refs/heads/text-only >p1.out 2>p1.err ||
    fail "a push that needs no LFS upload was refused: $(cat p1.err)"
  head -c 5000 /dev/urandom >c/new.bin
  (cd c && PATH=$OURS_PATH /usr/bin/git add new.bin && PATH=$OURS_PATH /usr/bin/git commit -q -m "new LFS file") \
    >ci2.out 2>ci2.err || fail "commit of new.bin: $(cat ci2.err)"
  if PATH=$OURS_PATH /usr/bin/git -C c push -q origin HEAD:refs/heads/with-lfs >p2.out 2>p2.err; then
    fail "a push whose LFS object the server lacks went through"
  fi
  grep -q "lacks 1 object" p2.err || fail "no clear refusal: $(cat p2.err)"
  [ -z "$(rgit -C c ls-remote origin refs/heads/with-lfs)" ] || fail "the branch reached the server"
  [ -n "$(rgit -C c ls-remote origin refs/heads/text-only)" ] || fail "the text-only branch is not on the server"
}

# Our own git look-alike with the filters configured: clone smudges in-process
# (libgit2 filter driver), and checkout -f sees a changed LFS file through the
# clean side and puts the content back.
t_our_git_clone_smudges() {
  lfs_setup
  export HOME=$PWD/home3
  mkdir -p "$HOME"
  ours git lfs install
  expect_ok
  ours git clone -q "$ABASE/group/project.git" c
  expect_ok
  expect_worktree c
  expect_objects c
  expect_clean c
  echo changed >>c/big.bin
  ours git -C c checkout -f -q HEAD
  expect_ok
  expect_worktree c big.bin
  expect_clean c
  # with GIT_LFS_SKIP_SMUDGE the same clone leaves pointers
  GIT_LFS_SKIP_SMUDGE=1 ours git clone -q "$ABASE/group/project.git" p
  expect_ok
  head -c 100 p/big.bin | grep -q '^version https://git-lfs.github.com/spec/v1' || fail "p/big.bin is not a pointer"
}
