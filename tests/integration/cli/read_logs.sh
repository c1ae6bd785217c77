# read-logs: "<offset after chunk> <chunk>" lines on stdout, following the file.

# follow ARGS...: read-logs in the background (stdout in out.txt); $RL is its pid.
follow() {
  timeout 20 $CIH_EXEC "$CIH_BIN" read-logs "$@" >out.txt 2>err.txt &
  RL=$!; PIDS+=($RL)
}
# wait_line LINE: until stdout has exactly that line (5 s at most).
wait_line() {
  for _ in $(seq 100); do grep -qxF -- "$1" out.txt && return 0; sleep 0.05; done
  fail "stdout never had the line: $1"
}
# wait_end: status of the background read-logs, which must end by itself within 5 s.
wait_end() {
  for _ in $(seq 100); do kill -0 "$RL" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$RL" 2>/dev/null && fail "read-logs did not end"
  wait "$RL"; STATUS=$?
}
stop() { kill "$RL" 2>/dev/null; wait "$RL" 2>/dev/null; true; }

t_follows_a_growing_file_partial_lines_included() {
  printf 'one\ntw' >log
  follow --path log
  wait_line "6 tw"
  printf 'o\nthree\n' >>log
  wait_line "14 three"
  stop
  # the partial "tw" is shown at end of file with a newline that is not counted
  expect_out_eq "$(printf '4 one\n6 tw\n8 o\n14 three')"
}

t_offset_resumes_mid_file() {
  printf 'one\ntwo\nthree\n' >log
  follow --path log --offset 6
  wait_line "14 three"
  stop
  expect_out_eq "$(printf '8 o\n14 three')"
}

t_long_line_comes_in_16k_chunks() {
  { head -c 40960 /dev/zero | tr '\0' x; printf '\nend\n'; } >log
  follow --path log
  wait_line "40965 end"
  stop
  # offset and chunk length of each line
  [ "$(awk '{print $1, length($2)}' out.txt | tr '\n' ' ')" = "16384 16384 32768 16384 40961 8192 40965 3 " ] ||
    fail "chunks: $(awk '{print $1, length($2)}' out.txt | tr '\n' ' ')"
}

t_waits_for_the_file_to_be_created() {
  follow --path log --wait-file-timeout 5s
  sleep 1.2
  echo late >log
  wait_line "5 late"
  stop
}

t_wait_errors() {
  start=$(date +%s%N)
  run read-logs --path nolog --wait-file-timeout 1s
  expect_status 1
  expect_out_eq "error reading logs from nolog: timeout waiting for file to be created"
  [ $(( ($(date +%s%N) - start) / 1000000 )) -ge 900 ] || fail "did not wait a second"
  run read-logs --path nolog --wait-file-timeout 999ms
  expect_status 1
  expect_out_eq "error reading logs from nolog: no attempts to open log file configured"
  run read-logs --path nolog --wait-file-timeout 5
  expect_status 1
  expect_out "Incorrect Usage:"
}

t_other_errors_go_to_stdout_with_status_1() {
  mkdir dir
  run read-logs --path dir
  expect_status 1
  expect_out_eq "error reading logs from dir: read dir: is a directory"
  echo x >log
  run read-logs --path log --offset -1
  expect_status 1
  expect_out_eq "error reading logs from log: seek log: invalid argument"
}

t_deleted_file_ends_with_100() {
  echo a >log
  follow --path log
  wait_line "2 a"
  rm log
  wait_end
  expect_status 100
  expect_out_eq "2 a"
}

# A file replaced under the same path (rotation) is not reopened: as upstream, the
# first descriptor is read until the path is gone.
t_replaced_file_keeps_the_old_descriptor() {
  exec 3>>log
  echo a >&3
  follow --path log
  wait_line "2 a"
  echo new >log.new && mv log.new log
  echo b >&3
  wait_line "4 b"
  sleep 0.7 # more than one poll of the new file's path
  rm log
  wait_end
  expect_status 100
  expect_out_eq "$(printf '2 a\n4 b')"
}
