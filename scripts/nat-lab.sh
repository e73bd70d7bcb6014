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
# MODE (the NAT type the lab should be detected as):
#   open        no NAT, no filter; the client has 198.19.0.2 and the public side routes to it   (open internet)
#   firewall    no NAT; inbound packets that do not belong to a connection are dropped          (UDP firewall)
#   blocked     no NAT; every UDP packet is dropped                                             (blocked)
#   masq        MASQUERADE, client 10.66.0.2                                                    (port restricted)
#   random      MASQUERADE --random-fully: a fresh random port per destination                  (symmetric)
#   offset      SNAT to ports 20000-29999 keeping the local port's distances (port restricted, delta preserving)
#   fullcone    SNAT (keeps ports) plus DNAT of every inbound UDP port to the client            (full cone)
#   restricted  as fullcone, but inbound only from IPs the client port has sent to (nft set)    (restricted)
# needs: root, iproute2, iptables (nft or legacy backend), nftables (restricted), optionally coturn
set -euo pipefail

usage() { echo "usage: $0 up NAME MODE | down NAME" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 name=$2
case "$name" in *[!A-Za-z0-9_.-]*|'') echo "bad lab name '$name'" >&2; exit 2 ;; esac
C=$name-c R=$name-r P=$name-p
LOG=${TMPDIR:-/tmp}/$name-coturn.log

down() {
  set +e
  # Our own lab's processes only: whatever runs inside these namespaces was started for this lab.
  for ns in $C $R $P; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
  done
  for _ in $(seq 50); do   # bounded: 5 s for them to exit, then SIGKILL
    left=$(for ns in $C $R $P; do ip netns pids "$ns" 2>/dev/null; done)
    [ -z "$left" ] && break
    sleep 0.1
  done
  for ns in $C $R $P; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  rm -f "$LOG" "$LOG.pid"
  return 0
}

up() {
  local mode=${1:-}
  case "$mode" in open|firewall|blocked|masq|random|offset|fullcone|restricted) ;; *) usage ;; esac
  down   # idempotent: whatever an earlier run left under this name goes first
  trap 'down' ERR
  for ns in $C $R $P; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$R" link add r0 type veth peer name c0 netns "$C"
  ip -n "$R" link add r1 type veth peer name p0 netns "$P"

  local net client router
  case "$mode" in
    open|firewall|blocked) net=198.19.0 ;;   # public-looking client: no NAT in front of it
    *) net=10.66.0 ;;
  esac
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

  local ipt="ip netns exec $R iptables -w"
  case "$mode" in
    open) ;;
    firewall)
      $ipt -A FORWARD -i r1 -o r0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      $ipt -A FORWARD -i r1 -o r0 -j DROP ;;
    blocked)
      $ipt -A FORWARD -p udp -j DROP ;;
    masq|random)
      # MASQUERADE alone already filters: an inbound packet without a conntrack entry is not translated
      # back, so it never reaches the client. The FORWARD rules only make that explicit.
      $ipt -t nat -A POSTROUTING -o r1 -j MASQUERADE $([ "$mode" = random ] && echo --random-fully)
      $ipt -A FORWARD -i r1 -o r0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      $ipt -A FORWARD -i r1 -o r0 -j DROP ;;
    offset)
      # SNAT into 20000-29999 with a port offset ("/BASE"; iptables keeps the base as 0 for SNAT): the
      # mapped port is 20000 + (local port mod 10000), so consecutive local ports keep their distances.
      $ipt -t nat -A POSTROUTING -o r1 -p udp -j SNAT --to-source 198.18.0.1:20000-29999/10000
      $ipt -A FORWARD -i r1 -o r0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      $ipt -A FORWARD -i r1 -o r0 -j DROP ;;
    fullcone|restricted)
      # Endpoint-independent mapping: SNAT keeps the client's port when it is free, and every UDP packet
      # to that port on the outside IP is sent on to the client, whoever sent it.
      $ipt -t nat -A POSTROUTING -o r1 -p udp -j SNAT --to-source 198.18.0.1
      $ipt -t nat -A PREROUTING -i r1 -p udp -d 198.18.0.1 -j DNAT --to-destination "$client"
      if [ "$mode" = restricted ]; then
        # Address-dependent filtering, per mapping: remember (remote IP, client port) for every packet out,
        # and let an inbound packet that starts a new flow through only when its source IP (any port) is
        # remembered for the client port it goes to. After the DNAT above, that port is the client's.
        # An nftables set, since the key is a pair (iptables' "recent" list only keys on the IP, which
        # would open the filter for every client port at once).
        ip netns exec "$R" nft -f - <<'NFT'
table ip p2pd_cone {
  set contacted { type ipv4_addr . inet_service; flags dynamic,timeout; timeout 10m; }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "r0" oifname "r1" meta l4proto udp update @contacted { ip daddr . udp sport }
    iifname "r1" oifname "r0" ct state established,related accept
    iifname "r1" oifname "r0" meta l4proto udp ip saddr . udp dport @contacted accept
    iifname "r1" oifname "r0" drop
  }
}
NFT
      fi ;;
  esac

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
