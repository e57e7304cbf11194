#!/usr/bin/env bash
# Sets up what `rotoscope train` and the training tests load at run time, idempotently, in .build/training: LibTorch
# (CPU, ~460 MB), TorchSharp's native shim libLibTorchSharp.so and ResNet18.onnx (the perceptual-loss weights), from
# their NuGet packages (scripts/training/TrainingNatives.csproj). Rendering never needs any of it: scripts/bootstrap.sh
# and scripts/sample.sh do not run this; scripts/test.sh and the ./rotoscope wrapper (for `train`) do.
#
#   scripts/training-setup.sh     prints nothing when all is in place; the folder on stdout with --print-dir
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/apt.sh

say() { printf 'training-setup: %s\n' "$*" >&2; }

out=.build/training
shim="$out/libLibTorchSharp.so"
command -v dotnet >/dev/null || { say "the .NET 10 SDK is required (https://dot.net); dotnet is not on PATH"; exit 1; }

if [ ! -f "$out/ready" ] || [ -n "$(find scripts/training Directory.Packages.props -newer "$out/ready" -print -quit)" ]; then
  say "gathering LibTorch (CPU) and ResNet18 into $out (a large download the first time)"
  rm -f "$out/ready"
  log=$(dotnet build scripts/training/TrainingNatives.csproj -c Release -o "$out" -nologo -v quiet 2>&1) || { printf '%s\n' "$log" >&2; exit 1; }
  for f in libtorch_cpu.so libc10.so libLibTorchSharp.so DnnImageModels/ResNet18Onnx/ResNet18.onnx; do
    [ -f "$out/$f" ] || { say "$out/$f is missing after the build"; exit 1; }
  done

  # libLibTorchSharp.so (built with GCC 13) asks for GLIBCXX_3.4.32 for one symbol it references but never calls
  # (std::ios_base_library_init); Debian 12's libstdc++ stops at 3.4.30, and the load then fails with a misleading
  # "libtorch-cpu-linux-x64 is not restored". Where the system library lacks that version, mark the need weak
  # (VER_FLG_WEAK in the Vernaux entry of .gnu.version_r): the loader then accepts it and TorchSharp trains correctly.
  # (the awk programs read to the end instead of exiting at the first match: an early exit would kill the writer with
  # SIGPIPE, which pipefail turns into a failure of the whole script, depending on timing)
  libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ && !found { print $NF; found = 1 }')
  if [ -n "$libstdcxx" ] && ! grep -q GLIBCXX_3.4.32 "$libstdcxx"; then
    apt_install_missing binutils || exit 1   # readelf
    section=$(readelf -S -W "$shim" | awk '$0 ~ /\.gnu\.version_r/ && !found { for (i = 1; i <= NF; i++) if ($i == "VERNEED") { print $(i + 2); found = 1 } }')
    entry=$(readelf -V "$shim" | awk '/Name: GLIBCXX_3\.4\.32 / && !found { sub(":", "", $1); print $1; found = 1 }')
    [ -n "$section" ] && [ -n "$entry" ] || { say "cannot find the GLIBCXX_3.4.32 need in $shim"; exit 1; }
    # vna_flags is the 16-bit field 4 bytes into the entry; 2 = VER_FLG_WEAK (little-endian). Written to a copy, as
    # the build may have hard-linked the file to the NuGet cache.
    cp "$shim" "$shim.partial"
    printf '\002\000' | dd of="$shim.partial" bs=1 seek=$((0x$section + entry + 4)) conv=notrunc status=none
    [[ "$(readelf -V "$shim.partial")" =~ Name:\ GLIBCXX_3\.4\.32\ +Flags:\ WEAK ]] || { say "patching $shim failed"; exit 1; }
    mv -f "$shim.partial" "$shim"
  fi
  touch "$out/ready"
fi
