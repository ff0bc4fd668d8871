#!/usr/bin/env bash
# Set the release version everywhere it is written: the gateway workspace (Cargo.toml), the
# desktop crate (src-tauri/Cargo.toml), the app bundle (src-tauri/tauri.conf.json) and both
# lock files. The update check compares the running gateway's version with the feed's and the
# Tauri updater the bundle's, so the three must agree (`--check` says whether they do).
#
#   scripts/set-version.sh 0.2.0
#   scripts/set-version.sh --check
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

versions() {
  python3 - <<'PY'
import json, re
root = re.search(r'\[workspace\.package\][^\[]*?\nversion = "([^"]+)"', open('Cargo.toml').read()).group(1)
desktop = re.search(r'\[package\][^\[]*?\nversion = "([^"]+)"', open('src-tauri/Cargo.toml').read()).group(1)
bundle = json.load(open('src-tauri/tauri.conf.json'))['version']
print(root, desktop, bundle)
PY
}

if [[ "${1:-}" == "--check" ]]; then
  read -r root desktop bundle < <(versions)
  if [[ "$root" == "$desktop" && "$desktop" == "$bundle" ]]; then
    echo "version $root (Cargo.toml, src-tauri/Cargo.toml, tauri.conf.json)"
    exit 0
  fi
  echo "versions disagree: Cargo.toml $root, src-tauri/Cargo.toml $desktop, tauri.conf.json $bundle" >&2
  exit 1
fi

new="${1:?usage: scripts/set-version.sh X.Y.Z | --check}"
[[ "$new" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "not a semantic version: $new" >&2; exit 2; }
NEW="$new" python3 - <<'PY'
import json, os, re
new = os.environ['NEW']
def sub(path, pattern):
    text = open(path).read()
    changed, n = re.subn(pattern, lambda m: m.group(1) + new + m.group(3), text, count=1)
    assert n == 1, f"no version in {path}"
    open(path, 'w').write(changed)
sub('Cargo.toml', r'(\[workspace\.package\][^\[]*?\nversion = ")([^"]+)(")')
sub('src-tauri/Cargo.toml', r'(\[package\][^\[]*?\nversion = ")([^"]+)(")')
sub('src-tauri/tauri.conf.json', r'(\n  "version": ")([^"]+)(")')
PY
# Only the workspace's own packages change in the lock files; nothing is fetched.
cargo update --workspace --offline --quiet
cargo update --workspace --offline --quiet --manifest-path src-tauri/Cargo.toml
"$0" --check
