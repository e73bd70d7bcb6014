package io.p2pd.node;

import io.p2pd.nat.NatConfig;
import io.p2pd.nat.NatDetector;
import io.p2pd.nat.NatReport;
import io.p2pd.nat.NatType;
import io.p2pd.nat.PortDelta;
import io.p2pd.net.HostPort;
import io.p2pd.nic.AddressNotLocalException;
import io.p2pd.nic.BoundRoute;
import io.p2pd.nic.Family;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.nic.Route;
import io.p2pd.node.AddressRecords.Measured;
import io.p2pd.node.AddressRecords.Pair;
import io.p2pd.node.addr.PeerAddress;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.connect.internal.Connector;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.Signalling;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.TcpOptions;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/** One start of a node, run on a virtual thread: the steps {@link Node} lists, and the clean-up when one fails. */
final class NodeStart {
    /** Past the detection time limit, how long to wait for a detection to notice it before giving up on it. */
    private static final Duration DETECTION_GRACE = Duration.ofSeconds(2);
    /** The longest wait for the brokers' subscriptions at start. */
    private static final Duration SIGNALLING_LIMIT = Duration.ofSeconds(30);
    /** How long a failed start waits for what it opened to close. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    /** How many times a start with listen port 0 tries a new free port when one of its addresses has it taken. */
    static final int FREE_PORT_ATTEMPTS = 5;
    /** For tests: told each address a server was opened on, before the next opens (to take a port in between). */
    static volatile Consumer<InetSocketAddress> afterBind = a -> { };

    private final Node.Config config;
    private final List<Pipe> opened = new ArrayList<>();
    private Optional<Signalling> signalling = Optional.empty();
    private List<CompletableFuture<Detection>> detections = List.of();

    private NodeStart(Node.Config config) {
        this.config = config;
    }

    static CompletableFuture<Node> start(Node.Config config) {
        CompletableFuture<Node> out = new CompletableFuture<>();
        Thread.ofVirtual().name("p2pd-node-start").start(() -> {
            NodeStart run = new NodeStart(config);
            try {
                Node node = run.run();
                if (!out.complete(node)) {
                    node.close(); // the caller cancelled while it started: nobody else will close it
                }
            } catch (Throwable e) {
                run.detections.forEach(d -> d.cancel(true));
                run.closeOpened();
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    private void progress(String line) {
        try {
            config.progress().accept(line);
        } catch (RuntimeException e) {
            // a listener's bug must not fail the start
        }
    }

    private Node run() throws IOException, InterruptedException {
        List<Interface> ifs = new ArrayList<>(config.interfaces().orElseGet(NodeStart::defaultInterfaces));
        if (ifs.isEmpty()) {
            throw new NodeStartException("interfaces", "no interface holds a default route; give them explicitly",
                    null);
        }
        ifs.sort(Comparator.comparing(Interface::name));
        MachineId machine = config.machineId().isPresent() ? config.machineId().get() : thisMachine();
        NodeKey key = key();
        int port = config.listenPort().orElseGet(machine::defaultListenPort);
        progress("node " + key.nodeId().value() + " on machine " + machine.value().substring(0, 8) + "…");

        port = listen(ifs, port);

        detections = ifs.stream().map(this::detect).toList();
        List<Measured> measured = new ArrayList<>();
        List<NodeInterface> described = new ArrayList<>();
        List<String> allNames = linkNames();
        for (int i = 0; i < ifs.size(); i++) {
            Interface nic = ifs.get(i);
            Detection d = await(detections.get(i), nic);
            int netiface = allNames.indexOf(nic.name());
            Optional<Pair> v4 = pair(nic, Family.V4, d);
            Optional<Pair> v6 = pair(nic, Family.V6, d);
            Measured m = new Measured(netiface < 0 ? i : netiface, d.nat(), d.delta(), v4, v6);
            measured.add(m);
            List<InetAddress> externals = new ArrayList<>();
            v4.ifPresent(p -> externals.add(p.external()));
            v6.ifPresent(p -> externals.add(p.external()));
            described.add(new NodeInterface(nic, m.netifaceIndex(), d.nat(), d.delta(), d.report().isPresent(),
                    externals, d.error()));
        }

        // Connect signals go to the connector once it exists (a peer cannot know the address before that anyway).
        AtomicReference<Connector> connector = new AtomicReference<>();
        Consumer<SignalReceipt> signals = receipt -> {
            Connector c = connector.get();
            if (c != null) {
                c.onSignal(receipt);
            }
            config.signalListener().accept(receipt);
        };
        // TCP_PUNCH signals go to the node's hole punching once the node exists, likewise.
        AtomicReference<Node> started = new AtomicReference<>();
        CompletableFuture<Optional<Signalling>> connecting = NodeSignals.start(config.brokers(), key,
                config.signalPolicy(), receipt -> {
                    Node n = started.get();
                    if (n != null) {
                        n.punchSignal(receipt);
                    }
                }, signals);
        try {
            // Each broker's connect has its own time limit; this bound only guards against one never answering.
            signalling = connecting.get(SIGNALLING_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = NodeSignals.unwrap(e.getCause());
            NodeSignals.report(config.brokers(), List.of(), NodeSignals.failures(cause), key, this::progress);
            throw cause instanceof NodeStartException n ? n
                    : new NodeStartException("brokers", NodeSignals.message(cause), cause);
        } catch (TimeoutException e) {
            connecting.thenAccept(late -> late.ifPresent(Signalling::closeAsync));
            throw new NodeStartException("brokers", "no answer from the brokers within "
                    + SIGNALLING_LIMIT.toSeconds() + " s", e);
        }
        List<Integer> signal = signalling.map(Signalling::listening).orElse(List.of());
        // Reported here, on the start thread: the listener is promised never to run on an event loop.
        NodeSignals.report(config.brokers(), signal,
                signalling.map(Signalling::startFailures).orElse(java.util.Map.of()), key, this::progress);

        PeerAddress address = AddressRecords.make(key.nodeId(), machine, signal, port, measured);
        progress("address " + address);
        Connector peers = new Connector(key, address, described, signalling, config.connectionHandler(),
                config.refusePeers(), config.turnServers());
        Node node = new Node(key, machine, address, described, opened, signalling, peers, config.refusePeers(),
                config.stunServers());
        connector.set(peers);
        started.set(node);
        opened.forEach(peers::serve);
        return node;
    }

    private NodeKey key() throws NodeStartException {
        if (config.key().isPresent()) {
            return config.key().get();
        }
        if (config.keyFile().isPresent()) {
            try {
                return NodeKey.loadOrCreate(config.keyFile().get(), NodeKey.KeyFormat.HEX);
            } catch (IOException e) {
                throw new NodeStartException("keyFile", e.getMessage(), e);
            }
        }
        return NodeKey.generate();
    }

    /**
     * Opens the servers on every address the records advertise, on one port; returns that port. With port 0 the
     * first server picks a free port and the others take the same one; when one of them finds it taken, everything
     * opened is closed and the whole set tried again on a new port, at most {@value #FREE_PORT_ATTEMPTS} times.
     */
    private int listen(List<Interface> ifs, int port) throws NodeStartException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return listenOnce(ifs, port);
            } catch (PortTaken e) {
                closeOpened();
                opened.clear();
                if (port != 0) {
                    throw new NodeStartException("listenPort", "port " + port + " is taken on " + e.where
                            + " (choose another, or 0 for any free port)", e.getCause());
                }
                if (attempt == FREE_PORT_ATTEMPTS) {
                    throw new NodeStartException("interfaces", "no free port could be taken on all of the "
                            + "node's addresses in " + FREE_PORT_ATTEMPTS + " attempts", e.getCause());
                }
                progress("port " + e.port + " is taken on " + e.where + ": trying another free port");
            }
        }
    }

    /** A port found taken on one address while opening the set of servers. */
    private static final class PortTaken extends Exception {
        private static final long serialVersionUID = 1L;
        final int port;
        final String where;

        PortTaken(int port, String where, Throwable cause) {
            super(cause);
            this.port = port;
            this.where = where;
        }
    }

    private int listenOnce(List<Interface> ifs, int port) throws NodeStartException, InterruptedException,
            PortTaken {
        for (Interface nic : ifs) {
            for (Family family : Family.values()) {
                Optional<Route> route = nic.pool(family).first();
                if (route.isEmpty()) {
                    continue;
                }
                List<InetAddress> ips = listenIps(route.get());
                if (ips.isEmpty()) {
                    progress("interface " + nic.name() + ": no " + family.key() + " address to listen on");
                    continue;
                }
                for (InetAddress ip : ips) {
                    InetSocketAddress bind;
                    try {
                        bind = route.get().bind(port, ip).bindAddress();
                    } catch (AddressNotLocalException e) {
                        progress("interface " + nic.name() + ": " + ip.getHostAddress()
                                + " went away: not listened on");
                        continue;
                    }
                    Pipe server = open(bind, port);
                    port = server.localAddress().getPort();
                    progress("interface " + nic.name() + ": listening on " + HostPort.of(server.localAddress()));
                }
            }
        }
        if (opened.isEmpty()) {
            throw new NodeStartException("interfaces", "none has an address this machine holds to listen on", null);
        }
        return port;
    }

    /**
     * The addresses of a route the records name and peers connect to: its first address here (the records'
     * external IP when nothing was detected), and for IPv6 also its first link-local (the records' NIC IP).
     */
    static List<InetAddress> listenIps(Route route) {
        List<InetAddress> out = new ArrayList<>();
        try {
            out.add(route.bind(0).ip());
        } catch (AddressNotLocalException e) {
            return out;
        }
        if (!route.linkLocals().isEmpty()) {
            try {
                InetAddress ll = route.bind(0, route.linkLocals().get(0)).ip();
                if (!out.contains(ll)) {
                    out.add(ll);
                }
            } catch (AddressNotLocalException e) {
                // not on this machine: it is not advertised either (see pair)
            }
        }
        return out;
    }

    /** A server on {@code bind}; the connector takes its connections once the node is up (see run). */
    private Pipe open(InetSocketAddress bind, int port) throws NodeStartException, InterruptedException,
            PortTaken {
        Pipe server;
        try {
            // Half-closure: a peer that ends its output still gets what this node sends until it closes.
            server = Pipes.tcp().bind(bind).limits(Node.SERVER_LIMITS).tcp(TcpOptions.builder().halfClosure(true)
                    .build()).open().get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String where = HostPort.of(bind).toString();
            if (cause instanceof BindException && bind.getPort() != 0) {
                throw new PortTaken(port, where, cause);
            }
            throw new NodeStartException("interfaces", "cannot listen on " + where + ": "
                    + NodeSignals.message(cause), cause);
        }
        opened.add(server);
        afterBind.accept(server.localAddress());
        // Its connections wait (bounded by SERVER_LIMITS) until the node is up; then the connector proves each.
        return server;
    }

    /** What detection gave for one interface: a report, or the reason it has none. */
    record Detection(Optional<NatReport> report, Family family, Optional<String> error) {
        NatType nat() {
            return report.map(NatReport::natType).orElse(Node.UNMEASURED_NAT);
        }

        PortDelta delta() {
            return report.map(NatReport::delta).orElse(Node.UNMEASURED_DELTA);
        }
    }

    private CompletableFuture<Detection> detect(Interface nic) {
        String name = "interface " + nic.name() + ": ";
        for (Family family : Family.values()) {
            Optional<Route> route = nic.pool(family).first();
            List<InetSocketAddress> servers = config.stunServers().stream()
                    .filter(s -> Family.of(s.getAddress()) == family).toList();
            if (route.isEmpty() || servers.isEmpty()) {
                continue;
            }
            NatConfig nat;
            try {
                nat = NatConfig.builder(servers).route(route.get()).timeLimit(config.detectionTimeLimit())
                        .progress(line -> progress(name + line)).build();
            } catch (AddressNotLocalException e) {
                continue;
            }
            progress(name + "detecting the NAT over " + family.key());
            return NatDetector.detect(nat).handle((r, e) -> {
                if (e == null) {
                    progress(name + "NAT " + r.natType().label() + ", delta " + describe(r.delta()));
                    return new Detection(Optional.of(r), family, Optional.empty());
                }
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
                progress(name + "NAT not detected (" + why + "): recorded as " + Node.UNMEASURED_NAT.label()
                        + ", delta " + describe(Node.UNMEASURED_DELTA));
                return new Detection(Optional.empty(), family, Optional.of(why));
            });
        }
        progress(name + "no STUN server for its families: NAT not measured, recorded as "
                + Node.UNMEASURED_NAT.label() + ", delta " + describe(Node.UNMEASURED_DELTA));
        return CompletableFuture.completedFuture(new Detection(Optional.empty(), Family.V4, Optional.empty()));
    }

    static String describe(PortDelta delta) {
        return switch (delta.type()) {
            case INDEPENDENT, DEPENDENT -> delta.type().label() + " " + (delta.value() >= 0 ? "+" : "")
                    + delta.value();
            default -> delta.type().label();
        };
    }

    /** The detection's outcome, bounded even if the detector overran its own limit. */
    private Detection await(CompletableFuture<Detection> f, Interface nic) throws InterruptedException {
        try {
            return f.get(config.detectionTimeLimit().plus(DETECTION_GRACE).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            progress("interface " + nic.name() + ": NAT detection overran its time limit: not measured");
            return new Detection(Optional.empty(), Family.V4, Optional.of("time limit passed"));
        } catch (ExecutionException e) {
            throw new IllegalStateException("detection futures complete normally", e);
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        }
    }

    /**
     * The record of {@code family} for an interface: NIC IP from the route's first address; external IP from the
     * detection when it measured this family and saw a mapping, else the NIC IP. For IPv6 the NIC IP is the
     * route's first link-local when it has one, as the original writes it.
     */
    private static Optional<Pair> pair(Interface nic, Family family, Detection d) {
        Optional<Route> route = nic.pool(family).first();
        if (route.isEmpty()) {
            return Optional.empty();
        }
        BoundRoute bound;
        try {
            bound = route.get().bind(0);
        } catch (AddressNotLocalException e) {
            return Optional.empty();
        }
        InetAddress ip = bound.ip();
        InetAddress external = d.report().filter(r -> d.family() == family && !r.mappedAddresses().isEmpty())
                .map(r -> r.mappedAddresses().get(0).getAddress()).orElse(ip);
        if (family == Family.V6) {
            InetAddress nicIp = route.get().linkLocals().isEmpty() ? external : route.get().linkLocals().get(0);
            return Optional.of(new Pair(external, nicIp));
        }
        return Optional.of(new Pair(external, ip));
    }

    /**
     * Every network link of this machine by name, in ifindex order, as the original's {@code netifaces.interfaces()}
     * lists them (links without an address included): a record's {@code netiface} field is a position in it.
     */
    static List<String> linkNames() {
        record Link(int index, String name) {
        }
        List<Link> links = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/sys/class/net"))) {
            for (Path dir : dirs.toList()) {
                try {
                    links.add(new Link(Integer.parseInt(Files.readString(dir.resolve("ifindex")).strip()),
                            dir.getFileName().toString()));
                } catch (IOException | NumberFormatException e) {
                    // a link that went away while listing, or not a link: not counted
                }
            }
        } catch (IOException e) {
            // no sysfs (not Linux): the JDK's list, which holds the links with an address
            try {
                NetworkInterface.networkInterfaces().forEach(n -> links.add(new Link(n.getIndex(), n.getName())));
            } catch (IOException ignored) {
                // then the interfaces' own positions are used (see run)
            }
        }
        links.sort(Comparator.comparingInt(Link::index).thenComparing(Link::name));
        return links.stream().map(Link::name).toList();
    }

    private static List<Interface> defaultInterfaces() {
        List<Interface> out = new ArrayList<>();
        for (Family family : Family.values()) {
            Nics.defaultInterface(family).filter(i -> out.stream().noneMatch(o -> o.name().equals(i.name())))
                    .ifPresent(out::add);
        }
        return out;
    }

    private static MachineId thisMachine() throws NodeStartException {
        Optional<MachineId> id = MachineId.ofThisMachine();
        if (id.isPresent()) {
            return id.get();
        }
        Optional<Interface> nic = Nics.defaultInterface();
        if (nic.isEmpty()) {
            throw new NodeStartException("machineId", "this machine has no machine id and no default interface to "
                    + "derive one from; give one", null);
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        return MachineId.fallback(MachineId.APP_ID, host, nic.get().name(),
                nic.get().mac().orElse("00:00:00:00:00:00"));
    }

    private void closeOpened() {
        try {
            CompletableFuture.allOf(Node.closeAll(opened), Node.closeSignalling(signalling))
                    .get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // closing is best effort here: the start's own failure is what the caller sees
        }
    }
}
