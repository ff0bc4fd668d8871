#!/usr/bin/env bash
# Desktop smoke test (Linux): build the Tauri shell, run it under Xvfb + a private D-Bus
# session with an unlocked gnome-keyring, against the fake Kiro upstream; wait for /health,
# screenshot the screen, quit cleanly.
#
#   scripts/desktop-smoke.sh [screenshot.png]
#
# Needs: libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev xvfb xauth dbus-x11
#        gnome-keyring imagemagick curl
# Env:   DESKTOP_TARGET_DIR (cargo target dir of the shell, default target-desktop),
#        ROOT_TARGET_DIR (of the root workspace, default target), PORT (default 18000).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${1:-}" != "--inner" ]]; then SHOT="${1:-$ROOT/target-desktop/smoke.png}"; fi
DESKTOP_TARGET_DIR="${DESKTOP_TARGET_DIR:-$ROOT/target-desktop}"
ROOT_TARGET_DIR="${ROOT_TARGET_DIR:-$ROOT/target}"
PORT="${PORT:-18000}"
FAKE_PORT="${FAKE_PORT:-18900}"

if [[ "${1:-}" != "--inner" ]]; then
  echo "== building fake-kiro (root workspace) and the desktop app"
  CARGO_TARGET_DIR="$ROOT_TARGET_DIR" cargo build --locked -p kiro-gateway-tests --bin fake-kiro
  CARGO_TARGET_DIR="$DESKTOP_TARGET_DIR" cargo build --locked --manifest-path "$ROOT/src-tauri/Cargo.toml"
  mkdir -p "$(dirname "$SHOT")"
  export ROOT SHOT DESKTOP_TARGET_DIR ROOT_TARGET_DIR PORT FAKE_PORT
  exec xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- "$0" --inner
fi

# ---- inside Xvfb + the D-Bus session ----
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A throwaway home: settings, keyring and autostart entries stay out of the real one.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
eval "$(printf 'smoke' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

"$ROOT_TARGET_DIR/debug/fake-kiro" --port "$FAKE_PORT" --token-dir "$WORK/tokens" > "$WORK/fake.env" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q '^KIRO_CREDS_FILE=' "$WORK/fake.env" && break; sleep 0.2; done
set -a
# shellcheck disable=SC1090
source <(grep -E '^[A-Z_]+=' "$WORK/fake.env")
set +a
export KIRO_GATEWAY_PORT="$PORT"

"$DESKTOP_TARGET_DIR/debug/kiro-gateway-desktop" > "$WORK/app.log" 2>&1 &
APP=$!
PIDS+=("$APP")

ok=""
for _ in $(seq 120); do
  if curl -fsS "http://127.0.0.1:$PORT/health" > "$WORK/health.json" 2>/dev/null; then ok=1; break; fi
  kill -0 "$APP" 2>/dev/null || break
  sleep 0.5
done
if [[ -z "$ok" ]]; then
  echo "FAIL: /health never answered on port $PORT"; cat "$WORK/app.log"; exit 1
fi
echo "== /health: $(cat "$WORK/health.json")"
sleep 3 # let the window paint
import -window root "$SHOT"
echo "== screenshot: $SHOT"

# Quit: SIGTERM is what a session logout sends; the app must exit within the bound.
kill -TERM "$APP"
for _ in $(seq 40); do kill -0 "$APP" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$APP" 2>/dev/null; then
  echo "FAIL: the app did not exit after SIGTERM"; tail -20 "$WORK/app.log"; exit 1
fi
echo "== app log (tail)"; tail -15 "$WORK/app.log"
echo "PASS"
