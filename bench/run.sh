#!/usr/bin/env bash
# One command for every benchmark: builds ccemu and the Rust benches in release mode, installs what
# the run needs from the package registries (wrk with apt-get; WireMock and Mountebank from npm,
# WireMock on the machine's Java), runs bench/bench.py and rewrites BENCHMARKS.md.
#
#   bench/run.sh           the full run (100k agents, 10 s per case)
#   bench/run.sh --quick   a smoke run (10k agents, 3 s per case; smaller Rust bench runs)
#   bench/run.sh --only writes,faults
#                          some groups only; the tables are printed and BENCHMARKS.md is left alone
#
# The groups: cold, memory, paging, throughput, writes, faults, streams (ccemu driven by wrk),
# events and erlang (`cargo bench --bench event_side` / `--bench erlang`, read by bench.py);
# bench/bench.py's header says what each measures.
#
# Not part of `cargo test`. Tools go to ~/.cache/ccemu-bench, not into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: bench/run.sh [--quick] [--only cold,memory,paging,throughput,writes,faults,streams,events,erlang]"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) export BENCH_QUICK=1 ;;
    --only) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; export BENCH_ONLY="$2"; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v wrk >/dev/null; then
  sudo_=""; [ "$(id -u)" -ne 0 ] && sudo_="sudo"
  $sudo_ apt-get install -y wrk >/dev/null
fi
# WireMock and Mountebank only for the throughput group (in every full run).
if [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",throughput,"* ]]; then
  command -v java >/dev/null || { echo "WireMock needs Java (java not found)" >&2; exit 1; }
  TOOLS="${HOME}/.cache/ccemu-bench"
  mkdir -p "$TOOLS"
  if [ ! -x "$TOOLS/node_modules/.bin/wiremock" ] || [ ! -x "$TOOLS/node_modules/.bin/mb" ]; then
    (cd "$TOOLS" && npm install --no-audit --no-fund --silent wiremock mountebank >/dev/null)
  fi
  export WIREMOCK_BIN="$TOOLS/node_modules/.bin/wiremock" MB_BIN="$TOOLS/node_modules/.bin/mb"
  export WIREMOCK_VERSION="$(node -p "require('$TOOLS/node_modules/wiremock/package.json').version")"
  export MB_VERSION="$(node -p "require('$TOOLS/node_modules/mountebank/package.json').version")"
fi

cargo build --release --quiet
export CCEMU_BIN="$PWD/target/release/ccemu"
# Built now, so that no compiler runs while the figures are taken (bench.py runs event_side and
# erlang through `cargo bench`, which then only starts them).
BARE_BIN="$(cargo bench --bench bare_hyper --bench event_side --bench erlang --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*bare_hyper-[0-9a-f]*\)).*/\1/p' | tail -1)"
[ -x "$BARE_BIN" ] || { echo "cannot find the bare_hyper bench binary" >&2; exit 1; }
export BARE_BIN="$PWD/$BARE_BIN"

exec python3 bench/bench.py
