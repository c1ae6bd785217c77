# get_sources, real git vs ours: GIT_STRATEGY x GIT_DEPTH x GIT_CHECKOUT x
# GIT_CLEAN_FLAGS x GIT_SUBMODULE_STRATEGY, from fresh and previous builds.
# Harness: lib/diff.sh (GITDIFF_OURS=real runs both sides with real git).
source "$CIH_TESTS/integration/git/lib/common.sh"

t_clone_depth0_fresh() {
  gsetup; main_job 0
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both not_shallow
  gd_both has_ref refs/tags/v2.0
  gd_both no_ref refs/remotes/origin/old
  gd_both out_has "Created fresh repository."
}

t_clone_depth1_recursive() {
  gsetup; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both is_shallow
  gd_both commits 1
  gd_both has_file sub-a/a-new.txt
  gd_both has_file sub-a/lib/c/tool.sh
  gd_both has_file libs/sub-b/b-link
}

t_clone_depth20_normal() {
  gsetup; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy normal)
  gd_run
  gd_both is_shallow
  gd_both commits 20
  gd_both has_file sub-a/a.txt
  gd_both no_file sub-a/lib/c/c.txt
}

t_clone_no_checkout() {
  gsetup; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-checkout false)
  gd_run
  gd_both no_file README.md
  gd_both has_ref refs/pipelines/102
  gd_both out_has "Skipping Git checkout"
}

t_clone_no_checkout_recursive() {
  gsetup; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-checkout false --git-submodule-strategy recursive)
  gd_run
  gd_both no_file README.md
  gd_both no_file sub-a/a.txt
}

t_clone_over_dirty_tree() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=dirty; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive --git-clean-flags none)
  gd_run
  gd_both no_file untracked.txt
  gd_both no_file keep.txt
  gd_both has_file script.sh
  gd_both is_shallow
}

t_fetch_prev_depth0_recursive() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both no_ref refs/remotes/origin/old          # pruned
  gd_both has_ref refs/remotes/origin/feature
  gd_both has_file sub-a/a-new.txt               # the gitlink moved to a3
  gd_both has_file p6.txt
  gd_both out_has "Created fresh repository."    # clean_git_config removed .git/config
}

t_fetch_prev_depth20_normal() {
  gsetup; main_job 20 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal)
  GD_START=prev; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both is_shallow
  gd_both has_file sub-a/a-new.txt
}

t_fetch_dirty_default_clean_recursive() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=dirty; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both no_file untracked.txt
  gd_both no_file keep.txt
  gd_both no_file build/out.log
  gd_both no_file sub-a/junk.txt
  gd_both has_file dir/renamed.txt
}

t_fetch_dirty_clean_none_normal() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal)
  GD_START=dirty; main_job 1
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal --git-clean-flags none)
  gd_run
  gd_both has_file untracked.txt
  gd_both has_file build/out.log
  gd_both no_file sub-a/junk.txt                 # submodules are cleaned with -ffdx all the same
  gd_both has_file script.sh                     # checkout -f restores deleted files
}

t_fetch_dirty_clean_keep() {
  gsetup; main_job 20 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=dirty; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-clean-flags="-ffdx -e keep.txt")
  gd_run
  gd_both has_file keep.txt
  gd_both no_file untracked.txt
  gd_both no_file newdir/deeper/n.txt
  gd_both no_file a.log
}

t_fetch_stale_locks_recursive() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=locks; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both no_file .git/index.lock
  gd_both no_file .git/refs/heads/stale.lock
  gd_both no_file .git/modules/sub-a/index.lock
  gd_both no_file hook-ran
}

t_fetch_unshallow() {
  gsetup; main_job 1 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}")
  gd_run
  gd_both not_shallow
  gd_both commits 30
}

t_fetch_deepen_1_to_20() {
  gsetup; main_job 1 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_shallow
  gd_both commits 20
}

t_fetch_no_checkout_keeps_old_tree() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-checkout false --git-submodule-strategy normal)
  gd_run
  gd_both is_head "$SHA_P4"
  gd_both has_ref refs/pipelines/102
  gd_both no_file p6.txt
}

t_fetch_oldconfig_kept() {
  # shell-executor style: clean_git_config off, so set-url and the include fix-up run
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --clean-git-config false)
  GD_START=oldconfig; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --clean-git-config false --git-submodule-strategy normal)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both no_file hook-ran                       # post-checkout is deleted in any case
  gd_both eval 'grep -q keep-me .git/config'    # includes of other files are left alone
  gd_both eval '! grep -q "OLD-token\|/old/builds" .git/config'
}

t_fetch_oldconfig_cleaned() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=oldconfig; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both no_file hook-ran
  gd_both eval '! grep -q "keep-me\|OLD-token" .git/config'
}

t_fetch_over_own_previous_build() {
  # the previous job ran with each side's own git: ours must read what it wrote
  gsetup; main_job 20 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  GD_START=dirty GD_PREV_GIT=own; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both no_file untracked.txt
}

t_strategy_none_keeps_build() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=dirty; main_job 0
  GD_ARGS=(--git-strategy none "${JOB[@]}" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P4"
  gd_both has_file untracked.txt
  gd_both out_has "Skipping Git repository setup"
}

t_strategy_none_fresh() {
  gsetup; main_job 0
  GD_ARGS=(--git-strategy none "${JOB[@]}")
  gd_run
  gd_both no_file .git
  gd_both out_has "Skipping Git submodules setup"
}

t_strategy_empty() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy empty "${JOB[@]}" --git-submodule-strategy normal)
  gd_run
  gd_both no_file .git
  gd_both no_file README.md
  gd_both out_has "creating an empty build directory"
}
