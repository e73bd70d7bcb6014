#!/usr/bin/env bash
# Runs the lab matrix the default test run leaves out until all of its pairs pass there: ConnectMatrixLabTest
# (issue 16: node.connect over pairs of lab NATs, ~4 min, two child JVMs per pair). PunchMatrixLabTest (issue 15)
# is back in the default run (tag lab) and runs here too. Needs root (network namespaces), as the lab
# tests do. Extra arguments go to Maven.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_HOME="$("$here/scripts/java-home.sh")"
export JAVA_HOME
"$here/scripts/lab-deps.sh"
cd "$here"
exec ./mvnw -B -pl node -am verify -Dsurefire.excludedGroups= -Dgroups='lab | lab-matrix' -Dtest='PunchMatrixLabTest,ConnectMatrixLabTest' \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
