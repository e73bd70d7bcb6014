#!/usr/bin/env bash
# The Python original's node (P2PD 3.1.10, ../shared/reference/p2pd-py) connecting across the two-NAT lab, beside
# punch-rates.sh and connect-rates.sh (issues 15 and 16; not in CI):
#   sudo scripts/orig-rates.sh [TRIES] [STRATEGIES] [MODE_A,MODE_B ...]   (default 3 tries: a failing one costs 40-50 s)
# STRATEGIES: punch (default: its TCP punch only) or direct,reverse,punch (its default connect, in that order).
# Per pair one lab (scripts/p2p-lab.sh: Mosquitto and coturn's STUN on the public side), two original nodes started
# once (scripts/py/orig_node.py, Debian's /usr/bin/python3, its own HOME and machine id each, P2PD_DEBUG logs in
# its HOME/program.log), then TRIES connects A->B in a row. Prints each try on stderr and a Markdown table on stdout.
# MODEs: open, masq, fullcone, restricted, random (the driver sets the node's NAT by hand: see orig_node.py).
# Each node's debug log and stderr stay in ${TMPDIR:-/tmp}/LAB-{a,b}-program.log and LAB-{a,b}.err; with
# P2PD_BENCH_TRACE=1 the stderr also has the punch's socket errors, which the original swallows.
# Needs root, the lab's tools (scripts/lab-deps.sh) and the original's Debian packages (its README).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PYTHONPATH=${P2PD_PY_SRC:-$root/../shared/reference/p2pd-py/src} PYTHONDONTWRITEBYTECODE=1 P2PD_DEBUG=1
tries=${1:-3}
strategies=${2:-punch}
shift 2 || shift $#
pairs=("$@")
[ ${#pairs[@]} -gt 0 ] || pairs=(masq,masq masq,fullcone restricted,masq)
work=$(mktemp -d)
lab=""
cleanup() {
    { exec 3>&- 4>&-; } 2>/dev/null || true
    [ -z "$lab" ] || scripts/p2p-lab.sh down "$lab" >/dev/null 2>&1 || true
}
trap 'cleanup; rm -rf "$work"' EXIT

# next_line FILE SEEN SECONDS: waits (bounded) until FILE has more than SEEN lines, prints line SEEN+1
next_line() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        if [ "$(wc -l < "$1")" -gt "$2" ]; then sed -n "$(($2 + 1))p" "$1"; return 0; fi
        sleep 0.1
    done
    echo "failed ms=$(($3 * 1000)) no answer within $3 s"
}

stats() {  # median / p95 (nearest rank) of the numbers on stdin
    sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print "-"; exit} p = int(0.95 * NR); if (p < 0.95 * NR) p++;
        printf "%d / %d\n", v[int((NR + 1) / 2)], v[p]}'
}

table="| A <-> B | strategies | connected | time median / p95 (ms) | failed tries: time median (ms) |
|---|---|---|---|---|"
for pair in "${pairs[@]}"; do
    IFS=, read -r modeA modeB <<< "$pair"
    lab=orr$$$(printf '%04x' $RANDOM)
    scripts/p2p-lab.sh up "$lab" "$modeA" "$modeB" >&2
    for side in a b; do
        mkdir -p "$work/$lab-$side"; mkfifo "$work/$lab-$side.in"; : > "$work/$lab-$side.out"
    done
    mode() { if [ "$1" = a ]; then echo "$modeA"; else echo "$modeB"; fi; }
    for side in a b; do
        (cd "$work/$lab-$side" && exec ip netns exec "$lab-$side" env HOME="$work/$lab-$side" /usr/bin/python3 \
            "$root/scripts/py/orig_node.py" "${side}0" "$(mode $side)" < "$work/$lab-$side.in" \
            > "$work/$lab-$side.out" 2> "$work/$lab-$side.err") &
    done
    exec 3> "$work/$lab-a.in" 4> "$work/$lab-b.in"
    next_line "$work/$lab-a.out" 1 90 >&2
    addrB=$(next_line "$work/$lab-b.out" 1 90)
    echo "B: $addrB" >&2
    ok=0; times=(); failed=()
    if [[ $addrB == address* ]]; then
        for ((i = 1; i <= tries; i++)); do
            echo "connect ${addrB#address } $strategies" >&3
            line=$(next_line "$work/$lab-a.out" $((i + 1)) 120)
            echo "$pair try $i: $line" >&2
            ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<< "$line")
            if [[ $line == ok* ]]; then ok=$((ok + 1)); times+=("$ms"); else failed+=("${ms:-0}"); fi
        done
    fi
    table+="
| $modeA <-> $modeB | $strategies | $ok / $tries | $(printf '%s\n' "${times[@]}" | { grep . || true; } | stats) | $(printf '%s\n' "${failed[@]}" | { grep . || true; } | stats | cut -d' ' -f1) |"
    for side in a b; do  # kept for a look after the run: its debug log and its stderr
        cp "$work/$lab-$side/program.log" "${TMPDIR:-/tmp}/$lab-$side-program.log" 2>/dev/null || true
        cp "$work/$lab-$side.err" "${TMPDIR:-/tmp}/$lab-$side.err" 2>/dev/null || true
    done
    cleanup
    lab=""
done
echo "$table"
