#!/usr/bin/env bash
# Regenerates every committed fixture (compiled BPF objects, expected disassembly, packets)
# by running each part in scripts/fixtures/. Needs Debian's clang-19 and llvm-19 (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
for part in scripts/fixtures/*.sh; do
  echo "== $part"
  bash "$part"
done
