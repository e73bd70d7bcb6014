#!/usr/bin/env bash
# Runs every test, the lab ones included: finds a JDK 21+, installs the lab tools when missing, runs Maven.
# Extra arguments go to Maven (e.g. -Dgroups='!lab' to skip the tests that need root).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_HOME="$("$here/scripts/java-home.sh")"
export JAVA_HOME
"$here/scripts/lab-deps.sh"
cd "$here"
exec ./mvnw -B verify "$@"
