#!/usr/bin/env bash
# Builds the bench module and runs every side-by-side workload: bench/run.sh [--quick] [--only WORD] [--runs N] [--out FILE]
# Results go to bench/results/full.md (or quick.md). Needs a JDK 21+ (found by scripts/java-home.sh); iperf3 and
# socat are used when installed (Debian: apt-get install iperf3 socat).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    ./mvnw -B -q -pl bench,cli -am package -DskipTests
fi
# 10,000 connections need 20,000+ descriptors in one process (client and server ends); raise the soft limit if we may.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# BENCH_JAVA_OPTS adds JVM options, e.g. -XX:StartFlightRecording=filename=/tmp/bench.jfr,settings=profile
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -Xms1g -Xmx1g -XX:+UseParallelGC \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "bench/target/p2pd-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" io.p2pd.bench.Harness "$@"
