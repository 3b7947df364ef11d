#!/usr/bin/env bash
# Rebuilds the committed USDT test binary from usdt_target.c (needs gcc and systemtap-sdt-dev).
set -euo pipefail
cd "$(dirname "$0")"
gcc -O2 -g0 -o usdt_target usdt_target.c
readelf -n usdt_target > usdt_target.notes.txt
