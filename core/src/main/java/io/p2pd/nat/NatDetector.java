package io.p2pd.nat;

import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.HostPort;
import io.p2pd.nat.NatClassifier.DeltaProbe;
import io.p2pd.nat.NatClassifier.MappingProbes;
import io.p2pd.nat.NatDetectionException.Reason;
import io.p2pd.stun.StunClientConfig;
import io.p2pd.stun.StunResult;
import io.p2pd.stun.StunSession;
import io.p2pd.stun.StunTimeoutException;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * NAT type and port-allocation detection with STUN.
 *
 * <p>The NAT type comes from the classic RFC 3489 tests, all sent from one local UDP port so that their
 * answers compare: test I to the server's primary address; test II (answer from the other IP and port) and
 * test III (answer from the other port) together, since both go to the primary address and so open no new
 * filter entry; then, only behind a NAT that dropped test II, test I to the alternate IP (with the primary
 * port). Test II must be over before that one is sent: sending to the alternate IP would open the very filter
 * entry test II's answer needs (on an address-restricted NAT).
 *
 * <p>The port-allocation ("delta") type comes from a few fresh sockets opened one after another on
 * consecutive local ports where they are free, each asking the primary and then the alternate address.
 *
 * <pre>{@code
 * NatReport r = NatDetector.detect(NatConfig.builder(List.of(server)).progress(System.err::println).build()).join();
 * System.out.println(r.natType().label() + ", delta " + r.delta());
 * }</pre>
 */
public final class NatDetector {
    private NatDetector() {
    }

    /**
     * Runs the detection (on a virtual thread; nothing here waits on an event loop). Every socket is closed
     * when it ends, however it ends; cancelling the future stops it.
     *
     * @return the report; fails with {@link NatDetectionException} (see {@link NatDetectionException#reason()}):
     *         the time limit passed, no server had an alternate address, a server answered wrongly, the result
     *         was inconclusive, or the local socket could not be opened. No answer at all is not a failure: it is
     *         {@link NatType#BLOCKED}.
     */
    public static CompletableFuture<NatReport> detect(NatConfig config) {
        Objects.requireNonNull(config, "config");
        CompletableFuture<NatReport> out = new LoopSafeFuture<>();
        Thread worker = Thread.ofVirtual().name("p2pd-nat-detect").unstarted(() -> {
            try {
                out.complete(new Run(config).run());
            } catch (InterruptedException e) {
                out.cancel(false); // only ever interrupted because the caller cancelled
            } catch (Throwable e) {
                out.completeExceptionally(e);
            }
        });
        out.whenComplete((r, e) -> {
            if (e instanceof CancellationException) {
                worker.interrupt();
            }
        });
        worker.start();
        return out;
    }

    /** One detection: its settings, deadline and what it has seen so far. */
    private static final class Run {
        private final NatConfig config;
        private final StunClientConfig stun;
        private final long start = System.nanoTime();
        private final long deadline;
        private final Set<InetSocketAddress> mapped = new LinkedHashSet<>();

        Run(NatConfig config) {
            this.config = config;
            this.stun = config.stun().toBuilder().timeLimit(config.probeTimeout()).build();
            this.deadline = start + config.timeLimit().toNanos();
        }

        NatReport run() throws NatDetectionException, InterruptedException {
            InetAddress ip = config.bindIp().orElseGet(() -> routedIp(config.servers().get(0)));
            try (StunSession s = open(new InetSocketAddress(ip, 0))) {
                InetSocketAddress local = s.localAddress();
                progress("testing from " + HostPort.of(local));
                List<InetSocketAddress> servers = config.servers();
                List<InetSocketAddress> tried = new ArrayList<>();
                StunResult first = null;
                boolean withoutAlternate = false;
                NatDetectionException lastError = null;
                // Pass 0 asks each server in turn. Only when none said anything, pass 1 asks them all again at once
                // with a longer wait before the run concludes "blocked": a cold or busy machine may answer late.
                for (int pass = 0; pass < 2 && first == null && !withoutAlternate && lastError == null; pass++) {
                    List<CompletableFuture<StunResult>> again = new ArrayList<>();
                    if (pass == 1) {
                        Duration wait = patient();
                        progress("no answer to test I: asking again, waiting up to " + wait.toMillis() + " ms");
                        for (InetSocketAddress server : servers) {
                            again.add(s.binding(server, false, false, wait));
                        }
                    }
                    try {
                        for (int k = 0; k < servers.size(); k++) {
                            InetSocketAddress server = servers.get(k);
                            if (pass == 0) {
                                tried.add(server);
                            }
                            String what = (pass == 0 ? "test I to " : "test I again to ") + HostPort.of(server);
                            Optional<StunResult> r;
                            try {
                                r = answer(pass == 0 ? s.binding(server) : again.get(k), what);
                            } catch (NatDetectionException e) {
                                if (e.reason() != Reason.SERVER_ERROR) {
                                    throw e;
                                }
                                lastError = e; // a broken server: try the next one
                                continue;
                            }
                            if (r.isPresent() && r.get().alternateAddress().isEmpty()) {
                                progress(HostPort.of(server) + " has no alternate address: next server");
                                withoutAlternate = true;
                            } else if (r.isPresent()) {
                                first = r.get();
                                break;
                            }
                        }
                    } finally {
                        again.forEach(f -> f.cancel(false));
                    }
                }
                if (first == null) {
                    if (withoutAlternate) {
                        throw new NatDetectionException(Reason.NO_ALTERNATE, "no server of " + config.servers().stream().map(HostPort::of).toList()
                                + " gave OTHER-ADDRESS or CHANGED-ADDRESS", null);
                    }
                    if (lastError != null) {
                        throw lastError;
                    }
                    progress("no answer from any server: blocked");
                    return report(NatType.BLOCKED, PortDelta.of(DeltaType.NOT_APPLICABLE), local, tried);
                }
                InetSocketAddress primary = first.server();
                InetSocketAddress alternate = first.alternateAddress().orElseThrow();
                boolean behindNat = !first.mappedAddress().equals(local);
                CompletableFuture<StunResult> f2 = s.binding(primary, true, true);
                CompletableFuture<StunResult> f3 = behindNat ? s.binding(primary, false, true) : null;
                Optional<StunResult> t2 = changed(answer(f2, "test II (other IP and port)"), primary, true);
                if (t2.isEmpty() && !behindNat) {
                    // Before concluding "firewall", as before "blocked": once more, waiting longer.
                    t2 = changed(answer(s.binding(primary, true, true, patient()), "test II again (other IP and port)"),
                            primary, true);
                }
                Optional<StunResult> t3 = f3 == null ? Optional.empty()
                        : changed(answer(f3, "test III (other port)"), primary, false);
                Optional<StunResult> t1Alternate = Optional.empty();
                if (behindNat && t2.isEmpty()) {
                    // The alternate IP with the primary port (RFC 5780 section 4.3), not the alternate port: test
                    // II's dropped answer came from the alternate IP and port, and a Linux NAT keeps a conntrack
                    // entry even for a dropped packet, so a request to that same address would get a new port,
                    // and a port-restricted NAT would pass for symmetric. RFC 3489 servers listen on both IPs times
                    // both ports too; a server that does not gets asked at its alternate address after all.
                    InetSocketAddress alternateIp = new InetSocketAddress(alternate.getAddress(), primary.getPort());
                    t1Alternate = answer(s.binding(alternateIp), "test I to the alternate IP "
                            + HostPort.of(alternateIp));
                    if (t1Alternate.isEmpty()) {
                        t1Alternate = answer(s.binding(alternate), "test I to the alternate "
                                + HostPort.of(alternate));
                    }
                }
                MappingProbes probes = new MappingProbes(local, Optional.of(first.mappedAddress()),
                        t2.map(StunResult::mappedAddress), t1Alternate.map(StunResult::mappedAddress),
                        t3.map(StunResult::mappedAddress));
                NatType type = NatClassifier.natType(probes).orElseThrow(() -> new NatDetectionException(
                        Reason.INCONCLUSIVE, "no answer from the alternate IP "
                        + alternate.getAddress().getHostAddress() + " behind a filtering NAT", null));
                progress("NAT type " + type.number() + " (" + type.label() + ")");
                PortDelta delta = PortDelta.of(DeltaType.NOT_APPLICABLE);
                if (type.isNat() && config.deltaSockets() > 0) {
                    delta = NatClassifier.delta(type, deltaProbes(ip, local.getPort(), primary, alternate));
                    progress("port allocation " + delta.type().number() + " (" + delta.type().label() + ", "
                            + delta.value() + ")");
                }
                List<InetSocketAddress> used = new ArrayList<>(List.of(primary, alternate));
                tried.stream().filter(t -> !t.equals(primary)).forEach(used::add);
                return report(type, delta, local, used);
            }
        }

        /** Fresh sockets, one after another, on consecutive local ports where free (else any port). */
        private List<DeltaProbe> deltaProbes(InetAddress ip, int afterPort, InetSocketAddress primary,
                                             InetSocketAddress alternate)
                throws NatDetectionException, InterruptedException {
            List<DeltaProbe> probes = new ArrayList<>();
            int port = afterPort;
            for (int i = 0; i < config.deltaSockets(); i++) {
                try (StunSession d = openNear(ip, port >= 0xFFFF ? 0 : port + 1)) {
                    InetSocketAddress local = d.localAddress();
                    String at = "port allocation " + (i + 1) + "/" + config.deltaSockets() + " from "
                            + HostPort.of(local);
                    // Asked one after another: the order of the mappings is what the analysis reads.
                    Optional<InetSocketAddress> a = quiet(d.binding(primary), at + " to primary");
                    Optional<InetSocketAddress> b = quiet(d.binding(alternate), at + " to alternate");
                    probes.add(new DeltaProbe(local, a, b));
                    port = local.getPort();
                }
            }
            return probes;
        }

        /** A socket on {@code port}, or on any port when that one is taken. */
        private StunSession openNear(InetAddress ip, int port) throws NatDetectionException, InterruptedException {
            try {
                return open(new InetSocketAddress(ip, port));
            } catch (NatDetectionException taken) {
                if (taken.reason() != Reason.SOCKET || port == 0) {
                    throw taken;
                }
                return open(new InetSocketAddress(ip, 0));
            }
        }

        /** A port-allocation answer; a broken answer counts as none (the NAT type is already known). */
        private Optional<InetSocketAddress> quiet(CompletableFuture<StunResult> f, String what)
                throws NatDetectionException, InterruptedException {
            try {
                return answer(f, what).map(StunResult::mappedAddress);
            } catch (NatDetectionException e) {
                if (e.reason() != Reason.SERVER_ERROR) {
                    throw e;
                }
                return Optional.empty();
            }
        }

        /**
         * A CHANGE-REQUEST answer from where it was asked to come from; one from the primary address itself
         * means the server ignored the request, and would fake an open NAT.
         */
        private static Optional<StunResult> changed(Optional<StunResult> r, InetSocketAddress primary, boolean changeIp)
                throws NatDetectionException {
            if (r.isPresent()) {
                InetSocketAddress from = r.get().replySource();
                boolean ipChanged = !from.getAddress().equals(primary.getAddress());
                if (ipChanged != changeIp || from.getPort() == primary.getPort()) {
                    throw new NatDetectionException(Reason.SERVER_ERROR, HostPort.of(primary)
                            + " answered a CHANGE-REQUEST from " + HostPort.of(from), null);
                }
            }
            return r;
        }

        private StunSession open(InetSocketAddress at) throws NatDetectionException, InterruptedException {
            CompletableFuture<StunSession> f = StunSession.open(at, stun);
            try {
                return f.get(left(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new NatDetectionException(Reason.SOCKET, "cannot open a UDP socket on " + at, e.getCause());
            } catch (TimeoutException e) {
                f.thenAccept(StunSession::close); // opened too late: close it anyway
                throw timeLimit(e);
            }
        }

        /**
         * The answer to one test, or empty when none came within the probe timeout (or the request could not
         * be sent: no route is no answer too).
         */
        private Optional<StunResult> answer(CompletableFuture<StunResult> f, String what)
                throws NatDetectionException, InterruptedException {
            try {
                StunResult r = f.get(left(), TimeUnit.NANOSECONDS);
                mapped.add(r.mappedAddress());
                progress(what + ": mapped " + HostPort.of(r.mappedAddress()) + ", answered from "
                        + HostPort.of(r.replySource()));
                return Optional.of(r);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof StunTimeoutException || c instanceof IOException) {
                    progress(what + ": no answer");
                    return Optional.empty();
                }
                throw new NatDetectionException(Reason.SERVER_ERROR, what + ": " + c.getMessage(), c);
            } catch (TimeoutException e) {
                f.cancel(false);
                throw timeLimit(e);
            }
        }

        /**
         * The wait of a second try after a silent test: twice the probe timeout, within what the time limit leaves
         * (a tenth of the rest is kept, so a silent retry ends as "no answer" rather than past the time limit).
         */
        private Duration patient() throws NatDetectionException {
            long rest = left();
            return Duration.ofNanos(Math.max(1, Math.min(2 * config.probeTimeout().toNanos(), rest - rest / 10)));
        }

        private long left() throws NatDetectionException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw timeLimit(null);
            }
            return left;
        }

        private NatDetectionException timeLimit(Throwable cause) {
            return new NatDetectionException(Reason.TIME_LIMIT, "NAT detection took longer than "
                    + config.timeLimit().toMillis() + " ms", cause);
        }

        private NatReport report(NatType type, PortDelta delta, InetSocketAddress local,
                                 List<InetSocketAddress> servers) {
            return new NatReport(type, delta, local, List.copyOf(mapped), servers,
                    Duration.ofNanos(System.nanoTime() - start));
        }

        private void progress(String line) {
            try {
                config.progress().accept(line);
            } catch (RuntimeException ignored) {
                // a display must not break the detection
            }
        }

        /** The IP the OS would send to {@code server} from: connecting a UDP socket sends nothing. */
        private static InetAddress routedIp(InetSocketAddress server) {
            try (DatagramSocket probe = new DatagramSocket()) {
                probe.connect(server);
                InetAddress ip = probe.getLocalAddress();
                if (ip != null && !ip.isAnyLocalAddress()) {
                    return ip;
                }
            } catch (IOException | RuntimeException noRoute) {
                // fall through: the tests will then find no answer
            }
            return new InetSocketAddress(server.getAddress() instanceof Inet6Address ? "::" : "0.0.0.0", 0)
                    .getAddress();
        }
    }
}
