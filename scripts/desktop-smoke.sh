#!/usr/bin/env bash
# Desktop smoke test (Linux): build the Tauri app, then run `tests/desktop` against it under
# Xvfb and a private D-Bus session with an unlocked gnome-keyring, a throwaway HOME and the
# fake Kiro upstream. The window is driven over WebDriver (tauri-driver + WebKitWebDriver),
# the tray over its D-Bus menu; one step adds openbox and a stand-in tray host
# (tests/desktop/tray_host.py) to check close-to-tray.
#
#   scripts/desktop-smoke.sh [--install] [screenshot-dir]
#
# --install  installs what it needs first (apt packages, tauri-driver); CI passes it.
# Env:       DESKTOP_TARGET_DIR (cargo target dir of the app, default target-desktop),
#            ROOT_TARGET_DIR (of the root workspace, default target), PORT, FAKE_PORT,
#            DESKTOP_APP (test this binary, e.g. an installed /usr/bin/kiro-gateway-desktop,
#            instead of building one), DESKTOP_RUN (the test command, run in tests/desktop),
#            FAKE_ARGS (more fake-kiro arguments; default `--release-version 99.0.0`).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DESKTOP_TARGET_DIR="${DESKTOP_TARGET_DIR:-$ROOT/target-desktop}"
ROOT_TARGET_DIR="${ROOT_TARGET_DIR:-$ROOT/target}"
PORT="${PORT:-18000}"
FAKE_PORT="${FAKE_PORT:-18900}"

# What building and running the app needs on Debian/Ubuntu.
APT_PACKAGES=(libwebkit2gtk-4.1-dev build-essential libssl-dev libayatana-appindicator3-dev
  librsvg2-dev xvfb xauth dbus-daemon dbus-x11 gnome-keyring imagemagick webkit2gtk-driver
  xdotool xclip curl openbox wmctrl)

if [[ "${1:-}" == "--install" ]]; then
  shift
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked --version '^2'
  # The stand-in tray host (tests/desktop/tray_host.py).
  python3 -c "import dbus_next" 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check dbus-next
fi

if [[ "${1:-}" != "--inner" ]]; then
  SHOT_DIR="$(realpath -m "${1:-$DESKTOP_TARGET_DIR/smoke}")"
  echo "== building fake-kiro (root workspace) and the desktop app"
  CARGO_TARGET_DIR="$ROOT_TARGET_DIR" cargo build --locked -p kiro-gateway-tests --bin fake-kiro
  if [[ -z "${DESKTOP_APP:-}" ]]; then
    CARGO_TARGET_DIR="$DESKTOP_TARGET_DIR" cargo build --locked --manifest-path "$ROOT/src-tauri/Cargo.toml"
    DESKTOP_APP="$DESKTOP_TARGET_DIR/debug/kiro-gateway-desktop"
  fi
  mkdir -p "$SHOT_DIR"
  export ROOT SHOT_DIR DESKTOP_TARGET_DIR ROOT_TARGET_DIR PORT FAKE_PORT DESKTOP_APP DESKTOP_RUN FAKE_ARGS
  exec xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- "$0" --inner
fi

# ---- inside Xvfb + the D-Bus session ----
WORK="$(mktemp -d)"
FAKE=""
cleanup() {
  [[ -n "$FAKE" ]] && kill "$FAKE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A throwaway home: settings, keyring, logs and autostart entries stay out of the real one.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
eval "$(printf 'smoke' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

"$ROOT_TARGET_DIR/debug/fake-kiro" --port "$FAKE_PORT" --token-dir "$WORK/tokens" ${FAKE_ARGS:---release-version 99.0.0} > "$WORK/fake.env" 2>&1 &
FAKE=$!
for _ in $(seq 100); do grep -q '^KIRO_CREDS_FILE=' "$WORK/fake.env" && break; sleep 0.1; done
set -a
# shellcheck disable=SC1090
source <(grep -E '^[A-Z_]+=' "$WORK/fake.env")
set +a
export KIRO_GATEWAY_PORT="$PORT"
export SMOKE_LOG_DIR="$WORK/logs"
mkdir -p "$SMOKE_LOG_DIR"

status=0
# DESKTOP_RUN replaces the test run (scripts/desktop-memory.sh measures instead).
(cd "$ROOT/tests/desktop" && ${DESKTOP_RUN:-node --test --test-concurrency=1 desktop.test.mjs}) || status=$?
if ((status != 0)); then
  echo "== app logs"
  for f in "$SMOKE_LOG_DIR"/*.log "$XDG_DATA_HOME"/dev.kiro-gateway.desktop/logs/*.log; do
    [[ -f "$f" ]] && { echo "--- $f"; tail -n 40 "$f"; }
  done
fi
exit "$status"
