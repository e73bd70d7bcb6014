#!/usr/bin/env bash
# Time to connect per NAT layout of the two-NAT lab with node.connect's default options (issue 16; not in CI):
#   sudo scripts/connect-rates.sh [TRIES] [MODE_A,MODE_B | same:MODE ...]
# One lab per layout (scripts/p2p-lab.sh, coturn on the public side) with two nodes started once (LabBenchMain child
# JVMs; A has the lab's TURN account), then TRIES connects A->B in a row (default 20), each carrying 4 KiB and closed.
# With no layouts given, the ten of ConnectMatrixLabTest. Prints progress on stderr and a Markdown table on stdout
# (columns: node test io.p2pd.node.lab.ConnectRatesMain). About 1 min per layout; a layout that fails every try
# takes up to its 10 s deadline per try. Needs root and the lab's tools (scripts/lab-deps.sh).
# BENCHMARKS.md "Connecting peers (issue 16)" has a run.
set -euo pipefail
cd "$(dirname "$0")/.."
tries=${1:-20}
shift || true
layouts=("$@")
if [ ${#layouts[@]} -eq 0 ]; then
    layouts=(open,open open,masq masq,open masq,masq fullcone,restricted offset,masq random,masq random,random
             blocked,masq same:masq)
fi
exec scripts/run-rates.sh ConnectRatesMain times "$tries" "${layouts[@]}"
