# Differential runs of short git command sequences (config.sh, checkout_attrs.sh).

REAL_GIT=/usr/bin/git

# ours_git: a directory with `git` running the binary under test as git.
ours_git() {
  mkdir -p "$PWD/ours-bin"
  if [ -z "$CIH_EXEC" ]; then
    ln -sf "$CIH_BIN" "$PWD/ours-bin/git"
  else
    printf '#!/bin/sh\nexec %s -0 git "%s" "$@"\n' "$CIH_EXEC" "$CIH_BIN" >"$PWD/ours-bin/git"
    chmod +x "$PWD/ours-bin/git"
  fi
  echo "$PWD/ours-bin/git"
}

# same CMD...: each CMD (a shell snippet where `g` is git) runs in ./w with
# HOME=./w/home, once with real git and once with ours; the transcripts (stdout,
# "E: " stderr lines, "rc=N") and every file left under ./w must be identical.
same() {
  [ -x "$REAL_GIT" ] || skip "no $REAL_GIT to compare with"
  local impl g ours
  ours=$(ours_git)
  for impl in real ours; do
    if [ $impl = real ]; then g=$REAL_GIT; else g=$ours; fi
    rm -rf w && mkdir -p w/home
    (
      cd w || exit 1
      unset XDG_CONFIG_HOME GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT \
        GIT_CONFIG GIT_DIR GIT_WORK_TREE GIT_TEST_ASSUME_DIFFERENT_OWNER SUDO_UID
      export HOME=$PWD/home GIT_CONFIG_NOSYSTEM=1 G=$g
      for c in "$@"; do
        printf '$ %s\n' "$c"
        (g() { timeout 20 "$G" "$@"; }; eval "$c") 2>../stderr.txt
        echo "rc=$?"
        sed 's/^/E: /' ../stderr.txt
      done
      find . -type f \( ! -path '*/.git/*' -o -path '*/.git/config' \) | LC_ALL=C sort |
        while read -r f; do echo "== $f"; cat -A "$f"; done
    ) >$impl.log 2>&1
    rm -rf $impl.w && mv w $impl.w
  done
  diff -u real.log ours.log >diff.txt || { cat diff.txt; fail "ours differs from $REAL_GIT (- git, + ours)"; }
}
