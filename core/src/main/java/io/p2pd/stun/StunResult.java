package io.p2pd.stun;

import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to one binding request.
 *
 * @param server         the server asked (where the request was sent)
 * @param localAddress   the local socket address the request was sent from
 * @param replySource    where the response actually came from (differs from {@code server} after a CHANGE-REQUEST)
 * @param mappedAddress  our address as the server saw it: XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS
 * @param responseOrigin RESPONSE-ORIGIN (RFC 5780), when sent
 * @param otherAddress   OTHER-ADDRESS (RFC 5780), when sent
 * @param changedAddress CHANGED-ADDRESS (RFC 3489), when sent
 * @param response       the whole response
 */
public record StunResult(InetSocketAddress server, InetSocketAddress localAddress, InetSocketAddress replySource,
                         InetSocketAddress mappedAddress, Optional<InetSocketAddress> responseOrigin,
                         Optional<InetSocketAddress> otherAddress, Optional<InetSocketAddress> changedAddress,
                         StunMessage response) {

    public StunResult {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(localAddress, "localAddress");
        Objects.requireNonNull(replySource, "replySource");
        Objects.requireNonNull(mappedAddress, "mappedAddress");
        Objects.requireNonNull(responseOrigin, "responseOrigin");
        Objects.requireNonNull(otherAddress, "otherAddress");
        Objects.requireNonNull(changedAddress, "changedAddress");
        Objects.requireNonNull(response, "response");
    }

    /** The server's alternate address for NAT tests: OTHER-ADDRESS, else CHANGED-ADDRESS. */
    public Optional<InetSocketAddress> alternateAddress() {
        return otherAddress.or(() -> changedAddress);
    }

    /** Builds the result of a success response, or explains why it is unusable. */
    static StunResult of(InetSocketAddress server, InetSocketAddress local, InetSocketAddress source,
                         StunMessage response) throws StunException {
        if (response.messageClass() == StunMessage.MessageClass.ERROR_RESPONSE) {
            throw new StunErrorResponseException(server, response.errorCode().orElseThrow(() ->
                    new StunProtocolException("error response without ERROR-CODE from " + server)));
        }
        InetSocketAddress mapped = response.xorMappedAddress().or(response::mappedAddress).orElseThrow(() ->
                new StunProtocolException("success response without (XOR-)MAPPED-ADDRESS from " + server));
        return new StunResult(server, local, source, mapped, response.responseOrigin(), response.otherAddress(),
                response.changedAddress(), response);
    }
}
