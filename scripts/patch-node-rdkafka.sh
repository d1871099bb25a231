#!/usr/bin/env bash
# node-rdkafka hands a consumed batch back as one buffer of values and a few typed arrays, instead of an object, two
# buffers and a string per message (scripts/patches/node-rdkafka-consume-packed.patch: the pool asks for it with a
# fourth argument to the native consume). Applied to the installed package, and only its binding rebuilt: librdkafka
# is not compiled again. Idempotent. Exits 1 when it cannot be applied; the pool then reads message objects, which
# is correct, only slower.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PKG="$ROOT/node_modules/node-rdkafka"
PATCH="$ROOT/scripts/patches/node-rdkafka-consume-packed.patch"
MARK="$PKG/.binlog-pipeline-patch"
stamp="$(sha256sum "$PATCH" | cut -c1-16) $(node -p process.versions.modules)"
[[ -f $MARK && "$(cat "$MARK")" == "$stamp" ]] && exit 0
cd "$PKG"
if patch -p1 --dry-run --reverse --force < "$PATCH" > /dev/null 2>&1; then
  echo "node-rdkafka: the patch is applied already; rebuilding its binding"
elif patch -p1 --dry-run --forward < "$PATCH" > /dev/null; then
  patch -p1 --forward < "$PATCH"
else
  echo "node-rdkafka $(node -p "require('./package.json').version"): scripts/patches/$(basename "$PATCH") does not apply" >&2
  exit 1
fi
npm run build
echo "$stamp" > "$MARK"
