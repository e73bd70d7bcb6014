package io.p2pd.node.lab;

import io.p2pd.testing.Labs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The two-NAT lab of scripts/p2p-lab.sh for node tests (needs root): peer A behind router A, peer B behind router B
 * (or both behind router A: {@link #same}), a public namespace with coturn (long-term credentials) and Mosquitto,
 * which the script starts, and our STUN server ({@link #startStun}). Child JVMs run in a namespace with
 * {@link #run}; {@link #close} ends them and tears the lab down.
 *
 * <pre>{@code
 * try (P2pLab lab = P2pLab.up(tempDir, "punch", "masq", "step-dependent:2")) {
 *     lab.startStun();
 *     Labs.Child a = lab.run(P2pLab.Side.A, NodeLabMain.class.getName(), "a0", P2pLab.STUN, P2pLab.BROKER);
 *     String address = a.expect("address ", 60);
 *     ...
 * }
 * }</pre>
 *
 * <p>Lab names are unique per test JVM ({@code p2l<pid><random>-TAG}), so core's lab tests ({@code p2nat-}), the
 * node's other lab tests ({@code p2nod-}) and a second build on the same machine never share namespaces.
 */
public final class P2pLab implements AutoCloseable {
    /** The public namespace's first IP: STUN, coturn and Mosquitto listen on it. */
    public static final String PUBLIC_IP = "198.18.0.2";
    /** The public namespace's second IP (RFC 5780's alternate address). */
    public static final String PUBLIC_OTHER_IP = "198.18.0.3";
    /** Router A's outside IP (also the only router's in the "same" layout). */
    public static final String ROUTER_A = "198.18.0.1";
    /** Router B's outside IP. */
    public static final String ROUTER_B = "198.18.0.4";
    /** Our STUN server, once {@link #startStun} ran (its alternate is 198.18.0.3:3479). */
    public static final String STUN = PUBLIC_IP + ":3478";
    /** Mosquitto. */
    public static final String BROKER = PUBLIC_IP + ":1883";
    /** coturn: TURN with long-term credentials, and STUN. */
    public static final InetSocketAddress TURN = new InetSocketAddress(PUBLIC_IP, 3480);
    public static final String TURN_USER = "p2pd";
    public static final String TURN_PASSWORD = "p2pd-lab-password";
    public static final String TURN_REALM = "p2pd.lab";

    private static final Path SCRIPT = Labs.script("p2p-lab.sh");
    private static final String RUN = Long.toHexString(ProcessHandle.current().pid())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
    private static final long STUN_START_SECONDS = 60;

    /** A peer's side of the lab. */
    public enum Side {
        A("a", "a0"), B("b", "b0");

        private final String suffix;
        private final String nic;

        Side(String suffix, String nic) {
            this.suffix = suffix;
            this.nic = nic;
        }

        /** The peer's one interface, e.g. for {@code Nics.byName}: a0 or b0. */
        public String nic() {
            return nic;
        }
    }

    private final String name;
    private final Path dir;
    private final boolean sameRouter;
    private final String modeA;
    private final String modeB;
    private final List<Labs.Child> children = new ArrayList<>();
    private boolean stunStarted;

    private P2pLab(String name, Path dir, boolean sameRouter, String modeA, String modeB) {
        this.name = name;
        this.dir = dir;
        this.sameRouter = sameRouter;
        this.modeA = modeA;
        this.modeB = modeB;
    }

    /** Peer A behind a router of {@code modeA}, peer B behind another of {@code modeB} (modes of nat-rules.sh). */
    public static P2pLab up(Path dir, String tag, String modeA, String modeB) throws IOException, InterruptedException {
        P2pLab lab = new P2pLab(labName(tag), dir, false, modeA, modeB);
        lab.script(List.of("up", lab.name, modeA, modeB));
        return lab;
    }

    /** Both peers on one LAN behind one router of {@code mode}. */
    public static P2pLab same(Path dir, String tag, String mode) throws IOException, InterruptedException {
        P2pLab lab = new P2pLab(labName(tag), dir, true, mode, mode);
        lab.script(List.of("same", lab.name, mode));
        return lab;
    }

    private static String labName(String tag) {
        if (!tag.matches("[a-z0-9]{1,8}")) {
            throw new IllegalArgumentException("lab tag must be 1-8 of a-z0-9: " + tag);
        }
        return "p2l" + RUN + "-" + tag;
    }

    private void script(List<String> args) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of(SCRIPT.toString()));
        c.addAll(args);
        Labs.run(c);
    }

    /** The lab's name (its namespaces are NAME-a, NAME-b, NAME-ra, NAME-rb, NAME-p). */
    public String name() {
        return name;
    }

    /** The namespace of a peer. */
    public String namespace(Side side) {
        return name + "-" + side.suffix;
    }

    /** The public namespace. */
    public String publicNamespace() {
        return name + "-p";
    }

    /** The NAT mode in front of {@code side}. */
    public String mode(Side side) {
        return side == Side.A ? modeA : modeB;
    }

    /** Whether both peers sit behind router A on one LAN. */
    public boolean sameRouter() {
        return sameRouter;
    }

    /** The outside IP of the router in front of {@code side}. */
    public String routerIp(Side side) {
        return side == Side.A || sameRouter ? ROUTER_A : ROUTER_B;
    }

    /**
     * The IP of {@code side}'s interface: 10.66.1.2 (A) and 10.66.2.2 (B) behind a translating mode, 198.19.1.2 and
     * 198.19.2.2 behind open, firewall or blocked; in the "same" layout B is .3 on A's network.
     */
    public String peerIp(Side side) {
        boolean translated = !List.of("open", "firewall", "blocked").contains(mode(side));
        int net = side == Side.A || sameRouter ? 1 : 2;
        int host = side == Side.B && sameRouter ? 3 : 2;
        return (translated ? "10.66." : "198.19.") + net + "." + host;
    }

    /** Starts our RFC 5780 STUN server in the public namespace (once) and waits until it answers. */
    public void startStun() throws IOException, InterruptedException {
        if (!stunStarted) {
            runPublic("io.p2pd.nat.NatLabServerMain", PUBLIC_IP, "3478", PUBLIC_OTHER_IP, "3479")
                    .expect("ready", STUN_START_SECONDS);
            stunStarted = true;
        }
    }

    /** A child JVM with the test class path in {@code side}'s namespace, ended by {@link #close}. */
    public Labs.Child run(Side side, String mainClass, String... args) throws IOException {
        return start(namespace(side), mainClass, args);
    }

    /** A child JVM in the public namespace, ended by {@link #close}. */
    public Labs.Child runPublic(String mainClass, String... args) throws IOException {
        return start(publicNamespace(), mainClass, args);
    }

    private Labs.Child start(String ns, String mainClass, String... args) throws IOException {
        List<String> mainAndArgs = new ArrayList<>(List.of(mainClass));
        mainAndArgs.addAll(List.of(args));
        Labs.Child c = Labs.Child.start(dir, Labs.javaIn(ns, mainAndArgs.toArray(String[]::new)));
        children.add(c);
        return c;
    }

    /** coturn's log so far, for failure messages. */
    public String coturnLog() throws IOException {
        return log("coturn");
    }

    /** Mosquitto's log so far. */
    public String mosquittoLog() throws IOException {
        return log("mosquitto");
    }

    private String log(String what) throws IOException {
        Path p = Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp"), name + "-" + what + ".log");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    /** A command's output inside one of the lab's namespaces (e.g. {@code nft list ruleset} in a router). */
    public String exec(String ns, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(command));
        return Labs.run(c);
    }

    /** Ends every child (stdin first, bounded), then stops whatever is left in the namespaces and deletes them. */
    @Override
    public void close() throws IOException {
        try {
            for (Labs.Child c : children.reversed()) {
                c.close();
            }
        } finally {
            try {
                script(List.of("down", name));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while lab " + name + " went down");
            }
        }
    }
}
