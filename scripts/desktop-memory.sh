#!/usr/bin/env bash
# The desktop app's memory (docs/benchmarks.md): PSS of the app and its WebKit processes,
# started hidden, with the window shown, and closed to the tray. Same setup as the smoke test
# (Xvfb, private D-Bus, unlocked keyring, the fake upstream); prints a Markdown table.
#
#   scripts/desktop-memory.sh [--install]
#
# Env: DESKTOP_APP (measure this binary, e.g. a release build:
#      cargo build --release --manifest-path src-tauri/Cargo.toml, then
#      DESKTOP_APP=target-desktop/release/kiro-gateway-desktop), SETTLE_MS (default 10000).
set -euo pipefail
DESKTOP_RUN="node memory.mjs" exec "$(dirname "$0")/desktop-smoke.sh" "$@"
