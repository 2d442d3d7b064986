#!/usr/bin/env bash
# `pnpm release:dry`: what the next release would publish, without touching
# this checkout. Copies the working tree (tracked and untracked, not ignored
# files: pending changesets included) into a scratch folder, installs there
# from the pnpm store, runs `changeset version` (bumps versions, writes each
# package's CHANGELOG.md, consumes the changesets) and packs every public
# package (its prepack script builds it). Prints where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d /tmp/advtrain-release-XXXXXX)
repo="$scratch/repo"
mkdir -p "$repo" "$scratch/packs"

git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$repo"
cd "$repo"
git init -q -b main && git add -A && git -c user.name=release-dry -c user.email=release-dry@localhost commit -qm "scratch copy" --no-verify

export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
pnpm install --prefer-offline --reporter=silent   # the scratch lockfile may change; this checkout's does not
pnpm exec changeset version
pnpm install --no-frozen-lockfile --prefer-offline --reporter=silent   # the bumped versions
pnpm exec turbo run build --filter='./packages/*' --output-logs=errors-only
for dir in packages/*/; do
  if [ "$(node -p "require('./$dir/package.json').private === true")" = false ]; then
    (cd "$dir" && pnpm pack --pack-destination "$scratch/packs" >/dev/null)
  fi
done

echo
echo "release:dry: versions after \`changeset version\`:"
git diff --stat -- 'packages/*/package.json' | tail -1
for dir in packages/*/; do
  node -e '
    const p = require(process.argv[1] + "package.json");
    if (!p.private) console.log(`  ${p.name.padEnd(30)} ${p.version}`);' "$repo/$dir"
done
majors=$(git diff -U0 -- 'packages/*/package.json' | grep -E '^\+  "version": "[1-9]' || true)
if [ -n "$majors" ]; then echo "release:dry: warning: a package reaches 1.0.0 or more:"; echo "$majors"; fi
echo "release:dry: scratch repository   $repo"
echo "release:dry: changelogs           $(ls "$repo"/packages/*/CHANGELOG.md | tr '\n' ' ')"
echo "release:dry: tarballs             $scratch/packs"
echo "release:dry: remove it all with   rm -rf $scratch"
