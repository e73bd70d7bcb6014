package io.p2pd.cli;

import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.node.Node;
import io.p2pd.node.connect.ConnectOptions;
import io.p2pd.node.connect.PeerConnection;
import io.p2pd.node.NodeInterface;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.mqtt.MqttBroker;
import io.p2pd.node.signal.SignalDrop;
import io.p2pd.node.signal.SignalMessage;
import io.p2pd.node.signal.SignalReceipt;
import io.p2pd.node.signal.SignalType;
import io.p2pd.node.signal.SignallingStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The demo's node step: two nodes on loopback, the embedded broker as their only broker, and a signed message each
 * way. Node A knows node B by its address alone, as a user who pasted it would, so its hello goes signed in
 * plaintext; B learns A's key from that signed hello, so its answer goes encrypted. Every wait is bounded, and a
 * failure is an {@link IllegalStateException} whose message is the one line the demo prints.
 *
 * <p>The hello is the original's {@link SignalType#GET_ADDRESS} and the answer its {@link SignalType#RETURN_ADDRESS}:
 * the one request and reply pair among the original's types that asks nothing of the peer but an answer (the others
 * make it dial, punch or relay), and the reply carries the pipe id of the request, as the original's handler does.
 */
final class NodeDemo {

    /** What the step saw: the nodes' ids and addresses, and each one's signalling counts after the exchange. */
    record Outcome(NodeId a, NodeId b, String addressOfA, String addressOfB, SignallingStats statsOfA,
            SignallingStats statsOfB) {
    }

    /** The original sets its address messages' ttl 5 s ahead; this leaves room for a loaded machine. */
    private static final Duration TTL = Duration.ofSeconds(20);
    private static final String PIPE_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";

    private NodeDemo() {
    }

    /** Runs the step on a broker of its own on 127.0.0.1 and an ephemeral port; each wait takes at most {@code bound}. */
    static Outcome run(PrintWriter out, Duration bound) {
        out.printf("%nTwo nodes signalling through the embedded MQTT broker, on loopback%n");
        // Each node offers MQTT 5 first and falls back to 3.1.1 when refused, as the original's client does;
        // Moquette warns of each refusal, which here is expected (the step says so instead). A level the user set
        // is kept.
        String refusals = "org.slf4j.simpleLogger.log.io.moquette.broker.MQTTConnection";
        if (System.getProperty(refusals) == null) {
            System.setProperty(refusals, "error");
        }
        EmbeddedBroker broker;
        try {
            broker = EmbeddedBroker.start(new InetSocketAddress("127.0.0.1", 0));
        } catch (IOException e) {
            throw new IllegalStateException("the embedded broker did not start: " + e.getMessage(), e);
        }
        Outcome outcome;
        try (broker) {
            out.printf("  broker listening on %s (MQTT 3.1.1: the nodes offer 5 first, then fall back)%n",
                    Addresses.show(broker.address()));
            out.flush();
            MqttBroker mqtt = MqttBroker.of(broker.address().getAddress().getHostAddress(), broker.address().getPort());
            outcome = exchange(out, mqtt, mqtt, bound);
        }
        out.printf("  nodes and broker closed%n");
        out.flush();
        return outcome;
    }

    /**
     * Starts node A on {@code brokerOfA} and node B on {@code brokerOfB} (the demo gives both the same broker; a test
     * gives two brokers that do not know each other, so that the hello cannot arrive), exchanges the hello and its
     * answer, checks both, and closes the nodes.
     */
    static Outcome exchange(PrintWriter out, MqttBroker brokerOfA, MqttBroker brokerOfB, Duration bound) {
        Interface lo = Nics.byName("lo").orElseThrow(
                () -> new IllegalStateException("no loopback interface named lo on this machine"));
        CompletableFuture<SignalReceipt> atA = new CompletableFuture<>();
        CompletableFuture<SignalReceipt> atB = new CompletableFuture<>();
        Node a = start("A", lo, brokerOfA, atA, out, bound);
        Node b;
        try {
            b = start("B", lo, brokerOfB, atB, out, bound);
        } catch (RuntimeException e) {
            closeQuietly(a, bound);
            throw e;
        }
        try {
            out.printf("  no STUN server: the NAT is not measured, so the addresses say %s, %s delta, the NIC's IP "
                    + "as external%n", Node.UNMEASURED_NAT.label(), Node.UNMEASURED_DELTA.type().label());
            talk(out, a, b, atA, atB, bound);
            Outcome outcome = new Outcome(a.id(), b.id(), a.address().toString(), b.address().toString(),
                    a.signalling().orElseThrow().stats(), b.signalling().orElseThrow().stats());
            out.printf("  node A signals: %s%n", show(outcome.statsOfA()));
            out.printf("  node B signals: %s%n", show(outcome.statsOfB()));
            out.flush();
            connect(out, a, b, bound);
            await(b.close(), bound, "node B did not close");
            await(a.close(), bound, "node A did not close");
            return outcome;
        } finally {
            // Nothing left open when the step fails half way (nothing to do after the closes above).
            closeQuietly(b, bound);
            closeQuietly(a, bound);
        }
    }

    /** Closes {@code node}, waiting at most {@code bound}: on a failure already reported, a slow close adds nothing. */
    private static void closeQuietly(Node node, Duration bound) {
        try {
            node.close().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // The step's own failure is the one to report.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Node start(String name, Interface lo, MqttBroker broker, CompletableFuture<SignalReceipt> received,
            PrintWriter out, Duration bound) {
        // listenPort 0: the derived port is this machine's, and both nodes would want it.
        Node node = await(Node.builder().interfaces(List.of(lo)).listenPort(0).brokers(List.of(broker))
                .signalListener(received::complete).start(), bound, "node " + name + " did not start");
        out.printf("  node %s %s, TCP on %s%n", name, node.id().value(), node.listenAddresses().stream()
                .map(Addresses::show).collect(Collectors.joining(", ")));
        out.printf("    address %s%n", node.address());
        for (NodeInterface i : node.interfaces()) {
            check(!i.measured(), "node " + name + " measured a NAT without a STUN server");
        }
        out.flush();
        return node;
    }

    /**
     * A connects to B by B's address alone, racing every strategy the nodes have (direct, and reverse through the
     * broker; punching and relaying are skipped, with the reason, as neither node has what they need), says which
     * won, and sends a line that B reads back.
     */
    private static void connect(PrintWriter out, Node a, Node b, Duration bound) {
        CompletableFuture<PeerConnection> accepted = b.accept();
        PeerConnection c = await(a.connect(b.address(), ConnectOptions.defaults()), bound,
                "node A did not connect to node B");
        PeerConnection in = await(accepted, bound, "node B did not accept node A's connection");
        try {
            out.printf("  A connected to B: %s%n", c.report().summary());
            byte[] line = "hello over the proven pipe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            await(c.pipe().send(line), bound, "node A could not send");
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            for (int reads = 0; got.size() < line.length && reads < line.length; reads++) {
                got.writeBytes(await(in.pipe().recv(bound), bound, "node B received nothing").data());
            }
            check(java.util.Arrays.equals(got.toByteArray(), line), "node B received other bytes than node A sent");
            out.printf("  B accepted it as %s from node %s and read A's line%n", in.strategy().label(),
                    in.peer().value());
            out.flush();
        } finally {
            c.pipe().close();
            in.pipe().close();
        }
    }

    private static void talk(PrintWriter out, Node a, Node b, CompletableFuture<SignalReceipt> atA,
            CompletableFuture<SignalReceipt> atB, Duration bound) {
        String pipeId = pipeId();
        // Without B's key (A has only B's address) the hello goes signed in plaintext.
        SignalMessage hello = SignalMessage.of(SignalType.GET_ADDRESS, ttl(), pipeId, a.address(), b.address());
        SignalReceipt got = carry(out, "A", a, "B", atB, hello, "hello", false, bound);
        // The answer goes back to the address in the hello, as the original's handler does; B learned A's key from
        // the signed hello, so it is encrypted.
        SignalMessage answer = SignalMessage.of(SignalType.RETURN_ADDRESS, ttl(), pipeId, b.address(),
                got.message().source());
        carry(out, "B", b, "A", atA, answer, "answer", true, bound);
    }

    /**
     * Node {@code sender} sends {@code message}; returns it as node {@code recipient} received it (its
     * {@code arrival}), checked, {@code encrypted} or in plaintext.
     */
    private static SignalReceipt carry(PrintWriter out, String sender, Node from, String recipient,
            CompletableFuture<SignalReceipt> arrival, SignalMessage message, String what, boolean encrypted,
            Duration bound) {
        int via = await(from.signalling().orElseThrow().send(message), bound,
                "node " + sender + " could not send its " + what);
        out.printf("  %s -> %s  %s, pipe id %s, through broker %d: signed, %s%n", sender, recipient, message.type(),
                message.pipeId(), via, encrypted ? "encrypted to the key in " + recipient + "'s hello"
                        : "in plaintext (" + sender + " knows only " + recipient + "'s address)");
        out.flush();
        SignalReceipt r = await(arrival, bound, "node " + recipient + " did not receive " + sender + "'s " + what);
        checkReceipt(recipient, r, message.type(), from.id(), message.pipeId(), encrypted);
        out.printf("  %s got   %s from %s: %s%n", recipient, r.message().type(), r.message().source().nodeId().value(),
                trust(r));
        out.flush();
        return r;
    }

    private static void checkReceipt(String at, SignalReceipt r, SignalType type, NodeId from, String pipeId,
            boolean encrypted) {
        String what = "node " + at + " received ";
        check(r.message().type() == type, what + r.message().type() + ", not " + type);
        check(r.message().source().nodeId().equals(from), what + "a message from " + r.message().source().nodeId()
                + ", not from " + from);
        check(r.message().pipeId().equals(pipeId), what + "pipe id " + r.message().pipeId() + ", not " + pipeId);
        check(r.signed(), what + "an unsigned message");
        check(r.encrypted() == encrypted, what + (encrypted ? "plaintext where the sender knew its key"
                : "an encrypted message from a sender that did not know its key"));
    }

    private static String trust(SignalReceipt r) {
        return (r.signed() ? "signed" : "unsigned") + " by its sender's key, " + (r.encrypted() ? "encrypted"
                : "plaintext");
    }

    /** {@code sent 1, received 1, accepted 1, dropped 0}, the drops by reason when there are any. */
    static String show(SignallingStats s) {
        long dropped = s.inbox().droppedTotal() + s.overloaded();
        StringJoiner reasons = new StringJoiner(", ", " (", ")").setEmptyValue("");
        for (SignalDrop d : SignalDrop.values()) {
            if (s.inbox().dropped(d) > 0) {
                reasons.add(d.name().toLowerCase(Locale.ROOT).replace('_', ' ') + " " + s.inbox().dropped(d));
            }
        }
        if (s.overloaded() > 0) {
            reasons.add("overloaded " + s.overloaded());
        }
        return "sent " + s.sent() + ", received " + s.received() + ", accepted " + s.inbox().accepted()
                + ", dropped " + dropped + reasons;
    }

    private static long ttl() {
        return System.currentTimeMillis() / 1000 + TTL.toSeconds();
    }

    /** Random, as the original's ten characters. */
    private static String pipeId() {
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder(10);
        for (int i = 0; i < 10; i++) {
            id.append(PIPE_ID_CHARS.charAt(random.nextInt(PIPE_ID_CHARS.length())));
        }
        return id.toString();
    }

    /** The future's value within {@code bound}, else a one-line failure starting with {@code failure}. */
    private static <T> T await(Future<T> future, Duration bound, String failure) {
        try {
            return future.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // A node start that ends after this closes the node at once (see Node.Config.start).
            future.cancel(false);
            throw new IllegalStateException(failure + " within " + show(bound), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(failure + ": " + Main.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(failure + ": interrupted", e);
        }
    }

    private static String show(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static void check(boolean ok, String failure) {
        if (!ok) {
            throw new IllegalStateException(failure);
        }
    }
}
