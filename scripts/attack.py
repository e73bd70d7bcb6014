#!/usr/bin/env python3
"""Hostile-load runs against our servers, side by side with coturn and socat (issue 18). Loopback only.

Each attack starts a fresh server, measures a legitimate client for a few seconds (before), runs the attack
for --duration seconds while the client keeps measuring (during), stops the attack and measures again for --after
seconds (after: long enough for the JVM's periodic collection, every 15 s when idle, to give memory back, so the
RSS "at end" shows whether it did). The attackers come from --source-ips addresses (127.0.1.1 up), not from the
legitimate client's 127.0.0.1: a server's per-IP cap (200 connections) would otherwise refuse them before any
other bound is reached, and would refuse the legitimate client too.
Reported per phase: the legitimate client's round trips (p50, p99, lost), the server's peak RSS and descriptors
(from /proc, summed over the server's process tree, so socat's forked children count), and the lines it logged.

Every loop is bounded in count and time; every socket goes to 127.0.0.1; servers are killed at the end and their
temporary log files deleted.
Run it through scripts/attack.sh, which builds ./p2pd and raises the descriptor limit for the attackers.
"""
import argparse
import multiprocessing
import os
import queue
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGIC = 0x2112A442
SOURCES = 64  # attacker source addresses, set from --source-ips


def attacker_socket(i, kind=socket.SOCK_STREAM):
    """A socket bound to the i-th attacker source address (127.0.1.1 up, round robin), any port."""
    j = i % SOURCES
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.%d.%d" % (1 + j // 254, 1 + j % 254), 0))
    except OSError:
        s.close()
        raise
    return s


def attacker_connect(i, port, timeout):
    """A TCP connection to HOST:port from the i-th attacker source address."""
    s = attacker_socket(i)
    try:
        s.settimeout(timeout)
        s.connect((HOST, port))
    except OSError:
        s.close()
        raise
    return s


# ---- STUN messages (RFC 8489): just enough to ask and to check an answer

def binding_request(attributes=b""):
    tid = os.urandom(12)
    return struct.pack("!HHI", 0x0001, len(attributes), MAGIC) + tid + attributes, tid


def unknown_attributes(count):
    """`count` distinct comprehension-required attribute types no server knows (0x4000 up), empty values."""
    return b"".join(struct.pack("!HH", 0x4000 + i, 0) for i in range(count))


def read_stun_tcp(sock, deadline):
    """One STUN message from a TCP stream (20-byte header, then the length it gives)."""
    head = read_exact(sock, 20, deadline)
    if head is None:
        return None
    (length,) = struct.unpack("!H", head[2:4])
    body = read_exact(sock, length, deadline)
    return None if body is None else head + body


def read_exact(sock, n, deadline):
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(data))
        except (socket.timeout, OSError):
            return None
        if not chunk:
            return None
        data += chunk
    return data


# ---- servers

class Server:
    """A server process (its stdout and stderr to one log file) and its process tree's RSS and descriptors."""

    def __init__(self, name, argv, ready, nofile=None, files=()):
        self.name = name
        self.files = list(files)  # more temporary files to delete at the end
        self.log = tempfile.NamedTemporaryFile(prefix="attack-" + name.replace(" ", "-") + "-", suffix=".log",
                                               delete=False)
        pre = None
        if nofile:
            def pre():
                import resource
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=ROOT, preexec_fn=pre, start_new_session=True)
        deadline = time.monotonic() + 120
        while not ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.log_text()[-2000:]
                self.stop()
                raise RuntimeError(name + " did not start; log: " + log)
            time.sleep(0.2)

    def log_text(self):
        with open(self.log.name, "r", errors="replace") as f:
            return f.read()

    def log_lines(self):
        with open(self.log.name, "rb") as f:
            return sum(1 for _ in f)

    def tree(self):
        pids = [self.proc.pid]
        try:
            children = {}
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open("/proc/%s/stat" % entry) as f:
                            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                        children.setdefault(ppid, []).append(int(entry))
                    except (OSError, ValueError, IndexError):
                        pass
            i = 0
            while i < len(pids) and len(pids) < 100000:
                pids.extend(children.get(pids[i], []))
                i += 1
        except OSError:
            pass
        return pids

    def sample(self):
        """(RSS in MB, descriptors) of the process tree now."""
        rss_kb = 0
        fds = 0
        for pid in self.tree():
            try:
                with open("/proc/%d/status" % pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss_kb += int(line.split()[1])
                fds += len(os.listdir("/proc/%d/fd" % pid))
            except OSError:
                pass
        return rss_kb / 1024.0, fds

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(10)
        self.log.close()
        for path in [self.log.name] + self.files:
            try:
                os.unlink(path)
            except OSError:
                pass


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def answers_stun(port):
    def ready():
        rtt = stun_udp_round_trip(port, 0.3)
        return rtt is not None
    return ready


def accepts_tcp(port):
    def ready():
        try:
            with socket.create_connection((HOST, port), timeout=0.3):
                return True
        except OSError:
            return False
    return ready


def p2pd(*args):
    return [os.path.join(ROOT, "p2pd")] + list(args)


def our_stun_server(nofile=None):
    port = free_port()
    return Server("p2pd stun-server", p2pd("stun-server", "--bind", HOST, "--port", str(port)),
                  answers_stun(port), nofile), port


def coturn(nofile=None):
    port = free_port()
    pidfile = tempfile.mktemp(prefix="attack-coturn-")
    argv = ["turnserver", "-n", "--stun-only", "-L", HOST, "-p", str(port), "--no-tls", "--no-dtls", "--no-cli",
            "--log-file", "stdout", "--simple-log", "--pidfile", pidfile]
    return Server("coturn", argv, answers_stun(port), nofile, files=[pidfile]), port


# ---- the legitimate client

def stun_udp_round_trip(port, timeout):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        request, tid = binding_request()
        t0 = time.monotonic()
        try:
            s.sendto(request, (HOST, port))
            deadline = t0 + timeout
            while time.monotonic() < deadline:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                data, _ = s.recvfrom(4096)
                if data[8:20] == tid:
                    return time.monotonic() - t0
        except (socket.timeout, OSError):
            return None
    return None


def stun_tcp_round_trip(port, timeout):
    t0 = time.monotonic()
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            request, tid = binding_request()
            s.sendall(request)
            answer = read_stun_tcp(s, t0 + timeout)
            return time.monotonic() - t0 if answer and answer[8:20] == tid else None
    except OSError:
        return None


class Prober:
    """Round trips at a steady pace, filed under the current phase; a lost one counts as lost, not as a time."""

    def __init__(self, round_trip, pace=0.05):
        self.round_trip = round_trip
        self.pace = pace
        self.phase = "before"
        self.results = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        end = time.monotonic() + 3600  # a bound in case stop() is never called
        while not self.stopped.is_set() and time.monotonic() < end:
            phase = self.phase
            rtt = self.round_trip()
            self.results.setdefault(phase, []).append(rtt)
            self.stopped.wait(self.pace)

    def stop(self):
        self.stopped.set()
        self.thread.join(30)

    def summary(self, phase):
        runs = self.results.get(phase, [])
        times = sorted(r for r in runs if r is not None)
        lost = len(runs) - len(times)

        def pct(p):
            return "-" if not times else "%.1f" % (1000 * times[min(len(times) - 1, int(p * len(times)))])
        return pct(0.50), pct(0.99), "%d/%d" % (lost, len(runs))


# ---- attacks: each runs until `stop` is set or its own deadline, and reports what it did

def attack_stun_pipelining(port, stop, deadline, connections=10):
    """TCP connections that pipeline binding requests as fast as they can and never read an answer."""
    batch = b"".join(binding_request()[0] for _ in range(1000))
    socks = []
    for i in range(connections):
        try:
            s = attacker_connect(i, port, 2)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            pass
    sent = 0
    try:
        while not stop.is_set() and time.monotonic() < deadline and socks:
            _, writable, _ = select.select([], socks, [], 0.1)
            for s in writable:
                try:
                    sent += s.send(batch)
                except BlockingIOError:
                    pass
                except OSError:
                    socks.remove(s)
                    s.close()
    finally:
        for s in socks:
            s.close()
    return "%d connections, %.0f MB of requests sent, %d still open at the end" % (
        connections, sent / 1e6, len(socks))


def attack_udp_source_ports(port, stop, deadline, limit):
    """A datagram from each of `limit` source ports (a new socket each), spread over the attack's time (socat forks
    a process per client: all at once would be thousands of processes), never answering the replies."""
    sent = 0
    start = time.monotonic()
    pace = (deadline - start) / limit
    while not stop.is_set() and time.monotonic() < deadline and sent < limit:
        ahead = start + sent * pace - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        try:
            with attacker_socket(sent, socket.SOCK_DGRAM) as s:
                s.sendto(b"attack %d" % sent, (HOST, port))
                sent += 1
        except OSError:
            pass
    return "%d client source ports" % sent


def attack_unknown_attributes(port, stop, deadline, connections=4, count=16000):
    """TCP connections that each send a request with `count` unknown comprehension-required attributes, read the
    answer, and repeat."""
    attributes = unknown_attributes(count)
    stats = {"requests": 0, "bytes": 0, "ms": []}
    lock = threading.Lock()

    def one(i):
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                with attacker_connect(i, port, 2) as s:
                    while not stop.is_set() and time.monotonic() < deadline:
                        request, _ = binding_request(attributes)
                        t0 = time.monotonic()
                        s.sendall(request)
                        answer = read_stun_tcp(s, time.monotonic() + 5)
                        if answer is None:
                            break
                        with lock:
                            stats["requests"] += 1
                            stats["bytes"] = len(answer)
                            stats["ms"].append(1000 * (time.monotonic() - t0))
            except OSError:
                time.sleep(0.05)
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + 10)
    ms = sorted(stats["ms"])
    median = "%.2f" % ms[len(ms) // 2] if ms else "-"
    return "%d requests of %d attributes (%d bytes) answered, median %s ms each, answer %d bytes" % (
        stats["requests"], count, 20 + 4 * count, median, stats["bytes"])


def attack_resets(port, stop, deadline, limit=2000):
    """Connections that send a line and end with a reset (SO_LINGER 0) instead of a close."""
    done = 0
    linger = struct.pack("ii", 1, 0)
    while not stop.is_set() and time.monotonic() < deadline and done < limit:
        try:
            s = attacker_connect(done, port, 2)
            s.sendall(b"hello then reset\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.close()
            done += 1
        except OSError:
            time.sleep(0.01)
    return "%d connections reset" % done


def attack_idle_connections(port, stop, deadline, limit=21000):
    """Connections that are opened and never send a byte, held until the attack ends."""
    socks = []
    failed = 0
    try:
        while not stop.is_set() and time.monotonic() < deadline and len(socks) < limit and failed < 1000:
            try:
                socks.append(attacker_connect(len(socks) + failed, port, 1))
            except OSError:
                failed += 1
        opened = len(socks)
        stop.wait(max(0.0, deadline - time.monotonic()))
        closed_by_server = 0
        for s in socks:
            try:
                s.setblocking(False)
                if s.recv(1) == b"":
                    closed_by_server += 1
            except BlockingIOError:
                pass
            except OSError:
                closed_by_server += 1
        return "%d idle connections opened (%d refused or timed out), %d closed by the server by the end" % (
            opened, failed, closed_by_server)
    finally:
        for s in socks:
            s.close()


# ---- targets for the forwarder and echo attacks

class UdpEcho:
    """A UDP echo on loopback (the forwarders' target), in a thread."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        end = time.monotonic() + 3600
        while not self.stopped.is_set() and time.monotonic() < end:
            try:
                data, peer = self.sock.recvfrom(65536)
                self.sock.sendto(data, peer)
            except (socket.timeout, OSError):
                pass

    def stop(self):
        self.stopped.set()
        self.sock.close()


def udp_round_trip_via(port, timeout=1.0, sock=None):
    own = sock is None
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        token = os.urandom(8)
        t0 = time.monotonic()
        s.sendto(token, (HOST, port))
        while time.monotonic() - t0 < timeout:
            data, _ = s.recvfrom(65536)
            if data == token:
                return time.monotonic() - t0
    except (socket.timeout, OSError):
        return None
    finally:
        if own:
            s.close()
    return None


def tcp_echo_prober(port):
    state = {"sock": None}

    def round_trip():
        try:
            if state["sock"] is None:
                state["sock"] = socket.create_connection((HOST, port), timeout=1)
            s = state["sock"]
            token = os.urandom(8).hex().encode() + b"\n"
            t0 = time.monotonic()
            s.sendall(token)
            got = read_exact(s, len(token), t0 + 1)
            if got == token:
                return time.monotonic() - t0
        except OSError:
            pass
        if state["sock"] is not None:
            state["sock"].close()
            state["sock"] = None
        return None
    return round_trip


# ---- one run

def attack_in_child(attack, seconds):
    """Runs attack(stop, deadline) in its own process, so its Python loops do not slow the legitimate client
    (which shares no interpreter lock with it); returns its note. The child is killed if it outlives its bound."""
    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    notes = ctx.Queue()
    deadline = time.monotonic() + seconds  # CLOCK_MONOTONIC: the same clock in the child

    def body():
        try:
            notes.put(attack(stop, deadline))
        except Exception as e:
            notes.put("attack failed: %s" % e)
    child = ctx.Process(target=body, daemon=True)
    child.start()
    child.join(seconds + 30)
    # The phase lasts its whole time even when the attack's count ran out first: its after-effects (a backlog of
    # log lines, sockets not yet closed) are part of it.
    time.sleep(max(0.0, deadline - time.monotonic()))
    stop.set()
    try:
        note = notes.get(timeout=30)
    except queue.Empty:
        note = "attack did not finish"
    child.join(10)
    if child.is_alive():
        child.kill()
        child.join(10)
    return note


def run(name, server, attack, prober, args, extra=None):
    """Before, during and after phases against one server; returns a table row per phase."""
    rows = []
    peak = {"rss": 0.0, "fds": 0}
    sampling = threading.Event()

    def sampler():
        end = time.monotonic() + 3600
        while not sampling.is_set() and time.monotonic() < end:
            rss, fds = server.sample()
            peak["rss"] = max(peak["rss"], rss)
            peak["fds"] = max(peak["fds"], fds)
            sampling.wait(0.5)
    threading.Thread(target=sampler, daemon=True).start()
    try:
        prober.phase = "warm-up"  # a JIT's first round trips are not what a client meets later
        time.sleep(1)
        phases = [("before", args.settle), ("during", args.duration), ("after", args.after)]
        note = ""
        for phase, seconds in phases:
            prober.phase = phase
            peak["rss"], peak["fds"] = server.sample()
            lines0 = server.log_lines()
            if phase == "during":
                note = attack_in_child(attack, seconds)
            else:
                time.sleep(seconds)
            rss_now, fds_now = server.sample()
            p50, p99, lost = prober.summary(phase)
            alive = "yes" if server.proc.poll() is None else "exited %s" % server.proc.returncode
            rows.append("| %s | %s | %s | %s | %s | %.0f (%.0f at end) | %d (%d at end) | %d | %s |" % (
                name, phase, p50, p99, lost, peak["rss"], rss_now, peak["fds"], fds_now,
                server.log_lines() - lines0, alive))
        if extra:
            note += "; " + extra()
        rows.append("NOTE %s: %s" % (name, note))
    finally:
        sampling.set()
        prober.stop()
        server.stop()
    return rows


HEADER = ("| server | phase | p50 ms | p99 ms | lost | peak RSS MB | peak fds | log lines | up |\n"
          "|---|---|---|---|---|---|---|---|---|")


def fresh_clients_answered(port, count=20):
    def check():
        ok = sum(1 for _ in range(count) if udp_round_trip_via(port, 1.0) is not None)
        return "%d of %d fresh clients answered after the attack" % (ok, count)
    return check


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=20, help="seconds of each attack (default 20)")
    parser.add_argument("--settle", type=float, default=5, help="seconds measured before and after (default 5)")
    parser.add_argument("--after", type=float, default=30,
                        help="seconds measured after the attack (default 30: the JVM's idle collection runs every "
                             "15 s, so the RSS at the end shows whether memory was given back)")
    parser.add_argument("--source-ips", type=int, default=64,
                        help="attacker source addresses, 127.0.1.1 up (default 64: with a per-IP cap of 200, "
                             "12,800 connections)")
    parser.add_argument("--only", default="", help="comma-separated attack names (default: all)")
    parser.add_argument("--server-nofile", type=int, default=4096,
                        help="descriptor limit of every server (default 4096, so the floods below pass it)")
    parser.add_argument("--idle-connections", type=int, default=5000,
                        help="idle connections to open (default 5000, above --server-nofile)")
    parser.add_argument("--udp-clients", type=int, default=5000,
                        help="client source ports, spread over --duration (default 5000)")
    args = parser.parse_args()
    if args.duration <= 0 or args.duration > 3600 or args.settle < 0 or args.settle > 600 \
            or args.after < 0 or args.after > 600 or not 1 <= args.source_ips <= 254 * 254:
        parser.error("--duration must be in (0, 3600], --settle and --after in [0, 600], --source-ips in "
                     "[1, 64516]")
    global SOURCES
    SOURCES = args.source_ips
    only = set(filter(None, args.only.split(",")))

    nofile = args.server_nofile

    def udp_stun(port):
        return Prober(lambda: stun_udp_round_trip(port, 1.0))

    def tcp_stun(port):
        return Prober(lambda: stun_tcp_round_trip(port, 1.0))

    attacks = []

    def stun_pipelining():
        rows = []
        for start in (our_stun_server, coturn):
            server, port = start(nofile)
            rows += run(server.name, server, lambda stop, end: attack_stun_pipelining(port, stop, end),
                        udp_stun(port), args)
        return rows
    attacks.append(("stun-pipelining", "TCP STUN pipelining, 10 connections that never read", stun_pipelining))

    def udp_forward():
        rows = []
        echo = UdpEcho()
        try:
            for kind in ("p2pd", "socat"):
                port = free_port(socket.SOCK_DGRAM)
                if kind == "p2pd":
                    argv = p2pd("forward", "--proto", "udp", "%s:%d" % (HOST, port), "%s:%d" % (HOST, echo.port))
                    name = "p2pd forward"
                else:
                    argv = ["socat", "-T", "10", "UDP4-RECVFROM:%d,bind=%s,fork,reuseaddr" % (port, HOST),
                            "UDP4:%s:%d" % (HOST, echo.port)]
                    name = "socat -T 10"
                server = Server(name, argv, lambda: udp_round_trip_via(port, 0.3) is not None, nofile)
                legit = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    rows += run(name, server,
                                lambda stop, end: attack_udp_source_ports(port, stop, end, args.udp_clients),
                                Prober(lambda: udp_round_trip_via(port, 1.0, legit)), args,
                                extra=fresh_clients_answered(port))
                finally:
                    legit.close()
        finally:
            echo.stop()
        return rows
    attacks.append(("udp-forward", "UDP forward, a datagram from each of many client source ports", udp_forward))

    def unknown_attrs():
        rows = []
        for start in (our_stun_server, coturn):
            server, port = start(nofile)
            rows += run(server.name, server, lambda stop, end: attack_unknown_attributes(port, stop, end),
                        udp_stun(port), args)
        return rows
    attacks.append(("unknown-attributes", "STUN requests with 16,000 unknown comprehension-required attributes, "
                    "4 TCP connections", unknown_attrs))

    def resets():
        rows = []
        for kind in ("p2pd", "socat"):
            port = free_port()
            if kind == "p2pd":
                argv = p2pd("echo", "--proto", "tcp", "--bind", HOST, "--port", str(port))
                name = "p2pd echo"
            else:
                argv = ["socat", "TCP4-LISTEN:%d,bind=%s,fork,reuseaddr,backlog=128" % (port, HOST), "PIPE"]
                name = "socat echo"
            server = Server(name, argv, accepts_tcp(port), nofile)
            rows += run(name, server, lambda stop, end: attack_resets(port, stop, end), Prober(tcp_echo_prober(port)),
                        args)
        return rows
    attacks.append(("resets", "connections reset by the peer against a TCP echo (log lines counted)", resets))

    def idle():
        rows = []
        for start in (our_stun_server, coturn):
            server, port = start(nofile)
            rows += run(server.name, server,
                        lambda stop, end: attack_idle_connections(port, stop, end, args.idle_connections),
                        tcp_stun(port), args)
        return rows
    attacks.append(("idle-connections", "idle TCP connections beyond the server's descriptor limit "
                    "(legitimate client: STUN over new TCP connections)", idle))

    print("# attack run %s, --duration %g s, --settle %g s, --after %g s, %d attacker addresses, servers' "
          "descriptor limit %d, load average %.1f" % (
              time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), args.duration, args.settle, args.after,
              args.source_ips, nofile, os.getloadavg()[0]))
    status = 0
    for key, title, attack in attacks:
        if only and key not in only:
            continue
        print("\n## %s: %s\n" % (key, title))
        print(HEADER)
        sys.stdout.flush()
        try:
            rows = attack()
            notes = [r[len("NOTE "):] for r in rows if r.startswith("NOTE ")]
            for row in rows:
                if not row.startswith("NOTE "):
                    print(row)
            print()
            for note in notes:
                print("- " + note)
        except Exception as e:  # one attack failing to start must not stop the others
            print("\n- %s failed to run: %s" % (key, e))
            status = 1
        sys.stdout.flush()
    return status


if __name__ == "__main__":
    random.seed()
    sys.exit(main())
