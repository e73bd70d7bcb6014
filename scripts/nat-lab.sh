#!/usr/bin/env bash
# NAT lab for the io.p2pd.nat tests: three network namespaces joined by veth pairs,
#
#   NAME-c (client)  c0 ---- r0  NAME-r (router, netfilter rules of MODE)  r1 ---- p0  NAME-p (public)
#
# The public namespace has two public-looking IPs (198.18.0.2 and 198.18.0.3, RFC 2544 benchmarking
# range) for RFC 5780 / RFC 3489 servers; the router's outside IP is 198.18.0.1. Every address exists only
# inside these namespaces; nothing outside them is touched. coturn (when installed) runs in NAME-p on both
# IPs, ports 3480 and 3481; the tests run our own StunServer there themselves (ports 3478 and 3479).
#
# usage: nat-lab.sh up NAME MODE   (re)create the lab NAME with router MODE
#        nat-lab.sh down NAME      stop every process inside the lab's namespaces and delete them
#
# MODE: one of scripts/nat-rules.sh (the NAT type the lab should be detected as), shared with p2p-lab.sh:
#   open firewall blocked masq random offset fullcone restricted step-independent:K step-dependent:K
# needs: root, iproute2, iptables (nft or legacy backend), nftables, optionally coturn
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/nat-rules.sh"

usage() { echo "usage: $0 up NAME MODE | down NAME" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 name=$2
case "$name" in *[!A-Za-z0-9_.-]*|'') echo "bad lab name '$name'" >&2; exit 2 ;; esac
C=$name-c R=$name-r P=$name-p
LOG=${TMPDIR:-/tmp}/$name-coturn.log

down() {
  set +e
  lab_remove $C $R $P
  rm -f "$LOG" "$LOG.pid"
}

up() {
  local mode=${1:-}
  nat_mode_valid "$mode" || usage
  down   # idempotent: whatever an earlier run left under this name goes first
  trap 'down' ERR
  for ns in $C $R $P; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$R" link add r0 type veth peer name c0 netns "$C"
  ip -n "$R" link add r1 type veth peer name p0 netns "$P"

  local net client router
  net=198.19.0   # public-looking client: no NAT in front of it
  nat_translates "$mode" && net=10.66.0
  client=$net.2 router=$net.1
  ip -n "$C" addr add "$client/24" dev c0
  ip -n "$R" addr add "$router/24" dev r0
  ip -n "$R" addr add 198.18.0.1/24 dev r1
  ip -n "$P" addr add 198.18.0.2/24 dev p0
  ip -n "$P" addr add 198.18.0.3/24 dev p0
  ip -n "$C" link set c0 up; ip -n "$R" link set r0 up; ip -n "$R" link set r1 up; ip -n "$P" link set p0 up
  ip -n "$C" route add default via "$router"
  [ "$net" = 198.19.0 ] && ip -n "$P" route add 198.19.0.0/24 via 198.18.0.1
  ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1

  nat_rules "$R" r0 r1 198.18.0.1 "$mode"

  if command -v turnserver >/dev/null; then
    # setsid and every descriptor redirected: the caller reading our output must see it end.
    setsid ip netns exec "$P" turnserver -n --no-auth --stun-only --no-cli --no-tls --no-dtls \
      -L 198.18.0.2 -L 198.18.0.3 --listening-port=3480 --alt-listening-port=3481 \
      --pidfile="$LOG.pid" --log-file=stdout --simple-log </dev/null >"$LOG" 2>&1 &
    for _ in $(seq 100); do   # bounded: 10 s for its last listener (other IP, other port)
      ip netns exec "$P" ss -Huln 'sport = :3481' 2>/dev/null | grep -q 198.18.0.3 && break
      sleep 0.1
    done
    ip netns exec "$P" ss -Huln 'sport = :3481' | grep -q 198.18.0.3 || { echo "coturn did not start:" >&2; cat "$LOG" >&2; false; }
  fi
  trap - ERR
}

case "$cmd" in
  up) shift 2; up "$@" ;;
  down) down ;;
  *) usage ;;
esac
