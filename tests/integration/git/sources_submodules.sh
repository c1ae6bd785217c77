# get_sources, real git vs ours: submodule paths with :(exclude), ssh URLs
# rewritten by GIT_SUBMODULE_FORCE_HTTPS, submodule depth and update flags,
# the tokenless credential-helper mode, GIT_LFS_SKIP_SMUDGE.
source "$CIH_TESTS/integration/git/lib/common.sh"

t_submodule_paths_exclude() {
  gsetup; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive
    --git-submodule-paths ":(exclude)libs/sub-b")
  gd_run
  gd_both has_file sub-a/lib/c/c.txt
  gd_both no_file libs/sub-b/b.txt
}

t_submodule_paths_one() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal --git-submodule-paths "libs/sub-b")
  gd_run
  gd_both has_file libs/sub-b/b-link
  gd_both no_file sub-a/a.txt
}

t_submodule_force_https() {
  gsetup
  GD_ARGS=(--git-strategy clone --sha "$SHA_SSHSUB" --ref ssh-sub --depth 20
    --refspec "+refs/heads/ssh-sub:refs/remotes/origin/ssh-sub" --git-submodule-strategy recursive
    --git-submodule-force-https true)
  gd_run
  gd_both is_head "$SHA_SSHSUB"
  gd_both has_file sub-d/d.txt
  gd_both has_file sub-a/lib/c/c.txt
}

t_submodule_force_https_tokenless() {
  gsetup
  GD_ARGS=(--git-strategy fetch --sha "$SHA_SSHSUB" --ref ssh-sub --depth 1
    --refspec "+refs/heads/ssh-sub:refs/remotes/origin/ssh-sub" --git-submodule-strategy normal
    --git-submodule-force-https true --ff-git-urls-without-tokens true)
  gd_run
  gd_both has_file sub-d/d.txt
}

t_submodule_depth() {
  gsetup; main_job 0
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive --git-submodule-depth 1)
  gd_run
  gd_both not_shallow
  gd_both eval '[ -s .git/modules/sub-a/shallow ] && [ -s .git/modules/sub-a/modules/lib/c/shallow ]'
}

t_submodule_update_remote() {
  # --remote: sub-a follows its own main (a3 on the server) instead of the recorded gitlink
  gsetup; main_job 20 1; GD_STATE=2
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy normal
    --git-submodule-update-flags=--remote)
  gd_run
  gd_both is_head "$SHA_P4"
  gd_both has_file sub-a/a-new.txt
}

t_tokenless_clone_recursive() {
  gsetup; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy recursive --ff-git-urls-without-tokens true)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both has_file sub-a/lib/c/c.txt
  gd_both eval 'grep -q "password=\${CI_JOB_TOKEN}" ../project.tmp/.gitlab-runner.ext.conf'
}

t_tokenless_fetch_over_previous() {
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal)
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-submodule-strategy normal --ff-git-urls-without-tokens true
    --clean-git-config false)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both has_file sub-a/a-new.txt
}

t_tokenless_strategy_none() {
  gsetup; main_job 0
  GD_ARGS=(--git-strategy none "${JOB[@]}" --ff-git-urls-without-tokens true)
  gd_run
  gd_both eval '[ -s ../project.tmp/.glr.gconf ]'
}

t_lfs_skip_smudge() {
  gsetup; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-submodule-strategy normal --git-lfs-skip-smudge true)
  gd_run
  gd_both has_file sub-a/a.txt
  gd_both eval '! grep -q "Pulling LFS files" "$GD_TOP/$GD_SIDE.out"'
}
