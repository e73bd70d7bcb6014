#!/usr/bin/env bash
# Hostile-load runs (issue 18, RELIABILITY.md "Attacks"): our servers (./p2pd stun-server, echo, forward) and, side
# by side, coturn (STUN only) and socat, attacked on loopback while a legitimate client measures its round trips.
# Bounded: each attack lasts --duration seconds (default 20) after a --settle period (default 5 s) and before an
# --after period (default 30 s, long enough to see the heap given back), every attacker loop also has a count
# limit, and every server is stopped (its temporary log deleted) at the end. Loopback only: the attackers come from
# --source-ips addresses 127.0.1.1 up (default 64), the legitimate client from 127.0.0.1.
#
# usage: scripts/attack.sh [--duration S] [--settle S] [--after S] [--source-ips N] [--only stun-pipelining,
#                          udp-forward,unknown-attributes,resets,idle-connections] [--idle-connections N]
#                          [--server-nofile N] [--udp-clients N]
# Needs python3, socat and coturn's turnserver (Debian: apt-get install socat coturn). Prints Markdown tables.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for tool in python3 socat turnserver; do
    command -v "$tool" >/dev/null || { echo "attack.sh: $tool is needed (see the usage line)" >&2; exit 1; }
done
# Build the CLI now, so no server start waits for a build.
"$here/p2pd" --version >/dev/null
# The attackers hold thousands of sockets (idle connections, one per UDP source port).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec python3 "$here/scripts/attack.py" "$@"
