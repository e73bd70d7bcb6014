package io.p2pd.node.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Sits before the MQTT decoder while an MQTT 5 CONNECT waits for its answer, for one case the decoder cannot read:
 * a 3.1.1 broker refusing the version answers with a 3.1.1 CONNACK (remaining length 2: flags and return code,
 * where MQTT 5 always adds a properties length), and Netty's decoder, set to MQTT 5 by the CONNECT it encoded,
 * waits for properties that never come. Such an answer is turned into the refusal it is; any other first packet
 * goes to the decoder untouched, and this handler leaves the pipeline.
 */
final class V311ConnAckGuard extends ByteToMessageDecoder {

    private final Connection connection;

    V311ConnAckGuard(Connection connection) {
        this.connection = connection;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 2) {
            return;
        }
        int i = in.readerIndex();
        boolean v311ConnAck = in.getUnsignedByte(i) == 0x20 && in.getUnsignedByte(i + 1) == 0x02;
        if (!v311ConnAck) {
            ctx.pipeline().remove(this); // hands what it holds to the decoder
            return;
        }
        if (in.readableBytes() < 4) {
            return;
        }
        int returnCode = in.getUnsignedByte(i + 3);
        in.skipBytes(4);
        connection.answeredAs311(returnCode);
    }
}
