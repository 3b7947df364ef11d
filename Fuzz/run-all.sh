#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each, FUZZ_JOBS at a time (default: the number of cores);
# fails if any target finds something (its log and reproducer are kept: Fuzz/artifacts/TARGET/).
# Usage: Fuzz/run-all.sh SECONDS
set -euo pipefail
seconds=${1:?usage: run-all.sh SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
# One build of every target first: run.sh's own build is then a no-op, and parallel runs never
# build at once.
swift build -c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address >&2
[ -d seeds/Objects ] && [ -d seeds/FuzzBTF ] || ./make-seeds.sh >/dev/null
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
targets=$(ls Sources | grep "^Fuzz")
status=0
printf '%s\n' $targets | xargs -P "${FUZZ_JOBS:-$(nproc)}" -I{} \
    sh -c '"$0/run.sh" "$1" "$2" > "$3/$1.log" 2>&1 || { echo "$1 FAILED"; exit 1; }' "$here" {} "$seconds" "$logs" \
    || status=1
for target in $targets; do
    echo "== $target ($seconds s): $(grep -E '^(stat::number_of_executed_runs|Done [0-9]+ runs)' "$logs/$target.log" | tail -1)"
    if grep -qE '^==[0-9]+==ERROR|SUMMARY: |^artifact_prefix|Test unit written' "$logs/$target.log"; then
        tail -60 "$logs/$target.log"
    fi
done
[ "$status" = 0 ] || { echo "a fuzz target failed (its log is above)"; exit 1; }
