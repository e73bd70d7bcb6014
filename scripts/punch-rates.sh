#!/usr/bin/env bash
# Success rate and time to connect of TCP hole punching per NAT pair of the two-NAT lab (issue 15; not in CI):
#   sudo scripts/punch-rates.sh [TRIES] [MODE_A,MODE_B ...]
# One lab per pair (scripts/p2p-lab.sh) with two nodes started once (io.p2pd.node.lab.LabBenchMain child JVMs, each
# detecting its NAT once), then TRIES punches A->B in a row (default 50), each carrying 4 KiB and closed. Prints
# progress on stderr and a Markdown table on stdout (columns: node test io.p2pd.node.lab.PunchRatesMain); with no
# pairs given, the punchable pairs of PunchMatrixLabTest and the step-dependent NAT beside a UDP firewall and masq
# (the latter refused at prediction since the step-dependent fix: its tries fail at once). About 1 min per pair.
# Needs root, and the lab's tools (scripts/lab-deps.sh). BENCHMARKS.md "Hole punching (issue 15)" has a run.
set -euo pipefail
cd "$(dirname "$0")/.."
tries=${1:-50}
shift || true
pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
    pairs=(masq,masq masq,fullcone restricted,masq offset,masq offset,offset step-independent:3,masq
           step-dependent:3,firewall step-dependent:3,masq)
fi
exec scripts/run-rates.sh PunchRatesMain "$tries" 4096 "${pairs[@]}"
