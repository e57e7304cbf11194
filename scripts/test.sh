#!/usr/bin/env bash
# Sets up what is missing, then runs every test (unit and integration). Fails when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
dotnet test Rotoscope.sln -c Release -nologo "$@"
