#!/bin/sh
# Run a test suite against ccemu: start it in the background on a free port, wait until it
# answers /_ccemu/health, run the command given (with CCEMU_URL set to the emulator's URL), stop
# ccemu, and exit with the command's status.
#
#   examples/ci.sh ./run-integration-tests.sh       # your suite reads $CCEMU_URL
#   examples/ci.sh                                  # no command: a signed smoke call per vendor
#
# CCEMU names the binary to run (default: `ccemu` on PATH after `cargo install --path .`, else
# target/release/ccemu, built here if missing). CCEMU_ARGS adds server flags, e.g.
# CCEMU_ARGS="--seed 7 --scenario scenarios/flaky_vendor.json".
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${CCEMU:-}" ]; then
  if command -v ccemu >/dev/null 2>&1; then
    CCEMU=ccemu
  else
    CCEMU="$here/target/release/ccemu"
    [ -x "$CCEMU" ] || (cd "$here" && cargo build --release)
  fi
fi

dir=$(mktemp -d)
# shellcheck disable=SC2086 # CCEMU_ARGS is a list of flags
"$CCEMU" --port 0 --ready-file "$dir/url" ${CCEMU_ARGS:-} >"$dir/ccemu.log" 2>&1 &
pid=$!
stop() {
  kill "$pid" 2>/dev/null || true   # SIGTERM: ccemu finishes open requests and exits
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

# The ready file appears (complete) once ccemu listens; then health must answer.
tries=0
until [ -s "$dir/url" ] && curl -fsS "$(cat "$dir/url")/_ccemu/health" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "ccemu did not become ready; its output:" >&2
    cat "$dir/ccemu.log" >&2
    exit 1
  fi
  sleep 0.1
done
CCEMU_URL=$(cat "$dir/url")
export CCEMU_URL
echo "ccemu ready at $CCEMU_URL"

if [ "$#" -gt 0 ]; then
  status=0
  "$@" || status=$?
  exit "$status"
fi

# No command: one signed call per vendor, each signed at the emulator's own clock.
for call in "udesk GET spnumbers" \
            "nxcloud POST agentGroup/member/list {\"tenantId\":144,\"queueNo\":\"NXQueue0001\"}" \
            "huawei GET CC-Mangemant/v1/queryAgentInfo"; do
  # shellcheck disable=SC2086 # the call is vendor, method, path and an optional body
  set -- $call
  line=$("$CCEMU" sign "$@" --url "$CCEMU_URL")
  answer=$(sh -c "$line")
  case "$answer" in
    *'"ErrCode":"000000"'* | *'"code":0'* | *'"agents":'*) echo "ok   $1" ;;
    *) echo "FAIL $1: $answer" >&2; exit 1 ;;
  esac
done
