#!/usr/bin/env bash
# tests/demo.sh — ./quickstart demo: the test vectors through txgw's tools.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
echo "== txgw demo: the test vectors (tests/vectors/) decoded by txgw-tpdu and txgw-frame"
exec /usr/bin/python3 tests/demo_vectors.py
