#!/usr/bin/env bash
# Rewrites the golden CLI outputs under TestData/golden/cli/ from the current
# build, one file per line of TestData/golden/cli/commands.txt. Review the diff
# before committing: the tests compare against these files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build --product swiftbpf >&2
bin=$(swift build --show-bin-path)/swiftbpf
grep -v '^#' TestData/golden/cli/commands.txt | while read -r name args; do
    # shellcheck disable=SC2086
    "$bin" $args > "TestData/golden/cli/$name.txt"
done
echo "rewrote $(grep -vc '^#' TestData/golden/cli/commands.txt) golden outputs"
