#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (Playwright drives /usr/bin/chromium, headless, without a sandbox;
# no browser is ever downloaded by Playwright). Idempotent: does nothing when chromium is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/apt.sh

say() { printf 'browser-setup: %s\n' "$*" >&2; }

apt_install_missing chromium || exit 1
[ -x /usr/bin/chromium ] || { say "chromium is installed but /usr/bin/chromium is missing"; exit 1; }
