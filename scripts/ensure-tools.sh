#!/usr/bin/env bash
# Installs what a fresh Debian machine with Node 20 lacks: pnpm 10.34.9, and
# (when asked) Debian's chromium, whose SwiftShader Vulkan ICD lets Dawn run
# WebGPU without a GPU. Sourced by the other scripts; prints what it does.
set -euo pipefail
PNPM_VERSION=10.34.9

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "advtrain: installing pnpm $PNPM_VERSION with npm"
  npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

# Dawn (npm `webgpu`) needs the Vulkan loader (libvulkan1) and an ICD: Chromium's SwiftShader.
ensure_chromium() {
  if [ -f /usr/lib/chromium/vk_swiftshader_icd.json ] && ldconfig -p | grep -q 'libvulkan.so.1 '; then return 0; fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else
      echo "advtrain: chromium is missing and apt-get needs root; WebGPU and browser tests will be skipped" >&2
      return 1
    fi
  fi
  echo "advtrain: installing Debian's chromium and libvulkan1 (software Vulkan for WebGPU, headless browser tests)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium libvulkan1 >/dev/null
}
