"""A Python original (P2PD 3.1.10) node inside one namespace of the two-NAT lab, for scripts/orig-rates.sh.

Our own driver (no code of the original is copied): it imports the original from ../shared/reference/p2pd-py/src,
points its settings at the lab (Mosquitto 198.18.0.2:1883; coturn's STUN 198.18.0.2:3480, alternate
198.18.0.3:3481), works around the original's known bugs at run time (README of the reference copy), starts a
P2PNode on one interface and then reads commands on stdin:
    connect ADDRESS STRATEGIES   STRATEGIES: punch, or direct,reverse,punch (the original's default order)
answering "ok ms=T strategy=S" or "failed ms=T WHY". Prints "address ADDRESS" once started, "error WHY" if not.
usage: PYTHONPATH=.../p2pd-py/src HOME=DIR /usr/bin/python3 orig_node.py INTERFACE NAT_MODE (open, masq, fullcone,
    restricted or random: the lab mode in front of it)
"""
import asyncio
import decimal
import hashlib
import ipaddress
import os
import sys
import time
import traceback

import p2pd.nic.interface as nic_module
sys.modules.setdefault("p2pd.interface", nic_module)  # clock_skew.py imports a module that moved

from p2pd import *  # noqa: the original's public names (P2PNode, Interface, settings, constants)
import p2pd.settings as settings
from p2pd.node.signaling import SignalMock
from p2pd.protocol.ntp.clock_skew import SysClock

# coturn answers STUN on both public IPs (RFC 5780 alternate); the original wants two servers that agree
LAB_STUN = [{"mode": 1, "host": None, "primary": {"ip": "198.18.0.2", "port": 3480},
             "secondary": {"ip": "198.18.0.3", "port": 3481}},
            {"mode": 1, "host": None, "primary": {"ip": "198.18.0.3", "port": 3481},
             "secondary": {"ip": "198.18.0.2", "port": 3480}}]
LAB_MQTT = {"host": None, "port": 1883, IP4: "198.18.0.2", IP6: None}
NATS = {"open": (OPEN_INTERNET, NA_DELTA), "masq": (RESTRICT_PORT_NAT, EQUAL_DELTA),
        "fullcone": (FULL_CONE, EQUAL_DELTA), "restricted": (RESTRICT_NAT, EQUAL_DELTA),
        "random": (SYMMETRIC_NAT, RANDOM_DELTA)}
STRATEGY = {"direct": P2P_DIRECT, "reverse": P2P_REVERSE, "punch": P2P_PUNCH}


def say(line):
    print(line, flush=True)


def lab_addresses_count_as_public():
    # the lab's public side is 198.18.0.0/15 (RFC 2544), which Python's ipaddress calls private: the original then
    # drops every STUN answer ("priv") and finds no route
    bench = ipaddress.ip_network("198.18.0.0/15")
    for cls, inside in ((ipaddress.IPv4Address, lambda a: a in bench),
                        (ipaddress.IPv4Network, lambda n: n.subnet_of(bench))):
        private = cls.is_private
        cls.is_private = property(lambda self, p=private, i=inside: p.__get__(self) and not i(self))


def point_settings_at_the_lab():
    # the modules imported the lists by name: change them in place
    for table in (settings.STUN_MAP_SERVERS, settings.STUN_CHANGE_SERVERS):
        for proto in table:
            table[proto][IP4][:] = [dict(s, mode=2) if table is settings.STUN_MAP_SERVERS else s for s in LAB_STUN]
            table[proto][IP6][:] = []
    settings.MQTT_SERVERS[:] = [LAB_MQTT]


async def own_signal_pipe(node, af, offset):
    # the original keeps is_valid_mqtt()'s client, subscribed to a random topic: subscribe to the node's id instead
    server = settings.MQTT_SERVERS[offset]
    pipe = SignalMock(node.node_id, node.signal_protocol, (server[af], server["port"]))
    pipe = await pipe.start()
    node.signal_pipes[offset] = pipe
    return pipe


async def own_machine_id(app_id, netifaces):
    # every node on this machine reads one /etc/machine-id: give each its own (from its HOME), so neither takes
    # the other for itself and their listen ports (derived from it) differ
    return hashlib.sha256((app_id + os.environ["HOME"]).encode()).hexdigest()


def trace_punch_sockets():
    # with P2PD_BENCH_TRACE set: its punch swallows every socket error (delayed_punch's except returns None), so log
    # what the socket factory and the connect do, on stderr, from the punch worker process too
    import p2pd.traversal.tcp_punch.tcp_punch_utils as punch
    made, connected = punch.socket_factory, punch.set_keep_alive
    counts = {}

    async def traced_factory(*args, **kwargs):
        try:
            return await made(*args, **kwargs)
        except BaseException as e:
            key = "factory " + repr(e)
            counts[key] = counts.get(key, 0) + 1
            if counts[key] in (1, 10, 100, 1000):
                print("trace %s x%d" % (key, counts[key]), file=sys.stderr, flush=True)
            raise

    def traced_connected(sock, *args, **kwargs):
        print("trace connected %s -> %s" % (sock.getsockname(), sock.getpeername()), file=sys.stderr, flush=True)
        return connected(sock, *args, **kwargs)

    scheduled = punch.schedule_delayed_punching

    async def traced_schedule(*args, **kwargs):
        out = await scheduled(*args, **kwargs)
        print("trace punching gave %r" % (out,), file=sys.stderr, flush=True)
        return out

    import asyncio.selector_events as selector_events
    sock_connect = selector_events.BaseSelectorEventLoop.sock_connect

    async def traced_connect(self, sock, address):
        try:
            return await sock_connect(self, sock, address)
        except BaseException as e:
            key = "connect %s -> %s %r" % (sock.getsockname(), address, e)
            counts[key] = counts.get(key, 0) + 1
            if counts[key] in (1, 10, 100, 1000):
                print("trace %s x%d" % (key, counts[key]), file=sys.stderr, flush=True)
            raise

    punch.socket_factory, punch.set_keep_alive = traced_factory, traced_connected
    punch.schedule_delayed_punching = traced_schedule
    selector_events.BaseSelectorEventLoop.sock_connect = traced_connect


# At import, not in main(): the original's punch runs in worker processes it starts with "spawn", which import this
# file again (as __mp_main__) but do not run main(), so only what runs at import holds there too.
lab_addresses_count_as_public()
point_settings_at_the_lab()
if os.environ.get("P2PD_BENCH_TRACE"):
    trace_punch_sockets()


async def main(if_name, nat_mode):
    nic = await Interface(if_name)
    # the original's NAT test needs 5 RFC 3489 servers and its delta test 12 distinct STUN hosts (5 agreeing): the
    # lab has two STUN addresses, so the NAT its mode gives is set by hand (as the original's own tests do)
    nat_type, delta_type = NATS[nat_mode]
    nic.set_nat(nat_info(nat_type, delta_info(delta_type, 0)))
    say("progress nat=" + str(nic.nat))
    conf = dict(NODE_CONF)
    conf["enable_upnp"] = False
    node = P2PNode(ifs=[nic], conf=conf)
    node.load_signal_pipe = lambda af, offset: own_signal_pipe(node, af, offset)
    node.load_machine_id = own_machine_id
    await node.start(sys_clock=SysClock(nic, clock_skew=decimal.Decimal("0.000001")))
    say("address " + to_s(node.address()))
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        words = line.split()
        if len(words) == 3 and words[0] == "connect":
            strategies = [STRATEGY[s] for s in words[2].split(",")]
            t = time.monotonic()
            try:
                pipe = await asyncio.wait_for(node.connect(words[1], strategies=strategies), 90)
                ms = int((time.monotonic() - t) * 1000)
                if pipe is None:
                    say("failed ms=%d no pipe" % ms)
                else:
                    say("ok ms=%d strategy=%s" % (ms, getattr(pipe, "strategy", "?")))
                    await pipe.close()
            except BaseException as e:
                say("failed ms=%d %s" % (int((time.monotonic() - t) * 1000), repr(e).replace("\n", " ")))
    await node.close()


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except BaseException:
        say("error " + traceback.format_exc().replace("\n", " | "))
    os._exit(0)  # its punch worker processes never exit on their own
