#!/usr/bin/env bash
# The benchmark of docs/benchmarks.md, in one command: release build, then every scenario
# (about 15 minutes with the 10-minute soak). Extra arguments go to loadgen, e.g.
#   scripts/bench.sh --quick --soak-secs 30      # a few minutes, smaller samples
#   scripts/bench.sh --only throughput           # one scenario
# Close other work first: the latency and throughput figures share the machine's cores;
# the CPU time per request does not depend on that.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p kiro-gateway -p kiro-gateway-tests \
  --bin kiro-gateway --bin loadgen --bin passthrough >&2
echo "# $(date -u +%Y-%m-%d) · $(git rev-parse --short HEAD) · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) · kernel $(uname -r) · open files $(ulimit -n)"
exec ./target/release/loadgen "$@"
