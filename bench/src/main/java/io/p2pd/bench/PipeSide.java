package io.p2pd.bench;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Proto;
import io.p2pd.pipe.Sub;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The echo endpoints as a user of the library writes them. */
final class PipeSide implements Side {

    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Override
    public String name() {
        return "pipes";
    }

    @Override
    public Open tcpEchoServer() throws Exception {
        // A plain handler: the reply is handed to the channel and the next message need not wait for it.
        return wrap(Pipes.opener(Proto.TCP).bind(LOOPBACK)
                .msgHandler(MsgHandler.plain((msg, pipe) -> pipe.send(msg.data())))
                .open().get(5, TimeUnit.SECONDS));
    }

    @Override
    public Open udpEchoServer(int regexSubs) throws Exception {
        Pipe pipe = Pipes.opener(Proto.UDP).bind(LOOPBACK)
                .msgHandler(MsgHandler.plain((msg, p) -> p.send(msg.data(), msg.sender())))
                .open().get(5, TimeUnit.SECONDS);
        MsgHandler none = MsgHandler.plain((msg, p) -> { });
        for (int i = 0; i < regexSubs; i++) {
            pipe.subscribe(Sub.matching(SubPatterns.pattern(i)), none);
        }
        return wrap(pipe);
    }

    @Override
    public Open tcpClient(InetSocketAddress server, EchoFlow flow) throws Exception {
        Pipe pipe = Pipes.opener(Proto.TCP).dest(server)
                .msgHandler(MsgHandler.plain((msg, p) -> flow.onBytes(msg.data().length)))
                .open().get(5, TimeUnit.SECONDS);
        byte[][] batches = Payload.batches(flow.size(), flow.window());
        flow.start(count -> pipe.send(batches[count]));
        return wrap(pipe);
    }

    @Override
    public Open udpClient(InetSocketAddress server, EchoFlow flow) throws Exception {
        Pipe pipe = Pipes.opener(Proto.UDP).dest(server)
                .msgHandler(MsgHandler.plain((Message msg, Pipe p) -> flow.onBytes(msg.data().length)))
                .open().get(5, TimeUnit.SECONDS);
        byte[] one = Payload.batches(flow.size(), 1)[1];
        flow.start(count -> {
            for (int i = 0; i < count; i++) {
                pipe.send(one);
            }
        });
        return wrap(pipe);
    }

    static Open wrap(Pipe pipe) {
        return new Open() {
            @Override
            public InetSocketAddress address() {
                InetSocketAddress local = pipe.localAddress();
                return new InetSocketAddress("127.0.0.1", local.getPort());
            }

            @Override
            public void close() {
                pipe.close();
            }
        };
    }
}
