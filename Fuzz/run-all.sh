#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each; stops at the first finding.
# Usage: Fuzz/run-all.sh SECONDS
set -euo pipefail
seconds=${1:?usage: run-all.sh SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
for target in $(ls "$here/Sources" | grep "^Fuzz"); do
    echo "== $target ($seconds s)"
    "$here/run.sh" "$target" "$seconds"
done
