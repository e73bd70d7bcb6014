package io.p2pd.nat;

import io.p2pd.internal.Json;
import io.p2pd.net.HostPort;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The result of {@link NatDetector#detect}.
 *
 * @param natType         the NAT type
 * @param delta           the port-allocation type and its value ({@link DeltaType#NOT_APPLICABLE} without a NAT)
 * @param localAddress    the local socket address the RFC 3489 tests were sent from
 * @param mappedAddresses every distinct mapped address the servers reported, in the order first seen
 *                        (the tests' socket first, then the port-allocation sockets)
 * @param servers         the server addresses used: the primary address the tests went to, its alternate, then any
 *                        server tried before it without success; when blocked, every server tried
 * @param elapsed         how long the detection took
 */
public record NatReport(NatType natType, PortDelta delta, InetSocketAddress localAddress,
                        List<InetSocketAddress> mappedAddresses, List<InetSocketAddress> servers, Duration elapsed) {

    public NatReport {
        Objects.requireNonNull(natType, "natType");
        Objects.requireNonNull(delta, "delta");
        Objects.requireNonNull(localAddress, "localAddress");
        mappedAddresses = List.copyOf(mappedAddresses);
        servers = List.copyOf(servers);
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /**
     * One JSON object, e.g. {@code {"natType":5,"natName":"port restricted","deltaType":2,"deltaName":"equal",
     * "deltaValue":0,"local":"10.0.0.2:40000","mapped":["198.18.0.1:40000"],"servers":["198.18.0.2:3478",
     * "198.18.0.3:3479"],"elapsedMs":1012}}.
     */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("natType", natType.number());
        m.put("natName", natType.label());
        m.put("deltaType", delta.type().number());
        m.put("deltaName", delta.type().label());
        m.put("deltaValue", delta.value());
        m.put("local", HostPort.of(localAddress).toString());
        m.put("mapped", mappedAddresses.stream().map(a -> HostPort.of(a).toString()).toList());
        m.put("servers", servers.stream().map(a -> HostPort.of(a).toString()).toList());
        m.put("elapsedMs", elapsed.toMillis());
        return Json.write(m);
    }
}
