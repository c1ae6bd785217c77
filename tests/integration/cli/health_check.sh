# health-check: wait for service ports.

t_port_flag_waits_for_a_listening_port() {
  PORT=$(free_port)
  listen "$PORT"
  wait_port "$PORT"
  run health-check --port "$PORT"
  expect_status 0
  expect_out "waiting for TCP connection to localhost on [$PORT]..."
  expect_out "dialing localhost:$PORT..."
  expect_out "dial succeeded on localhost:$PORT. Exiting..."
}

t_waits_until_the_port_opens() {
  PORT=$(free_port)
  listen "$PORT" 2
  start=$(date +%s)
  run health-check -p "$PORT"
  expect_status 0
  [ $(( $(date +%s) - start )) -ge 1 ] || fail "returned before the port opened"
  [ "$(grep -c "dialing localhost:$PORT" out.txt)" -ge 2 ] || fail "expected retries"
}

t_with_ports_every_port_must_answer() {
  P1=$(free_port); P2=$(free_port)
  listen "$P1"; listen "$P2" 2
  wait_port "$P1"
  start=$(date +%s)
  run health-check -p "$P1" -p "$P2"
  expect_status 0
  expect_out "waiting for TCP connection to localhost on [$P1 $P2]..."
  expect_out "dial succeeded on localhost:$P1. Exiting..."
  expect_out "dial succeeded on localhost:$P2. Exiting..."
  [ $(( $(date +%s) - start )) -ge 1 ] || fail "did not wait for the second port"
}

t_env_discovery_any_port_is_enough() {
  P1=$(free_port); P2=$(free_port)
  listen "$P2"; wait_port "$P2"
  run_env "WAIT_FOR_SERVICE_TCP_ADDR=127.0.0.1" "WAIT_FOR_SERVICE_${P1}_TCP_PORT=$P1" \
      "WAIT_FOR_SERVICE_${P2}_TCP_PORT=$P2" "IGNORED_TCP_PORT=a=b" health-check
  expect_status 0
  expect_out "waiting for TCP connection to 127.0.0.1 on ["
  expect_out "dial succeeded on 127.0.0.1:$P2. Exiting..."
  expect_no_out "a=b"
}

t_no_host_or_port_is_fatal() {
  run_env health-check
  expect_status 1
  expect_err "FATAL: No HOST or PORT found"
  run_env SVC_TCP_PORT=80 health-check
  expect_status 1
  expect_err "FATAL: No HOST or PORT found"
}

t_both_forms_of_port_is_incorrect_usage() {
  run health-check -p 1 --port 2
  expect_status 1
  expect_out "Incorrect Usage: Cannot use two forms of the same flag: p port"
}
