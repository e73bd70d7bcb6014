package io.p2pd.nat;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * TCP mappings through a lab NAT, seen from outside. Run by {@link StepNatLabTest}:
 *
 * <ul>
 *   <li>{@code serve PORT IP...} (public namespace): on each IP, answers every connection with the address it came
 *       from ({@code IP:PORT} and a newline) and closes it. Prints {@code ready} once listening; ends when stdin ends.
 *   <li>{@code connect COUNT SERVER OTHER_SERVER} (client namespace): COUNT connections to SERVER from fresh local
 *       ports, one after another, each printed as {@code fresh LOCAL_PORT SEEN_AS}; then one more from the last local
 *       port to OTHER_SERVER, printed as {@code same LOCAL_PORT SEEN_AS}.
 *   <li>{@code cone PORT SERVER} (client namespace): listens on PORT and, from the same port (SO_REUSEPORT, as a hole
 *       punch does), connects once to SERVER to open the NAT's mapping, printed as {@code mapped SEEN_AS}; then
 *       answers connections on PORT, and on PORT + 1 (which opens no mapping), as {@code serve} does, until stdin
 *       ends.
 * </ul>
 * Blocking sockets are fine here: this is the lab's probe, not code under test.
 */
public final class NatLabTcpMain {
    private static final int TIMEOUT_MILLIS = 10_000;

    private NatLabTcpMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("serve")) {
            serve(Integer.parseInt(args[1]), List.of(args).subList(2, args.length));
        } else if (args[0].equals("cone")) {
            cone(Integer.parseInt(args[1]), address(args[2]));
        } else {
            connect(Integer.parseInt(args[1]), address(args[2]), address(args[3]));
        }
    }

    private static void serve(int port, List<String> ips) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        for (String ip : ips) {
            ServerSocket s = new ServerSocket(port, 50, InetAddress.getByName(ip));
            servers.add(s);
            Thread t = new Thread(() -> answer(s), "whoami-" + ip);
            t.setDaemon(true);
            t.start();
        }
        System.out.println("ready");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
        while (in.readLine() != null) {
            // only the end of stdin matters
        }
        for (ServerSocket s : servers) {
            s.close();
        }
    }

    private static void cone(int port, InetSocketAddress server) throws Exception {
        try (ServerSocket listener = new ServerSocket(); ServerSocket unmapped = new ServerSocket(port + 1)) {
            listener.setReuseAddress(true);
            listener.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
            listener.bind(new InetSocketAddress(port));
            for (ServerSocket s : List.of(listener, unmapped)) {
                Thread t = new Thread(() -> answer(s), "whoami-cone-" + s.getLocalPort());
                t.setDaemon(true);
                t.start();
            }
            System.out.println("mapped " + ask(port, server, new int[1]));
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8));
            while (in.readLine() != null) {
                // only the end of stdin matters
            }
        }
    }

    private static void answer(ServerSocket server) {
        for (int i = 0; i < 10_000 && !server.isClosed(); i++) {
            try (Socket c = server.accept(); OutputStream out = c.getOutputStream()) {
                InetSocketAddress from = (InetSocketAddress) c.getRemoteSocketAddress();
                out.write((from.getAddress().getHostAddress() + ":" + from.getPort() + "\n").getBytes(UTF_8));
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }

    private static void connect(int count, InetSocketAddress server, InetSocketAddress other) throws IOException {
        int local = 0;
        for (int i = 0; i < count; i++) {
            int[] seen = new int[1];
            String as = ask(0, server, seen);
            local = seen[0];
            System.out.println("fresh " + local + " " + as);
        }
        System.out.println("same " + local + " " + ask(local, other, new int[1]));
    }

    /** Connects from {@code localPort} (0: any), returns what the server saw; the local port goes in {@code port[0]}. */
    private static String ask(int localPort, InetSocketAddress server, int[] port) throws IOException {
        try (Socket s = new Socket()) {
            s.setReuseAddress(true); // the same local port again, to another server
            s.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true); // beside a listener on it (cone)
            s.bind(new InetSocketAddress(localPort));
            s.connect(server, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            port[0] = s.getLocalPort();
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), UTF_8)).readLine();
            if (line == null) {
                throw new IOException("no answer from " + server);
            }
            return line;
        }
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
