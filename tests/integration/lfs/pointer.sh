# Pointer parsing through `git lfs pointer --check --file=F` (exit 0 for a
# pointer, 1 otherwise), and `git lfs pointer --file/--pointer` against Debian's
# git-lfs. Validity follows the spec (git-lfs docs/spec.md: "{key} {value}\n"
# lines, version first, then ext-* keys, oid and size, lower-case sha256 hex, a
# size without sign or leading zero, under 1024 bytes, no other keys). Debian's
# git-lfs 3.3 without --strict is more lenient (it takes CRLF, trailing blanks,
# blank lines and a missing last newline): ours may never accept what it refuses.
# shellcheck source=lib/lfs.sh
source "$CIH_TESTS/integration/lfs/lib/lfs.sh"

OID=4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393
V1=https://git-lfs.github.com/spec/v1

# case NAME WANT: ./p/NAME (written by the caller) checked by ours, with --file
# and on stdin; WANT 0 or 1. Real git-lfs must not accept what WANT=1 has unless
# its leniency is known (LENIENT=1).
check() {
  local f=p/$1 want=$2 rs
  ours git lfs pointer --check --file="$f"
  [ "$STATUS" = "$want" ] || fail "pointer --check --file=$1: exit $STATUS, want $want: $(od -c "$f" | head -20)"
  # shellcheck disable=SC2016
  ours sh -c 'exec git lfs pointer --check --stdin <"$1"' _ "$f"
  [ "$STATUS" = "$want" ] || fail "pointer --check --stdin <$1: exit $STATUS, want $want"
  real git lfs pointer --check --file="$f"
  rs=$STATUS
  if [ "$want" = 0 ] && [ "$rs" != 0 ]; then fail "Debian's git-lfs refuses $1 (exit $rs): the case is wrong"; fi
  if [ "$want" = 1 ] && [ "$rs" = 0 ] && [ "${LENIENT:-0}" != 1 ]; then
    fail "Debian's git-lfs takes $1 as a pointer, ours does not"
  fi
}
ptr() {  # NAME FORMAT ARGS...: printf into p/NAME
  local n=$1; shift
  # shellcheck disable=SC2059
  printf "$@" >"p/$n"
}

t_pointer_check() {
  lfs_local_setup
  mkdir -p p
  ptr valid 'version %s\noid sha256:%s\nsize 12345\n' "$V1" "$OID"; check valid 0
  ptr zero-size 'version %s\noid sha256:%s\nsize 0\n' "$V1" "$OID"; check zero-size 0
  ptr hawser 'version https://hawser.github.com/spec/v1\noid sha256:%s\nsize 12345\n' "$OID"; check hawser 0
  ptr git-media 'version http://git-media.io/v/2\noid sha256:%s\nsize 12345\n' "$OID"; check git-media 0
  ptr ext 'version %s\next-0-foo sha256:%s\noid sha256:%s\nsize 12345\n' "$V1" "$OID" "$OID"; check ext 0
  : >p/empty; check empty 0
  ptr crlf 'version %s\r\noid sha256:%s\r\nsize 12345\r\n' "$V1" "$OID"; LENIENT=1 check crlf 1
  ptr no-size 'version %s\noid sha256:%s\n' "$V1" "$OID"; check no-size 1
  ptr upper-hex 'version %s\noid sha256:%s\nsize 12345\n' "$V1" "${OID^^}"; check upper-hex 1
  ptr trailing-space 'version %s\noid sha256:%s\nsize 12345 \n' "$V1" "$OID"; LENIENT=1 check trailing-space 1
  ptr extra-key 'version %s\noid sha256:%s\nsize 12345\nfoo bar\n' "$V1" "$OID"; check extra-key 1
  ptr extra-key-between 'version %s\nfoo bar\noid sha256:%s\nsize 12345\n' "$V1" "$OID"; check extra-key-between 1
  { printf 'version %s\noid sha256:%s\nsize 12345\n' "$V1" "$OID"; head -c 1100 /dev/zero | tr '\0' '\n'; } >p/over-1024
  LENIENT=1 check over-1024 1
  ptr long-key 'version %s\nx%s y\noid sha256:%s\nsize 12345\n' "$V1" "$(head -c 1000 /dev/zero | tr '\0' a)" "$OID"
  check long-key 1
  ptr version-2 'version https://git-lfs.github.com/spec/v2\noid sha256:%s\nsize 12345\n' "$OID"; check version-2 1
  ptr order 'oid sha256:%s\nversion %s\nsize 12345\n' "$OID" "$V1"; check order 1
  ptr no-newline 'version %s\noid sha256:%s\nsize 12345' "$V1" "$OID"; LENIENT=1 check no-newline 1
  ptr leading-zero 'version %s\noid sha256:%s\nsize 012345\n' "$V1" "$OID"; LENIENT=1 check leading-zero 1
  ptr negative 'version %s\noid sha256:%s\nsize -5\n' "$V1" "$OID"; check negative 1
  ptr not-a-number 'version %s\noid sha256:%s\nsize 12k\n' "$V1" "$OID"; check not-a-number 1
  ptr sha1 'version %s\noid sha1:%s\nsize 5\n' "$V1" "${OID:0:40}"; check sha1 1
  ptr short-oid 'version %s\noid sha256:%s\nsize 5\n' "$V1" "${OID:0:63}"; check short-oid 1
  ptr two-spaces 'version %s\noid  sha256:%s\nsize 5\n' "$V1" "$OID"; check two-spaces 1
  ptr blank-line 'version %s\n\noid sha256:%s\nsize 12345\n' "$V1" "$OID"; LENIENT=1 check blank-line 1
  ptr text 'just some text\n'; check text 1
}

# pointer --file makes the pointer real git-lfs makes; --pointer compares, with
# git-lfs's exit statuses (0 equal, 1 different or not a pointer)
t_pointer_file_compare() {
  lfs_local_setup
  bytes data 3000 >data.bin
  real git lfs pointer --file=data.bin
  cp out.txt real.ptr
  ours git lfs pointer --file=data.bin
  expect_ok
  cmp -s out.txt real.ptr || fail "pointer --file=data.bin: $(cat out.txt), real: $(cat real.ptr)"
  expect_err "Git LFS pointer for data.bin"
  ours git lfs pointer --file=data.bin --pointer=real.ptr
  expect_ok
  printf 'version %s\noid sha256:%s\nsize 3000\n' "$V1" "$OID" >other.ptr
  echo "not a pointer" >text.ptr
  local p rs bad=""
  for p in other.ptr text.ptr; do
    real git lfs pointer --file=data.bin --pointer=$p
    rs=$STATUS
    ours git lfs pointer --file=data.bin --pointer=$p
    [ "$STATUS" != 0 ] || fail "pointer --file=data.bin --pointer=$p: exit status 0"
    case $p in
      other.ptr) expect_err "Pointers do not match" ;;
      text.ptr) expect_err "Pointer file error" ;;
    esac
    [ "$STATUS" = "$rs" ] || bad="$bad --pointer=$p: exit $STATUS, git-lfs's $rs;"
  done
  [ -z "$bad" ] || fail "pointer --file=data.bin$bad"
}
