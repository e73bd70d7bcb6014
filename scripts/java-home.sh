#!/usr/bin/env bash
# Prints the home of a JDK 21 or newer: $JAVA_HOME when it is one, else the newest under /usr/lib/jvm.
# Sourced or run by ./p2pd and .ci/run, which need no JAVA_HOME set by hand.
set -euo pipefail

major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}

if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    echo "$JAVA_HOME"
    exit 0
fi
best=""
best_major=0
for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [ -x "$dir/bin/javac" ] || continue
    m=$(major "$dir" || echo 0)
    if [ "${m:-0}" -ge 21 ] 2>/dev/null && [ "$m" -gt "$best_major" ]; then
        best=$dir
        best_major=$m
    fi
done
if [ -z "$best" ]; then
    echo "no JDK 21 or newer found (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
    exit 1
fi
echo "$best"
