/**
 * The {@code p2pd} command line. Its commands use the library's public API, and its one JSON writer from
 * {@code io.p2pd.internal}, which the library exports to this module only.
 */
@SuppressWarnings("requires-automatic") // Moquette has no module name of its own; see below
module io.p2pd.cli {
    requires io.p2pd;
    requires io.p2pd.node;
    requires info.picocli;
    // p2pd broker embeds Moquette, an automatic module named after its jar. An automatic module reads only the
    // modules that are resolved, so the Netty ones it uses are required here (and EmbeddedBroker waits on its event loops).
    requires moquette.broker;
    requires io.netty.codec.mqtt;
    requires io.netty.common;
    requires io.netty.handler;

    // picocli sets the annotated option fields and calls the commands by reflection.
    opens io.p2pd.cli to info.picocli;
}
