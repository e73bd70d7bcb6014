#!/usr/bin/env bash
# Runs the lab matrices, PunchMatrixLabTest (issue 15: hole punching over pairs of lab NATs, ~2 min) and
# ConnectMatrixLabTest (issue 16: node.connect over pairs of lab NATs, ~4 min), two child JVMs per pair, which the
# default test run leaves out until all of their pairs pass there. Needs root (network namespaces), as the lab
# tests do. Extra arguments go to Maven.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_HOME="$("$here/scripts/java-home.sh")"
export JAVA_HOME
"$here/scripts/lab-deps.sh"
cd "$here"
exec ./mvnw -B -pl node -am verify -Dsurefire.excludedGroups= -Dgroups=lab-matrix -Dtest='PunchMatrixLabTest,ConnectMatrixLabTest' \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
