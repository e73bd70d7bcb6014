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
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.signal.Signalling;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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

/** One start of a node, run on a virtual thread: the steps {@link Node} lists, and the clean-up when one fails. */
final class NodeStart {
    /** Past the detection time limit, how long to wait for a detection to notice it before giving up on it. */
    private static final Duration DETECTION_GRACE = Duration.ofSeconds(2);
    /** The longest wait for the brokers' subscriptions at start. */
    private static final Duration SIGNALLING_LIMIT = Duration.ofSeconds(30);
    /** How long a failed start waits for what it opened to close. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

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
        List<String> allNames = Nics.list().stream().map(Interface::name).toList();
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

        CompletableFuture<Optional<Signalling>> connecting = NodeSignals.start(config.brokers(), key,
                config.signalPolicy(), config.signalListener(), this::progress);
        try {
            // Each broker's connect has its own time limit; this bound only guards against one never answering.
            signalling = connecting.get(SIGNALLING_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = NodeSignals.unwrap(e.getCause());
            throw cause instanceof NodeStartException n ? n
                    : new NodeStartException("brokers", NodeSignals.message(cause), cause);
        } catch (TimeoutException e) {
            connecting.thenAccept(late -> late.ifPresent(Signalling::closeAsync));
            throw new NodeStartException("brokers", "no answer from the brokers within "
                    + SIGNALLING_LIMIT.toSeconds() + " s", e);
        }
        List<Integer> signal = signalling.map(Signalling::listening).orElse(List.of());

        PeerAddress address = AddressRecords.make(key.nodeId(), machine, signal, port, measured);
        progress("address " + address);
        return new Node(key, machine, address, described, opened, signalling);
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

    /** Opens a server on each interface's first route per family; returns the port (the one picked for 0). */
    private int listen(List<Interface> ifs, int port) throws NodeStartException, InterruptedException {
        for (Interface nic : ifs) {
            for (Family family : Family.values()) {
                Optional<Route> route = nic.pool(family).first();
                if (route.isEmpty()) {
                    continue;
                }
                InetSocketAddress bind;
                try {
                    bind = route.get().bind(port).bindAddress();
                } catch (AddressNotLocalException e) {
                    progress("interface " + nic.name() + ": no " + family.key() + " address to listen on");
                    continue;
                }
                Pipe server;
                try {
                    server = Pipes.opener(Proto.TCP).bind(bind).open().get();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    String where = HostPort.of(bind).toString();
                    if (cause instanceof BindException && port != 0) {
                        throw new NodeStartException("listenPort", "port " + port + " is taken on " + where
                                + " (choose another, or 0 for any free port)", cause);
                    }
                    throw new NodeStartException("interfaces", "cannot listen on " + where + ": "
                            + cause.getMessage(), cause);
                }
                opened.add(server);
                port = server.localAddress().getPort();
                progress("interface " + nic.name() + ": listening on " + HostPort.of(server.localAddress()));
            }
        }
        if (opened.isEmpty()) {
            throw new NodeStartException("interfaces", "none has an address this machine holds to listen on", null);
        }
        return port;
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
