#!/usr/bin/env bash
# Success rate and time to connect of TCP hole punching per NAT pair of the two-NAT lab (issue 15; not in CI):
#   sudo scripts/punch-rates.sh [TRIES] [MODE_A,MODE_B ...]
# TRIES tries per pair (default 50), each with two fresh nodes, in one lab per pair (scripts/p2p-lab.sh). Prints
# progress on stderr and a Markdown table on stdout (see node test io.p2pd.node.lab.PunchRatesMain for the columns).
# Needs root, and the lab's tools (scripts/lab-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
tries=${1:-50}
shift || true
pairs=("$@")
if [ ${#pairs[@]} -eq 0 ]; then
    # the punchable pairs of PunchMatrixLabTest
    pairs=(masq,masq masq,fullcone restricted,masq offset,masq offset,offset step-independent:3,masq
           step-dependent:3,masq step-independent:3,step-dependent:4)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./mvnw -o -q -B -pl node -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$work/cp.txt" >&2
cp="node/target/test-classes:node/target/classes:$(cat "$work/cp.txt")"
"$JAVA_HOME/bin/java" -cp "$cp" io.p2pd.node.lab.PunchRatesMain "$tries" "${pairs[@]}"
