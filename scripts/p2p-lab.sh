#!/usr/bin/env bash
# Two-NAT lab for peer-to-peer tests (hole punching, TURN, connecting): peer A behind router A, peer B behind
# router B, both routers on one public segment (a bridge in the public namespace), each router with its own NAT mode
# from scripts/nat-rules.sh (shared with nat-lab.sh):
#
#   NAME-a (peer A) a0 -- i0 NAME-ra (router A, MODE_A) o0 --+
#                                                             +-- br0 NAME-p (public: 198.18.0.2, 198.18.0.3)
#   NAME-b (peer B) b0 -- i0 NAME-rb (router B, MODE_B) o0 --+
#
# Router A's outside IP is 198.18.0.1, router B's 198.18.0.4. Behind a translating mode peer A is 10.66.1.2 and
# peer B 10.66.2.2; behind open, firewall or blocked they have public-looking 198.19.1.2 and 198.19.2.2, routed
# by the public side and the other router. Every address exists only inside these namespaces.
#
# The "same" layout puts both peers behind router A, on one LAN (a bridge in NAME-ra): A 10.66.1.2, B 10.66.1.3
# (198.19.1.x without translation); NAME-rb does not exist. The cone modes keep a cone per peer (inbound traffic to
# a mapped port goes to the peer that opened it).
#
# The public namespace runs, started here and stopped by "down":
#   - coturn as operators run it: long-term credentials (user p2pd, password p2pd-lab-password, realm p2pd.lab),
#     FINGERPRINT, no loopback peers, TURN/STUN on 198.18.0.2:3480 (RFC 5780 alternate 198.18.0.3:3481), relays
#     on 198.18.0.2 ports 49152-49999;
#   - Mosquitto on 198.18.0.2:1883 (anonymous), when installed.
# Our own StunServer is left to the tests (a JVM; by convention on 198.18.0.2:3478 and 198.18.0.3:3479).
# Logs: ${TMPDIR:-/tmp}/NAME-coturn.log (coturn --verbose, as operators debug: each session's requests, usage and
# why it closed) and NAME-mosquitto.log.
#
# usage: p2p-lab.sh up NAME MODE_A MODE_B   (re)create lab NAME: peer A behind MODE_A, peer B behind MODE_B
#        p2p-lab.sh same NAME MODE          (re)create lab NAME: both peers behind one router of MODE
#        p2p-lab.sh down NAME               stop every process inside the lab's namespaces and delete them
# needs: root, iproute2, iptables, nftables, coturn; mosquitto optional
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/nat-rules.sh"

usage() { echo "usage: $0 up NAME MODE_A MODE_B | same NAME MODE | down NAME" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 name=$2
case "$name" in *[!A-Za-z0-9_.-]*|'') echo "bad lab name '$name'" >&2; exit 2 ;; esac
A=$name-a B=$name-b RA=$name-ra RB=$name-rb P=$name-p
ALL="$A $B $RA $RB $P"
LOGS=${TMPDIR:-/tmp}/$name
TURN_USER=p2pd TURN_PASSWORD=p2pd-lab-password TURN_REALM=p2pd.lab

down() {
  lab_remove $ALL
  rm -f "$LOGS-coturn.log" "$LOGS-coturn.pid" "$LOGS-mosquitto.log" "$LOGS-mosquitto.conf"
}

# inside_net MODE N: the inside /24 (without its last part) of router N's peers
inside_net() { if nat_translates "$1"; then echo "10.66.$2"; else echo "198.19.$2"; fi; }

# router NS OUTSIDE_IP PUBLIC_PORT: a router namespace with its outside leg on the public bridge
router() {
  local ns=$1 outside=$2 port=$3
  ip netns add "$ns"; ip -n "$ns" link set lo up
  ip -n "$ns" link add o0 type veth peer name "$port" netns "$P"
  ip -n "$ns" addr add "$outside/24" dev o0
  ip -n "$ns" link set o0 up
  ip -n "$P" link set "$port" master br0 up
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
}

# peer NS IF ROUTER_NS ROUTER_IF IP GATEWAY: a peer namespace with one leg to its router (or the router's bridge)
peer() {
  local ns=$1 nic=$2 rns=$3 rif=$4 ip=$5 gw=$6
  ip netns add "$ns"; ip -n "$ns" link set lo up
  ip -n "$rns" link add "$rif" type veth peer name "$nic" netns "$ns"
  ip -n "$ns" addr add "$ip/24" dev "$nic"
  ip -n "$ns" link set "$nic" up
  ip -n "$rns" link set "$rif" up
  ip -n "$ns" route add default via "$gw"
}

public() {
  ip netns add "$P"; ip -n "$P" link set lo up
  ip -n "$P" link add br0 type bridge
  ip -n "$P" addr add 198.18.0.2/24 dev br0
  ip -n "$P" addr add 198.18.0.3/24 dev br0
  ip -n "$P" link set br0 up
  ip netns exec "$P" sysctl -qw net.ipv4.ip_forward=1   # routes the public-looking inside nets of open routers
}

# serve: coturn and Mosquitto in the public namespace, each waited for (bounded) until it listens
serve() {
  command -v turnserver >/dev/null || { echo "coturn (turnserver) is not installed" >&2; return 1; }
  # setsid and every descriptor redirected: the caller reading our output must see it end.
  setsid ip netns exec "$P" turnserver -n --no-cli --no-tls --no-dtls \
    -L 198.18.0.2 -L 198.18.0.3 --listening-port=3480 --alt-listening-port=3481 --relay-ip=198.18.0.2 \
    --min-port=49152 --max-port=49999 --lt-cred-mech --user="$TURN_USER:$TURN_PASSWORD" --realm="$TURN_REALM" \
    --fingerprint --pidfile="$LOGS-coturn.pid" --log-file=stdout --simple-log --verbose </dev/null >"$LOGS-coturn.log" 2>&1 &
  local mosquitto=""
  for m in /usr/sbin/mosquitto "$(command -v mosquitto || true)"; do [ -x "$m" ] && mosquitto=$m && break; done
  if [ -n "$mosquitto" ]; then
    printf '%s\n' "listener 1883 198.18.0.2" "allow_anonymous true" "persistence false" "user $(id -un)" \
      "log_dest stdout" "connection_messages true" >"$LOGS-mosquitto.conf"
    setsid ip netns exec "$P" "$mosquitto" -c "$LOGS-mosquitto.conf" </dev/null >"$LOGS-mosquitto.log" 2>&1 &
  fi
  local ok=""
  for _ in $(seq 100); do   # bounded: 10 s for coturn's last listener (other IP, other port) and the broker
    ok=yes
    ip netns exec "$P" ss -Huln 'sport = :3481' 2>/dev/null | grep -q 198.18.0.3 || ok=""
    [ -z "$mosquitto" ] || ip netns exec "$P" ss -Htln 'sport = :1883' 2>/dev/null | grep -q 198.18.0.2 || ok=""
    [ -n "$ok" ] && break
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "coturn or mosquitto did not start:" >&2; cat "$LOGS-coturn.log" "$LOGS-mosquitto.log" >&2; return 1; }
}

up() {
  local mode_a=${1:-} mode_b=${2:-}
  nat_mode_valid "$mode_a" && nat_mode_valid "$mode_b" || usage
  down   # idempotent: whatever an earlier run left under this name goes first
  trap 'down' EXIT   # any failure below (set -e, in functions too) leaves nothing behind
  public
  router "$RA" 198.18.0.1 pa
  router "$RB" 198.18.0.4 pb
  local net_a net_b
  net_a=$(inside_net "$mode_a" 1) net_b=$(inside_net "$mode_b" 2)
  peer "$A" a0 "$RA" i0 "$net_a.2" "$net_a.1"
  peer "$B" b0 "$RB" i0 "$net_b.2" "$net_b.1"
  ip -n "$RA" addr add "$net_a.1/24" dev i0
  ip -n "$RB" addr add "$net_b.1/24" dev i0
  if ! nat_translates "$mode_a"; then
    ip -n "$P" route add "$net_a.0/24" via 198.18.0.1
    ip -n "$RB" route add "$net_a.0/24" via 198.18.0.1
  fi
  if ! nat_translates "$mode_b"; then
    ip -n "$P" route add "$net_b.0/24" via 198.18.0.4
    ip -n "$RA" route add "$net_b.0/24" via 198.18.0.4
  fi
  nat_rules "$RA" i0 o0 198.18.0.1 "$mode_a"
  nat_rules "$RB" i0 o0 198.18.0.4 "$mode_b"
  serve
  trap - EXIT
}

same() {
  local mode=${1:-}
  nat_mode_valid "$mode" || usage
  down
  trap 'down' EXIT   # any failure below (set -e, in functions too) leaves nothing behind
  public
  router "$RA" 198.18.0.1 pa
  local net
  net=$(inside_net "$mode" 1)
  ip -n "$RA" link add lan type bridge
  ip -n "$RA" addr add "$net.1/24" dev lan
  ip -n "$RA" link set lan up
  peer "$A" a0 "$RA" ia "$net.2" "$net.1"
  peer "$B" b0 "$RA" ib "$net.3" "$net.1"
  ip -n "$RA" link set ia master lan
  ip -n "$RA" link set ib master lan
  nat_translates "$mode" || ip -n "$P" route add "$net.0/24" via 198.18.0.1
  nat_rules "$RA" lan o0 198.18.0.1 "$mode"
  serve
  trap - EXIT
}

case "$cmd" in
  up) shift 2; up "$@" ;;
  same) shift 2; same "$@" ;;
  down) down ;;
  *) usage ;;
esac
