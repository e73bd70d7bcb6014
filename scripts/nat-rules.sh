# NAT router rules and lab plumbing shared by the lab scripts (sourced by nat-lab.sh and p2p-lab.sh; not run by itself).
#
#   nat_mode_valid MODE                          true when MODE is one of the modes below
#   nat_translates MODE                          true when MODE translates addresses (the inside gets 10.x addresses)
#   lab_remove NS...                             ends every process inside these namespaces, deletes them (never fails)
#   nat_rules NS IN OUT OUTSIDE_IP MODE
#       applies MODE in router namespace NS: IN faces the inside (clients), OUT the public side, OUTSIDE_IP is the
#       router's IP on OUT.
#
# MODE (the NAT type our detection should see), every rule for TCP as well as UDP unless said otherwise:
#   open        no NAT, no filter                                                               (open internet)
#   firewall    no NAT; inbound packets that do not belong to a connection are dropped          (UDP firewall)
#   blocked     no NAT; every UDP packet is dropped (TCP passes: signalling still works)         (blocked)
#   masq        MASQUERADE                                                                      (port restricted)
#   random      MASQUERADE --random-fully: a fresh random port per destination                  (symmetric)
#   offset      SNAT to ports 20000-29999 keeping the local port's distances (port restricted, delta preserving)
#   fullcone    SNAT (keeps ports), inbound to a mapped port goes to its inside host (nft map)   (full cone)
#   restricted  as fullcone, but inbound only from IPs the inside port has sent to (nft set)    (restricted)
#   step-independent:K  each new local (IP, port) gets the last external port + K, kept for every destination
#                       (port restricted, delta independent K); nftables, see nat_step
#   step-dependent:K    each new connection (new destination) gets the last external port + K
#                       (symmetric, delta dependent K)
# K is 2..49 (a step of 1 from consecutive local ports looks like a preserving NAT; with 512 steps from port 40000,
# a step of 50 would run past 65535).
# needs: iptables (nft or legacy backend), nftables

NAT_STEP_BASE=40000
NAT_STEP_COUNT=512   # steps before the counter wraps to the base again

lab_remove() {
  local ns left
  # Our own lab's processes only: whatever runs inside these namespaces was started for this lab.
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  for _ in $(seq 50); do   # bounded: 5 s for them to exit, then SIGKILL
    left=$(for ns in "$@"; do ip netns pids "$ns" 2>/dev/null; done) || true
    [ -z "$left" ] && break
    sleep 0.1
  done
  for ns in "$@"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  return 0
}

nat_mode_valid() {
  case "$1" in
    open|firewall|blocked|masq|random|offset|fullcone|restricted) return 0 ;;
    step-independent:*|step-dependent:*)
      local k=${1#*:}
      case "$k" in ''|*[!0-9]*) return 1 ;; esac
      [ "$k" -ge 2 ] && [ "$k" -le 49 ] ;;
    *) return 1 ;;
  esac
}

nat_translates() {
  case "$1" in open|firewall|blocked) return 1 ;; *) return 0 ;; esac
}

# Inbound packets that start no connection of ours are dropped: conntrack-based filtering, as a home NAT does.
nat_filter_inbound() {
  local ipt=$1 in=$2 out=$3
  $ipt -A FORWARD -i "$out" -o "$in" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  $ipt -A FORWARD -i "$out" -o "$in" -j DROP
}

nat_rules() {
  local ns=$1 in=$2 out=$3 outside=$4 mode=$5
  local ipt="ip netns exec $ns iptables -w"
  local proto
  case "$mode" in
    open) ;;
    firewall)
      nat_filter_inbound "$ipt" "$in" "$out" ;;
    blocked)
      $ipt -A FORWARD -p udp -j DROP ;;
    masq|random)
      # MASQUERADE alone already filters: an inbound packet without a conntrack entry is not translated
      # back, so it never reaches the client. The FORWARD rules only make that explicit.
      $ipt -t nat -A POSTROUTING -o "$out" -j MASQUERADE $([ "$mode" = random ] && echo --random-fully)
      nat_filter_inbound "$ipt" "$in" "$out" ;;
    offset)
      # SNAT into 20000-29999 with a port offset ("/BASE"; iptables keeps the base as 0 for SNAT): the
      # mapped port is 20000 + (local port mod 10000), so consecutive local ports keep their distances.
      for proto in udp tcp; do
        $ipt -t nat -A POSTROUTING -o "$out" -p $proto -j SNAT --to-source "$outside:20000-29999/10000"
      done
      nat_filter_inbound "$ipt" "$in" "$out" ;;
    fullcone|restricted)
      # Endpoint-independent mapping: SNAT keeps the inside port when it is free, and an inbound packet to a port of
      # the outside IP goes on to the inside host that last opened a connection from that port, whoever sends it
      # (a dynamic map of protocol . port to host, so several hosts behind one router each keep their own cone).
      # Restricted adds address-dependent filtering, per mapping: remember (remote IP, protocol, inside port) for
      # every packet out, and let an inbound packet that starts a new flow through only when its source IP (any
      # port) is remembered for the inside port it goes to (after the DNAT, that port is the inside one). A set,
      # since the key is a tuple (iptables' "recent" list only keys on the IP, which would open every port at once).
      local filter=""
      [ "$mode" = restricted ] && filter="
  set contacted { type ipv4_addr . inet_proto . inet_service; flags dynamic,timeout; timeout 10m; }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname \"$in\" oifname \"$out\" meta l4proto { tcp, udp } update @contacted { ip daddr . meta l4proto . th sport }
    iifname \"$out\" oifname \"$in\" ct state established,related accept
    iifname \"$out\" oifname \"$in\" meta l4proto { tcp, udp } ip saddr . meta l4proto . th dport @contacted accept
    iifname \"$out\" oifname \"$in\" drop
  }"
      ip netns exec "$ns" nft -f - <<NFT
table ip p2pd_cone {
  map cone { type inet_proto . inet_service : ipv4_addr; flags dynamic,timeout; timeout 10m; }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$out" meta l4proto { tcp, udp } update @cone { meta l4proto . th sport : ip saddr }
    oifname "$out" meta l4proto { tcp, udp } snat to $outside
  }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$out" ip daddr $outside meta l4proto { tcp, udp } dnat to meta l4proto . th dport map @cone
  }$filter
}
NFT
      ;;
    step-independent:*|step-dependent:*)
      nat_step "$ns" "$in" "$out" "$outside" "${mode%%:*}" "${mode#*:}"
      nat_filter_inbound "$ipt" "$in" "$out" ;;
    *) echo "unknown NAT mode '$mode'" >&2; return 2 ;;
  esac
}

# The fixed-step NATs (delta types 4 and 5) that netfilter's own port choice never shows. External port number i
# (counted from 0 by an nft numgen counter, wrapping after NAT_STEP_COUNT) is NAT_STEP_BASE + i * K.
#   dependent:   the counter is read for every new conntrack entry (nat chains see only a connection's first packet),
#                so each new destination, even from a known local port, takes the next step: symmetric.
#   independent: a dynamic map remembers the external port of each local (IP, protocol, port); only a local port
#                missing from it reads the counter (a numgen verdict map jumps to a chain that adds the constant port:
#                nft takes no map lookup or arithmetic in a map element's data, and numgen's own offset would be in
#                host byte order), so every destination of that port shares its mapping.
nat_step() {
  local ns=$1 in=$2 out=$3 outside=$4 kind=$5 k=$6 i ports="" jumps="" chains=""
  for ((i = 0; i < NAT_STEP_COUNT; i++)); do
    ports+="${ports:+, }$i : $((NAT_STEP_BASE + i * k))"
    jumps+="${jumps:+, }$i : jump step$i"
    chains+="  chain step$i { add @mapped { ip saddr . meta l4proto . th sport : $((NAT_STEP_BASE + i * k)) }; }"$'\n'
  done
  local key="ip saddr . meta l4proto . th sport" match="oifname \"$out\" meta l4proto { tcp, udp }"
  if [ "$kind" = step-dependent ]; then
    ip netns exec "$ns" nft -f - <<NFT
table ip p2pd_step {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    $match snat to $outside : numgen inc mod $NAT_STEP_COUNT map { $ports }
  }
}
NFT
  else
    ip netns exec "$ns" nft -f - <<NFT
table ip p2pd_step {
  map mapped { type ipv4_addr . inet_proto . inet_service : inet_service; flags dynamic,timeout; timeout 10m; }
$chains
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    $match snat to $outside : $key map @mapped
    $match numgen inc mod $NAT_STEP_COUNT vmap { $jumps }
    $match snat to $outside : $key map @mapped
  }
}
NFT
  fi
}
