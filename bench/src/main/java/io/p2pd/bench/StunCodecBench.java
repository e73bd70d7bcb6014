package io.p2pd.bench;

import io.p2pd.stun.StunDecodeException;
import io.p2pd.stun.StunMessage;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The STUN codec on what a server and client do per request: decode a binding request, encode the RFC 5780
 * response (XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS, FINGERPRINT), decode that response.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StunCodecBench {

    private byte[] request;
    private byte[] response;
    private StunMessage decodedRequest;
    private final InetSocketAddress client = new InetSocketAddress("198.51.100.7", 40000);
    private final InetSocketAddress origin = new InetSocketAddress("203.0.113.1", 3478);
    private final InetSocketAddress other = new InetSocketAddress("203.0.113.2", 3479);

    @Setup
    public void setup() throws StunDecodeException {
        request = StunMessage.bindingRequest().fingerprint().build().encode();
        decodedRequest = StunMessage.decode(request);
        response = encodeResponse();
    }

    @Benchmark
    public StunMessage decodeRequest() throws StunDecodeException {
        return StunMessage.decode(request);
    }

    @Benchmark
    public byte[] encodeResponse() {
        return StunMessage.responseTo(decodedRequest, StunMessage.MessageClass.SUCCESS_RESPONSE)
                .xorMappedAddress(client).mappedAddress(client).responseOrigin(origin).otherAddress(other)
                .fingerprint().build().encode();
    }

    @Benchmark
    public InetSocketAddress decodeResponse() throws StunDecodeException {
        return StunMessage.decode(response).xorMappedAddress().orElseThrow();
    }
}
