#!/usr/bin/env bash
# Fuzzes the Kiro event-stream decoder for the given number of seconds (default 60).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
# New inputs go to src-tauri/gateway/fuzz/corpus/decode (ignored by git); the committed
# seeds are the test vectors of docs/kiro-protocol.md#test-vectors with a leading chunking
# byte (see fuzz_targets/decode.rs).
set -euo pipefail

seconds="${1:-60}"
cd "$(dirname "$0")/../src-tauri/gateway/fuzz"
mkdir -p corpus/decode
# A single allocation above 32 MiB (twice the 16 MiB frame bound) counts as a failure.
exec cargo +nightly fuzz run decode corpus/decode seeds -- \
  -max_total_time="$seconds" -malloc_limit_mb=32 -rss_limit_mb=1024
