#!/usr/bin/env bash
# Installs, from Debian's packages, the real peers and tools the lab tests use: coturn, mosquitto (MQTT broker for
# the node's signalling tests) and its clients (the CLI's broker tests), iptables, nftables, socat,
# iproute2 (ip netns), openssl, python3, and the Debian packages the Python original needs to run as a peer or make
# golden vectors (node module tests). Does nothing when all are present; needs root otherwise.
set -euo pipefail

need=()
command -v turnserver >/dev/null || need+=(coturn)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_sub >/dev/null || need+=(mosquitto-clients)
command -v iptables >/dev/null || need+=(iptables)
command -v nft >/dev/null || need+=(nftables)
command -v socat >/dev/null || need+=(socat)
command -v ip >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)
command -v python3 >/dev/null || need+=(python3)
# The Python original (../shared/reference/p2pd-py) runs on Debian's /usr/bin/python3 with these.
for mod in ecdsa:python3-ecdsa netifaces:python3-netifaces ntplib:python3-ntplib xmltodict:python3-xmltodict \
           fasteners:python3-fasteners pyroute2:python3-pyroute2; do
    /usr/bin/python3 -c "import ${mod%%:*}" 2>/dev/null || need+=("${mod#*:}")
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "lab-deps: missing ${need[*]}; run as root to install them" >&2
    exit 1
fi
echo "lab-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
