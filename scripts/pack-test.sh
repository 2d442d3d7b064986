#!/usr/bin/env bash
# Packs every public package with `pnpm pack` (its prepack script builds it),
# lints each tarball with publint and are-the-types-wrong, then installs each
# package alone into a fresh npm project outside the workspace (its @advtrain
# peers from the local tarballs, everything else from the npm registry, plus
# the wasm backend and tfjs-layers an app adds) and trains one step with it.
# Last, it runs the README's quick start (examples/quickstart) the same way and
# checks that the README shows that file verbatim (and docs/writing-a-strategy.md
# the VAT example).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d /tmp/advtrain-pack-XXXXXX)
trap 'rm -rf "$work"' EXIT
tarballs="$work/tarballs"
mkdir -p "$tarballs"
TFJS=4.22.0
npm_install() { npm install --no-audit --no-fund --prefer-offline --loglevel=error "$@" >/dev/null; }

# Public packages: every packages/* that is not private.
packages=()
for dir in packages/*/; do
  name=$(basename "$dir")
  if [ "$(node -p "require('./$dir/package.json').private === true")" = false ]; then packages+=("$name"); fi
done
echo "pack test: ${packages[*]}"

# Package READMEs are read on npm: links must be absolute.
for pkg in "${packages[@]}"; do
  if grep -nP '\]\((?!https?://|#)' "packages/$pkg/README.md"; then
    echo "pack test: packages/$pkg/README.md has relative links; use https://github.com/advtrain/advtrain/blob/main/..." >&2
    exit 1
  fi
done

for pkg in "${packages[@]}"; do
  (cd "packages/$pkg" && pnpm pack --pack-destination "$tarballs" >"$work/pack.log" 2>&1) || { cat "$work/pack.log"; exit 1; }
done

tarball() { ls "$tarballs"/advtrain-"$1"-[0-9]*.tgz; }
for pkg in "${packages[@]}"; do
  file=$(tarball "$pkg")
  pnpm exec publint run --strict "$file" >"$work/publint.log" 2>&1 || { cat "$work/publint.log"; exit 1; }
  pnpm exec attw "$file" --profile esm-only --format table-flipped >"$work/attw.log" 2>&1 || { cat "$work/attw.log"; exit 1; }
  tar -xzOf "$file" package/LICENSE >"$work/LICENSE" && grep -q 'Apache License' "$work/LICENSE" \
    || { echo "pack test: $pkg ships no LICENSE" >&2; exit 1; }
done
echo "pack test: publint and are-the-types-wrong pass on ${#packages[@]} tarballs"

# Each package alone, with only its peers (+ the app's backend), trains one step.
for pkg in "${packages[@]}"; do
  project="$work/app-$pkg"
  mkdir -p "$project"
  cd "$project"
  echo '{ "name": "advtrain-pack-test", "private": true, "type": "module" }' > package.json
  peers=$(node -p "Object.keys(require('$root/packages/$pkg/package.json').peerDependencies ?? {}).filter((n) => n.startsWith('@advtrain/')).map((n) => n.slice('@advtrain/'.length)).join(' ')")
  files=("$(tarball "$pkg")")
  for peer in $peers; do files+=("$(tarball "$peer")"); done
  npm_install "${files[@]}" "@tensorflow/tfjs-core@$TFJS" "@tensorflow/tfjs-backend-wasm@$TFJS" "@tensorflow/tfjs-layers@$TFJS"
  cp "$root/scripts/pack-test-step.mjs" .
  node pack-test-step.mjs "$pkg"
  cd "$root"
done

# The quick start: README block == examples/quickstart/quickstart.mjs, and it runs from the tarballs.
node -e '
  const fs = require("fs");
  const readme = fs.readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## Use it in an app"));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (block !== fs.readFileSync("examples/quickstart/quickstart.mjs", "utf8")) {
    console.error("pack test: the README quick start differs from examples/quickstart/quickstart.mjs"); process.exit(1);
  }
  const guide = fs.readFileSync("docs/writing-a-strategy.md", "utf8");
  const whole = /## The complete file\n\n```js\n([\s\S]*?)```/.exec(guide)?.[1];
  if (whole !== fs.readFileSync("examples/custom-strategy/src/vat.mjs", "utf8")) {
    console.error("pack test: docs/writing-a-strategy.md does not show examples/custom-strategy/src/vat.mjs verbatim"); process.exit(1);
  }'
project="$work/quickstart"
mkdir -p "$project"
cp examples/quickstart/quickstart.mjs "$project/"
cd "$project"
echo '{ "name": "advtrain-quickstart", "private": true, "type": "module" }' > package.json
npm_install "$(tarball core)" "$(tarball pgd)" "$(tarball train)" "$(tarball eval)" "$(tarball backends)" \
  "@tensorflow/tfjs-core@$TFJS" "@tensorflow/tfjs-layers@$TFJS" "@tensorflow/tfjs-backend-wasm@$TFJS" "@tensorflow/tfjs-backend-cpu@$TFJS"
node quickstart.mjs | tee "$work/quickstart.log"
grep -q '^accuracy: ' "$work/quickstart.log"
echo "pack test: the quick start runs from the tarballs"
