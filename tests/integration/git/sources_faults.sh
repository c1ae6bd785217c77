# get_sources with ours alone when the server or the job is at fault: ours must
# fail, say why on stderr, and print the token nowhere. (Real git's wording is
# no reference here; GITDIFF_OURS=real checks these patterns against it.)
source "$CIH_TESTS/integration/git/lib/common.sh"

injected_some() { grep -q -- '-> \(reset\|[0-9]* (injected)\)' "$GIT_PROXY_LOG" || fail "no fault was injected: $(cat "$GIT_PROXY_LOG")"; }

t_fault_server_500() {
  gsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 20
  fault 500 1000
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_single
  injected_some
  single_fails '500'
  grep -qF "Fetching changes with git depth set to 20..." ours.out || gd_fail "the job log lacks the fetch notice" ours.out
}

t_fault_connection_dropped() {
  gsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 1
  fault reset 1000
  GD_ARGS=(--git-strategy fetch "${JOB[@]}")
  gd_single
  injected_some
  single_fails 'reset|closed|connection|recv|eof|unexpected'
}

t_fault_submodule_server_500() {
  gsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 1
  fault 500 1000 sub-a.git
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy normal)
  gd_single
  injected_some
  single_fails '500'
  grep -qF "Updating submodules failed. Retrying..." ours.out || gd_fail "the update was not retried" ours.out
}

t_fault_wrong_ca() {
  gsetup; main_job 1
  GD_CA=$CIH_FIXTURES/other-ca.pem
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_single
  single_fails 'certificate|ssl|tls|verif'
}

t_fault_bad_token() {
  gsetup; main_job 1
  GD_TOKEN=glcbt-64_WrongToken0123456789
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_single
  single_fails 'auth|401|credential|password'
  grep -q 'password doesn.t match' gitsrv/lighttpd.err || fail "the server never saw the bad token"
}

t_fault_missing_sha_checkout() {
  gsetup; main_job 20
  JOB[1]=deadbeefdeadbeefdeadbeefdeadbeefdeadbeef
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_single
  single_fails 'deadbeef'
  grep -qF "Checking out deadbeef as detached HEAD" ours.out || gd_fail "the checkout was not reached" ours.out
}

t_fault_missing_sha_refspec() {
  gsetup
  GD_ARGS=(--git-strategy fetch --sha 0badc0de0badc0de0badc0de0badc0de0badc0de --ref main --depth 20
    --refspec "+0badc0de0badc0de0badc0de0badc0de0badc0de:refs/pipelines/109")
  gd_single
  single_fails '0badc0de|not our ref|remote error|not found|couldn.t find'
  ! grep -qF "Checking out" ours.out || gd_fail "ours went on to the checkout" ours.out
}
