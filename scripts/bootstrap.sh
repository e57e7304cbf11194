#!/usr/bin/env bash
# Installs what Rotoscope needs on a fresh Debian 12 machine, idempotently: ffmpeg and the native image codecs from
# Debian, the ONNX Runtime 1.30 native library (taken from the npm package onnxruntime-node, checksum verified), and
# a Release build of the CLI under .build/. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.30.0
ORT_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}/rotoscope"
ORT_DIR="$DATA_HOME/runtime/onnxruntime-$ORT_VERSION"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

command -v dotnet >/dev/null || { say "the .NET 10 SDK is required (https://dot.net); dotnet is not on PATH"; exit 1; }

# Debian packages: install only those missing.
apt_packages=(ffmpeg libturbojpeg0 libpng16-16 ${ROTOSCOPE_EXTRA_APT:-})
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ONNX Runtime: only libonnxruntime.so.1 from the npm package is needed; no install scripts run.
if ! echo "$ORT_SHA256  $ORT_DIR/libonnxruntime.so.1" | sha256sum --check --status 2>/dev/null; then
  command -v npm >/dev/null || { say "npm is required to fetch onnxruntime-node@$ORT_VERSION"; exit 1; }
  say "fetching ONNX Runtime $ORT_VERSION (npm package onnxruntime-node)"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tar -xzf "$tmp"/onnxruntime-node-$ORT_VERSION.tgz -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  echo "$ORT_SHA256  $tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" | sha256sum --check --status \
    || { say "checksum mismatch for libonnxruntime.so.1 from onnxruntime-node@$ORT_VERSION"; exit 1; }
  mkdir -p "$ORT_DIR"
  install -m 0644 "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ORT_DIR/libonnxruntime.so.1.tmp"
  mv "$ORT_DIR/libonnxruntime.so.1.tmp" "$ORT_DIR/libonnxruntime.so.1"
fi

# The CLI, built once; rebuilt when sources are newer than the build.
changed() { find src models/catalog.json -newer .build/cli/rotoscope.dll -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null; }
if [ ! -f .build/cli/rotoscope.dll ] || [ -n "$(changed)" ]; then
  say "building the rotoscope CLI"
  log=$(dotnet build src/Rotoscope.Cli -c Release -o .build/cli -nologo -v quiet 2>&1) || { printf '%s\n' "$log" >&2; exit 1; }
fi
