#!/usr/bin/env bash
# Packs @advtrain/core and @advtrain/fgm with `pnpm pack`, installs the
# tarballs with npm into a fresh project outside the workspace next to
# tfjs-core and tfjs-backend-wasm, and runs one training step: proof that a
# user can install just one strategy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/advtrain-pack-XXXXXX)
trap 'rm -rf "$work"' EXIT

for pkg in core fgm; do
  (cd "packages/$pkg" && pnpm pack --pack-destination "$work" >/dev/null)
done
cd "$work"
cat > package.json <<'JSON'
{ "name": "advtrain-pack-test", "private": true, "type": "module" }
JSON
npm install --no-audit --no-fund --loglevel=error ./advtrain-core-*.tgz ./advtrain-fgm-*.tgz \
  @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 @tensorflow/tfjs-layers@4.22.0 >/dev/null
cp "$root/scripts/pack-test-step.mjs" .
node pack-test-step.mjs
