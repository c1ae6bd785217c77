# Credentials for the batch API: from the remote URL, from a credential helper
# after a 401 (approved or erased as git does), and wrong ones: a clear error,
# exit status 2 (git-lfs's), and the password never printed.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

# helper USER PASS: the global credential helper answers USER/PASS and logs each
# call (get, store, erase) to ./helper.log
helper() {
  rgit config --global credential.helper \
    "!f(){ echo \"\$1\" >>'$PWD/helper.log'; [ \"\$1\" = get ] || return 0; echo username=$1; echo 'password=$2'; }; f"
}

# One statement of the failure, not one per object: the batch request failed,
# not the objects.
expect_one_auth_error() {
  local n
  n=$(grep -ciE 'authenticat|credential|password' err.txt)
  [ "$n" = 1 ] || fail "the authentication failure is reported on $n lines of stderr, want 1"
}

t_auth_url_credentials() {
  lfs_setup
  clone_skip c "https://reader:$READER_PASS_URL@localhost:$PORT/group/project.git"
  ours -C c git lfs pull
  expect_ok
  expect_worktree c
  expect_secret_absent "$READER_PASS"
  expect_secret_absent "$READER_PASS_URL"
  [ "$(lfs_count route=batch status=401)" = 0 ] || fail "the credentials of the URL were not sent at once"
  [ "$(lfs_count route=batch user=reader status=200)" = 1 ] || fail "no batch request authenticated as reader"
  # `git lfs env` names the endpoint without the password
  ours -C c git lfs env
  expect_ok
  expect_out "Endpoint=https://localhost:$PORT/group/project.git/info/lfs (auth=basic)"
  expect_secret_absent "$READER_PASS"
  expect_secret_absent "$READER_PASS_URL"
}

t_auth_credential_helper() {
  lfs_setup
  helper reader "$READER_PASS"
  clone_skip c "$BASE/group/project.git"
  rm -f helper.log
  ours -C c git lfs pull
  expect_ok
  expect_worktree c
  expect_secret_absent "$READER_PASS"
  # a 401 without credentials, then the helper's, then approved (store)
  [ "$(lfs_q '[(r["status"], r["user"]) for r in reqs if r["route"] == "batch"]')" = "[(401, None), (200, 'reader')]" ] ||
    fail "batch requests (status, user): $(lfs_q '[(r["status"], r["user"]) for r in reqs if r["route"] == "batch"]')"
  [ "$(tr '\n' ' ' <helper.log)" = "get store " ] || fail "the helper was called for: $(tr '\n' ' ' <helper.log)"
}

t_auth_wrong_password_in_url() {
  lfs_setup
  clone_skip c
  rgit -C c remote set-url origin "https://$LFS_USER:WRONG-secret-123@localhost:$PORT/group/project.git"
  ours -C c git lfs pull
  expect_status 2
  expect_secret_absent WRONG-secret-123
  expect_err "https://localhost:$PORT/group/project.git/info/lfs"
  expect_pointer c big.bin
  [ "$(lfs_count route=download)" = 0 ] || fail "objects were downloaded"
  expect_one_auth_error
}

t_auth_wrong_password_from_helper() {
  lfs_setup
  clone_skip c
  rgit -C c remote set-url origin "$BASE/group/project.git"
  helper reader wrong-Pass-456
  ours -C c git lfs pull
  expect_status 2
  expect_secret_absent wrong-Pass-456
  expect_err "https://localhost:$PORT/group/project.git/info/lfs"
  # the refused credentials are erased, and asked for once only
  [ "$(tr '\n' ' ' <helper.log)" = "get erase " ] || fail "the helper was called for: $(tr '\n' ' ' <helper.log)"
  [ "$(lfs_count route=batch)" -le 3 ] || fail "$(lfs_count route=batch) batch requests for refused credentials"
  expect_one_auth_error
}
