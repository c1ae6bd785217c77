# proxy-exec: a command run with its output through the add-mask filter.

t_proxy_exec_masks_a_phrase_written_byte_by_byte() {
  run proxy-exec --temp-dir d sh -c '
    echo "::add-mask::hunter22"
    printf "pw="; for c in h u n t e r 2 2; do printf %s $c; sleep 0.05; done; echo
    printf "hunte"; sleep 0.1; printf "d\n"
    echo done'
  expect_status 0
  expect_out_eq "$(printf '::add-mask::[MASKED]\npw=[MASKED]\nhunted\ndone')"
}

t_proxy_exec_phrase_from_stdout_masks_stderr_and_later_calls() {
  run proxy-exec --temp-dir d sh -c 'echo "::add-mask::s3cretvalue"; echo "err s3cretvalue" >&2'
  expect_status 0
  expect_err_eq "err [MASKED]"
  echo input | cih proxy-exec --temp-dir d sh -c 'cat; echo "again s3cretvalue"' >out.txt 2>err.txt
  STATUS=$?
  expect_status 0
  expect_out_eq "$(printf 'input\nagain [MASKED]')"
}

t_proxy_exec_masking_db_format() {
  run proxy-exec --temp-dir d sh -c 'echo ::add-mask::one; echo ::add-mask::two; echo ::add-mask::one'
  expect_status 0
  key=d/runner$(printf %s d/masking.db | sha256sum | cut -c1-64)
  [ "$(stat -c '%a %s' "$key")" = "644 32" ] || fail "key file: $(ls -l d)"
  [ "$(stat -c %a d/masking.db)" = 666 ] || fail "masking.db mode"
  # 32 key bytes, then one base64 line of nonce(24) + ciphertext(3) + tag(16) per phrase
  [ "$(tail -c +33 d/masking.db | grep -cE '^[A-Za-z0-9+/]{58}==$')" = 2 ] || fail "entries: $(tail -c +33 d/masking.db)"
  [ "$(tail -c +33 d/masking.db | wc -l)" = 2 ] || fail "a phrase was stored twice"
  # a new store gets a new key
  cp "$key" key.old; rm d/masking.db
  run proxy-exec --temp-dir d true
  ! cmp -s "$key" key.old || fail "the key file was not renewed"
}

t_proxy_exec_exit_codes() {
  run proxy-exec --temp-dir d sh -c 'exit 3'
  expect_status 3
  expect_err "ERROR: exit status 3"
  run proxy-exec --temp-dir d sh -c 'kill -KILL $$'
  expect_status 255
  expect_err "ERROR: signal: killed"
  run proxy-exec --temp-dir d no-such-command-here
  expect_status 0 # upstream's quirk
  expect_err 'ERROR: exec: "no-such-command-here": executable file not found in $PATH'
  run proxy-exec --temp-dir d ./nothere
  expect_status 0
  expect_err "ERROR: fork/exec ./nothere: no such file or directory"
  run proxy-exec --temp-dir d
  expect_status 1
  expect_err "FATAL: gitlab-runner-helper exec expected args"
}

t_proxy_exec_returns_soon_after_a_grandchild_keeps_the_pipe() {
  start=$(date +%s%N)
  run proxy-exec --temp-dir d sh -c 'sleep 4 & echo started'
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  expect_status 0
  expect_out_eq "started"
  expect_err "ERROR: exec: WaitDelay expired before I/O complete"
  [ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ] || fail "returned after $ms ms"
}

t_proxy_exec_forwards_sigterm() {
  # no timeout(1) around it: it would signal the whole process group itself
  $CIH_EXEC "$CIH_BIN" proxy-exec --temp-dir d sh -c \
    'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >out.txt 2>err.txt &
  pid=$!; PIDS+=($pid)
  for _ in $(seq 100); do grep -q ready out.txt && break; sleep 0.05; done
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && fail "proxy-exec still runs"
  wait "$pid"; STATUS=$?
  expect_status 7
  expect_out_eq "$(printf 'ready\ngot TERM')"
}

t_proxy_exec_bootstrap_installs_once() {
  run proxy-exec --bootstrap --temp-dir d/sub true
  expect_status 0
  cmp -s d/sub/gitlab-runner-helper "$CIH_BIN" || fail "not a copy of the binary"
  [ "$(stat -c %a d/sub/gitlab-runner-helper)" = 777 ] || fail "mode $(stat -c %a d/sub/gitlab-runner-helper)"
  inode=$(stat -c %i d/sub/gitlab-runner-helper)
  run proxy-exec --bootstrap --temp-dir d/sub true
  [ "$(stat -c %i d/sub/gitlab-runner-helper)" = "$inode" ] || fail "an identical copy was replaced"
  head -c "$(stat -c %s "$CIH_BIN")" /dev/zero >d/sub/gitlab-runner-helper # same size, other bytes
  run proxy-exec --bootstrap --temp-dir d/sub true
  expect_status 0
  cmp -s d/sub/gitlab-runner-helper "$CIH_BIN" || fail "a different file was kept"
  [ -z "$(ls d/sub | grep -v '^gitlab-runner-helper$\|^masking.db$\|^runner')" ] || fail "left over: $(ls d/sub)"
  touch file
  run proxy-exec --bootstrap --temp-dir file/d true
  expect_status 1
  expect_err "FATAL: bootstrapping"
}

t_proxy_exec_runner_temp_project_dir_overrides_temp_dir() {
  RUNNER_TEMP_PROJECT_DIR=$PWD/envd run proxy-exec --temp-dir flagd true
  expect_status 0
  [ -s envd/masking.db ] && [ ! -e flagd ] || fail "store not in RUNNER_TEMP_PROJECT_DIR: $(ls)"
  RUNNER_TEMP_PROJECT_DIR= run proxy-exec --temp-dir flagd true
  [ -s flagd/masking.db ] || fail "an empty RUNNER_TEMP_PROJECT_DIR did not leave --temp-dir"
}
