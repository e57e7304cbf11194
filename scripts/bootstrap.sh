#!/usr/bin/env bash
# Installs what Rotoscope needs on a fresh Debian 12 machine, idempotently: ffmpeg and the native image codecs from
# Debian, and a Release build of the CLI under .build/cli (ONNX Runtime comes with it, from its NuGet package).
# Safe to run again: it only does what is missing.
#
#   scripts/bootstrap.sh          keep the flavour already built (the CPU one on a fresh checkout)
#   scripts/bootstrap.sh --gpu    build the GPU flavour: ONNX Runtime with the CUDA provider (needs the CUDA 13 runtime)
#   scripts/bootstrap.sh --cpu    build the CPU flavour again
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/apt.sh

say() { printf 'bootstrap: %s\n' "$*" >&2; }

out=.build/cli
installed=$(cat "$out/flavour" 2>/dev/null || echo cpu)
flavour=$installed
for arg in "$@"; do
  case "$arg" in
    --gpu) flavour=gpu ;;
    --cpu) flavour=cpu ;;
    *) say "unknown argument '$arg' (expected --gpu or --cpu)"; exit 2 ;;
  esac
done

command -v dotnet >/dev/null || { say "the .NET 10 SDK is required (https://dot.net); dotnet is not on PATH"; exit 1; }

# Debian packages: install only those missing.
apt_packages=(ffmpeg libturbojpeg0 libpng16-16 ${ROTOSCOPE_EXTRA_APT:-})
apt_install_missing "${apt_packages[@]}" || exit 1

# The CLI, built once; rebuilt when sources are newer than the build, or into a clean folder when the flavour changes
# (the flavours carry different native libraries).
changed() { find src models/catalog.json models/content Directory.*.props Directory.Build.targets -newer "$out/rotoscope.dll" -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null; }
if [ "$flavour" != "$installed" ]; then
  rm -rf "$out"
fi
if [ ! -f "$out/rotoscope.dll" ] || [ -n "$(changed)" ]; then
  say "building the rotoscope CLI ($flavour)"
  flags=(); [ "$flavour" = gpu ] && flags=(-p:RotoscopeGpu=true)
  log=$(dotnet build src/Rotoscope.Cli -c Release -o "$out" "${flags[@]}" -nologo -v quiet 2>&1) || { printf '%s\n' "$log" >&2; exit 1; }
  echo "$flavour" > "$out/flavour"
fi
