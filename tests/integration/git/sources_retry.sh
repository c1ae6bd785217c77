# get_sources, real git vs ours, through the fault-injecting proxy
# (tests/servers/git_fault_proxy.py): GET_SOURCES_ATTEMPTS with the
# clear_worktree stage, and the script's own submodule-update retry.
# git's own error messages differ legitimately: stderr is not compared.
source "$CIH_TESTS/integration/git/lib/common.sh"

arm_500_once() { : >"$GIT_FAULTS"; fault 500 1 project.git; }
# git submodule update retries a failed clone once by itself: two resets get
# past that to the runner's own retry branch
arm_reset_sub_a() { : >"$GIT_FAULTS"; fault reset 2 sub-a.git; }
arm_500_always() { : >"$GIT_FAULTS"; fault 500 1000 project.git; }
injected() {  # N: the proxy injected N faults in all
  local n; n=$(grep -c -- '-> \(reset\|[0-9]* (injected)\)' "$GIT_PROXY_LOG")
  [ "$n" = "$1" ] || fail "the proxy injected $n faults, want $1: $(cat "$GIT_PROXY_LOG")"
}

t_retry_after_500_clears_worktree() {
  gsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal)
  GD_ATTEMPTS=2 GD_BEFORE=arm_500_once GD_CMP_STDERR=0
  gd_run
  injected 2
  gd_both is_head "$SHA_P6"
  gd_both out_has "Deleting tracked and untracked files..."
  gd_both eval 'grep -qx "get_sources 0" "$GD_TOP/$GD_SIDE.rcs"'
}

t_retry_over_previous_build() {
  gsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 0 1
  GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=dirty; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_ATTEMPTS=3 GD_BEFORE=arm_500_once GD_CMP_STDERR=0
  gd_run
  injected 2
  gd_both is_head "$SHA_P6"
  gd_both no_file untracked.txt
}

t_submodule_update_retried_in_script() {
  gsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive)
  GD_BEFORE=arm_reset_sub_a GD_CMP_STDERR=0
  gd_run
  injected 4
  gd_both out_has "Updating submodules failed. Retrying..."
  gd_both has_file sub-a/lib/c/c.txt
}

t_retry_exhausted() {
  gsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  GD_ATTEMPTS=2 GD_BEFORE=arm_500_always GD_CMP_STDERR=0 GD_EXPECT=fail
  gd_run
  gd_both eval '[ "$(grep -c "^get_sources [1-9]" "$GD_TOP/$GD_SIDE.rcs")" = 2 ]'
}
