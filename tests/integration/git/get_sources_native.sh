# `cihelper get-sources` (the whole stage natively: no shell, no external git)
# vs the runner's bash script with real git, in the scenarios of sources_*.sh,
# compared the same way (lib/diff.sh with GD_NATIVE=1: exit status of every
# attempt, stdout/stderr, trees, refs, configs, fsck, no token anywhere).
source "$CIH_TESTS/integration/git/lib/common.sh"

nsetup() { gsetup "$@"; GD_NATIVE=1; }

t_native_clone_depth0_fresh() {
  nsetup; main_job 0
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both not_shallow
  gd_both has_ref refs/tags/v2.0
  gd_both out_has "Created fresh repository."
}

t_native_clone_depth1_recursive() {
  nsetup; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both commits 1
  gd_both has_file sub-a/lib/c/tool.sh
  gd_both has_file libs/sub-b/b-link
}

t_native_clone_depth20_normal() {
  nsetup; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy normal)
  gd_run
  gd_both commits 20
  gd_both has_file sub-a/a.txt
  gd_both no_file sub-a/lib/c/c.txt
}

t_native_clone_no_checkout() {
  nsetup; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-checkout false --git-submodule-strategy recursive)
  gd_run
  gd_both no_file README.md
  gd_both out_has "Skipping Git checkout"
}

t_native_fetch_prev_depth0_recursive() {
  nsetup; main_job 0 1; GD_PREV=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both no_ref refs/remotes/origin/old
  gd_both has_file sub-a/a-new.txt
}

t_native_fetch_dirty_clean_none_normal() {
  nsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal)
  GD_START=dirty; main_job 1
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal --git-clean-flags none)
  gd_run
  gd_both has_file untracked.txt
  gd_both no_file sub-a/junk.txt
  gd_both has_file script.sh
}

t_native_fetch_dirty_clean_keep() {
  nsetup; main_job 20 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=dirty; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-clean-flags="-ffdx -e keep.txt")
  gd_run
  gd_both has_file keep.txt
  gd_both no_file untracked.txt
  gd_both no_file a.log
}

t_native_fetch_stale_locks_recursive() {
  nsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=locks; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both no_file .git/index.lock
  gd_both no_file .git/refs/heads/stale.lock
  gd_both no_file .git/modules/sub-a/index.lock
  gd_both no_file hook-ran
}

t_native_fetch_unshallow() {
  nsetup; main_job 1 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}")
  gd_run
  gd_both not_shallow
  gd_both commits 30
}

t_native_fetch_oldconfig_kept() {
  # clean_git_config off: set-url and the include fix-up run
  nsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --clean-git-config false)
  GD_START=oldconfig; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --clean-git-config false --git-submodule-strategy normal)
  gd_run
  gd_both no_file hook-ran
  gd_both eval 'grep -q keep-me .git/config'
  gd_both eval '! grep -q "OLD-token\|/old/builds" .git/config'
}

t_native_strategy_none_keeps_build() {
  nsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=dirty; main_job 0
  GD_ARGS=(--git-strategy none "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P4"
  gd_both has_file untracked.txt
  gd_both out_has "Skipping Git repository setup"
}

t_native_strategy_empty() {
  nsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy empty "${JOB[@]}" --git-submodule-strategy normal)
  gd_run
  gd_both no_file .git
  gd_both out_has "creating an empty build directory"
}

t_native_submodule_paths_force_https() {
  nsetup
  GD_ARGS=(--git-strategy clone --sha "$SHA_SSHSUB" --ref ssh-sub --depth 20
    --refspec "+refs/heads/ssh-sub:refs/remotes/origin/ssh-sub" --git-submodule-strategy recursive
    --git-submodule-force-https true --git-submodule-paths ":(exclude)libs/sub-b")
  gd_run
  gd_both has_file sub-d/d.txt
  gd_both has_file sub-a/lib/c/c.txt
  gd_both no_file libs/sub-b/b.txt
}

t_native_tokenless_clone_recursive() {
  nsetup; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive --ff-git-urls-without-tokens true)
  gd_run
  gd_both has_file sub-a/lib/c/c.txt
  gd_both eval 'grep -q "password=\${CI_JOB_TOKEN}" ../project.tmp/.gitlab-runner.ext.conf'
}

t_native_tokenless_strategy_none() {
  nsetup; main_job 0
  GD_ARGS=(--git-strategy none "${JOB[@]}" --ff-git-urls-without-tokens true)
  gd_run
  gd_both eval '[ -s ../project.tmp/.glr.gconf ]'
}

t_native_refspec_sha_form_and_hooks() {
  nsetup
  GD_ARGS=(--git-strategy fetch --sha "$SHA_P6" --ref main --depth 20
    --refspec "+$SHA_P6:refs/pipelines/102" --refspec "+refs/heads/main:refs/remotes/origin/main"
    --pre-hook 'echo pre in $(pwd) >&2; touch "$CI_PROJECT_DIR.tmp/pre-ran"'
    --post-hook 'cat .git/HEAD >post-head.txt')
  gd_run
  gd_both has_ref refs/pipelines/102
  gd_both has_file ../project.tmp/pre-ran
  gd_both eval '[ "$(cat post-head.txt)" = "$SHA_P6" ]'
  gd_both out_has '$ cat .git/HEAD >post-head.txt'
}

t_native_derived_refspecs() {
  # no refspecs given: ours derives GitLab's (§A6) from CI_PIPELINE_ID and the ref
  nsetup; main_job 0
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --var CI_PIPELINE_ID=102)
  GD_NATIVE_SED='/^CIHELPER_GIT_REFSPECS=/d'
  gd_run
  gd_both has_ref refs/pipelines/102
  gd_both has_ref refs/tags/v1.0
}

t_native_merge_request_pipeline() {
  nsetup
  GD_ARGS=(--git-strategy clone --sha "$SHA_MR" --ref refs/merge-requests/7/head --depth 20
    --refspec "+refs/pipelines/103:refs/pipelines/103" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_MR"
  gd_both out_has "(ref is refs/merge-requests/7/head)"
}

t_native_native_clone_mr_revision() {
  # real git 2.39 < 2.49 takes the init+fetch path: only the outcome is compared
  nsetup
  GD_ARGS=(--git-strategy clone --sha "$SHA_MR" --ref refs/merge-requests/7/head --depth 5
    --refspec "+refs/pipelines/103:refs/pipelines/103" --ff-use-git-native-clone true)
  GD_COMPARE=outcome
  gd_run
  gd_both is_head "$SHA_MR"
  ! gd_native || grep -qF 'Git version at least "2.49"' ours.out || fail "ours did not take the native clone path"
}

arm_500_once() { : >"$GIT_FAULTS"; fault 500 1 project.git; }
arm_500_always() { : >"$GIT_FAULTS"; fault 500 1000 project.git; }

t_native_retry_after_500_clears_worktree() {
  nsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 0 1
  GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=dirty; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_ATTEMPTS=3 GD_BEFORE=arm_500_once GD_CMP_STDERR=0
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both no_file untracked.txt
  gd_both out_has "Deleting tracked and untracked files..."
  ! gd_native || grep -qF "Retrying... attempt 1 of 3 failed with exit status 128" ours.out || fail "no retry line"
}

t_native_retry_exhausted() {
  nsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  GD_ATTEMPTS=2 GD_BEFORE=arm_500_always GD_CMP_STDERR=0 GD_EXPECT=fail
  gd_run
  gd_both eval '[ "$(grep -c "^get_sources [1-9]" "$GD_TOP/$GD_SIDE.rcs")" = 2 ]'
  ! gd_native || grep -q "get-sources failed after 2 attempts: exit status 128" ours.err || fail "no final error line"
}

t_native_fault_bad_token() {
  nsetup; main_job 1
  GD_TOKEN=glcbt-64_WrongToken0123456789
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_single
  single_fails 'auth|401|credential|password'
}

t_native_fault_server_500() {
  nsetup --proxy; GD_BASE=$GIT_PROXY_BASE; main_job 20
  fault 500 1000
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy normal)
  gd_single
  single_fails '500'
  grep -qF "Fetching changes with git depth set to 20..." ours.out || gd_fail "no fetch notice" ours.out
}
