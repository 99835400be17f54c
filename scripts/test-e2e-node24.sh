#!/usr/bin/env bash
# Runs the e2e suite on Node 24, the current LTS, beside whatever Node this machine has. The binary
# is the official build as packaged on the npm registry (node-linux-<arch>), installed into a temp
# prefix: nothing is downloaded from elsewhere and nothing global changes. Expects dist/ to be
# built (npm test or npm run build): tests that spawn the service run dist/main.js on this Node.
# Arguments replace the default jest selection `test`, e.g. `... test/nginx.e2e-spec.ts`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned, so a CI run is repeatable; bump it deliberately.
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"

if [ "$(uname -s)" != Linux ]; then
  echo "scripts/test-e2e-node24.sh uses the node-linux-* packages and runs on Linux only" >&2
  exit 1
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "No node-linux-* package for $(uname -m)" >&2
    exit 1
    ;;
esac

if [ ! -f dist/main.js ]; then
  echo "dist/main.js is missing: run npm run build first" >&2
  exit 1
fi

prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  --prefix "$prefix" "node-linux-$arch@$NODE24_VERSION" >/dev/null
bin="$prefix/node_modules/node-linux-$arch/bin"
version="$("$bin/node" --version)"
if [[ "$version" != v24.* ]]; then
  echo "Expected Node 24 from node-linux-$arch@$NODE24_VERSION, got $version" >&2
  exit 1
fi

echo "e2e suite on Node $version"
# Jest runs on Node 24 itself, so process.execPath (what the tests spawn for app processes) is
# Node 24 too; first on PATH for anything that runs `node` by name.
[ $# -gt 0 ] || set -- test
PATH="$bin:$PATH" "$bin/node" node_modules/jest/bin/jest.js --runInBand "$@"
