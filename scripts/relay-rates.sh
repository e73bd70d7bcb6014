#!/usr/bin/env bash
# Throughput of a relayed connection (coturn, RFC 6062 TCP relay) against a direct one in the two-NAT lab, both
# open<->open, node.connect with one strategy each (issue 16; not in CI):
#   sudo scripts/relay-rates.sh [MIB] [RUNS]
# MIB MiB (default 128) from A to B per connect, RUNS (default 3) direct/relay pairs in turn, one pair of nodes
# (LabBenchMain child JVMs) for all. Prints progress on stderr and a Markdown table on stdout (MB/s = 10^6 bytes/s,
# from the first byte sent to the receiver's checksum back). Needs root and the lab's tools (scripts/lab-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/run-rates.sh ConnectRatesMain throughput "${1:-128}" "${2:-3}"
