#!/usr/bin/env bash
# The desktop app installs its own update (Linux, Debian package), end to end:
#   1. builds the app's .deb twice with the Tauri CLI: this tree's version (A), and a copy of
#      the tree with the next patch version (B, via scripts/set-version.sh);
#   2. installs A with dpkg;
#   3. runs tests/desktop/update_install.mjs against the installed app under Xvfb (through
#      scripts/desktop-smoke.sh), with the fake serving B on its signed release feed: a package
#      signed by another key is refused, then "Install and restart" installs B and the app
#      restarts into it;
#   4. removes the package.
# Installing a system package takes root: run as root (CI) or with passwordless sudo. Without
# a polkit agent pkexec fails here, so the updater's last resort, `sudo dpkg -i`, is what runs.
#
#   scripts/desktop-update-test.sh [--install] [screenshot-dir]
#
# --install  installs what it needs first (what the smoke test needs, sudo, the Tauri CLI).
# Env:       UPDATE_TARGET_DIR (cargo target dir for the packages, default target-desktop).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${UPDATE_TARGET_DIR:-$ROOT/target-desktop}"
SHOTS="${2:-${1:-}}"
[[ "$SHOTS" == "--install" ]] && SHOTS=""

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

if [[ "${1:-}" == "--install" ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sudo >/dev/null
  fi
  (cd "$ROOT/tests/desktop" && npm ci --no-audit --no-fund --silent)
fi
TAURI="$ROOT/tests/desktop/node_modules/.bin/tauri"
[[ -x "$TAURI" ]] || { echo "the Tauri CLI is missing: run with --install (npm ci in tests/desktop)" >&2; exit 1; }
command -v sudo >/dev/null 2>&1 || { echo "the updater installs through sudo here: install sudo (--install)" >&2; exit 1; }

WORK="$(mktemp -d)"
PACKAGE=""
cleanup() {
  [[ -n "$PACKAGE" ]] && as_root dpkg -r "$PACKAGE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

FROM="$("$ROOT/scripts/set-version.sh" --check | awk '{print $2}')"
TO="$(echo "$FROM" | awk -F. '{printf "%d.%d.%d", $1, $2, $3 + 1}')"

# A debug build is enough to test the install path, and reuses the smoke test's build.
build_deb() { # <tree> <version> <out>
  (cd "$1/src-tauri" && CARGO_TARGET_DIR="$TARGET" "$TAURI" build --debug --bundles deb --ci -- --locked) >&2
  cp "$TARGET/debug/bundle/deb/Kiro Gateway_$2_amd64.deb" "$3"
}

echo "== building the package of $FROM"
build_deb "$ROOT" "$FROM" "$WORK/from.deb"

echo "== building the package of $TO (a copy of this tree, version set to $TO)"
mkdir "$WORK/next"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -C "$WORK/next" -xf -
"$WORK/next/scripts/set-version.sh" "$TO"
build_deb "$WORK/next" "$TO" "$WORK/to.deb"
rm -rf "$WORK/next"

PACKAGE="$(dpkg-deb -f "$WORK/from.deb" Package)"
echo "== installing $PACKAGE $FROM"
as_root dpkg -i "$WORK/from.deb" >/dev/null
APP="$(dpkg -L "$PACKAGE" | grep -m1 '/bin/kiro-gateway-desktop$')"

echo "== the installed app updates itself to $TO"
DESKTOP_APP="$APP" \
  FAKE_ARGS="--release-version $TO --release-package $WORK/to.deb --chat-delay-ms 4000" \
  DESKTOP_RUN="node --test --test-concurrency=1 update_install.mjs" \
  UPDATE_FROM="$FROM" UPDATE_TO="$TO" UPDATE_PACKAGE="$PACKAGE" \
  "$ROOT/scripts/desktop-smoke.sh" ${SHOTS:+"$SHOTS"}
