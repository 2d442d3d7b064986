#!/usr/bin/env bash
# Installs everything and runs every test: build, typecheck, the API reference
# (TypeDoc, warnings are errors), the test suite on cpu and wasm (and a subset on
# software WebGPU), the same suite again on the threaded wasm build, and the
# packaging test.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
source scripts/ensure-tools.sh

backends=cpu,wasm
if ensure_chromium; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/xdg-$(id -u)}"
  mkdir -p "$XDG_RUNTIME_DIR"
  backends=cpu,wasm,webgpu
fi

pnpm install --frozen-lockfile
pnpm run build
pnpm run typecheck
pnpm run docs   # API reference; fails on any TypeDoc warning (an export without a doc comment)
TFJS_BACKENDS="$backends" pnpm run test
# The packages whose tests run once per backend, again on wasm with two threads, one package at a time
# (@advtrain/backends, cross-backend and the examples already run threaded in the pass above).
TFJS_BACKENDS=wasm-threads pnpm exec turbo run test --concurrency=1 --filter='./packages/*' \
  --filter='!@advtrain/backends' --filter='!@advtrain/cross-backend'
bash scripts/pack-test.sh
echo "advtrain: every test passed (backends: $backends, wasm-threads)"
