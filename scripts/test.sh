#!/usr/bin/env bash
# Sets up what is missing, then runs every test: the fast unit tests first, then the integration tests (real ffmpeg,
# ONNX Runtime, native codecs, a real S3 server, a real PostgreSQL server, a real browser, the CLI end to end). Fails when any test fails. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/s3-server.sh install   # the S3 server the integration tests start (Swift s3api from Debian)
scripts/pg-server.sh install   # the PostgreSQL 15 server the integration tests start (from Debian)
scripts/training-setup.sh      # LibTorch and ResNet18 for the training tests (.build/training; rendering never needs it)
scripts/browser-setup.sh       # Debian's chromium, which the dashboard's browser test drives through Playwright
dotnet build Rotoscope.sln -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet test Rotoscope.sln -c Release --no-build -nologo --filter "Category=Unit" "$@"
dotnet test Rotoscope.sln -c Release --no-build -nologo --filter "Category!=Unit" "$@"
