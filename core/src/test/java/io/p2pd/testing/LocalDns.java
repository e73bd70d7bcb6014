package io.p2pd.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.p2pd.internal.Channels;
import io.p2pd.net.EventLoops;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A name server on 127.0.0.1 for tests, so lookups never leave the machine: it answers A/AAAA queries for the names
 * it was given and NXDOMAIN for every other name.
 */
public final class LocalDns implements AutoCloseable {

    private final Channel channel;
    private final AtomicInteger queries = new AtomicInteger();

    public LocalDns(Map<String, InetAddress> names) {
        this(names.entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                e -> List.of(e.getValue()))), true);
    }

    /** A server that answers each name with all of its addresses (those of the family asked for). */
    public static LocalDns withAll(Map<String, List<InetAddress>> names) {
        return new LocalDns(Map.copyOf(names), true);
    }

    private LocalDns(Map<String, List<InetAddress>> names, boolean all) {
        channel = new Bootstrap()
                .group(EventLoops.shared())
                .channel(Channels.datagramChannel(EventLoops.shared()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new Answer(names));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** How many queries arrived. */
    public int queries() {
        return queries.get();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private final class Answer extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        private final Map<String, List<InetAddress>> names;

        Answer(Map<String, List<InetAddress>> names) {
            this.names = names;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            queries.incrementAndGet();
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            String name = question.name().endsWith(".") ? question.name().substring(0, question.name().length() - 1)
                    : question.name();
            List<InetAddress> ips = names.get(name);
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setRecursionAvailable(true);
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            if (ips == null) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else {
                for (InetAddress ip : ips) {
                    if ((ip.getAddress().length == 4) == (question.type() == DnsRecordType.A)) {
                        response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(),
                                question.type(), 60, Unpooled.wrappedBuffer(ip.getAddress())));
                    }
                }
            }
            ctx.writeAndFlush(response);
        }
    }
}
