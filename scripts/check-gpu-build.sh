#!/usr/bin/env bash
# Checks the GPU flavour on any machine, GPU or not: it builds with Microsoft.ML.OnnxRuntime.Gpu.Linux and carries
# Linux natives only; where the CUDA 13 runtime is missing, `--device cuda` fails with one line naming what is missing
# and `--device auto` falls back to the CPU and says why; where it is present, `--device cuda` renders.
# Not part of scripts/test.sh (the GPU package is a 245 MB download). Builds into a temporary folder: .build/cli and
# the CPU flavour's bin/obj are untouched. Exits non-zero on the first failed check.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'check-gpu-build: %s\n' "$*"; }
fail() { printf 'check-gpu-build: FAILED: %s\n' "$*" >&2; exit 1; }
command -v ffmpeg >/dev/null || fail "ffmpeg is missing (run scripts/bootstrap.sh)"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cli="$tmp/cli"
dotnet build src/Rotoscope.Cli -c Release -p:RotoscopeGpu=true -o "$cli" -nologo -v quiet >"$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log" >&2; fail "the GPU flavour does not build"; }
say "ok: the GPU flavour builds"

[ -f "$cli/libonnxruntime_providers_cuda.so" ] || fail "no libonnxruntime_providers_cuda.so in the GPU build"
foreign=$(find "$cli" \( -name runtimes -o -name '*.dylib' -o -name 'onnxruntime*.dll' -o -name '*.exe' \) -print)
[ -z "$foreign" ] || fail "the GPU build carries other platforms' natives: $foreign"
say "ok: ONNX Runtime with the CUDA provider, Linux natives only ($(du -sh "$cli" | cut -f1))"

ffmpeg -v error -f lavfi -i testsrc2=size=64x48:rate=10 -t 0.5 -pix_fmt yuv420p -y "$tmp/clip.mp4"
render() { # device, then extra arguments; stdout and stderr go to $tmp/out and $tmp/err, the exit code to $code
  set +e
  ROTOSCOPE_DATA="$tmp/data" TMPDIR="$tmp" dotnet "$cli/rotoscope.dll" render "$tmp/clip.mp4" --style toon \
    --output "$tmp/out-$1.mp4" --device "$@" >"$tmp/out" 2>"$tmp/err"
  code=$?
  set -e
}
one_line() { [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$1: stderr is not one line: $(cat "$tmp/err")"; }

render auto --json
[ "$code" -eq 0 ] || fail "--device auto failed ($code): $(cat "$tmp/err")"
if grep -q 'using CUDA' "$tmp/out"; then
  render cuda
  [ "$code" -eq 0 ] || fail "--device cuda failed on a machine where --device auto chose CUDA: $(cat "$tmp/err")"
  say "ok: CUDA is available here; --device auto chose it and --device cuda renders"
  exit 0
fi
grep -q 'CUDA execution provider unavailable (cannot load .*); using CPU' "$tmp/out" \
  || fail "--device auto did not say why it fell back: $(cat "$tmp/out")"
say "ok: --device auto falls back to the CPU and says why"

render cuda
[ "$code" -eq 1 ] || fail "--device cuda without the CUDA runtime exited $code, not 1"
one_line "--device cuda"
for library in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9 libcuda.so.1; do
  if ! ldconfig -p | grep -q "$library "; then
    grep -q "$library" "$tmp/err" || fail "--device cuda did not name the missing $library: $(cat "$tmp/err")"
  fi
done
say "ok: --device cuda fails in one line naming what is missing: $(cat "$tmp/err")"

# Libraries that exist but are not the real ones (a broken or mismatched install): the probe passes, ORT fails to load
# its provider, and the loader's own reason must come through in one line.
if command -v gcc >/dev/null; then
  mkdir "$tmp/stubs"
  for library in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9 libcuda.so.1; do
    gcc -shared -x c /dev/null -Wl,-soname,"$library" -o "$tmp/stubs/$library"
  done
  LD_LIBRARY_PATH="$tmp/stubs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" render cuda
  [ "$code" -eq 1 ] || fail "--device cuda with stub CUDA libraries exited $code, not 1"
  one_line "--device cuda with stub CUDA libraries"
  grep -q 'cannot load libonnxruntime_providers_cuda.so: ' "$tmp/err" \
    || fail "--device cuda with stub CUDA libraries did not give the loader's reason: $(cat "$tmp/err")"
  say "ok: with stub CUDA libraries, --device cuda fails in one line: $(cat "$tmp/err")"
fi
say "all checks passed"
