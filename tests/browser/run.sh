#!/usr/bin/env bash
# Runs the chat page's browser tests (`node --test tests/browser/`) after installing what they need when it is
# missing: Debian's Chromium (as root, with apt-get) and playwright-core (`npm ci`). Expects target/debug/zimbot
# and the example plugins' libraries to be built. Without root and without Chromium, or without Node.js, the tests
# are skipped with a message, except under CI=true, where that is an error.
set -euo pipefail
cd "$(dirname "$0")/../.."

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "browser tests: $1" >&2
    exit 1
  fi
  echo "browser tests SKIPPED: $1" >&2
  exit 0
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  skip "Node.js 20 or newer with npm is needed"
fi

if [ ! -x "$chromium" ]; then
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    skip "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
  fi
  if [ "$(id -u)" -ne 0 ]; then
    skip "no Chromium at $chromium; install it with 'sudo apt-get install chromium' (or set CHROMIUM_PATH)"
  fi
  echo "browser tests: installing Debian's chromium"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

# npm ci only when the installed packages are missing or older than the lock file.
installed=tests/browser/node_modules/.package-lock.json
if [ ! -f "$installed" ] || [ tests/browser/package-lock.json -nt "$installed" ]; then
  npm ci --prefix tests/browser --no-audit --no-fund
fi

exec node --test tests/browser/
