/**
 * The {@code p2pd} command line. Its commands use the library's public API, and its one JSON writer from
 * {@code io.p2pd.internal}, which the library exports to this module only.
 */
module io.p2pd.cli {
    requires io.p2pd;
    requires io.p2pd.node;
    requires info.picocli;

    // picocli sets the annotated option fields and calls the commands by reflection.
    opens io.p2pd.cli to info.picocli;
}
