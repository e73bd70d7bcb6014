# Test harness: runs pieces of the original P2PD (PYTHONPATH=../shared/reference/p2pd-py/src) with fixed inputs.
# Only the modules needed are imported, and nothing here opens a socket. A JSON list of requests on stdin, a JSON
# list of strings on stdout. Randomness the original draws (ephemeral ECDH key, RC6 IV) is pinned at run time.
import binascii, hashlib, json, socket, sys

from ecdsa import SECP256k1, SigningKey, VerifyingKey, ECDH
from ecdsa.util import sigencode_string, sigdecode_string


class FakeRoute:
    def __init__(self, ext, nic, link_local=None):
        self._ext, self._nic = ext, nic
        self.link_locals = [link_local] if link_local else []

    def ext(self):
        return self._ext

    def nic(self):
        return self._nic


class FakeRoutePool:
    def __init__(self, routes):
        self.routes = routes


class FakeInterface:
    """What make_peer_addr reads of an Interface: netiface_index, rp[af].routes, route(af), nat, resolved."""

    def __init__(self, spec):
        self.resolved = True
        self.netiface_index = spec["netiface"]
        self.nat = {"type": spec["nat"], "delta": {"type": spec["delta_type"], "value": spec["delta_value"]}}
        self.routes = {}
        for af, key in ((socket.AF_INET, "v4"), (socket.AF_INET6, "v6")):
            r = spec.get(key)
            self.routes[af] = FakeRoute(r["ext"], r["nic"], r.get("link_local")) if r else None
        self.rp = {af: FakeRoutePool([r] if r else []) for af, r in self.routes.items()}

    def route(self, af):
        return self.routes[af]


def make_addr(req):
    from p2pd.node.p2p_addr import make_peer_addr
    ifs = [FakeInterface(s) for s in req["interfaces"]]
    return make_peer_addr(req["node_id"], req["machine_id"], ifs, req["signal"], port=req["port"]).decode()


def parse_addr(req):
    from p2pd.node.p2p_addr import parse_peer_addr
    out = parse_peer_addr(req["addr"].encode())
    if out is None:
        return "None"
    # What the original understood, in one line: signal;v4 records;v6 records;node id;machine id.
    fams = []
    for af in (socket.AF_INET, socket.AF_INET6):
        fams.append("|".join(",".join(str(x) for x in (
            i["netiface_index"], i["if_index"], i["ext"], i["nic"], i["port"],
            i["nat"]["type"], i["nat"]["delta"]["type"], i["nat"]["delta"]["value"])) for i in out[af].values()))
    return ";".join([",".join(str(x) for x in out["signal"])] + fams + [out["node_id"], out["machine_id"]])


def key_info(req):
    sk = SigningKey.from_string(binascii.unhexlify(req["key"]), curve=SECP256k1)
    pub = sk.verifying_key.to_string("compressed")
    # public|node id (as P2PNode.start derives it)|SEC1 PEM|PKCS#8 PEM
    return "|".join([pub.hex(), hashlib.sha256(pub).hexdigest()[:25], sk.to_pem().decode(),
                     sk.to_pem(format="pkcs8").decode()])


def key_from_pem(req):
    return SigningKey.from_pem(req["pem"]).to_string().hex()


def ecies_encrypt(req):
    import p2pd.vendor.ecies as ecies
    import p2pd.vendor.ecies.utils.rc6 as rc6
    ephemeral = SigningKey.from_string(binascii.unhexlify(req["ephemeral"]), curve=SECP256k1)
    iv = binascii.unhexlify(req["iv"])
    ECDH.generate_private_key = lambda self: self.load_private_key(ephemeral)
    rc6.urandom = lambda n: iv
    return ecies.encrypt(binascii.unhexlify(req["to"]), binascii.unhexlify(req["message"])).hex()


def ecies_decrypt(req):
    import p2pd.vendor.ecies as ecies
    sk = SigningKey.from_string(binascii.unhexlify(req["key"]), curve=SECP256k1)
    return ecies.decrypt(sk, binascii.unhexlify(req["cipher"])).hex()


def sign(req):
    sk = SigningKey.from_string(binascii.unhexlify(req["key"]), curve=SECP256k1)
    sig = sk.sign_deterministic(binascii.unhexlify(req["message"]), hashfunc=hashlib.sha256,
                                sigencode=sigencode_string)
    n = SECP256k1.order
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if s > n // 2:
        s = n - s
    return (r.to_bytes(32, "big") + s.to_bytes(32, "big")).hex()


def verify(req):
    vk = VerifyingKey.from_string(binascii.unhexlify(req["public"]), curve=SECP256k1)
    try:
        return str(vk.verify(binascii.unhexlify(req["signature"]), binascii.unhexlify(req["message"]),
                         hashfunc=hashlib.sha256, sigdecode=sigdecode_string))
    except Exception:
        return "False"


def machine(req):
    from p2pd.utility.utils import dhash, field_wrap
    import p2pd.utility.machine_id as mid
    mid.get_machine_id = lambda **kw: mid.__sanitize__(req["raw"])
    hashed = mid.hashed_machine_id("p2pd")
    # machine id|listen port (as P2PNode.start derives it)
    return hashed + "|" + str(field_wrap(dhash(hashed), [10000, 60000]))


OPS = {"make_addr": make_addr, "parse_addr": parse_addr, "key_info": key_info, "key_from_pem": key_from_pem,
       "ecies_encrypt": ecies_encrypt, "ecies_decrypt": ecies_decrypt, "sign": sign, "verify": verify,
       "machine": machine}

# ---- signalling (helper h3): the original's signalling messages (p2p_defs.py, p2p_protocol.py), made and read
# by its own classes. Randomness (ECIES ephemeral key and IV) is pinned as in ecies_encrypt.
def _signal_classes():
    from p2pd.node.p2p_protocol import SIG_PROTO
    return {code: info[0] for code, info in SIG_PROTO.items()}


def signal_make(req):
    """The MQTT payload text the original's node sends (await_peer_con): hex(flag || [ECIES](enum || json))."""
    d = json.loads(req["fields"])
    msg = _signal_classes()[req["type"]](d)
    if req.get("vk"):
        msg.cipher.vk = req["vk"]  # route_msg sets it as hex text: to_h(vk.to_string("compressed"))
    plain = msg.pack()
    if req.get("to"):
        body = b"\1" + binascii.unhexlify(ecies_encrypt({"to": req["to"], "message": plain.hex(),
                                                         "ephemeral": req["ephemeral"], "iv": req["iv"]}))
    else:
        body = b"\0" + plain
    return body.hex()


class _Clock:
    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


class _Recorder:
    def __init__(self, out):
        self.out = out

    def set_result(self, msg):
        self.out.append(msg)


class _AnyPipe(dict):
    """addr_futures that expect every pipe id, so a ReturnAddr reaches the recorder."""

    def __init__(self, out):
        super().__init__()
        self.out = out

    def __contains__(self, key):
        return True

    def __getitem__(self, key):
        return _Recorder(self.out)


class _FakeNode:
    def __init__(self, req, out):
        from p2pd.node.p2p_addr import parse_peer_addr
        self.sk = SigningKey.from_string(binascii.unhexlify(req["key"]), curve=SECP256k1)
        self.addr_bytes = req["addr"].encode()
        self.p2p_addr = parse_peer_addr(self.addr_bytes)
        self.sys_clock = _Clock(req["now"])
        self.ifs = [object()] * 8
        self.stun_clients = {socket.AF_INET: [None] * 8, socket.AF_INET6: [None] * 8}
        self.addr_futures = _AnyPipe(out)

    def log(self, kind, text):
        pass


def signal_read(req):
    """What the original's SigProtoHandlers.proto makes of an MQTT payload: the message it acts on, or None."""
    import asyncio
    from p2pd.node.p2p_protocol import SigProtoHandlers
    out = []

    class Handlers(SigProtoHandlers):
        async def handle_msg(self, info, msg, conf):
            out.append(msg)

    handlers = Handlers(_FakeNode(req, out))
    asyncio.run(handlers.proto(req["payload"].encode()))
    if not out:
        return "None"
    m = out[0]
    return "\n".join([type(m).__name__, str(m.enum), json.dumps(m.to_dict()), m.meta.src_buf, m.routing.dest_buf])


OPS.update({"signal_make": signal_make, "signal_read": signal_read})
# ---- end of signalling (h3)

def netifaces_list(req):
    """The links as the original numbers them: a record's netiface field is a position in netifaces.interfaces()."""
    import netifaces
    return json.dumps(netifaces.interfaces())


def make_addr_named(req):
    """make_addr, each interface's netiface index taken as the original takes it: from its name (netiface_name)."""
    import netifaces
    names = netifaces.interfaces()
    for spec in req["interfaces"]:
        spec["netiface"] = names.index(spec.pop("netiface_name"))
    return make_addr(req)


OPS.update({"netifaces": netifaces_list, "make_addr_named": make_addr_named})
# ---- end of netiface order (f3)

if __name__ == "__main__":
    answers = [OPS[r["op"]](r) for r in json.load(sys.stdin)]
    json.dump(answers, sys.stdout)
