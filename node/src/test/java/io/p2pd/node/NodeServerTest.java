package io.p2pd.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.nic.Family;
import io.p2pd.nic.Interface;
import io.p2pd.nic.Nics;
import io.p2pd.node.addr.PeerInterface;
import io.p2pd.node.id.MachineId;
import io.p2pd.node.id.NodeKey;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.PipeStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The node's TCP servers: what they listen on and what they do with the connections they accept. */
class NodeServerTest {
    static final MachineId MACHINE = MachineId.fromRawId("node-server-test", MachineId.APP_ID);
    static final NodeKey KEY = NodeKey.fromHex("0e".repeat(32));

    static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    static Interface lo() {
        return Nics.byName("lo").orElseThrow();
    }

    /** True when the peer ended the connection (end of stream or reset) within the socket's read timeout. */
    static boolean endedByPeer(Socket s) throws IOException {
        byte[] sink = new byte[8192];
        InputStream in = s.getInputStream();
        try {
            while (in.read(sink) >= 0) {
                // whatever the node sent (nothing): read on to its end
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void connectionsThatSendDataAreTakenAndClosedByTheNodeSoNoneIsKeptWithWhatItReceived() throws Exception {
        Node node = await(Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE).key(KEY).start());
        try {
            InetSocketAddress at = node.listenAddresses().get(0);
            Pipe server = node.servers().get(0);
            int clients = 40;
            byte[] data = new byte[64 * 1024];
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    Socket s = new Socket();
                    sockets.add(s);
                    s.connect(at, 5_000);
                    s.setSoTimeout(10_000);
                    try {
                        s.getOutputStream().write(data);
                    } catch (IOException closedAlready) {
                        // the node may close it before all of it is written
                    }
                }
                // Each client, sending data and never closing, is ended by the node.
                for (Socket s : sockets) {
                    assertThat(endedByPeer(s)).as("the node ended the connection").isTrue();
                }
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            for (Pipe c : server.connections()) {
                await(c.closeFuture());
            }
            assertThat(server.connections()).isEmpty();
            PipeStats stats = server.stats();
            assertThat(stats.acceptedConnections() + stats.refusedConnections()).isEqualTo(clients);
            // Nothing waits unclaimed with what it received: a further accept() has nothing to take.
            CompletableFuture<Pipe> next = server.accept();
            assertThat(next).isNotDone();
            next.cancel(false);
        } finally {
            await(node.close());
        }
    }

    @Test
    void theServersHaveTheNodesLimits() throws Exception {
        assertThat(Node.SERVER_LIMITS.maxConnections()).isEqualTo(128);
        assertThat(Node.SERVER_LIMITS.maxConnectionsPerIp()).isEqualTo(8);
        assertThat(Node.SERVER_LIMITS.firstMessageTimeout()).isPresent();
        assertThat(Node.SERVER_LIMITS.idleTimeout()).isPresent();
    }

    @Test
    void everyAddressTheRecordsNameAcceptsAConnectionOnTheListenPort() throws Exception {
        List<Interface> ifs = new ArrayList<>(List.of(lo()));
        // An interface with an IPv6 link-local, when this machine has one: its records' NIC IP is the link-local.
        Nics.list().stream().filter(i -> !i.name().equals("lo"))
                .filter(i -> i.pool(Family.V6).first().map(r -> !r.linkLocals().isEmpty()).orElse(false))
                .filter(i -> !NodeStart.listenIps(i.pool(Family.V6).first().get()).isEmpty())
                .findFirst().ifPresent(ifs::add);
        Node node = await(Node.builder().interfaces(ifs).listenPort(0).machineId(MACHINE).key(KEY).start());
        try {
            List<InetSocketAddress> checked = new ArrayList<>();
            List<PeerInterface> records = Stream.concat(node.address().v4().stream(), node.address().v6().stream())
                    .toList();
            assertThat(records).hasSizeGreaterThanOrEqualTo(2 * ifs.size() - 1);
            for (PeerInterface r : records) {
                String name = node.interfaces().get(r.ifIndex()).name();
                for (InetAddress ip : List.of(r.externalIp(), r.nicIp())) {
                    InetSocketAddress at = new InetSocketAddress(scoped(ip, name), r.port());
                    try (Socket s = new Socket()) {
                        s.connect(at, 5_000);
                        assertThat(s.isConnected()).as("connected to " + at).isTrue();
                    }
                    checked.add(at);
                }
            }
            assertThat(checked).allMatch(a -> a.getPort() == node.listenPort());
            if (ifs.size() > 1) {
                assertThat(checked).anyMatch(a -> a.getAddress().isLinkLocalAddress());
            }
        } finally {
            await(node.close());
        }
    }

    @Test
    void withPortZeroAPortTakenOnALaterAddressIsGivenUpForAnotherFreeOne() throws Exception {
        // The IPv4 server picks a free port; before the IPv6 one opens, something else takes that port on ::1.
        List<ServerSocket> takers = new ArrayList<>();
        List<Integer> takenPorts = new ArrayList<>();
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        NodeStart.afterBind = at -> {
            if (takenPorts.isEmpty() && at.getAddress() instanceof Inet4Address) {
                takenPorts.add(at.getPort());
                try {
                    takers.add(new ServerSocket(at.getPort(), 1, InetAddress.getByName("::1")));
                } catch (java.net.BindException alreadyTaken) {
                    // another process holds the port on ::1 already: the case under test all the same
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        try {
            Node node = await(Node.builder().interfaces(List.of(lo())).listenPort(0).machineId(MACHINE).key(KEY)
                    .progress(progress::add).start());
            try {
                int taken = takenPorts.get(0);
                assertThat(node.listenPort()).isNotEqualTo(taken);
                assertThat(node.listenAddresses()).allMatch(a -> a.getPort() == node.listenPort()).hasSize(2);
                assertThat(progress).contains("port " + taken + " is taken on [::1]:" + taken
                        + ": trying another free port");
            } finally {
                await(node.close());
            }
        } finally {
            NodeStart.afterBind = at -> { };
            for (ServerSocket s : takers) {
                s.close();
            }
        }
    }

    /** A link-local address with the scope of the interface it was advertised for (the address text has none). */
    static InetAddress scoped(InetAddress ip, String nic) throws IOException {
        if (ip instanceof Inet6Address && ip.isLinkLocalAddress()) {
            return Inet6Address.getByAddress(null, ip.getAddress(), NetworkInterface.getByName(nic));
        }
        return ip;
    }
}
