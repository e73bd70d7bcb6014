#!/usr/bin/env bash
# Interface lab for the io.p2pd.nic tests: one network namespace with two veth pairs carrying a mix of
# address kinds. Every address exists only inside the namespace; nothing outside it is touched.
#
# usage: nic-lab.sh up NAME [--default]   (re)create namespace NAME; --default adds v4 and v6 default routes
#        nic-lab.sh down NAME             delete it (no error when it is already gone)
#
# Layout inside NAME (IPv6 DAD off, automatic link-local addresses off, so every address is usable at once
# and the set is exactly this):
#   lo     127.0.0.1/8 ::1/128
#   nic0   10.20.0.2/24 10.20.0.3/24 (private)  198.18.0.2/24 (public-looking, RFC 2544 benchmarking)
#          2001:db8:20::2/64 2001:db8:20::3/64 (global, documentation)  fd00:20::2/64 (ULA)  fe80::20:2/64
#   nic1   192.168.50.2/24 (private)  100.64.0.2/10 (CGNAT)  fd00:30::2/64 (ULA)  fe80::30:2/64
#   nic0p, nic1p: the veth peers, up, no addresses
#   --default: default via 10.20.0.1 dev nic0; default via fe80::20:1 dev nic0
# needs: root, iproute2
set -euo pipefail

usage() { echo "usage: $0 up NAME [--default] | down NAME" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1 ns=$2
case "$ns" in *[!A-Za-z0-9_.-]*|'') echo "bad namespace name '$ns'" >&2; exit 2 ;; esac

down() { ip netns del "$ns" 2>/dev/null || true; }

up() {
  local with_default=${1:-}
  case "$with_default" in ''|--default) ;; *) usage ;; esac
  down   # idempotent: whatever an earlier run left under this name goes first
  ip netns add "$ns"
  # from here on, a failure must not leave a half-built namespace behind
  trap 'down' ERR
  local x="ip netns exec $ns"
  $x sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
  for pair in "nic0 nic0p" "nic1 nic1p"; do
    set -- $pair
    ip -n "$ns" link add "$1" type veth peer name "$2"
    for dev in "$1" "$2"; do
      ip -n "$ns" link set "$dev" addrgenmode none   # no automatic fe80:: address: the set stays exact
      ip -n "$ns" link set "$dev" up
    done
  done
  ip -n "$ns" addr add 10.20.0.2/24 dev nic0
  ip -n "$ns" addr add 10.20.0.3/24 dev nic0
  ip -n "$ns" addr add 198.18.0.2/24 dev nic0
  ip -n "$ns" addr add 2001:db8:20::2/64 dev nic0 nodad
  ip -n "$ns" addr add 2001:db8:20::3/64 dev nic0 nodad
  ip -n "$ns" addr add fd00:20::2/64 dev nic0 nodad
  ip -n "$ns" addr add fe80::20:2/64 dev nic0 nodad
  ip -n "$ns" addr add 192.168.50.2/24 dev nic1
  ip -n "$ns" addr add 100.64.0.2/10 dev nic1
  ip -n "$ns" addr add fd00:30::2/64 dev nic1 nodad
  ip -n "$ns" addr add fe80::30:2/64 dev nic1 nodad
  if [ "$with_default" = "--default" ]; then
    ip -n "$ns" route add default via 10.20.0.1 dev nic0
    ip -n "$ns" -6 route add default via fe80::20:1 dev nic0
  fi
  trap - ERR
}

case "$cmd" in
  up) shift 2; up "$@" ;;
  down) down ;;
  *) usage ;;
esac
