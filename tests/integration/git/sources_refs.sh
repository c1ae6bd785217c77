# get_sources, real git vs ours: refspec forms GitLab sends (pipeline refs by
# name and by SHA, branches, tags, wildcards, merge requests), forced updates,
# pruning, fetch flags, native clone, proactive auth, plain HTTP.
source "$CIH_TESTS/integration/git/lib/common.sh"

t_refspec_sha_form() {
  gsetup
  GD_ARGS=(--git-strategy fetch --sha "$SHA_P6" --ref main --depth 20
    --refspec "+$SHA_P6:refs/pipelines/102" --refspec "+refs/heads/main:refs/remotes/origin/main")
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both has_ref refs/pipelines/102
  gd_both has_ref refs/remotes/origin/main
}

t_tag_pipeline() {
  gsetup
  GD_ARGS=(--git-strategy clone --sha "$SHA_P3" --ref v1.1 --depth 5
    --refspec "+$SHA_P3:refs/pipelines/104" --refspec "+refs/tags/v1.1:refs/tags/v1.1"
    --git-submodule-strategy normal)
  gd_run
  gd_both is_head "$SHA_P3"
  gd_both has_ref refs/tags/v1.1
  gd_both has_file dir/sub/deep.txt
  gd_both no_file bin/run
  gd_both out_has "(ref is v1.1)"
}

t_feature_force_pushed() {
  gsetup
  GD_PREV=(--git-strategy fetch --sha "$SHA_F1" --ref feature --depth 0
    --refspec "+refs/pipelines/101:refs/pipelines/101" --refspec "+refs/heads/feature:refs/remotes/origin/feature")
  GD_START=prev
  GD_ARGS=(--git-strategy fetch --sha "$SHA_F2" --ref feature --depth 0
    --refspec "+$SHA_F2:refs/pipelines/105" --refspec "+refs/heads/feature:refs/remotes/origin/feature"
    --git-clean-flags="-ffdx -e keep.txt")
  gd_run
  gd_both is_head "$SHA_F2"
  gd_both has_ref refs/pipelines/101
  gd_both no_file mr.txt
  gd_both eval '[ "$(cat feature.txt)" = rewritten ]'
}

t_merge_request_pipeline() {
  gsetup
  GD_ARGS=(--git-strategy clone --sha "$SHA_MR" --ref refs/merge-requests/7/head --depth 20
    --refspec "+refs/pipelines/103:refs/pipelines/103" --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_MR"
  gd_both has_file mr.txt
  gd_both no_file bin/run
  gd_both out_has "(ref is refs/merge-requests/7/head)"
}

t_merge_request_head_refspec_after_prev() {
  gsetup; main_job 20 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev
  GD_ARGS=(--git-strategy fetch --sha "$SHA_MR" --ref refs/merge-requests/7/head --depth 0
    --refspec "+refs/merge-requests/7/head:refs/remotes/origin/merge-requests/7/head")
  gd_run
  gd_both is_head "$SHA_MR"
  gd_both not_shallow
  gd_both has_ref refs/remotes/origin/merge-requests/7/head
}

t_fetch_verbose_prune_output() {
  # GIT_FETCH_EXTRA_FLAGS without --quiet: git's ref-update report is compared line by line
  gsetup; main_job 0 1; GD_PREV=(--git-strategy fetch "${JOB[@]}")
  GD_START=prev; main_job 0
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-fetch-extra-flags=--prune)
  gd_run
  gd_both no_ref refs/remotes/origin/old
  gd_both out_has "(forced update)"
  gd_both out_has "[deleted]"
}

t_fetch_flags_none_fresh() {
  gsetup; main_job 20
  GD_ARGS=(--git-strategy fetch "${JOB[@]}" --git-fetch-extra-flags none)
  gd_run
  gd_both out_has "[new ref]"
  gd_both has_ref refs/pipelines/102
}

t_fetch_no_tags_flag() {
  gsetup; main_job 0
  JOB=(--sha "$SHA_P6" --ref main --depth 0 --refspec "+refs/heads/*:refs/remotes/origin/*")
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --git-fetch-extra-flags="--prune --quiet --no-tags")
  gd_run
  gd_both no_ref refs/tags/v1.0
  gd_both no_ref refs/tags/v2.0
  gd_both is_head "$SHA_P6"
}

t_native_clone_branch() {
  # real git 2.39 < 2.49 falls back to init + fetch: only the outcome is compared
  gsetup; main_job 20
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --ff-use-git-native-clone true --git-submodule-strategy recursive)
  GD_COMPARE=outcome
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both has_file sub-a/lib/c/c.txt
}

t_native_clone_mr_revision() {
  gsetup
  GD_ARGS=(--git-strategy clone --sha "$SHA_MR" --ref refs/merge-requests/7/head --depth 5
    --refspec "+refs/pipelines/103:refs/pipelines/103" --ff-use-git-native-clone true)
  GD_COMPARE=outcome
  gd_run
  gd_both is_head "$SHA_MR"
  gd_both has_file mr.txt
}

t_proactive_auth() {
  gsetup; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}" --ff-use-git-proactive-auth true --git-submodule-strategy recursive)
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both has_file sub-a/lib/c/c.txt
}

t_plain_http_server() {
  gsetup; GD_BASE=$GIT_PLAIN_BASE; main_job 1
  GD_ARGS=(--git-strategy clone "${JOB[@]}")
  gd_run
  gd_both is_head "$SHA_P6"
  gd_both eval 'rgit config remote.origin.url | grep -q "^http://"'
}
