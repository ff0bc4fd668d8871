#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the real clients the cross-client tests drive
# (pinned Python SDKs from tests/sdk/requirements.txt; pinned Claude Code, Codex, OpenCode and
# Continue CLIs from tests/clients/package-lock.json; llm and aider, each in its own venv
# from tests/clients/<name>-requirements.txt) when they are missing or stale, then runs nextest.
# Needs python3 with pip, and Node.js 18+ with npm. Extra arguments go to nextest.
set -euo pipefail
cd "$(dirname "$0")/.."

want_py="$(grep -E '^[a-z]' tests/sdk/requirements.txt | tr '\n' ' ')"
if ! python3 - "$want_py" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for pin in sys.argv[1].split():
    name, wanted = pin.split("==")
    assert version(name) == wanted, pin
PY
then
  echo "==> installing the pinned Python SDKs ($want_py)"
  python3 -m pip install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
fi

# Every pinned client is installed at its pinned version (npm ci otherwise).
if ! node -e '
  const pins = require("./tests/clients/package.json").dependencies;
  for (const [name, version] of Object.entries(pins)) {
    const installed = require(`./tests/clients/node_modules/${name}/package.json`).version;
    if (installed !== version) process.exit(1);
  }' 2>/dev/null; then
  echo "==> installing the pinned client CLIs (tests/clients)"
  (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
fi

# The Python CLIs (llm, aider), each in its own venv tests/clients/venv-<name>: aider pins its
# own openai and pydantic, which would clash with the SDK pins above. A venv is rebuilt when its
# requirements file changed since it was installed (the copy kept inside it).
for req in tests/clients/*-requirements.txt; do
  name="$(basename "$req" -requirements.txt)"
  venv="tests/clients/venv-$name"
  if ! cmp -s "$req" "$venv/installed-requirements.txt" || [ ! -x "$venv/bin/$name" ]; then
    echo "==> installing the pinned $name CLI ($venv)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$venv/installed-requirements.txt"
  fi
done

if ! command -v cargo-nextest >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
exec cargo nextest run --workspace --locked "$@"
