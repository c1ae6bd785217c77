# Shared by tests/integration/git/sources_*.sh: the server, the harness and
# the job payloads the scenarios use.
source "$CIH_TESTS/integration/git/lib/server.sh"
source "$CIH_TESTS/integration/git/lib/diff.sh"

# gsetup [--proxy]: a fresh server with fixtures, and harness defaults
gsetup() { git_server "$@"; gd_reset; }

# main_job DEPTH [STATE]: sets JOB to the payload of a pipeline for main as
# GitLab sends it: the persistent pipeline ref, plus the branch with depth > 0,
# or the head and tag wildcards with depth 0. STATE 1: main = p4 (pipeline 100),
# STATE 2 (default): main = p6 (pipeline 102).
main_job() {
  local depth=$1 st=${2:-2} sha pid
  if [ "$st" = 1 ]; then sha=$SHA_P4 pid=100; else sha=$SHA_P6 pid=102; fi
  JOB=(--sha "$sha" --ref main --depth "$depth" --refspec "+refs/pipelines/$pid:refs/pipelines/$pid")
  if [ "$depth" -gt 0 ]; then
    JOB+=(--refspec "+refs/heads/main:refs/remotes/origin/main")
  else
    JOB+=(--refspec "+refs/heads/*:refs/remotes/origin/*" --refspec "+refs/tags/*:refs/tags/*")
  fi
}
