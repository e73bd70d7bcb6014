#!/usr/bin/env bash
# Runs the two lab matrices alone, a convenience (both are in the default lab run, tag lab): PunchMatrixLabTest
# (issue 15: hole punching over pairs of lab NATs) and ConnectMatrixLabTest (issue 16: node.connect over the ten NAT
# pairs, ~5 min, two child JVMs per pair). Needs root (network namespaces), as the lab tests do. Extra arguments go
# to Maven.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_HOME="$("$here/scripts/java-home.sh")"
export JAVA_HOME
"$here/scripts/lab-deps.sh"
cd "$here"
exec ./mvnw -B -pl node -am verify -Dgroups=lab -Dtest='PunchMatrixLabTest,ConnectMatrixLabTest' \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
