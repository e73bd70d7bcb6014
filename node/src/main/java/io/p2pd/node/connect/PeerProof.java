package io.p2pd.node.connect;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.p2pd.node.connect.ProofFailedException.Reason;
import io.p2pd.node.id.NodeId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.node.id.NodePublicKey;
import io.p2pd.pipe.Message;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeClosedException;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.RecvTimeoutException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;

/**
 * The node-key proof run on every new TCP connection between two nodes, before the connection reaches the user: each
 * side proves it holds the key of its node id, so both ends know which node the other end of the connection speaks
 * for.
 *
 * <p>The two sides have roles. The side that chose to connect (a dialer, or the initiator a hole punch names) is the
 * <em>chooser</em> ({@link #runChoosing}); the other, a listener or the punch's responder, runs {@link #run}. A
 * listener may take the chooser's role for a session it waits for ({@link #runAnswering}, below). Two sides with the
 * same role fail at once ({@link Reason#MALFORMED}), as each would wait for the other. The exchange:
 * <ol>
 *   <li>both send, as soon as the connection is up, a <em>hello</em>: version {@value #VERSION}, a flags byte
 *       (bit 0: this side chooses; bit 1: this listener may choose), its public key (33 bytes, compressed; the node id is derived from it), a fresh
 *       32-byte nonce, and the session id it expects (0 to {@value #MAX_SESSION} printable ASCII characters, empty
 *       for any);</li>
 *   <li>the chooser, once it has the peer's hello, sends its <em>proof</em>: its signature ({@link NodeKey#sign},
 *       64 bytes) over the label {@code "p2pd node-key proof 2\n"}, its role byte ({@code 'C'}), its nonce, the
 *       peer's nonce, its key, the peer's key and the agreed session id (length byte, then the characters);</li>
 *   <li>the other side checks that proof <em>before it signs anything</em>, then sends its own proof (the same
 *       text with role {@code 'L'}, its nonce and key first);</li>
 *   <li>the chooser checks it and, when it keeps this connection, sends a one-byte <em>chosen</em> frame
 *       ({@code 0x01}), else a <em>not chosen</em> frame ({@code 0x00}); the other side hands the connection out
 *       on the first.</li>
 * </ol>
 * Each is one frame: a 2-byte big-endian length, then the body; frames over {@value #MAX_FRAME} bytes are refused.
 * A side checks the peer's key against the node id it expects (if any), the session ids (equal, or one of them empty:
 * the agreed one is the other), and the signature against the key. A hello carrying this node's own key is refused
 * (a connection looped back to the node, or two of its connections spliced together).
 *
 * <p>What it protects: since every signature covers both nonces, both node keys, the session and the signer's role,
 * a signature is good for this run toward this peer only: it cannot be replayed from another connection nor passed
 * on to a third node. A listener signs only for a node that proved its key first, so a party without a node key
 * that merely reaches two listeners cannot present one as the other. What it does not protect: the proof is not
 * bound to the bytes that follow and nothing is encrypted. A party that gets a node to dial it (a forged peer
 * address that names another node's id at the party's address, or a position on the path) can pass the two sides'
 * genuine messages between a connection to each and then read, change or inject the stream; the peer address a
 * node dials must come from a source it trusts (a signed signal, its own configuration) for the proof to name the
 * node it talks to. Applications that need more must secure the stream themselves.
 *
 * <p>Choosing: a dialer that races several connections to one peer (one per address pair) must keep the same one as
 * the peer. On each connection it checks the peer's proof, then claims the win; only the first claim sends the
 * chosen frame, so the peer hands out that connection alone. On the others it sends, in place of the chosen frame
 * (or of its proof, when it lost before proving), a one-byte frame {@code 0x00} (<em>not chosen</em>) and closes:
 * they fail with {@link Reason#NOT_CHOSEN} on both sides, so neither counts a race's loser as a fault.
 *
 * <p>A listener may choose too ({@link #runAnswering}): the connecting node chooses among every connection its
 * connect makes, including those the peer dials back to it (a reverse connect). Its hello is sent before it knows the
 * session, so it carries flag bit 1 (<em>may choose</em>) rather than bit 0; it decides on reading the dialer's
 * hello and, when it chooses, proves first. A dialer that does not choose, facing a hello that may choose, waits
 * for that proof; facing a plain listener's hello (neither bit), both fail at once as neither chose.
 *
 * <p>Any failure, the time limit passing, or the connection ending first closes the connection and fails the future
 * with a {@link ProofFailedException} saying why. Bytes the peer sent after its last proof frame, read together with
 * it, are given back to the connection ({@link Pipe#unread}), so the user's first {@code recv()} returns them. A
 * proven connection a server accepted is taken out of the server's idle limit ({@link Pipe#liftIdleTimeout}): the
 * proof's own limit bounds the wait before it, and a peer's connection then stays however long it is quiet.
 *
 * <p>The original P2PD: its dialer sends only a line {@code P2P_CON_ID_EQ <pipe id>\n}, which proves no key. Such a
 * connection fails with {@link Reason#UNPROVEN_ORIGINAL} (a node closes and counts it): a node never hands out a
 * connection whose peer it cannot name. A peer address does not say whether its node is the original, so a node
 * always sends its hello; the original's listener does not answer it, and that attempt fails by its time limit.
 */
public final class PeerProof {

    /** The version byte of the hello. */
    public static final int VERSION = 2;
    /** The longest session id. */
    public static final int MAX_SESSION = 64;
    static final int KEY_BYTES = 33;
    static final int NONCE_BYTES = 32;
    /** The largest frame body (a hello with the longest session id). */
    public static final int MAX_FRAME = 2 + KEY_BYTES + NONCE_BYTES + 1 + MAX_SESSION;
    /** The hello's flag of a side that chooses. */
    static final int CHOOSES = 1;
    /** The hello's flag of a listener that may choose once it reads the dialer's hello ({@link #runAnswering}). */
    static final int MAY_CHOOSE = 2;

    static final int SIGNATURE_BYTES = 64;
    static final byte[] LABEL = "p2pd node-key proof 2\n".getBytes(US_ASCII);
    /** The role byte a chooser's proof signs, and the other side's. */
    static final byte CHOOSER_ROLE = 'C';
    static final byte OTHER_ROLE = 'L';
    /** The chosen frame's body. */
    static final byte[] CHOSEN = {1};
    /** What a side that chooses sends in place of its chosen frame or proof on a connection it does not keep. */
    static final byte[] NOT_CHOSEN = {0};
    /** What the original's dialer sends first. */
    static final byte[] ORIGINAL_LINE = "P2P_CON_ID_EQ ".getBytes(US_ASCII);

    private static final SecureRandom RANDOM = new SecureRandom();

    private PeerProof() {
    }

    /**
     * Runs the proof on {@code tcp}, a TCP connection opened without message handlers (its messages queue for
     * {@code recv()}, which the proof reads), before anyone else reads from it, as the side that did not choose the
     * connection (a listener, a hole punch's responder): it signs only after the peer, a chooser, proved its key.
     *
     * @param me this node's key
     * @param expectedPeer the node the connection must be with; empty to take any node that proves its key
     * @param sessionId the session this side expects (empty for any): the dialer of a reverse connection names the
     *     one it was asked for; a listener names none and reads the peer's in {@link ProvenPipe#sessionId()}
     * @param limit how long the whole proof may take
     * @return the proven connection; or a failed future with {@link ProofFailedException}, the connection closed.
     *     Cancelling the future closes the connection.
     * @throws IllegalArgumentException when {@code tcp} is not a TCP connection, the session id is too long or not
     *     printable ASCII, or the limit is not positive
     * @throws IllegalStateException when {@code tcp} has no queue for every message (it was given a handler)
     */
    public static CompletableFuture<ProvenPipe> run(Pipe tcp, NodeKey me, Optional<NodeId> expectedPeer,
            String sessionId, Duration limit) {
        return start(tcp, me, expectedPeer, sessionId, limit, null);
    }

    /**
     * As {@link #run}, for the side that chose to connect (a dialer, possibly racing several connections to
     * {@code expectedPeer}, or a hole punch's initiator): this side proves first; once the peer's proof checks,
     * {@code claim} is asked whether this connection wins, and only then is the chosen frame sent. A connection that
     * does not win is closed and fails with {@link Reason#NOT_CHOSEN}. {@code claim} is called at most once per
     * connection, on its event loop, and must not block (an {@code AtomicBoolean.compareAndSet} shared by the race;
     * {@code () -> true} for a single connection).
     */
    public static CompletableFuture<ProvenPipe> runChoosing(Pipe tcp, NodeKey me, NodeId expectedPeer,
            String sessionId, Duration limit, BooleanSupplier claim) {
        Objects.requireNonNull(expectedPeer, "expectedPeer");
        Objects.requireNonNull(claim, "claim");
        return start(tcp, me, Optional.of(expectedPeer), sessionId, limit, claim);
    }

    /**
     * Decides, once a dialer's hello is read, whether this listening side chooses for that connection
     * ({@link #runAnswering}).
     */
    @FunctionalInterface
    public interface Chooser {

        /**
         * The claim for a connection from {@code peer} naming {@code session}: present when this side chooses for it
         * (it then proves first and asks the claim once the peer's proof checks, as in {@link #runChoosing}), empty
         * when it does not. Called at most once per connection, on its event loop; must not block.
         */
        Optional<BooleanSupplier> claimFor(NodeId peer, String session);
    }

    /**
     * As {@link #run} with no session expected, for a listener that may choose: {@code chooser} says, from the
     * dialer's hello, whether this side chooses for that connection. When it does, this side proves first, checks
     * the dialer's proof, then claims the connection: a connection not claimed fails with {@link Reason#NOT_CHOSEN}
     * on both sides, and a dialer that chooses as well fails it with {@link Reason#MALFORMED}. When it does not, this
     * side answers as {@link #run} does.
     */
    public static CompletableFuture<ProvenPipe> runAnswering(Pipe tcp, NodeKey me, Optional<NodeId> expectedPeer,
            Duration limit, Chooser chooser) {
        Objects.requireNonNull(chooser, "chooser");
        return start(tcp, me, expectedPeer, "", limit, null, chooser);
    }

    private static CompletableFuture<ProvenPipe> start(Pipe tcp, NodeKey me, Optional<NodeId> expectedPeer,
            String sessionId, Duration limit, BooleanSupplier claim) {
        return start(tcp, me, expectedPeer, sessionId, limit, claim, null);
    }

    private static CompletableFuture<ProvenPipe> start(Pipe tcp, NodeKey me, Optional<NodeId> expectedPeer,
            String sessionId, Duration limit, BooleanSupplier claim, Chooser chooser) {
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(me, "me");
        Objects.requireNonNull(expectedPeer, "expectedPeer");
        checkSession(sessionId);
        Objects.requireNonNull(limit, "limit");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        if (tcp.proto() != Proto.TCP || tcp.isServer()) {
            throw new IllegalArgumentException("the proof runs on a TCP connection, not " + tcp);
        }
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return new Run(tcp, me, expectedPeer, sessionId, System.nanoTime() + limit.toNanos(), limit, nonce, claim,
                chooser).start();
    }

    /**
     * Tells the peer on {@code tcp}, a connection a choosing dialer opened and no longer needs (another won before
     * its proof started), that it is not chosen: this side's hello, then the not-chosen frame, then the close. The
     * peer's proof fails with {@link Reason#NOT_CHOSEN} rather than {@link Reason#CLOSED}, so it counts a race's
     * loser, not a fault.
     */
    public static void decline(Pipe tcp, NodeKey me, String sessionId) {
        checkSession(sessionId);
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        byte[] hello = frame(hello(me.publicKey(), nonce, sessionId, CHOOSES));
        byte[] notChosen = frame(NOT_CHOSEN);
        byte[] both = Arrays.copyOf(hello, hello.length + notChosen.length);
        System.arraycopy(notChosen, 0, both, hello.length, notChosen.length);
        tcp.send(both).whenComplete((x, t) -> tcp.closeAsync());
    }

    /**
     * Checks a session id.
     *
     * @throws IllegalArgumentException when it is longer than {@value #MAX_SESSION} or not printable ASCII
     */
    static void checkSession(String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        if (!validSession(sessionId)) {
            throw new IllegalArgumentException("session id must be 0 to " + MAX_SESSION
                    + " printable ASCII characters");
        }
    }

    private static boolean validSession(CharSequence s) {
        if (s.length() > MAX_SESSION) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** The hello body of a side. */
    static byte[] hello(NodePublicKey key, byte[] nonce, String session, boolean chooses) {
        return hello(key, nonce, session, chooses ? CHOOSES : 0);
    }

    /** The hello body of a side, with its flags byte ({@link #CHOOSES}, {@link #MAY_CHOOSE} or none). */
    static byte[] hello(NodePublicKey key, byte[] nonce, String session, int flags) {
        byte[] k = key.compressed();
        ByteBuffer b = ByteBuffer.allocate(2 + k.length + nonce.length + 1 + session.length());
        b.put((byte) VERSION).put((byte) flags).put(k).put(nonce).put((byte) session.length())
                .put(session.getBytes(US_ASCII));
        return b.array();
    }

    /**
     * What a side signs: the label, its role, its nonce, the peer's, its key, the peer's, the agreed session. The
     * role keeps a chooser's signature from standing for the other side's in another run.
     */
    static byte[] transcript(byte[] signerNonce, byte[] otherNonce, NodePublicKey signer, NodePublicKey other,
            String session, boolean signerChooses) {
        byte[] s = session.getBytes(US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(LABEL.length + 1 + 2 * NONCE_BYTES + 2 * KEY_BYTES + 1 + s.length);
        b.put(LABEL).put(signerChooses ? CHOOSER_ROLE : OTHER_ROLE).put(signerNonce).put(otherNonce)
                .put(signer.compressed()).put(other.compressed()).put((byte) s.length).put(s);
        return b.array();
    }

    /** A body in its frame. */
    static byte[] frame(byte[] body) {
        return ByteBuffer.allocate(2 + body.length).putShort((short) body.length).put(body).array();
    }

    /** A peer's hello, read. */
    record Hello(NodePublicKey key, byte[] nonce, String session, boolean chooses, boolean mayChoose) {
    }

    /**
     * Reads a hello body.
     *
     * @throws ProofFailedException (MALFORMED) naming what is wrong
     */
    static Hello parseHello(byte[] body) throws ProofFailedException {
        if (body.length < 2 + KEY_BYTES + NONCE_BYTES + 1) {
            throw malformed("a hello of " + body.length + " bytes is too short");
        }
        if (body[0] != VERSION) {
            throw malformed("hello version " + (body[0] & 0xff) + " is not " + VERSION);
        }
        if ((body[1] & ~(CHOOSES | MAY_CHOOSE)) != 0 || body[1] == (CHOOSES | MAY_CHOOSE)) {
            throw malformed("unknown hello flags " + (body[1] & 0xff));
        }
        NodePublicKey key;
        try {
            key = NodePublicKey.fromBytes(Arrays.copyOfRange(body, 2, 2 + KEY_BYTES));
        } catch (IllegalArgumentException e) {
            throw malformed("the hello's key is not a secp256k1 public key");
        }
        int at = 2 + KEY_BYTES;
        byte[] nonce = Arrays.copyOfRange(body, at, at + NONCE_BYTES);
        at += NONCE_BYTES;
        int sessionLength = body[at++] & 0xff;
        if (body.length != at + sessionLength) {
            throw malformed("the hello's session id length does not match its size");
        }
        String session = new String(body, at, sessionLength, US_ASCII);
        if (!validSession(session)) {
            throw malformed("the hello's session id is not 0 to " + MAX_SESSION + " printable ASCII characters");
        }
        return new Hello(key, nonce, session, body[1] == CHOOSES, body[1] == MAY_CHOOSE);
    }

    static ProofFailedException malformed(String why) {
        return new ProofFailedException(Reason.MALFORMED, "not a node-key proof: " + why);
    }

    /** One run of the proof on one connection; its steps run on the connection's event loop, one at a time. */
    private static final class Run {
        private final Pipe pipe;
        private final NodeKey me;
        private final Optional<NodeId> expected;
        private final String mySession;
        private final long deadline;
        private final Duration limit;
        private final byte[] nonce;
        /** Asked once the peer's proof checks, when this side chooses; null when it does not (or not yet). */
        private volatile BooleanSupplier claim;
        /** A listener's: asked on the peer's hello whether this side chooses; null otherwise. */
        private final Chooser chooser;
        /** Set once this side's claim won: a cancel after it must not tell the peer 'not chosen'. */
        private volatile boolean claimed;
        /** Set when this side's claim lost: the peer is told so before the close. */
        private boolean declined;
        private final CompletableFuture<ProvenPipe> result = new CompletableFuture<>();
        /** Bytes read and not yet taken as a frame. */
        private byte[] buf = new byte[0];
        /** The hello's write: the proof is written after it, as a write from another thread may overtake. */
        private CompletableFuture<Void> helloSent;
        /** This side's last write: the user gets the connection after it, so the user's first bytes follow it. */
        private volatile CompletableFuture<Void> lastSent;
        private Hello peer;
        private String session;
        private boolean peerProven;

        Run(Pipe pipe, NodeKey me, Optional<NodeId> expected, String mySession, long deadline, Duration limit,
                byte[] nonce, BooleanSupplier claim, Chooser chooser) {
            this.claim = claim;
            this.chooser = chooser;
            this.pipe = pipe;
            this.me = me;
            this.expected = expected;
            this.mySession = mySession;
            this.deadline = deadline;
            this.limit = limit;
            this.nonce = nonce;
        }

        CompletableFuture<ProvenPipe> start() {
            // A failure closes the pipe after the future's dependents ran (see fail), a cancel here. A side that
            // chooses and is cancelled before its claim won (its race was won elsewhere) says not chosen first.
            result.whenComplete((ok, e) -> {
                if (e instanceof CancellationException) {
                    if (claim != null && !claimed) {
                        closeNotChosen();
                    } else {
                        pipe.closeAsync();
                    }
                }
            });
            // Throws at once (a misuse) when the pipe has no queue to read from, before anything is sent.
            CompletableFuture<Message> first = pipe.recv(remaining());
            helloSent = send(hello(me.publicKey(), nonce, mySession,
                    claim != null ? CHOOSES : chooser != null ? MAY_CHOOSE : 0));
            first.whenComplete(this::received);
            return result;
        }

        private Duration remaining() {
            return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        }

        private CompletableFuture<Void> send(byte[] body) {
            return pipe.send(frame(body)).whenComplete((ok, e) -> {
                // A peer that declined (not chosen) closes right after saying so, maybe while this side still
                // writes: let the reads, which may hold its word, say how the proof ended.
                if (e != null && pipe.isOpen()) {
                    fail(new ProofFailedException(Reason.CLOSED, "the connection ended during the proof: "
                            + message(e), cause(e)));
                }
            });
        }

        private void received(Message msg, Throwable error) {
            if (result.isDone()) {
                return;
            }
            if (error != null) {
                Throwable cause = cause(error);
                fail(cause instanceof RecvTimeoutException
                        ? new ProofFailedException(Reason.TIMEOUT, "no node-key proof within " + limit.toMillis()
                                + " ms")
                        : new ProofFailedException(Reason.CLOSED, cause instanceof PipeClosedException
                                ? "the connection ended during the proof" : "reading the proof failed: "
                                + message(cause), cause));
                return;
            }
            byte[] data = msg.data();
            byte[] grown = Arrays.copyOf(buf, buf.length + data.length);
            System.arraycopy(data, 0, grown, buf.length, data.length);
            buf = grown;
            try {
                if (step()) {
                    return;
                }
            } catch (ProofFailedException e) {
                fail(e);
                return;
            } catch (RuntimeException e) {
                fail(new ProofFailedException(Reason.MALFORMED, "the proof could not be checked: " + message(e),
                        e));
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                fail(new ProofFailedException(Reason.TIMEOUT, "no node-key proof within " + limit.toMillis()
                        + " ms"));
                return;
            }
            pipe.recv(remaining()).whenComplete(this::received);
        }

        /** Takes the frames read so far; true when the proof is over (done or failed). */
        private boolean step() throws ProofFailedException {
            if (peer == null) {
                byte[] body = nextFrame();
                if (body == null) {
                    return false;
                }
                takeHello(parseHello(body));
            }
            if (!peerProven) {
                byte[] signature = nextFrame();
                if (signature == null) {
                    return false;
                }
                checkProof(signature);
                peerProven = true;
                if (claim == null) {
                    sendProof(); // only now: this side signs for a peer that proved its key first
                } else {
                    if (!claim.getAsBoolean()) {
                        declined = true;
                        throw new ProofFailedException(Reason.NOT_CHOSEN, "another connection to node "
                                + peer.key().nodeId() + " was proven first");
                    }
                    claimed = true;
                    after(CHOSEN);
                    return finish();
                }
            }
            byte[] chosen = nextFrame();
            if (chosen == null) {
                return false;
            }
            if (Arrays.equals(chosen, NOT_CHOSEN)) {
                throw notChosen();
            }
            if (!Arrays.equals(chosen, CHOSEN)) {
                throw malformed("a frame of " + chosen.length + " bytes where the chosen frame belongs");
            }
            return finish();
        }

        private void checkProof(byte[] signature) throws ProofFailedException {
            if (Arrays.equals(signature, NOT_CHOSEN)) {
                throw notChosen();
            }
            if (signature.length != SIGNATURE_BYTES) {
                throw malformed("a proof of " + signature.length + " bytes, not " + SIGNATURE_BYTES);
            }
            byte[] signed = transcript(peer.nonce(), nonce, peer.key(), me.publicKey(), session, claim == null);
            if (!peer.key().verify(signed, signature)) {
                throw new ProofFailedException(Reason.BAD_SIGNATURE, "the peer's proof does not check against the "
                        + "key of node " + peer.key().nodeId());
            }
        }

        /** Hands the connection out once this side's last frame is written; what the peer sent after is the user's. */
        private boolean finish() {
            if (buf.length > 0) {
                pipe.unread(buf);
                buf = new byte[0];
            }
            // Proven: the node keeps it however long it is quiet (a server's idle limit is for strangers).
            pipe.liftIdleTimeout();
            ProvenPipe proven = new ProvenPipe(pipe, peer.key(), session);
            lastSent.whenComplete((x, e) -> {
                if (e == null) {
                    result.complete(proven);
                } else {
                    fail(new ProofFailedException(Reason.CLOSED, "the connection ended during the proof: "
                            + message(e), cause(e)));
                }
            });
            return true;
        }

        private void takeHello(Hello hello) throws ProofFailedException {
            NodeId id = hello.key().nodeId();
            if (id.equals(me.nodeId())) {
                throw malformed("the hello carries this node's own key (a reflected or spliced connection)");
            }
            if (Arrays.equals(hello.nonce(), nonce)) {
                throw malformed("the hello carries this side's own nonce (a reflected connection)");
            }
            if (expected.isPresent() && !expected.get().equals(id)) {
                throw new ProofFailedException(Reason.WRONG_PEER, "the peer is node " + id + ", not the expected "
                        + expected.get());
            }
            if (!mySession.isEmpty() && !hello.session().isEmpty() && !mySession.equals(hello.session())) {
                throw new ProofFailedException(Reason.WRONG_SESSION, "the peer asked for another session than "
                        + "the one expected");
            }
            String agreed = mySession.isEmpty() ? hello.session() : mySession;
            if (chooser != null) {
                claim = chooser.claimFor(id, agreed).orElse(null);
            }
            if (hello.chooses() && claim != null) {
                throw malformed("both sides wait to choose");
            }
            if (!hello.chooses() && claim == null && !hello.mayChoose()) {
                throw malformed("neither side chose the connection");
            }
            peer = hello;
            session = agreed;
            if (claim != null) {
                sendProof(); // the chooser proves first
            }
        }

        private void sendProof() {
            after(me.sign(transcript(nonce, peer.nonce(), me.publicKey(), peer.key(), session, claim != null)));
        }

        /** Sends {@code body} after this side's earlier frames, as a write from another thread may overtake. */
        private void after(byte[] body) {
            CompletableFuture<Void> before = lastSent == null ? helloSent : lastSent;
            lastSent = before.thenCompose(x -> send(body));
        }

        /** The next whole frame's body, taken from the buffer; null until it is whole. */
        private byte[] nextFrame() throws ProofFailedException {
            if (peer == null && startsLikeOriginal()) {
                if (buf.length < ORIGINAL_LINE.length) {
                    return null;
                }
                throw new ProofFailedException(Reason.UNPROVEN_ORIGINAL, "the peer sent the original P2PD's "
                        + "connection line, which proves no node key");
            }
            if (buf.length < 2) {
                return null;
            }
            int length = ((buf[0] & 0xff) << 8) | (buf[1] & 0xff);
            if (length == 0 || length > MAX_FRAME) {
                throw malformed("a frame of " + length + " bytes (1 to " + MAX_FRAME + " expected)");
            }
            if (buf.length < 2 + length) {
                return null;
            }
            byte[] body = Arrays.copyOfRange(buf, 2, 2 + length);
            buf = Arrays.copyOfRange(buf, 2 + length, buf.length);
            return body;
        }

        private boolean startsLikeOriginal() {
            int n = Math.min(buf.length, ORIGINAL_LINE.length);
            return n > 0 && Arrays.equals(buf, 0, n, ORIGINAL_LINE, 0, n);
        }

        private ProofFailedException notChosen() {
            return new ProofFailedException(Reason.NOT_CHOSEN, "node " + peer.key().nodeId() + " kept another "
                    + "connection");
        }

        /** Sends the not-chosen frame after this side's earlier frames, then closes. */
        private void closeNotChosen() {
            CompletableFuture<Void> before = lastSent == null ? helloSent : lastSent;
            before.exceptionally(x -> null).thenCompose(x -> pipe.send(frame(NOT_CHOSEN)))
                    .whenComplete((x, t) -> pipe.closeAsync());
        }

        /** Fails the proof, then closes the pipe: who counts failures has counted it before the peer sees the end. */
        private void fail(ProofFailedException e) {
            result.completeExceptionally(e);
            if (declined) {
                closeNotChosen();
            } else {
                pipe.closeAsync();
            }
        }
    }

    static Throwable cause(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    static String message(Throwable e) {
        Throwable t = cause(e);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
