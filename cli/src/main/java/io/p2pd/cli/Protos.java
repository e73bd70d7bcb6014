package io.p2pd.cli;

import io.p2pd.pipe.Proto;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Parses --proto values; a wrong one is a usage error (exit 2). */
final class Protos {

    private Protos() {
    }

    static Proto parse(CommandSpec spec, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "tcp" -> Proto.TCP;
            case "udp" -> Proto.UDP;
            default -> throw new ParameterException(spec.commandLine(),
                    "--proto must be tcp or udp, got '" + value + "'");
        };
    }
}
