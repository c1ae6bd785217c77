# Where the batch API is: lfs.url, remote.<name>.lfsurl, a committed .lfsconfig,
# url.<base>.insteadOf, a remote URL without .git. The fake serves any
# <prefix>/objects/batch and logs the prefix ("endpoint"): ours must ask the one
# Debian's git-lfs names in `git lfs env`, and the pull must then succeed.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

# Credentials from a helper: the endpoints here carry none.
endpoint_setup() {
  lfs_setup
  rgit config --global credential.helper \
    "!f(){ [ \"\$1\" = get ] || return 0; echo username=$LFS_USER; echo password=$LFS_PASS; }; f"
}

# pull_at DIR WANT: real git-lfs's endpoint for DIR is https://localhost:PORT/WANT,
# and ours pulls everything from there (and only there)
pull_at() {
  local dir=$1 want=$2 theirs before
  real -C "$dir" git lfs env
  theirs=$(sed -n 's/^Endpoint=\([^ ]*\).*/\1/p' out.txt)
  [ "$theirs" = "$BASE$want" ] || fail "Debian's git-lfs uses the endpoint '$theirs' here, the test expected $BASE$want"
  before=$(lfs_count route=batch)
  ours -C "$dir" git lfs pull
  expect_ok
  expect_worktree "$dir"
  local got
  got=$(lfs_q '" ".join(r["endpoint"] for r in reqs[:] if r["route"] == "batch" and r["status"] == 200)')
  got=${got##* }
  [ "$got" = "$want" ] || fail "ours asked the batch API at '$got', want $want"
  [ "$(lfs_count route=batch)" -gt "$before" ] || fail "no batch request was made"
  ours -C "$dir" git lfs env
  expect_out "Endpoint=$BASE$want "
}

t_endpoint_lfs_url() {
  endpoint_setup
  clone_skip c "$BASE/group/project.git"
  rgit -C c config lfs.url "$BASE/custom/lfs"
  pull_at c /custom/lfs
}

t_endpoint_remote_lfsurl() {
  endpoint_setup
  clone_skip c "$BASE/group/project.git"
  rgit -C c config remote.origin.lfsurl "$BASE/other/place/lfs"
  pull_at c /other/place/lfs
}

t_endpoint_lfsconfig_committed() {
  endpoint_setup
  clone_skip w "$BASE/group/project.git"
  printf '[lfs]\n\turl = %s/from-lfsconfig/lfs\n' "$BASE" >w/.lfsconfig
  { rgit -C w add .lfsconfig && rgit -C w commit -q -m "lfsconfig" && rgit -C w push -q origin main; } ||
    fail "cannot push the .lfsconfig"
  clone_skip c "$BASE/group/project.git"
  pull_at c /from-lfsconfig/lfs
  # the index's copy when the worktree has none
  clone_skip c2 "$BASE/group/project.git"
  rm c2/.lfsconfig
  pull_at c2 /from-lfsconfig/lfs
  # the git configuration wins over .lfsconfig
  clone_skip c3 "$BASE/group/project.git"
  rgit -C c3 config lfs.url "$BASE/from-config/lfs"
  pull_at c3 /from-config/lfs
}

t_endpoint_insteadof() {
  endpoint_setup
  # a mirror's URL rewritten to the server, as a runner's ext config rewrites URLs
  rgit config --global "url.$BASE/group/.insteadOf" https://mirror.example.invalid/some/
  clone_skip c https://mirror.example.invalid/some/project.git
  [ "$(rgit -C c config remote.origin.url)" = https://mirror.example.invalid/some/project.git ] ||
    fail "the clone's remote URL is not the alias"
  pull_at c /group/project.git/info/lfs
}

t_endpoint_url_without_dot_git() {
  endpoint_setup
  clone_skip c "$BASE/group/project"
  pull_at c /group/project.git/info/lfs
}

# `git lfs pull <remote>`: that remote's endpoint, not origin's
t_endpoint_named_remote() {
  endpoint_setup
  clone_skip c "$BASE/group/project.git"
  rgit -C c remote set-url origin https://nowhere.example.invalid/x.git
  rgit -C c remote add mirror "$BASE/group/project.git"
  rgit -C c config remote.mirror.lfsurl "$BASE/mirror/lfs"
  ours -C c git lfs pull mirror
  expect_ok
  expect_worktree c
  [ "$(batch_endpoints | sort -u)" = /mirror/lfs ] || fail "batch endpoints: $(batch_endpoints | tr '\n' ' ')"
}

# http.extraHeader (the runner's ext config puts X-Gitaly-Correlation-ID there)
# goes with every LFS request to the server, the batch request and the
# downloads, as Debian's git-lfs sends it; a header for another URL does not.
t_http_extra_header() {
  lfs_setup
  rgit config --global http.extraHeader "X-Everywhere: yes"
  rgit config --global "http.https://other.example.invalid/.extraHeader" "X-Elsewhere: no"
  clone_skip r
  clone_skip o
  real -C r git lfs pull
  [ "$STATUS" = 0 ] || fail "real git lfs pull failed: $(cat err.txt)"
  ours -C o git lfs pull
  expect_ok
  expect_worktree o
  local ua who missing
  for ua in GitHub cihelper; do
    who=ours
    [ $ua = cihelper ] || who="Debian's git-lfs"
    missing=$(lfs_q '" ".join("%s:%s" % (r["route"], r["oid"] and r["oid"][:7]) for r in reqs if r["route"] in ("batch", "download") and "'"$ua"'" in dict((k.lower(), v) for k, v in r["headers"]).get("user-agent", "") and ("x-everywhere", "yes") not in [(k.lower(), v) for k, v in r["headers"]])')
    [ -z "$missing" ] || fail "requests by $who without the header of http.extraHeader: $missing"
  done
  [ "$(lfs_q 'sum(1 for r in reqs for k, v in r["headers"] if k.lower() == "x-elsewhere")')" = 0 ] ||
    fail "a header configured for another URL was sent"
}
