# The global CLI contract of gitlab-runner-helper.

t_version_block_has_six_lines() {
  run --version
  expect_status 0
  [ "$(wc -l <out.txt)" = 6 ] || fail "want 6 lines"
  grep -qE '^Version:      [0-9]+\.[0-9]+\.[0-9]+$' out.txt || fail "Version line"
  grep -qE '^Git revision: ([0-9a-f]{8}|HEAD)$' out.txt || fail "Git revision line"
  grep -qE '^Git branch:   ' out.txt || fail "Git branch line"
  grep -qE '^GO version:   ' out.txt || fail "GO version line"
  grep -qE '^Built:        ' out.txt || fail "Built line"
  grep -qE '^OS/Arch:      linux/(amd64|arm64|s390x|ppc64le|riscv64)$' out.txt || fail "OS/Arch line"
  cp out.txt long.txt
  run -v
  diff long.txt out.txt || fail "-v differs from --version"
}

t_dispatch_on_argv0_gitlab_runner_helper() {
  run_as gitlab-runner-helper --help
  expect_status 0
  expect_out "gitlab-runner-helper - a GitLab Runner Helper"
  expect_out "   gitlab-runner-helper [global options] command"
  run gitlab-runner-helper cache-init
  expect_status 1
  expect_err "No arguments passed, at least 1 path is required."
  run --list
  expect_out_eq "gitlab-runner-helper
git
git-lfs
dumb-init
entrypoint
gitlab-runner-build
update-ca-certificates"
  run_as git-lfs version
  expect_status 0
  expect_out "git-lfs/"
}

t_no_arguments_prints_help_and_exits_0() {
  run
  expect_status 0
  expect_out "COMMANDS:"
  expect_out "   cache-init"
  expect_out "   health-check"
  expect_out "GLOBAL OPTIONS:"
  expect_out "--log-level value, -l value"
  run help
  expect_status 0
  expect_out "COMMANDS:"
}

t_help_for_a_command() {
  run help health-check
  expect_status 0
  expect_out "health-check - check health for a specific address"
  expect_out "--port value, -p value"
  run health-check --help
  expect_status 0
  expect_out "health-check - check health for a specific address"
}

t_unknown_command_exits_1() {
  run frobnicate
  expect_status 1
  [ "$(plain_err)" = "FATAL: Command frobnicate not found                " ] || fail "message"
}

t_unknown_global_flag_is_incorrect_usage() {
  run --frob cache-init x
  expect_status 1
  expect_out "Incorrect Usage. flag provided but not defined: -frob"
  expect_err "FATAL: flag provided but not defined: -frob"
}

t_wrong_command_flag_is_incorrect_usage() {
  run cache-init --nope /tmp
  expect_status 1
  expect_out "Incorrect Usage: flag provided but not defined: -nope"
  expect_out "cache-init - changed permissions for cache paths (internal)"
  expect_err "FATAL: flag provided but not defined: -nope"
}

t_bad_log_level_is_fatal() {
  run --log-level loud cache-init x
  expect_status 1
  expect_err "FATAL: Error while setting up logging configuration"
  expect_err 'failed to parse log level: not a valid logrus Level: "loud"'
  LOG_LEVEL=nope run cache-init x
  expect_status 1
  expect_err 'not a valid logrus Level: "nope"'
}

t_log_format_json_from_env_and_flag() {
  LOG_FORMAT=json run cache-init /nonexistent/path
  expect_status 0
  python3 -c 'import json,sys; d=json.loads(open("err.txt").read()); assert d["level"]=="error" and d["msg"]=="failed to chmod path" and "no such file" in d["error"], d' ||
    fail "not the json log line"
  run --log-format text cache-init /nonexistent/path
  grep -qE '^time="[^"]+" level=error msg="failed to chmod path" error="chmod /nonexistent/path: no such file or directory"$' err.txt ||
    fail "not the text log line"
  run --log-format yaml cache-init x
  expect_status 1
  expect_err 'unknown log format "yaml", expected one of: [runner text json]'
}

t_log_level_hides_errors() {
  run -l fatal cache-init /nonexistent/path
  expect_status 0
  [ ! -s err.txt ] || fail "stderr should be empty at level fatal"
  LOG_LEVEL=error run cache-init /nonexistent/path
  expect_err "failed to chmod path"
}

t_debug_env_and_flag() {
  PORT=$(free_port)
  listen "$PORT" 1.5
  RUNNER_DEBUG=true run health-check -p "$PORT"
  expect_status 0
  expect_err "dial tcp localhost:$PORT"   # failed attempts are logged at debug level
  PORT=$(free_port)
  listen "$PORT" 1.5
  RUNNER_DEBUG= run health-check -p "$PORT"  # empty: false for urfave's own bool flag
  expect_status 0
  [ "$(grep -c "dialing localhost:$PORT" out.txt)" -ge 2 ] || fail "the port was up at once: nothing tested"
  expect_no_err "dial tcp"
  run --debug health-check -p "$PORT"
  expect_status 0
}

t_bad_env_value_for_a_global_flag_is_only_fatal() {
  RUNNER_DEBUG=maybe run cache-init x
  expect_status 1
  [ ! -s out.txt ] || fail "urfave returns this error without printing usage"
  expect_err 'FATAL: could not parse maybe as bool value for flag debug: strconv.ParseBool: parsing "maybe": invalid syntax'
}

t_both_forms_of_a_global_flag() {
  run -l debug --log-level info cache-init x
  expect_status 1
  expect_out "Cannot use two forms of the same flag: l log-level"
  expect_no_out "Incorrect Usage"
  expect_out "GLOBAL OPTIONS:"
}

t_help_for_an_unknown_command() {
  run help nosuch
  expect_status 1
  expect_err "FATAL: Command nosuch not found"
}

t_logging_setup_runs_before_the_bare_help() {
  LOG_LEVEL=bad run
  expect_status 1
  expect_err "FATAL: Error while setting up logging configuration"
  run --help   # explicit help comes first, as in urfave
  expect_status 0
}
