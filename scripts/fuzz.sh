#!/usr/bin/env bash
# Long fuzzing runs of the Jazzer targets (RELIABILITY.md): each target in turn, for DURATION each
# (Jazzer passes it to libFuzzer as -max_total_time). A finding is written as crash-<sha1> into the target's
# corpus directory under core/src/test/resources and fails that run.
#
# usage: scripts/fuzz.sh [DURATION] [TARGET...]   DURATION like 90s, 10m, 1h (default 10m);
#        TARGET like 'DecoderFuzzTest#stunDecode' (default: all five)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_HOME="$("$here/scripts/java-home.sh")"
export JAVA_HOME
duration=${1:-10m}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=('DecoderFuzzTest#stunDecode' 'DecoderFuzzTest#hostPortParse'
                                     'FramingFuzzTest#framingDecoders' 'TurnFuzzTest#channelData'
                                     'TurnFuzzTest#turnAttributes')
cd "$here"
status=0
for t in "${targets[@]}"; do
  echo "== fuzzing $t for $duration" >&2
  # The build's 120 s per-test time limit would stop a long run: off for these runs only.
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="$duration" ./mvnw -B -pl core test -Dtest="$t" \
      -Djunit.jupiter.execution.timeout.mode=disabled || status=1
done
exit $status
