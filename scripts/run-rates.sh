#!/usr/bin/env bash
# What punch-rates.sh, connect-rates.sh and relay-rates.sh share: builds the node module and its test classes
# (Maven, no tests run; a first run fetches what ~/.m2 lacks) and runs one lab benchmark main of io.p2pd.node.lab
# with the test class path:
#   scripts/run-rates.sh MAIN_CLASS ARGS...
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./mvnw -q -B -pl node -am package -DskipTests dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$work/cp.txt" >&2
cp="node/target/test-classes:node/target/classes:$(cat "$work/cp.txt")"
main=$1
shift
"$JAVA_HOME/bin/java" -cp "$cp" "io.p2pd.node.lab.$main" "$@"
