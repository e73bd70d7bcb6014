package io.p2pd.bench;

import io.p2pd.pipe.Message;
import io.p2pd.pipe.MsgHandler;
import io.p2pd.pipe.Pipe;
import io.p2pd.pipe.Pipes;
import io.p2pd.pipe.Sub;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The echo endpoints as a user of the library writes them: with {@link MsgHandler#inPlace} handlers, which read the
 * receive buffer where it is and send a copy, or (the "Message" variant) with handlers that take each message as a
 * {@link Message} with its own array, the library's general form.
 */
final class PipeSide implements Side {

    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private final boolean inPlace;

    PipeSide(boolean inPlace) {
        this.inPlace = inPlace;
    }

    @Override
    public String name() {
        return inPlace ? "pipes" : "pipes (Message handlers)";
    }

    @Override
    public Open tcpEchoServer() throws Exception {
        // The reply is handed to the channel and the next message need not wait for it.
        MsgHandler echo = inPlace
                ? MsgHandler.inPlace((data, sender, pipe) -> pipe.send(data))
                : MsgHandler.plain((msg, pipe) -> pipe.send(msg.data()));
        return wrap(Pipes.tcp().bind(LOOPBACK).msgHandler(echo).open().get(5, TimeUnit.SECONDS));
    }

    @Override
    public Open udpEchoServer(int regexSubs) throws Exception {
        MsgHandler echo = inPlace
                ? MsgHandler.inPlace((data, sender, pipe) -> pipe.send(data, sender))
                : MsgHandler.plain((msg, pipe) -> pipe.send(msg.data(), msg.sender()));
        Pipe pipe = Pipes.udp().bind(LOOPBACK).msgHandler(echo).open().get(5, TimeUnit.SECONDS);
        MsgHandler none = MsgHandler.plain((msg, p) -> { });
        for (int i = 0; i < regexSubs; i++) {
            pipe.subscribe(Sub.matching(SubPatterns.pattern(i)), none);
        }
        return wrap(pipe);
    }

    /** The client's handler: counts the bytes coming back. */
    private MsgHandler counter(EchoFlow flow) {
        return inPlace
                ? MsgHandler.inPlace((data, sender, pipe) -> flow.onBytes(data.remaining()))
                : MsgHandler.plain((msg, pipe) -> flow.onBytes(msg.data().length));
    }

    @Override
    public Open tcpClient(InetSocketAddress server, EchoFlow flow) throws Exception {
        Pipe pipe = Pipes.tcp().dest(server).msgHandler(counter(flow)).open().get(5, TimeUnit.SECONDS);
        byte[][] batches = Payload.batches(flow.size(), flow.window());
        flow.start(count -> pipe.send(batches[count]));
        return wrap(pipe);
    }

    @Override
    public Open udpClient(InetSocketAddress server, EchoFlow flow) throws Exception {
        Pipe pipe = Pipes.udp().dest(server).msgHandler(counter(flow)).open().get(5, TimeUnit.SECONDS);
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
