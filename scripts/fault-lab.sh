#!/usr/bin/env bash
# Fault lab for io.p2pd.reliability.FaultLabTest: two network namespaces joined by one veth pair, addresses
# from TEST-NET-1 (192.0.2.0/24, documentation only). Nothing outside the two namespaces is touched.
#
# usage: fault-lab.sh up A B          (re)create namespaces A (veth a0, 192.0.2.1/24) and B (veth b0, 192.0.2.2/24)
#        fault-lab.sh down A B        delete them (no error when already gone)
#        fault-lab.sh link A up|down  take A's end of the link down or up again
#        fault-lab.sh blackhole B     in B, drop every TCP SYN to 192.0.2.2 (connects to it hang, as to a
#                                     black-holed address; other traffic passes)
# needs: root, iproute2, iptables
set -euo pipefail

usage() { echo "usage: $0 up A B | down A B | link A up|down | blackhole B" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
for ns in "${@:2}"; do
  case "$ns" in up|down) ;; *[!A-Za-z0-9_.-]*|'') echo "bad name '$ns'" >&2; exit 2 ;; esac
done

down() { for ns in "$@"; do ip netns del "$ns" 2>/dev/null || true; done; }

up() {
  local a=$1 b=$2
  down "$a" "$b"
  ip netns add "$a"
  ip netns add "$b"
  trap 'down "$a" "$b"' ERR
  ip -n "$a" link set lo up
  ip -n "$b" link set lo up
  ip -n "$a" link add a0 type veth peer name b0 netns "$b"
  ip -n "$a" addr add 192.0.2.1/24 dev a0
  ip -n "$b" addr add 192.0.2.2/24 dev b0
  ip -n "$a" link set a0 up
  ip -n "$b" link set b0 up
  trap - ERR
}

case "$cmd" in
  up) [ $# -eq 3 ] || usage; up "$2" "$3" ;;
  down) shift; down "$@" ;;
  link) [ $# -eq 3 ] || usage; ip -n "$2" link set a0 "$3" ;;
  blackhole) [ $# -eq 2 ] || usage
    ip netns exec "$2" iptables -A INPUT -d 192.0.2.2 -p tcp --syn -j DROP ;;
  *) usage ;;
esac
