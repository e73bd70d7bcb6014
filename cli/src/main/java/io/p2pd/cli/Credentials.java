package io.p2pd.cli;

import io.p2pd.stun.StunCredentials;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** STUN short-term credentials from --user and the environment: a password in argv would show in ps. */
final class Credentials {

    static final String PASSWORD_VARIABLE = "P2PD_STUN_PASSWORD";

    private Credentials() {
    }

    static Optional<StunCredentials> of(CommandSpec spec, String user) {
        if (user == null) {
            return Optional.empty();
        }
        String password = System.getenv(PASSWORD_VARIABLE);
        if (password == null) {
            throw new ParameterException(spec.commandLine(), "--user needs the password in the environment "
                    + "variable " + PASSWORD_VARIABLE);
        }
        try {
            return Optional.of(new StunCredentials(user, password));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--user: " + e.getMessage());
        }
    }
}
