#!/usr/bin/env bash
# Runs ConnectMatrixLabTest (issue 16: node.connect over pairs of lab NATs, two child JVMs per pair, ~4 min), which
# the default test run leaves out until all of its pairs pass there. Needs root (network namespaces), as the lab
# tests do. Extra arguments go to Maven.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_HOME="$("$here/scripts/java-home.sh")"
export JAVA_HOME
"$here/scripts/lab-deps.sh"
cd "$here"
exec ./mvnw -B -pl node -am verify -Dsurefire.excludedGroups= -Dgroups=connect-matrix -Dtest=ConnectMatrixLabTest \
  -Dsurefire.failIfNoSpecifiedTests=false "$@"
