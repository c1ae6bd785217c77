# cache-init <path>...: chmod 0777, errors logged, exit 0.

t_chmods_each_path_to_0777() {
  mkdir a "b c"; touch f; chmod 700 a "b c"; chmod 600 f
  run cache-init a "b c" f
  expect_status 0
  [ "$(stat -c %a a "b c" f | tr '\n' ' ')" = "777 777 777 " ] || fail "modes: $(stat -c %a a "b c" f)"
}

t_not_recursive_and_follows_symlinks() {
  mkdir -p d/sub target; chmod 700 d/sub target; ln -s target link
  run cache-init d link
  expect_status 0
  [ "$(stat -c %a d/sub)" = 700 ] || fail "recursed into d/sub"
  [ "$(stat -c %a target)" = 777 ] || fail "did not follow the symlink"
}

t_no_arguments_is_fatal() {
  run cache-init
  expect_status 1
  expect_err "FATAL: No arguments passed, at least 1 path is required."
}

t_failure_is_logged_and_the_rest_still_done() {
  mkdir ok; chmod 700 ok
  run cache-init /nonexistent/x ok
  expect_status 0
  # runner format: the message padded to 50 - len("ERROR: "), then the fields
  [ "$(plain_err)" = "$(printf 'ERROR: %-43s  error=%s' 'failed to chmod path' 'chmod /nonexistent/x: no such file or directory')" ] ||
    fail "error line"
  [ "$(stat -c %a ok)" = 777 ] || fail "second path not processed"
}

t_unknown_flags_after_a_path_are_paths() {
  mkdir d
  run cache-init d --nope
  expect_status 0
  expect_err "chmod --nope: no such file or directory"
  run cache-init d --help   # a known flag moves ahead of the paths (urfave's reordering)
  expect_status 0
  expect_out "cache-init - changed permissions for cache paths (internal)"
}

t_double_dash_separates_paths_like_urfave() {
  mkdir a b; chmod 700 a b
  run cache-init a -- b
  expect_status 0
  expect_no_err "chmod --"
  [ "$(stat -c %a a b | tr '\n' ' ')" = "777 777 " ] || fail "modes: $(stat -c %a a b)"
}
