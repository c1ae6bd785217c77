# tls-check against a real TLS server (openssl s_server) and a throw-away PKI.
F=$CIH_FIXTURES

# server CERTNAME [s_server options...]: start it on a free port, set $PORT.
server() { server_retry s_server "$@"; }
s_server() {  # PORT CERTNAME [options...]
  local port=$1 name=$2; shift 2
  openssl s_server -quiet -www -accept "127.0.0.1:$port" -cert "$F/$name.pem" -key "$F/$name.key" \
    "$@" >server.log 2>&1 &
}

t_right_ca_via_ca_file_is_accepted() {
  server server
  run tls-check --ca-file "$F/ca.pem" "https://localhost:$PORT/some/path"
  expect_status 0
  expect_out "CA file $F/ca.pem (1 certificates)"
  expect_out "connected to localhost:$PORT"
  expect_out "subject: CN=localhost"
  expect_out "response: HTTP/1.0 200 ok"
}

t_right_ca_via_ssl_cert_file_replaces_system_bundle() {
  server server
  SSL_CERT_FILE=$F/ca.pem run tls-check "localhost:$PORT"
  expect_status 0
  expect_out "SSL_CERT_FILE $F/ca.pem (1 certificates)"
  expect_no_out "system bundle"
}

t_ci_server_tls_ca_file_for_the_gitlab_host_only() {
  server server
  CI_SERVER_HOST=localhost CI_SERVER_TLS_CA_FILE=$F/ca.pem run tls-check "localhost:$PORT"
  expect_status 0
  CI_SERVER_HOST=gitlab.example.com CI_SERVER_TLS_CA_FILE=$F/ca.pem run tls-check "localhost:$PORT"
  expect_status 1
  expect_err "certificate signed by unknown authority"
}

t_unknown_ca_is_refused() {
  server server
  run tls-check "localhost:$PORT"
  expect_status 1
  expect_err "FATAL: tls: x509: certificate signed by unknown authority (host localhost)"
  expect_no_out "connected to"
}

t_wrong_ca_is_refused() {
  server untrusted
  run tls-check --ca-file "$F/ca.pem" "localhost:$PORT"
  expect_status 1
  expect_err "certificate signed by unknown authority"
}

t_expired_certificate_is_refused() {
  server expired
  run tls-check --ca-file "$F/ca.pem" "localhost:$PORT"
  expect_status 1
  expect_err "FATAL: tls: x509: certificate has expired (host localhost)"
}

t_wrong_host_name_is_refused() {
  server wronghost
  run tls-check --ca-file "$F/ca.pem" "localhost:$PORT"
  expect_status 1
  expect_err "FATAL: tls: x509: certificate is not valid for host localhost"
}

t_insecure_connects_but_warns_loudly() {
  server untrusted
  run tls-check --insecure "localhost:$PORT"
  expect_status 0
  expect_err "WARNING: TLS verification is DISABLED for localhost"
  expect_out "verification disabled"
}

t_client_certificate_is_sent_when_required() {
  server server -Verify 1 -CAfile "$F/ca.pem"
  run tls-check --ca-file "$F/ca.pem" --cert-file "$F/client.pem" --key-file "$F/client.key" "localhost:$PORT"
  expect_status 0
  expect_out "client certificate $F/client.pem"
  expect_out "response: HTTP/1.0 200 ok"
  run tls-check --ca-file "$F/ca.pem" "localhost:$PORT"
  expect_status 1
  expect_err "A fatal alert message was received from our peer"   # certificate required
}

t_credentials_in_a_url_never_reach_the_output() {
  run tls-check "http://gitlab-ci-token:glcbt-SECRET1234@localhost:1/x"
  expect_status 1
  expect_err "only https:// URLs can be checked, not http://"
  ! grep -q SECRET1234 out.txt err.txt || fail "the credential was printed"
  CI_JOB_TOKEN=glcbt-SECRET1234 run tls-check --timeout 1s "https://u:glcbt-SECRET1234@127.0.0.1:1/"
  expect_status 1
  ! grep -q SECRET1234 out.txt err.txt || fail "the credential was printed"
}

t_timeout_must_be_positive() {
  run tls-check --timeout 0 localhost:1
  expect_status 1
  expect_err "--timeout must be at least 1ms"
  run tls-check --timeout 1 localhost:1
  expect_status 1
  expect_out 'Incorrect Usage: invalid value "1" for flag -timeout: time: missing unit in duration "1"'
}

t_ssl_cert_dir_is_a_list_and_skips_missing_entries() {
  server server
  mkdir d; cp "$F/ca.pem" d/
  SSL_CERT_DIR=/nonexistent:$PWD/d run tls-check "localhost:$PORT"
  expect_status 0
  expect_out "SSL_CERT_DIR /nonexistent:$PWD/d (1 certificates)"
}

t_silent_server_times_out_the_handshake() {
  PORT=$(free_port)
  listen_silent "$PORT"
  wait_port "$PORT"
  start=$(date +%s)
  run tls-check --timeout 2s "localhost:$PORT"
  expect_status 1
  expect_err "tls handshake with localhost: i/o timeout"
  [ $(( $(date +%s) - start )) -le 10 ] || fail "the handshake deadline was not kept"
}

t_missing_explicit_ca_file_is_a_clear_error() {
  SSL_CERT_FILE=/nonexistent/ca.pem run tls-check localhost:1
  expect_status 1
  expect_err "FATAL: SSL_CERT_FILE '/nonexistent/ca.pem': cannot read: no such file or directory"
}

t_embedded_bundle_is_used_without_a_system_store() {
  # A FROM-scratch image has no /etc/ssl: an empty SSL_CERT_DIR stands in for that.
  mkdir empty
  SSL_CERT_DIR=$PWD/empty run tls-check --timeout 2s 127.0.0.1:1
  expect_status 1
  expect_out "SSL_CERT_DIR $PWD/empty (0 certificates)"
  expect_out "embedded Mozilla bundle ("
  expect_err "dial tcp 127.0.0.1:1: connect: connection refused"
}
