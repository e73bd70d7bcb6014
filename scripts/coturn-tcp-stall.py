#!/usr/bin/env python3
"""Shows coturn stalling an RFC 6062 TCP relay when both directions are saturated at once, with no project code.

Starts coturn on 127.0.0.1 (long-term credentials, loopback peers allowed), then for each try: a TURN client
written here allocates a TCP relay over a TCP control connection, Connects to a peer listening here, binds a data
connection (ConnectionBind), and MB megabytes go each way at once, each end reading on one thread and writing on
another (so neither end ever stops reading). A try that makes no progress for STALL seconds is a stall: it prints
how far each direction got and `ss -tmi` for the relay's four sockets (coturn holds unread bytes in its receive
queue on one leg while its send queue on the other leg is empty and that end keeps reading).

usage: coturn-tcp-stall.py [TRIES [MB [STALL]]]   (defaults 5 100 10; needs turnserver and ss)
"""
import hashlib, hmac, os, random, socket, struct, subprocess, sys, tempfile, threading, time, zlib

USER, PASSWORD, REALM = b"alice", b"stall-demo", b"stall.demo"
MAGIC = 0x2112A442
CHUNK = 64 << 10


def attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def xor_address(host, port):
    ip = struct.unpack("!I", socket.inet_aton(host))[0] ^ MAGIC
    return struct.pack("!BBHI", 0, 1, port ^ (MAGIC >> 16), ip)


def request(method, attrs, key=None):
    """A STUN request, signed (MESSAGE-INTEGRITY) when a key is given, always with FINGERPRINT."""
    tid = os.urandom(12)
    body = b"".join(attrs)
    if key is not None:
        header = struct.pack("!HHI", method, len(body) + 24, MAGIC) + tid
        body += attr(0x0008, hmac.new(key, header + body, hashlib.sha1).digest())
    header = struct.pack("!HHI", method, len(body) + 8, MAGIC) + tid
    body += attr(0x8028, struct.pack("!I", (zlib.crc32(header + body) ^ 0x5354554E) & 0xFFFFFFFF))
    return struct.pack("!HHI", method, len(body), MAGIC) + tid + body


def read_exactly(s, n):
    data = b""
    while len(data) < n:
        more = s.recv(n - len(data))
        if not more:
            raise EOFError("connection closed")
        data += more
    return data


def response(s, expected):
    kind, length = struct.unpack("!HH", read_exactly(s, 20)[:4])
    body = read_exactly(s, length)
    attrs, i = {}, 0
    while i < length:
        t, n = struct.unpack("!HH", body[i:i + 4])
        attrs[t] = body[i + 4:i + 4 + n]
        i += 4 + n + (-n % 4)
    if kind != expected:
        raise RuntimeError("expected response 0x%04x, got 0x%04x %r" % (expected, kind, attrs.get(0x0009)))
    return attrs


def relay(server):
    """(client's data connection, peer's connection) joined by an RFC 6062 relay on server."""
    key = hashlib.md5(USER + b":" + REALM + b":" + PASSWORD).digest()
    tcp = attr(0x0019, b"\x06\0\0\0")
    control = socket.create_connection(server)
    control.sendall(request(0x0003, [tcp]))
    nonce = response(control, 0x0113)[0x0015]
    auth = [attr(0x0006, USER), attr(0x0014, REALM), attr(0x0015, nonce)]
    control.sendall(request(0x0003, [tcp] + auth, key))
    response(control, 0x0103)
    listener = socket.create_server(("127.0.0.1", 0))
    host, port = listener.getsockname()
    control.sendall(request(0x000A, [attr(0x0012, xor_address(host, port))] + auth, key))  # Connect
    connection_id = response(control, 0x010A)[0x002A]
    peer, _ = listener.accept()
    data = socket.create_connection(server)
    data.sendall(request(0x000B, [attr(0x002A, connection_id)] + auth, key))  # ConnectionBind
    response(data, 0x010B)
    return control, data, peer


def attempt(server, total, stall_seconds):
    control, data, peer = relay(server)
    progress, digests = {}, {}

    def write(name, s, seed):
        r, sha, sent = random.Random(seed), hashlib.sha256(), 0
        try:
            while sent < total:
                chunk = r.randbytes(CHUNK)
                sha.update(chunk)
                s.sendall(chunk)
                sent += len(chunk)
                progress[name] = sent
        except OSError:
            return  # closed after a stall
        digests[name] = sha.hexdigest()

    def read(name, s):
        sha, got = hashlib.sha256(), 0
        try:
            while got < total:
                chunk = s.recv(CHUNK)
                if not chunk:
                    break
                sha.update(chunk)
                got += len(chunk)
                progress[name] = got
        except OSError:
            return  # closed after a stall
        digests[name] = sha.hexdigest()

    threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in [
        (write, ("client sent", data, 1)), (read, ("peer got", peer)),
        (write, ("peer sent", peer, 2)), (read, ("client got", data))]]
    for t in threads:
        t.start()
    last, still = None, 0
    while any(t.is_alive() for t in threads) and still < stall_seconds:
        time.sleep(1)
        still = still + 1 if progress == last else 0
        last = dict(progress)
    megabytes = {k: round(v / 2**20, 1) for k, v in sorted(progress.items())}
    if still >= stall_seconds:
        # the four sockets of the relay: ours (client, peer) and coturn's two legs
        ports = [data.getsockname()[1], peer.getsockname()[1]]
        ss = subprocess.run(["ss", "-tmi", "( " + " or ".join("sport = :%d or dport = :%d" % (p, p) for p in ports) + " )"],
                            capture_output=True, text=True).stdout
        print("STALL: no progress for %d s: %s\n%s" % (stall_seconds, megabytes, ss), flush=True)
    else:
        equal = digests.get("client sent") == digests.get("peer got") and \
            digests.get("peer sent") == digests.get("client got")
        print("done: %s, SHA-256 equal both ways: %s" % (megabytes, equal), flush=True)
    for s in (data, peer, control):
        s.close()
    for t in threads:
        t.join(5)
    return still >= stall_seconds


def main():
    tries, megabytes, stall_seconds = (int(a) for a in (sys.argv[1:] + ["5", "100", "10"][len(sys.argv) - 1:])[:3])
    with tempfile.TemporaryDirectory() as tmp:
        probe = socket.create_server(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        coturn = subprocess.Popen(["turnserver", "-n", "--no-cli", "--no-dtls", "--no-tls", "-L", "127.0.0.1",
                                   "--listening-port=%d" % port, "--min-port=45000", "--max-port=45099",
                                   "--log-file=stdout", "--simple-log", "--pidfile=" + tmp + "/turnserver.pid",
                                   "--fingerprint", "--lt-cred-mech", "--realm=" + REALM.decode(),
                                   "--user=%s:%s" % (USER.decode(), PASSWORD.decode()), "--allow-loopback-peers"],
                                  stdout=open(tmp + "/coturn.log", "w"), stderr=subprocess.STDOUT)
        try:
            for _ in range(50):  # up to 5 s for coturn to listen
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            version = subprocess.run(["turnserver", "--version"], capture_output=True, text=True).stdout.strip()
            print("coturn %s on 127.0.0.1:%d, %d tries of %d MB each way at once" % (version, port, tries, megabytes))
            stalls = sum(attempt(("127.0.0.1", port), megabytes << 20, stall_seconds) for _ in range(tries))
            print("%d of %d tries stalled" % (stalls, tries))
        finally:
            coturn.terminate()
            coturn.wait(10)


if __name__ == "__main__":
    main()
