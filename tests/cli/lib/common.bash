# shellcheck shell=bash disable=SC2034
# Sourced by every tests/cli/*.sh: arguments, a scratch folder, and small assertions.
# Usage of a test: bash test.sh <path-to-tessera> <tests/data dir>
set -euo pipefail
TESSERA="${1:?usage: $0 <path-to-tessera> <tests/data dir>}"
DATA="${2:?usage: $0 <path-to-tessera> <tests/data dir>}"
MODELS="$DATA/models"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/stdout"
ERR="$WORK/stderr"

fail() {
  echo "FAIL: $*" >&2
  [ -s "$OUT" ] && { echo "--- stdout:" >&2; head -40 "$OUT" >&2; }
  [ -s "$ERR" ] && { echo "--- stderr:" >&2; head -40 "$ERR" >&2; }
  exit 1
}

# expect_exit CODE command...: runs the command (stdout -> $OUT, stderr -> $ERR) and
# checks its exit code.
expect_exit() {
  local want="$1" got=0
  shift
  "$@" >"$OUT" 2>"$ERR" || got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited with $got, expected $want"
}

# expect_grep FILE REGEX [what]: the file has a line matching the extended regex.
expect_grep() {
  grep -Eq -- "$2" "$1" || fail "${3:-output} has no line matching '$2'"
}

expect_no_grep() {
  ! grep -Eq -- "$2" "$1" || fail "${3:-output} unexpectedly matches '$2'"
}

# write_f32_npy PATH HEXBYTES...: a 1-D float32 .npy written byte by byte (format 1.0,
# header padded to 128 bytes) so tests do not depend on Python.
write_f32_npy() {
  local path="$1"
  shift
  local dict="{'descr': '<f4', 'fortran_order': False, 'shape': ($#,), }"
  local padded
  padded="$(printf '%-117s' "$dict")"
  { printf '\x93NUMPY\x01\x00\x76\x00%s\n' "$padded"
    local word
    for word in "$@"; do
      # shellcheck disable=SC2059 # the format string is the bytes being written
      printf "\\x${word:0:2}\\x${word:2:2}\\x${word:4:2}\\x${word:6:2}"
    done
  } >"$path"
}

# interrupt_when PID FILE REGEX: waits (up to 60 s) until FILE has a line matching REGEX,
# sends SIGINT (Ctrl+C) to PID and leaves its exit code in INTERRUPTED_CODE.
interrupt_when() {
  local pid="$1" file="$2" regex="$3"
  for _ in $(seq 600); do
    grep -Eq -- "$regex" "$file" 2>/dev/null && break
    sleep 0.1
  done
  kill -INT "$pid"
  INTERRUPTED_CODE=0
  wait "$pid" || INTERRUPTED_CODE=$?
}
